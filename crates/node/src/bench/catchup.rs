//! `dojang bench catchup`: how fast a new node catches up a chain of full blocks, beside the
//! rate at which the same blocks were finalized live (issue 20 asks for at least twice that).
//! The chain is one a ledger bench left (`dojang bench --home DIR`); its node is started as the
//! only peer, and a new node joins it the way an agency's would (`dojang join`), fetching,
//! checking and re-executing every block before consensus starts.

use std::path::PathBuf;
use std::time::{Duration, Instant};

use anyhow::{bail, Context};
use clap::Args;
use dojang_sdk::Client;
use dojang_service::machine;
use dojang_service::node::{
    init_follower_home, peak_rss_mb, start_home_reading, start_home_with, StartedNode, WorkDir,
};
use serde_json::json;

use crate::config::Home;

#[derive(Args, Clone, Debug)]
pub struct CatchupArgs {
    /// Home of a stopped node holding the chain to catch up: `dojang bench --duration 60
    /// --home DIR` leaves one with full blocks. It is started as the new node's peer with its
    /// idle blocks held off, so its chain does not grow while measured.
    #[arg(long)]
    pub from: PathBuf,
    /// The new node's home [default: a temporary directory, removed after]; must not hold a
    /// node yet.
    #[arg(long)]
    pub home: Option<PathBuf>,
    /// The longest the catch-up may take, in seconds, before the bench gives up.
    #[arg(long, default_value_t = 3_600, value_parser = clap::value_parser!(u64).range(1..))]
    pub timeout: u64,
}

/// One block of the chain as the peer serves it: what the live rate is computed from.
struct BlockFacts {
    time_ms: u64,
    txs: u64,
}

/// What the new node did.
struct Caught {
    blocks: u64,
    secs: f64,
}

pub async fn run(args: &CatchupArgs) -> anyhow::Result<()> {
    let from = Home(args.from.clone());
    if !from.config().exists() || !from.data().exists() {
        bail!(
            "{} holds no node with a chain; make one with `dojang bench --duration 60 --home {}`",
            args.from.display(),
            args.from.display()
        );
    }
    if let Some(home) = &args.home {
        if Home(home.clone()).config().exists() {
            bail!("{} already holds a node; the new node needs an empty --home", home.display());
        }
    }
    let machine = machine::measure();
    eprintln!(
        "machine: {} cores, Ed25519 {:.0} verifications/s one by one on one core, {:.0}/s batched on all cores",
        machine.cores, machine.ed25519_single_per_core, machine.ed25519_batched_all_cores
    );
    let idle_off = [("DOJANG_CONSENSUS__IDLE_BLOCK_INTERVAL_MS", (24 * 3_600_000u64).to_string())];
    let peer = start_home_with(&args.from, &idle_off).await.context("cannot start the chain's node")?;
    let work = WorkDir::new(args.home.as_deref(), "dojang-bench-catchup");
    let outcome = measure(args, &peer, &work).await;
    peer.stop().await;
    let (chain, caught, peak_mb) = outcome?;

    let blocks: &[BlockFacts] = &chain[..(caught.blocks as usize).min(chain.len())];
    let txs: u64 = blocks.iter().map(|b| b.txs).sum();
    let live = live_rate(&chain);
    let tx_per_s = txs as f64 / caught.secs.max(1e-9);
    let ratio = live.map(|l| tx_per_s / l);
    println!("caught up             {:>10} blocks, {} transactions in {:.2} s", caught.blocks, txs, caught.secs);
    println!(
        "catch-up rate         {:>10.0} tx/s, {:.0} blocks/s",
        tx_per_s,
        caught.blocks as f64 / caught.secs.max(1e-9)
    );
    match (live, ratio) {
        (Some(l), Some(r)) => println!(
            "live rate             {l:>10.0} tx/s  (the same blocks as finalized; catch-up is {r:.2} of it, issue 20 asks >= 2)"
        ),
        _ => println!("live rate                    n/a  (no block of the chain holds transactions)"),
    }
    if let Some(m) = peak_mb {
        println!("new node peak RSS     {m:>10.0} MB");
    }
    println!(
        "Ed25519 on this machine: {:.0}/s batched on {} cores; catch-up tx/s is {:.2} of that",
        machine.ed25519_batched_all_cores,
        machine.cores,
        tx_per_s / machine.ed25519_batched_all_cores
    );
    println!(
        "{}",
        json!({
            "bench": "catchup",
            "blocks": caught.blocks,
            "txs": txs,
            "secs": caught.secs,
            "catchup_tx_per_s": tx_per_s,
            "catchup_blocks_per_s": caught.blocks as f64 / caught.secs.max(1e-9),
            "live_tx_per_s": live,
            "ratio_to_live": ratio,
            "peak_rss_mb": peak_mb,
            "ed25519_single_per_core": machine.ed25519_single_per_core,
            "ed25519_batched_all_cores": machine.ed25519_batched_all_cores,
            "cores": machine.cores,
        })
    );
    drop(work);
    Ok(())
}

