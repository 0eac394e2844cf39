use std::collections::BTreeMap;

use axum::extract::rejection::QueryRejection;
use axum::extract::{Path, Query, State};
use axum::Json;
use serde::Deserialize;
use serde_json::{json, Value};

use crate::problem::Problem;
use crate::AppState;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StateQuery {
    /// The full state key as text, e.g. `governance/accounts/dj…`.
    key: Option<String>,
    /// Or the key as hex, for binary keys.
    key_hex: Option<String>,
    /// The block whose state to read; the latest when absent.
    height: Option<u64>,
}

/// `GET /v1/state?key=…[&height=…]`: a state value with a Jellyfish Merkle proof against the
/// state root in the header of that height, and the header's commit certificate, so a client
/// can check the answer without trusting this node.
pub async fn read(
    State(s): State<AppState>,
    q: Result<Query<StateQuery>, QueryRejection>,
) -> Result<Json<Value>, Problem> {
    let Query(q) = q?;
    let key = match (q.key, q.key_hex) {
        (Some(k), None) => k.into_bytes(),
        (None, Some(h)) => {
            hex::decode(&h).map_err(|e| Problem::bad_request("malformed-key", format!("key_hex is not hex: {e}")))?
        }
        _ => return Err(Problem::bad_request("malformed-key", "give exactly one of key or key_hex")),
    };
    let (latest, _, _) = s.ledger.head();
    let height = q.height.unwrap_or(latest);
    if height > latest {
        return Err(Problem::not_found(format!("height {height} is not finalized yet (latest is {latest})")));
    }
    let store = s.ledger.store();
    let proof = store.prove(&key, height)?;
    let header = if height == 0 { None } else { store.block(height)?.map(|b| b.header) };
    let commit = if height == 0 { None } else { store.commit(height)? };
    let value_json = proof.value.as_ref().and_then(|v| serde_json::from_slice::<Value>(v).ok());
    Ok(Json(json!({
        "key_hex": hex::encode(&key),
        "height": height,
        "exists": proof.value.is_some(),
        "value_hex": proof.value.as_ref().map(hex::encode),
        "value": value_json,
        "state_root": proof.root,
        "proof_hex": hex::encode(&proof.proof),
        "header": header,
        "commit": commit,
    })))
}

/// `GET /v1/query/{module}/{path}?…`: a module's read-only query on the latest state.
/// Query-string values that are whole numbers are passed as numbers.
pub async fn query(
    State(s): State<AppState>,
    Path((module, path)): Path<(String, String)>,
    params: Result<Query<BTreeMap<String, String>>, QueryRejection>,
) -> Result<Json<Value>, Problem> {
    let Query(params) = params?;
    let params: serde_json::Map<String, Value> = params
        .into_iter()
        .map(|(k, v)| {
            let val = v.parse::<u64>().map(Value::from).unwrap_or(Value::String(v));
            (k, val)
        })
        .collect();
    let ledger = s.ledger.clone();
    let answer = tokio::task::spawn_blocking(move || ledger.query(&module, &path, &Value::Object(params)))
        .await
        .map_err(Problem::internal)??;
    Ok(Json(answer))
}
