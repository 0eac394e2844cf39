//! The office's HTTP face, OpenID4VP 1.0 with `direct_post`: a wallet fetches a signed request
//! for a program, posts its answer (`vp_token`, `state`) to the response URI, and gets the
//! decision and its receipt; later it fetches the receipt with its inclusion proof.

use std::collections::HashMap;
use std::sync::Arc;

use axum::extract::{Path, Query, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Form, Json, Router};
use dojang_credentials::TrustView;
use serde_json::{json, Map, Value};

use crate::office::{Application, ApplyError, Office, Program};

/// Fetches (and proof-checks) the trust data a presentation will need before it is checked:
/// the office's view of the chain is a cache, filled here.
#[async_trait::async_trait]
pub trait Prepare: Send + Sync {
    async fn prepare(&self, presentation: &str, policy: &str) -> Result<(), String>;
}

/// The office, the programs it runs, and how its trust cache is filled.
pub struct Service<T: TrustView> {
    pub office: Office<T>,
    pub programs: HashMap<String, Program>,
    pub prepare: Option<Arc<dyn Prepare>>,
    /// The city's web wallet: each program's public page links to it with the office's
    /// request (and shows that link as a QR code).
    pub wallet_url: Option<String>,
}

fn now() -> u64 {
    dojang_types::wall_clock_ms() / 1000
}

/// An OAuth-style error answer (`error`, `error_description`), never cached.
pub fn error(status: StatusCode, code: &str, description: impl Into<String>) -> Response {
    (
        status,
        [(header::CACHE_CONTROL, "no-store")],
        Json(json!({"error": code, "error_description": description.into()})),
    )
        .into_response()
}

pub fn router<T: TrustView + Sync + 'static>(service: Arc<Service<T>>) -> Router {
    // A browser wallet at its own origin fetches the request, posts its answer and reads its
    // receipt: any origin, no cookies.
    let cors = tower_http::cors::CorsLayer::new()
        .allow_origin(tower_http::cors::Any)
        .allow_methods([axum::http::Method::GET, axum::http::Method::POST])
        .allow_headers([header::CONTENT_TYPE]);
    Router::new()
        .route("/programs/{id}", get(crate::poster::program_page::<T>))
        .route("/programs/{id}/request", get(request::<T>))
        .route("/response", post(response::<T>))
        .route("/receipts/{seq}", get(receipt::<T>))
        .layer(cors)
        .with_state(service)
}

async fn request<T: TrustView + Sync + 'static>(State(s): State<Arc<Service<T>>>, Path(id): Path<String>) -> Response {
    match s.programs.get(&id) {
        Some(p) => match s.office.request(p, now()) {
            Ok(jwt) => ([(header::CONTENT_TYPE, "application/oauth-authz-req+jwt")], jwt).into_response(),
            Err(busy) => error(StatusCode::SERVICE_UNAVAILABLE, "temporarily_unavailable", busy.to_string()),
        },
        None => error(StatusCode::NOT_FOUND, "not_found", format!("this office runs no program '{id}'")),
    }
}

/// A wallet's `direct_post` answer: its `state` and its `vp_token` (credential query id →
/// presentations), or what is wrong with it (an `invalid_request`).
pub fn read_answer(
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
    form: Result<Form<HashMap<String, String>>, axum::extract::rejection::FormRejection>,
) -> Response {
    let (state, vp_token) = match read_answer(form) {
        Ok(answer) => answer,
        Err(why) => return error(StatusCode::BAD_REQUEST, "invalid_request", why),
    };
    let state = &state;
    let Some(program) = s.office.pending_program(state, now()).and_then(|id| s.programs.get(&id)).cloned() else {
        return error(StatusCode::BAD_REQUEST, "invalid_request", ApplyError::UnknownRequest.to_string());
    };
    if let Some(p) = &s.prepare {
        for presentation in vp_token.values().filter_map(|v| v.get(0)).filter_map(Value::as_str) {
            if let Err(e) = p.prepare(presentation, &program.policy.id).await {
                return error(
                    StatusCode::SERVICE_UNAVAILABLE,
                    "temporarily_unavailable",
                    format!("cannot read the chain: {e}"),
                );
            }
        }
    }
    let app = Application { state: state.clone(), vp_token };
    let svc = s.clone();
    let result = tokio::task::spawn_blocking(move || svc.office.decide(&program, vec![app], now()).pop()).await;
    match result {
        Ok(Some(Ok(receipt))) => {
            Json(json!({"decision": receipt.decision.outcome, "receipt": receipt})).into_response()
        }
        Ok(Some(Err(e @ ApplyError::Store(_)))) => {
            error(StatusCode::SERVICE_UNAVAILABLE, "temporarily_unavailable", e.to_string())
        }
        Ok(Some(Err(e))) => error(StatusCode::BAD_REQUEST, "access_denied", e.to_string()),
        _ => error(StatusCode::INTERNAL_SERVER_ERROR, "server_error", "the decision was lost; apply again"),
    }
}

async fn receipt<T: TrustView + Sync + 'static>(
    State(s): State<Arc<Service<T>>>,
    Path(seq): Path<String>,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    let Ok(seq) = seq.parse::<u64>() else {
        return error(StatusCode::BAD_REQUEST, "invalid_request", format!("'{seq}' is not a decision number"));
    };
    let leaf = q.get("leaf").cloned().unwrap_or_default();
    match s.office.receipt(seq) {
        Ok(Some(r)) if r.leaf.to_string() == leaf => Json(json!(r)).into_response(),
        Ok(_) => error(
            StatusCode::NOT_FOUND,
            "not_found",
            "no such decision with that leaf (the leaf in your receipt is the key)",
        ),
        Err(e) => error(StatusCode::SERVICE_UNAVAILABLE, "temporarily_unavailable", e.to_string()),
    }
}
