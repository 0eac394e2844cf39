//! The program office's console, served by its verifier service under `/console` and open
//! only to the office's staff (crate::staff): the office's programs, applications and decisions
//! by outcome and reason, anchoring against the chain, the lottery draw and the appeal replay
//! of one decision. What it says of the chain (programs, anchored roots, rule sets, the seed) is
//! read with proofs through [`ProvenRead`]; what it says of decisions is the office's own store.

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

use axum::extract::{Path, Query, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::Router;
use dojang_credentials::TrustView;
use dojang_eligibility::state::ProgramRecord;
use dojang_eligibility::Outcome;
use serde_json::Value;

use crate::console_page::{cookie, esc, kst, page, problem, url_part, Lang};
use crate::http::Service;
use crate::record::DecisionRecord;
use crate::staff::Staff;

/// A chain record read with its proof: the value (if any) and the height it was proven at.
pub struct Proven {
    /// The record's JSON; `None` when the chain proves there is none.
    pub value: Option<Value>,
    /// The block height of the certified header the proof was checked against.
    pub height: u64,
}

/// Reads chain state with proofs checked against the trusted validators.
#[async_trait::async_trait]
pub trait ProvenRead: Send + Sync {
    /// The record under a full state key (e.g. `eligibility/programs/<id>`), proof checked.
    async fn read(&self, key: &str) -> Result<Proven, String>;
}

/// The console: the office's service, its staff, and its proven view of the chain.
pub struct Console<T: TrustView> {
    /// The office's verifier service (its programs and decision store).
    pub service: Arc<Service<T>>,
    /// Who may log in.
    pub staff: Staff,
    /// The chain as the console reads it (with proofs).
    pub chain: Arc<dyn ProvenRead>,
    /// Where browsers reach the service (`https://…` marks the session cookie `Secure`; its
    /// origin is accepted on posts even when a reverse proxy rewrites the `Host` header).
    pub public_url: String,
}

impl<T: TrustView> Console<T> {
    fn origin(&self) -> &str {
        let url = self.public_url.trim_end_matches('/');
        match url.split_once("://") {
            Some((scheme, rest)) => &url[..scheme.len() + 3 + rest.find('/').unwrap_or(rest.len())],
            None => url,
        }
    }

    pub(crate) fn secure(&self) -> bool {
        self.public_url.starts_with("https://")
    }

    /// A request from another site (a forged form post) is refused before anything is done:
    /// `Sec-Fetch-Site`, when sent, must say same-origin; `Origin`, when sent, must be the
    /// service's public origin or the host the request was sent to.
    pub(crate) fn same_origin(&self, headers: &HeaderMap) -> bool {
        let site_ok = headers
            .get("sec-fetch-site")
            .and_then(|v| v.to_str().ok())
            .is_none_or(|s| s == "same-origin" || s == "none");
        let host = headers.get(header::HOST).and_then(|v| v.to_str().ok());
        let origin_ok = match headers.get(header::ORIGIN).and_then(|v| v.to_str().ok()) {
            None => true,
            Some(o) if o.eq_ignore_ascii_case(self.origin()) => true,
            Some(o) => host.is_some_and(|h| o.split_once("://").is_some_and(|(_, rest)| rest == h)),
        };
        site_ok && origin_ok
    }
}

pub(crate) const SESSION: &str = "dojang_console";
/// Decisions on one page of a program's list.
const PAGE: usize = 50;

/// The console's routes under `/console` (merge them into the verifier's router).
pub fn router<T: TrustView + Sync + 'static>(console: Arc<Console<T>>) -> Router {
    Router::new()
        .route("/console", get(|| async { Redirect::to("/console/programs") }))
        .route("/console/login", get(crate::console_login::login_form::<T>).post(crate::console_login::login::<T>))
        .route("/console/logout", post(crate::console_login::logout::<T>))
        .route("/console/programs", get(programs::<T>))
        .route("/console/programs/{id}", get(program::<T>))
        .route("/console/programs/{id}/draw", post(draw::<T>))
        .route("/console/programs/{id}/decisions/{seq}", get(crate::console_decision::decision::<T>))
        .with_state(console)
}

pub(crate) fn lang(q: &HashMap<String, String>, headers: &HeaderMap) -> Lang {
    Lang::pick(q.get("lang").map(String::as_str), headers)
}

/// The logged-in user, if the request carries a live session.
pub(crate) fn staff_user<T: TrustView>(c: &Console<T>, headers: &HeaderMap) -> Option<String> {
    cookie(headers, SESSION).and_then(|t| c.staff.user(&t))
}

pub(crate) fn to_login() -> Response {
    Redirect::to("/console/login").into_response()
}

