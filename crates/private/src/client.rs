//! A member's side of the private endpoints: store a payload on its organisation's node, fetch
//! one from any member node. Used by member nodes to fetch from each other, by a member
//! agency's applications, and by tests. Answers are read up to a bound and opened with the
//! one-time reply key; redirects are not followed.

use std::time::Duration;

use base64::Engine;
use dojang_crypto::Signer;
use dojang_types::{wall_clock_ms, Hash};
use serde::Deserialize;
use serde_json::Value;

use crate::reply::{ReplyError, ReplyKey, Sealed};
use crate::request::Signed;
use crate::vault::{Held, Stored, MAX_PAYLOAD_BYTES};

/// The largest answer read: a payload at its limit in base64, sealed, with its fields.
const MAX_ANSWER_BYTES: usize = MAX_PAYLOAD_BYTES * 2 + 16 * 1024;

#[derive(Debug, thiserror::Error)]
pub enum ClientError {
    #[error("cannot reach {url}: {detail}")]
    Transport { url: String, detail: String },
    /// The node answered with an error (a problem document).
    #[error("{url} answered {status}: {detail}")]
    Refused { url: String, status: u16, kind: String, detail: String },
    #[error("{url} answered more than {MAX_ANSWER_BYTES} bytes")]
    TooLarge { url: String },
    #[error("{url} answered something that is not a private record: {detail}")]
    Malformed { url: String, detail: String },
    #[error(transparent)]
    Reply(#[from] ReplyError),
    #[error("cannot sign the request: {0}")]
    Sign(String),
}

/// One node's private endpoints, on one chain.
#[derive(Clone)]
pub struct PrivateClient {
    http: reqwest::Client,
    base: String,
    chain_id: String,
}

#[derive(Deserialize)]
struct HeldJson {
    commitment: Hash,
    sealed: Sealed,
}

#[derive(Deserialize)]
struct OpenedJson {
    salt: String,
    payload_base64: String,
}

impl PrivateClient {
    pub fn new(base_url: &str, chain_id: &str) -> PrivateClient {
        let http = reqwest::Client::builder()
            .timeout(Duration::from_secs(10))
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .expect("an HTTP client with a timeout builds");
        PrivateClient { http, base: base_url.trim_end_matches('/').to_string(), chain_id: chain_id.to_string() }
    }

    pub fn base(&self) -> &str {
        &self.base
    }

    /// Stores a payload on this (member) node; answers the key it drew and the record message.
    pub async fn store(&self, signer: &dyn Signer, collection: &str, payload: &[u8]) -> Result<Stored, ClientError> {
        let path = format!("/v1/private/{collection}");
        let signed = Signed {
            chain_id: &self.chain_id,
            method: "POST",
            path: &path,
            time_ms: wall_clock_ms(),
            body: payload,
            reply_key: None,
        };
        let url = format!("{}{path}", self.base);
        let mut req = self.http.post(&url).body(payload.to_vec());
        for (name, value) in signed.sign(signer).map_err(|e| ClientError::Sign(e.to_string()))? {
            req = req.header(name, value);
        }
        let answer = self.read(&url, req).await?;
        serde_json::from_slice(&answer).map_err(|e| ClientError::Malformed { url: url.clone(), detail: e.to_string() })
    }

    /// Fetches a record from this node, sealed to a fresh reply key and opened here.
    pub async fn fetch(&self, signer: &dyn Signer, collection: &str, key: &str) -> Result<Held, ClientError> {
        let path = format!("/v1/private/{collection}/{key}");
        let reply = ReplyKey::generate()?;
        let reply_hex = reply.public_hex();
        let signed = Signed {
            chain_id: &self.chain_id,
            method: "GET",
            path: &path,
            time_ms: wall_clock_ms(),
            body: b"",
            reply_key: Some(&reply_hex),
        };
        let url = format!("{}{path}", self.base);
        let mut req = self.http.get(&url);
        for (name, value) in signed.sign(signer).map_err(|e| ClientError::Sign(e.to_string()))? {
            req = req.header(name, value);
        }
        let answer = self.read(&url, req).await?;
        let malformed = |detail: String| ClientError::Malformed { url: url.clone(), detail };
        let held: HeldJson = serde_json::from_slice(&answer).map_err(|e| malformed(e.to_string()))?;
        let opened: OpenedJson =
            serde_json::from_slice(&reply.open(&held.sealed)?).map_err(|e| malformed(e.to_string()))?;
        let salt = hex::decode(&opened.salt)
            .ok()
            .and_then(|b| b.try_into().ok())
            .ok_or_else(|| malformed("salt is not 64 hex digits".into()))?;
        let payload = base64::engine::general_purpose::STANDARD
            .decode(&opened.payload_base64)
            .map_err(|_| malformed("payload is not base64".into()))?;
        Ok(Held { commitment: held.commitment, salt, payload })
    }

    /// Sends a request and reads its answer up to [`MAX_ANSWER_BYTES`]; an error status is
    /// [`ClientError::Refused`] with the problem's type and detail.
    async fn read(&self, url: &str, req: reqwest::RequestBuilder) -> Result<Vec<u8>, ClientError> {
        let transport = |e: reqwest::Error| ClientError::Transport { url: url.to_string(), detail: e.to_string() };
        let mut resp = req.send().await.map_err(transport)?;
        let status = resp.status();
        let mut body = Vec::new();
        while let Some(chunk) = resp.chunk().await.map_err(transport)? {
            if body.len() + chunk.len() > MAX_ANSWER_BYTES {
                return Err(ClientError::TooLarge { url: url.to_string() });
            }
            body.extend_from_slice(&chunk);
        }
        if !status.is_success() {
            let problem: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
            let text = |k: &str| problem[k].as_str().unwrap_or_default().to_string();
            return Err(ClientError::Refused {
                url: url.to_string(),
                status: status.as_u16(),
                kind: text("type"),
                detail: text("detail"),
            });
        }
        Ok(body)
    }
}
