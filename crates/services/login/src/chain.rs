//! The login service's view of the chain: facilities' registrations and the trust data of
//! presentations, each read with its Merkle proof and the commit certificate of its block
//! ([`ChainTrust`]). A registration is kept for a short time, so a suspension by the council
//! reaches logins within [`FACILITY_TTL`].

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use dojang_login::{relying_party_state_key, RelyingParty};
use dojang_trust::ChainTrust;

use crate::http::ChainView;

/// How long a facility's registration is used before it is read again.
pub const FACILITY_TTL: Duration = Duration::from_secs(15);
/// The most registrations kept (a city has about 800 facilities).
const MAX_KEPT: usize = 10_000;

pub struct ProvenChain {
    trust: Arc<ChainTrust>,
    facilities: Mutex<HashMap<String, (Instant, Option<RelyingParty>)>>,
}

impl ProvenChain {
    pub fn new(trust: Arc<ChainTrust>) -> Self {
        ProvenChain { trust, facilities: Mutex::new(HashMap::new()) }
    }
}

#[async_trait::async_trait]
impl ChainView for ProvenChain {
    async fn facility(&self, id: &str) -> Result<Option<RelyingParty>, String> {
        {
            let kept = self.facilities.lock().unwrap_or_else(|p| p.into_inner());
            if let Some((_, rp)) = kept.get(id).filter(|(at, _)| at.elapsed() < FACILITY_TTL) {
                return Ok(rp.clone());
            }
        }
        let rp: Option<RelyingParty> =
            self.trust.read_state(&relying_party_state_key(id)).await.map_err(|e| e.to_string())?;
        let mut kept = self.facilities.lock().unwrap_or_else(|p| p.into_inner());
        if kept.len() >= MAX_KEPT {
            kept.retain(|_, (at, _)| at.elapsed() < FACILITY_TTL);
        }
        if kept.len() < MAX_KEPT {
            kept.insert(id.to_string(), (Instant::now(), rp.clone()));
        }
        Ok(rp)
    }

    async fn prepare_policy(&self, policy: &str) -> Result<(), String> {
        self.trust.load_policy(policy).await.map_err(|e| e.to_string())
    }

    async fn prepare(&self, presentation: &str, policy: &str) -> Result<(), String> {
        self.trust.prepare(presentation, policy).await.map_err(|e| e.to_string())
    }
}
