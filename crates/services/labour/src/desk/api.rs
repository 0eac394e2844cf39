//! The desk's HTTP API (`/labour/v1/...`, described by `/openapi.json`): what every request
//! shares. Each request is admitted by its app's token and charged to the app's quota; bodies
//! are JSON of a documented shape; every answer that is not a success is an RFC 9457 problem
//! saying what was wrong. The handlers are in [`super::contracts`] and [`super::relay`].

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::DefaultBodyLimit;
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use dojang_api::Problem;
use dojang_labour::state::Contract;
use dojang_labour::LabourMsg;
use dojang_types::ModuleMessage as _;
use serde::de::DeserializeOwned;
use serde_json::{json, Value};

use super::book::Entry;
use super::chain::ChainError;
use super::clients::{Client, Refusal};
use super::templates::templates;
use super::{career, contracts, copy, payments, relay, Desk};

/// The largest request body: a contract or a week is a few kilobytes.
pub const MAX_BODY_BYTES: usize = 64 * 1024;

/// An answer that is not a success, with the header its status needs.
pub struct Refused(Box<(Problem, Option<(header::HeaderName, String)>)>);

impl Refused {
    pub fn with(p: Problem, header: Option<(header::HeaderName, String)>) -> Self {
        Refused(Box::new((p, header)))
    }
}

impl From<Problem> for Refused {
    fn from(p: Problem) -> Self {
        Refused::with(p, None)
    }
}

impl IntoResponse for Refused {
    fn into_response(self) -> Response {
        let (problem, header) = *self.0;
        let mut resp = problem.into_response();
        if let Some((name, value)) = header {
            if let Ok(v) = HeaderValue::from_str(&value) {
                resp.headers_mut().insert(name, v);
            }
        }
        resp
    }
}

pub type Answer = Result<Response, Refused>;

pub fn refused(status: StatusCode, code: &str, detail: impl Into<String>) -> Refused {
    Problem::new(status, code, detail).into()
}

pub fn unprocessable(code: &str, detail: impl Into<String>) -> Refused {
    refused(StatusCode::UNPROCESSABLE_ENTITY, code, detail)
}

pub fn conflict(code: &str, detail: impl Into<String>) -> Refused {
    refused(StatusCode::CONFLICT, code, detail)
}

/// The node failing the desk is the desk's operator's matter: the app is told to retry, the
/// operator's log has the details (the node's address and answer stay out of the app's view).
impl From<ChainError> for Refused {
    fn from(e: ChainError) -> Self {
        if e.is_unavailable() {
            tracing::warn!(error = %e, "the labour desk's node is unavailable");
        } else {
            tracing::error!(error = %e, "the labour desk's node refused or failed a request the desk made");
        }
        refused(
            StatusCode::SERVICE_UNAVAILABLE,
            "node-unavailable",
            "the desk's node could not serve this request; try again shortly (if it persists, the desk's operator finds the reason in its log)",
        )
    }
}

impl From<super::book::BookError> for Refused {
    fn from(e: super::book::BookError) -> Self {
        Problem::internal(e).into()
    }
}

pub fn router(desk: Arc<Desk>) -> Router {
    Router::new()
        .route("/health", get(|| async { Json(json!({"status": "ok"})) }))
        .route("/openapi.json", get(openapi))
        .route("/labour/v1/templates", get(list_templates))
        .route("/labour/v1/lint", post(contracts::lint_draft))
        .route("/labour/v1/contracts", post(contracts::create))
        .route("/labour/v1/contracts/{id}", get(contracts::read))
        .route("/labour/v1/contracts/{id}/versions", post(contracts::amend))
        .route("/labour/v1/contracts/{id}/timesheets", post(contracts::timesheet))
        .route("/labour/v1/contracts/{id}/findings", get(contracts::findings))
        .route("/labour/v1/contracts/{id}/reports", post(contracts::declare_report))
        .route("/labour/v1/contracts/{id}/career-certificate", post(career::certificate))
        .route("/labour/v1/contracts/{id}/copy", get(copy::worker_copy))
        .route("/labour/v1/contracts/{id}/payments", post(payments::record))
        .route("/labour/v1/alerts", get(contracts::alerts))
        .route("/labour/v1/txs", post(relay::relay))
        .fallback(|| async {
            Problem::not_found("no such endpoint: the desk's API is described at /openapi.json").into_response()
        })
        .method_not_allowed_fallback(|| async {
            Problem::new(
                StatusCode::METHOD_NOT_ALLOWED,
                "method-not-allowed",
                "see /openapi.json for each path's methods",
            )
            .into_response()
        })
        .layer(DefaultBodyLimit::max(MAX_BODY_BYTES))
        .layer(axum::middleware::from_fn(dojang_api::plain_errors_as_problems))
        .with_state(desk)
}

