use axum::extract::rejection::PathRejection;
use axum::extract::{Path, State};
use axum::response::Response;
use axum::Json;
use dojang_ledger::Ledger;
use dojang_types::{Block, Hash};
use serde_json::{json, Value};

use crate::extract::shown;
use crate::problem::{blocking_json, Problem};
use crate::AppState;

/// A block with its hash, certificate and transaction ids as JSON. The ids are what the
/// header's `txs_root` is built over, so a client proves the list (and each id's place) from
/// the certified header alone; the JSON form of a message cannot give back the signed bytes.
/// Decoding and serializing walk the whole block, so callers run this (and the serialization
/// to bytes) on the blocking pool.
fn block_json(ledger: &Ledger, block: Block) -> Result<Value, Problem> {
    let commit = ledger.store().commit(block.header.height)?;
    let tx_ids: Vec<Hash> = block.txs.iter().map(|t| t.id()).collect();
    Ok(json!({ "hash": block.hash(), "block": block, "commit": commit, "tx_ids": tx_ids }))
}

fn block_at(ledger: &Ledger, height: u64, missing: impl FnOnce() -> String) -> Result<Value, Problem> {
    let block = ledger.store().block(height)?.ok_or_else(|| Problem::not_found(missing()))?;
    block_json(ledger, block)
}

/// A height in a path: decimal digits only (no sign, no spaces), at most `u64::MAX`.
fn parse_height(text: &str) -> Option<u64> {
    if text.is_empty() || !text.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    text.parse().ok()
}

/// `GET /v1/status`: what chain this is and how far it has got.
pub async fn status(State(s): State<AppState>) -> Json<Value> {
    let (height, hash, time_ms) = s.ledger.head();
    let g = s.ledger.genesis();
    Json(json!({
        "chain_id": g.chain_id,
        "genesis_hash": g.hash(),
        "height": height,
        "latest_block_hash": hash,
        "latest_block_time_ms": time_ms,
        "mempool_size": s.ledger.mempool_len(),
        "validators": *s.ledger.validators(),
        "modules": s.ledger.router().names().collect::<Vec<_>>(),
    }))
}

/// `GET /v1/blocks/latest`
pub async fn latest(State(s): State<AppState>) -> Result<Response, Problem> {
    let (height, _, _) = s.ledger.head();
    if height == 0 {
        return Err(Problem::not_found("no block has been finalized yet"));
    }
    let ledger = s.ledger.clone();
    blocking_json(move || block_at(&ledger, height, || format!("block {height}"))).await
}

/// `GET /v1/blocks/{height}`
pub async fn by_height(
    State(s): State<AppState>,
    height: Result<Path<String>, PathRejection>,
) -> Result<Response, Problem> {
    let Path(height) = height?;
    let h = parse_height(&height).ok_or_else(|| {
        Problem::bad_request("malformed-height", format!("'{}' is not a block height (a whole number)", shown(&height)))
    })?;
    let ledger = s.ledger.clone();
    blocking_json(move || block_at(&ledger, h, || format!("block {h} is not finalized"))).await
}

/// `GET /v1/blocks/by-hash/{hash}`
pub async fn by_hash(
    State(s): State<AppState>,
    hash: Result<Path<String>, PathRejection>,
) -> Result<Response, Problem> {
    let Path(hash) = hash?;
    let hash: Hash = hash.parse().map_err(|e: String| Problem::bad_request("malformed-hash", e))?;
    let ledger = s.ledger.clone();
    blocking_json(move || {
        let h =
            ledger.store().height_of(&hash)?.ok_or_else(|| Problem::not_found(format!("no finalized block {hash}")))?;
        block_at(&ledger, h, || format!("block {h}"))
    })
    .await
}
