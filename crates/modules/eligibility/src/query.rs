use dojang_ledger::{query_answer, ModuleError, StateRead};
use dojang_types::KeyedRecord;
use serde_json::Value;

use crate::state;

/// Queries (each answers `{"key", "record"}`; the key reads the same record with a proof):
/// `program/<id>`, `ruleset/<id>/<version>`, `batch/<id>/<n>`.
pub fn query(st: &dyn StateRead, path: &str, _params: &Value) -> Result<Value, ModuleError> {
    let number = |s: &str| s.parse::<u64>().map_err(|_| ModuleError::InvalidMessage(format!("'{s}' is not a number")));
    let parts: Vec<&str> = path.split('/').collect();
    let key = match parts.as_slice() {
        ["program", id] => state::program_key(id),
        ["ruleset", id, v] => state::ruleset_key(id, u32::try_from(number(v)?).unwrap_or(u32::MAX)),
        ["batch", id, n] => state::batch_key(id, number(n)?),
        _ => {
            return Err(ModuleError::NotFound(format!(
                "eligibility query '{path}' (known: program/<id>, ruleset/<id>/<version>, batch/<id>/<n>)"
            )))
        }
    };
    let record: Value =
        state::read(st, &key)?.ok_or_else(|| ModuleError::NotFound(format!("eligibility record {key}")))?;
    query_answer(&KeyedRecord { key: format!("{}/{key}", crate::NAME), record })
}
