//! What the collections module tells the world (see `dojang_types::ModuleEvent`). Events
//! carry collection ids, record keys and commitments: never a payload.

use dojang_types::{Address, Hash, ModuleEvent};
use serde::{Deserialize, Serialize};

use crate::NAME;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CollectionsEvent {
    CollectionDefined {
        collection: String,
        members: u64,
        retention_days: u32,
    },
    Recorded {
        collection: String,
        key: String,
        commitment: Hash,
        purge_at_ms: u64,
    },
    ErasureRequested {
        collection: String,
        key: String,
        by: Address,
        requests: u64,
        needed: u32,
    },
    /// Payload and salt are to be deleted on every member (`reason`: `retention` or `erasure`).
    Purged {
        collection: String,
        key: String,
        reason: String,
    },
}

impl ModuleEvent for CollectionsEvent {
    const MODULE: &'static str = NAME;
}
