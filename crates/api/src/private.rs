//! `PUT` and `GET /v1/private/{collection}/{key}`: the payloads of private collections, on the
//! nodes of member organisations only (docs/modules/collections.md). Every request is signed by
//! an account key (`dojang_private::request`); the node answers only an account the ledger
//! names as a member of the collection, and only if its own organisation is one.

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, Method, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use dojang_private::request::{self, AuthError};
use dojang_private::{Vault, VaultError};
use dojang_types::{wall_clock_ms, Address};
use serde_json::json;

use crate::problem::{blocking, Problem};
use crate::txs::body_problem;
use crate::AppState;

impl From<VaultError> for Problem {
    fn from(e: VaultError) -> Self {
        let (status, code) = match &e {
            VaultError::Disabled => (StatusCode::NOT_FOUND, "no-private-collections"),
            VaultError::UnknownCollection(_) | VaultError::NotRecorded(_) => (StatusCode::NOT_FOUND, "not-found"),
            VaultError::NotHeld(_) => (StatusCode::SERVICE_UNAVAILABLE, "not-held-yet"),
            VaultError::NotMemberNode(_) => (StatusCode::FORBIDDEN, "not-a-member-node"),
            VaultError::Forbidden { .. } => (StatusCode::FORBIDDEN, "not-a-member"),
            VaultError::AlreadyRecorded(_) => (StatusCode::CONFLICT, "already-recorded"),
            VaultError::Purged(_) => (StatusCode::GONE, "purged"),
            VaultError::TooLarge(_) => (StatusCode::PAYLOAD_TOO_LARGE, "payload-too-large"),
            VaultError::Empty => (StatusCode::BAD_REQUEST, "empty-payload"),
            VaultError::Store(_) | VaultError::Ledger(_) => return Problem::internal(e),
        };
        Problem::new(status, code, e.to_string())
    }
}

impl From<AuthError> for Problem {
    fn from(e: AuthError) -> Self {
        Problem::new(StatusCode::UNAUTHORIZED, "unsigned-request", e.to_string())
    }
}

/// The account that signed the request.
fn signer(headers: &HeaderMap, method: &Method, path: &str, body: &[u8]) -> Result<Address, Problem> {
    let h = |name: &str| headers.get(name).and_then(|v| v.to_str().ok());
    let key = request::verify(
        h(request::KEY_HEADER),
        h(request::TIME_HEADER),
        h(request::SIGNATURE_HEADER),
        method.as_str(),
        path,
        body,
        wall_clock_ms(),
    )?;
    Ok(key.address())
}

fn vault(s: &AppState) -> Result<Arc<Vault>, Problem> {
    s.vault.clone().ok_or_else(|| VaultError::Disabled.into())
}

/// Names are checked before anything else, so a bad one is a 400 whoever asks.
fn names_are_valid(collection: &str, key: &str) -> Result<(), Problem> {
    dojang_collections::rules::id_is_valid(collection).map_err(|e| Problem::bad_request("invalid-name", e))?;
    dojang_collections::rules::key_is_valid(key).map_err(|e| Problem::bad_request("invalid-name", e))
}

/// `PUT /v1/private/{collection}/{key}`: a member's payload (the body, as is), kept with a
/// fresh salt; answers the commitment and the `record` message to sign and send.
pub async fn put(
    State(s): State<AppState>,
    Path((collection, key)): Path<(String, String)>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<Response, Problem> {
    let body = body.map_err(body_problem)?;
    names_are_valid(&collection, &key)?;
    let path = format!("/v1/private/{collection}/{key}");
    let requester = signer(&headers, &Method::PUT, &path, &body)?;
    let vault = vault(&s)?;
    let stored = blocking(move || Ok(vault.put(&requester, &collection, &key, &body)?)).await?;
    Ok((
        StatusCode::CREATED,
        Json(json!({ "commitment": stored.commitment, "record": stored.record_msg,
                     "next": "sign the record message as a member and send it to module 'collections'" })),
    )
        .into_response())
}

/// `GET /v1/private/{collection}/{key}`: the payload and salt, for a member.
pub async fn get(
    State(s): State<AppState>,
    Path((collection, key)): Path<(String, String)>,
    headers: HeaderMap,
) -> Result<Response, Problem> {
    names_are_valid(&collection, &key)?;
    let path = format!("/v1/private/{collection}/{key}");
    let requester = signer(&headers, &Method::GET, &path, b"")?;
    let vault = vault(&s)?;
    let answer = blocking(move || Ok(vault.get(&requester, &collection, &key)?.to_json(&collection, &key))).await?;
    Ok(Json(answer).into_response())
}
