//! Trust data from the chain for wallets and verifiers. Every identity record is read with
//! its Merkle proof and the commit certificate of the block it was read at, checked against
//! validators the caller trusts ([`dojang_sdk::Client::read_verified`]), then cached for a
//! short time so that verifying thousands of presentations costs no network round trips.
//!
//! Reads go through one [`TrustedChain`]: the chain id and validator set pinned from the
//! genesis the caller trusts (followed through proven set changes), a minimum height that only
//! rises, and a maximum header age, so a node cannot answer from before a revocation. The cache
//! holds at most [`ChainTrust::with_capacity`] records; the least recently fetched go first.
//!
//! [`ChainTrust::prepare`] (async) fetches what a presentation will need; the
//! [`TrustView`] methods the verifier calls (sync) only read the cache.

use std::collections::HashMap;
use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant};

use dojang_credentials::jose::Jws;
use dojang_credentials::sdjwt::SdJwt;
use dojang_credentials::status::token_hash;
use dojang_credentials::trust::{
    Accreditation, CredentialType, KeyValidity, Policy, Snapshot, Standing, StatusAnchor, TrustError,
};
use dojang_credentials::{DcqlQuery, TrustView};
use dojang_identity::state::{
    self as id, AccreditationRecord, OrgRecord, PolicyRecord, StatusAnchorRecord, TypeRecord,
};
use dojang_sdk::{Client, TrustedChain};
use serde::de::DeserializeOwned;
use serde_json::Value;

/// The default bound of the cache, in records (organisations, accreditations, status lists,
/// policies, types): far more than a city's issuers and programs, far less than memory.
pub const DEFAULT_CAPACITY: usize = 10_000;

/// Trust data read from a node with proofs, cached for `ttl`.
pub struct ChainTrust {
    client: Client,
    chain: TrustedChain,
    http: reqwest::Client,
    ttl: Duration,
    capacity: usize,
    cache: RwLock<Cache>,
}

/// What one cached record put into the snapshot, so evicting it removes exactly that.
#[derive(Debug, Clone)]
enum Entry {
    Org(String),
    Accreditation(String, String),
    Status(String, String),
    Policy(String),
    Type(String),
}

#[derive(Default)]
struct Cache {
    snapshot: Snapshot,
    /// When each record was fetched, and the height it was proven at.
    fetched: HashMap<String, (Instant, Entry, u64)>,
}

impl Cache {
    fn forget(&mut self, entry: &Entry) {
        let s = &mut self.snapshot;
        match entry {
            Entry::Org(did) => s.keys.retain(|(d, _), _| d != did),
            Entry::Accreditation(did, vct) => {
                s.accreditations.remove(&(did.clone(), vct.clone()));
            }
            Entry::Status(did, uri) => {
                s.anchors.remove(&(did.clone(), uri.clone()));
                if !s.anchors.keys().any(|(_, u)| u == uri) {
                    s.tokens.remove(uri);
                }
            }
            Entry::Policy(id) => {
                s.policies.remove(id);
            }
            Entry::Type(vct) => {
                s.types.remove(vct);
            }
        }
    }

    /// Evicts the least recently fetched records until at most `capacity` remain.
    fn bound(&mut self, capacity: usize) {
        while self.fetched.len() > capacity {
            let Some(oldest) = self.fetched.iter().min_by_key(|(_, (t, _, _))| *t).map(|(k, _)| k.clone()) else {
                return;
            };
            if let Some((_, entry, _)) = self.fetched.remove(&oldest) {
                self.forget(&entry);
            }
        }
    }
}

fn err(e: impl std::fmt::Display) -> TrustError {
    TrustError(e.to_string())
}

fn ms_to_s(ms: u64) -> u64 {
    ms / 1000
}

