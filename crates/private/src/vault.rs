use std::collections::BTreeMap;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use base64::Engine;
use dojang_collections::rules::{random_key, SALT_LEN};
use dojang_collections::{commitment, readers, Collection, CollectionsMsg, Record};
use dojang_crypto::Signer;
use dojang_ledger::Ledger;
use dojang_types::{Address, Hash};
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use tokio::sync::broadcast::error::RecvError;
use tracing::{debug, info, warn};

use crate::client::PrivateClient;
use crate::reply::{seal, ReplyError};
use crate::store::{PrivateStore, StoreError};

/// The largest payload a member may store (a contract with its annexes as JSON).
pub const MAX_PAYLOAD_BYTES: usize = 256 * 1024;
/// A payload stored but never recorded on the ledger is deleted after this long.
const UNRECORDED_TTL: Duration = Duration::from_secs(3600);
/// How often due retries run; a record that keeps failing waits longer each time.
const RETRY_EVERY: Duration = Duration::from_secs(3);
const MAX_BACKOFF: Duration = Duration::from_secs(600);
/// Records noted as missing at most; beyond, the periodic full check finds them again.
const MAX_MISSING: usize = 10_000;
/// How often the whole of every collection this node belongs to is checked.
const FULL_CHECK_EVERY: Duration = Duration::from_secs(300);
const PAGE: usize = 500;

/// Why a private-data request was refused or failed.
#[derive(Debug, thiserror::Error)]
pub enum VaultError {
    #[error("this node keeps no private collections (no [private] member_key is configured)")]
    Disabled,
    #[error("no collection '{0}' is defined on the ledger")]
    UnknownCollection(String),
    #[error("this node's organisation is not a member of collection '{0}': send it to a member's node")]
    NotMemberNode(String),
    #[error("account {account} is not a member of collection '{collection}'")]
    Forbidden { account: Address, collection: String },
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
    #[error("cannot seal the answer: {0}")]
    Reply(#[from] ReplyError),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("reading the ledger failed: {0}")]
    Ledger(String),
}

/// What a member gets back for a stored payload: the key the node drew, the commitment and
/// the exact message to sign and send to record it (as the API answers it).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Stored {
    pub key: String,
    pub commitment: Hash,
    pub record: CollectionsMsg,
}

/// A record's salt and payload with its commitment: as this node holds it, or as another
/// member node answered it (checked against the ledger's commitment before it is used).
#[derive(Debug, Clone)]
pub struct Held {
    pub commitment: Hash,
    pub salt: [u8; SALT_LEN],
    pub payload: Vec<u8>,
}

impl Held {
    /// The answer to a member: the commitment in clear, salt and payload sealed to its reply key.
    pub fn sealed_json(&self, reply_key_hex: &str) -> Result<Value, ReplyError> {
        let inner = json!({
            "salt": hex::encode(self.salt),
            "payload_base64": base64::engine::general_purpose::STANDARD.encode(&self.payload),
        });
        let sealed = seal(reply_key_hex, inner.to_string().as_bytes())?;
        Ok(json!({ "commitment": self.commitment, "sealed": sealed }))
    }
}

/// A record to settle again, and when.
struct Pending {
    attempts: u32,
    due: Instant,
}

/// The off-ledger half of private collections on one node.
pub struct Vault {
    store: PrivateStore,
    ledger: Arc<Ledger>,
    member: Option<Arc<dyn Signer>>,
    peers: Vec<PrivateClient>,
    /// Records this node should hold (or delete) but has not yet.
    missing: Mutex<BTreeMap<(String, String), Pending>>,
}

fn ledger_err(e: impl std::fmt::Display) -> VaultError {
    VaultError::Ledger(e.to_string())
}

impl Vault {
    /// `member` is the key of the organisation this node serves (none: the node holds no
    /// collection and refuses every private request); `peers` are the other nodes' API URLs.
    pub fn new(store: PrivateStore, ledger: Arc<Ledger>, member: Option<Arc<dyn Signer>>, peers: &[String]) -> Vault {
        let chain_id = ledger.chain_id().to_string();
        Vault {
            store,
            ledger,
            member,
            peers: peers.iter().map(|p| PrivateClient::new(p, &chain_id)).collect(),
            missing: Mutex::new(BTreeMap::new()),
        }
    }

    /// The account this node serves in collections, if any.
    pub fn member(&self) -> Option<Address> {
        self.member.as_ref().map(|m| m.public_key().address())
    }

