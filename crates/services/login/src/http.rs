//! The login service's HTTP face. Toward facilities, OpenID Connect: discovery, JWKS,
//! `/authorize`, `/token`, `/userinfo`. Toward the citizen: the login page (`/login/<id>`)
//! with the wallet link and its QR code, the signed request the wallet fetches, the
//! `direct_post` answer, and the status the page follows until it sends the browser back to
//! the facility.

use std::collections::HashMap;
use std::sync::Arc;

use axum::extract::{Path, Query, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use axum::{Form, Json, Router};
use dojang_credentials::TrustView;
use dojang_login::RelyingParty;
use serde_json::{json, Map, Value};

use crate::authorize::{with_query, AuthorizeError, AuthorizeParams};
use crate::page;
use crate::provider::{LoginError, Provider, TokenForm};

/// What the service reads from the chain, each with a proof: a facility's registration, and
/// the trust data a presentation and a policy need (filled into the provider's cache).
#[async_trait::async_trait]
pub trait ChainView: Send + Sync {
    async fn facility(&self, id: &str) -> Result<Option<RelyingParty>, String>;
    async fn prepare_policy(&self, policy: &str) -> Result<(), String>;
    async fn prepare(&self, presentation: &str, policy: &str) -> Result<(), String>;
}

/// The login service as served.
pub struct Service<T: TrustView> {
    pub provider: Provider<T>,
    pub chain: Arc<dyn ChainView>,
    /// The city's web wallet, linked from the login page with the request.
    pub wallet_url: Option<String>,
}

/// The most presentations one answer may carry (a policy asks for a resident credential and,
/// for a guardian, a guardian credential); each costs chain reads before it is checked.
const MAX_PRESENTATIONS: usize = 4;

/// The cookie that binds a login's pages to the browser that started it.
const COOKIE: &str = "dojang_login";

/// The starting browser's secret from the request's cookies, if it sent one.
fn browser(headers: &HeaderMap) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .find_map(|kv| kv.trim().strip_prefix(COOKIE).and_then(|r| r.strip_prefix('=')).map(str::to_string))
}

fn now() -> u64 {
    dojang_types::wall_clock_ms() / 1000
}

/// An OAuth error answer (`error`, `error_description`), never cached.
fn error(status: StatusCode, code: &str, description: impl Into<String>) -> Response {
    (
        status,
        [(header::CACHE_CONTROL, "no-store")],
        Json(json!({"error": code, "error_description": description.into()})),
    )
        .into_response()
}

fn unavailable(e: impl std::fmt::Display) -> Response {
    error(StatusCode::SERVICE_UNAVAILABLE, "temporarily_unavailable", format!("cannot read the chain: {e}"))
}

pub fn router<T: TrustView + Sync + 'static>(service: Arc<Service<T>>) -> Router {
    // The web wallet, at the node's origin, fetches requests and posts answers; facilities'
    // browser code may read discovery and JWKS. No cookies anywhere.
    let cors = tower_http::cors::CorsLayer::new()
        .allow_origin(tower_http::cors::Any)
        .allow_methods([axum::http::Method::GET, axum::http::Method::POST])
        .allow_headers([header::CONTENT_TYPE, header::AUTHORIZATION]);
    Router::new()
        .route("/.well-known/openid-configuration", get(discovery::<T>))
        .route("/jwks", get(jwks::<T>))
        .route("/authorize", get(authorize::<T>))
        .route("/login/{id}", get(login_page::<T>))
        .route("/login/{id}/status", get(status::<T>))
        .route("/login/{id}/request", get(request::<T>))
        .route("/login/{id}/response", axum::routing::post(response::<T>))
        .route("/token", axum::routing::post(token::<T>))
        .route("/userinfo", get(userinfo::<T>).post(userinfo::<T>))
        .layer(cors)
        .with_state(service)
}

async fn discovery<T: TrustView + Sync + 'static>(State(s): State<Arc<Service<T>>>) -> Response {
    Json(crate::tokens::discovery(&s.provider.issuer, &[])).into_response()
}

async fn jwks<T: TrustView + Sync + 'static>(State(s): State<Arc<Service<T>>>) -> Response {
    Json(s.provider.jwks()).into_response()
}

