//! The desk's contract endpoints: lint a draft, store a contract and its amendments and weekly
//! timesheets in the collection (answering the message the employer signs), read a contract
//! back, and run the compliance engine over it.

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::IntoResponse;
use axum::Json;
use dojang_api::Problem;
use dojang_labour::terms::lint;
use dojang_labour::{Draft, LabourMsg, Terms, Week};
use dojang_types::{Address, Date};
use futures::stream::{self, StreamExt, TryStreamExt};
use serde::Deserialize;
use serde_json::{json, Value};

use super::api::{
    admit, agrees, body, conflict, created, entry, locked_entry, refused, registered, sign, unprocessable, Answer,
    Refused,
};
use super::book::{Entry, VersionRef, WeekRef};
use super::chain::FETCH_AT_ONCE;
use super::documents::{encode, ContractVersion, Parties, Timesheet};
use super::findings::{self, FindingsError};
use super::Desk;

/// Most weeks the desk keeps per contract (ten years).
pub const MAX_WEEKS: usize = 520;
/// Most versions of a contract (the ledger's limit, CON-04).
pub const MAX_VERSIONS: u32 = 100;

pub async fn lint_draft(State(desk): State<Arc<Desk>>, headers: HeaderMap, bytes: Bytes) -> Answer {
    admit(&desk, &headers)?;
    let draft: Draft = body(&bytes)?;
    let problems = lint(&draft).err().unwrap_or_default();
    Ok(Json(json!({"complete": problems.is_empty(), "problems": problems})).into_response())
}

