use axum::extract::{Path, State};
use axum::Json;
use dojang_types::{Block, Hash};
use serde_json::{json, Value};

use crate::problem::Problem;
use crate::AppState;

fn block_json(s: &AppState, block: Block) -> Result<Value, Problem> {
    let commit = s.ledger.store().commit(block.header.height)?;
    Ok(json!({ "hash": block.hash(), "block": block, "commit": commit }))
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
pub async fn latest(State(s): State<AppState>) -> Result<Json<Value>, Problem> {
    let (height, _, _) = s.ledger.head();
    if height == 0 {
        return Err(Problem::not_found("no block has been finalized yet"));
    }
    let block = s.ledger.store().block(height)?.ok_or_else(|| Problem::not_found(format!("block {height}")))?;
    Ok(Json(block_json(&s, block)?))
}

/// `GET /v1/blocks/{height}`
pub async fn by_height(State(s): State<AppState>, Path(height): Path<String>) -> Result<Json<Value>, Problem> {
    let h: u64 = height.parse().map_err(|_| {
        Problem::bad_request("malformed-height", format!("'{height}' is not a block height (a whole number)"))
    })?;
    let block = s.ledger.store().block(h)?.ok_or_else(|| Problem::not_found(format!("block {h} is not finalized")))?;
    Ok(Json(block_json(&s, block)?))
}

/// `GET /v1/blocks/by-hash/{hash}`
pub async fn by_hash(State(s): State<AppState>, Path(hash): Path<String>) -> Result<Json<Value>, Problem> {
    let hash: Hash = hash.parse().map_err(|e: String| Problem::bad_request("malformed-hash", e))?;
    let h =
        s.ledger.store().height_of(&hash)?.ok_or_else(|| Problem::not_found(format!("no finalized block {hash}")))?;
    let block = s.ledger.store().block(h)?.ok_or_else(|| Problem::not_found(format!("block {h}")))?;
    Ok(Json(block_json(&s, block)?))
}