impl ChainTrust {
    /// `chain`: the chain pinned from the genesis the caller trusts (its validator set is
    /// followed from there; the node's own report of its set is never used).
    pub fn new(node_url: &str, chain: TrustedChain, ttl: Duration) -> Arc<ChainTrust> {
        Self::with_capacity(node_url, chain, ttl, DEFAULT_CAPACITY)
    }

    /// As [`ChainTrust::new`], holding at most `capacity` cached records.
    pub fn with_capacity(node_url: &str, chain: TrustedChain, ttl: Duration, capacity: usize) -> Arc<ChainTrust> {
        Arc::new(ChainTrust {
            client: Client::new(node_url),
            chain,
            http: reqwest::Client::new(),
            ttl,
            capacity: capacity.max(1),
            cache: RwLock::new(Cache::default()),
        })
    }

    /// The chain the reads are checked against.
    pub fn chain(&self) -> &TrustedChain {
        &self.chain
    }

    /// How many records the cache holds now (never more than its capacity).
    pub fn cached(&self) -> usize {
        self.cache.read().unwrap_or_else(|p| p.into_inner()).fetched.len()
    }

    fn fresh(&self, key: &str) -> bool {
        let cache = self.cache.read().unwrap_or_else(|p| p.into_inner());
        cache.fetched.get(key).is_some_and(|(t, _, _)| t.elapsed() < self.ttl)
    }

    /// An identity record with the height it was proven at.
    async fn read<T: DeserializeOwned>(&self, key: &str) -> Result<(Option<T>, u64), TrustError> {
        self.read_typed_at(&format!("identity/{key}")).await
    }

    async fn read_typed_at<T: DeserializeOwned>(&self, key: &str) -> Result<(Option<T>, u64), TrustError> {
        let (value, height) = self.read_state_at(key).await?;
        let value =
            value.map(|v| serde_json::from_value(v).map_err(|e| err(format!("record {key}: {e}")))).transpose()?;
        Ok((value, height))
    }

    /// Reads any JSON state record (full key, e.g. `eligibility/programs/<id>`) with its proof
    /// checked against the trusted validators. Not cached.
    pub async fn read_state<T: DeserializeOwned>(&self, key: &str) -> Result<Option<T>, TrustError> {
        Ok(self.read_typed_at(key).await?.0)
    }

    /// Like [`ChainTrust::read_state`], with the height the value was proven at (for a page's
    /// "verified at block N" mark).
    pub async fn read_state_at(&self, key: &str) -> Result<(Option<serde_json::Value>, u64), TrustError> {
        let state = self.client.read_verified(key, &self.chain).await.map_err(err)?;
        let value = state
            .value
            .map(|v| serde_json::from_slice(&v).map_err(|e| err(format!("record {key}: {e}"))))
            .transpose()?;
        Ok((value, state.height))
    }

    /// Applies a record proven at `height`, unless the cache holds it from a later height
    /// already: two loads of one record may come back out of order across a block, and the
    /// older must not undo the newer (a revocation).
    fn update(&self, key: &str, height: u64, entry: Entry, f: impl FnOnce(&mut Snapshot)) {
        let mut cache = self.cache.write().unwrap_or_else(|p| p.into_inner());
        if cache.fetched.get(key).is_some_and(|(_, _, at)| *at > height) {
            return;
        }
        f(&mut cache.snapshot);
        cache.fetched.insert(key.to_string(), (Instant::now(), entry, height));
        cache.bound(self.capacity);
    }

    /// Refreshes an organisation's keys.
    pub async fn load_org(&self, did: &str) -> Result<(), TrustError> {
        let key = id::org_key(did);
        if self.fresh(&key) {
            return Ok(());
        }
        let (org, at): (Option<OrgRecord>, u64) = self.read(&key).await?;
        self.update(&key, at, Entry::Org(did.into()), |s| {
            s.keys.retain(|(d, _), _| d != did);
            for k in org.into_iter().flat_map(|o| o.keys) {
                let validity = KeyValidity {
                    public_key: k.public_key,
                    valid_from: ms_to_s(k.valid_from_ms),
                    valid_until: k.valid_until_ms.map(|u| u.div_ceil(1000)),
                };
                s.keys.insert((did.to_string(), k.kid), validity);
            }
        });
        Ok(())
    }

