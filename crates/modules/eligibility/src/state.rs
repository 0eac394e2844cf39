use dojang_ledger::{read_record, write_record, ModuleError, StateRead, StateWrite};
use dojang_types::Hash;
use serde::{de::DeserializeOwned, Deserialize, Serialize};

use crate::ruleset::RuleSet;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProgramRecord {
    pub id: String,
    pub office: String,
    pub name: String,
    pub policy: String,
    pub window_opens_ms: u64,
    pub window_closes_ms: u64,
    pub quota: u32,
    pub seed_commitment: Hash,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub seed: Option<Hash>,
    /// Rule-set versions published so far (the latest is this number).
    pub ruleset_versions: u32,
    /// Decision batches anchored so far.
    pub batches: u64,
    pub registered_height: u64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RuleSetRecord {
    pub program: String,
    pub version: u32,
    pub rules: RuleSet,
    pub height: u64,
    pub time_ms: u64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BatchRecord {
    pub program: String,
    pub batch: u64,
    pub root: Hash,
    pub leaves: u64,
    pub height: u64,
    pub time_ms: u64,
}

pub fn program_key(id: &str) -> String {
    format!("programs/{id}")
}

pub fn ruleset_key(program: &str, version: u32) -> String {
    format!("rulesets/{program}/{version:06}")
}

pub fn batch_key(program: &str, batch: u64) -> String {
    format!("batches/{program}/{batch:012}")
}

pub fn read<T: DeserializeOwned>(state: &dyn StateRead, key: &str) -> Result<Option<T>, ModuleError> {
    read_record(state, key.as_bytes())
}

pub fn write<T: Serialize>(state: &mut dyn StateWrite, key: &str, value: &T) {
    write_record(state, key.as_bytes(), value);
}

pub fn program(state: &dyn StateRead, id: &str) -> Result<ProgramRecord, ModuleError> {
    read(state, &program_key(id))?.ok_or_else(|| ModuleError::NotFound(format!("program '{id}'")))
}
