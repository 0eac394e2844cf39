//! Read-only queries, each record with its state key so that a client can read it again with
//! a proof: `relying_party/<id>`.

use dojang_ledger::{keyed_answer, ModuleError, StateRead};
use serde_json::Value;

use crate::state::{relying_party_key, RelyingParty};
use crate::NAME;

pub fn query(state: &dyn StateRead, path: &str, _params: &Value) -> Result<Value, ModuleError> {
    let parts: Vec<&str> = path.split('/').collect();
    match parts.as_slice() {
        ["relying_party", id] => {
            keyed_answer::<RelyingParty>(state, NAME, &relying_party_key(id), || format!("relying party '{id}'"))
        }
        _ => Err(ModuleError::NotFound(format!("no login query '{path}'; ask relying_party/<id>"))),
    }
}
