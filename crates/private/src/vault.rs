use std::collections::BTreeSet;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use base64::Engine;
use dojang_collections::rules::SALT_LEN;
use dojang_collections::{commitment, readers, Collection, Record};
use dojang_crypto::Signer;
use dojang_ledger::Ledger;
use dojang_types::{wall_clock_ms, Address, Hash};
use serde::Deserialize;
use serde_json::{json, Value};
use tokio::sync::broadcast::error::RecvError;
use tracing::{debug, info, warn};

use crate::request;
use crate::store::{PrivateStore, StoreError};

/// The largest payload a member may store (a contract with its annexes as JSON).
pub const MAX_PAYLOAD_BYTES: usize = 256 * 1024;
/// A payload stored but never recorded on the ledger is deleted after this long.
const UNRECORDED_TTL: Duration = Duration::from_secs(3600);
/// How often records this node should hold but could not fetch are tried again.
const RETRY_EVERY: Duration = Duration::from_secs(3);
/// How often the whole of every collection this node belongs to is checked.
const FULL_CHECK_EVERY: Duration = Duration::from_secs(300);
const PAGE: usize = 500;

/// Why a private-data request was refused or failed.
#[derive(Debug, thiserror::Error)]
pub enum VaultError {
    #[error("this node keeps no private collections (no [private] member key is configured)")]
    Disabled,
    #[error("no collection '{0}' is defined on the ledger")]
    UnknownCollection(String),
    #[error("this node's organisation is not a member of collection '{0}': send it to a member's node")]
    NotMemberNode(String),
    #[error("account {account} is not a member of collection '{collection}'")]
    Forbidden { account: Address, collection: String },
    #[error("'{0}' is already recorded on the ledger; an amendment is a new key")]
    AlreadyRecorded(String),
    #[error("'{0}' is not recorded on the ledger")]
    NotRecorded(String),
    #[error("'{0}' was purged: its payload and salt no longer exist")]
    Purged(String),
    #[error("this node does not hold '{0}' yet; it is fetching it from the other members, try again shortly")]
    NotHeld(String),
    #[error("the payload is {0} bytes; the most is {MAX_PAYLOAD_BYTES}")]
    TooLarge(usize),
    #[error("the payload is empty")]
    Empty,
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("reading the ledger failed: {0}")]
    Ledger(String),
}

/// What a member gets back for a stored payload: the commitment and the exact message to sign
/// and send to record it.
#[derive(Debug, Clone)]
pub struct Stored {
    pub commitment: Hash,
    pub record_msg: Value,
}

/// A record this node holds, checked against the ledger's commitment.
#[derive(Debug, Clone)]
pub struct Held {
    pub commitment: Hash,
    pub salt: [u8; SALT_LEN],
    pub payload: Vec<u8>,
}

/// The off-ledger half of private collections on one node.
pub struct Vault {
    store: PrivateStore,
    ledger: Arc<Ledger>,
    member: Option<Arc<dyn Signer>>,
    peers: Vec<String>,
    client: reqwest::Client,
    /// Records this node should hold but has not fetched yet.
    missing: Mutex<BTreeSet<(String, String)>>,
}

fn ledger_err(e: impl std::fmt::Display) -> VaultError {
    VaultError::Ledger(e.to_string())
}

impl Vault {
    /// `member` is the key of the organisation this node serves (none: the node holds no
    /// collection and refuses every private request); `peers` are the other nodes' API URLs.
    pub fn new(store: PrivateStore, ledger: Arc<Ledger>, member: Option<Arc<dyn Signer>>, peers: &[String]) -> Vault {
        let client = reqwest::Client::builder()
            .timeout(Duration::from_secs(10))
            .build()
            .expect("an HTTP client with a timeout builds");
        Vault {
            store,
            ledger,
            member,
            peers: peers.iter().map(|p| p.trim_end_matches('/').to_string()).collect(),
            client,
            missing: Mutex::new(BTreeSet::new()),
        }
    }

    /// The account this node serves in collections, if any.
    pub fn member(&self) -> Option<Address> {
        self.member.as_ref().map(|m| m.public_key().address())
    }

    fn collection(&self, id: &str) -> Result<Collection, VaultError> {
        readers::collection(&self.ledger.committed_state(), id)
            .map_err(ledger_err)?
            .ok_or_else(|| VaultError::UnknownCollection(id.to_string()))
    }

    fn record(&self, collection: &str, key: &str) -> Result<Option<Record>, VaultError> {
        readers::record(&self.ledger.committed_state(), collection, key).map_err(ledger_err)
    }

    /// The collection, if both this node and `requester` are members of it.
    fn shared_collection(&self, requester: &Address, id: &str) -> Result<Collection, VaultError> {
        let me = self.member().ok_or(VaultError::Disabled)?;
        let c = self.collection(id)?;
        if !c.is_member(&me) {
            return Err(VaultError::NotMemberNode(id.to_string()));
        }
        if !c.is_member(requester) {
            return Err(VaultError::Forbidden { account: *requester, collection: id.to_string() });
        }
        Ok(c)
    }

