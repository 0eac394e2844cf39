//! Records under `collections/`: `defs/<id>` (a collection) and `records/<id>/<key>` (a
//! commitment, who recorded it, when it is purged).

use dojang_ledger::{read_record, write_record, ModuleError, StateRead, StateWrite};
use dojang_types::{Address, Hash};
use serde::{Deserialize, Serialize};

/// A collection the council defined.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Collection {
    pub members: Vec<Address>,
    pub erasure_approvals: u32,
    pub retention_days: u32,
    pub defined_at_height: u64,
}

impl Collection {
    pub fn is_member(&self, account: &Address) -> bool {
        self.members.contains(account)
    }
}

/// Why and when a record's payload and salt were erased.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Purge {
    pub height: u64,
    /// `retention` (its time ran out) or `erasure` (members asked).
    pub reason: String,
}

/// One record: the commitment to a payload only member nodes hold.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Record {
    pub commitment: Hash,
    pub recorded_by: Address,
    pub height: u64,
    pub time_ms: u64,
    /// When its retention ends (a deadline).
    pub purge_at_ms: u64,
    #[serde(default)]
    pub erasure_requests: Vec<Address>,
    #[serde(default)]
    pub purged: Option<Purge>,
}

fn def_key(id: &str) -> Vec<u8> {
    format!("defs/{id}").into_bytes()
}

fn record_key(collection: &str, key: &str) -> Vec<u8> {
    format!("records/{collection}/{key}").into_bytes()
}

pub fn collection(state: &dyn StateRead, id: &str) -> Result<Option<Collection>, ModuleError> {
    read_record(state, &def_key(id))
}

pub fn put_collection(state: &mut dyn StateWrite, id: &str, c: &Collection) {
    write_record(state, &def_key(id), c);
}

pub fn record(state: &dyn StateRead, collection: &str, key: &str) -> Result<Option<Record>, ModuleError> {
    read_record(state, &record_key(collection, key))
}

pub fn put_record(state: &mut dyn StateWrite, collection: &str, key: &str, r: &Record) {
    write_record(state, &record_key(collection, key), r);
}

/// Records of a collection in key order, after `after`, at most `limit`.
pub fn records(
    state: &dyn StateRead,
    collection: &str,
    after: Option<&str>,
    limit: usize,
) -> Result<Vec<(String, Record)>, ModuleError> {
    records_under(state, "", collection, after, limit)
}

/// Collection ids in order, after `after`, at most `limit`.
pub fn collection_ids(state: &dyn StateRead, after: Option<&str>, limit: usize) -> Result<Vec<String>, ModuleError> {
    collection_ids_under(state, "", after, limit)
}

/// [`records`] on a view whose keys start with `base` (`""` for the module's own view,
/// `"collections/"` for the ledger's committed view).
pub(crate) fn records_under(
    state: &dyn StateRead,
    base: &str,
    collection: &str,
    after: Option<&str>,
    limit: usize,
) -> Result<Vec<(String, Record)>, ModuleError> {
    let prefix = format!("{base}records/{collection}/");
    let start = after.map(|a| format!("{prefix}{a}").into_bytes());
    state
        .scan(prefix.as_bytes(), start.as_deref(), limit)?
        .into_iter()
        .map(|(k, v)| {
            let key = String::from_utf8_lossy(&k[prefix.len()..]).to_string();
            Ok((key, dojang_ledger::decode_record(&v, "collection record")?))
        })
        .collect()
}

/// [`collection_ids`] on a view whose keys start with `base`.
pub(crate) fn collection_ids_under(
    state: &dyn StateRead,
    base: &str,
    after: Option<&str>,
    limit: usize,
) -> Result<Vec<String>, ModuleError> {
    let prefix = format!("{base}defs/");
    let start = after.map(|a| format!("{prefix}{a}").into_bytes());
    Ok(state
        .scan(prefix.as_bytes(), start.as_deref(), limit)?
        .into_iter()
        .map(|(k, _)| String::from_utf8_lossy(&k[prefix.len()..]).to_string())
        .collect())
}
