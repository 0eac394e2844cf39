use dojang_types::Hash;
use serde::{Deserialize, Serialize};

/// `{"type": "anchor", "namespace": "eligibility.public-works.2026", "root": "<hex>", "leaves": 512}`
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case", deny_unknown_fields)]
pub enum AnchorMsg {
    Anchor {
        /// What series of records this root belongs to, chosen by the anchoring account.
        namespace: String,
        /// Merkle root over the batch's salted leaves.
        root: Hash,
        /// How many leaves the batch has.
        leaves: u64,
    },
}
