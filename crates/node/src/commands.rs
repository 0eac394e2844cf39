//! Client commands: they talk to a node's API through the SDK.

use std::path::Path;

use anyhow::{bail, Context};
use dojang_sdk::{Client, TxBuilder};
use serde_json::Value;

fn print(v: &Value) {
    println!("{}", serde_json::to_string_pretty(v).unwrap_or_default());
}

pub async fn status(node: &str) -> anyhow::Result<()> {
    print(&Client::new(node).status().await?);
    Ok(())
}

/// Signs with `signer` (a key file or an HSM key, see `dojang_service::keys::tx_signer`) and submits.
pub async fn tx(
    node: &str,
    signer: Box<dyn dojang_crypto::Signer>,
    wait: bool,
    module: &str,
    msg: &str,
) -> anyhow::Result<()> {
    let msg: Value = serde_json::from_str(msg).context("the message is not valid JSON")?;
    let client = Client::new(node);
    let chain_id = client.status().await?["chain_id"].as_str().context("node status has no chain_id")?.to_string();
    let builder = TxBuilder::new(chain_id, signer);
    let tx = builder.try_build(module, &msg)?;
    let s = client.submit(&tx, wait).await?;
    match s.receipt {
        Some(r) => print(&serde_json::json!({"id": s.id, "receipt": r})),
        None => println!("{}", s.id),
    }
    Ok(())
}

pub async fn query(node: &str, module: &str, path: &str, params: &[String]) -> anyhow::Result<()> {
    let pairs: Vec<(&str, &str)> = params
        .iter()
        .map(|p| p.split_once('=').with_context(|| format!("parameter '{p}' is not key=value")))
        .collect::<anyhow::Result<_>>()?;
    print(&Client::new(node).query(module, path, &pairs).await?);
    Ok(())
}

pub async fn block(node: &str, height: &str) -> anyhow::Result<()> {
    let client = Client::new(node);
    let v = if height == "latest" {
        client.get("/v1/blocks/latest").await?
    } else {
        let h: u64 = height.parse().with_context(|| format!("'{height}' is not a height or 'latest'"))?;
        client.block(h).await?
    };
    print(&v);
    Ok(())
}

pub async fn state(node: &str, key: &str, verify: Option<&Path>) -> anyhow::Result<()> {
    let client = Client::new(node);
    match verify {
        None => print(&client.get(&format!("/v1/state?key={key}")).await?),
        Some(genesis) => {
            let chain = dojang_sdk::TrustedChain::from_genesis_file(genesis)?;
            let s = client.read_verified(key, &chain).await?;
            let Some(value) = s.value else {
                println!("verified at height {}: no value under '{key}'", s.height);
                return Ok(());
            };
            println!("verified at height {} (state root {}):", s.height, s.state_root);
            match serde_json::from_slice::<Value>(&value) {
                Ok(v) => print(&v),
                Err(_) => println!("{}", hex::encode(value)),
            }
        }
    }
    Ok(())
}

pub fn check_home_free(home: &Path) -> anyhow::Result<()> {
    if home.join("config.toml").exists() {
        bail!("{} already holds a node", home.display());
    }
    Ok(())
}
