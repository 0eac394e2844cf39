use dojang_crypto::CommitError;
use dojang_types::{encode, percent_encode, validators_hash, wall_clock_ms, Hash, SignedTx, Validator};
use serde_json::{json, Value};

use crate::bundle::SetStep;
use crate::light::TrustedChain;
use crate::verify::{check_answer, decode_answer, field, VerifiedState, VerifyError};

/// Most steps one read may take to follow the validator set: a step per change since the
/// pinned set, at most twice (a change the pinned set did not sign is tried, then followed
/// from the change before it).
const MAX_FOLLOW_STEPS: usize = 128;

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
    #[error("cannot sign: {0}")]
    Sign(String),
    #[error("transaction {0} did not become final within the wait; follow it at /v1/txs/{0}")]
    NotFinal(dojang_types::Hash),
    /// The module refused the message in its block: its rule's code and the reason.
    #[error("module '{module}' refused the message ({code}): {reason}")]
    Refused { module: String, code: String, reason: String },
}

/// The outcome of a submission.
#[derive(Debug, Clone)]
pub struct Submitted {
    pub id: Hash,
    /// The receipt, when the submission waited and the transaction became final in time.
    pub receipt: Option<Value>,
}

/// A record read with its Merkle proof and commit certificate checked.
#[derive(Debug, Clone, PartialEq)]
pub struct Proven<T> {
    pub record: T,
    /// Its full state key.
    pub key: String,
    /// The height whose state root the proof was checked against.
    pub height: u64,
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

    /// The body of a successful answer; an error status becomes [`ClientError::Problem`] with
    /// the problem document's type and detail.
    async fn answer_bytes(
        &self,
        url: &str,
        resp: Result<reqwest::Response, reqwest::Error>,
    ) -> Result<bytes::Bytes, ClientError> {
        let resp = resp.map_err(|source| ClientError::Transport { url: url.to_string(), source })?;
        let status = resp.status();
        let body =
            resp.bytes().await.map_err(|e| ClientError::BadAnswer(format!("reading the answer of {url}: {e}")))?;
        if status.is_client_error() || status.is_server_error() {
            // A proxy or a body limit may answer in plain text or HTML: its status still counts.
            let problem: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
            let text = || String::from_utf8_lossy(&body[..body.len().min(200)]).trim().to_string();
            return Err(ClientError::Problem {
                status: status.as_u16(),
                kind: problem["type"].as_str().unwrap_or_default().to_string(),
                detail: problem["detail"].as_str().map_or_else(text, str::to_string),
            });
        }
        Ok(body)
    }

