//! Catching up before consensus starts: a node that was offline, or a new one, fetches
//! finalized blocks with their certificates in batches from its peers' APIs and applies them
//! (each certificate checked against the validator set it derived itself, each block
//! re-executed). The engine's own value sync then covers the last few heights.

use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::Context;
use dojang_ledger::Ledger;
use dojang_types::{decode, Commit, MAX_VALIDATORS};
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

/// The most bytes a peer's `/v1/status` answer may hold; a real one is well under 1 KiB.
const STATUS_CAP: usize = 64 * 1024;

async fn peer_height(client: &reqwest::Client, peer: &str) -> Result<u64, String> {
    let url = format!("{peer}/v1/status");
    let resp = client.get(&url).timeout(Duration::from_secs(2)).send().await.map_err(|e| format!("{e:#}"))?;
    let bytes = read_capped(resp, &url, STATUS_CAP).await.map_err(|e| format!("{e:#}"))?;
    let v: serde_json::Value = serde_json::from_slice(&bytes).map_err(|e| format!("{url}: {e}"))?;
    v["height"].as_u64().ok_or_else(|| "its status has no height".to_string())
}

/// Reads a successful answer's body, refusing one that announces or sends more than `cap`
/// bytes before holding more than that in memory.
async fn read_capped(mut resp: reqwest::Response, url: &str, cap: usize) -> anyhow::Result<Vec<u8>> {
    if !resp.status().is_success() {
        anyhow::bail!("{url} answered {}", resp.status());
    }
    if let Some(n) = resp.content_length().filter(|&n| n > cap as u64) {
        anyhow::bail!("{url} announces {n} bytes; at most {cap} are accepted");
    }
    let mut bytes = Vec::new();
    while let Some(chunk) = resp.chunk().await.with_context(|| format!("cannot read the answer of {url}"))? {
        if bytes.len() + chunk.len() > cap {
            anyhow::bail!("{url} sent more than {cap} bytes; at most that is accepted");
        }
        bytes.extend_from_slice(&chunk);
    }
    Ok(bytes)
}

/// Blocks asked for in one request (the most a peer serves at once).
const BATCH_BLOCKS: usize = dojang_api::MAX_SYNC_BLOCKS as usize;
/// A peer stops adding blocks to a batch once it holds this many bytes, so a batch of big
/// blocks is this plus one block.
const PEER_BATCH_BYTES: usize = dojang_api::MAX_SYNC_BYTES;

/// The most bytes an honest peer's answer to one batch request can hold: every block at most
/// `max_block_bytes` with a certificate of every validator, and in all no more than the
/// peer's batch budget plus one block. Anything longer is refused before it is decoded.
pub fn batch_cap(max_block_bytes: usize) -> usize {
    let commit_bytes = 8 + 4 + 32 + 4 + MAX_VALIDATORS * (20 + 64);
    let per_block = max_block_bytes + commit_bytes + 4;
    let by_count = BATCH_BLOCKS.saturating_mul(per_block);
    let by_budget = PEER_BATCH_BYTES + per_block + BATCH_BLOCKS * (commit_bytes + 4);
    4 + by_count.min(by_budget)
}

async fn fetch(client: &reqwest::Client, peer: &str, from: u64, cap: usize) -> anyhow::Result<Vec<(Vec<u8>, Commit)>> {
    let url = format!("{peer}/v1/sync/blocks?from={from}&max={BATCH_BLOCKS}");
    let resp = client.get(&url).send().await.with_context(|| format!("cannot reach {url}"))?;
    let bytes = read_capped(resp, &url, cap).await?;
    decode(&bytes).with_context(|| format!("{url} sent a malformed block batch"))
}

/// A batch fetched and the peer it came from, with how high that peer was.
struct Fetched {
    peer: String,
    target: u64,
    batch: Vec<(Vec<u8>, Commit)>,
}