/// A program's decisions from the office's store (read off the async threads).
async fn decisions_of<T: TrustView + Sync + 'static>(
    c: &Arc<Console<T>>,
    program: &str,
) -> Result<Vec<DecisionRecord>, String> {
    let (c, program) = (c.clone(), program.to_string());
    tokio::task::spawn_blocking(move || c.service.office.store().decisions_after(&program, 0))
        .await
        .map_err(|e| e.to_string())?
        .map_err(|e| e.to_string())
}

pub(crate) fn outcome_text(l: Lang, o: &Outcome) -> String {
    match o {
        Outcome::Eligible => format!("<span class=\"ok\">{}</span>", l.t("eligible", "적격")),
        Outcome::NotEligible { failed } => format!(
            "<span class=\"bad\">{}</span>: {}",
            l.t("not eligible", "부적격"),
            esc(&failed.iter().map(|f| f.id.as_str()).collect::<Vec<_>>().join(", "))
        ),
        Outcome::ManualReview { reason } => format!("{}: {}", l.t("manual review", "수동 심사"), esc(reason)),
    }
}

fn outcome_key(o: &Outcome) -> &'static str {
    match o {
        Outcome::Eligible => "eligible",
        Outcome::NotEligible { .. } => "not_eligible",
        Outcome::ManualReview { .. } => "manual_review",
    }
}

async fn program_record<T: TrustView + Sync + 'static>(
    c: &Console<T>,
    id: &str,
) -> Result<(Option<ProgramRecord>, u64), String> {
    let p = c.chain.read(&format!("eligibility/{}", dojang_eligibility::state::program_key(id))).await?;
    let record = p.value.map(serde_json::from_value).transpose().map_err(|e| format!("program record {id}: {e}"))?;
    Ok((record, p.height))
}

async fn programs<T: TrustView + Sync + 'static>(
    State(c): State<Arc<Console<T>>>,
    Query(q): Query<HashMap<String, String>>,
    headers: HeaderMap,
) -> Response {
    let l = lang(&q, &headers);
    let Some(user) = staff_user(&c, &headers) else { return to_login() };
    let mut ids: Vec<&String> = c.service.programs.keys().collect();
    ids.sort();
    let mut rows = String::new();
    for id in ids {
        let p = &c.service.programs[id];
        let ds = match decisions_of(&c, id).await {
            Ok(ds) => ds,
            Err(e) => return problem(l, StatusCode::SERVICE_UNAVAILABLE, Some(&user), &e),
        };
        let count = |k: &str| ds.iter().filter(|d| outcome_key(&d.core.outcome) == k).count();
        let anchored = ds.iter().filter(|d| d.anchored.is_some()).count();
        let chain = match program_record(&c, id).await {
            Ok((Some(r), h)) => format!(
                "{} {} · {} <span class=\"mark\">{}</span>",
                r.batches,
                l.t("batches on chain", "개 묶음 체인 기록"),
                if r.seed.is_some() {
                    l.t("seed revealed", "추첨 시드 공개됨")
                } else {
                    l.t("seed not yet revealed", "추첨 시드 미공개")
                },
                esc(&format!("{} {h}", l.t("verified at block", "검증 블록"))),
            ),
            Ok((None, _)) => l.t("not on chain", "체인에 없음").to_string(),
            Err(e) => format!(
                "<span class=\"bad\">{}: {}</span>",
                l.t("cannot read the chain", "체인을 읽을 수 없음"),
                esc(&e)
            ),
        };
        rows.push_str(&format!(
            "<tr><td><a href=\"/console/programs/{u}\">{id}</a></td><td>{policy}</td><td>{rs}</td><td>{opens} – {closes}</td><td>{quota}</td>\
<td>{total} ({e} / {n} / {m})</td><td>{anchored} / {total}</td><td>{chain}</td></tr>",
            u = url_part(id),
            id = esc(id),
            policy = esc(&p.policy.id),
            rs = p.ruleset_version,
            opens = kst(p.window_opens_ms / 1000),
            closes = kst(p.window_closes_ms / 1000),
            quota = p.quota,
            total = ds.len(),
            e = count("eligible"),
            n = count("not_eligible"),
            m = count("manual_review"),
        ));
    }
    let body = format!(
        "<p>{} {}</p><table><thead><tr><th>{}</th><th>{}</th><th>{}</th><th>{}</th><th>{}</th><th>{}</th><th>{}</th><th>{}</th></tr></thead><tbody>{rows}</tbody></table>",
        l.t("Requests awaiting an answer now:", "응답 대기 중인 요청:"),
        c.service.office.pending_count(),
        l.t("Program", "사업"),
        l.t("Policy", "정책"),
        l.t("Rule set", "규칙 버전"),
        l.t("Window", "신청 기간"),
        l.t("Quota", "정원"),
        l.t("Decisions (eligible / not / review)", "결정 (적격 / 부적격 / 심사)"),
        l.t("Anchored", "앵커됨"),
        l.t("On chain", "체인 상태"),
    );
    page(l, l.t("Programs", "사업 목록"), Some(&user), &body)
}

