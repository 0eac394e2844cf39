use std::collections::BTreeMap;

use axum::extract::rejection::PathRejection;
use axum::extract::{Path, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::Deserialize;
use serde_json::{json, Value};

use crate::extract::StrictQuery;
use crate::problem::{blocking, Problem};
use crate::AppState;

/// Longest state key a client may ask for, in bytes. Module keys are a module name, a prefix
/// and an address or hash: far shorter. The bound keeps a request from making the node hash
/// and look up megabytes.
pub(crate) const MAX_KEY_BYTES: usize = 1024;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StateQuery {
    /// The full state key as text, e.g. `governance/accounts/dj…`.
    key: Option<String>,
    /// Or the key as hex, for binary keys.
    key_hex: Option<String>,
    /// The block whose state to read; the latest when absent. Only the latest state is kept
    /// (decision 0027): an older height is answered 410.
    height: Option<u64>,
}

/// `GET /v1/state?key=…[&height=…]`: the latest value of a state key with a path proof through
/// the state trie against the state root in the latest header (`height`), and that header's
/// commit certificate, so a client can check the answer without trusting this node.
pub async fn read(State(s): State<AppState>, StrictQuery(q): StrictQuery<StateQuery>) -> Result<Json<Value>, Problem> {
    let key = match (q.key, q.key_hex) {
        (Some(k), None) => k.into_bytes(),
        (None, Some(h)) => {
            hex::decode(&h).map_err(|e| Problem::bad_request("malformed-key", format!("key_hex is not hex: {e}")))?
        }
        _ => return Err(Problem::bad_request("malformed-key", "give exactly one of key or key_hex")),
    };
    if key.is_empty() || key.len() > MAX_KEY_BYTES {
        return Err(Problem::bad_request(
            "malformed-key",
            format!("a state key is 1 to {MAX_KEY_BYTES} bytes; this one is {}", key.len()),
        ));
    }
    let (latest, _, _) = s.ledger.head();
    if let Some(height) = q.height {
        if height > latest {
            return Err(Problem::not_found(format!("height {height} is not finalized yet (latest is {latest})")));
        }
    }
    let ledger = s.ledger.clone();
    let asked = q.height;
    let answer = blocking(move || {
        let store = ledger.store();
        let proof = store.prove(&key)?;
        let height = proof.version;
        if asked.is_some_and(|h| h != height) {
            return Err(Problem::new(
                StatusCode::GONE,
                "state-not-kept",
                format!(
                    "this node keeps the latest state only (block {height}); read without height, or ask an \
                     archive node for the state at block {}",
                    asked.unwrap_or_default()
                ),
            ));
        }
        let header = if height == 0 { None } else { store.block(height)?.map(|b| b.header) };
        let commit = if height == 0 { None } else { store.commit(height)? };
        let value_json = proof.value.as_ref().and_then(|v| serde_json::from_slice::<Value>(v).ok());
        Ok(json!({
            "key_hex": hex::encode(&key),
            "height": height,
            "exists": proof.value.is_some(),
            "value_hex": proof.value.as_ref().map(hex::encode),
            "value": value_json,
            "state_root": proof.root,
            "proof_hex": hex::encode(&proof.proof),
            "header": header,
            "commit": commit,
        }))
    })
    .await?;
    Ok(Json(answer))
}

/// `GET /v1/query/{module}/{path}?…`: a module's read-only query on the latest state.
/// Query-string values that are whole numbers (decimal digits only) are passed as numbers.
pub async fn query(
    State(s): State<AppState>,
    path: Result<Path<(String, String)>, PathRejection>,
    StrictQuery(params): StrictQuery<BTreeMap<String, String>>,
) -> Result<Response, Problem> {
    let Path((module, path)) = path?;
    let params: serde_json::Map<String, Value> = params
        .into_iter()
        .map(|(k, v)| {
            let number = v.bytes().all(|b| b.is_ascii_digit()).then(|| v.parse::<u64>().ok()).flatten();
            let val = number.map(Value::from).unwrap_or(Value::String(v));
            (k, val)
        })
        .collect();
    let ledger = s.ledger.clone();
    // The module writes its answer as JSON itself, so stored records go out as they are stored.
    let answer = blocking(move || Ok(ledger.query_json(&module, &path, &Value::Object(params))?)).await?;
    Ok(([(header::CONTENT_TYPE, "application/json")], answer).into_response())
}

/// Most keys one `/v1/state/keys` page lists.
pub(crate) const MAX_KEYS_PAGE: usize = 200;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct KeysQuery {
    /// Keys starting with this text, e.g. `identity/orgs/`.
    prefix: String,
    /// Continue after this key (the previous page's `next_after`).
    after: Option<String>,
    /// Or after this key as hex (`next_after_hex`, for keys that are not text).
    after_hex: Option<String>,
    limit: Option<usize>,
}

/// `GET /v1/state/keys?prefix=…[&after=…|&after_hex=…][&limit=…]`: the keys under a prefix in
/// the latest state, in key order (`height`: the latest height as the page was read). An
/// index, not a proof: a client lists registries with it, then reads each key through
/// `/v1/state` and checks its proof. Keys that are text come as `key`; every key also comes as
/// `key_hex`; a full page says where to continue (`next_after`, `next_after_hex`).
pub async fn keys(State(s): State<AppState>, StrictQuery(q): StrictQuery<KeysQuery>) -> Result<Json<Value>, Problem> {
    let after: Option<Vec<u8>> = match (q.after, q.after_hex) {
        (Some(_), Some(_)) => {
            return Err(Problem::bad_request("malformed-key", "give at most one of after and after_hex"))
        }
        (Some(a), None) => Some(a.into_bytes()),
        (None, Some(h)) => Some(
            hex::decode(&h).map_err(|e| Problem::bad_request("malformed-key", format!("after_hex is not hex: {e}")))?,
        ),
        (None, None) => None,
    };
    if q.prefix.len() > MAX_KEY_BYTES || after.as_ref().is_some_and(|a| a.len() > MAX_KEY_BYTES) {
        return Err(Problem::bad_request(
            "malformed-key",
            format!("prefix and after are at most {MAX_KEY_BYTES} bytes"),
        ));
    }
    let limit = q.limit.unwrap_or(50);
    if !(1..=MAX_KEYS_PAGE).contains(&limit) {
        return Err(Problem::bad_request("malformed-limit", format!("limit is 1 to {MAX_KEYS_PAGE}")));
    }
    let ledger = s.ledger.clone();
    let answer = blocking(move || {
        let (height, _, _) = ledger.head();
        let view = ledger.committed_state();
        let rows = dojang_ledger::StateRead::scan(&view, q.prefix.as_bytes(), after.as_deref(), limit)?;
        let keys: Vec<Value> = rows
            .iter()
            .map(|(k, _)| json!({ "key": std::str::from_utf8(k).ok(), "key_hex": hex::encode(k) }))
            .collect();
        // A full page may have more after it: say where to continue, as text when the key is.
        let last = rows.last().filter(|_| rows.len() == limit).map(|(k, _)| k);
        Ok(json!({
            "prefix": q.prefix,
            "height": height,
            "keys": keys,
            "next_after": last.and_then(|k| std::str::from_utf8(k).ok()),
            "next_after_hex": last.map(hex::encode),
        }))
    })
    .await?;
    Ok(Json(answer))
}
