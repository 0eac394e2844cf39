//! Load from a tool (a benchmark): pre-signed transactions sent in batches, with a bound on
//! how many are in flight, each followed to its receipt over the node's event stream. Accepted
//! ones, ones refused in a block, ones refused at admission and ones not final within the wait
//! are counted apart, so a rate can count accepted transactions only.

use std::collections::HashSet;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use dojang_types::Hash;
use serde_json::{json, Value};

use crate::{Client, ClientError};

/// What became of the transactions sent.
#[derive(Debug, Clone, Copy)]
pub struct Sent {
    pub ok: u64,
    pub refused_in_block: u64,
    pub refused_at_admission: u64,
    pub not_final: u64,
    /// From the first batch sent to the last receipt (or the end of the wait).
    pub seconds: f64,
}

struct Progress {
    pending: Mutex<HashSet<Hash>>,
    ok: AtomicU64,
    failed: AtomicU64,
}

impl Progress {
    fn done(&self) -> u64 {
        self.ok.load(Ordering::Relaxed) + self.failed.load(Ordering::Relaxed)
    }
}

/// Batches submitted at once and not yet answered: a node admits a batch on all its cores, and
/// a second request keeps them busy while the first one's body travels and its answer is read,
/// as many clients at once would.
const REQUESTS_IN_FLIGHT: usize = 2;

/// Posts one batch; answers how many the node accepted.
async fn post_batch(http: &reqwest::Client, endpoint: &str, body: &Value) -> Result<u64, ClientError> {
    let transport = |source| ClientError::Transport { url: endpoint.to_string(), source };
    let resp: Value =
        http.post(endpoint).json(body).send().await.map_err(transport)?.json().await.map_err(transport)?;
    resp["accepted"]
        .as_u64()
        .ok_or_else(|| ClientError::BadAnswer(format!("a batch answer without 'accepted': {resp}")))
}

/// How many of a batch the node refused, from [`post_batch`]'s answer and the batch's size.
fn batch_refusals(answer: Result<(Result<u64, ClientError>, u64), tokio::task::JoinError>) -> Result<u64, ClientError> {
    let (accepted, len) = answer.map_err(|e| ClientError::BadAnswer(format!("a batch request failed: {e}")))?;
    Ok(len - accepted?.min(len))
}