async fn program<T: TrustView + Sync + 'static>(
    State(c): State<Arc<Console<T>>>,
    Path(id): Path<String>,
    Query(q): Query<HashMap<String, String>>,
    headers: HeaderMap,
) -> Response {
    let l = lang(&q, &headers);
    let Some(user) = staff_user(&c, &headers) else { return to_login() };
    let Some(p) = c.service.programs.get(&id) else {
        return problem(l, StatusCode::NOT_FOUND, Some(&user), &format!("this office runs no program '{id}'"));
    };
    let ds = match decisions_of(&c, &id).await {
        Ok(ds) => ds,
        Err(e) => return problem(l, StatusCode::SERVICE_UNAVAILABLE, Some(&user), &e),
    };
    let selected: Vec<u64> = c.service.office.store().meta(&format!("draw/{id}")).ok().flatten().unwrap_or_default();
    let mut by_reason: BTreeMap<String, usize> = BTreeMap::new();
    for d in &ds {
        match &d.core.outcome {
            Outcome::NotEligible { failed } => {
                failed.iter().for_each(|f| *by_reason.entry(f.id.clone()).or_default() += 1)
            }
            Outcome::ManualReview { .. } => *by_reason.entry("manual_review".into()).or_default() += 1,
            Outcome::Eligible => {}
        }
    }
    let outcome =
        q.get("outcome").map(String::as_str).filter(|o| ["eligible", "not_eligible", "manual_review"].contains(o));
    let reason = q.get("reason").map(String::as_str);
    let after: u64 = q.get("after").and_then(|a| a.parse().ok()).unwrap_or(0);
    let matches = |d: &&DecisionRecord| {
        outcome.is_none_or(|o| outcome_key(&d.core.outcome) == o)
            && reason.is_none_or(|r| match &d.core.outcome {
                Outcome::NotEligible { failed } => failed.iter().any(|f| f.id == r),
                Outcome::ManualReview { .. } => r == "manual_review",
                Outcome::Eligible => false,
            })
    };
    let shown: Vec<&DecisionRecord> = ds.iter().filter(matches).filter(|d| d.seq > after).take(PAGE + 1).collect();
    let filter_q = |o: Option<&str>, r: Option<&str>| {
        let mut s = String::new();
        if let Some(o) = o {
            s.push_str(&format!("&outcome={}", url_part(o)));
        }
        if let Some(r) = r {
            s.push_str(&format!("&reason={}", url_part(r)));
        }
        s
    };
    let base = format!("/console/programs/{}", url_part(&id));
    let reasons: String = by_reason
        .iter()
        .map(|(r, n)| {
            format!(
                "<li><a href=\"{base}?{}\">{}</a>: {n}</li>",
                filter_q(None, Some(r)).trim_start_matches('&'),
                esc(r)
            )
        })
        .collect();
    let rows: String = shown
        .iter()
        .take(PAGE)
        .map(|d| {
            let anchored = match d.anchored {
                Some((b, i)) => format!("{} {b} #{i}", l.t("batch", "묶음")),
                None => l.t("waiting", "대기").to_string(),
            };
            let pick = if selected.contains(&d.seq) { l.t("selected", "선정") } else { "" };
            format!(
                "<tr><td><a href=\"{base}/decisions/{seq}\">{seq}</a></td><td>{}</td><td>{}</td><td>{}</td><td>{anchored}</td><td>{pick}</td></tr>",
                kst(d.core.decided_at),
                outcome_text(l, &d.core.outcome),
                d.core.ruleset_version,
                seq = d.seq,
            )
        })
        .collect();
    let more = if shown.len() > PAGE {
        let last = shown[PAGE - 1].seq;
        format!(
            "<p><a href=\"{base}?after={last}{}\">{}</a></p>",
            filter_q(outcome, reason),
            l.t("Next page", "다음 쪽")
        )
    } else {
        String::new()
    };
    let (seed, draw_button) = match program_record(&c, &id).await {
        Ok((Some(r), h)) if r.seed.is_some() => (
            format!(
                "{} <span class=\"mark\">{} {h}</span>",
                l.t("The lottery seed is revealed on chain.", "추첨 시드가 체인에 공개되었습니다."),
                l.t("verified at block", "검증 블록")
            ),
            format!(
                "<form method=\"post\" action=\"{base}/draw\"><button type=\"submit\">{}</button></form>",
                l.t("Draw the lottery", "추첨하기")
            ),
        ),
        Ok((Some(_), h)) => (
            format!(
                "{} <span class=\"mark\">{} {h}</span>",
                l.t(
                    "The lottery seed is not revealed yet; the draw waits for it (after the window closes).",
                    "추첨 시드가 아직 공개되지 않았습니다 (신청 기간 종료 후)."
                ),
                l.t("verified at block", "검증 블록")
            ),
            String::new(),
        ),
        Ok((None, _)) => (l.t("The program is not on chain.", "사업이 체인에 없습니다.").to_string(), String::new()),
        Err(e) => (format!("<span class=\"bad\">{}</span>", esc(&e)), String::new()),
    };
    let drawn = if selected.is_empty() {
        String::new()
    } else {
        format!(
            "<p>{}: {}</p>",
            l.t("Selected, in rank order", "선정 (순위순)"),
            selected.iter().map(u64::to_string).collect::<Vec<_>>().join(", ")
        )
    };
    let body = format!(
        "<p>{} <strong>{}</strong> · {} {} · {} {}</p>\
<h2>{}</h2><ul><li><a href=\"{base}\">{}</a> ({})</li><li><a href=\"{base}?outcome=eligible\">{}</a></li><li><a href=\"{base}?outcome=not_eligible\">{}</a></li><li><a href=\"{base}?outcome=manual_review\">{}</a></li></ul>\
<h3>{}</h3><ul>{reasons}</ul>\
<h2>{}</h2><p>{seed}</p>{draw_button}{drawn}\
<h2>{}</h2><table><thead><tr><th>#</th><th>{}</th><th>{}</th><th>{}</th><th>{}</th><th>{}</th></tr></thead><tbody>{rows}</tbody></table>{more}",
        l.t("Policy", "정책"),
        esc(&p.policy.id),
        l.t("rule set", "규칙 버전"),
        p.ruleset_version,
        l.t("quota", "정원"),
        p.quota,
        l.t("Decisions", "결정"),
        l.t("all", "전체"),
        ds.len(),
        l.t("eligible", "적격"),
        l.t("not eligible", "부적격"),
        l.t("manual review", "수동 심사"),
        l.t("By reason", "사유별"),
        l.t("Lottery", "추첨"),
        l.t("Applications", "신청"),
        l.t("Decided", "결정 시각"),
        l.t("Outcome", "결과"),
        l.t("Rule set", "규칙 버전"),
        l.t("Anchor", "앵커"),
        l.t("Lottery", "추첨"),
    );
    page(l, &id, Some(&user), &body)
}

