//! `POST /v1/private/{collection}` and `GET /v1/private/{collection}/{key}`: the payloads of
//! private collections, on the nodes of member organisations only (docs/modules/collections.md).
//! Every request is signed by an account key (`dojang_private::request`); the node answers only
//! an account the ledger names as a member of the collection, and only if its own organisation
//! is one; a payload leaves the node only sealed to the requester's one-time reply key.

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
            VaultError::Purged(_) => (StatusCode::GONE, "purged"),
            VaultError::TooLarge(_) => (StatusCode::PAYLOAD_TOO_LARGE, "payload-too-large"),
            VaultError::Empty => (StatusCode::BAD_REQUEST, "empty-payload"),
            VaultError::Reply(_) => (StatusCode::BAD_REQUEST, "bad-reply-key"),
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

/// The account that signed the request, and the reply key it signed.
fn signer(
    s: &AppState,
    headers: &HeaderMap,
    method: &Method,
    path: &str,
    body: &[u8],
) -> Result<(Address, Option<String>), Problem> {
    let header = |name: &str| headers.get(name).and_then(|v| v.to_str().ok());
    let (key, reply) = request::verify(header, s.ledger.chain_id(), method.as_str(), path, body, wall_clock_ms())?;
    Ok((key.address(), reply))
}

fn vault(s: &AppState) -> Result<Arc<Vault>, Problem> {
    s.vault.clone().ok_or_else(|| VaultError::Disabled.into())
}

fn collection_is_valid(collection: &str) -> Result<(), Problem> {
    dojang_collections::rules::id_is_valid(collection).map_err(|e| Problem::bad_request("invalid-name", e))
}

/// `POST /v1/private/{collection}`: a member's payload (the body, as is), kept under a record
/// key and salt this node draws; answers the key, the commitment and the `record` message.
pub async fn create(
    State(s): State<AppState>,
    Path(collection): Path<String>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<Response, Problem> {
    let body = body.map_err(body_problem)?;
    collection_is_valid(&collection)?;
    let path = format!("/v1/private/{collection}");
    let (requester, _) = signer(&s, &headers, &Method::POST, &path, &body)?;
    let vault = vault(&s)?;
    let stored = blocking(move || Ok(vault.create(&requester, &collection, &body)?)).await?;
    let mut answer = serde_json::to_value(&stored).map_err(Problem::internal)?;
    answer["next"] = json!("sign the record message as a member and send it to module 'collections'");
    Ok((StatusCode::CREATED, Json(answer)).into_response())
}

/// `GET /v1/private/{collection}/{key}`: the payload and salt for a member, sealed to the
/// reply key it signed.
pub async fn get(
    State(s): State<AppState>,
    Path((collection, key)): Path<(String, String)>,
    headers: HeaderMap,
) -> Result<Response, Problem> {
    collection_is_valid(&collection)?;
    dojang_collections::rules::key_is_valid(&key).map_err(|e| Problem::bad_request("invalid-name", e))?;
    let path = format!("/v1/private/{collection}/{key}");
    let (requester, reply) = signer(&s, &headers, &Method::GET, &path, b"")?;
    let reply = reply.ok_or_else(|| {
        Problem::bad_request(
            "reply-key-required",
            format!(
                "sign and send a one-time X25519 public key in {}: the answer is sealed to it",
                dojang_private::reply::REPLY_KEY_HEADER
            ),
        )
    })?;
    let vault = vault(&s)?;
    let answer = blocking(move || {
        let held = vault.get(&requester, &collection, &key)?;
        Ok(held.sealed_json(&reply).map_err(VaultError::from)?)
    })
    .await?;
    Ok(Json(answer).into_response())
}
