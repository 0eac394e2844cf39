//! Trust data from the chain for wallets and verifiers. Every identity record is read with
//! its Merkle proof and the commit certificate of the block it was read at, checked against
//! validators the caller trusts ([`dojang_sdk::Client::read_verified`]), then cached for a
//! short time so that verifying thousands of presentations costs no network round trips.
//!
//! [`ChainTrust::prepare`] (async) fetches what a presentation will need; the
//! [`TrustView`] methods the verifier calls (sync) only read the cache.

use std::collections::HashMap;
use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant};

use dojang_credentials::jose::Jws;
use dojang_credentials::sdjwt::SdJwt;
use dojang_credentials::status::token_hash;
use dojang_credentials::trust::{Accreditation, KeyValidity, Policy, Snapshot, Standing, StatusAnchor, TrustError};
use dojang_credentials::{DcqlQuery, TrustView};
use dojang_identity::state::{self as id, AccreditationRecord, OrgRecord, PolicyRecord, StatusAnchorRecord};
use dojang_sdk::Client;
use dojang_types::Validator;
use serde::de::DeserializeOwned;
use serde_json::Value;

/// Trust data read from a node with proofs, cached for `ttl`.
pub struct ChainTrust {
    client: Client,
    validators: Vec<Validator>,
    http: reqwest::Client,
    ttl: Duration,
    cache: RwLock<Cache>,
}

#[derive(Default)]
struct Cache {
    snapshot: Snapshot,
    fetched: HashMap<String, Instant>,
}

fn err(e: impl std::fmt::Display) -> TrustError {
    TrustError(e.to_string())
}

fn ms_to_s(ms: u64) -> u64 {
    ms / 1000
}

impl ChainTrust {
    /// `validators`: the set the caller trusts to certify blocks (from the chain's genesis, or
    /// followed through proven validator-set changes).
    pub fn new(node_url: &str, validators: Vec<Validator>, ttl: Duration) -> Arc<ChainTrust> {
        Arc::new(ChainTrust {
            client: Client::new(node_url),
            validators,
            http: reqwest::Client::new(),
            ttl,
            cache: RwLock::new(Cache::default()),
        })
    }

    /// The trusted validator set as the node reports it now, for tools that trust their own
    /// node (a wallet pointed at the city's node, a test). Verifiers pin theirs instead.
    pub async fn validators_from(node_url: &str) -> Result<Vec<Validator>, TrustError> {
        let v = Client::new(node_url).get("/v1/validators").await.map_err(err)?;
        serde_json::from_value(v["validators"].clone()).map_err(|e| err(format!("validator list: {e}")))
    }

    fn fresh(&self, key: &str) -> bool {
        let cache = self.cache.read().unwrap_or_else(|p| p.into_inner());
        cache.fetched.get(key).is_some_and(|t| t.elapsed() < self.ttl)
    }

    async fn read<T: DeserializeOwned>(&self, key: &str) -> Result<Option<T>, TrustError> {
        self.read_state(&format!("identity/{key}")).await
    }

    /// Reads any JSON state record (full key, e.g. `eligibility/programs/<id>`) with its proof
    /// checked against the trusted validators. Not cached.
    pub async fn read_state<T: DeserializeOwned>(&self, key: &str) -> Result<Option<T>, TrustError> {
        let state = self.client.read_verified(key, &self.validators).await.map_err(err)?;
        state
            .value
            .map(|v| serde_json::from_slice(&v).map_err(|e| err(format!("identity record {key}: {e}"))))
            .transpose()
    }

    fn update(&self, key: &str, f: impl FnOnce(&mut Snapshot)) {
        let mut cache = self.cache.write().unwrap_or_else(|p| p.into_inner());
        f(&mut cache.snapshot);
        cache.fetched.insert(key.to_string(), Instant::now());
    }

    /// Refreshes an organisation's keys.
    pub async fn load_org(&self, did: &str) -> Result<(), TrustError> {
        let key = id::org_key(did);
        if self.fresh(&key) {
            return Ok(());
        }
        let org: Option<OrgRecord> = self.read(&key).await?;
        self.update(&key, |s| {
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
        let rec: Option<AccreditationRecord> = self.read(&key).await?;
        self.update(&key, |s| {
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
        let rec: Option<StatusAnchorRecord> = self.read(&key).await?;
        let anchor = rec.map(|r| StatusAnchor { version: r.version, hash: r.hash.0, anchored_at_ms: r.time_ms });
        let have = self.cache.read().unwrap_or_else(|p| p.into_inner()).snapshot.tokens.get(uri).cloned();
        let token = match (&anchor, have) {
            (Some(a), Some(t)) if token_hash(&t) == a.hash => Some(t),
            (Some(_), _) => Some(self.fetch_token(uri).await?),
            (None, _) => None,
        };
        self.update(&key, |s| {
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
        let rec: Option<PolicyRecord> = self.read(&key).await?;
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
        self.update(&key, |s| match policy {
            Some(p) => {
                s.policies.insert(policy_id.to_string(), p);
            }
            None => {
                s.policies.remove(policy_id);
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
        self.cache.write().unwrap_or_else(|p| p.into_inner()).fetched.clear();
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
}
