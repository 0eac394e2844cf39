//! Putting a service on a development chain, for demos and benchmarks: the council (a
//! council of one there) switches modules on and grants roles by proposal, as it would on a
//! real chain.

use std::time::Duration;

use anyhow::{bail, Context};
use dojang_crypto::Keypair;
use dojang_governance::GovernanceMsg;
use dojang_sdk::{Client, TxBuilder};

/// A proposal by a council of one, which its proposal passes.
pub async fn propose(client: &Client, council: &TxBuilder<Keypair>, msg: GovernanceMsg) -> anyhow::Result<()> {
    let r = client.send(council, &msg).await?;
    if !r["events"].as_array().is_some_and(|e| e.iter().any(|e| e["kind"] == "proposal_executed")) {
        bail!("the council's proposal did not pass: {r}");
    }
    Ok(())
}

async fn height(client: &Client) -> anyhow::Result<u64> {
    client.status().await?["height"].as_u64().context("the node's status has no height")
}

/// Switches `modules` on a few blocks ahead, one proposal each, and waits until they are on.
/// A module the council switched on before (a second run on the same chain) is left as it is.
pub async fn activate(client: &Client, council: &TxBuilder<Keypair>, modules: &[&str]) -> anyhow::Result<()> {
    let expires = dojang_types::wall_clock_ms() + 600_000;
    let known = client.query("governance", "activations", &[]).await?;
    let on = |m: &str| known["activations"].as_array().is_some_and(|a| a.iter().any(|x| x["module"] == m));
    let mut at = 0;
    for module in modules.iter().filter(|m| !on(m)) {
        at = height(client).await? + 5;
        let activate = GovernanceMsg::Activate { module: module.to_string(), version: None, at_height: at };
        propose(
            client,
            council,
            GovernanceMsg::propose(&activate, &format!("the {module} module from this release"), expires),
        )
        .await?;
    }
    while height(client).await? < at {
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    Ok(())
}
