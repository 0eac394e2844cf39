//! The centre's HTTP API (`/grievance/v1/...`). A worker, signing with the account of a contract
//! they signed, gets the quarter's key of their employer and one blind signature per job and
//! quarter; anyone may then file a report with a token and its signature, without signing in;
//! the centre's staff read the reports with their tokens.

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{DefaultBodyLimit, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine;
use blind_rsa_signatures::{BlindedMessage, MessageRandomizer, Options, Signature};
use dojang_api::Problem;
use dojang_private::request;
use dojang_types::{sha256, wall_clock_ms, Address};
use serde::Deserialize;
use serde_json::json;

use super::store::{from_spki, public_spki, Issued, Report};
use super::{period_of, Centre};
use crate::desk::Refusal;

type Answer = Result<Response, Problem>;

/// The longest report, in characters.
pub const MAX_TEXT_CHARS: usize = 4_000;

pub fn router(centre: Arc<Centre>) -> Router {
    Router::new()
        .route("/health", get(|| async { Json(json!({"status": "ok"})) }))
        .route("/grievance/v1/keys", post(key_for_worker))
        .route("/grievance/v1/tokens", post(token))
        .route("/grievance/v1/reports", post(file).get(list))
        .fallback(|| async { Problem::not_found("no such endpoint of the grievance centre").into_response() })
        .layer(DefaultBodyLimit::max(64 * 1024))
        .layer(axum::middleware::from_fn(dojang_api::plain_errors_as_problems))
        .with_state(centre)
}

fn bad(code: &str, detail: impl Into<String>) -> Problem {
    Problem::bad_request(code, detail)
}

fn decode(what: &str, s: &str) -> Result<Vec<u8>, Problem> {
    B64.decode(s).map_err(|_| bad("malformed-body", format!("{what} is not base64")))
}

fn body<T: serde::de::DeserializeOwned>(bytes: &Bytes) -> Result<T, Problem> {
    serde_json::from_slice(bytes)
        .map_err(|e| bad("malformed-body", format!("the body is not what this endpoint takes: {e}")))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ForContract {
    contract: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct TokenRequest {
    contract: String,
    /// The blinded message (RFC 9474 `blind`), base64.
    blinded: String,
}

/// How long after a contract ends its worker may still get a token (the final pay is due 14
/// days after the end; a month and a half leaves time to see it unpaid).
pub const AFTER_END_DAYS: i64 = 45;

/// The employer and quarter of a worker's contract. The request (`path`, the body as sent) must
/// be signed by the contract's worker account, and the contract signed by the worker (a
/// registration alone is the employer's word), begun, and in force this quarter or ended less
/// than [`AFTER_END_DAYS`] ago.
async fn signed_by_worker(
    c: &Centre,
    headers: &HeaderMap,
    path: &str,
    bytes: &Bytes,
    contract: &str,
) -> Result<(Address, Address, String), Problem> {
    let header = |name: &str| headers.get(name).and_then(|v| v.to_str().ok());
    let (key, _) = request::verify(header, &c.chain_id, "POST", path, bytes, wall_clock_ms())
        .map_err(|e| Problem::new(StatusCode::UNAUTHORIZED, "unsigned", e.to_string()))?;
    let today = crate::desk::today();
    let period = period_of(today);
    let record = c
        .contract(contract)
        .await?
        .ok_or_else(|| Problem::not_found(format!("no contract '{contract}' on the ledger")))?;
    if record.worker != key.address() {
        return Err(Problem::new(StatusCode::FORBIDDEN, "not-the-worker", "sign with the contract's worker account"));
    }
    if !record.versions.iter().any(|v| v.signed_height.is_some()) {
        return Err(Problem::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "not-signed",
            "the worker has not signed this contract on the ledger",
        ));
    }
    let ended_long_ago =
        record.ends.is_some_and(|e| e < super::quarter_start(today) && e.plus_days(AFTER_END_DAYS) < today);
    if record.starts > today || ended_long_ago {
        return Err(Problem::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "not-in-force",
            format!("the contract is not in force during {period}"),
        ));
    }
    Ok((record.employer, record.worker, period))
}

/// `POST /grievance/v1/keys` (signed by the worker): the quarter's key of the worker's employer.
async fn key_for_worker(State(c): State<Arc<Centre>>, headers: HeaderMap, bytes: Bytes) -> Answer {
    let req: ForContract = body(&bytes)?;
    let (employer, _, period) = signed_by_worker(&c, &headers, "/grievance/v1/keys", &bytes, &req.contract).await?;
    let sk = c.key_or_new(&employer.to_string(), &period).await?;
    let spki = public_spki(&sk).map_err(Problem::internal)?;
    Ok(Json(json!({"employer": employer, "period": period, "public_key": B64.encode(spki)})).into_response())
}

/// `POST /grievance/v1/tokens` (signed by the worker): one blind signature per job (employer
/// and worker: a second registration of the same job gets none) and quarter, under the
/// employer's key for the quarter. The same blinded message again is a retry after a lost
/// answer, and is signed again.
async fn token(State(c): State<Arc<Centre>>, headers: HeaderMap, bytes: Bytes) -> Answer {
    let req: TokenRequest = body(&bytes)?;
    let blinded = decode("blinded", &req.blinded)?;
    if blinded.len() != super::store::KEY_BITS / 8 {
        return Err(bad("malformed-body", format!("the blinded message must be {} bytes", super::store::KEY_BITS / 8)));
    }
    let (employer, worker, period) =
        signed_by_worker(&c, &headers, "/grievance/v1/tokens", &bytes, &req.contract).await?;
    let sk = c.key_or_new(&employer.to_string(), &period).await?;
    let blinded_hash = sha256(&[&blinded]).0;
    // Signed first, recorded second: a blinded message the key cannot sign costs no token.
    let blind_sig = sk
        .blind_sign(&mut rand::thread_rng(), BlindedMessage(blinded), &Options::default())
        .map_err(|e| bad("malformed-body", format!("cannot sign that blinded message: {e}")))?;
    let issued = {
        let _one = c.issuing.lock().await;
        c.store.issue_once(&format!("{employer}|{worker}"), &period, &blinded_hash).map_err(Problem::internal)?
    };
    if issued == Issued::Taken {
        return Err(Problem::new(
            StatusCode::CONFLICT,
            "token-issued",
            format!("this job had its token for {period}: one report per job per quarter"),
        ));
    }
    Ok(Json(json!({"employer": employer, "period": period, "blind_signature": B64.encode(&blind_sig.0)}))
        .into_response())
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Filing {
    employer: String,
    period: String,
    /// The token: the message the worker had signed blindly, base64.
    message: String,
    /// RFC 9474's message randomizer, base64 (32 bytes).
    randomizer: String,
    /// The finalized signature, base64.
    signature: String,
    text: String,
}

/// `POST /grievance/v1/reports`: anyone with a valid, unspent token of an employer files one
/// report about that employer. No account, no signature of a person.
async fn file(State(c): State<Arc<Centre>>, bytes: Bytes) -> Answer {
    let f: Filing = body(&bytes)?;
    let text = f.text.trim();
    if text.is_empty() || text.chars().count() > MAX_TEXT_CHARS {
        return Err(Problem::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "bad-text",
            format!("write what happened, in 1 to {MAX_TEXT_CHARS} characters"),
        ));
    }
    let message = decode("message", &f.message)?;
    let randomizer: [u8; 32] = decode("randomizer", &f.randomizer)?
        .try_into()
        .map_err(|_| bad("malformed-body", "randomizer must be 32 bytes"))?;
    let signature = decode("signature", &f.signature)?;
    // No key and a wrong signature look the same: whether an employer's workers took tokens
    // is not for anyone to learn here.
    let bad_token = || {
        Problem::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "bad-token",
            "the token's signature is not the centre's for that employer and quarter",
        )
    };
    let sk = c.store.key(&f.employer, &f.period).map_err(Problem::internal)?.ok_or_else(bad_token)?;
    let pk = from_spki(&public_spki(&sk).map_err(Problem::internal)?).map_err(Problem::internal)?;
    Signature(signature)
        .verify(&pk, Some(MessageRandomizer(randomizer)), &message, &Options::default())
        .map_err(|_| bad_token())?;
    let nullifier = sha256(&[b"dojang/grievance/nullifier/v1", &message]);
    let report = Report {
        id: 0,
        employer: f.employer,
        period: f.period,
        text: text.to_string(),
        filed_on: crate::desk::today().to_string(),
    };
    match c.store.file(&nullifier.0, report).map_err(Problem::internal)? {
        Some(id) => Ok((StatusCode::CREATED, Json(json!({"report": id}))).into_response()),
        None => Err(Problem::new(StatusCode::CONFLICT, "token-spent", "this token was used for a report already")),
    }
}

/// `GET /grievance/v1/reports` (the centre's staff, with their token): every report.
async fn list(State(c): State<Arc<Centre>>, headers: HeaderMap) -> Answer {
    let auth = headers.get(header::AUTHORIZATION).and_then(|v| v.to_str().ok());
    c.staff.admit(auth).map_err(|r| match r {
        Refusal::Unauthenticated => Problem::new(
            StatusCode::UNAUTHORIZED,
            "unauthenticated",
            "the centre's staff send their token as 'Authorization: Bearer <token>'",
        ),
        Refusal::RateLimited { retry_after_s } => Problem::new(
            StatusCode::TOO_MANY_REQUESTS,
            "rate-limited",
            format!("too many requests; retry after {retry_after_s} s"),
        ),
    })?;
    Ok(Json(json!({"reports": c.store.reports().map_err(Problem::internal)?})).into_response())
}
