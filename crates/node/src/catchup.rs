//! Catching up before consensus starts: a node that was offline, or a new one, fetches
//! finalized blocks with their certificates in batches from its peers' APIs and applies them
//! (each certificate checked against the validator set it derived itself, each block
//! re-executed). The engine's own value sync then covers the last few heights.

use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::Context;
use dojang_ledger::Ledger;
use dojang_types::{decode, Commit};
use tracing::{info, warn};

/// Stop fetching when this close to the best peer; consensus and its sync take it from there.
const CLOSE_ENOUGH: u64 = 2;

/// What a catch-up did.
#[derive(Debug, Clone, Copy)]
pub struct CaughtUp {
    pub blocks: u64,
    pub elapsed: Duration,
}

impl CaughtUp {
    pub fn blocks_per_second(&self) -> f64 {
        self.blocks as f64 / self.elapsed.as_secs_f64().max(1e-9)
    }
}

async fn peer_height(client: &reqwest::Client, peer: &str) -> Option<u64> {
    let request = client.get(format!("{peer}/v1/status")).timeout(Duration::from_secs(2));
    let v: serde_json::Value = request.send().await.ok()?.json().await.ok()?;
    v["height"].as_u64()
}

async fn fetch(client: &reqwest::Client, peer: &str, from: u64) -> anyhow::Result<Vec<(Vec<u8>, Commit)>> {
    let url = format!("{peer}/v1/sync/blocks?from={from}");
    let resp = client.get(&url).send().await.with_context(|| format!("cannot reach {url}"))?;
    if !resp.status().is_success() {
        anyhow::bail!("{url} answered {}", resp.status());
    }
    let bytes = resp.bytes().await.with_context(|| format!("cannot read the answer of {url}"))?;
    decode(&bytes).with_context(|| format!("{url} sent a malformed block batch"))
}

/// Fetches and applies blocks until this node is within a couple of heights of its most
/// advanced peer. A peer that sends a bad batch is skipped; none reachable means nothing to do.
pub async fn catch_up(ledger: &Arc<Ledger>, peers: &[String]) -> anyhow::Result<CaughtUp> {
    let started = Instant::now();
    let client = reqwest::Client::builder().timeout(Duration::from_secs(20)).build()?;
    let peers: Vec<String> = peers.iter().map(|p| p.trim_end_matches('/').to_string()).collect();
    let mut applied = 0u64;
    let mut refused: Vec<String> = Vec::new();
    loop {
        let ours = ledger.head().0;
        let mut best: Option<(u64, &String)> = None;
        for peer in peers.iter().filter(|p| !refused.contains(p)) {
            if let Some(h) = peer_height(&client, peer).await {
                if best.is_none_or(|(b, _)| h > b) {
                    best = Some((h, peer));
                }
            }
        }
        let Some((target, peer)) = best.filter(|(h, _)| *h > ours + CLOSE_ENOUGH) else { break };
        let batch = match fetch(&client, peer, ours + 1).await {
            Ok(b) if !b.is_empty() => b,
            Ok(_) => break,
            Err(e) => {
                warn!(%peer, error = %format!("{e:#}"), "catch-up fetch failed; trying another peer");
                refused.push(peer.clone());
                continue;
            }
        };
        let l = ledger.clone();
        match tokio::task::spawn_blocking(move || l.apply_decided(&batch)).await? {
            Ok(n) => {
                applied += n as u64;
                info!(height = ours + n as u64, target, %peer, "caught up a batch");
            }
            Err(e) => {
                warn!(%peer, error = %e, "peer sent blocks this node refuses; trying another peer");
                refused.push(peer.clone());
            }
        }
    }
    let done = CaughtUp { blocks: applied, elapsed: started.elapsed() };
    if applied > 0 {
        info!(blocks = applied, secs = done.elapsed.as_secs_f64(), rate = done.blocks_per_second(), "caught up");
    }
    Ok(done)
}
