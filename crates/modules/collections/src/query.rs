use dojang_ledger::{query_answer, query_number, ModuleError, StateRead};
use serde_json::Value;

use crate::state;
use crate::views::{CollectionList, CollectionView, RecordList, RecordView};

const MAX_PAGE: u64 = 500;

/// Read-only queries:
/// - `collections` with optional `{"after": id, "limit": n}`: collection ids
/// - `collection/<id>`: members, erasure approvals, retention
/// - `record/<id>/<key>`: the commitment, who recorded it, when it is purged, erasure requests
/// - `records/<id>` with optional `{"after": key, "limit": n}`: records in key order
pub fn query(state: &dyn StateRead, path: &str, params: &Value) -> Result<Value, ModuleError> {
    let limit = match query_number(params, "limit")? {
        None => 100,
        Some(n) if (1..=MAX_PAGE).contains(&n) => n as usize,
        Some(_) => {
            return Err(ModuleError::InvalidMessage(format!("limit must be a whole number from 1 to {MAX_PAGE}")))
        }
    };
    let after = match params.get("after") {
        None => None,
        Some(Value::String(s)) => Some(s.as_str()),
        Some(other) => return Err(ModuleError::InvalidMessage(format!("after must be a string, not {other}"))),
    };
    match path.split('/').collect::<Vec<_>>().as_slice() {
        ["collections"] => query_answer(&CollectionList { collections: state::collection_ids(state, after, limit)? }),
        ["collection", id] => {
            let c = state::collection(state, id)?.ok_or_else(|| ModuleError::NotFound(format!("collection '{id}'")))?;
            query_answer(&CollectionView { id: id.to_string(), collection: c })
        }
        ["record", id, key] => {
            let r =
                state::record(state, id, key)?.ok_or_else(|| ModuleError::NotFound(format!("record '{id}/{key}'")))?;
            query_answer(&RecordView { key: key.to_string(), record: r })
        }
        ["records", id] => {
            let rows = state::records(state, id, after, limit)?;
            let records = rows.into_iter().map(|(key, record)| RecordView { key, record }).collect();
            query_answer(&RecordList { records })
        }
        _ => Err(ModuleError::NotFound(format!("query path '{path}'"))),
    }
}