    pub async fn load_accreditation(&self, did: &str, vct: &str) -> Result<(), TrustError> {
        let key = id::accreditation_key(did, vct);
        if self.fresh(&key) {
            return Ok(());
        }
        let (rec, at): (Option<AccreditationRecord>, u64) = self.read(&key).await?;
        self.update(&key, at, Entry::Accreditation(did.into(), vct.into()), |s| {
            let k = (did.to_string(), vct.to_string());
            match rec {
                None => {
                    s.accreditations.remove(&k);
                }
                Some(r) => {
                    let now = match r.standing {
                        id::Standing::Active => Standing::Active,
                        id::Standing::Suspended { since_ms } => Standing::Suspended { since: ms_to_s(since_ms) },
                        id::Standing::Revoked { since_ms } => Standing::Revoked { since: ms_to_s(since_ms) },
                    };
                    let active =
                        r.periods.iter().map(|p| (ms_to_s(p.from_ms), p.until_ms.map(|u| u.div_ceil(1000)))).collect();
                    s.accreditations.insert(k, Accreditation { active, now });
                }
            }
        });
        Ok(())
    }

    /// Refreshes a status list's anchor and, when the published token no longer matches it,
    /// the token (fetched from the issuer's URI).
    pub async fn load_status(&self, did: &str, uri: &str) -> Result<(), TrustError> {
        let key = id::status_key(did, uri);
        if self.fresh(&key) {
            return Ok(());
        }
        let (rec, at): (Option<StatusAnchorRecord>, u64) = self.read(&key).await?;
        let anchor = rec.map(|r| StatusAnchor { version: r.version, hash: r.hash.0, anchored_at_ms: r.time_ms });
        let have = self.cache.read().unwrap_or_else(|p| p.into_inner()).snapshot.tokens.get(uri).cloned();
        let token = match (&anchor, have) {
            (Some(a), Some(t)) if token_hash(&t) == a.hash => Some(t),
            (Some(_), _) => Some(self.fetch_token(uri).await?),
            (None, _) => None,
        };
        self.update(&key, at, Entry::Status(did.into(), uri.into()), |s| {
            let k = (did.to_string(), uri.to_string());
            match anchor {
                Some(a) => s.anchors.insert(k, a),
                None => s.anchors.remove(&k),
            };
            if let Some(t) = token {
                s.tokens.insert(uri.to_string(), t);
            }
        });
        Ok(())
    }

    async fn fetch_token(&self, uri: &str) -> Result<Arc<str>, TrustError> {
        let resp = self.http.get(uri).send().await.map_err(|e| err(format!("status list {uri}: {e}")))?;
        if !resp.status().is_success() {
            return Err(err(format!("status list {uri}: HTTP {}", resp.status())));
        }
        Ok(resp.text().await.map_err(|e| err(format!("status list {uri}: {e}")))?.trim().into())
    }

    pub async fn load_policy(&self, policy_id: &str) -> Result<(), TrustError> {
        let key = id::policy_key(policy_id);
        if self.fresh(&key) {
            return Ok(());
        }
        let (rec, at): (Option<PolicyRecord>, u64) = self.read(&key).await?;
        let policy = rec
            .map(|r| -> Result<Policy, TrustError> {
                Ok(Policy {
                    dcql: DcqlQuery::parse(&r.dcql).map_err(err)?,
                    id: r.id,
                    verifier: r.verifier,
                    legal_basis: r.legal_basis,
                    purpose: r.purpose,
                    retention_days: r.retention_days,
                    withdrawn_at: r.withdrawn_ms.map(ms_to_s),
                })
            })
            .transpose()?;
        self.update(&key, at, Entry::Policy(policy_id.into()), |s| match policy {
            Some(p) => {
                s.policies.insert(policy_id.to_string(), p);
            }
            None => {
                s.policies.remove(policy_id);
            }
        });
        Ok(())
    }

