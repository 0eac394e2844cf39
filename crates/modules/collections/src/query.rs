use dojang_ledger::{ModuleError, StateRead};
use serde_json::{json, Value};

use crate::state::{self, Record};

const MAX_PAGE: u64 = 500;

/// Read-only queries:
/// - `collections` with optional `{"after": id, "limit": n}`: collection ids
/// - `collection/<id>`: members, erasure approvals, retention
/// - `record/<id>/<key>`: the commitment, who recorded it, when it is purged, erasure requests
/// - `records/<id>` with optional `{"after": key, "limit": n}`: records in key order
pub fn query(state: &dyn StateRead, path: &str, params: &Value) -> Result<Value, ModuleError> {
    let limit = match params.get("limit") {
        None => 100,
        Some(v) => page_limit(v)?,
    };
    let after = match params.get("after") {
        None => None,
        Some(Value::String(s)) => Some(s.as_str()),
        Some(other) => return Err(ModuleError::InvalidMessage(format!("after must be a string, not {other}"))),
    };
    match path.split('/').collect::<Vec<_>>().as_slice() {
        ["collections"] => Ok(json!({ "collections": state::collection_ids(state, after, limit)? })),
        ["collection", id] => {
            let c = state::collection(state, id)?.ok_or_else(|| ModuleError::NotFound(format!("collection '{id}'")))?;
            Ok(json!({
                "id": id,
                "members": c.members,
                "erasure_approvals": c.erasure_approvals,
                "retention_days": c.retention_days,
                "defined_at_height": c.defined_at_height,
            }))
        }
        ["record", id, key] => {
            let r =
                state::record(state, id, key)?.ok_or_else(|| ModuleError::NotFound(format!("record '{id}/{key}'")))?;
            Ok(record_json(key, &r))
        }
        ["records", id] => {
            let rows = state::records(state, id, after, limit)?;
            Ok(json!({ "records": rows.iter().map(|(k, r)| record_json(k, r)).collect::<Vec<_>>() }))
        }
        _ => Err(ModuleError::NotFound(format!("query path '{path}'"))),
    }
}

fn record_json(key: &str, r: &Record) -> Value {
    json!({
        "key": key,
        "commitment": r.commitment,
        "recorded_by": r.recorded_by,
        "height": r.height,
        "time_ms": r.time_ms,
        "purge_at_ms": r.purge_at_ms,
        "erasure_requests": r.erasure_requests,
        "purged": r.purged.as_ref().map(|p| json!({"height": p.height, "reason": p.reason})),
    })
}

fn page_limit(v: &Value) -> Result<usize, ModuleError> {
    let n = match v {
        Value::Number(n) => n.as_u64(),
        Value::String(s) => s.parse().ok(),
        _ => None,
    };
    match n {
        Some(n) if (1..=MAX_PAGE).contains(&n) => Ok(n as usize),
        _ => Err(ModuleError::InvalidMessage(format!("limit must be a whole number from 1 to {MAX_PAGE}"))),
    }
}
