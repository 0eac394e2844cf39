//! The operator's endpoints, for holders of the node's admin token (`admin.token` in its home,
//! written at first start, readable by the operator only). Without a token configured they
//! answer 404 like any unknown path, so a gateway built without one exposes nothing.
//!
//! `GET /v1/admin/snapshot`: a consistent copy of the store as of the last finalized block,
//! streamed as the redb file (`dojang backup` writes and checks it; `dojang restore` puts it
//! in place). One at a time: a copy reads the whole store.

use std::sync::atomic::{AtomicBool, Ordering};

use axum::body::Body;
use axum::extract::State;
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use futures::stream;
use tokio::io::AsyncReadExt as _;

use crate::problem::{blocking, Problem};
use crate::AppState;

/// Set while a snapshot is being written or sent.
static BUSY: AtomicBool = AtomicBool::new(false);

struct Busy;

impl Busy {
    fn take() -> Option<Busy> {
        BUSY.compare_exchange(false, true, Ordering::AcqRel, Ordering::Acquire).is_ok().then_some(Busy)
    }
}

impl Drop for Busy {
    fn drop(&mut self) {
        BUSY.store(false, Ordering::Release);
    }
}

/// Refuses a request without the node's admin token; 404 when the node has none.
pub(crate) fn authorize(s: &AppState, headers: &HeaderMap) -> Result<(), Problem> {
    let Some(token) = s.status.admin_token() else {
        return Err(Problem::not_found("no such endpoint; see /openapi.json for the API"));
    };
    let given =
        headers.get(header::AUTHORIZATION).and_then(|v| v.to_str().ok()).and_then(|v| v.strip_prefix("Bearer "));
    match given {
        Some(g) if dojang_crypto::same_secret(g.as_bytes(), token.as_bytes()) => Ok(()),
        _ => Err(Problem::new(
            StatusCode::UNAUTHORIZED,
            "unauthorized",
            "this operator endpoint needs 'Authorization: Bearer <admin.token from the node's home>'",
        )),
    }
}

pub async fn snapshot(State(s): State<AppState>, headers: HeaderMap) -> Result<Response, Problem> {
    authorize(&s, &headers)?;
    let Some(busy) = Busy::take() else {
        return Err(Problem::new(
            StatusCode::CONFLICT,
            "snapshot-in-progress",
            "a snapshot is already being taken; retry when it is done",
        ));
    };
    let ledger = s.ledger.clone();
    // `busy` moves into the copy and then into the response body: it is held until the copy
    // is done even if the client goes away meanwhile, and until the last byte is sent.
    let (file, snap, busy) = blocking(move || {
        let store = ledger.store();
        let dir = store.path().parent().map(|d| d.to_path_buf()).unwrap_or_default();
        // One snapshot at a time: a file left by a crash mid-copy is ours to replace.
        let tmp = dir.join("snapshot-in-progress.redb");
        if tmp.exists() {
            std::fs::remove_file(&tmp).map_err(Problem::internal)?;
        }
        let snap = store.snapshot_to(&tmp)?;
        let file = std::fs::File::open(&tmp).map_err(Problem::internal)?;
        // The open file keeps the bytes; nothing is left behind if the transfer is cut.
        std::fs::remove_file(&tmp).map_err(Problem::internal)?;
        Ok((file, snap, busy))
    })
    .await?;
    let file = tokio::fs::File::from_std(file);
    let body = stream::unfold((file, busy), |(mut file, busy)| async move {
        let mut buf = vec![0u8; 256 * 1024];
        match file.read(&mut buf).await {
            Ok(0) => None,
            Ok(n) => {
                buf.truncate(n);
                Some((Ok::<_, std::io::Error>(buf), (file, busy)))
            }
            Err(e) => Some((Err(e), (file, busy))),
        }
    });
    Ok((
        [
            (header::CONTENT_TYPE, "application/octet-stream".to_string()),
            (header::CONTENT_LENGTH, snap.bytes.to_string()),
            (header::HeaderName::from_static("x-dojang-height"), snap.height.to_string()),
        ],
        Body::from_stream(body),
    )
        .into_response())
}

/// `GET /v1/node`: what the operator page shows: health, peers, the height each validator was
/// last heard at, mempool, commit latency, store size and disk waits, consensus counters and
/// the recent warnings. Behind the admin token: peer addresses and log lines are for the
/// node's operator, not the public.
pub async fn node(State(s): State<AppState>, headers: HeaderMap) -> Result<axum::Json<serde_json::Value>, Problem> {
    authorize(&s, &headers)?;
    let (height, hash, time_ms) = s.ledger.head();
    let facts = s.status.facts();
    let (version, commit) = s.status.build();
    let store = s.ledger.store();
    let commits = store.commit_times();
    let validators: Vec<serde_json::Value> = s
        .ledger
        .validators()
        .iter()
        .map(|v| {
            let address = v.address.to_string();
            let last = facts.last_votes.get(&address).copied();
            serde_json::json!({ "address": address, "name": v.name, "power": v.power, "last_vote_height": last })
        })
        .collect();
    Ok(axum::Json(serde_json::json!({
        "version": version,
        "commit": commit,
        "chain_id": s.ledger.chain_id(),
        "height": height,
        "latest_block_hash": hash,
        "latest_block_age_ms": dojang_types::wall_clock_ms().saturating_sub(time_ms),
        "catching_up": s.status.catching_up(),
        "catch_up_target": s.status.catch_up_target(),
        "mempool": { "size": s.ledger.mempool_len(), "capacity": s.ledger.mempool_capacity(), "refused": s.metrics.refusals() },
        "commit_latency_ms": s.metrics.last_commit_latency_ms(),
        "tx_per_second": s.metrics.tx_per_second(),
        "store": {
            "path": store.path(),
            "bytes": store.file_bytes(),
            "commits": commits.count,
            "last_commit_ms": commits.last_us as f64 / 1000.0,
            "max_commit_ms": commits.max_us as f64 / 1000.0,
            "mean_commit_ms": if commits.count == 0 { 0.0 } else { commits.total_us as f64 / commits.count as f64 / 1000.0 },
        },
        "peers": facts.peers,
        "validators": validators,
        "consensus": {
            "rounds_started": facts.rounds_started,
            "round_changes": facts.round_changes,
            "heights_decided": facts.heights_decided,
            "last_decided_round": facts.last_decided_round,
        },
        "warnings_total": facts.warnings_total,
        "errors_total": facts.errors_total,
        "recent_warnings": facts.recent_warnings,
    })))
}
