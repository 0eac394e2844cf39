//! What nodes ask of each other over the API: the validator set of a height (with its proof),
//! finalized blocks in batches for catch-up, and equivocation evidence.

use axum::extract::State;
use axum::http::header;
use axum::response::{IntoResponse, Response};
use axum::Json;
use dojang_ledger::VALIDATORS_KEY;
use dojang_types::{encode, validators_hash, Commit};
use serde::Deserialize;
use serde_json::{json, Value};

use crate::extract::StrictQuery;
use crate::problem::{blocking, Problem};
use crate::AppState;

/// Most blocks one `/v1/sync/blocks` answer carries.
pub const MAX_SYNC_BLOCKS: u64 = 1000;
/// The byte budget of one `/v1/sync/blocks` answer: blocks are added until their encoded
/// size reaches it, so an answer is at most this plus one block (plus certificates). A node
/// catching up sizes its read limit for a peer's answer from it.
pub const MAX_SYNC_BYTES: usize = 32 * 1024 * 1024;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HeightQuery {
    height: Option<u64>,
}

/// `GET /v1/validators[?height=h]`: the set that decides height `h` (the next height when
/// absent), with a proof of it against the state root of block `h - 1`.
pub async fn validators(
    State(s): State<AppState>,
    StrictQuery(q): StrictQuery<HeightQuery>,
) -> Result<Json<Value>, Problem> {
    let (latest, _, _) = s.ledger.head();
    let height = q.height.unwrap_or(latest + 1);
    let ledger = s.ledger.clone();
    let answer = tokio::task::spawn_blocking(move || ledger.validators_at(height))
        .await
        .map_err(Problem::internal)?
        .map_err(Problem::internal)?;
    let Some((set, proof)) = answer else {
        return Err(Problem::not_found(format!(
            "height {height} has no known validator set (heights 1 to {} do)",
            latest + 1
        )));
    };
    let power: u64 = set.iter().map(|v| v.power).sum();
    Ok(Json(json!({
        "height": height,
        "validators_hash": validators_hash(&set),
        "total_power": power,
        "validators": set,
        "proof": { "key": String::from_utf8_lossy(VALIDATORS_KEY), "version": proof.version, "state_root": proof.root, "proof_hex": hex::encode(&proof.proof) },
    })))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SyncQuery {
    from: u64,
    max: Option<u64>,
}

/// `GET /v1/sync/blocks?from=h&max=n`: finalized blocks from `h` with their certificates, as
/// `application/octet-stream` borsh `Vec<(block bytes, Commit)>`. The receiver checks every
/// certificate itself, so any node may serve this.
pub async fn sync_blocks(
    State(s): State<AppState>,
    StrictQuery(q): StrictQuery<SyncQuery>,
) -> Result<Response, Problem> {
    if q.from == 0 {
        return Err(Problem::bad_request("malformed-height", "blocks start at height 1"));
    }
    let max = q.max.unwrap_or(MAX_SYNC_BLOCKS).clamp(1, MAX_SYNC_BLOCKS);
    let ledger = s.ledger.clone();
    // Reading and encoding tens of MiB is done on the blocking pool, off the runtime's workers.
    let body = blocking(move || {
        let store = ledger.store();
        let mut batch: Vec<(Vec<u8>, Commit)> = Vec::new();
        let mut bytes = 0;
        for h in q.from..q.from.saturating_add(max) {
            let (Some(block), Some(commit)) = (store.block_bytes(h)?, store.commit(h)?) else { break };
            bytes += block.len();
            batch.push((block, commit));
            if bytes >= MAX_SYNC_BYTES {
                break;
            }
        }
        Ok(encode(&batch))
    })
    .await?;
    Ok(([(header::CONTENT_TYPE, "application/octet-stream")], body).into_response())
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EvidenceQuery {
    from_height: Option<u64>,
    limit: Option<usize>,
}

/// `GET /v1/evidence[?from_height=h&limit=n]`: equivocations this node has seen, each with
/// both signed messages.
pub async fn evidence(
    State(s): State<AppState>,
    StrictQuery(q): StrictQuery<EvidenceQuery>,
) -> Result<Json<Value>, Problem> {
    let limit = q.limit.unwrap_or(100).clamp(1, 1000);
    let ledger = s.ledger.clone();
    let from = q.from_height.unwrap_or(0);
    let records = blocking(move || ledger.evidence(from, limit).map_err(Problem::internal)).await?;
    Ok(Json(json!({ "count": records.len(), "evidence": records })))
}
