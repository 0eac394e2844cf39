use dojang_ledger::{query_answer, query_number, ModuleError, StateRead};
use dojang_types::Address;
use serde_json::Value;

use crate::state;
use crate::views::Series;

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
            let after_index = query_number(params, "after_index")?
                .map(|i| {
                    u32::try_from(i)
                        .map_err(|_| ModuleError::InvalidMessage(format!("after_index {i} is not a transaction index")))
                })
                .transpose()?;
            let after = query_number(params, "after_height")?.map(|h| (h, after_index.unwrap_or(u32::MAX)));
            let limit = query_number(params, "limit")?.unwrap_or(100).min(1000) as usize;
            query_answer(&Series {
                account: a,
                namespace: ns.to_string(),
                records: state::records(st, &a, ns, after, limit)?,
            })
        }
        ["record", addr, ns, height, index] => {
            let a: Address = addr.parse().map_err(ModuleError::InvalidMessage)?;
            let (h, i) = (number(height, "block height")?, number(index, "transaction index")?);
            let r = state::record(st, &a, ns, h, i)?
                .ok_or_else(|| ModuleError::NotFound(format!("anchor of {a}/{ns} at {h}/{i}")))?;
            query_answer(&r)
        }
        _ => Err(ModuleError::NotFound(format!(
            "anchor query '{path}' (known: series/<address>/<namespace>, record/<address>/<namespace>/<height>/<index>)"
        ))),
    }
}
