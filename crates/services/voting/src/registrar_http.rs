//! The registrar's HTTP face. A wallet posts its blinded message and gets a signed OpenID4VP
//! request (`direct_post`); it answers at the response URI and gets the blind signature, or
//! the reason it has none.
//!
//! - `POST /polls/<poll>/request`, JSON `{"blinded_message": base64}`: the request JWT.
//! - `POST /response`, form `vp_token` (JSON) and `state`: JSON `{"decision", "blind_signature",
//!   "receipt"}`, or an OAuth-style error (`access_denied` with the reason for a refusal).

use std::collections::HashMap;
use std::sync::Arc;

use axum::extract::rejection::{FormRejection, JsonRejection};
use axum::extract::{Path, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use axum::{Form, Json, Router};
use dojang_credentials::TrustView;
use dojang_verifier::http::Prepare;
use dojang_verifier::Application;
use serde::Deserialize;
use serde_json::{json, Map, Value};

use crate::registrar::{Registrar, RegistrarError};

/// The registrar and how its trust cache is filled before an answer is checked.
pub struct RegistrarService<T: TrustView> {
    pub registrar: Registrar<T>,
    pub prepare: Option<Arc<dyn Prepare>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RequestBody {
    blinded_message: String,
}

fn now() -> u64 {
    dojang_types::wall_clock_ms() / 1000
}

fn error(status: StatusCode, code: &str, description: impl Into<String>) -> Response {
    (
        status,
        [(header::CACHE_CONTROL, "no-store")],
        Json(json!({"error": code, "error_description": description.into()})),
    )
        .into_response()
}

fn refused(e: RegistrarError) -> Response {
    match e {
        RegistrarError::Busy(_) => error(StatusCode::SERVICE_UNAVAILABLE, "temporarily_unavailable", e.to_string()),
        RegistrarError::Apply(dojang_verifier::ApplyError::Store(_)) | RegistrarError::Sign(_) => {
            error(StatusCode::SERVICE_UNAVAILABLE, "temporarily_unavailable", e.to_string())
        }
        RegistrarError::BadBlindedMessage { .. } | RegistrarError::UnknownRequest => {
            error(StatusCode::BAD_REQUEST, "invalid_request", e.to_string())
        }
        _ => error(StatusCode::FORBIDDEN, "access_denied", e.to_string()),
    }
}

pub fn router<T: TrustView + Sync + Send + 'static>(service: Arc<RegistrarService<T>>) -> Router {
    // A browser wallet at its own origin asks and answers: any origin, no cookies.
    let cors = tower_http::cors::CorsLayer::new()
        .allow_origin(tower_http::cors::Any)
        .allow_methods([axum::http::Method::GET, axum::http::Method::POST])
        .allow_headers([header::CONTENT_TYPE]);
    Router::new()
        .route("/polls/{poll}/request", post(request::<T>))
        .route("/response", post(response::<T>))
        .layer(cors)
        .with_state(service)
}

async fn request<T: TrustView + Sync + Send + 'static>(
    State(s): State<Arc<RegistrarService<T>>>,
    Path(poll): Path<String>,
    body: Result<Json<RequestBody>, JsonRejection>,
) -> Response {
    if poll != s.registrar.poll() {
        return error(
            StatusCode::NOT_FOUND,
            "not_found",
            format!("this registrar serves poll '{}' only", s.registrar.poll()),
        );
    }
    let Ok(Json(body)) = body else {
        return error(
            StatusCode::BAD_REQUEST,
            "invalid_request",
            "post JSON {\"blinded_message\": base64}, the credential message blinded under the poll's registrar_key",
        );
    };
    match s.registrar.request(&body.blinded_message, now()) {
        Ok(jwt) => ([(header::CONTENT_TYPE, "application/oauth-authz-req+jwt")], jwt).into_response(),
        Err(e) => refused(e),
    }
}

async fn response<T: TrustView + Sync + Send + 'static>(
    State(s): State<Arc<RegistrarService<T>>>,
    form: Result<Form<HashMap<String, String>>, FormRejection>,
) -> Response {
    let Ok(Form(form)) = form else {
        return error(
            StatusCode::BAD_REQUEST,
            "invalid_request",
            "post the answer as a form: vp_token (JSON) and state",
        );
    };
    let (Some(vp), Some(state)) = (form.get("vp_token"), form.get("state")) else {
        return error(StatusCode::BAD_REQUEST, "invalid_request", "vp_token and state are both required");
    };
    let vp_token: Map<String, Value> = match serde_json::from_str(vp) {
        Ok(Value::Object(m)) => m,
        _ => {
            return error(
                StatusCode::BAD_REQUEST,
                "invalid_request",
                "vp_token must be a JSON object of credential query id -> presentations",
            )
        }
    };
    if let Some(p) = &s.prepare {
        let policy = s.registrar.policy_id().to_string();
        for presentation in vp_token.values().filter_map(|v| v.get(0)).filter_map(Value::as_str) {
            if let Err(e) = p.prepare(presentation, &policy).await {
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
    match tokio::task::spawn_blocking(move || svc.registrar.issue(app, now())).await {
        Ok(Ok(issued)) => Json(json!({
            "decision": issued.receipt.decision.outcome,
            "blind_signature": issued.blind_signature,
            "receipt": issued.receipt,
        }))
        .into_response(),
        Ok(Err(e)) => refused(e),
        Err(_) => {
            error(StatusCode::INTERNAL_SERVER_ERROR, "server_error", "the answer was lost; ask for a new request")
        }
    }
}
