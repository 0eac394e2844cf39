//! The login module's records. A relying party is a facility, never a person; nothing about
//! a citizen's logins reaches the ledger (the wallet keeps that history, AUTH-06).

use dojang_ledger::{read_record, write_record, ModuleError, StateRead, StateWrite};
use serde::{Deserialize, Serialize};

use crate::msg::Registration;

/// A facility as the council registered it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RelyingParty {
    #[serde(flatten)]
    pub registration: Registration,
    pub registered_ms: u64,
    pub updated_ms: u64,
    /// Set while the council has suspended it: no login may be completed for it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub suspended: Option<Suspension>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Suspension {
    pub at_ms: u64,
    pub reason: String,
}

/// Where a relying party lives, within the module's state.
pub fn relying_party_key(id: &str) -> String {
    format!("rp/{id}")
}

/// Its full state key (`login/rp/<id>`), for a read with a proof.
pub fn relying_party_state_key(id: &str) -> String {
    format!("{}/{}", crate::NAME, relying_party_key(id))
}

pub fn read(state: &dyn StateRead, id: &str) -> Result<Option<RelyingParty>, ModuleError> {
    read_record(state, relying_party_key(id).as_bytes())
}

pub fn write(state: &mut dyn StateWrite, rp: &RelyingParty) {
    write_record(state, relying_party_key(&rp.registration.id).as_bytes(), rp)
}
