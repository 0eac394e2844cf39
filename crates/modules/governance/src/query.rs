use dojang_ledger::{ModuleError, StateRead};
use dojang_types::{Address, Date};
use serde_json::{json, Value};

use crate::msg::Role;
use crate::rules;
use crate::state;

const MAX_LIST: usize = 1000;

/// Read-only queries:
/// - `account/<address>`: the account's roles
/// - `role/<role>` with optional `{"after": address, "limit": n}`: accounts holding a role
/// - `param/<table>/<key>` with optional `{"as_of": "YYYY-MM-DD"}`: the version in force (or
///   the whole history without `as_of`)
/// - `params/<table>`: every key of a table with its history
pub fn query(state: &dyn StateRead, path: &str, params: &Value) -> Result<Value, ModuleError> {
    let parts: Vec<&str> = path.split('/').collect();
    match parts.as_slice() {
        ["account", addr] => {
            let a: Address = addr.parse().map_err(ModuleError::InvalidMessage)?;
            let rec = state::account(state, &a)?;
            Ok(json!({ "address": a, "roles": rec.roles, "label": rec.label }))
        }
        ["role", role] => {
            let r = Role::parse(role).ok_or_else(|| ModuleError::InvalidMessage(format!("unknown role '{role}'")))?;
            let after = match params.get("after").and_then(Value::as_str) {
                Some(s) => Some(s.parse::<Address>().map_err(ModuleError::InvalidMessage)?),
                None => None,
            };
            let limit = params.get("limit").and_then(Value::as_u64).unwrap_or(100).min(MAX_LIST as u64) as usize;
            let accounts = state::accounts_with_role(state, r, after.as_ref(), limit)?;
            Ok(json!({ "role": r, "accounts": accounts }))
        }
        ["param", table, key] => {
            let history = state::param_history(state, table, key)?;
            if history.versions.is_empty() {
                return Err(ModuleError::NotFound(format!("parameter {table}/{key}")));
            }
            match params.get("as_of").and_then(Value::as_str) {
                Some(date) => {
                    let d: Date = date.parse().map_err(ModuleError::InvalidMessage)?;
                    let v = rules::version_in_force(&history, d)
                        .ok_or_else(|| ModuleError::NotFound(format!("no version of {table}/{key} in force on {d}")))?;
                    Ok(json!({ "table": table, "key": key, "as_of": d, "version": v }))
                }
                None => Ok(json!({ "table": table, "key": key, "versions": history.versions })),
            }
        }
        ["params", table] => {
            let rows = state::param_table(state, table, MAX_LIST)?;
            let keys: serde_json::Map<String, Value> = rows.into_iter().map(|(k, h)| (k, json!(h.versions))).collect();
            Ok(json!({ "table": table, "keys": keys }))
        }
        _ => Err(ModuleError::NotFound(format!(
            "governance query '{path}' (known: account/<address>, role/<role>, param/<table>/<key>, params/<table>)"
        ))),
    }
}