/// Reads the chain from its node, starts the new node against it and waits until it says it
/// caught up; then checks that it holds the very block the peer holds at that height.
async fn measure(
    args: &CatchupArgs,
    peer: &StartedNode,
    work: &WorkDir,
) -> anyhow::Result<(Vec<BlockFacts>, Caught, Option<f64>)> {
    let client = Client::new(&peer.url);
    let chain = read_chain(&client).await?;
    if chain.iter().all(|b| b.txs == 0) {
        bail!(
            "the chain of {} holds no transactions; make one with `dojang bench --duration 60 --home DIR`",
            args.from.display()
        );
    }
    init_follower_home(work.path(), &args.from, &peer.url)?;
    let started = Instant::now();
    let (node, printed) = start_home_reading(work.path(), &[], Duration::from_secs(args.timeout))
        .await
        .context("the new node did not catch up")?;
    let waited = started.elapsed();
    let peak = peak_rss_mb(node.pid);
    let caught = printed.iter().find_map(|l| parse_caught(l));
    let same = match &caught {
        Some(c) => same_block(&client, &Client::new(&node.url), c.blocks).await,
        None => Ok(()),
    };
    node.stop().await;
    same?;
    let caught = caught.with_context(|| {
        format!(
            "the new node became ready after {:.1} s without saying it caught up (the chain is {} blocks; a node within two blocks leaves the rest to consensus)",
            waited.as_secs_f64(),
            chain.len()
        )
    })?;
    Ok((chain, caught, peak))
}

/// Every block's time and transaction count, from height 1 to the peer's head.
async fn read_chain(client: &Client) -> anyhow::Result<Vec<BlockFacts>> {
    let height = client.status().await?["height"].as_u64().context("the peer's status has no height")?;
    let mut chain = Vec::with_capacity(height as usize);
    for h in 1..=height {
        let b = client.block(h).await.with_context(|| format!("cannot read block {h} from the peer"))?;
        let time_ms = b["block"]["header"]["time_ms"].as_u64().with_context(|| format!("block {h} has no time"))?;
        let txs = b["tx_ids"].as_array().with_context(|| format!("block {h} has no tx_ids"))?.len() as u64;
        chain.push(BlockFacts { time_ms, txs });
    }
    Ok(chain)
}

/// The rate the chain's transactions were finalized at when it was made: transactions over
/// the time their blocks took, each block counted from its parent's time (empty blocks, made
/// while idle, count neither).
fn live_rate(chain: &[BlockFacts]) -> Option<f64> {
    let (mut txs, mut ms) = (0u64, 0u64);
    for pair in chain.windows(2) {
        if pair[1].txs > 0 {
            txs += pair[1].txs;
            ms += pair[1].time_ms.saturating_sub(pair[0].time_ms);
        }
    }
    (txs > 0 && ms > 0).then(|| txs as f64 * 1000.0 / ms as f64)
}

/// `caught up N blocks from peers in X s (R blocks/s)`, as `dojang node` prints it.
fn parse_caught(line: &str) -> Option<Caught> {
    let rest = line.strip_prefix("caught up ")?;
    let mut words = rest.split_whitespace();
    let blocks = words.next()?.parse().ok()?;
    let secs = rest.split(" in ").nth(1)?.split_whitespace().next()?.parse().ok()?;
    Some(Caught { blocks, secs })
}

/// The header at `height` on both nodes: the new node re-executed to the very same state.
async fn same_block(peer: &Client, node: &Client, height: u64) -> anyhow::Result<()> {
    let theirs = peer.block(height).await?;
    let ours = node.block(height).await?;
    if theirs["block"]["header"] != ours["block"]["header"] || theirs["block"]["header"].is_null() {
        bail!(
            "after catching up, the new node's block {height} differs from the peer's: {} against {}",
            ours["block"]["header"],
            theirs["block"]["header"]
        );
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_node_s_catch_up_line_is_read_and_anything_else_is_not() {
        let c = parse_caught("caught up 15899 blocks from peers in 3.09 s (5151 blocks/s)").unwrap();
        assert_eq!((c.blocks, c.secs), (15_899, 3.09));
        assert!(parse_caught("dojang node ready: chain x at height 3").is_none());
        assert!(parse_caught("caught up many blocks from peers in 3 s").is_none());
        assert!(parse_caught("caught up 3 blocks from peers in soon").is_none());
    }

    #[test]
    fn the_live_rate_counts_blocks_with_transactions_from_their_parents_time() {
        let b = |time_ms, txs| BlockFacts { time_ms, txs };
        // An idle second, then 3,000 transactions in two blocks over 500 ms, then idle again.
        let chain = [b(1_000, 0), b(2_000, 0), b(2_200, 1_000), b(2_500, 2_000), b(3_500, 0)];
        assert_eq!(live_rate(&chain), Some(6_000.0));
        assert_eq!(live_rate(&[b(1, 0), b(2, 0)]), None, "no transactions, no rate");
        assert_eq!(live_rate(&[b(5, 10)]), None, "a lone first block has no parent time");
    }
}
