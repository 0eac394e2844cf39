use dojang_ledger::{decode_record, read_record, write_record, ModuleError, StateRead, StateWrite};
use dojang_types::{Address, Hash};
use serde::{Deserialize, Serialize};

/// One anchored root. Its place in the series is its place in the chain (height, index), so
/// appending needs no counter and no read.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AnchorRecord {
    pub root: Hash,
    pub leaves: u64,
    pub height: u64,
    pub index: u32,
    pub time_ms: u64,
    pub tx_id: Hash,
}

pub fn series_prefix(sender: &Address, namespace: &str) -> Vec<u8> {
    format!("records/{sender}/{namespace}/").into_bytes()
}

/// Zero-padded so that key order is chain order.
pub fn record_key(sender: &Address, namespace: &str, height: u64, index: u32) -> Vec<u8> {
    format!("records/{sender}/{namespace}/{height:020}.{index:010}").into_bytes()
}

pub fn append(state: &mut dyn StateWrite, sender: &Address, namespace: &str, record: &AnchorRecord) {
    let key = record_key(sender, namespace, record.height, record.index);
    write_record(state, &key, record);
}

pub fn record(
    state: &dyn StateRead,
    sender: &Address,
    namespace: &str,
    height: u64,
    index: u32,
) -> Result<Option<AnchorRecord>, ModuleError> {
    read_record(state, &record_key(sender, namespace, height, index))
}

/// Anchors of a series in chain order, starting after `(height, index)` when given.
pub fn records(
    state: &dyn StateRead,
    sender: &Address,
    namespace: &str,
    after: Option<(u64, u32)>,
    limit: usize,
) -> Result<Vec<AnchorRecord>, ModuleError> {
    let after = after.map(|(h, i)| record_key(sender, namespace, h, i));
    state
        .scan(&series_prefix(sender, namespace), after.as_deref(), limit)?
        .into_iter()
        .map(|(_, v)| decode_record(&v, "anchor"))
        .collect()
}