/// Fetches and applies blocks until this node is within a couple of heights of its most
/// advanced peer. A peer that sends a bad batch is skipped; none reachable means nothing to do.
/// While a batch is applied, the next one is already being fetched from the same peer, so
/// the network's time and the peer's are spent beside execution, not before it (issue 20);
/// at most one batch waits in memory.
pub async fn catch_up(
    ledger: &Arc<Ledger>,
    peers: &[String],
    max_block_bytes: usize,
    progress: &dojang_api::NodeStatus,
) -> anyhow::Result<CaughtUp> {
    let started = Instant::now();
    let client = reqwest::Client::builder().timeout(Duration::from_secs(20)).build()?;
    let peers: Vec<String> = peers.iter().map(|p| p.trim_end_matches('/').to_string()).collect();
    let cap = batch_cap(max_block_bytes);
    let mut applied = 0u64;
    let mut refused: Vec<String> = Vec::new();
    // Peers that did not answer, warned about once: at a network's first start they are
    // usually still starting, which is normal and not worth an ERROR.
    let mut unreachable: Vec<String> = Vec::new();
    let mut prefetched: Option<Fetched> = None;
    // A height this node decided before it stopped that its store does not reach: it may not
    // run consensus below it, so catch-up goes at least that far, however close the peers are.
    let must_reach = ledger.unrecovered_decision()?.unwrap_or(0);
    loop {
        let ours = ledger.head().0;
        let Fetched { peer, target, batch } = match prefetched.take() {
            Some(next) => next,
            None => {
                let mut best: Option<(u64, &String)> = None;
                for peer in peers.iter().filter(|p| !refused.contains(p)) {
                    match peer_height(&client, peer).await {
                        Ok(h) => {
                            if best.is_none_or(|(b, _)| h > b) {
                                best = Some((h, peer));
                            }
                        }
                        Err(e) if !unreachable.contains(peer) => {
                            warn!(%peer, error = %e, "peer not reachable (not up yet?); catching up from the others, consensus sync covers the rest");
                            unreachable.push(peer.clone());
                        }
                        Err(_) => {}
                    }
                }
                let worth = |h: u64| h > ours + CLOSE_ENOUGH || (ours < must_reach && h > ours);
                let Some((target, peer)) = best.filter(|(h, _)| worth(*h)) else { break };
                progress.set_catch_up_target(target);
                match fetch(&client, peer, ours + 1, cap).await {
                    Ok(b) if !b.is_empty() => Fetched { peer: peer.clone(), target, batch: b },
                    Ok(_) => break,
                    Err(e) => {
                        warn!(%peer, error = %format!("{e:#}"), "catch-up fetch failed; trying another peer");
                        refused.push(peer.clone());
                        continue;
                    }
                }
            }
        };
        // The batch after this one, from the same peer, while this one executes: an honest
        // batch starts right above our head, so the next starts right above its last block
        // (a batch that lies about its heights fails to apply, and the guess is dropped).
        let after = (ours.checked_add(batch.len() as u64 + 1))
            .filter(|&from| from.checked_add(CLOSE_ENOUGH).is_some_and(|close| close < target));
        let next = after.map(|from| {
            let (client, peer) = (client.clone(), peer.clone());
            tokio::spawn(async move { fetch(&client, &peer, from, cap).await })
        });
        let l = ledger.clone();
        let outcome = match tokio::task::spawn_blocking(move || l.apply_decided(&batch)).await {
            Ok(outcome) => outcome,
            Err(e) => {
                if let Some(next) = next {
                    next.abort();
                }
                return Err(e.into());
            }
        };
        match outcome {
            Ok(n) => {
                applied += n as u64;
                info!(height = ours + n as u64, target, %peer, "caught up a batch");
                if let Some(next) = next {
                    match next.await? {
                        Ok(b) if !b.is_empty() => prefetched = Some(Fetched { peer, target, batch: b }),
                        Ok(_) => {}
                        Err(e) => {
                            warn!(%peer, error = %format!("{e:#}"), "catch-up fetch failed; asking the peers again")
                        }
                    }
                }
            }
            Err(e) => {
                if let Some(next) = next {
                    next.abort();
                }
                warn!(%peer, error = %e, "peer sent blocks this node refuses; trying another peer");
                refused.push(peer);
            }
        }
    }
    let done = CaughtUp { blocks: applied, elapsed: started.elapsed() };
    if applied > 0 {
        info!(blocks = applied, secs = done.elapsed.as_secs_f64(), rate = done.blocks_per_second(), "caught up");
    }
    Ok(done)
}

