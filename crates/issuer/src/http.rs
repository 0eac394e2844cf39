//! The HTTP face of the issuer: OpenID4VCI 1.0 (metadata, token with the pre-authorized code
//! grant, nonce, credential), the status list, and the agency desk's admin endpoints.

use std::collections::HashMap;
use std::sync::Arc;

use axum::extract::{Path, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Form, Json, Router};
use serde::Deserialize;
use serde_json::{json, Value};

use crate::service::{oauth, parse_status, Issuer, OauthError};

/// The grant type of the pre-authorized code flow.
pub const PRE_AUTHORIZED_GRANT: &str = "urn:ietf:params:oauth:grant-type:pre-authorized_code";

struct App {
    issuer: Arc<Issuer>,
    admin_token: String,
}

impl IntoResponse for OauthError {
    fn into_response(self) -> Response {
        let status = StatusCode::from_u16(self.status).unwrap_or(StatusCode::BAD_REQUEST);
        let body = Json(json!({"error": self.code, "error_description": self.description}));
        (status, [(header::CACHE_CONTROL, "no-store")], body).into_response()
    }
}

/// The router. `admin_token` guards the desk endpoints (`/admin/...`).
pub fn router(issuer: Arc<Issuer>, admin_token: String) -> Router {
    let app = Arc::new(App { issuer, admin_token });
    // What wallets call may be called from any web page (a browser wallet lives at its own
    // origin); bearer tokens, never cookies, so no credentials mode. The desk is not.
    let wallets = Router::new()
        .route("/.well-known/openid-credential-issuer", get(issuer_metadata))
        .route("/.well-known/oauth-authorization-server", get(as_metadata))
        .route("/token", post(token))
        .route("/nonce", post(nonce))
        .route("/credential", post(credential))
        .route("/status/{name}", get(status_list))
        .layer(wallet_cors());
    let desk = Router::new().route("/admin/offers", post(new_offer)).route("/admin/status", post(set_status));
    wallets.merge(desk).with_state(app)
}

/// Cross-origin access for wallets: any origin, the methods and headers the protocol uses.
fn wallet_cors() -> tower_http::cors::CorsLayer {
    use axum::http::Method;
    tower_http::cors::CorsLayer::new()
        .allow_origin(tower_http::cors::Any)
        .allow_methods([Method::GET, Method::POST])
        .allow_headers([header::AUTHORIZATION, header::CONTENT_TYPE])
        .max_age(std::time::Duration::from_secs(3600))
}

async fn issuer_metadata(State(app): State<Arc<App>>) -> Json<Value> {
    let s = &app.issuer.settings;
    let configs: serde_json::Map<String, Value> = app
        .issuer
        .records()
        .credential_configurations
        .iter()
        .map(|(id, c)| {
            (
                id.clone(),
                json!({
                    "format": "dc+sd-jwt",
                    "vct": c.vct,
                    "cryptographic_binding_methods_supported": ["jwk"],
                    "credential_signing_alg_values_supported": ["ES256"],
                    "proof_types_supported": {"jwt": {"proof_signing_alg_values_supported": ["ES256", "EdDSA"]}},
                }),
            )
        })
        .collect();
    Json(json!({
        "credential_issuer": s.public_url,
        "credential_endpoint": format!("{}/credential", s.public_url),
        "nonce_endpoint": format!("{}/nonce", s.public_url),
        "batch_credential_issuance": {"batch_size": s.batch_size},
        "credential_configurations_supported": configs,
        "dojang": {"did": app.issuer.did(), "kid": s.kid, "status_list": app.issuer.status_uri(), "jwk": app.issuer.public_jwk()},
    }))
}

async fn as_metadata(State(app): State<Arc<App>>) -> Json<Value> {
    let url = &app.issuer.settings.public_url;
    Json(json!({
        "issuer": url,
        "token_endpoint": format!("{url}/token"),
        "grant_types_supported": [PRE_AUTHORIZED_GRANT],
        "pre-authorized_grant_anonymous_access_supported": true,
    }))
}

