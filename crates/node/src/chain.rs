//! A node reached by a tool that sends transactions (the demo, an office's anchoring): the
//! client, the chain id read once, and "send and wait until final, or say why not".

use anyhow::{bail, Context};
use dojang_crypto::Keypair;
use dojang_sdk::{Client, TxBuilder};
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

    /// Sends one message and waits until it is final; a refusal is an error with its reason.
    pub async fn send(&self, key: &Keypair, module: &str, msg: Value) -> anyhow::Result<Value> {
        let tx = TxBuilder::new(&self.chain_id, key.duplicate()).build(module, &msg);
        let s = self.client.submit(&tx, true).await?;
        let receipt = s.receipt.context("the transaction did not become final in time")?;
        if receipt["result"]["status"] != "ok" {
            bail!("{module} {} refused: {}", msg["type"], receipt["result"]["reason"]);
        }
        Ok(receipt)
    }
}