/// LAB-01 on a draft: its terms, or a 422 listing every missing item in Korean and English.
fn linted(draft: &Draft) -> Result<Terms, Refused> {
    lint(draft).map_err(|problems| {
        let items: Vec<&str> = problems.iter().map(|p| p.item).collect();
        let each: Vec<String> = problems.iter().map(|x| format!("{} / {}", x.en, x.ko)).collect();
        unprocessable(
            "incomplete-contract",
            format!("LAB-01: the draft lacks or gets wrong: {} ({})", items.join(", "), each.join("; ")),
        )
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

pub async fn create(State(desk): State<Arc<Desk>>, headers: HeaderMap, bytes: Bytes) -> Answer {
    let client = admit(&desk, &headers)?;
    let req: NewContract = body(&bytes)?;
    if !client.acts_for(&req.employer) {
        return Err(refused(
            StatusCode::FORBIDDEN,
            "not-your-employer",
            format!("this app does not act for employer {}; the desk's operator lists its employers", req.employer),
        ));
    }
    if req.worker == req.employer {
        return Err(unprocessable("same-party", "the worker's account must not be the employer's"));
    }
    let parties = req.parties.normalized().map_err(|e| unprocessable("bad-parties", e))?;
    let terms = linted(&req.terms)?;
    let (starts, ends) = (terms.start, terms.end);
    let doc = ContractVersion::new(None, 1, req.employer, req.worker, parties, terms);
    let rec = desk.chain.store(&encode(&doc)).await?;
    let entry = Entry {
        client: client.id.clone(),
        employer: req.employer,
        worker: req.worker,
        starts,
        versions: vec![VersionRef { version: 1, key: rec.key.clone(), commitment: rec.commitment, ends }],
        weeks: Default::default(),
        declared: Default::default(),
        payments: vec![],
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

/// An amendment. A version stored but never put on the ledger is replaced by the new one.
pub async fn amend(State(desk): State<Arc<Desk>>, headers: HeaderMap, Path(id): Path<String>, bytes: Bytes) -> Answer {
    let client = admit(&desk, &headers)?;
    let req: NewVersion = body(&bytes)?;
    let (_contract, mut e) = locked_entry(&desk, client, &id).await?;
    let on_chain = registered(&desk, &id, &e).await?;
    if on_chain.terminated {
        return Err(conflict("terminated", "the contract was terminated; it cannot be amended"));
    }
    let terms = linted(&req.terms)?;
    let parties = match req.parties {
        Some(p) => Some(p.normalized().map_err(|x| unprocessable("bad-parties", x))?),
        None => None,
    };
    // `registered` holds the ledger to a prefix of the index: equal, or one version pending.
    e.versions.truncate(on_chain.versions.len());
    let version = e.versions.len() as u32 + 1;
    if version > MAX_VERSIONS {
        return Err(unprocessable("too-many-versions", format!("a contract has at most {MAX_VERSIONS} versions")));
    }
    let last = e.versions.last().ok_or_else(|| Problem::internal(format!("contract {id} has no version")))?;
    let previous = ContractVersion::decode(&desk.chain.fetch(&last.key).await?).map_err(Problem::internal)?;
    let ends = terms.end;
    let doc =
        ContractVersion::new(Some(&id), version, e.employer, e.worker, parties.unwrap_or(previous.parties), terms);
    let rec = desk.chain.store(&encode(&doc)).await?;
    e.versions.push(VersionRef { version, key: rec.key, commitment: rec.commitment, ends });
    desk.book.put(&id, &e)?;
    let msg = LabourMsg::Amend { contract: id.clone(), commitment: rec.commitment, ends };
    Ok(created(json!({"contract": id, "version": version, "commitment": rec.commitment, "sign": sign(&msg)})))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct NewTimesheet {
    week: Week,
}

/// Today in Korea, the day the law counts by.
pub fn today() -> Date {
    Date::from_unix_ms_kst(dojang_types::wall_clock_ms())
}

pub async fn timesheet(
    State(desk): State<Arc<Desk>>,
    headers: HeaderMap,
    Path(id): Path<String>,
    bytes: Bytes,
) -> Answer {
    let client = admit(&desk, &headers)?;
    let req: NewTimesheet = body(&bytes)?;
    req.week.validate().map_err(|e| unprocessable("bad-timesheet", e.to_string()))?;
    let monday = req.week.monday;
    let (_contract, mut e) = locked_entry(&desk, client, &id).await?;
    let on_chain = registered(&desk, &id, &e).await?;
    let last_day = monday.plus_days(6);
    if last_day < on_chain.starts || on_chain.ends.is_some_and(|end| monday > end) || monday > today() {
        return Err(unprocessable(
            "week-outside-contract",
            format!("the week of {monday} is not a week of the contract up to today"),
        ));
    }
    if !e.weeks.contains_key(&monday) && e.weeks.len() >= MAX_WEEKS {
        return Err(unprocessable("too-many-weeks", format!("a contract keeps at most {MAX_WEEKS} weeks")));
    }
    if desk.chain.timesheet(&id, monday).await?.is_some() {
        return Err(conflict("week-recorded", format!("the week of {monday} is on the ledger; it cannot be replaced")));
    }
    let doc = Timesheet::new(&id, req.week);
    let rec = desk.chain.store(&encode(&doc)).await?;
    // A week stored earlier but never committed on chain is superseded by this one.
    e.weeks.insert(monday, WeekRef { key: rec.key, commitment: rec.commitment });
    desk.book.put(&id, &e)?;
    let msg = LabourMsg::Timesheet { contract: id.clone(), monday, commitment: rec.commitment };
    Ok(created(json!({"contract": id, "monday": monday, "commitment": rec.commitment, "sign": sign(&msg)})))
}

pub async fn read(State(desk): State<Arc<Desk>>, headers: HeaderMap, Path(id): Path<String>) -> Answer {
    let client = admit(&desk, &headers)?;
    let e = entry(&desk, client, &id)?;
    let chain = &desk.chain;
    let versions: Vec<Value> = stream::iter(e.versions.clone())
        .map(|v| async move {
            let doc = ContractVersion::decode(&chain.fetch(&v.key).await?).map_err(Problem::internal)?;
            Ok::<Value, Refused>(
                json!({"version": v.version, "commitment": v.commitment, "parties": doc.parties, "terms": doc.terms}),
            )
        })
        .buffered(FETCH_AT_ONCE)
        .try_collect()
        .await?;
    let weeks: Vec<Value> =
        e.weeks.iter().map(|(monday, w)| json!({"monday": monday, "commitment": w.commitment})).collect();
    let ledger = desk.chain.contract(&id).await?;
    let ledger_agrees = ledger.as_ref().map(|c| agrees(&e, c));
    Ok(Json(json!({
        "contract": id,
        "employer": e.employer,
        "worker": e.worker,
        "versions": versions,
        "weeks": weeks,
        "ledger": ledger,
        "ledger_agrees": ledger_agrees,
    }))
    .into_response())
}

pub async fn findings(State(desk): State<Arc<Desk>>, headers: HeaderMap, Path(id): Path<String>) -> Answer {
    let client = admit(&desk, &headers)?;
    let e = entry(&desk, client, &id)?;
    let on_chain = registered(&desk, &id, &e).await?;
    let tables = desk.chain.tables().await?;
    match findings::run(&desk.chain, &id, &e, &on_chain, today(), &tables).await {
        Ok(report) => {
            desk.note_alerts(&id, report.alerts());
            Ok(Json(report).into_response())
        }
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
struct Declared {
    insurance: String,
    reported_on: Date,
}

/// The employer declares an insurance's acquisition report filed (LAB-08), until the labour
/// office records it met on the ledger.
pub async fn declare_report(
    State(desk): State<Arc<Desk>>,
    headers: HeaderMap,
    Path(id): Path<String>,
    bytes: Bytes,
) -> Answer {
    let client = admit(&desk, &headers)?;
    let req: Declared = body(&bytes)?;
    if !dojang_labour::exec::INSURANCES.contains(&req.insurance.as_str()) {
        return Err(unprocessable(
            "unknown-insurance",
            format!("'{}' is not one of {}", req.insurance, dojang_labour::exec::INSURANCES.join(", ")),
        ));
    }
    let (_contract, mut e) = locked_entry(&desk, client, &id).await?;
    let on_chain = registered(&desk, &id, &e).await?;
    if req.reported_on > today() || req.reported_on < on_chain.starts.plus_days(-31) {
        return Err(unprocessable(
            "report-date",
            format!("{} is not a day from a month before the contract's start up to today", req.reported_on),
        ));
    }
    e.declared.insert(req.insurance.clone(), req.reported_on);
    desk.book.put(&id, &e)?;
    Ok(Json(json!({"contract": id, "declared": e.declared})).into_response())
}

/// The alerts of this app's contracts as the engine last found them (it runs on its own every
/// `engine_interval_s`, and whenever an app asks for a contract's findings).
pub async fn alerts(State(desk): State<Arc<Desk>>, headers: HeaderMap) -> Answer {
    let client = admit(&desk, &headers)?;
    let mine: Vec<Value> = desk
        .alerts_for(|id| {
            desk.book.get(id).ok().flatten().is_some_and(|e| e.client == client.id && client.acts_for(&e.employer))
        })
        .into_iter()
        .map(|(contract, alerts)| json!({"contract": contract, "alerts": alerts}))
        .collect();
    Ok(Json(json!({"contracts": mine})).into_response())
}
