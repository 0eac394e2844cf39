//! The desk's side of the chain, through its own organisation's node (a member node of the
//! labour collection): storing payloads in the collection and recording their commitments with
//! the member's key, reading them back, reading contracts and the legal tables, and relaying
//! the parties' signed transactions. The desk trusts this node as its organisation's own; it
//! reads without proofs.

use std::future::Future;
use std::time::Duration;

use dojang_crypto::Keypair;
use dojang_governance::ParamValue;
use dojang_labour::state::Contract;
use dojang_labour::Tables;
use dojang_private::client::ClientError as PrivateError;
use dojang_private::PrivateClient;
use dojang_sdk::{Client, ClientError, TxBuilder};
use dojang_types::{Date, Hash, SignedTx};
use serde::Deserialize;
use serde_json::Value;

/// Why the chain side failed; each says whom to ask.
#[derive(Debug, thiserror::Error)]
pub enum ChainError {
    #[error("the node refused the payload: {0}")]
    Private(#[from] PrivateError),
    #[error("the node: {0}")]
    Node(#[from] ClientError),
    #[error("the node answered something unexpected: {0}")]
    Unexpected(String),
    #[error("{0}")]
    Setup(String),
    #[error("the node did not answer within {} s", NODE_TIMEOUT.as_secs())]
    Timeout,
}

/// The longest the desk waits for its node on one call (a store waits for a block).
pub const NODE_TIMEOUT: Duration = Duration::from_secs(45);

async fn bounded<T>(call: impl Future<Output = Result<T, ChainError>>) -> Result<T, ChainError> {
    tokio::time::timeout(NODE_TIMEOUT, call).await.unwrap_or(Err(ChainError::Timeout))
}

impl ChainError {
    /// Whether the node is unreachable or failing (503 to the caller) rather than refusing.
    pub fn is_unavailable(&self) -> bool {
        matches!(
            self,
            ChainError::Timeout
                | ChainError::Private(PrivateError::Transport { .. })
                | ChainError::Node(ClientError::Transport { .. } | ClientError::NotFinal(_))
        ) || matches!(self, ChainError::Node(ClientError::Problem { status, .. }) if *status >= 500)
    }
}

/// A module query's answer from `client`'s node, or `None` when it has no such record (404).
async fn query(client: &Client, module: &str, path: &str) -> Result<Option<Value>, ChainError> {
    bounded(async {
        match client.query(module, path, &[]).await {
            Ok(v) => Ok(Some(v)),
            Err(ClientError::Problem { status: 404, .. }) => Ok(None),
            Err(e) => Err(e.into()),
        }
    })
    .await
}

/// The labour module's record of a contract, or `None` if it is not registered (or `id` is no
/// contract id at all): what the desk and the grievance centre both read.
pub async fn contract(client: &Client, id: &str) -> Result<Option<Contract>, ChainError> {
    if !dojang_labour::exec::contract_id_is_valid(id) {
        return Ok(None);
    }
    let Some(v) = query(client, "labour", &format!("contract/{id}")).await? else { return Ok(None) };
    serde_json::from_value(v["contract"].clone())
        .map(Some)
        .map_err(|e| ChainError::Unexpected(format!("contract {id}: {e}")))
}

/// Payloads fetched from the node at once for one request.
pub const FETCH_AT_ONCE: usize = 8;

/// A payload stored and its commitment recorded on the ledger.
pub struct Recorded {
    pub key: String,
    pub commitment: Hash,
}

pub struct ChainSide {
    pub client: Client,
    pub chain_id: String,
    private: PrivateClient,
    member: Keypair,
    collection: String,
}

#[derive(Deserialize)]
struct Version {
    effective_from: Date,
    value: ParamValue,
}

impl ChainSide {
    /// Connects to the node and learns the chain's id from it.
    pub async fn connect(node: &str, member: Keypair, collection: &str) -> Result<ChainSide, ChainError> {
        let client = Client::new(node);
        let status = client.status().await?;
        let chain_id = status["chain_id"]
            .as_str()
            .ok_or_else(|| ChainError::Unexpected("/v1/status has no chain_id".into()))?
            .to_string();
        Ok(ChainSide {
            private: PrivateClient::new(node, &chain_id),
            client,
            chain_id,
            member,
            collection: collection.to_string(),
        })
    }

    /// Checks that the collection exists and the member key's account belongs to it, so a
    /// misconfigured desk stops at start with the reason instead of failing every request.
    pub async fn check_member(&self) -> Result<(), ChainError> {
        let c = &self.collection;
        let Some(v) = self.query("collections", &format!("collection/{c}")).await? else {
            return Err(ChainError::Setup(format!(
                "no collection '{c}' is defined on the chain: the council defines it (collections define)"
            )));
        };
        let me = self.member.public_key().address().to_string();
        if !v["members"].as_array().is_some_and(|m| m.iter().any(|a| a.as_str() == Some(me.as_str()))) {
            return Err(ChainError::Setup(format!(
                "the member key's account {me} is not a member of collection '{c}': use the organisation's member key"
            )));
        }
        Ok(())
    }

    /// Stores `payload` in the collection on the node and records its commitment, signed by
    /// the member; returns once the record is final.
    pub async fn store(&self, payload: &[u8]) -> Result<Recorded, ChainError> {
        bounded(async {
            let stored = self.private.store(&self.member, &self.collection, payload).await?;
            let member = TxBuilder::new(self.chain_id.clone(), self.member.duplicate());
            self.client.send(&member, &stored.record).await?;
            Ok(Recorded { key: stored.key, commitment: stored.commitment })
        })
        .await
    }

    /// A payload of the collection, checked by the node against its commitment.
    pub async fn fetch(&self, key: &str) -> Result<Vec<u8>, ChainError> {
        Ok(self.held(key).await?.payload)
    }

    /// The day (Korean time) of the block at `height`.
    pub async fn block_date(&self, height: u64) -> Result<Date, ChainError> {
        let block = bounded(async { Ok(self.client.block(height).await?) }).await?;
        let ms = block["block"]["header"]["time_ms"]
            .as_u64()
            .ok_or_else(|| ChainError::Unexpected(format!("block {height} has no header time")))?;
        Ok(Date::from_unix_ms_kst(ms))
    }

    /// A record of the collection with its salt: what proves the payload against the ledger.
    pub async fn held(&self, key: &str) -> Result<dojang_private::Held, ChainError> {
        bounded(async { Ok(self.private.fetch(&self.member, &self.collection, key).await?) }).await
    }

    pub fn collection(&self) -> &str {
        &self.collection
    }

    async fn query(&self, module: &str, path: &str) -> Result<Option<Value>, ChainError> {
        query(&self.client, module, path).await
    }

    /// The labour module's record of a contract, or `None` if it is not registered.
    pub async fn contract(&self, id: &str) -> Result<Option<Contract>, ChainError> {
        contract(&self.client, id).await
    }

    /// The commitment of a week's timesheet on the ledger, if it is there.
    pub async fn timesheet(&self, id: &str, monday: Date) -> Result<Option<Hash>, ChainError> {
        let Some(v) = self.query("labour", &format!("timesheet/{id}/{monday}")).await? else { return Ok(None) };
        serde_json::from_value(v["timesheet"]["commitment"].clone())
            .map(Some)
            .map_err(|e| ChainError::Unexpected(format!("timesheet {id}/{monday}: {e}")))
    }

    /// The legal tables the labour rules read, every version, as the council set them.
    pub async fn tables(&self) -> Result<Tables, ChainError> {
        let mut rows = Vec::new();
        for table in ["minimum_wage", "labour"] {
            let Some(answer) = self.query("governance", &format!("params/{table}")).await? else { continue };
            let keys = answer["keys"].as_object().cloned().unwrap_or_default();
            for (key, versions) in keys {
                let versions: Vec<Version> = serde_json::from_value(versions)
                    .map_err(|e| ChainError::Unexpected(format!("parameter {table}/{key}: {e}")))?;
                rows.extend(versions.into_iter().map(|v| (table.to_string(), key.clone(), v.effective_from, v.value)));
            }
        }
        Ok(Tables::new(rows))
    }

    /// Submits a party's signed transaction and waits until it is final and accepted: its
    /// receipt, or the node's or the module's refusal.
    pub async fn relay(&self, tx: &SignedTx) -> Result<Value, ChainError> {
        bounded(async { Ok(self.client.submit_final(tx).await?) }).await
    }
}
