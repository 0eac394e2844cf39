//! The registrar's HTTP face. A wallet posts its blinded message and gets a signed OpenID4VP
//! request (`direct_post`); it answers at the response URI and gets the blind signature, or
//! the reason it has none.
//!
//! - `POST /polls/<poll>/request`, JSON `{"blinded_message": base64}`: the request JWT, whose
//!   `blinded_message_sha256` (base64url) names the message it will sign; a wallet checks it.
//! - `POST /response`, form `vp_token` (JSON), `state` and `blinded_message` (base64, the one
//!   the request was made for): JSON `{"decision", "blind_signature",
//!   "receipt", "resent"}`, or an OAuth-style error (`access_denied` with the reason for a
//!   refusal). A person already signed for who asks again with the same blinded message gets
//!   the same signature, `"resent": true`.

use std::collections::HashMap;
use std::sync::Arc;

use axum::extract::rejection::{FormRejection, JsonRejection};
use axum::extract::{Path, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use axum::{Form, Json, Router};
use dojang_credentials::TrustView;
use dojang_verifier::http::{error, read_answer, Prepare};
use dojang_verifier::Application;
use serde::Deserialize;
use serde_json::{json, Value};

use crate::registrar::{Registrar, RegistrarError, RESIDENT};

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

fn refused(e: RegistrarError) -> Response {
    match e {
        RegistrarError::Busy(_) => error(StatusCode::SERVICE_UNAVAILABLE, "temporarily_unavailable", e.to_string()),
        RegistrarError::Apply(dojang_verifier::ApplyError::Store(_)) | RegistrarError::Sign(_) => {
            error(StatusCode::SERVICE_UNAVAILABLE, "temporarily_unavailable", e.to_string())
        }
        RegistrarError::BadBlindedMessage { .. } | RegistrarError::UnknownRequest | RegistrarError::NotThisMessage => {
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
    let blinded_message = form.as_ref().ok().and_then(|f| f.0.get("blinded_message").cloned());
    let Some(blinded_message) = blinded_message else {
        let why = "blinded_message (base64, the one the request was made for) is required with vp_token and state";
        return error(StatusCode::BAD_REQUEST, "invalid_request", why);
    };
    let (state, vp_token) = match read_answer(form) {
        Ok(answer) => answer,
        Err(why) => return error(StatusCode::BAD_REQUEST, "invalid_request", why),
    };
    // An answer to no open request costs no read of the chain.
    if s.registrar.office().pending_program(&state, now()).is_none() {
        return error(StatusCode::BAD_REQUEST, "invalid_request", RegistrarError::UnknownRequest.to_string());
    }
    let resident = vp_token.get(RESIDENT).and_then(|v| v.get(0)).and_then(Value::as_str);
    if let (Some(p), Some(presentation)) = (&s.prepare, resident) {
        if let Err(e) = p.prepare(presentation, s.registrar.policy_id()).await {
            let why = format!("cannot read the chain: {e}");
            return error(StatusCode::SERVICE_UNAVAILABLE, "temporarily_unavailable", why);
        }
    }
    let app = Application { state, vp_token };
    let svc = s.clone();
    match tokio::task::spawn_blocking(move || svc.registrar.issue(app, &blinded_message, now())).await {
        Ok(Ok(issued)) => Json(json!({
            "decision": issued.receipt.decision.outcome,
            "blind_signature": issued.blind_signature,
            "receipt": issued.receipt,
            "resent": issued.resent,
        }))
        .into_response(),
        Ok(Err(e)) => refused(e),
        Err(_) => {
            let why = "the registrar failed while deciding; if it now says you already registered, ask its office";
            error(StatusCode::INTERNAL_SERVER_ERROR, "server_error", why)
        }
    }
}
