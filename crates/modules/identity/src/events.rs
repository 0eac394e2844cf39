//! What the identity module tells the world (see `dojang_types::ModuleEvent`).

use dojang_types::{Address, Hash, ModuleEvent};
use serde::{Deserialize, Serialize};

use crate::NAME;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum IdentityEvent {
    OrgRegistered {
        did: String,
        kid: String,
        controller: Address,
    },
    KeyAdded {
        did: String,
        kid: String,
        valid_from_ms: u64,
    },
    /// A key ended by routine rotation.
    KeyEnded {
        did: String,
        kid: String,
        valid_until_ms: u64,
    },
    /// A key ended by revocation (compromise).
    KeyRevoked {
        did: String,
        kid: String,
        valid_until_ms: u64,
    },
    RootSet {
        did: String,
        by: Address,
    },
    Accredited {
        issuer: String,
        vct: String,
    },
    /// `change`: `suspend`, `reinstate` or `revoke`.
    AccreditationChanged {
        issuer: String,
        vct: String,
        change: String,
    },
    TypeRegistered {
        vct: String,
        schema_hash: Hash,
    },
    StatusListAnchored {
        did: String,
        uri: String,
        version: u64,
        hash: Hash,
    },
    PolicyRegistered {
        id: String,
        verifier: String,
    },
    PolicyWithdrawn {
        id: String,
    },
}

impl ModuleEvent for IdentityEvent {
    const MODULE: &'static str = NAME;
}
