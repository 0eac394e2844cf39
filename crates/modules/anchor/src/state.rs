use dojang_ledger::{ModuleError, StateRead, StateWrite, StoreError};
use dojang_types::{Address, Hash};
use serde::{Deserialize, Serialize};

/// One anchored root.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AnchorRecord {
    pub seq: u64,
    pub root: Hash,
    pub leaves: u64,
    pub height: u64,
    pub time_ms: u64,
    pub tx_id: Hash,
}

pub fn series_prefix(sender: &Address, namespace: &str) -> Vec<u8> {
    format!("records/{sender}/{namespace}/").into_bytes()
}

pub fn record_key(sender: &Address, namespace: &str, seq: u64) -> Vec<u8> {
    format!("records/{sender}/{namespace}/{seq:020}").into_bytes()
}

pub fn head_key(sender: &Address, namespace: &str) -> Vec<u8> {
    format!("heads/{sender}/{namespace}").into_bytes()
}

fn corrupt(e: impl std::fmt::Display) -> ModuleError {
    ModuleError::Storage(StoreError::Corrupt(format!("anchor record: {e}")))
}

/// The number of anchors in a series so far.
pub fn series_len(state: &dyn StateRead, sender: &Address, namespace: &str) -> Result<u64, ModuleError> {
    match state.get(&head_key(sender, namespace))? {
        Some(b) => Ok(u64::from_be_bytes(b.as_slice().try_into().map_err(corrupt)?)),
        None => Ok(0),
    }
}

pub fn append(state: &mut dyn StateWrite, sender: &Address, namespace: &str, record: &AnchorRecord) {
    state.put(&record_key(sender, namespace, record.seq), serde_json::to_vec(record).expect("records serialize"));
    state.put(&head_key(sender, namespace), (record.seq + 1).to_be_bytes().to_vec());
}

pub fn record(state: &dyn StateRead, sender: &Address, namespace: &str, seq: u64) -> Result<Option<AnchorRecord>, ModuleError> {
    state
        .get(&record_key(sender, namespace, seq))?
        .map(|b| serde_json::from_slice(&b).map_err(corrupt))
        .transpose()
}

pub fn records(state: &dyn StateRead, sender: &Address, namespace: &str, from_seq: u64, limit: usize) -> Result<Vec<AnchorRecord>, ModuleError> {
    let after = from_seq.checked_sub(1).map(|s| record_key(sender, namespace, s));
    state
        .scan(&series_prefix(sender, namespace), after.as_deref(), limit)?
        .into_iter()
        .map(|(_, v)| serde_json::from_slice(&v).map_err(corrupt))
        .collect()
}
