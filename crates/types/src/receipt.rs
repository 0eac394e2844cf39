use borsh::{BorshDeserialize, BorshSerialize};
use serde::{Deserialize, Serialize};

use crate::hash::Hash;

/// Something a module wants the outside world to notice (a role granted, a parameter set).
/// Attributes are ordered pairs, never a map, so that encoding is deterministic.
#[derive(Clone, Debug, PartialEq, Eq, BorshSerialize, BorshDeserialize, Serialize, Deserialize)]
pub struct Event {
    pub module: String,
    pub kind: String,
    pub attributes: Vec<(String, String)>,
}

/// Whether the module accepted the message. A failed transaction is still recorded (its id is
/// spent, so it cannot be replayed), with the module's reason.
#[derive(Clone, Debug, PartialEq, Eq, BorshSerialize, BorshDeserialize, Serialize, Deserialize)]
#[serde(tag = "status", rename_all = "snake_case")]
pub enum TxStatus {
    Ok,
    Failed { code: String, reason: String },
}

/// The outcome of one transaction in a finalized block.
#[derive(Clone, Debug, PartialEq, Eq, BorshSerialize, BorshDeserialize, Serialize, Deserialize)]
pub struct Receipt {
    pub tx_id: Hash,
    pub height: u64,
    pub index: u32,
    pub result: TxStatus,
    pub events: Vec<Event>,
}

impl Receipt {
    /// The bytes a block header's `receipts_root` commits to: the transaction, its place, its
    /// outcome's stable code and its events, but not a failure's reason text. Reasons are for
    /// people and get reworded between releases; a rewording must not make validators that
    /// run different releases compute different roots.
    pub fn commitment_bytes(&self) -> Vec<u8> {
        let code = match &self.result {
            TxStatus::Ok => None,
            TxStatus::Failed { code, .. } => Some(code.clone()),
        };
        let mut out = b"dojang/receipt/v1\n".to_vec();
        out.extend_from_slice(&crate::encode(&(self.tx_id, self.height, self.index, code, self.events.clone())));
        out
    }
}

impl Event {
    pub fn new(module: &str, kind: &str) -> Self {
        Event { module: module.to_string(), kind: kind.to_string(), attributes: Vec::new() }
    }

    pub fn with(mut self, key: &str, value: impl ToString) -> Self {
        self.attributes.push((key.to_string(), value.to_string()));
        self
    }
}
