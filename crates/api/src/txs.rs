use std::time::Duration;

use axum::body::Bytes;
use axum::extract::rejection::{BytesRejection, PathRejection};
use axum::extract::{Path, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use dojang_types::{encode, Hash};
use serde::Deserialize;
use serde_json::json;

use crate::extract::StrictQuery;
use crate::problem::{blocking, blocking_json, Problem};
use crate::relay::RELAYED_HEADER;
use crate::AppState;

/// Most transactions one batch may carry.
const MAX_BATCH: usize = 20_000;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SubmitQuery {
    #[serde(default)]
    wait: bool,
    timeout_ms: Option<u64>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct SubmitBody {
    /// Hex of the canonical (borsh) encoding of the signed transaction.
    tx: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct BatchBody {
    txs: Vec<String>,
}

pub(crate) fn body_problem(e: BytesRejection) -> Problem {
    let status = e.status();
    if status == StatusCode::PAYLOAD_TOO_LARGE {
        Problem::new(status, "body-too-large", "the request body is larger than this node accepts; split it up")
    } else {
        Problem::bad_request("unreadable-body", e.body_text())
    }
}

fn tx_bytes(headers: &HeaderMap, body: &[u8]) -> Result<Vec<u8>, Problem> {
    let ctype = headers.get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or("");
    if ctype.starts_with("application/octet-stream") {
        return Ok(body.to_vec());
    }
    let parsed: SubmitBody = serde_json::from_slice(body).map_err(|e| {
        Problem::bad_request(
            "malformed-body",
            format!("expected JSON {{\"tx\": \"<hex>\"}} or an octet-stream body: {e}"),
        )
    })?;
    dojang_types::hex_digits::decode(parsed.tx.trim_start_matches("0x"))
        .map_err(|e| Problem::bad_request("malformed-body", format!("tx is not hex: {e}")))
}

/// The problem a refused transaction is answered with, counted by its type for `/metrics`.
fn refusal(metrics: &crate::metrics::Metrics, e: dojang_ledger::SubmitError) -> Problem {
    let problem = Problem::from(e);
    metrics.refused(&problem.kind);
    problem
}

/// `POST /v1/txs`: admit one transaction; with `?wait=true`, answer when it is final.
pub async fn submit(
    State(s): State<AppState>,
    StrictQuery(q): StrictQuery<SubmitQuery>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<Response, Problem> {
    let body = body.map_err(body_problem)?;
    let ledger = s.ledger.clone();
    let metrics = s.metrics.clone();
    let ctype = headers.clone();
    let (id, bytes) = blocking(move || {
        let bytes = tx_bytes(&ctype, &body)?;
        let id = ledger.submit(&bytes).map_err(|e| refusal(&metrics, e))?;
        Ok((id, bytes))
    })
    .await?;
    if let Some(relay) = s.relay.as_ref().filter(|_| !headers.contains_key(RELAYED_HEADER)) {
        relay.forward(bytes);
    }
    if !q.wait {
        return Ok((StatusCode::ACCEPTED, Json(json!({ "id": id, "committed": false }))).into_response());
    }
    let timeout = Duration::from_millis(q.timeout_ms.unwrap_or(10_000).min(s.settings.max_wait_ms));
    let rx = s.ledger.wait_receipt(id)?;
    match tokio::time::timeout(timeout, rx).await {
        Ok(Ok(receipt)) => Ok((StatusCode::OK, Json(json!({ "id": id, "committed": true, "receipt": receipt }))).into_response()),
        // Not final yet: the transaction stays admitted; the client follows it at /v1/txs/{id}.
        _ => Ok((
            StatusCode::ACCEPTED,
            [(header::LOCATION, format!("/v1/txs/{id}"))],
            Json(json!({ "id": id, "committed": false, "detail": "not final within the timeout; poll /v1/txs/{id} or follow /v1/events" })),
        )
            .into_response()),
    }
}

/// `POST /v1/txs/batch`: admit many transactions at once (signatures checked in one batch).
pub async fn submit_batch(
    State(s): State<AppState>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<Response, Problem> {
    let body = body.map_err(body_problem)?;
    let ledger = s.ledger.clone();
    let relay = s.relay.clone().filter(|_| !headers.contains_key(RELAYED_HEADER));
    let metrics = s.metrics.clone();
    // Parsing and hex-decoding up to 16 MiB, checking signatures, then serializing up to
    // 20,000 verdicts: all off the workers.
    blocking_json(move || {
        let parsed: BatchBody = serde_json::from_slice(&body).map_err(|e| {
            Problem::bad_request("malformed-body", format!("expected JSON {{\"txs\": [\"<hex>\", ...]}}: {e}"))
        })?;
        if parsed.txs.is_empty() || parsed.txs.len() > MAX_BATCH {
            return Err(Problem::bad_request("batch-size", format!("a batch holds 1 to {MAX_BATCH} transactions")));
        }
        let decoded: Vec<Result<Vec<u8>, String>> = parsed
            .txs
            .iter()
            .map(|h| dojang_types::hex_digits::decode(h).map_err(|e| format!("not hex: {e}")))
            .collect();
        let good: Vec<&[u8]> = decoded.iter().filter_map(|r| r.as_ref().ok().map(|v| v.as_slice())).collect();
        let mut verdicts = ledger.submit_batch(&good).into_iter();
        let results = decoded
            .iter()
            .map(|r| match r {
                Err(e) => json!({ "error": Problem::bad_request("malformed-transaction", e.clone()) }),
                Ok(bytes) => match verdicts.next().expect("one verdict per decoded transaction") {
                    Ok(id) => {
                        if let Some(relay) = &relay {
                            relay.forward(bytes.clone());
                        }
                        json!({ "id": id })
                    }
                    Err(e) => json!({ "error": refusal(&metrics, e) }),
                },
            })
            .collect::<Vec<_>>();
        let accepted = results.iter().filter(|r| r.get("id").is_some()).count();
        Ok(json!({ "accepted": accepted, "results": results }))
    })
    .await
}

/// `GET /v1/txs/{id}`: a committed transaction with its receipt, its exact bytes (`tx_hex`,
/// whose body hashes to the id) and the Merkle paths of its id and its receipt's commitment
/// into the header's `txs_root` and `receipts_root`, so a client that checks the block's
/// certificate can prove all three without the rest of the block.
pub async fn get_tx(State(s): State<AppState>, id: Result<Path<String>, PathRejection>) -> Result<Response, Problem> {
    let Path(id) = id?;
    let id: Hash = id.parse().map_err(|e: String| Problem::bad_request("malformed-id", e))?;
    let ledger = s.ledger.clone();
    let inclusion = s.inclusion.clone();
    blocking_json(move || {
        let Some((receipt, tx)) = ledger.receipt(&id)? else {
            return Err(Problem::not_found(format!(
                "transaction {id} is not in a finalized block (it may still be waiting)"
            )));
        };
        let (tx_proof, receipt_proof) = inclusion.paths(&ledger, receipt.height, receipt.index as usize)?;
        Ok(json!({
            "id": id,
            "committed": true,
            "tx": tx,
            "tx_hex": hex::encode(encode(&tx)),
            "receipt": receipt,
            "inclusion": {
                "height": receipt.height,
                "tx_proof": tx_proof,
                "receipt_proof": receipt_proof,
            },
        }))
    })
    .await
}