async fn authorize<T: TrustView + Sync + 'static>(
    State(s): State<Arc<Service<T>>>,
    params: Result<Query<AuthorizeParams>, axum::extract::rejection::QueryRejection>,
) -> Response {
    let Ok(Query(p)) = params else {
        return page::problem(
            StatusCode::BAD_REQUEST,
            "The facility's login request is malformed (a parameter appears twice or is not text).",
        );
    };
    let rp = match p.client_id.as_deref().filter(|c| dojang_login::rules::is_plain_id(c)) {
        Some(id) => match s.chain.facility(id).await {
            Ok(rp) => rp,
            Err(e) => {
                return page::problem(
                    StatusCode::SERVICE_UNAVAILABLE,
                    &format!("The login service cannot read the chain now: {e}. Try again shortly."),
                )
            }
        },
        None => None,
    };
    if let Some(rp) = &rp {
        if let Err(e) = prepare_policies(&s, rp).await {
            return page::problem(
                StatusCode::SERVICE_UNAVAILABLE,
                &format!("The login service cannot read the chain now: {e}."),
            );
        }
    }
    match s.provider.authorize(&p, rp.as_ref(), now()) {
        Ok(opened) => {
            // The starting browser's secret, only on this login's pages: they show its
            // progress and, at the end, the way back to the facility with the code.
            let secure = if s.provider.issuer.starts_with("https://") { "; Secure" } else { "" };
            let cookie = format!(
                "{COOKIE}={}; Path=/login/{}; HttpOnly; SameSite=Lax; Max-Age=600{secure}",
                opened.browser, opened.id
            );
            ([(header::SET_COOKIE, cookie)], Redirect::to(&format!("/login/{}", opened.id))).into_response()
        }
        Err(AuthorizeError::Unredirectable(why)) => page::problem(StatusCode::BAD_REQUEST, &why),
        Err(AuthorizeError::Redirect { redirect_uri, state, error, description }) => {
            let mut pairs = vec![
                ("error", error),
                ("error_description", description.as_str()),
                ("iss", s.provider.issuer.as_str()),
            ];
            if let Some(st) = &state {
                pairs.push(("state", st));
            }
            Redirect::to(&with_query(&redirect_uri, &pairs)).into_response()
        }
    }
}

/// Fills the provider's cache with the facility's policies (its own and its guardian one).
async fn prepare_policies<T: TrustView>(s: &Service<T>, rp: &RelyingParty) -> Result<(), String> {
    for id in std::iter::once(&rp.registration.policy).chain(rp.registration.guardian_policy.as_ref()) {
        s.chain.prepare_policy(id).await?;
    }
    Ok(())
}

fn request_uri<T: TrustView>(s: &Service<T>, id: &str) -> String {
    format!("{}/login/{id}/request", s.provider.issuer)
}

async fn login_page<T: TrustView + Sync + 'static>(
    State(s): State<Arc<Service<T>>>,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> Response {
    let progress = match s.provider.progress(&id, browser(&headers).as_deref(), now()) {
        Ok(p) => p,
        Err(e @ LoginError::OtherBrowser) => return page::problem(StatusCode::FORBIDDEN, &e.to_string()),
        Err(e) => return page::problem(StatusCode::NOT_FOUND, &e.to_string()),
    };
    let request_uri = request_uri(&s, &id);
    let wants_json =
        headers.get(header::ACCEPT).and_then(|v| v.to_str().ok()).is_some_and(|a| a.contains("application/json"));
    if wants_json {
        return Json(json!({"request_uri": request_uri, "client_id": s.provider.did, "progress": progress}))
            .into_response();
    }
    page::login(&s.provider.did, &request_uri, s.wallet_url.as_deref(), &progress)
}

async fn status<T: TrustView + Sync + 'static>(
    State(s): State<Arc<Service<T>>>,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> Response {
    match s.provider.progress(&id, browser(&headers).as_deref(), now()) {
        Ok(p) => ([(header::CACHE_CONTROL, "no-store")], Json(p)).into_response(),
        Err(e @ LoginError::OtherBrowser) => error(StatusCode::FORBIDDEN, "access_denied", e.to_string()),
        Err(e) => error(StatusCode::NOT_FOUND, "not_found", e.to_string()),
    }
}

async fn facility_of<T: TrustView + Sync + 'static>(s: &Service<T>, id: &str) -> Result<RelyingParty, Response> {
    let client =
        s.provider.client_of(id, now()).map_err(|e| error(StatusCode::NOT_FOUND, "invalid_request", e.to_string()))?;
    match s.chain.facility(&client).await {
        Ok(Some(rp)) => Ok(rp),
        Ok(None) => {
            Err(error(StatusCode::BAD_REQUEST, "invalid_request", format!("'{client}' is no longer registered")))
        }
        Err(e) => Err(unavailable(e)),
    }
}

async fn request<T: TrustView + Sync + 'static>(State(s): State<Arc<Service<T>>>, Path(id): Path<String>) -> Response {
    let rp = match facility_of(&s, &id).await {
        Ok(rp) => rp,
        Err(r) => return r,
    };
    if let Err(e) = prepare_policies(&s, &rp).await {
        return unavailable(e);
    }
    let response_uri = format!("{}/login/{id}/response", s.provider.issuer);
    match s.provider.request_object(&id, &rp, &response_uri, now()) {
        Ok(jwt) => {
            ([(header::CONTENT_TYPE, "application/oauth-authz-req+jwt"), (header::CACHE_CONTROL, "no-store")], jwt)
                .into_response()
        }
        Err(e @ LoginError::UnknownSession) => error(StatusCode::NOT_FOUND, "invalid_request", e.to_string()),
        Err(e @ LoginError::Chain(_)) => {
            error(StatusCode::SERVICE_UNAVAILABLE, "temporarily_unavailable", e.to_string())
        }
        Err(e) => error(StatusCode::BAD_REQUEST, "invalid_request", e.to_string()),
    }
}

