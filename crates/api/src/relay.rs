//! Relaying submitted transactions to the other nodes, so that whichever validator proposes
//! next has them, and so an observer can take submissions it cannot propose itself.
//! A relayed submission carries [`RELAYED_HEADER`] and is not relayed again.
//!
//! Each peer has its own sender with a few requests in flight and a queue bounded in bytes: a
//! peer that is slow gets larger merged batches, and a peer that stops answering (stopped,
//! partitioned, overloaded) costs a few waiting requests, not one per batch. What could not be queued for a
//! peer is dropped and counted: the node that admitted a transaction still proposes it in its
//! turn, and a peer coming back is not buried under seconds of stale batches.

use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use serde::Serialize;
use tokio::sync::{mpsc, Semaphore};
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
/// Hex bytes waiting for one peer while its previous request is in flight: a slow peer gets
/// them merged into its next requests; beyond this (seconds of load for a peer that does not
/// keep up), new batches for it are dropped and counted.
const PEER_QUEUE_BYTES: usize = 32 * 1024 * 1024;
/// Requests to one peer at once: enough to keep a busy peer fed, few enough that a peer that
/// stops answering holds only this many.
const IN_FLIGHT: usize = 4;
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
                let (tx, rx) = mpsc::unbounded_channel();
                let queued = Arc::new(AtomicUsize::new(0));
                let url = format!("{}/v1/txs/batch", p.trim_end_matches('/'));
                tokio::spawn(send_to_peer(url, rx, queued.clone(), client.clone(), counters.clone()));
                PeerQueue { tx, queued }
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

/// Transactions (hex) gathered within one flush, shared by every peer's queue.
struct BatchData {
    txs: Vec<String>,
    bytes: usize,
}

type Batch = Arc<BatchData>;

/// One peer's queue: its batches and their bytes (bounded by [`PEER_QUEUE_BYTES`]).
struct PeerQueue {
    tx: mpsc::UnboundedSender<Batch>,
    queued: Arc<AtomicUsize>,
}

/// Gathers admitted transactions into batches (what arrived within [`FLUSH_EVERY`] of the
/// first) and hands each batch to every peer's sender that has room for it.
async fn dispatch(mut rx: mpsc::Receiver<Vec<u8>>, peers: Vec<PeerQueue>, dropped: Arc<AtomicU64>) {
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
        let batch = Arc::new(BatchData { txs: batch, bytes });
        for peer in &peers {
            let has_room = peer.queued.load(Ordering::Relaxed) + bytes <= PEER_QUEUE_BYTES;
            if has_room && peer.tx.send(batch.clone()).is_ok() {
                peer.queued.fetch_add(bytes, Ordering::Relaxed);
            } else {
                dropped.fetch_add(batch.txs.len() as u64, Ordering::Relaxed);
            }
        }
    }
}

#[derive(Serialize)]
struct Body<'a> {
    txs: Vec<&'a str>,
}

/// One peer's sender: posts what is queued, merged into requests of at most [`MAX_BATCH`]
/// transactions and [`MAX_BATCH_BYTES`], at most [`IN_FLIGHT`] at a time. Once a request
/// fails, it drops what is queued (stale by the time the peer answers again) and waits before
/// trying again.
async fn send_to_peer(
    url: String,
    mut rx: mpsc::UnboundedReceiver<Batch>,
    queued: Arc<AtomicUsize>,
    client: reqwest::Client,
    counters: Counters,
) {
    let reports = Arc::new((Throttle::new(REPORT_PEER_EVERY), Throttle::new(REPORT_PEER_EVERY)));
    let in_flight = Arc::new(Semaphore::new(IN_FLIGHT));
    let failing = Arc::new(AtomicBool::new(false));
    let mut backoff = FIRST_BACKOFF;
    let mut carried: Option<Batch> = None;
    // Takes a batch off the queue, and its bytes off the queue's count.
    let take = |b: Batch| {
        queued.fetch_sub(b.bytes, Ordering::Relaxed);
        b
    };
    loop {
        let first = match carried.take() {
            Some(b) => b,
            None => match rx.recv().await {
                Some(b) => take(b),
                None => return,
            },
        };
        let Ok(permit) = in_flight.clone().acquire_owned().await else { return };
        if failing.swap(false, Ordering::Relaxed) {
            let mut stale = first.txs.len() as u64;
            while let Ok(b) = rx.try_recv() {
                stale += take(b).txs.len() as u64;
            }
            counters.dropped.fetch_add(stale, Ordering::Relaxed);
            drop(permit);
            tokio::time::sleep(backoff).await;
            backoff = (backoff * 2).min(MAX_BACKOFF);
            continue;
        }
        backoff = FIRST_BACKOFF;
        let (mut total, mut bytes) = (first.txs.len(), first.bytes);
        let mut batches = vec![first];
        while let Ok(next) = rx.try_recv() {
            let next = take(next);
            if total + next.txs.len() > MAX_BATCH || bytes + next.bytes > MAX_BATCH_BYTES {
                carried = Some(next);
                break;
            }
            total += next.txs.len();
            bytes += next.bytes;
            batches.push(next);
        }
        let (client, url, counters, failing, reports) =
            (client.clone(), url.clone(), counters.clone(), failing.clone(), reports.clone());
        tokio::spawn(async move {
            // Held until the outcome is known, so the sender sees a failure before it sends more.
            let _permit = permit;
            let body = Body { txs: batches.iter().flat_map(|b| b.txs.iter().map(String::as_str)).collect() };
            let sent = client.post(&url).header(RELAYED_HEADER, "1").timeout(POST_TIMEOUT).json(&body).send().await;
            let (refused, unreachable) = &*reports;
            let failure = match sent {
                Ok(r) if r.status().is_success() => {
                    debug!(%url, txs = total, "relayed a batch");
                    return;
                }
                Ok(r) => refused.hit().map(|n| (n, format!("status {}", r.status()))),
                Err(e) => unreachable.hit().map(|n| (n, e.to_string())),
            };
            counters.failed.fetch_add(1, Ordering::Relaxed);
            counters.dropped.fetch_add(total as u64, Ordering::Relaxed);
            failing.store(true, Ordering::Relaxed);
            if let Some((n, why)) = failure {
                // Usually a peer that has not started yet or is restarting; its proposer turn
                // waits for it, and it catches up on blocks, not on relayed transactions.
                warn!(%url, error = %why, batches = n, "cannot relay to peer (reported once a minute)");
            }
        });
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
    async fn a_peer_that_stops_answering_gets_a_few_requests_not_one_per_batch() {
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
        let waiting = accepted.load(Ordering::Relaxed);
        assert!((1..=IN_FLIGHT as u64).contains(&waiting), "{waiting} requests wait; the others are not sent");
        // When the waiting request times out, what queued behind it is stale: dropped and
        // counted, and the peer is left alone for a while.
        tokio::time::sleep(POST_TIMEOUT).await;
        assert!(relay.failed_posts.load(Ordering::Relaxed) >= 1, "the timed-out request is counted");
        assert!(relay.dropped.load(Ordering::Relaxed) >= 390, "the stale batches are dropped and counted");
        assert!(
            accepted.load(Ordering::Relaxed) <= IN_FLIGHT as u64 + 1,
            "a silent peer never gets a burst of requests"
        );
        holder.abort();
    }
}
