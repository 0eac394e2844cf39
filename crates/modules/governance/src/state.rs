use std::collections::BTreeMap;

use dojang_ledger::{
    decode_record, read_module_record, read_record, write_record, ModuleError, StateRead, StateWrite, StoreError,
};
use dojang_types::{Address, Date};
use serde::{Deserialize, Serialize};

use crate::msg::{ParamValue, Role};

/// How a role came to an account.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RoleGrant {
    /// `None` for roles written in the genesis file.
    pub granted_by: Option<Address>,
    pub height: u64,
}

/// An account's roles. Accounts without roles have no record.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccountRecord {
    pub roles: BTreeMap<Role, RoleGrant>,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub label: String,
}

/// One version of a parameter.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ParamVersion {
    pub effective_from: Date,
    pub value: ParamValue,
    pub legal_basis: String,
    pub set_by: Option<Address>,
    pub height: u64,
}

/// Every version of one parameter, ordered by `effective_from`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ParamHistory {
    pub versions: Vec<ParamVersion>,
}

pub fn account_key(a: &Address) -> Vec<u8> {
    format!("accounts/{a}").into_bytes()
}

pub fn role_index_prefix(role: Role) -> Vec<u8> {
    format!("roles/{}/", role.as_str()).into_bytes()
}

pub fn role_index_key(role: Role, a: &Address) -> Vec<u8> {
    format!("roles/{}/{a}", role.as_str()).into_bytes()
}

pub fn param_key(table: &str, key: &str) -> Vec<u8> {
    format!("params/{table}/{key}").into_bytes()
}

pub fn param_table_prefix(table: &str) -> Vec<u8> {
    format!("params/{table}/").into_bytes()
}

pub fn account(state: &dyn StateRead, a: &Address) -> Result<AccountRecord, ModuleError> {
    Ok(read_record(state, &account_key(a))?.unwrap_or_default())
}

/// For other modules: does account `a` hold `role`? Read through the ledger's read-only
/// cross-module door, so the identity registries can check roles without owning them.
pub fn holds_role(state: &dyn StateRead, a: &Address, role: Role) -> Result<bool, ModuleError> {
    Ok(roles_of(state, a)?.contains(&role))
}

/// The roles an account holds, read through the cross-module door so the ledger (and other
/// modules) can ask from any module's state view.
pub fn roles_of(state: &dyn StateRead, a: &Address) -> Result<Vec<Role>, ModuleError> {
    let record: Option<AccountRecord> = read_module_record(state, crate::NAME, &account_key(a))?;
    Ok(record.map(|r| r.roles.into_keys().collect()).unwrap_or_default())
}

/// Writes an account record and keeps the by-role index in step.
pub fn put_account(state: &mut dyn StateWrite, a: &Address, before: &AccountRecord, after: &AccountRecord) {
    for role in before.roles.keys().filter(|r| !after.roles.contains_key(r)) {
        state.delete(&role_index_key(*role, a));
    }
    for role in after.roles.keys().filter(|r| !before.roles.contains_key(r)) {
        state.put(&role_index_key(*role, a), b"1".to_vec());
    }
    if after.roles.is_empty() {
        state.delete(&account_key(a));
    } else {
        write_record(state, &account_key(a), after);
    }
}

/// Accounts holding a role, in address order, after `start_after`, at most `limit`.
pub fn accounts_with_role(
    state: &dyn StateRead,
    role: Role,
    start_after: Option<&Address>,
    limit: usize,
) -> Result<Vec<Address>, ModuleError> {
    let prefix = role_index_prefix(role);
    let after = start_after.map(|a| role_index_key(role, a));
    let rows = state.scan(&prefix, after.as_deref(), limit)?;
    rows.into_iter()
        .map(|(k, _)| {
            let s = String::from_utf8_lossy(&k[prefix.len()..]).to_string();
            s.parse().map_err(|e: String| ModuleError::Storage(StoreError::Corrupt(e)))
        })
        .collect()
}

pub fn param_history(state: &dyn StateRead, table: &str, key: &str) -> Result<ParamHistory, ModuleError> {
    Ok(read_record(state, &param_key(table, key))?.unwrap_or_default())
}

pub fn put_param_history(state: &mut dyn StateWrite, table: &str, key: &str, h: &ParamHistory) {
    write_record(state, &param_key(table, key), h);
}

/// All parameter histories of a table, by key.
pub fn param_table(
    state: &dyn StateRead,
    table: &str,
    limit: usize,
) -> Result<Vec<(String, ParamHistory)>, ModuleError> {
    let prefix = param_table_prefix(table);
    state
        .scan(&prefix, None, limit)?
        .into_iter()
        .map(|(k, v)| {
            let key = String::from_utf8_lossy(&k[prefix.len()..]).to_string();
            let h = decode_record(&v, "parameter")?;
            Ok((key, h))
        })
        .collect()
}

/// A part of the chain the council switched on (the ledger keeps the height it gates by; this
/// is governance's record of the decision, for queries).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Activation {
    pub module: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub version: Option<String>,
    pub at_height: u64,
    pub decided_at_height: u64,
}

const ACTIVATIONS: &str = "activations/";

fn activation_key(module: &str, version: Option<&str>) -> Vec<u8> {
    format!("{ACTIVATIONS}{}", dojang_ledger::activation_name(module, version)).into_bytes()
}

pub fn put_activation(state: &mut dyn StateWrite, a: &Activation) {
    write_record(state, &activation_key(&a.module, a.version.as_deref()), a);
}

/// Every activation the council decided, by module then version.
pub fn activations(state: &dyn StateRead, limit: usize) -> Result<Vec<Activation>, ModuleError> {
    state
        .scan(ACTIVATIONS.as_bytes(), None, limit)?
        .into_iter()
        .map(|(k, v)| decode_record(&v, &String::from_utf8_lossy(&k)))
        .collect()
}
