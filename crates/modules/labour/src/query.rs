//! Read-only queries: `contract/<id>`, `employer/<account>`, `timesheet/<id>/<monday>`.

use dojang_ledger::{ModuleError, StateRead};
use dojang_types::{Address, Date};
use serde_json::Value;

use crate::state::{self, Contract, Employer, TimesheetRecord};

pub fn query(state: &dyn StateRead, path: &str, _params: &Value) -> Result<Value, ModuleError> {
    let parts: Vec<&str> = path.split('/').collect();
    let json = |v: Option<Value>, what: String| v.ok_or(ModuleError::NotFound(what));
    match parts.as_slice() {
        ["contract", id] => {
            let c: Option<Contract> = state::read(state, &state::contract_key(id))?;
            json(c.map(|c| serde_json::json!({"contract": c})), format!("contract {id}"))
        }
        ["employer", a] => {
            let a: Address =
                a.parse().map_err(|e| ModuleError::InvalidMessage(format!("'{a}' is not an account: {e}")))?;
            let e: Option<Employer> = state::read(state, &state::employer_key(&a))?;
            json(e.map(|e| serde_json::json!({"employer": e})), format!("employer {a}"))
        }
        ["timesheet", id, monday] => {
            let m: Date =
                monday.parse().map_err(|e| ModuleError::InvalidMessage(format!("'{monday}' is not a date: {e}")))?;
            let t: Option<TimesheetRecord> = state::read(state, &state::timesheet_key(id, m))?;
            json(t.map(|t| serde_json::json!({"timesheet": t})), format!("timesheet {id}/{monday}"))
        }
        _ => Err(ModuleError::InvalidMessage(format!(
            "unknown labour query '{path}' (contract/<id>, employer/<account>, timesheet/<id>/<monday>)"
        ))),
    }
}