async fn draw<T: TrustView + Sync + 'static>(
    State(c): State<Arc<Console<T>>>,
    Path(id): Path<String>,
    Query(q): Query<HashMap<String, String>>,
    headers: HeaderMap,
) -> Response {
    let l = lang(&q, &headers);
    let Some(user) = staff_user(&c, &headers) else { return to_login() };
    if !c.same_origin(&headers) {
        return problem(
            l,
            StatusCode::FORBIDDEN,
            Some(&user),
            l.t("This form was sent from another site.", "다른 사이트에서 보낸 양식입니다."),
        );
    }
    let Some(p) = c.service.programs.get(&id).cloned() else {
        return problem(l, StatusCode::NOT_FOUND, Some(&user), &format!("this office runs no program '{id}'"));
    };
    let seed = match program_record(&c, &id).await {
        Ok((Some(r), _)) => r.seed,
        Ok((None, _)) => return problem(l, StatusCode::NOT_FOUND, Some(&user), "the program is not on chain"),
        Err(e) => return problem(l, StatusCode::SERVICE_UNAVAILABLE, Some(&user), &e),
    };
    let Some(seed) = seed else {
        return problem(
            l,
            StatusCode::CONFLICT,
            Some(&user),
            l.t("The lottery seed is not revealed on chain yet.", "추첨 시드가 아직 체인에 공개되지 않았습니다."),
        );
    };
    let c2 = c.clone();
    match tokio::task::spawn_blocking(move || c2.service.office.draw(&p, &seed)).await {
        Ok(Ok(_)) => Redirect::to(&format!("/console/programs/{}", url_part(&id))).into_response(),
        Ok(Err(e)) => problem(l, StatusCode::SERVICE_UNAVAILABLE, Some(&user), &e.to_string()),
        Err(e) => problem(l, StatusCode::INTERNAL_SERVER_ERROR, Some(&user), &e.to_string()),
    }
}

/// Serves a page saying the console is off (no staff accounts configured).
pub fn disabled_router() -> Router {
    Router::new().route(
        "/console/{*rest}",
        get(|headers: HeaderMap| async move {
            let l = Lang::pick(None, &headers);
            problem(
                l,
                StatusCode::NOT_FOUND,
                None,
                l.t(
                    "The console is off: the office's config lists no staff accounts ([[office.staff]]).",
                    "콘솔이 꺼져 있습니다: 설정에 직원 계정([[office.staff]])이 없습니다.",
                ),
            )
        }),
    )
}
