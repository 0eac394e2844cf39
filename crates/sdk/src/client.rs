use dojang_types::{encode, Hash, SignedTx, Validator};
use serde_json::{json, Value};

use crate::verify::{verify_read, VerifiedState, VerifyError};

/// What went wrong talking to a node.
#[derive(Debug, thiserror::Error)]
pub enum ClientError {
    #[error("cannot reach the node at {url}: {source}")]
    Transport { url: String, source: reqwest::Error },
    /// The node answered with an RFC 9457 problem document.
    #[error("node refused ({status}): {detail}")]
    Problem { status: u16, kind: String, detail: String },
    #[error("the node's answer is not what the API promises: {0}")]
    BadAnswer(String),
    #[error(transparent)]
    Verify(#[from] VerifyError),
}

/// The outcome of a submission.
#[derive(Debug, Clone)]
pub struct Submitted {
    pub id: Hash,
    /// The receipt, when the submission waited and the transaction became final in time.
    pub receipt: Option<Value>,
}

/// An HTTP client for one node.
#[derive(Clone)]
pub struct Client {
    base: String,
    http: reqwest::Client,
}

impl Client {
    pub fn new(base_url: &str) -> Self {
        Client { base: base_url.trim_end_matches('/').to_string(), http: reqwest::Client::new() }
    }

    async fn answer(&self, url: &str, resp: Result<reqwest::Response, reqwest::Error>) -> Result<Value, ClientError> {
        let resp = resp.map_err(|source| ClientError::Transport { url: url.to_string(), source })?;
        let status = resp.status();
        let body: Value =
            resp.json().await.map_err(|e| ClientError::BadAnswer(format!("{url} did not answer JSON: {e}")))?;
        if status.is_client_error() || status.is_server_error() {
            return Err(ClientError::Problem {
                status: status.as_u16(),
                kind: body["type"].as_str().unwrap_or_default().to_string(),
                detail: body["detail"].as_str().unwrap_or("no detail").to_string(),
            });
        }
        Ok(body)
    }

    pub async fn get(&self, path: &str) -> Result<Value, ClientError> {
        let url = format!("{}{path}", self.base);
        let resp = self.http.get(&url).send().await;
        self.answer(&url, resp).await
    }

    async fn post(&self, path: &str, body: &Value) -> Result<Value, ClientError> {
        let url = format!("{}{path}", self.base);
        let resp = self.http.post(&url).json(body).send().await;
        self.answer(&url, resp).await
    }

    pub async fn status(&self) -> Result<Value, ClientError> {
        self.get("/v1/status").await
    }

    /// Submits a transaction; with `wait`, returns once it is final (or the node's wait ends).
    pub async fn submit(&self, tx: &SignedTx, wait: bool) -> Result<Submitted, ClientError> {
        let path = if wait { "/v1/txs?wait=true&timeout_ms=30000" } else { "/v1/txs" };
        let v = self.post(path, &json!({ "tx": hex::encode(encode(tx)) })).await?;
        let id = parse_id(&v["id"])?;
        let receipt = v.get("receipt").cloned();
        Ok(Submitted { id, receipt })
    }

    /// Submits many transactions in one request; one verdict per transaction.
    pub async fn submit_batch(&self, txs: &[SignedTx]) -> Result<Vec<Result<Hash, String>>, ClientError> {
        let hexes: Vec<String> = txs.iter().map(|t| hex::encode(encode(t))).collect();
        let v = self.post("/v1/txs/batch", &json!({ "txs": hexes })).await?;
        let results =
            v["results"].as_array().ok_or_else(|| ClientError::BadAnswer("batch answer has no results".into()))?;
        Ok(results
            .iter()
            .map(|r| match r.get("id") {
                Some(id) => parse_id(id).map_err(|e| e.to_string()),
                None => Err(r["error"]["detail"].as_str().unwrap_or("refused").to_string()),
            })
            .collect())
    }

    pub async fn tx(&self, id: &Hash) -> Result<Value, ClientError> {
        self.get(&format!("/v1/txs/{id}")).await
    }

    pub async fn block(&self, height: u64) -> Result<Value, ClientError> {
        self.get(&format!("/v1/blocks/{height}")).await
    }

    /// A module query, e.g. `query("governance", "param/minimum_wage/hourly_krw", &[("as_of", "2026-03-01")])`.
    pub async fn query(&self, module: &str, path: &str, params: &[(&str, &str)]) -> Result<Value, ClientError> {
        let qs: Vec<String> = params.iter().map(|(k, v)| format!("{k}={v}")).collect();
        let suffix = if qs.is_empty() { String::new() } else { format!("?{}", qs.join("&")) };
        self.get(&format!("/v1/query/{module}/{path}{suffix}")).await
    }

    /// Reads a state key and checks the answer: the Merkle proof against the header's state
    /// root, the header against the commit certificate, and the certificate's signatures
    /// against the validator set the caller trusts (more than two thirds of the power).
    pub async fn read_verified(&self, key: &str, validators: &[Validator]) -> Result<VerifiedState, ClientError> {
        let v = self.get(&format!("/v1/state?key={key}")).await?;
        Ok(verify_read(key.as_bytes(), &v, validators)?)
    }
}

fn parse_id(v: &Value) -> Result<Hash, ClientError> {
    v.as_str()
        .and_then(|s| s.parse().ok())
        .ok_or_else(|| ClientError::BadAnswer(format!("'{v}' is not a transaction id")))
}
