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

impl Event {
    pub fn new(module: &str, kind: &str) -> Self {
        Event { module: module.to_string(), kind: kind.to_string(), attributes: Vec::new() }
    }

    pub fn with(mut self, key: &str, value: impl ToString) -> Self {
        self.attributes.push((key.to_string(), value.to_string()));
        self
    }
}
