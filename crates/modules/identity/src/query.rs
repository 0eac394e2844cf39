use dojang_ledger::{query_answer, ModuleError, StateRead};
use serde_json::Value;

use crate::state::{self, *};
use dojang_types::KeyedRecord;

/// Queries (each answer is one state record; `/v1/state?key=identity/<key>` gives it with a
/// proof, the key is in the answer's `key` field):
/// - `org/<did>`: the organisation and its key history
/// - `root`: the trust root's identifier
/// - `accreditation/<did>/<vct>`: root → organisation → type, with its history
/// - `type/<vct>`, `policy/<id>`
/// - `status?did=<did>&uri=<uri>`: the latest anchored version of a status list
/// - `status_version?did=<did>&uri=<uri>&version=<n>`: one anchored version
pub fn query(st: &dyn StateRead, path: &str, params: &Value) -> Result<Value, ModuleError> {
    let param = |k: &str| {
        params
            .get(k)
            .and_then(Value::as_str)
            .ok_or_else(|| ModuleError::InvalidMessage(format!("parameter '{k}' is required")))
    };
    let key = match path.split_once('/') {
        Some(("org", did)) => org_key(did),
        Some(("accreditation", rest)) => {
            let (did, vct) = split_did_and_rest(rest)?;
            accreditation_key(did, vct)
        }
        Some(("type", vct)) => type_key(vct),
        Some(("policy", id)) => policy_key(id),
        None if path == "root" => ROOT_KEY.to_string(),
        None if path == "status" => status_key(param("did")?, param("uri")?),
        None if path == "status_version" => {
            let v = param("version")?.parse().map_err(|_| ModuleError::InvalidMessage("version is not a number".into()))?;
            status_version_key(param("did")?, param("uri")?, v)
        }
        _ => {
            return Err(ModuleError::NotFound(format!(
                "identity query '{path}' (known: org/<did>, root, accreditation/<did>/<vct>, type/<vct>, policy/<id>, status, status_version)"
            )))
        }
    };
    let record: Value =
        state::read(st, &key)?.ok_or_else(|| ModuleError::NotFound(format!("identity record {key}")))?;
    query_answer(&KeyedRecord { key: format!("{}/{key}", crate::NAME), record })
}

/// `did:web:host[:path]/<vct>`: the DID has no '/', so the first '/' ends it.
fn split_did_and_rest(rest: &str) -> Result<(&str, &str), ModuleError> {
    rest.split_once('/').ok_or_else(|| ModuleError::InvalidMessage("expected accreditation/<did>/<vct>".into()))
}
