//! A node reached by a tool that sends transactions (the demo, an office's anchoring): the
//! client, the chain id read once, and "send a typed message and wait until final, or say why
//! not".

use anyhow::{bail, Context};
use dojang_crypto::Keypair;
use dojang_governance::GovernanceMsg;
use dojang_sdk::{Client, ModuleMessage, TxBuilder};
use serde_json::Value;

pub struct Chain {
    pub client: Client,
    pub chain_id: String,
}

impl Chain {
    pub async fn connect(url: &str) -> anyhow::Result<Chain> {
        let client = Client::new(url);
        let status = client.status().await.with_context(|| format!("cannot reach the node at {url}"))?;
        let chain_id = status["chain_id"].as_str().context("node status has no chain_id")?.to_string();
        Ok(Chain { client, chain_id })
    }

    /// Proposes `msg` to the council as `member` and waits until final. On a council of one
    /// (a development chain) the proposal is its own approval and the message executes at
    /// once; otherwise it waits for approvals, and the proposal's id is returned.
    pub async fn propose<M: ModuleMessage>(&self, member: &Keypair, msg: &M, reason: &str) -> anyhow::Result<Proposed> {
        let expires = dojang_types::wall_clock_ms() + 7 * 24 * 3_600_000;
        let receipt = self.send(member, &GovernanceMsg::propose(msg, reason, expires)).await?;
        let event =
            |kind: &str| receipt["events"].as_array().into_iter().flatten().find(|e| e["kind"] == kind).cloned();
        let id = event("proposal_created")
            .and_then(|e| attribute(&e, "id"))
            .and_then(|s| s.parse().ok())
            .context("the proposal receipt has no id")?;
        if let Some(failed) = event("proposal_failed") {
            let code = attribute(&failed, "code").unwrap_or_default();
            bail!("the council's {} message was refused when it executed ({code}, proposal {id})", M::MODULE);
        }
        Ok(if event("proposal_executed").is_some() { Proposed::Executed(id) } else { Proposed::Open(id) })
    }

    /// Sends one typed message and waits until it is final; a refusal is an error with its
    /// reason.
    pub async fn send<M: ModuleMessage>(&self, key: &Keypair, msg: &M) -> anyhow::Result<Value> {
        let builder = TxBuilder::new(&self.chain_id, key.duplicate());
        Ok(self.client.send(&builder, msg).await?)
    }
}

/// What became of a proposal when it was made.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Proposed {
    /// It reached the threshold at once and executed.
    Executed(u64),
    /// It waits for more approvals.
    Open(u64),
}

/// An event attribute's value (events carry `[key, value]` pairs).
pub fn attribute(event: &Value, key: &str) -> Option<String> {
    event["attributes"].as_array()?.iter().find(|kv| kv[0] == key).and_then(|kv| kv[1].as_str()).map(str::to_string)
}
