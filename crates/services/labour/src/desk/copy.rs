//! The worker's copy of the contract (LSA art. 17). Every version, and every week's timesheet,
//! exactly as the collection holds it: the payload's bytes, its salt and its key. With them the
//! worker's wallet recomputes each commitment (COL-05), compares it with the ledger's before
//! the worker signs a version or confirms a week, and keeps a copy whose every word it can prove
//! to the labour office later. The app hands the copy to the worker (the web wallet opens it
//! from a link); the desk keeps nothing of it.

use std::sync::Arc;

use axum::extract::{Path, State};
use axum::http::HeaderMap;
use axum::response::IntoResponse;
use axum::Json;
use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64URL;
use base64::Engine;
use futures::stream::{self, StreamExt, TryStreamExt};
use serde_json::{json, Value};

use super::api::{admit, entry, Answer, Refused};
use super::chain::FETCH_AT_ONCE;
use super::Desk;

/// What the copy says it is.
pub const COPY_KIND: &str = "dojang/labour/worker-copy/v1";

pub async fn worker_copy(State(desk): State<Arc<Desk>>, headers: HeaderMap, Path(id): Path<String>) -> Answer {
    let client = admit(&desk, &headers)?;
    let e = entry(&desk, client, &id)?;
    let chain = &desk.chain;
    let record = |key: String| async move {
        let held = chain.held(&key).await?;
        Ok::<Value, Refused>(json!({
            "key": key,
            "commitment": held.commitment,
            "salt": hex::encode(held.salt),
            "payload": B64URL.encode(&held.payload),
        }))
    };
    let versions: Vec<Value> = stream::iter(e.versions.clone())
        .map(|v| async move {
            let mut r = record(v.key).await?;
            r["version"] = json!(v.version);
            Ok::<Value, Refused>(r)
        })
        .buffered(FETCH_AT_ONCE)
        .try_collect()
        .await?;
    let weeks: Vec<Value> = stream::iter(e.weeks.clone())
        .map(|(monday, w)| async move {
            let mut r = record(w.key).await?;
            r["monday"] = json!(monday);
            Ok::<Value, Refused>(r)
        })
        .buffered(FETCH_AT_ONCE)
        .try_collect()
        .await?;
    Ok(Json(json!({
        "kind": COPY_KIND,
        "chain_id": chain.chain_id,
        "collection": chain.collection(),
        "contract": id,
        "employer": e.employer,
        "worker": e.worker,
        "versions": versions,
        "weeks": weeks,
    }))
    .into_response())
}