/// Sends `txs` (each id with the hex of its encoding) to the node at `url`, `batch` at a time
/// and two batches at once, with at most `window` submitted and not yet final, and waits up to
/// `drain` after the last batch for their receipts.
pub async fn send_all(
    url: &str,
    txs: &[(Hash, String)],
    batch: usize,
    window: u64,
    drain: Duration,
) -> Result<Sent, ClientError> {
    let progress = Arc::new(Progress {
        pending: Mutex::new(txs.iter().map(|(id, _)| *id).collect()),
        ok: AtomicU64::new(0),
        failed: AtomicU64::new(0),
    });
    let (p, follow_url) = (progress.clone(), url.to_string());
    let follower = tokio::spawn(async move {
        Client::new(&follow_url)
            .each_block_receipts(|receipts| {
                let mut pending = p.pending.lock().unwrap_or_else(|e| e.into_inner());
                for r in receipts {
                    let Some(id) = r["tx_id"].as_str().and_then(|s| s.parse::<Hash>().ok()) else { continue };
                    if pending.remove(&id) {
                        let counter = if r["result"]["status"] == "ok" { &p.ok } else { &p.failed };
                        counter.fetch_add(1, Ordering::Relaxed);
                    }
                }
            })
            .await
    });
    // The event stream is open before the first transaction can be final.
    tokio::time::sleep(Duration::from_millis(300)).await;

    let http = reqwest::Client::new();
    let endpoint = format!("{url}/v1/txs/batch");
    let started = Instant::now();
    let (mut sent, mut refused) = (0u64, 0u64);
    let mut requests = tokio::task::JoinSet::new();
    for chunk in txs.chunks(batch.max(1)) {
        while requests.len() >= REQUESTS_IN_FLIGHT || sent.saturating_sub(progress.done() + refused) > window {
            match requests.try_join_next() {
                Some(answer) => refused += batch_refusals(answer)?,
                None => tokio::time::sleep(Duration::from_millis(2)).await,
            }
        }
        let body = json!({ "txs": chunk.iter().map(|(_, h)| h).collect::<Vec<_>>() });
        let (http, endpoint, len) = (http.clone(), endpoint.clone(), chunk.len() as u64);
        requests.spawn(async move { (post_batch(&http, &endpoint, &body).await, len) });
        sent += len;
    }
    while let Some(answer) = requests.join_next().await {
        refused += batch_refusals(answer)?;
    }
    let drain_until = Instant::now() + drain;
    while progress.done() + refused < sent && Instant::now() < drain_until {
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    let seconds = started.elapsed().as_secs_f64();
    follower.abort();
    let (ok, failed) = (progress.ok.load(Ordering::Relaxed), progress.failed.load(Ordering::Relaxed));
    Ok(Sent {
        ok,
        refused_in_block: failed,
        refused_at_admission: refused,
        not_final: sent.saturating_sub(ok + failed + refused),
        seconds,
    })
}

/// What an open-loop load at a fixed rate saw: [`Sent`], and the time to finality of each
/// accepted transaction, in milliseconds, sorted.
#[derive(Debug, Clone)]
pub struct Paced {
    pub sent: Sent,
    pub latencies_ms: Vec<f64>,
}

impl Paced {
    /// The `q`-quantile of the latencies (0.99 for p99); `None` when nothing was final.
    pub fn quantile(&self, q: f64) -> Option<f64> {
        let n = self.latencies_ms.len();
        (n > 0).then(|| self.latencies_ms[((n as f64 * q).ceil() as usize).clamp(1, n) - 1])
    }
}

/// Sends `txs` at `rate` per second, a batch every `tick`, whatever the node's answers
/// (open loop), and follows each to its receipt. A transaction's latency runs from when its
/// batch was due, not from when it went out: a sender that falls behind adds its delay to
/// the figure instead of hiding it (coordinated omission).
pub async fn send_paced(
    url: &str,
    txs: &[(Hash, String)],
    rate: f64,
    tick: Duration,
    drain: Duration,
) -> Result<Paced, ClientError> {
    type Due = std::collections::HashMap<Hash, Instant>;
    let due: Arc<Mutex<Due>> = Arc::new(Mutex::new(Due::with_capacity(txs.len())));
    let latencies = Arc::new(Mutex::new(Vec::with_capacity(txs.len())));
    let failed = Arc::new(AtomicU64::new(0));
    let (d, l, f, follow_url) = (due.clone(), latencies.clone(), failed.clone(), url.to_string());
    let follower = tokio::spawn(async move {
        Client::new(&follow_url)
            .each_block_receipts(|receipts| {
                let now = Instant::now();
                let mut due = d.lock().unwrap_or_else(|e| e.into_inner());
                let mut lat = l.lock().unwrap_or_else(|e| e.into_inner());
                for r in receipts {
                    let Some(id) = r["tx_id"].as_str().and_then(|s| s.parse::<Hash>().ok()) else { continue };
                    if let Some(at) = due.remove(&id) {
                        if r["result"]["status"] == "ok" {
                            lat.push(now.saturating_duration_since(at).as_secs_f64() * 1000.0);
                        } else {
                            f.fetch_add(1, Ordering::Relaxed);
                        }
                    }
                }
            })
            .await
    });
    tokio::time::sleep(Duration::from_millis(300)).await;

    let per_tick = ((rate * tick.as_secs_f64()).round() as usize).max(1);
    let http = reqwest::Client::new();
    let endpoint = format!("{url}/v1/txs/batch");
    let started = Instant::now();
    let mut requests = tokio::task::JoinSet::new();
    for (i, chunk) in txs.chunks(per_tick).enumerate() {
        let at = started + tick * i as u32;
        tokio::time::sleep_until(at.into()).await;
        {
            let mut due = due.lock().unwrap_or_else(|e| e.into_inner());
            due.extend(chunk.iter().map(|(id, _)| (*id, at)));
        }
        let body = json!({ "txs": chunk.iter().map(|(_, h)| h).collect::<Vec<_>>() });
        let (http, endpoint, len) = (http.clone(), endpoint.clone(), chunk.len() as u64);
        requests.spawn(async move { (post_batch(&http, &endpoint, &body).await, len) });
    }
    let mut refused = 0;
    while let Some(answer) = requests.join_next().await {
        refused += batch_refusals(answer)?;
    }
    let sent = txs.len() as u64;
    let drain_until = Instant::now() + drain;
    let finished = || {
        let lat = latencies.lock().unwrap_or_else(|e| e.into_inner()).len() as u64;
        lat + failed.load(Ordering::Relaxed) + refused
    };
    while finished() < sent && Instant::now() < drain_until {
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    let seconds = started.elapsed().as_secs_f64();
    follower.abort();
    let mut latencies_ms = std::mem::take(&mut *latencies.lock().unwrap_or_else(|e| e.into_inner()));
    latencies_ms.sort_by(f64::total_cmp);
    let (ok, failed) = (latencies_ms.len() as u64, failed.load(Ordering::Relaxed));
    Ok(Paced {
        sent: Sent {
            ok,
            refused_in_block: failed,
            refused_at_admission: refused,
            not_final: sent.saturating_sub(ok + failed + refused),
            seconds,
        },
        latencies_ms,
    })
}
