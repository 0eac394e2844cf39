//! Errors as RFC 9457 problem details: a machine-readable `type`, a short `title`, the HTTP
//! `status` and a `detail` sentence that says what was wrong and what to do.

use axum::extract::Request;
use axum::http::{header, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use dojang_ledger::{MempoolError, ModuleError, SubmitError};
use dojang_types::TxError;
use serde::Serialize;

#[derive(Debug, Serialize)]
pub struct Problem {
    #[serde(rename = "type")]
    pub kind: String,
    pub title: String,
    pub status: u16,
    pub detail: String,
}

impl Problem {
    pub fn new(status: StatusCode, code: &str, detail: impl Into<String>) -> Self {
        Problem {
            kind: format!("https://dojang.seoul.go.kr/problems/{code}"),
            title: status.canonical_reason().unwrap_or("error").to_string(),
            status: status.as_u16(),
            detail: detail.into(),
        }
    }

    pub fn bad_request(code: &str, detail: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, code, detail)
    }

    pub fn not_found(detail: impl Into<String>) -> Self {
        Self::new(StatusCode::NOT_FOUND, "not-found", detail)
    }

    pub fn internal(detail: impl std::fmt::Display) -> Self {
        tracing::error!(%detail, "internal error answering a request");
        Self::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "internal",
            "the node failed to answer; its operator should check the logs",
        )
    }
}

impl IntoResponse for Problem {
    fn into_response(self) -> Response {
        let status = StatusCode::from_u16(self.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        let body = serde_json::to_vec(&self).unwrap_or_default();
        (status, [(header::CONTENT_TYPE, "application/problem+json")], body).into_response()
    }
}

impl From<SubmitError> for Problem {
    fn from(e: SubmitError) -> Self {
        match e {
            SubmitError::Tx(tx) => {
                let code = match &tx {
                    TxError::Malformed(_) => "malformed-transaction",
                    TxError::TooLarge(_) => "transaction-too-large",
                    TxError::WrongChain { .. } => "wrong-chain",
                    TxError::Expired { .. } => "expired",
                    TxError::ExpiryTooFar { .. } => "expiry-too-far",
                    TxError::BadSignature | TxError::SignatureKindMismatch => "bad-signature",
                    TxError::Replay(_) => "replay",
                    TxError::UnknownModule(_) => "unknown-module",
                    TxError::InvalidMessage { .. } => "invalid-message",
                    TxError::NotPermitted { .. } => "not-permitted",
                    TxError::NotActive { .. } => "not-active",
                };
                let status = match tx {
                    TxError::Replay(_) | TxError::NotActive { .. } => StatusCode::CONFLICT,
                    TxError::TooLarge(_) => StatusCode::PAYLOAD_TOO_LARGE,
                    TxError::NotPermitted { .. } => StatusCode::FORBIDDEN,
                    _ => StatusCode::BAD_REQUEST,
                };
                Problem::new(status, code, tx.to_string())
            }
            SubmitError::Mempool(m) => match m {
                MempoolError::Duplicate(_) => Problem::new(StatusCode::CONFLICT, "duplicate", m.to_string()),
                MempoolError::AccountQuota { .. } => {
                    Problem::new(StatusCode::TOO_MANY_REQUESTS, "account-quota", m.to_string())
                }
                MempoolError::Full(_) => Problem::new(StatusCode::SERVICE_UNAVAILABLE, "mempool-full", m.to_string()),
            },
            SubmitError::MinuteQuota { account, limit } => Problem::new(
                StatusCode::TOO_MANY_REQUESTS,
                "account-quota",
                format!(
                    "account {account} has sent its {limit} transactions for this minute; wait for the next minute"
                ),
            ),
            SubmitError::Store(s) => Problem::internal(s),
        }
    }
}

impl From<ModuleError> for Problem {
    fn from(e: ModuleError) -> Self {
        match e {
            ModuleError::NotFound(_) => Problem::not_found(e.to_string()),
            ModuleError::Storage(s) => Problem::internal(s),
            other => Problem::bad_request(&other.code(), other.to_string()),
        }
    }
}

impl From<dojang_ledger::StoreError> for Problem {
    fn from(e: dojang_ledger::StoreError) -> Self {
        Problem::internal(e)
    }
}

impl From<axum::extract::rejection::QueryRejection> for Problem {
    fn from(e: axum::extract::rejection::QueryRejection) -> Self {
        Problem::bad_request("malformed-query", e.body_text())
    }
}

impl From<axum::extract::rejection::PathRejection> for Problem {
    fn from(e: axum::extract::rejection::PathRejection) -> Self {
        Problem::bad_request("malformed-path", e.body_text())
    }
}

/// Runs `f` (reading and decoding blocks, receipts, proofs) on the blocking pool, so a large
/// block does not hold up the runtime's workers (and with them consensus and other clients).
pub(crate) async fn blocking<T: Send + 'static>(
    f: impl FnOnce() -> Result<T, Problem> + Send + 'static,
) -> Result<T, Problem> {
    tokio::task::spawn_blocking(f).await.map_err(Problem::internal)?
}

/// Like [`blocking`] for an answer built as JSON, and serialized to bytes there too: a block
/// (or thousands of verdicts) is megabytes of JSON, which `Json(value)` would otherwise
/// serialize on a runtime worker while the response is sent.
pub(crate) async fn blocking_json(
    f: impl FnOnce() -> Result<serde_json::Value, Problem> + Send + 'static,
) -> Result<Response, Problem> {
    let bytes = blocking(move || serde_json::to_vec(&f()?).map_err(Problem::internal)).await?;
    Ok(([(header::CONTENT_TYPE, "application/json")], bytes).into_response())
}

/// Turns any error answer that is not a problem document yet (a default rejection of axum's
/// extractors or routing) into one with the same status and headers, so clients parse one
/// error format and the API description holds for every answer.
pub async fn plain_errors_as_problems(req: Request, next: Next) -> Response {
    let resp = next.run(req).await;
    let status = resp.status();
    let is_problem =
        resp.headers().get(header::CONTENT_TYPE).is_some_and(|v| v.as_bytes().starts_with(b"application/problem+json"));
    if !(status.is_client_error() || status.is_server_error()) || is_problem {
        return resp;
    }
    let (parts, body) = resp.into_parts();
    let text = axum::body::to_bytes(body, 4096).await.map(|b| String::from_utf8_lossy(&b).into_owned());
    let reason = status.canonical_reason().unwrap_or("error");
    let detail = match text {
        Ok(t) if !t.trim().is_empty() => t,
        _ => reason.to_string(),
    };
    let code = reason.to_ascii_lowercase().replace(' ', "-");
    let mut problem = Problem::new(status, &code, detail).into_response();
    for (name, value) in &parts.headers {
        if name != header::CONTENT_TYPE && name != header::CONTENT_LENGTH {
            problem.headers_mut().append(name, value.clone());
        }
    }
    problem
}
