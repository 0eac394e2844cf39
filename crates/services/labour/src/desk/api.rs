//! The desk's HTTP API (`/labour/v1/...`, described by `/openapi.json`): linked apps draft
//! contracts from templates, have them linted (LAB-01), stored in the private collection and
//! registered; amend them; submit weekly timesheets; relay the parties' signed transactions;
//! and read each contract with the compliance engine's findings. Every answer that is not a
//! success is an RFC 9457 problem saying what was wrong.

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{DefaultBodyLimit, Path, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use dojang_api::Problem;
use dojang_labour::terms::lint;
use dojang_labour::{Draft, LabourMsg, Week};
use dojang_types::{Address, ModuleMessage as _, SignedTx};
use serde::de::DeserializeOwned;
use serde::Deserialize;
use serde_json::{json, Value};

use super::book::{Entry, VersionRef, WeekRef};
use super::chain::ChainError;
use super::clients::{Client, Refusal};
use super::documents::{encode, ContractVersion, Parties, Timesheet};
use super::findings::{self, FindingsError};
use super::templates::templates;
use super::Desk;

/// The largest request body: a contract or a week is a few kilobytes.
pub const MAX_BODY_BYTES: usize = 64 * 1024;

/// An answer that is not a success, with the headers its status needs.
pub struct Refused(Box<(Problem, Option<(header::HeaderName, String)>)>);

impl Refused {
    fn with(p: Problem, header: Option<(header::HeaderName, String)>) -> Self {
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

type Answer = Result<Response, Refused>;

fn unprocessable(code: &str, detail: impl Into<String>) -> Refused {
    Problem::new(StatusCode::UNPROCESSABLE_ENTITY, code, detail).into()
}

fn conflict(code: &str, detail: impl Into<String>) -> Refused {
    Problem::new(StatusCode::CONFLICT, code, detail).into()
}

impl From<ChainError> for Refused {
    fn from(e: ChainError) -> Self {
        if e.is_unavailable() {
            tracing::warn!(error = %e, "the labour desk's node is unavailable");
        } else {
            tracing::error!(error = %e, "the labour desk's node refused or failed a request the desk made");
        }
        Problem::new(StatusCode::SERVICE_UNAVAILABLE, "node-unavailable", format!("{e}; try again shortly")).into()
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
        .route("/labour/v1/lint", post(lint_draft))
        .route("/labour/v1/contracts", post(create))
        .route("/labour/v1/contracts/{id}", get(read))
        .route("/labour/v1/contracts/{id}/versions", post(amend))
        .route("/labour/v1/contracts/{id}/timesheets", post(timesheet))
        .route("/labour/v1/contracts/{id}/findings", get(findings))
        .route("/labour/v1/txs", post(relay))
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
        .with_state(desk)
}

async fn openapi() -> Response {
    ([(header::CONTENT_TYPE, "application/json")], super::OPENAPI).into_response()
}

/// The app the request's token names, charged one request of its quota.
fn admit<'a>(desk: &'a Desk, headers: &HeaderMap) -> Result<&'a Client, Refused> {
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

fn body<T: DeserializeOwned>(bytes: &Bytes) -> Result<T, Refused> {
    serde_json::from_slice(bytes).map_err(|e| {
        Problem::bad_request("malformed-body", format!("the body is not what this endpoint takes: {e}")).into()
    })
}

/// The contract `id` as this app drafted it; any other is "not found", so an app cannot
/// learn which ids other apps' contracts have.
fn entry(desk: &Desk, client: &Client, id: &str) -> Result<Entry, Refused> {
    let missing = || Refused::from(Problem::not_found(format!("no contract '{id}' drafted by this app")));
    if !dojang_labour::exec::contract_id_is_valid(id) {
        return Err(missing());
    }
    match desk.book.get(id)? {
        Some(e) if e.client == client.id => Ok(e),
        _ => Err(missing()),
    }
}

fn sign(msg: &LabourMsg) -> Value {
    json!({"module": LabourMsg::MODULE, "msg": msg})
}

fn created(v: Value) -> Response {
    (StatusCode::CREATED, Json(v)).into_response()
}

async fn list_templates(State(desk): State<Arc<Desk>>, headers: HeaderMap) -> Answer {
    admit(&desk, &headers)?;
    Ok(Json(json!({"templates": templates()})).into_response())
}

async fn lint_draft(State(desk): State<Arc<Desk>>, headers: HeaderMap, bytes: Bytes) -> Answer {
    admit(&desk, &headers)?;
    let draft: Draft = body(&bytes)?;
    let problems = lint(&draft).err().unwrap_or_default();
    Ok(Json(json!({"complete": problems.is_empty(), "problems": problems})).into_response())
}

/// LAB-01 on a draft: its terms, or a 422 listing every missing item in Korean and English.
fn linted(draft: &Draft) -> Result<dojang_labour::Terms, Refused> {
    lint(draft).map_err(|problems| {
        let items: Vec<&str> = problems.iter().map(|p| p.item).collect();
        let mut p = Problem::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "incomplete-contract",
            format!("LAB-01: the draft lacks or gets wrong: {}", items.join(", ")),
        );
        p.detail.push_str(&format!(
            " ({})",
            problems.iter().map(|x| format!("{} / {}", x.en, x.ko)).collect::<Vec<_>>().join("; ")
        ));
        Refused::with(p, None)
    })
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct NewContract {
    employer: Address,
    worker: Address,
    parties: Parties,
    terms: Draft,
}

async fn create(State(desk): State<Arc<Desk>>, headers: HeaderMap, bytes: Bytes) -> Answer {
    let client = admit(&desk, &headers)?;
    let req: NewContract = body(&bytes)?;
    if !client.acts_for(&req.employer) {
        return Err(Problem::new(
            StatusCode::FORBIDDEN,
            "not-your-employer",
            format!("this app does not act for employer {}; the desk's operator lists its employers", req.employer),
        )
        .into());
    }
    if req.worker == req.employer {
        return Err(unprocessable("same-party", "the worker's account must not be the employer's"));
    }
    req.parties.check().map_err(|e| unprocessable("bad-parties", e))?;
    let terms = linted(&req.terms)?;
    let (starts, ends) = (terms.start, terms.end);
    let doc = ContractVersion::new(None, 1, req.employer, req.worker, req.parties, terms);
    let rec = desk.chain.store(&encode(&doc)).await?;
    let entry = Entry {
        client: client.id.clone(),
        employer: req.employer,
        worker: req.worker,
        versions: vec![VersionRef { version: 1, key: rec.key.clone(), commitment: rec.commitment }],
        weeks: Default::default(),
    };
    desk.book.put(&rec.key, &entry)?;
    tracing::info!(client = %client.id, contract = %rec.key, "contract drafted and stored");
    let msg =
        LabourMsg::Register { contract: rec.key.clone(), worker: req.worker, commitment: rec.commitment, starts, ends };
    Ok(created(json!({"contract": rec.key, "version": 1, "commitment": rec.commitment, "sign": sign(&msg)})))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct NewVersion {
    #[serde(default)]
    parties: Option<Parties>,
    terms: Draft,
}

async fn amend(State(desk): State<Arc<Desk>>, headers: HeaderMap, Path(id): Path<String>, bytes: Bytes) -> Answer {
    let client = admit(&desk, &headers)?;
    let req: NewVersion = body(&bytes)?;
    let _one_writer = desk.write.lock().await;
    let mut e = entry(&desk, client, &id)?;
    let on_chain = desk.chain.contract(&id).await?.ok_or_else(|| {
        conflict("not-registered", "the contract is not on the ledger yet: submit its signed registration first")
    })?;
    if on_chain.terminated {
        return Err(conflict("terminated", "the contract was terminated; it cannot be amended"));
    }
    if on_chain.versions.len() != e.versions.len() {
        return Err(conflict(
            "version-pending",
            format!("version {} is stored but not on the ledger: submit its signed amendment first", e.versions.len()),
        ));
    }
    let terms = linted(&req.terms)?;
    if let Some(p) = &req.parties {
        p.check().map_err(|x| unprocessable("bad-parties", x))?;
    }
    let last = e.versions.last().ok_or_else(|| Problem::internal(format!("contract {id} has no version")))?;
    let previous = ContractVersion::decode(&desk.chain.fetch(&last.key).await?).map_err(Problem::internal)?;
    let version = last.version + 1;
    let ends = terms.end;
    let parties = req.parties.unwrap_or(previous.parties);
    let doc = ContractVersion::new(Some(&id), version, e.employer, e.worker, parties, terms);
    let rec = desk.chain.store(&encode(&doc)).await?;
    e.versions.push(VersionRef { version, key: rec.key, commitment: rec.commitment });
    desk.book.put(&id, &e)?;
    let msg = LabourMsg::Amend { contract: id.clone(), commitment: rec.commitment, ends };
    Ok(created(json!({"contract": id, "version": version, "commitment": rec.commitment, "sign": sign(&msg)})))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct NewTimesheet {
    week: Week,
}

async fn timesheet(State(desk): State<Arc<Desk>>, headers: HeaderMap, Path(id): Path<String>, bytes: Bytes) -> Answer {
    let client = admit(&desk, &headers)?;
    let req: NewTimesheet = body(&bytes)?;
    req.week.validate().map_err(|e| unprocessable("bad-timesheet", e.to_string()))?;
    let _one_writer = desk.write.lock().await;
    let mut e = entry(&desk, client, &id)?;
    let monday = req.week.monday;
    if desk.chain.contract(&id).await?.is_none() {
        return Err(conflict(
            "not-registered",
            "the contract is not on the ledger yet: submit its signed registration first",
        ));
    }
    let on_chain = desk.chain.client.query("labour", &format!("timesheet/{id}/{monday}"), &[]).await;
    if on_chain.is_ok() {
        return Err(conflict(
            "week-recorded",
            format!("the week of {monday} is already on the ledger; it cannot be replaced"),
        ));
    }
    let doc = Timesheet::new(&id, req.week);
    let rec = desk.chain.store(&encode(&doc)).await?;
    // A week stored earlier but never committed on chain is superseded by this one.
    e.weeks.insert(monday, WeekRef { key: rec.key, commitment: rec.commitment });
    desk.book.put(&id, &e)?;
    let msg = LabourMsg::Timesheet { contract: id.clone(), monday, commitment: rec.commitment };
    Ok(created(json!({"contract": id, "monday": monday, "commitment": rec.commitment, "sign": sign(&msg)})))
}

async fn read(State(desk): State<Arc<Desk>>, headers: HeaderMap, Path(id): Path<String>) -> Answer {
    let client = admit(&desk, &headers)?;
    let e = entry(&desk, client, &id)?;
    let mut versions = Vec::new();
    for v in &e.versions {
        let doc = ContractVersion::decode(&desk.chain.fetch(&v.key).await?).map_err(Problem::internal)?;
        versions.push(
            json!({"version": v.version, "commitment": v.commitment, "parties": doc.parties, "terms": doc.terms}),
        );
    }
    let weeks: Vec<Value> =
        e.weeks.iter().map(|(monday, w)| json!({"monday": monday, "commitment": w.commitment})).collect();
    let ledger = desk.chain.contract(&id).await?;
    Ok(Json(json!({
        "contract": id,
        "employer": e.employer,
        "worker": e.worker,
        "versions": versions,
        "weeks": weeks,
        "ledger": ledger,
    }))
    .into_response())
}

async fn findings(State(desk): State<Arc<Desk>>, headers: HeaderMap, Path(id): Path<String>) -> Answer {
    let client = admit(&desk, &headers)?;
    let e = entry(&desk, client, &id)?;
    match findings::run(&desk.chain, &id, &e).await {
        Ok(report) => Ok(Json(report).into_response()),
        Err(FindingsError::Chain(c)) => Err(c.into()),
        Err(FindingsError::Tables(t)) => Err(unprocessable(
            "tables-incomplete",
            format!("the chain's legal tables cannot judge this contract: {t}; the council must set the figure"),
        )),
        Err(FindingsError::Stored(s)) => Err(Problem::internal(s).into()),
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RelayBody {
    /// Hex of the signed transaction's canonical encoding (as `POST /v1/txs` takes it).
    tx: String,
}

/// The contract a labour message acts on, for the messages a party sends.
fn contract_of(msg: &LabourMsg) -> Option<&str> {
    match msg {
        LabourMsg::Register { contract, .. }
        | LabourMsg::Sign { contract, .. }
        | LabourMsg::Amend { contract, .. }
        | LabourMsg::Terminate { contract, .. }
        | LabourMsg::Timesheet { contract, .. }
        | LabourMsg::ConfirmTimesheet { contract, .. }
        | LabourMsg::SetDeadline { contract, .. }
        | LabourMsg::MeetDeadline { contract, .. } => Some(contract),
        LabourMsg::VouchEmployer { .. } | LabourMsg::WithdrawEmployer { .. } => None,
    }
}

/// Why a message's commitment is not the one of the document the desk stored for it (an app
/// must register what is in the collection, not something else).
fn commitment_mismatch(msg: &LabourMsg, e: &Entry) -> Option<String> {
    let (what, stored, sent) = match msg {
        LabourMsg::Register { commitment, .. } => ("version 1", e.versions.first().map(|v| v.commitment), commitment),
        LabourMsg::Amend { commitment, .. } => {
            ("the latest version", e.versions.last().map(|v| v.commitment), commitment)
        }
        LabourMsg::Timesheet { monday, commitment, .. } => {
            ("that week's timesheet", e.weeks.get(monday).map(|w| w.commitment), commitment)
        }
        _ => return None,
    };
    match stored {
        Some(c) if c == *sent => None,
        Some(c) => Some(format!("the commitment is not that of {what} stored in the collection ({c})")),
        None => Some(format!("the desk stored no {what} for this contract: store it first")),
    }
}

async fn relay(State(desk): State<Arc<Desk>>, headers: HeaderMap, bytes: Bytes) -> Answer {
    let client = admit(&desk, &headers)?;
    let req: RelayBody = body(&bytes)?;
    let raw = hex::decode(req.tx.trim_start_matches("0x"))
        .map_err(|e| Problem::bad_request("malformed-transaction", format!("tx is not hex: {e}")))?;
    let tx = SignedTx::decode(&raw).map_err(|e| Problem::bad_request("malformed-transaction", e.to_string()))?;
    if tx.body.chain_id != desk.chain.chain_id {
        return Err(unprocessable("wrong-chain", format!("the transaction is for chain '{}'", tx.body.chain_id)));
    }
    if tx.body.module != LabourMsg::MODULE {
        return Err(unprocessable("not-labour", "the desk relays labour messages only"));
    }
    let msg: LabourMsg = serde_json::from_slice(&tx.body.msg)
        .map_err(|e| unprocessable("invalid-message", format!("not a labour message: {e}")))?;
    let id = contract_of(&msg)
        .ok_or_else(|| unprocessable("not-for-apps", "vouching for employers is the federation's, not an app's"))?;
    let e = entry(&desk, client, id)?;
    if let Some(why) = commitment_mismatch(&msg, &e) {
        return Err(unprocessable("not-the-stored-document", why));
    }
    let sender = tx.body.sender_address();
    if sender != e.employer && sender != e.worker {
        return Err(Problem::new(
            StatusCode::FORBIDDEN,
            "not-a-party",
            format!("{sender} is neither the employer nor the worker of contract {id}"),
        )
        .into());
    }
    let receipt = desk.chain.relay(&tx).await.map_err(|err| match err {
        ChainError::Node(dojang_sdk::ClientError::Problem { status, kind, detail }) if status < 500 => {
            let code = kind.rsplit('/').next().unwrap_or("refused").to_string();
            Refused::with(
                Problem::new(StatusCode::UNPROCESSABLE_ENTITY, &code, format!("the node refused it: {detail}")),
                None,
            )
        }
        other => other.into(),
    })?;
    if receipt["result"]["status"] != "ok" {
        let text = |k: &str| receipt["result"][k].as_str().unwrap_or_default().to_string();
        return Err(unprocessable(
            "refused-by-ledger",
            format!("the labour module refused it ({}): {}", text("code"), text("reason")),
        ));
    }
    Ok(Json(receipt).into_response())
}
