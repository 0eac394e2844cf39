use dojang_types::{Address, Hash};
use serde::{Deserialize, Serialize};

/// Collection messages, as JSON: `{"type": "define", "id": "labour-contracts", "members":
/// ["dj…", "dj…"], "erasure_approvals": 2, "retention_days": 1095}`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case", deny_unknown_fields)]
pub enum CollectionsMsg {
    /// Defines a collection (the council's: it decides who may hold whose personal records).
    Define {
        id: String,
        /// Accounts of the member organisations; each runs a node that holds the payloads.
        members: Vec<Address>,
        /// How many distinct members must ask before a record is erased early.
        erasure_approvals: u32,
        /// How long a record is kept, from the block that records it.
        retention_days: u32,
    },
    /// A member records the salted commitment to a payload its node holds.
    Record { collection: String, key: String, commitment: Hash },
    /// A member asks to erase a record before its retention ends (a data subject's request,
    /// a court order); at the collection's number of requests it is purged.
    RequestErasure { collection: String, key: String },
}
