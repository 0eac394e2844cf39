//! Relaying submitted transactions to the other nodes, so that whichever validator proposes
//! next has them, and so an observer can take submissions it cannot propose itself.
//! A relayed submission carries [`RELAYED_HEADER`] and is not relayed again.
//!
//! Each peer has its own sender with one request in flight and a short queue: a peer that is
//! slow gets larger merged batches, and a peer that stops answering (stopped, partitioned,
//! overloaded) costs one waiting request, not one per batch. What could not be queued for a
//! peer is dropped and counted: the node that admitted a transaction still proposes it in its
//! turn, and a peer coming back is not buried under seconds of stale batches.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use serde::Serialize;
use tokio::sync::mpsc;
use tracing::{debug, warn};

use crate::throttle::Throttle;

/// Marks a submission that came from another node's relay.
pub(crate) const RELAYED_HEADER: &str = "x-dojang-relayed";

/// Transactions waiting to be batched; beyond this, new ones are not relayed.
const QUEUE: usize = 100_000;
/// Transactions in one relayed request (the API takes up to 20,000).
const MAX_BATCH: usize = 5_000;
/// Hex bytes in one relayed request: well under the peers' request body limit (16 MiB by
/// default), however large the transactions.
const MAX_BATCH_BYTES: usize = 4 * 1024 * 1024;
const FLUSH_EVERY: Duration = Duration::from_millis(10);
/// Batches waiting for one peer while its previous request is in flight.
const PEER_QUEUE: usize = 64;
/// A relayed batch a peer has not answered in this long is given up.
const POST_TIMEOUT: Duration = Duration::from_secs(5);
/// After a failed request, the peer is left alone this long at first, doubling up to the
/// maximum while it keeps failing.
const FIRST_BACKOFF: Duration = Duration::from_millis(250);
const MAX_BACKOFF: Duration = Duration::from_secs(5);
/// A peer that is down (often: not started yet) is reported at most this often.
const REPORT_PEER_EVERY: Duration = Duration::from_secs(60);

/// The relay's queue and counters.
pub struct Relay {
    queue: mpsc::Sender<Vec<u8>>,
    /// Transactions not relayed to a peer (counted once per peer that missed them).
    pub(crate) dropped: Arc<AtomicU64>,
    pub(crate) failed_posts: Arc<AtomicU64>,
}

/// Counters shared by the dispatcher and the peers' senders.
#[derive(Clone)]
struct Counters {
    dropped: Arc<AtomicU64>,
    failed: Arc<AtomicU64>,
}

impl Relay {
    /// Starts relaying to `peers` (API base URLs). `None` without peers.
    pub fn start(peers: &[String]) -> Option<Arc<Relay>> {
        if peers.is_empty() {
            return None;
        }
        let (queue, rx) = mpsc::channel(QUEUE);
        let counters = Counters { dropped: Arc::new(AtomicU64::new(0)), failed: Arc::new(AtomicU64::new(0)) };
        let relay = Arc::new(Relay { queue, dropped: counters.dropped.clone(), failed_posts: counters.failed.clone() });
        let client = reqwest::Client::builder()
            // Below the peers' API idle timeout, so a pooled connection is not reused just as
            // the peer closes it.
            .pool_idle_timeout(Duration::from_secs(30))
            .build()
            .expect("an HTTP client builds");
        let senders = peers
            .iter()
            .map(|p| {
                let (tx, rx) = mpsc::channel(PEER_QUEUE);
                let url = format!("{}/v1/txs/batch", p.trim_end_matches('/'));
                tokio::spawn(send_to_peer(url, rx, client.clone(), counters.clone()));
                tx
            })
            .collect();
        tokio::spawn(dispatch(rx, senders, counters.dropped.clone()));
        Some(relay)
    }

    /// Queues one admitted transaction for the peers.
    pub fn forward(&self, tx: Vec<u8>) {
        if self.queue.try_send(tx).is_err() {
            self.dropped.fetch_add(1, Ordering::Relaxed);
        }
    }
}

type Batch = Arc<Vec<String>>;

/// Gathers admitted transactions into batches (what arrived within [`FLUSH_EVERY`] of the
/// first) and hands each batch to every peer's sender that has room for it.
async fn dispatch(mut rx: mpsc::Receiver<Vec<u8>>, peers: Vec<mpsc::Sender<Batch>>, dropped: Arc<AtomicU64>) {
    loop {
        let Some(first) = rx.recv().await else { return };
        let mut batch = Vec::with_capacity(64);
        let mut bytes = 2 * first.len();
        batch.push(hex::encode(first));
        let deadline = tokio::time::Instant::now() + FLUSH_EVERY;
        while batch.len() < MAX_BATCH && bytes < MAX_BATCH_BYTES {
            match tokio::time::timeout_at(deadline, rx.recv()).await {
                Ok(Some(tx)) => {
                    bytes += 2 * tx.len();
                    batch.push(hex::encode(tx));
                }
                Ok(None) | Err(_) => break,
            }
        }
        let batch = Arc::new(batch);
        for peer in &peers {
            if peer.try_send(batch.clone()).is_err() {
                dropped.fetch_add(batch.len() as u64, Ordering::Relaxed);
            }
        }
    }
}

#[derive(Serialize)]
struct Body<'a> {
    txs: Vec<&'a str>,
}

