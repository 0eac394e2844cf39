use dojang_types::{Hash, PublicKey};
use serde::{Deserialize, Serialize};

/// Identity messages, as JSON: `{"type": "register_org", "did": "did:web:mois.go.kr", ...}`.
/// Times are milliseconds since the Unix epoch; "now" is always the block's time.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case", deny_unknown_fields)]
pub enum IdentityMsg {
    /// Registers an organisation controlled by the sender (who must hold the issuer, verifier or
    /// admin role), with its first key valid from now.
    RegisterOrg {
        did: String,
        kid: String,
        public_key: PublicKey,
    },
    /// Adds a key valid from now (or from a later time).
    AddKey {
        did: String,
        kid: String,
        public_key: PublicKey,
        #[serde(default)]
        valid_from_ms: Option<u64>,
    },
    /// Adds `new_kid` valid from now and ends `old_kid` now: credentials signed by the old key
    /// before now keep verifying.
    RotateKey {
        did: String,
        old_kid: String,
        new_kid: String,
        public_key: PublicKey,
    },
    /// Ends a key from `effective_from_ms`, which may lie in the past (the time a compromise
    /// began): everything it signed from then on stops verifying.
    RevokeKey {
        did: String,
        kid: String,
        effective_from_ms: u64,
    },
    /// Names the trust root (the city). Admin only.
    SetRoot {
        did: String,
    },
    /// The root accredits an organisation to issue a credential type.
    Accredit {
        issuer: String,
        vct: String,
    },
    SuspendAccreditation {
        issuer: String,
        vct: String,
    },
    ReinstateAccreditation {
        issuer: String,
        vct: String,
    },
    RevokeAccreditation {
        issuer: String,
        vct: String,
    },
    /// The root registers a credential type. Only non-personal metadata: the schema's hash,
    /// which claims are concealable, which threshold booleans the type carries.
    RegisterType {
        vct: String,
        schema_hash: Hash,
        concealable: Vec<String>,
        thresholds: Vec<String>,
    },
    /// An issuer anchors a new version of one of its status lists.
    AnchorStatusList {
        did: String,
        uri: String,
        version: u64,
        hash: Hash,
    },
    /// A program office registers what it may ask, before it asks anything.
    RegisterPolicy {
        id: String,
        verifier: String,
        legal_basis: String,
        purpose: String,
        dcql: serde_json::Value,
        retention_days: u32,
    },
    /// Withdraws a policy: wallets refuse requests citing it from now on.
    WithdrawPolicy {
        id: String,
    },
}