    /// Refreshes a credential type's registry record.
    pub async fn load_type(&self, vct: &str) -> Result<(), TrustError> {
        let key = id::type_key(vct);
        if self.fresh(&key) {
            return Ok(());
        }
        let (rec, at): (Option<TypeRecord>, u64) = self.read(&key).await?;
        self.update(&key, at, Entry::Type(vct.into()), |s| match rec {
            Some(r) => {
                s.types.insert(vct.to_string(), CredentialType { vct: r.vct, concealable: r.concealable });
            }
            None => {
                s.types.remove(vct);
            }
        });
        Ok(())
    }

    /// Fetches everything verifying `presentation` under `policy_id` will consult. A
    /// presentation too malformed to name its issuer is left for the verifier to refuse.
    pub async fn prepare(&self, presentation: &str, policy_id: &str) -> Result<(), TrustError> {
        self.load_policy(policy_id).await?;
        let Ok(sd) = SdJwt::parse(presentation) else { return Ok(()) };
        let Ok(jws) = Jws::parse(&sd.jwt) else { return Ok(()) };
        let field = |k: &str| jws.payload.get(k).and_then(Value::as_str).map(str::to_string);
        let Some(iss) = field("iss") else { return Ok(()) };
        self.load_org(&iss).await?;
        if let Some(vct) = field("vct") {
            self.load_accreditation(&iss, &vct).await?;
        }
        let uri = jws.payload.get("status").and_then(|s| s.pointer("/status_list/uri")).and_then(Value::as_str);
        if let Some(uri) = uri {
            self.load_status(&iss, uri).await?;
        }
        Ok(())
    }

    /// Forgets everything cached, so the next `prepare` reads the chain again.
    pub fn invalidate(&self) {
        *self.cache.write().unwrap_or_else(|p| p.into_inner()) = Cache::default();
    }
}

impl TrustView for ChainTrust {
    fn issuer_key(&self, did: &str, kid: &str) -> Result<Option<KeyValidity>, TrustError> {
        self.cache.read().unwrap_or_else(|p| p.into_inner()).snapshot.issuer_key(did, kid)
    }

    fn accreditation(&self, did: &str, vct: &str) -> Result<Option<Accreditation>, TrustError> {
        self.cache.read().unwrap_or_else(|p| p.into_inner()).snapshot.accreditation(did, vct)
    }

    fn status_anchor(&self, did: &str, uri: &str) -> Result<Option<StatusAnchor>, TrustError> {
        self.cache.read().unwrap_or_else(|p| p.into_inner()).snapshot.status_anchor(did, uri)
    }

    fn status_token(&self, uri: &str) -> Result<Arc<str>, TrustError> {
        self.cache.read().unwrap_or_else(|p| p.into_inner()).snapshot.status_token(uri)
    }

    fn policy(&self, id: &str) -> Result<Option<Policy>, TrustError> {
        self.cache.read().unwrap_or_else(|p| p.into_inner()).snapshot.policy(id)
    }