/// One peer's sender: posts what is queued, merged into requests of at most [`MAX_BATCH`],
/// one at a time. After a failure it drops what is queued (it is stale by the time the peer
/// answers again) and waits before trying again.
async fn send_to_peer(url: String, mut rx: mpsc::Receiver<Batch>, client: reqwest::Client, counters: Counters) {
    let (refused, unreachable) = (Throttle::new(REPORT_PEER_EVERY), Throttle::new(REPORT_PEER_EVERY));
    let mut backoff = FIRST_BACKOFF;
    let mut carried: Option<Batch> = None;
    loop {
        let first = match carried.take() {
            Some(b) => b,
            None => match rx.recv().await {
                Some(b) => b,
                None => return,
            },
        };
        let size = |b: &Batch| b.iter().map(String::len).sum::<usize>();
        let mut bytes = size(&first);
        let mut batches = vec![first];
        let mut total = batches[0].len();
        while let Ok(next) = rx.try_recv() {
            if total + next.len() > MAX_BATCH || bytes + size(&next) > MAX_BATCH_BYTES {
                carried = Some(next);
                break;
            }
            total += next.len();
            bytes += size(&next);
            batches.push(next);
        }
        let body = Body { txs: batches.iter().flat_map(|b| b.iter().map(String::as_str)).collect() };
        let sent = client.post(&url).header(RELAYED_HEADER, "1").timeout(POST_TIMEOUT).json(&body).send().await;
        let failure = match sent {
            Ok(r) if r.status().is_success() => {
                debug!(%url, txs = total, "relayed a batch");
                backoff = FIRST_BACKOFF;
                continue;
            }
            Ok(r) => refused.hit().map(|n| (n, format!("status {}", r.status()))),
            Err(e) => unreachable.hit().map(|n| (n, e.to_string())),
        };
        counters.failed.fetch_add(1, Ordering::Relaxed);
        if let Some((n, why)) = failure {
            // Usually a peer that has not started yet or is restarting; its proposer turn
            // waits for it, and it catches up on blocks, not on relayed transactions.
            warn!(%url, error = %why, batches = n, "cannot relay to peer (reported once a minute)");
        }
        let mut stale = total as u64 + carried.take().map_or(0, |b| b.len() as u64);
        while let Ok(b) = rx.try_recv() {
            stale += b.len() as u64;
        }
        counters.dropped.fetch_add(stale, Ordering::Relaxed);
        tokio::time::sleep(backoff).await;
        backoff = (backoff * 2).min(MAX_BACKOFF);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::{routing::post, Json, Router};
    use serde_json::Value;
    use std::sync::Mutex;

    fn tx(i: u32) -> Vec<u8> {
        i.to_le_bytes().to_vec()
    }

    #[tokio::test]
    async fn a_live_peer_receives_every_transaction_in_merged_batches_marked_as_relayed() {
        let seen: Arc<Mutex<(Vec<String>, usize, bool)>> = Arc::default();
        let s = seen.clone();
        let app = Router::new().route(
            "/v1/txs/batch",
            post(move |headers: axum::http::HeaderMap, Json(body): Json<Value>| {
                let s = s.clone();
                async move {
                    let mut s = s.lock().unwrap();
                    s.0.extend(body["txs"].as_array().unwrap().iter().map(|t| t.as_str().unwrap().to_string()));
                    s.1 += 1;
                    s.2 |= !headers.contains_key(RELAYED_HEADER);
                    Json(serde_json::json!({}))
                }
            }),
        );
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let server = tokio::spawn(async move { axum::serve(listener, app).await });
        let relay = Relay::start(&[url]).unwrap();
        for i in 0..3_000 {
            relay.forward(tx(i));
        }
        let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
        while seen.lock().unwrap().0.len() < 3_000 && tokio::time::Instant::now() < deadline {
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        let (txs, posts, unmarked) = seen.lock().unwrap().clone();
        let expected: Vec<String> = (0..3_000).map(|i| hex::encode(tx(i))).collect();
        assert_eq!(txs, expected, "every transaction, once, in order");
        assert!(posts < 3_000, "batched: {posts} requests");
        assert!(!unmarked, "every relayed request carries the relay header");
        assert_eq!(relay.dropped.load(Ordering::Relaxed), 0);
        assert_eq!(relay.failed_posts.load(Ordering::Relaxed), 0);
        server.abort();
    }

    #[tokio::test]
    async fn a_peer_that_stops_answering_gets_one_request_not_one_per_batch() {
        // Accepts connections and never answers, like a stopped process whose socket is open.
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let accepted = Arc::new(AtomicU64::new(0));
        let a = accepted.clone();
        let holder = tokio::spawn(async move {
            let mut held = Vec::new();
            while let Ok((sock, _)) = listener.accept().await {
                a.fetch_add(1, Ordering::Relaxed);
                held.push(sock);
            }
        });
        let relay = Relay::start(&[url]).unwrap();
        // 2 seconds of submissions, a batch every few milliseconds.
        for i in 0..400 {
            relay.forward(tx(i));
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        assert_eq!(accepted.load(Ordering::Relaxed), 1, "one request waits; the others are not sent");
        assert!(relay.dropped.load(Ordering::Relaxed) > 0, "what could not be queued is counted");
        holder.abort();
    }
}