    async fn answer(&self, url: &str, resp: Result<reqwest::Response, reqwest::Error>) -> Result<Value, ClientError> {
        let body = self.answer_bytes(url, resp).await?;
        serde_json::from_slice(&body).map_err(|e| ClientError::BadAnswer(format!("{url} did not answer JSON: {e}")))
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

    /// Signs a module's typed message, submits it and waits until it is final: its receipt.
    /// A message its module refused in the block is [`ClientError::Refused`], with the
    /// rule's code and reason.
    pub async fn send<S: dojang_crypto::Signer, M: dojang_types::ModuleMessage>(
        &self,
        from: &crate::TxBuilder<S>,
        msg: &M,
    ) -> Result<Value, ClientError> {
        let tx = from.try_message(msg).map_err(|e| ClientError::Sign(e.to_string()))?;
        self.submit_final(&tx).await
    }

    /// Submits a signed transaction and waits until it is final: its receipt, or
    /// [`ClientError::Refused`] when its module refused it in the block.
    pub async fn submit_final(&self, tx: &SignedTx) -> Result<Value, ClientError> {
        let submitted = self.submit(tx, true).await?;
        let receipt = submitted.receipt.ok_or(ClientError::NotFinal(submitted.id))?;
        if receipt["result"]["status"] != "ok" {
            let text = |k: &str| receipt["result"][k].as_str().unwrap_or_default().to_string();
            return Err(ClientError::Refused {
                module: tx.body.module.clone(),
                code: text("code"),
                reason: text("reason"),
            });
        }
        Ok(receipt)
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

    /// Reads the node's event stream (`/v1/events`) and calls `on_block` with each finalized
    /// block's receipts, until the stream ends or fails. Blocks the stream skipped (a slow
    /// reader) are not fetched: a caller that needs every receipt reads them by height.
    pub async fn each_block_receipts(&self, mut on_block: impl FnMut(&[Value])) -> Result<(), ClientError> {
        let url = format!("{}/v1/events", self.base);
        let transport = |source| ClientError::Transport { url: url.clone(), source };
        let mut resp = self.http.get(&url).send().await.map_err(transport)?;
        let mut buf = String::new();
        while let Some(chunk) = resp.chunk().await.map_err(transport)? {
            buf.push_str(&String::from_utf8_lossy(&chunk));
            while let Some(end) = buf.find("\n\n") {
                let event: String = buf.drain(..end + 2).collect();
                let Some(data) = event.lines().find_map(|l| l.strip_prefix("data:")) else { continue };
                let Ok(v) = serde_json::from_str::<Value>(data.trim()) else { continue };
                if let Some(receipts) = v["receipts"].as_array() {
                    on_block(receipts);
                }
            }
        }
        Ok(())
    }

    pub async fn tx(&self, id: &Hash) -> Result<Value, ClientError> {
        self.get(&format!("/v1/txs/{id}")).await
    }

    pub async fn block(&self, height: u64) -> Result<Value, ClientError> {
        self.get(&format!("/v1/blocks/{height}")).await
    }

    /// A module query, e.g. `query("governance", "param/minimum_wage/hourly_krw", &[("as_of", "2026-03-01")])`.
    /// Parameter names and values are percent-encoded here; the path is sent as given.
    pub async fn query(&self, module: &str, path: &str, params: &[(&str, &str)]) -> Result<Value, ClientError> {
        self.get(&query_path(module, path, params)).await
    }

    /// A module's typed query (see [`dojang_types::ModuleQuery`]): its answer, decoded into the
    /// module's own answer type straight from the body (a page of records is not built as a
    /// generic JSON tree first).
    pub async fn ask<Q: dojang_types::ModuleQuery>(&self, query: &Q) -> Result<Q::Answer, ClientError> {
        let params = query.params();
        let pairs: Vec<(&str, &str)> = params.iter().map(|(k, v)| (*k, v.as_str())).collect();
        let url = format!("{}{}", self.base, query_path(Q::MODULE, &query.path(), &pairs));
        let resp = self.http.get(&url).send().await;
        let body = self.answer_bytes(&url, resp).await?;
        serde_json::from_slice(&body).map_err(|e| {
            ClientError::BadAnswer(format!("{} query {} answered in an unexpected shape: {e}", Q::MODULE, query.path()))
        })
    }

    /// One record read with its Merkle proof and commit certificate checked against `chain`,
    /// at the key the client computes from the query (never a key the node names), decoded into
    /// the module's record type. `None` when the proof shows there is no such record.
    pub async fn ask_verified<Q: dojang_types::RecordQuery>(
        &self,
        query: &Q,
        chain: &TrustedChain,
    ) -> Result<Option<Proven<Q::Record>>, ClientError> {
        let key = query.state_key();
        let state = self.read_verified(&key, chain).await?;
        let Some(bytes) = state.value else { return Ok(None) };
        let record = serde_json::from_slice(&bytes).map_err(|e| {
            ClientError::BadAnswer(format!("the proven record under {key} has an unexpected shape: {e}"))
        })?;
        Ok(Some(Proven { record, key, height: state.height }))
    }

    /// Reads a state key and checks the answer against `chain`: the header's chain id, height
    /// (not below what was seen when the request was sent) and age (not older than the chain's maximum), its
    /// commit certificate against the validator set followed from the trusted genesis (never
    /// the set this node reports), and the Merkle proof against the header's state root.
    pub async fn read_verified(&self, key: &str, chain: &TrustedChain) -> Result<VerifiedState, ClientError> {
        let min = chain.min_height();
        let v = self.get(&format!("/v1/state?key={}", percent_encode(key))).await?;
        let answer = decode_answer(&v)?;
        let now = wall_clock_ms();
        chain.check_header_since(&answer.header, now, min)?;
        if chain.needs_follow(&answer.header) {
            self.follow(chain, answer.header.height).await?;
        }
        Ok(check_answer(key.as_bytes(), &answer, chain, now, min)?)
    }

    /// Follows the validator set pinned in `chain` up to the set deciding `height`. The node
    /// answers with the set and the proof kept at the block that last changed it (at most
    /// `height - 1`); the step is accepted only under that block's certificate, signed by more
    /// than two thirds of the set pinned before. When the pinned set did not sign it, the set
    /// changed more than once since: the set deciding that block is followed first.
    pub async fn follow(&self, chain: &TrustedChain, height: u64) -> Result<(), ClientError> {
        self.follow_recording(chain, height, &mut Vec::new()).await
    }

    /// [`Client::follow`], keeping each step taken in `steps`, in order, so the same steps
    /// can be checked again later without the node ([`crate::ProofBundle`]).
    pub(crate) async fn follow_recording(
        &self,
        chain: &TrustedChain,
        height: u64,
        steps: &mut Vec<SetStep>,
    ) -> Result<(), ClientError> {
        let mut targets = vec![height];
        for _ in 0..MAX_FOLLOW_STEPS {
            let Some(&target) = targets.last() else { return Ok(()) };
            let (from, _) = chain.pinned();
            if target <= from {
                targets.pop();
                continue;
            }
            let Some(step) = self.fetch_step(target, chain).await? else {
                // The set pinned now decides `target`: nothing to follow.
                targets.pop();
                continue;
            };
            let changed = step.header.height;
            match step.apply(chain) {
                Ok(()) => {
                    steps.push(step);
                    targets.pop();
                }
                Err(VerifyError::Commit(CommitError::NotEnoughPower { .. })) if changed > from => {
                    targets.push(changed);
                }
                Err(e) => return Err(e.into()),
            }
        }
        if targets.is_empty() {
            return Ok(());
        }
        Err(VerifyError::Follow { height, reason: format!("more than {MAX_FOLLOW_STEPS} steps") }.into())
    }

    /// One step, as the node answers it: the set deciding `height`, the proof kept at the
    /// block that set it (`version`, below `height`), and that block's header and certificate.
    /// Not checked yet ([`SetStep::apply`]). `None` when the node says the set was set before
    /// the pinned one begins and it is the pinned set: it decides `height` too (each header is
    /// still checked against it). Any other set from before the pinned one is refused.
    async fn fetch_step(&self, height: u64, chain: &TrustedChain) -> Result<Option<SetStep>, ClientError> {
        let v = self.get(&format!("/v1/validators?height={height}")).await?;
        let validators: Vec<Validator> = field(&v, "validators")?;
        let version: u64 = field(&v["proof"], "version")?;
        if version >= height {
            return Err(
                VerifyError::Malformed(format!("the set of height {height} is proven at version {version}")).into()
            );
        }
        let (from, pinned) = chain.pinned();
        if version < from {
            if validators_hash(&validators) == validators_hash(&pinned) {
                return Ok(None);
            }
            return Err(VerifyError::Follow {
                height,
                reason: format!(
                    "the node says the set deciding {height} was set at block {version}, before the set \
                     pinned from {from}, but it is not the pinned set"
                ),
            }
            .into());
        }
        let proof_hex: String = field(&v["proof"], "proof_hex")?;
        let block = self.block_proof(version).await?;
        Ok(Some(SetStep { header: block.header, commit: block.commit, validators, proof_hex }))
    }
}

fn parse_id(v: &Value) -> Result<Hash, ClientError> {
    v.as_str()
        .and_then(|s| s.parse().ok())
        .ok_or_else(|| ClientError::BadAnswer(format!("'{v}' is not a transaction id")))
}

/// The path of module `module`'s query `path` with its parameters percent-encoded (the path is
/// sent as given).
fn query_path(module: &str, path: &str, params: &[(&str, &str)]) -> String {
    let qs: Vec<String> = params.iter().map(|(k, v)| format!("{}={}", percent_encode(k), percent_encode(v))).collect();
    let suffix = if qs.is_empty() { String::new() } else { format!("?{}", qs.join("&")) };
    format!("/v1/query/{module}/{path}{suffix}")
}