#[cfg(test)]
mod tests {
    use super::*;
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    /// A one-shot HTTP peer that answers any request with `head` and then `body` in chunks
    /// of `chunk` bytes. Returns its base URL.
    async fn peer(head: String, body: Vec<u8>, chunk: usize) -> String {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        tokio::spawn(async move {
            let (mut socket, _) = listener.accept().await.unwrap();
            let mut request = [0u8; 1024];
            let _ = socket.read(&mut request).await;
            let _ = socket.write_all(head.as_bytes()).await;
            for part in body.chunks(chunk) {
                if socket.write_all(part).await.is_err() {
                    return;
                }
            }
        });
        url
    }

    fn batch() -> Vec<u8> {
        let commit = Commit { height: 1, round: 0, block_hash: dojang_types::Hash([3; 32]), signatures: vec![] };
        dojang_types::encode(&vec![(vec![7u8; 100], commit)])
    }

    #[tokio::test]
    async fn an_answer_within_the_cap_is_read_whole() {
        let body = batch();
        let url = peer(format!("HTTP/1.1 200 OK\r\ncontent-length: {}\r\n\r\n", body.len()), body.clone(), 16).await;
        let got = fetch(&reqwest::Client::new(), &url, 1, body.len()).await.unwrap();
        assert_eq!(dojang_types::encode(&got), body);
    }

    #[tokio::test]
    async fn an_announced_length_beyond_the_cap_is_refused_before_reading() {
        let url = peer("HTTP/1.1 200 OK\r\ncontent-length: 1000000\r\n\r\n".into(), vec![0; 1_000_000], 65536).await;
        let e = fetch(&reqwest::Client::new(), &url, 1, 1000).await.unwrap_err();
        assert!(e.to_string().contains("announces 1000000 bytes"), "{e:#}");
    }

    #[tokio::test]
    async fn a_streamed_answer_beyond_the_cap_is_refused_while_reading() {
        // Chunked, with no length announced: the cap is enforced as the bytes arrive.
        let mut body = Vec::new();
        for _ in 0..100 {
            body.extend_from_slice(format!("{:x}\r\n", 1000).as_bytes());
            body.extend_from_slice(&[0u8; 1000]);
            body.extend_from_slice(b"\r\n");
        }
        body.extend_from_slice(b"0\r\n\r\n");
        let url = peer("HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n".into(), body, 1006).await;
        let e = fetch(&reqwest::Client::new(), &url, 1, 5000).await.unwrap_err();
        assert!(e.to_string().contains("sent more than 5000 bytes"), "{e:#}");
    }

    #[tokio::test]
    async fn a_status_answer_is_read_with_a_small_cap() {
        let status = br#"{"height":42}"#.to_vec();
        let head = format!("HTTP/1.1 200 OK\r\ncontent-length: {}\r\n\r\n", status.len());
        let url = peer(head, status, 4).await;
        assert_eq!(peer_height(&reqwest::Client::new(), &url).await, Ok(42));

        // A peer streaming an endless status is cut off at the cap, not read into memory.
        let mut body = Vec::new();
        for _ in 0..200 {
            body.extend_from_slice(format!("{:x}\r\n", 1000).as_bytes());
            body.extend_from_slice(&[b' '; 1000]);
            body.extend_from_slice(b"\r\n");
        }
        let url = peer("HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n".into(), body, 1006).await;
        let e = peer_height(&reqwest::Client::new(), &url).await.unwrap_err();
        assert!(e.contains(&format!("sent more than {STATUS_CAP} bytes")), "{e}");
    }

    #[test]
    fn the_cap_allows_a_full_batch_of_big_blocks_and_no_more() {
        let max_block = 8 * 1024 * 1024;
        let cap = batch_cap(max_block);
        assert!(cap > PEER_BATCH_BYTES + max_block, "a batch a peer may send fits");
        assert!(cap < PEER_BATCH_BYTES + 2 * max_block + BATCH_BLOCKS * 10_000, "and is bounded: {cap}");
        let small = batch_cap(1000);
        assert!((BATCH_BLOCKS * 1000..BATCH_BLOCKS * 10_000).contains(&small), "small blocks: by count: {small}");
    }
}
