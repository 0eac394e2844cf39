use dojang_ledger::{ModuleError, StateRead};
use dojang_types::Address;
use serde_json::{json, Value};

use crate::state;

/// Queries:
/// - `series/<address>/<namespace>` with optional `{"from": seq, "limit": n}`: anchors in order
/// - `record/<address>/<namespace>/<seq>`: one anchor
pub fn query(st: &dyn StateRead, path: &str, params: &Value) -> Result<Value, ModuleError> {
    let parts: Vec<&str> = path.split('/').collect();
    match parts.as_slice() {
        ["series", addr, ns] => {
            let a: Address = addr.parse().map_err(ModuleError::InvalidMessage)?;
            let from = params.get("from").and_then(Value::as_u64).unwrap_or(0);
            let limit = params.get("limit").and_then(Value::as_u64).unwrap_or(100).min(1000) as usize;
            let len = state::series_len(st, &a, ns)?;
            Ok(json!({ "account": a, "namespace": ns, "length": len, "records": state::records(st, &a, ns, from, limit)? }))
        }
        ["record", addr, ns, seq] => {
            let a: Address = addr.parse().map_err(ModuleError::InvalidMessage)?;
            let seq: u64 = seq.parse().map_err(|_| ModuleError::InvalidMessage(format!("'{seq}' is not a sequence number")))?;
            let r = state::record(st, &a, ns, seq)?
                .ok_or_else(|| ModuleError::NotFound(format!("anchor {seq} of {a}/{ns}")))?;
            Ok(json!(r))
        }
        _ => Err(ModuleError::NotFound(format!(
            "anchor query '{path}' (known: series/<address>/<namespace>, record/<address>/<namespace>/<seq>)"
        ))),
    }
}