    /// Keeps a member's payload with a fresh salt, before it is recorded, and answers the
    /// commitment. Storing the same payload again before it is recorded answers the same
    /// commitment; a different one replaces it.
    pub fn put(&self, requester: &Address, collection: &str, key: &str, payload: &[u8]) -> Result<Stored, VaultError> {
        if payload.is_empty() {
            return Err(VaultError::Empty);
        }
        if payload.len() > MAX_PAYLOAD_BYTES {
            return Err(VaultError::TooLarge(payload.len()));
        }
        self.shared_collection(requester, collection)?;
        let name = format!("{collection}/{key}");
        if self.record(collection, key)?.is_some() {
            return Err(VaultError::AlreadyRecorded(name));
        }
        let salt = match self.store.get(collection, key) {
            Ok(Some((salt, held))) if held == payload => salt,
            _ => {
                let salt: [u8; SALT_LEN] = rand::random();
                self.store.put(collection, key, &salt, payload)?;
                salt
            }
        };
        let c = commitment(collection, key, &salt, payload);
        debug!(collection, key, "stored a private payload awaiting its record");
        Ok(Stored {
            commitment: c,
            record_msg: json!({"type": "record", "collection": collection, "key": key, "commitment": c}),
        })
    }

    /// A record for a member: held here, recorded and not purged, and matching the ledger's
    /// commitment (a held copy that does not match is dropped and fetched again).
    pub fn get(&self, requester: &Address, collection: &str, key: &str) -> Result<Held, VaultError> {
        self.shared_collection(requester, collection)?;
        let name = format!("{collection}/{key}");
        let r = self.record(collection, key)?.ok_or_else(|| VaultError::NotRecorded(name.clone()))?;
        if r.purged.is_some() {
            return Err(VaultError::Purged(name));
        }
        match self.store.get(collection, key) {
            Ok(Some((salt, payload))) if commitment(collection, key, &salt, &payload) == r.commitment => {
                Ok(Held { commitment: r.commitment, salt, payload })
            }
            Ok(None) => {
                self.missing.lock().unwrap_or_else(|p| p.into_inner()).insert((collection.into(), key.into()));
                Err(VaultError::NotHeld(name))
            }
            Ok(Some(_)) | Err(StoreError::Damaged(_)) => {
                warn!(collection, key, "a held private record does not match its commitment; fetching it again");
                self.store.delete(collection, key)?;
                self.missing.lock().unwrap_or_else(|p| p.into_inner()).insert((collection.into(), key.into()));
                Err(VaultError::NotHeld(name))
            }
            Err(e) => Err(e.into()),
        }
    }

    /// Brings one record in line with the ledger: deletes it if purged, fetches it if this
    /// node should hold it and does not. Returns whether it still misses it.
    async fn settle(&self, collection: &str, key: &str) -> Result<bool, VaultError> {
        let Some(me) = self.member() else { return Ok(false) };
        let Some(r) = self.record(collection, key)? else { return Ok(false) };
        if r.purged.is_some() {
            if self.store.delete(collection, key)? {
                info!(collection, key, "purged a private record's payload and salt, as the ledger decided");
            }
            return Ok(false);
        }
        if !self.collection(collection)?.is_member(&me) {
            return Ok(false);
        }
        match self.store.get(collection, key) {
            Ok(Some((salt, payload))) if commitment(collection, key, &salt, &payload) == r.commitment => Ok(false),
            _ => Ok(!self.fetch(collection, key, &r.commitment).await),
        }
    }

    /// Asks the other nodes for a record, signed as this node's member; only members answer.
    async fn fetch(&self, collection: &str, key: &str, expected: &Hash) -> bool {
        let Some(signer) = &self.member else { return false };
        let path = format!("/v1/private/{collection}/{key}");
        for peer in &self.peers {
            let Ok(headers) = request::sign(signer.as_ref(), "GET", &path, b"", wall_clock_ms()) else {
                return false;
            };
            let mut req = self.client.get(format!("{peer}{path}"));
            for (name, value) in headers {
                req = req.header(name, value);
            }
            let answer = match req.send().await {
                Ok(r) if r.status().is_success() => r.json::<HeldJson>().await,
                Ok(r) => {
                    debug!(peer, status = %r.status(), collection, key, "peer does not give this record");
                    continue;
                }
                Err(e) => {
                    debug!(peer, error = %e, "peer unreachable for a private record");
                    continue;
                }
            };
            let Some((salt, payload)) = answer.ok().and_then(|h| h.decode()) else {
                warn!(peer, collection, key, "peer answered a private record that does not decode");
                continue;
            };
            if commitment(collection, key, &salt, &payload) != *expected {
                warn!(
                    peer,
                    collection, key, "peer answered a private record that does not match the ledger's commitment"
                );
                continue;
            }
            if let Err(e) = self.store.put(collection, key, &salt, &payload) {
                warn!(error = %e, "cannot keep a fetched private record");
                return false;
            }
            info!(collection, key, peer, "fetched a private record from another member");
            return true;
        }
        false
    }