/// A wallet's `direct_post` answer: `vp_token` (JSON) and `state`.
fn read_answer(
    form: Result<Form<HashMap<String, String>>, axum::extract::rejection::FormRejection>,
) -> Result<(String, Map<String, Value>), &'static str> {
    let Ok(Form(form)) = form else {
        return Err("post the answer as a form: vp_token (JSON) and state");
    };
    let (Some(vp), Some(state)) = (form.get("vp_token"), form.get("state")) else {
        return Err("vp_token and state are both required");
    };
    match serde_json::from_str(vp) {
        Ok(Value::Object(m)) => Ok((state.clone(), m)),
        _ => Err("vp_token must be a JSON object of credential query id -> presentations"),
    }
}

async fn response<T: TrustView + Sync + 'static>(
    State(s): State<Arc<Service<T>>>,
    Path(id): Path<String>,
    form: Result<Form<HashMap<String, String>>, axum::extract::rejection::FormRejection>,
) -> Response {
    let (state, vp_token) = match read_answer(form) {
        Ok(answer) => answer,
        Err(why) => return error(StatusCode::BAD_REQUEST, "invalid_request", why),
    };
    if vp_token.len() > MAX_PRESENTATIONS {
        return error(
            StatusCode::BAD_REQUEST,
            "invalid_request",
            format!("a login is answered with at most {MAX_PRESENTATIONS} presentations"),
        );
    }
    let rp = match facility_of(&s, &id).await {
        Ok(rp) => rp,
        Err(r) => return r,
    };
    if let Err(e) = prepare_policies(&s, &rp).await {
        return unavailable(e);
    }
    for presentation in vp_token.values().filter_map(|v| v.get(0)).filter_map(Value::as_str) {
        if let Err(e) = s.chain.prepare(presentation, &rp.registration.policy).await {
            return unavailable(e);
        }
    }
    let svc = s.clone();
    let result = tokio::task::spawn_blocking(move || svc.provider.respond(&id, &state, &vp_token, &rp, now())).await;
    match result {
        Ok(Ok(redirect)) => {
            ([(header::CACHE_CONTROL, "no-store")], Json(json!({"redirect_uri": redirect}))).into_response()
        }
        Ok(Err((e, redirect))) => {
            let (status, code) = match &e {
                LoginError::Chain(_) | LoginError::Busy => (StatusCode::SERVICE_UNAVAILABLE, "temporarily_unavailable"),
                LoginError::UnknownSession | LoginError::WrongState | LoginError::Replay(_) => {
                    (StatusCode::BAD_REQUEST, "invalid_request")
                }
                _ => (StatusCode::BAD_REQUEST, "access_denied"),
            };
            let body = json!({"error": code, "error_description": e.to_string(), "redirect_uri": redirect});
            (status, [(header::CACHE_CONTROL, "no-store")], Json(body)).into_response()
        }
        Err(_) => error(StatusCode::INTERNAL_SERVER_ERROR, "server_error", "the answer was lost; log in again"),
    }
}

async fn token<T: TrustView + Sync + 'static>(
    State(s): State<Arc<Service<T>>>,
    form: Result<Form<TokenForm>, axum::extract::rejection::FormRejection>,
) -> Response {
    let Ok(Form(form)) = form else {
        return error(
            StatusCode::BAD_REQUEST,
            "invalid_request",
            "post the token request as a form (application/x-www-form-urlencoded)",
        );
    };
    match s.provider.token(&form, now()) {
        Ok(t) => ([(header::CACHE_CONTROL, "no-store"), (header::PRAGMA, "no-cache")], Json(t)).into_response(),
        Err(e) => error(StatusCode::BAD_REQUEST, e.error, e.description),
    }
}

async fn userinfo<T: TrustView + Sync + 'static>(State(s): State<Arc<Service<T>>>, headers: HeaderMap) -> Response {
    let bearer =
        headers.get(header::AUTHORIZATION).and_then(|v| v.to_str().ok()).and_then(|v| v.strip_prefix("Bearer "));
    let refused = |code: &str, why: &str| {
        let challenge = format!("Bearer error=\"{code}\", error_description=\"{why}\"");
        (
            StatusCode::UNAUTHORIZED,
            [(header::WWW_AUTHENTICATE, challenge)],
            Json(json!({"error": code, "error_description": why})),
        )
            .into_response()
    };
    let Some(token) = bearer else {
        return refused("invalid_request", "send the access token as Authorization: Bearer <token>");
    };
    match s.provider.userinfo(token.trim(), now()) {
        Some(claims) => ([(header::CACHE_CONTROL, "no-store")], Json(claims)).into_response(),
        None => refused("invalid_token", "the access token is unknown, lapsed or revoked"),
    }
}