async fn token(
    State(app): State<Arc<App>>,
    form: Result<Form<HashMap<String, String>>, axum::extract::rejection::FormRejection>,
) -> Result<Response, OauthError> {
    let Form(form) = form.map_err(|e| oauth("invalid_request", 400, format!("the body must be a form: {e}")))?;
    if form.get("grant_type").map(String::as_str) != Some(PRE_AUTHORIZED_GRANT) {
        return Err(oauth("unsupported_grant_type", 400, format!("only {PRE_AUTHORIZED_GRANT} is supported")));
    }
    let code = form
        .get("pre-authorized_code")
        .ok_or_else(|| oauth("invalid_request", 400, "pre-authorized_code is missing"))?;
    let access = app.issuer.token(code, form.get("tx_code").map(String::as_str))?;
    let body = Json(json!({"access_token": access, "token_type": "Bearer", "expires_in": 300}));
    Ok(([(header::CACHE_CONTROL, "no-store")], body).into_response())
}

async fn nonce(State(app): State<Arc<App>>) -> Response {
    ([(header::CACHE_CONTROL, "no-store")], Json(json!({"c_nonce": app.issuer.nonce()}))).into_response()
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct CredentialRequest {
    credential_configuration_id: String,
    proofs: Proofs,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Proofs {
    jwt: Vec<String>,
}

fn bearer(headers: &HeaderMap) -> Option<&str> {
    headers.get(header::AUTHORIZATION)?.to_str().ok()?.strip_prefix("Bearer ")
}

async fn credential(
    State(app): State<Arc<App>>,
    headers: HeaderMap,
    body: Result<Json<CredentialRequest>, axum::extract::rejection::JsonRejection>,
) -> Result<Json<Value>, OauthError> {
    let token = bearer(&headers)
        .ok_or_else(|| oauth("invalid_token", 401, "send the access token as 'Authorization: Bearer ...'"))?;
    let Json(req) = body.map_err(|e| oauth("invalid_credential_request", 400, e.body_text()))?;
    if !app.issuer.records().credential_configurations.contains_key(&req.credential_configuration_id) {
        return Err(oauth(
            "unknown_credential_configuration",
            400,
            format!("no configuration '{}'", req.credential_configuration_id),
        ));
    }
    let creds = app.issuer.credential(token, &req.credential_configuration_id, &req.proofs.jwt).await?;
    let list: Vec<Value> = creds.into_iter().map(|c| json!({"credential": c})).collect();
    Ok(Json(json!({"credentials": list})))
}

async fn status_list(State(app): State<Arc<App>>, Path(name): Path<String>) -> Result<Response, OauthError> {
    let token = app
        .issuer
        .status_token(&name)
        .await
        .ok_or_else(|| oauth("not_found", 404, format!("no status list '{name}'")))?;
    Ok(([(header::CONTENT_TYPE, "application/statuslist+jwt")], token).into_response())
}

fn admin(app: &App, headers: &HeaderMap) -> Result<(), OauthError> {
    match bearer(headers) {
        Some(t) if !app.admin_token.is_empty() && t == app.admin_token => Ok(()),
        _ => Err(oauth("invalid_token", 401, "the admin endpoints need 'Authorization: Bearer <admin token>'")),
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct OfferRequest {
    subject: String,
    credential_configuration_id: String,
    #[serde(default)]
    pin: bool,
    /// For a configuration whose claims come with the offer.
    #[serde(default)]
    claims: Option<serde_json::Map<String, Value>>,
}

async fn new_offer(
    State(app): State<Arc<App>>,
    headers: HeaderMap,
    body: Result<Json<OfferRequest>, axum::extract::rejection::JsonRejection>,
) -> Result<Json<Value>, OauthError> {
    admin(&app, &headers)?;
    let Json(req) = body.map_err(|e| oauth("invalid_request", 400, e.body_text()))?;
    let offer = app.issuer.offer(&req.subject, &req.credential_configuration_id, req.claims, req.pin)?;
    Ok(Json(serde_json::to_value(offer).unwrap_or_default()))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct StatusRequest {
    subject: String,
    credential_configuration_id: String,
    status: String,
}

async fn set_status(
    State(app): State<Arc<App>>,
    headers: HeaderMap,
    body: Result<Json<StatusRequest>, axum::extract::rejection::JsonRejection>,
) -> Result<Json<Value>, OauthError> {
    admin(&app, &headers)?;
    let Json(req) = body.map_err(|e| oauth("invalid_request", 400, e.body_text()))?;
    let status = parse_status(&req.status).ok_or_else(|| {
        oauth("invalid_request", 400, format!("status '{}' is not valid, revoked or suspended", req.status))
    })?;
    let (changed, version) = app.issuer.set_status(&req.subject, &req.credential_configuration_id, status).await?;
    Ok(Json(json!({"copies_changed": changed, "status_list_version": version, "status_list": app.issuer.status_uri()})))
}