    /// Checks every record of every collection this node belongs to, and every held file:
    /// fetches what is missing, deletes what was purged and what was never recorded.
    pub async fn reconcile(&self) -> Result<(), VaultError> {
        let Some(me) = self.member() else { return Ok(()) };
        let mut after: Option<String> = None;
        loop {
            let ids =
                readers::collection_ids(&self.ledger.committed_state(), after.as_deref(), PAGE).map_err(ledger_err)?;
            for id in &ids {
                let mine = self.collection(id)?.is_member(&me);
                let mut after_key: Option<String> = None;
                loop {
                    let rows = readers::records(&self.ledger.committed_state(), id, after_key.as_deref(), PAGE)
                        .map_err(ledger_err)?;
                    for (key, r) in &rows {
                        let held = self.store.get(id, key).ok().flatten().is_some();
                        if (r.purged.is_some() && held) || (r.purged.is_none() && mine && !held) {
                            self.missing.lock().unwrap_or_else(|p| p.into_inner()).insert((id.clone(), key.clone()));
                        }
                    }
                    match rows.last() {
                        Some((k, _)) if rows.len() == PAGE => after_key = Some(k.clone()),
                        _ => break,
                    }
                }
                for (key, age) in self.store.keys(id)? {
                    if age > UNRECORDED_TTL && self.record(id, &key)?.is_none() {
                        self.store.delete(id, &key)?;
                        info!(collection = %id, key, "deleted a private payload that was never recorded");
                    }
                }
            }
            match ids.last() {
                Some(last) if ids.len() == PAGE => after = Some(last.clone()),
                _ => break,
            }
        }
        self.retry().await;
        Ok(())
    }

    /// Settles the records noted as missing or purged; keeps those still missing.
    async fn retry(&self) {
        let pending: Vec<(String, String)> =
            std::mem::take(&mut *self.missing.lock().unwrap_or_else(|p| p.into_inner())).into_iter().collect();
        for (c, k) in pending {
            match self.settle(&c, &k).await {
                Ok(false) => {}
                Ok(true) => {
                    self.missing.lock().unwrap_or_else(|p| p.into_inner()).insert((c, k));
                }
                Err(e) => {
                    warn!(error = %e, collection = %c, key = %k, "cannot settle a private record; will retry");
                    self.missing.lock().unwrap_or_else(|p| p.into_inner()).insert((c, k));
                }
            }
        }
    }

    /// Follows the ledger: each committed block's `recorded` and `purged` events are settled at
    /// once; missing records are retried every few seconds; the whole is checked at start and
    /// every few minutes (and after falling behind the block stream).
    pub async fn run(self: Arc<Self>) {
        if self.member.is_none() {
            return;
        }
        let mut blocks = self.ledger.subscribe();
        if let Err(e) = self.reconcile().await {
            warn!(error = %e, "checking private collections at start failed; will retry");
        }
        let mut retry = tokio::time::interval(RETRY_EVERY);
        let mut full = tokio::time::interval(FULL_CHECK_EVERY);
        full.tick().await;
        loop {
            tokio::select! {
                b = blocks.recv() => match b {
                    Ok(b) => {
                        let events = b.receipts.iter().flat_map(|r| r.events.iter()).chain(b.hook_events.iter());
                        let touched: Vec<(String, String)> = events
                            .filter(|e| e.module == dojang_collections::NAME && (e.kind == "recorded" || e.kind == "purged"))
                            .filter_map(|e| Some((attr(e, "collection")?, attr(e, "key")?)))
                            .collect();
                        if !touched.is_empty() {
                            self.missing.lock().unwrap_or_else(|p| p.into_inner()).extend(touched);
                            self.retry().await;
                        }
                    }
                    Err(RecvError::Lagged(_)) => {
                        if let Err(e) = self.reconcile().await {
                            warn!(error = %e, "checking private collections failed; will retry");
                        }
                    }
                    Err(RecvError::Closed) => return,
                },
                _ = retry.tick() => self.retry().await,
                _ = full.tick() => {
                    if let Err(e) = self.reconcile().await {
                        warn!(error = %e, "checking private collections failed; will retry");
                    }
                }
            }
        }
    }
}

fn attr(e: &dojang_types::Event, name: &str) -> Option<String> {
    e.attributes.iter().find(|(k, _)| k == name).map(|(_, v)| v.clone())
}

/// A record as a member node answers it (`GET /v1/private/{collection}/{key}`).
#[derive(Deserialize)]
struct HeldJson {
    salt: String,
    payload_base64: String,
}

impl HeldJson {
    fn decode(self) -> Option<([u8; SALT_LEN], Vec<u8>)> {
        let salt = hex::decode(&self.salt).ok()?.try_into().ok()?;
        let payload = base64::engine::general_purpose::STANDARD.decode(&self.payload_base64).ok()?;
        Some((salt, payload))
    }
}

impl Held {
    /// The answer to a member (what [`Vault`] on another node decodes).
    pub fn to_json(&self, collection: &str, key: &str) -> Value {
        json!({
            "collection": collection,
            "key": key,
            "commitment": self.commitment,
            "salt": hex::encode(self.salt),
            "payload_base64": base64::engine::general_purpose::STANDARD.encode(&self.payload),
        })
    }
}
