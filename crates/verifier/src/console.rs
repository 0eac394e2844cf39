//! The program office's console, served by its verifier service under `/console` and open
//! only to the office's staff (crate::staff): the office's programs, applications and decisions
//! by outcome and reason, anchoring against the chain, the lottery draw and the appeal replay
//! of one decision. What it says of the chain (programs, anchored roots, rule sets, the seed) is
//! read with proofs through [`ProvenRead`]; what it says of decisions is the office's own store.

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

use axum::extract::{Path, Query, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Form, Router};
use dojang_credentials::TrustView;
use dojang_eligibility::state::ProgramRecord;
use dojang_eligibility::Outcome;
use serde::Deserialize;
use serde_json::Value;

use crate::console_page::{cookie, esc, page, problem, url_part, utc, Lang};
use crate::http::Service;
use crate::record::DecisionRecord;
use crate::staff::{LoginError, Staff};

/// A chain record read with its proof: the value (if any) and the height it was proven at.
pub struct Proven {
    pub value: Option<Value>,
    pub height: u64,
}

/// Reads chain state with proofs checked against the trusted validators.
#[async_trait::async_trait]
pub trait ProvenRead: Send + Sync {
    async fn read(&self, key: &str) -> Result<Proven, String>;
}

/// The console: the office's service, its staff, and its proven view of the chain.
pub struct Console<T: TrustView> {
    pub service: Arc<Service<T>>,
    pub staff: Staff,
    pub chain: Arc<dyn ProvenRead>,
    /// Mark the session cookie `Secure` (the service is reached over https).
    pub secure_cookie: bool,
}

const SESSION: &str = "dojang_console";
/// Decisions on one page of a program's list.
const PAGE: usize = 50;

pub fn router<T: TrustView + Sync + 'static>(console: Arc<Console<T>>) -> Router {
    Router::new()
        .route("/console", get(|| async { Redirect::to("/console/programs") }))
        .route("/console/login", get(login_form::<T>).post(login::<T>))
        .route("/console/logout", post(logout::<T>))
        .route("/console/programs", get(programs::<T>))
        .route("/console/programs/{id}", get(program::<T>))
        .route("/console/programs/{id}/draw", post(draw::<T>))
        .route("/console/programs/{id}/decisions/{seq}", get(crate::console_decision::decision::<T>))
        .with_state(console)
}

#[derive(Deserialize, Default)]
struct LangQuery {
    lang: Option<String>,
}

pub(crate) fn lang(q: &HashMap<String, String>, headers: &HeaderMap) -> Lang {
    Lang::pick(q.get("lang").map(String::as_str), headers)
}

/// A request from another site (a forged form post) is refused before anything is done.
fn same_origin(headers: &HeaderMap) -> bool {
    let site_ok =
        headers.get("sec-fetch-site").and_then(|v| v.to_str().ok()).is_none_or(|s| s == "same-origin" || s == "none");
    let host = headers.get(header::HOST).and_then(|v| v.to_str().ok());
    let origin_ok = match (headers.get(header::ORIGIN).and_then(|v| v.to_str().ok()), host) {
        (None, _) => true,
        (Some(o), Some(h)) => o.split_once("://").is_some_and(|(_, rest)| rest == h),
        (Some(_), None) => false,
    };
    site_ok && origin_ok
}

/// The logged-in user, if the request carries a live session.
pub(crate) fn staff_user<T: TrustView>(c: &Console<T>, headers: &HeaderMap) -> Option<String> {
    cookie(headers, SESSION).and_then(|t| c.staff.user(&t))
}

pub(crate) fn to_login() -> Response {
    Redirect::to("/console/login").into_response()
}

async fn login_form<T: TrustView + Sync + 'static>(
    State(c): State<Arc<Console<T>>>,
    Query(q): Query<HashMap<String, String>>,
    headers: HeaderMap,
) -> Response {
    let l = lang(&q, &headers);
    if staff_user(&c, &headers).is_some() {
        return Redirect::to("/console/programs").into_response();
    }
    login_page(l, None)
}

