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
