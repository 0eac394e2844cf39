//! Typed readers for the off-ledger half (member nodes) and other modules: a collection and
//! its records as the committed state holds them, read through `read_module` so they work on
//! any view of state.

use dojang_ledger::{read_module_record, ModuleError, StateRead};

use crate::state::{self, Collection, Record};
use crate::NAME;

pub fn collection(state: &dyn StateRead, id: &str) -> Result<Option<Collection>, ModuleError> {
    read_module_record(state, NAME, format!("defs/{id}").as_bytes())
}

pub fn record(state: &dyn StateRead, collection: &str, key: &str) -> Result<Option<Record>, ModuleError> {
    read_module_record(state, NAME, format!("records/{collection}/{key}").as_bytes())
}

/// Records of a collection in key order after `after`, at most `limit`. `state` is the
/// ledger's committed view (`Ledger::committed_state`), whose keys are full.
pub fn records(
    state: &dyn StateRead,
    collection: &str,
    after: Option<&str>,
    limit: usize,
) -> Result<Vec<(String, Record)>, ModuleError> {
    state::records_under(state, &format!("{NAME}/"), collection, after, limit)
}

/// Collection ids in order after `after`, at most `limit` (committed view, as [`records`]).
pub fn collection_ids(state: &dyn StateRead, after: Option<&str>, limit: usize) -> Result<Vec<String>, ModuleError> {
    state::collection_ids_under(state, &format!("{NAME}/"), after, limit)
}