async fn openapi() -> Response {
    ([(header::CONTENT_TYPE, "application/json")], super::OPENAPI).into_response()
}

async fn list_templates(axum::extract::State(desk): axum::extract::State<Arc<Desk>>, headers: HeaderMap) -> Answer {
    admit(&desk, &headers)?;
    Ok(Json(json!({"templates": templates()})).into_response())
}

/// The app the request's token names, charged one request of its quota.
pub fn admit<'a>(desk: &'a Desk, headers: &HeaderMap) -> Result<&'a Client, Refused> {
    let auth = headers.get(header::AUTHORIZATION).and_then(|v| v.to_str().ok());
    desk.clients.admit(auth).map_err(|r| match r {
        Refusal::Unauthenticated => Refused::with(
            Problem::new(
                StatusCode::UNAUTHORIZED,
                "unauthenticated",
                "send the app's token as 'Authorization: Bearer <token>' (the desk's operator issues it)",
            ),
            Some((header::WWW_AUTHENTICATE, "Bearer realm=\"labour-desk\"".into())),
        ),
        Refusal::RateLimited { retry_after_s } => Refused::with(
            Problem::new(
                StatusCode::TOO_MANY_REQUESTS,
                "rate-limited",
                format!("this app's quota is used up; retry after {retry_after_s} s"),
            ),
            Some((header::RETRY_AFTER, retry_after_s.to_string())),
        ),
    })
}

pub fn body<T: DeserializeOwned>(bytes: &Bytes) -> Result<T, Refused> {
    serde_json::from_slice(bytes).map_err(|e| {
        Problem::bad_request("malformed-body", format!("the body is not what this endpoint takes: {e}")).into()
    })
}

/// The contract `id` as this app drafted it, for an employer the app still acts for; any
/// other is "not found", so an app cannot learn which ids other apps' contracts have.
pub fn entry(desk: &Desk, client: &Client, id: &str) -> Result<Entry, Refused> {
    let missing = || Refused::from(Problem::not_found(format!("no contract '{id}' drafted by this app")));
    if !dojang_labour::exec::contract_id_is_valid(id) {
        return Err(missing());
    }
    match desk.book.get(id)? {
        Some(e) if e.client == client.id && client.acts_for(&e.employer) => Ok(e),
        _ => Err(missing()),
    }
}

/// [`entry`] under the contract's lock: checked first, so only contracts the index holds ever
/// get a lock (an id made up by a fuzzer does not), then read again under the lock.
pub async fn locked_entry(
    desk: &Desk,
    client: &Client,
    id: &str,
) -> Result<(tokio::sync::OwnedMutexGuard<()>, Entry), Refused> {
    entry(desk, client, id)?;
    let guard = desk.lock(id).await;
    Ok((guard, entry(desk, client, id)?))
}

/// The ledger's record of the contract, which must agree with the desk's index: the same
/// parties, and each version on the ledger committing to the version the desk stored under
/// that number. A registration made around the desk with another document is a conflict.
pub async fn registered(desk: &Desk, id: &str, e: &Entry) -> Result<Contract, Refused> {
    let c = desk.chain.contract(id).await?.ok_or_else(|| {
        conflict("not-registered", "the contract is not on the ledger yet: submit its signed registration first")
    })?;
    if !agrees(e, &c) {
        return Err(conflict(
            "ledger-disagrees",
            format!("the ledger's contract {id} does not commit to the documents this desk stored; its parties must settle it with the labour office"),
        ));
    }
    Ok(c)
}

/// Whether the ledger's contract has the index's parties and commits, version by version, to
/// the documents the desk stored.
pub fn agrees(e: &Entry, c: &Contract) -> bool {
    c.employer == e.employer
        && c.worker == e.worker
        && c.versions.iter().enumerate().all(|(i, v)| e.versions.get(i).is_some_and(|r| r.commitment == v.commitment))
}

pub fn sign(msg: &LabourMsg) -> Value {
    json!({"module": LabourMsg::MODULE, "msg": msg})
}

pub fn created(v: Value) -> Response {
    (StatusCode::CREATED, Json(v)).into_response()
}
