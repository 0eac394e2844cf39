//! Relaying submitted transactions to the other nodes, so that whichever validator proposes
//! next has them, and so an observer can take submissions it cannot propose itself.
//! A relayed submission carries [`RELAYED_HEADER`] and is not relayed again.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use serde_json::json;
use tokio::sync::mpsc;
use tracing::{debug, warn};

/// Marks a submission that came from another node's relay.
pub(crate) const RELAYED_HEADER: &str = "x-dojang-relayed";

/// Transactions waiting to be relayed; beyond this, new ones are not relayed (the node that
/// admitted them still proposes them in its turn).
const QUEUE: usize = 100_000;
const MAX_BATCH: usize = 5_000;
const FLUSH_EVERY: Duration = Duration::from_millis(10);

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
        .build()
        .expect("an HTTP client with a timeout builds");
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
            let (client, body, url, failed) =
                (client.clone(), body.clone(), format!("{peer}/v1/txs/batch"), failed.clone());
            tokio::spawn(async move {
                match client.post(&url).header(RELAYED_HEADER, "1").json(&*body).send().await {
                    Ok(r) if r.status().is_success() => debug!(%url, "relayed a batch"),
                    Ok(r) => {
                        failed.fetch_add(1, Ordering::Relaxed);
                        warn!(%url, status = %r.status(), "peer refused a relayed batch");
                    }
                    Err(e) => {
                        failed.fetch_add(1, Ordering::Relaxed);
                        debug!(%url, error = %e, "cannot relay to peer");
                    }
                }
            });
        }
    }
}
