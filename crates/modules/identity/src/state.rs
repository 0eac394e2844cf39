//! What the identity module keeps. One record per key so that each lookup a verifier makes is
//! one state read with one proof. Records are JSON, like the other modules'.

use dojang_ledger::{read_record, write_record, ModuleError, StateRead, StateWrite};
use dojang_types::{Address, Hash, PublicKey};
use serde::{de::DeserializeOwned, Deserialize, Serialize};
use sha2::{Digest as _, Sha256};

/// One key of an organisation and its validity interval.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct KeyRecord {
    pub kid: String,
    pub public_key: PublicKey,
    pub valid_from_ms: u64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub valid_until_ms: Option<u64>,
    /// Ended by revocation (compromise), not by routine rotation.
    #[serde(default)]
    pub revoked: bool,
}

/// An organisation: its identifier, the account that controls it, and every key it ever had.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OrgRecord {
    pub did: String,
    pub controller: Address,
    pub keys: Vec<KeyRecord>,
    pub registered_height: u64,
}

/// Where an accreditation stands now.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "state", rename_all = "snake_case")]
pub enum Standing {
    Active,
    Suspended { since_ms: u64 },
    Revoked { since_ms: u64 },
}

/// A period during which an accreditation was active.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Period {
    pub from_ms: u64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub until_ms: Option<u64>,
}

/// Root → organisation → credential type, with its whole history.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccreditationRecord {
    pub issuer: String,
    pub vct: String,
    pub accredited_by: String,
    pub periods: Vec<Period>,
    pub standing: Standing,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TypeRecord {
    pub vct: String,
    pub schema_hash: Hash,
    pub concealable: Vec<String>,
    pub thresholds: Vec<String>,
    pub registered_by: String,
    pub height: u64,
}

/// The latest anchored version of one status list.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StatusAnchorRecord {
    pub did: String,
    pub uri: String,
    pub version: u64,
    pub hash: Hash,
    pub time_ms: u64,
    pub height: u64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PolicyRecord {
    pub id: String,
    pub verifier: String,
    pub legal_basis: String,
    pub purpose: String,
    pub dcql: serde_json::Value,
    pub retention_days: u32,
    pub registered_ms: u64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub withdrawn_ms: Option<u64>,
}

pub fn org_key(did: &str) -> String {
    format!("orgs/{did}")
}

pub const ROOT_KEY: &str = "root";

pub fn accreditation_key(issuer: &str, vct: &str) -> String {
    format!("accreditations/{issuer}/{vct}")
}

pub fn type_key(vct: &str) -> String {
    format!("types/{vct}")
}

/// Status lists are found by URI; the key uses its hash so any URI makes a plain key.
pub fn status_key(did: &str, uri: &str) -> String {
    format!("status/{did}/{}", hex::encode(Sha256::digest(uri.as_bytes())))
}

pub fn status_version_key(did: &str, uri: &str, version: u64) -> String {
    format!("{}/{version:020}", status_key(did, uri).replacen("status/", "status_history/", 1))
}

pub fn policy_key(id: &str) -> String {
    format!("policies/{id}")
}

pub fn read<T: DeserializeOwned>(state: &dyn StateRead, key: &str) -> Result<Option<T>, ModuleError> {
    read_record(state, key.as_bytes())
}

pub fn write<T: Serialize>(state: &mut dyn StateWrite, key: &str, value: &T) {
    write_record(state, key.as_bytes(), value);
}

pub fn org(state: &dyn StateRead, did: &str) -> Result<OrgRecord, ModuleError> {
    read(state, &org_key(did))?.ok_or_else(|| ModuleError::NotFound(format!("organisation {did} (register it first)")))
}

pub fn root(state: &dyn StateRead) -> Result<Option<String>, ModuleError> {
    read(state, ROOT_KEY)
}
