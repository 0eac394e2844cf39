//! Relaying submitted transactions to the other nodes, so that whichever validator proposes
//! next has them, and so an observer can take submissions it cannot propose itself.
//! A relayed submission carries [`RELAYED_HEADER`] and is not relayed again.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use serde_json::json;
use tokio::sync::mpsc;
use tracing::{debug, warn};

use crate::throttle::Throttle;

/// Marks a submission that came from another node's relay.
pub(crate) const RELAYED_HEADER: &str = "x-dojang-relayed";

/// Transactions waiting to be relayed; beyond this, new ones are not relayed (the node that
/// admitted them still proposes them in its turn).
const QUEUE: usize = 100_000;
const MAX_BATCH: usize = 5_000;
const FLUSH_EVERY: Duration = Duration::from_millis(10);
/// A peer that is down (often: not started yet) is reported at most this often.
const REPORT_PEER_EVERY: Duration = Duration::from_secs(60);

/// The relay's queue and counters.
pub struct Relay {
    queue: mpsc::Sender<Vec<u8>>,
    pub(crate) dropped: AtomicU64,
    pub(crate) failed_posts: Arc<AtomicU64>,
}

impl Relay {
    /// Starts relaying to `peers` (API base URLs). `None` without peers.
    pub fn start(peers: &[String]) -> Option<Arc<Relay>> {
        if peers.is_empty() {
            return None;
        }
        let (queue, rx) = mpsc::channel(QUEUE);
        let failed_posts = Arc::new(AtomicU64::new(0));
        let relay = Arc::new(Relay { queue, dropped: AtomicU64::new(0), failed_posts: failed_posts.clone() });
        let peers: Vec<String> = peers.iter().map(|p| p.trim_end_matches('/').to_string()).collect();
        tokio::spawn(run(rx, peers, failed_posts));
        Some(relay)
    }

    /// Queues one admitted transaction for the peers.
    pub fn forward(&self, tx: Vec<u8>) {
        if self.queue.try_send(tx).is_err() {
            self.dropped.fetch_add(1, Ordering::Relaxed);
        }
    }
}

async fn run(mut rx: mpsc::Receiver<Vec<u8>>, peers: Vec<String>, failed: Arc<AtomicU64>) {
    let client = reqwest::Client::builder()
        .timeout(Duration::from_secs(10))
        // Below the peers' API idle timeout, so a pooled connection is not reused just as
        // the peer closes it.
        .pool_idle_timeout(Duration::from_secs(30))
        .build()
        .expect("an HTTP client with a timeout builds");
    let reports: Arc<HashMap<String, (Throttle, Throttle)>> = Arc::new(
        peers
            .iter()
            .map(|p| (p.clone(), (Throttle::new(REPORT_PEER_EVERY), Throttle::new(REPORT_PEER_EVERY))))
            .collect(),
    );
    let mut batch = Vec::with_capacity(MAX_BATCH);
    loop {
        let Some(first) = rx.recv().await else { return };
        batch.push(hex::encode(first));
        let deadline = tokio::time::Instant::now() + FLUSH_EVERY;
        while batch.len() < MAX_BATCH {
            match tokio::time::timeout_at(deadline, rx.recv()).await {
                Ok(Some(tx)) => batch.push(hex::encode(tx)),
                Ok(None) | Err(_) => break,
            }
        }
        let body = Arc::new(json!({ "txs": std::mem::take(&mut batch) }));
        for peer in &peers {
            let (client, body, url, failed, reports, peer) = (
                client.clone(),
                body.clone(),
                format!("{peer}/v1/txs/batch"),
                failed.clone(),
                reports.clone(),
                peer.clone(),
            );
            tokio::spawn(async move {
                let Some((refused, unreachable)) = reports.get(&peer) else { return };
                match client.post(&url).header(RELAYED_HEADER, "1").json(&*body).send().await {
                    Ok(r) if r.status().is_success() => debug!(%url, "relayed a batch"),
                    Ok(r) => {
                        failed.fetch_add(1, Ordering::Relaxed);
                        if let Some(n) = refused.hit() {
                            warn!(%url, status = %r.status(), batches = n, "peer refused relayed batches (reported once a minute)");
                        }
                    }
                    Err(e) => {
                        failed.fetch_add(1, Ordering::Relaxed);
                        // Usually a peer that has not started yet; its proposer turn waits for it.
                        if let Some(n) = unreachable.hit() {
                            warn!(%url, error = %e, batches = n, "cannot relay to peer (reported once a minute)");
                        }
                    }
                }
            });
        }
    }
}
