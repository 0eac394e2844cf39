//! The benchmark's accounts are registered like any agency's: the chain's council grants each
//! the auditor role by proposal, so the load passes the same permits and quotas as real
//! traffic (anchors need a role; an unknown key cannot write).

use std::time::Duration;

use anyhow::{bail, Context};
use dojang_crypto::Keypair;
use dojang_governance::{GovernanceMsg, Role};
use dojang_sdk::{Client, TxBuilder};
use dojang_types::Address;

/// The role bench accounts anchor under.
const ROLE: Role = Role::Auditor;

/// Grants the role to every account that lacks it, through proposals by `council` (which
/// must be a council of one: its proposal is its approval). Returns how many were granted.
pub async fn register(
    client: &Client,
    chain_id: &str,
    council: Keypair,
    accounts: &[Address],
) -> anyhow::Result<usize> {
    let mut missing = Vec::new();
    for a in accounts {
        let rec = client.query("governance", &format!("account/{a}"), &[]).await?;
        if rec["roles"].get(ROLE.as_str()).is_none() {
            missing.push(*a);
        }
    }
    if missing.is_empty() {
        return Ok(0);
    }
    eprintln!("registering {} bench accounts (council grants the {} role)...", missing.len(), ROLE.as_str());
    let builder = TxBuilder::new(chain_id, council);
    let expires = dojang_types::wall_clock_ms() + 600_000;
    // One account may have at most `ledger.mempool.max_per_account` (1,000) transactions
    // waiting: send a chunk, wait until it is final, then the next.
    for chunk in missing.chunks(500) {
        let txs: Vec<_> = chunk
            .iter()
            .map(|a| {
                let grant = GovernanceMsg::GrantRole { account: *a, role: ROLE };
                builder.message(&GovernanceMsg::propose(&grant, "benchmark load account", expires))
            })
            .collect();
        for verdict in client.submit_batch(&txs).await? {
            if let Err(e) = verdict {
                bail!("the node refused a registration: {e}");
            }
        }
        let last = *chunk.last().context("chunks are not empty")?;
        wait_for_role(client, last).await?;
    }
    Ok(missing.len())
}

async fn wait_for_role(client: &Client, account: Address) -> anyhow::Result<()> {
    for _ in 0..600 {
        let rec = client.query("governance", &format!("account/{account}"), &[]).await?;
        if rec["roles"].get(ROLE.as_str()).is_some() {
            return Ok(());
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    bail!("bench accounts were not registered within 60 s (is the key a council of one?)")
}
