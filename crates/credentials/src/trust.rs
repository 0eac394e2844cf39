//! What a verifier needs to know from the chain, as plain values. The credentials crate does
//! not read the chain itself: a node-side adapter fills these from proof-checked identity state
//! (and caches them), and tests fill them from memory.

use std::sync::Arc;

use dojang_types::PublicKey;

use crate::dcql::DcqlQuery;

/// One key of an organisation and when it was valid, in seconds since the Unix epoch.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyValidity {
    pub public_key: PublicKey,
    pub valid_from: u64,
    /// Set when the key was rotated out or revoked: credentials it signed after this are void.
    pub valid_until: Option<u64>,
}

impl KeyValidity {
    pub fn covers(&self, t: u64) -> bool {
        t >= self.valid_from && self.valid_until.is_none_or(|u| t < u)
    }
}

/// Where an accreditation stands now.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Standing {
    Active,
    Suspended { since: u64 },
    Revoked { since: u64 },
}

/// An organisation's accreditation for one credential type.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Accreditation {
    /// The periods it was active: `(from, until)`, `until` open while it still is.
    pub active: Vec<(u64, Option<u64>)>,
    pub now: Standing,
}

impl Accreditation {
    pub fn active_at(&self, t: u64) -> bool {
        self.active.iter().any(|(from, until)| t >= *from && until.is_none_or(|u| t < u))
    }
}

/// The latest anchored version of a status list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StatusAnchor {
    pub version: u64,
    pub hash: [u8; 32],
    /// When the anchor was committed (ms since the Unix epoch).
    pub anchored_at_ms: u64,
}

/// A registered verification policy.
#[derive(Debug, Clone, PartialEq)]
pub struct Policy {
    pub id: String,
    /// The organisation that registered it; presentations must be addressed to its client id.
    pub verifier: String,
    pub dcql: DcqlQuery,
    pub legal_basis: String,
    pub purpose: String,
    pub retention_days: u32,
    /// Set once the office withdrew it: nothing may be asked under it any more.
    pub withdrawn_at: Option<u64>,
}

/// A credential type registered on chain (the root's type registry): a wallet accepts only
/// credentials of a registered type, so an accredited issuer cannot mint ad-hoc types.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CredentialType {
    pub vct: String,
    /// The claims the registry says are concealable.
    pub concealable: Vec<String>,
}

/// A failure to learn what the chain says (not a verdict on the credential).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("cannot read trust data: {0}")]
pub struct TrustError(pub String);

/// The chain's view, as the verifier consults it.
pub trait TrustView: Send + Sync {
    fn issuer_key(&self, did: &str, kid: &str) -> Result<Option<KeyValidity>, TrustError>;
    fn accreditation(&self, did: &str, vct: &str) -> Result<Option<Accreditation>, TrustError>;
    /// The latest anchor that organisation `did` made for the list at `uri`.
    fn status_anchor(&self, did: &str, uri: &str) -> Result<Option<StatusAnchor>, TrustError>;
    /// The status list token currently published at `uri` (fetched from the issuer).
    fn status_token(&self, uri: &str) -> Result<Arc<str>, TrustError>;
    fn policy(&self, id: &str) -> Result<Option<Policy>, TrustError>;
    /// The type registry's record for `vct`; `None` when it is not registered.
    fn credential_type(&self, vct: &str) -> Result<Option<CredentialType>, TrustError>;
}

impl<T: TrustView + ?Sized> TrustView for Arc<T> {
    fn issuer_key(&self, did: &str, kid: &str) -> Result<Option<KeyValidity>, TrustError> {
        (**self).issuer_key(did, kid)
    }

    fn accreditation(&self, did: &str, vct: &str) -> Result<Option<Accreditation>, TrustError> {
        (**self).accreditation(did, vct)
    }

    fn status_anchor(&self, did: &str, uri: &str) -> Result<Option<StatusAnchor>, TrustError> {
        (**self).status_anchor(did, uri)
    }

    fn status_token(&self, uri: &str) -> Result<Arc<str>, TrustError> {
        (**self).status_token(uri)
    }

    fn policy(&self, id: &str) -> Result<Option<Policy>, TrustError> {
        (**self).policy(id)
    }

    fn credential_type(&self, vct: &str) -> Result<Option<CredentialType>, TrustError> {
        (**self).credential_type(vct)
    }
}

/// Trust data held in memory: what a verifier has already read (and proof-checked) from the
/// chain, or what a test sets up. Lookups never touch the network.
#[derive(Debug, Clone, Default)]
pub struct Snapshot {
    pub keys: std::collections::HashMap<(String, String), KeyValidity>,
    pub accreditations: std::collections::HashMap<(String, String), Accreditation>,
    pub anchors: std::collections::HashMap<(String, String), StatusAnchor>,
    pub tokens: std::collections::HashMap<String, Arc<str>>,
    pub policies: std::collections::HashMap<String, Policy>,
    pub types: std::collections::HashMap<String, CredentialType>,
}

impl TrustView for Snapshot {
    fn issuer_key(&self, did: &str, kid: &str) -> Result<Option<KeyValidity>, TrustError> {
        Ok(self.keys.get(&(did.to_string(), kid.to_string())).cloned())
    }

    fn accreditation(&self, did: &str, vct: &str) -> Result<Option<Accreditation>, TrustError> {
        Ok(self.accreditations.get(&(did.to_string(), vct.to_string())).cloned())
    }

    fn status_anchor(&self, did: &str, uri: &str) -> Result<Option<StatusAnchor>, TrustError> {
        Ok(self.anchors.get(&(did.to_string(), uri.to_string())).cloned())
    }

    fn status_token(&self, uri: &str) -> Result<Arc<str>, TrustError> {
        self.tokens.get(uri).cloned().ok_or_else(|| TrustError(format!("no status list token known for {uri}")))
    }

    fn policy(&self, id: &str) -> Result<Option<Policy>, TrustError> {
        Ok(self.policies.get(id).cloned())
    }

    fn credential_type(&self, vct: &str) -> Result<Option<CredentialType>, TrustError> {
        Ok(self.types.get(vct).cloned())
    }
}
