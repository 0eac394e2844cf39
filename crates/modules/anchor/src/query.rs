use dojang_ledger::{ModuleError, StateRead};
use dojang_types::Address;
use serde_json::{json, Value};

use crate::state;

fn number<T: std::str::FromStr>(s: &str, what: &str) -> Result<T, ModuleError> {
    s.parse().map_err(|_| ModuleError::InvalidMessage(format!("'{s}' is not a {what}")))
}

/// Queries:
/// - `series/<address>/<namespace>` with optional `{"after_height": h, "after_index": i, "limit": n}`:
///   anchors in chain order
/// - `record/<address>/<namespace>/<height>/<index>`: one anchor
pub fn query(st: &dyn StateRead, path: &str, params: &Value) -> Result<Value, ModuleError> {
    let parts: Vec<&str> = path.split('/').collect();
    match parts.as_slice() {
        ["series", addr, ns] => {
            let a: Address = addr.parse().map_err(ModuleError::InvalidMessage)?;
            let after = params
                .get("after_height")
                .and_then(Value::as_u64)
                .map(|h| (h, params.get("after_index").and_then(Value::as_u64).unwrap_or(u32::MAX as u64) as u32));
            let limit = params.get("limit").and_then(Value::as_u64).unwrap_or(100).min(1000) as usize;
            Ok(json!({ "account": a, "namespace": ns, "records": state::records(st, &a, ns, after, limit)? }))
        }
        ["record", addr, ns, height, index] => {
            let a: Address = addr.parse().map_err(ModuleError::InvalidMessage)?;
            let (h, i) = (number(height, "block height")?, number(index, "transaction index")?);
            let r = state::record(st, &a, ns, h, i)?
                .ok_or_else(|| ModuleError::NotFound(format!("anchor of {a}/{ns} at {h}/{i}")))?;
            Ok(json!(r))
        }
        _ => Err(ModuleError::NotFound(format!(
            "anchor query '{path}' (known: series/<address>/<namespace>, record/<address>/<namespace>/<height>/<index>)"
        ))),
    }
}