    fn missing(&self) -> MutexGuard<'_, BTreeMap<(String, String), Pending>> {
        self.missing.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Notes a record to settle at the next retry (bounded: beyond the cap the periodic full
    /// check finds it again).
    fn note(&self, collection: &str, key: &str) {
        let mut missing = self.missing();
        if missing.len() < MAX_MISSING {
            missing
                .entry((collection.to_string(), key.to_string()))
                .or_insert(Pending { attempts: 0, due: Instant::now() });
        }
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

    /// Keeps a member's payload under a key and salt drawn here, before it is recorded, and
    /// answers the commitment and the message that records it.
    pub fn create(&self, requester: &Address, collection: &str, payload: &[u8]) -> Result<Stored, VaultError> {
        if payload.is_empty() {
            return Err(VaultError::Empty);
        }
        if payload.len() > MAX_PAYLOAD_BYTES {
            return Err(VaultError::TooLarge(payload.len()));
        }
        self.shared_collection(requester, collection)?;
        let key = random_key(rand::random());
        let salt: [u8; SALT_LEN] = rand::random();
        self.store.put(collection, &key, &salt, payload)?;
        let c = commitment(collection, &key, &salt, payload);
        debug!(collection, key, "stored a private payload awaiting its record");
        let record = CollectionsMsg::Record { collection: collection.to_string(), key: key.clone(), commitment: c };
        Ok(Stored { key, commitment: c, record })
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
                self.note(collection, key);
                Err(VaultError::NotHeld(name))
            }
            Ok(Some(_)) | Err(StoreError::Damaged(_)) => {
                warn!(collection, key, "a held private record does not match its commitment; fetching it again");
                self.store.delete(collection, key)?;
                self.note(collection, key);
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

    /// Asks the other nodes for a record, as this node's member; only member nodes answer a
    /// member, and the answer is sealed to a key only this node holds.
    async fn fetch(&self, collection: &str, key: &str, expected: &Hash) -> bool {
        let Some(signer) = &self.member else { return false };
        for peer in &self.peers {
            let fetched = match peer.fetch(signer.as_ref(), collection, key).await {
                Ok(f) => f,
                Err(e) => {
                    debug!(peer = peer.base(), error = %e, collection, key, "peer does not give this record");
                    continue;
                }
            };
            if commitment(collection, key, &fetched.salt, &fetched.payload) != *expected {
                warn!(
                    peer = peer.base(),
                    collection, key, "peer answered a record that does not match the ledger's commitment"
                );
                continue;
            }
            if let Err(e) = self.store.put(collection, key, &fetched.salt, &fetched.payload) {
                warn!(error = %e, "cannot keep a fetched private record");
                return false;
            }
            info!(collection, key, peer = peer.base(), "fetched a private record from another member");
            return true;
        }
        false
    }

    /// Checks every record of every collection this node belongs to, and every held file:
    /// notes what is missing or purged, deletes what was never recorded.
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
                        let held = self.store.holds(id, key);
                        if (r.purged.is_some() && held) || (r.purged.is_none() && mine && !held) {
                            self.note(id, key);
                        }
                    }
                    match rows.last() {
                        Some((k, _)) if rows.len() == PAGE => after_key = Some(k.clone()),
                        _ => break,
                    }
                }
                self.drop_unrecorded(id)?;
            }
            match ids.last() {
                Some(last) if ids.len() == PAGE => after = Some(last.clone()),
                _ => break,
            }
        }
        self.retry_due().await;
        Ok(())
    }

    /// Deletes payloads stored more than an hour ago and never recorded.
    fn drop_unrecorded(&self, collection: &str) -> Result<(), VaultError> {
        for (key, age) in self.store.keys(collection)? {
            if age > UNRECORDED_TTL && self.record(collection, &key)?.is_none() {
                self.store.delete(collection, &key)?;
                info!(collection, key, "deleted a private payload that was never recorded");
            }
        }
        Ok(())
    }

    /// Settles the noted records that are due; those still missing wait longer next time.
    async fn retry_due(&self) {
        let now = Instant::now();
        let due: Vec<(String, String)> =
            self.missing().iter().filter(|(_, p)| p.due <= now).map(|(k, _)| k.clone()).collect();
        for (c, k) in due {
            let still = match self.settle(&c, &k).await {
                Ok(still) => still,
                Err(e) => {
                    warn!(error = %e, collection = %c, key = %k, "cannot settle a private record; will retry");
                    true
                }
            };
            let mut missing = self.missing();
            if still {
                if let Some(p) = missing.get_mut(&(c, k)) {
                    p.attempts = p.attempts.saturating_add(1);
                    let wait = RETRY_EVERY.saturating_mul(1 << p.attempts.min(8)).min(MAX_BACKOFF);
                    p.due = Instant::now() + wait;
                }
            } else {
                missing.remove(&(c, k));
            }
        }
    }

    /// Follows the ledger: each committed block's `recorded` and `purged` records are settled
    /// at once (purges first); missing records are retried with back-off; the whole is checked
    /// at start, every few minutes, and after falling behind the block stream.
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
                        let mut touched: Vec<(bool, String, String)> = events
                            .filter(|e| e.module == dojang_collections::NAME && (e.kind == "recorded" || e.kind == "purged"))
                            .filter_map(|e| Some((e.kind == "recorded", attr(e, "collection")?, attr(e, "key")?)))
                            .collect();
                        // Purges first: deleting is never held up by a slow fetch.
                        touched.sort();
                        for (_, c, k) in touched {
                            match self.settle(&c, &k).await {
                                Ok(false) => {}
                                Ok(true) | Err(_) => self.note(&c, &k),
                            }
                        }
                    }
                    Err(RecvError::Lagged(_)) => {
                        if let Err(e) = self.reconcile().await {
                            warn!(error = %e, "checking private collections failed; will retry");
                        }
                    }
                    Err(RecvError::Closed) => return,
                },
                _ = retry.tick() => self.retry_due().await,
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
