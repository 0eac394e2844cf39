//! Typed readers for other modules: roles, the council and the legal parameter in force on a
//! date, read through the ledger's read-only door. Other modules use these, never governance's
//! keys or record types.

use dojang_ledger::{read_module_record, ModuleError, StateRead};
use dojang_types::{Address, Date};

use crate::msg::{ParamValue, Role};
use crate::rules;
use crate::state::{self, ParamHistory};

/// Whether account `a` holds `role`.
pub fn holds_role(state: &dyn StateRead, a: &Address, role: Role) -> Result<bool, ModuleError> {
    state::holds_role(state, a, role)
}

/// Whether `a` is a member of the council deciding the current block.
pub fn is_council_member(state: &dyn StateRead, a: &Address) -> Result<bool, ModuleError> {
    crate::council::is_member_now(state, a)
}

/// The value of parameter `table/key` in force on `date` (GOV-05), if any version is.
/// Services read legal figures (the minimum wage, a rate in basis points) through this.
pub fn param_in_force(
    state: &dyn StateRead,
    table: &str,
    key: &str,
    date: Date,
) -> Result<Option<ParamValue>, ModuleError> {
    let history: Option<ParamHistory> = read_module_record(state, crate::NAME, &state::param_key(table, key))?;
    Ok(history.and_then(|h| rules::version_in_force(&h, date).map(|v| v.value)))
}

/// The parameter's value on `date` as `what` takes it (`Days`, `Count` ...), or the refusal a
/// rule gives when the council has not set it (code `missing_parameter`), or set it as
/// another kind of value.
fn typed_in_force<T>(
    state: &dyn StateRead,
    (table, key): (&str, &str),
    date: Date,
    what: &str,
    take: impl FnOnce(ParamValue) -> Option<T>,
) -> Result<T, ModuleError> {
    let missing = |found: String| ModuleError::Rejected {
        code: "missing_parameter".into(),
        reason: format!(
            "the parameter table has no {table}/{key} ({what}) in force on {date}{found}; the council must set it"
        ),
    };
    match param_in_force(state, table, key, date)? {
        None => Err(missing(String::new())),
        Some(v) => take(v).ok_or_else(|| missing(format!(", only {v:?}"))),
    }
}

/// A number of days in force on `date` (a notice period, a window), see [`typed_in_force`].
pub fn days_in_force(state: &dyn StateRead, param: (&str, &str), date: Date) -> Result<u32, ModuleError> {
    typed_in_force(state, param, date, "days", |v| match v {
        ParamValue::Days(d) => Some(d),
        _ => None,
    })
}

/// A count in force on `date` (a limit), see [`typed_in_force`].
pub fn count_in_force(state: &dyn StateRead, param: (&str, &str), date: Date) -> Result<u64, ModuleError> {
    typed_in_force(state, param, date, "count", |v| match v {
        ParamValue::Count(n) => Some(n),
        _ => None,
    })
}

/// An amount of won in force on `date` (a threshold, a daily rate), see [`typed_in_force`].
pub fn krw_in_force(state: &dyn StateRead, param: (&str, &str), date: Date) -> Result<u64, ModuleError> {
    typed_in_force(state, param, date, "KRW", |v| match v {
        ParamValue::Krw(n) => Some(n),
        _ => None,
    })
}

/// Every version of a rate in basis points, as (effective from, bp) in date order: for a rule
/// that runs over a period and must take each day at the rate in force that day (late
/// interest). A version holding another kind of value is refused like a missing one.
pub fn basis_points_history(
    state: &dyn StateRead,
    (table, key): (&str, &str),
) -> Result<Vec<(Date, u32)>, ModuleError> {
    let history: Option<ParamHistory> = read_module_record(state, crate::NAME, &state::param_key(table, key))?;
    let mut out = Vec::new();
    for v in history.map(|h| h.versions).unwrap_or_default() {
        match v.value {
            ParamValue::BasisPoints(bp) => out.push((v.effective_from, bp)),
            other => {
                return Err(ModuleError::Rejected {
                    code: "missing_parameter".into(),
                    reason: format!(
                    "the parameter {table}/{key} from {} holds {other:?}, not basis points; the council must set it",
                    v.effective_from
                ),
                })
            }
        }
    }
    Ok(out)
}