    fn credential_type(&self, vct: &str) -> Result<Option<CredentialType>, TrustError> {
        self.cache.read().unwrap_or_else(|p| p.into_inner()).snapshot.credential_type(vct)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use dojang_credentials::trust::Policy;

    fn policy(id: &str) -> Policy {
        Policy {
            id: id.into(),
            verifier: "did:web:jobs.seoul.go.kr".into(),
            dcql: DcqlQuery::parse(&serde_json::json!({"credentials": [{"id": "a", "format": "dc+sd-jwt",
                "meta": {"vct_values": ["urn:t"]}, "claims": [{"path": ["x"]}]}]}))
            .unwrap(),
            legal_basis: "law".into(),
            purpose: "test".into(),
            retention_days: 1,
            withdrawn_at: None,
        }
    }

    #[test]
    fn the_cache_stays_within_its_capacity_and_evicts_the_least_recently_fetched() {
        let chain = TrustedChain::new("c", vec![], Duration::from_secs(60));
        let trust = ChainTrust::with_capacity("http://127.0.0.1:1", chain, Duration::from_secs(60), 3);
        for i in 0..10 {
            let id = format!("p{i}");
            let key = id::policy_key(&id);
            trust.update(&key, 1, Entry::Policy(id.clone()), |s| {
                s.policies.insert(id.clone(), policy(&id));
            });
            assert!(trust.cached() <= 3, "{} records cached", trust.cached());
            let snapshot_len = trust.cache.read().unwrap().snapshot.policies.len();
            assert!(snapshot_len <= 3, "the snapshot shrinks with the records: {snapshot_len}");
        }
        assert_eq!(trust.cached(), 3);
        assert!(trust.policy("p0").unwrap().is_none(), "the oldest was evicted");
        assert!(trust.policy("p9").unwrap().is_some(), "the newest stays");
        // Refreshing an old record makes it the most recent: the next eviction spares it.
        let key = id::policy_key("p7");
        trust.update(&key, 1, Entry::Policy("p7".into()), |s| {
            s.policies.insert("p7".into(), policy("p7"));
        });
        trust.update(&id::policy_key("p10"), 1, Entry::Policy("p10".into()), |s| {
            s.policies.insert("p10".into(), policy("p10"));
        });
        assert!(trust.policy("p7").unwrap().is_some());
        assert!(trust.policy("p8").unwrap().is_none());
        assert_eq!(trust.cached(), 3);
    }

    /// Two loads of one record in flight across a block: the one proven lower, back last,
    /// must not undo the newer (a policy withdrawn at the later height stays withdrawn).
    #[test]
    fn a_record_proven_lower_than_the_one_cached_changes_nothing() {
        let chain = TrustedChain::new("c", vec![], Duration::from_secs(60));
        let trust = ChainTrust::new("http://127.0.0.1:1", chain, Duration::from_secs(60));
        let key = id::policy_key("p");
        let mut withdrawn = policy("p");
        withdrawn.withdrawn_at = Some(5);
        trust.update(&key, 20, Entry::Policy("p".into()), |s| {
            s.policies.insert("p".into(), withdrawn.clone());
        });
        let mut applied = false;
        trust.update(&key, 19, Entry::Policy("p".into()), |s| {
            applied = true;
            s.policies.insert("p".into(), policy("p"));
        });
        assert!(!applied, "the older answer is not applied");
        assert_eq!(trust.cache.read().unwrap().snapshot.policies["p"].withdrawn_at, Some(5));
        // The same height or a later one is applied.
        trust.update(&key, 21, Entry::Policy("p".into()), |s| {
            applied = true;
            s.policies.insert("p".into(), policy("p"));
        });
        assert!(applied);
        assert_eq!(trust.cache.read().unwrap().snapshot.policies["p"].withdrawn_at, None);
    }

    #[test]
    fn an_evicted_status_anchor_takes_its_token_along_but_not_one_still_used() {
        let mut cache = Cache::default();
        let anchor = StatusAnchor { version: 1, hash: [0; 32], anchored_at_ms: 0 };
        cache.snapshot.anchors.insert(("a".into(), "u".into()), anchor.clone());
        cache.snapshot.anchors.insert(("b".into(), "u".into()), anchor);
        cache.snapshot.tokens.insert("u".into(), "t".into());
        cache.forget(&Entry::Status("a".into(), "u".into()));
        assert!(cache.snapshot.tokens.contains_key("u"), "b still anchors u");
        cache.forget(&Entry::Status("b".into(), "u".into()));
        assert!(cache.snapshot.tokens.is_empty());
    }
}