fn login_page(l: Lang, error: Option<&str>) -> Response {
    let error = error.map(|e| format!("<p class=\"bad\" role=\"alert\">{}</p>", esc(e))).unwrap_or_default();
    let body = format!(
        "{error}<p class=\"note\">{}</p><form method=\"post\" action=\"/console/login\">\
<label for=\"user\">{}</label><input id=\"user\" name=\"user\" autocomplete=\"username\" required maxlength=\"64\">\
<label for=\"password\">{}</label><input id=\"password\" name=\"password\" type=\"password\" autocomplete=\"current-password\" required maxlength=\"1024\">\
<p><button type=\"submit\">{}</button></p></form>",
        l.t("For the office's staff only. Applicants apply from their wallet.", "사업 담당 직원 전용입니다. 신청은 시민 지갑에서 합니다."),
        l.t("User", "사용자"),
        l.t("Password", "비밀번호"),
        l.t("Log in", "로그인"),
    );
    page(l, l.t("Log in", "로그인"), None, &body)
}

#[derive(Deserialize)]
struct LoginForm {
    user: String,
    password: String,
}

async fn login<T: TrustView + Sync + 'static>(
    State(c): State<Arc<Console<T>>>,
    Query(q): Query<LangQuery>,
    headers: HeaderMap,
    form: Result<Form<LoginForm>, axum::extract::rejection::FormRejection>,
) -> Response {
    let l = Lang::pick(q.lang.as_deref(), &headers);
    if !same_origin(&headers) {
        return problem(
            l,
            StatusCode::FORBIDDEN,
            None,
            l.t("This form was sent from another site.", "다른 사이트에서 보낸 양식입니다."),
        );
    }
    let Ok(Form(f)) = form else {
        let mut r = login_page(l, Some(l.t("Give a user and a password.", "사용자와 비밀번호를 입력하세요.")));
        *r.status_mut() = StatusCode::BAD_REQUEST;
        return r;
    };
    if f.user.len() > 64 || f.password.len() > 1024 {
        return login_page(l, Some(l.t("Wrong user or password.", "사용자 또는 비밀번호가 틀렸습니다.")));
    }
    let c2 = c.clone();
    let result = tokio::task::spawn_blocking(move || c2.staff.log_in(&f.user, &f.password)).await;
    match result {
        Ok(Ok(token)) => {
            let secure = if c.secure_cookie { "; Secure" } else { "" };
            let mut r = Redirect::to("/console/programs").into_response();
            if let Ok(v) =
                HeaderValue::from_str(&format!("{SESSION}={token}; Path=/console; HttpOnly; SameSite=Strict{secure}"))
            {
                r.headers_mut().append(header::SET_COOKIE, v);
            }
            r
        }
        Ok(Err(LoginError::Locked { seconds })) => {
            let msg = format!(
                "{} ({seconds} s)",
                l.t(
                    "Too many failed log-ins for this user; try again later.",
                    "로그인 실패가 너무 많습니다. 잠시 후 다시 시도하세요."
                )
            );
            let mut r = login_page(l, Some(&msg));
            *r.status_mut() = StatusCode::TOO_MANY_REQUESTS;
            r
        }
        Ok(Err(LoginError::Wrong)) => {
            let mut r = login_page(l, Some(l.t("Wrong user or password.", "사용자 또는 비밀번호가 틀렸습니다.")));
            *r.status_mut() = StatusCode::UNAUTHORIZED;
            r
        }
        Err(_) => problem(l, StatusCode::INTERNAL_SERVER_ERROR, None, "the log-in check failed; try again"),
    }
}

async fn logout<T: TrustView + Sync + 'static>(State(c): State<Arc<Console<T>>>, headers: HeaderMap) -> Response {
    if same_origin(&headers) {
        if let Some(t) = cookie(&headers, SESSION) {
            c.staff.log_out(&t);
        }
    }
    let mut r = Redirect::to("/console/login").into_response();
    r.headers_mut().append(
        header::SET_COOKIE,
        HeaderValue::from_static("dojang_console=; Path=/console; HttpOnly; SameSite=Strict; Max-Age=0"),
    );
    r
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
    let p = c.chain.read(&format!("eligibility/programs/{id}")).await?;
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
            opens = utc(p.window_opens_ms / 1000),
            closes = utc(p.window_closes_ms / 1000),
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
                utc(d.core.decided_at),
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
    if !same_origin(&headers) {
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
