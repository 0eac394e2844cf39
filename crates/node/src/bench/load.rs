//! The load itself: pre-signed anchor transactions in batches, finality followed over the
//! node's event stream.
//!
//! At a given rate the load is open: each batch goes out at its scheduled time whether or not
//! the node has answered the ones before, and a transaction's latency runs from when it was
//! scheduled, not from when the sender got round to it, so a stalled node shows as latency
//! instead of hiding as a slower sender (coordinated omission). Flat out (no rate), the load is
//! closed: a window of transactions in flight, and its latency is that queue's length.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use anyhow::Context;
use dojang_anchor::AnchorMsg;
use dojang_crypto::Keypair;
use dojang_sdk::{Client, TxBuilder};
use dojang_types::{encode, Hash};
use serde_json::{json, Value};

use super::{BenchArgs, POLL};

pub struct LoadResult {
    /// Transactions finalized and accepted by their module, per second of the measured window.
    pub finalized_per_second: f64,
    /// Transactions finalized but refused by their module (a failed receipt), per second of the
    /// window: recorded on chain, but not the work the load asked for.
    pub failed_per_second: f64,
    /// Batches sent late by more than one batch interval (the sender itself could not keep the
    /// rate; the figures then understate what the rate asks).
    pub late_batches: u64,
    pub p50_ms: f64,
    pub p95_ms: f64,
    pub p99_ms: f64,
    pub max_ms: f64,
    pub samples: usize,
    pub total_committed: u64,
    /// The load's transactions the node refused at admission, or whose batch request failed.
    pub refused: u64,
    /// The load's transactions neither final nor refused when the drain ended.
    pub not_final: u64,
    /// Accepted transactions finalized per second in each minute of the measured window (the
    /// last one as long as what is left): whether the rate holds as the chain grows.
    pub per_minute: Vec<f64>,
}

struct Shared {
    submitted: Mutex<HashMap<Hash, Instant>>,
    latencies: Mutex<Vec<(Instant, f64)>>,
    finalized: AtomicU64,
    finalized_in_window: AtomicU64,
    failed_in_window: AtomicU64,
    refused: AtomicU64,
    measuring: Mutex<Option<(Instant, Instant)>>,
}

/// The key of bench account `i`: derived from a public seed, so a run can find the accounts an
/// earlier run registered. Never give such an account a role on a real chain.
pub fn account_key(i: u64) -> Keypair {
    let mut seed = [0u8; 32];
    seed[..8].copy_from_slice(&i.to_le_bytes());
    seed[8] = 0xbe;
    Keypair::ed25519_from_seed(seed)
}

fn presign(chain_id: &str, args: &BenchArgs, count: u64) -> Vec<(Hash, String)> {
    let accounts: Vec<TxBuilder> = (0..args.accounts).map(|i| TxBuilder::new(chain_id, account_key(i))).collect();
    let expiry = dojang_types::wall_clock_ms() + 3_000_000;
    let run: u64 = rand::random();
    (0..count)
        .map(|i| {
            let b = &accounts[(i % args.accounts) as usize];
            let root = dojang_types::sha256(&[&run.to_le_bytes(), &i.to_le_bytes()]);
            let msg = AnchorMsg::Anchor { namespace: "bench".into(), root, leaves: 1 };
            let tx = b.message_with(&msg, run ^ i, expiry);
            (tx.id(), hex::encode(encode(&tx)))
        })
        .collect()
}

/// Follows the node's finalized blocks and records each transaction of the load (other
/// traffic on the node, the bench's own registrations among it, is not counted): accepted
/// ones with their latency, refused ones apart.
async fn follow(url: String, shared: Arc<Shared>) -> anyhow::Result<()> {
    Client::new(&url)
        .each_block_receipts(|receipts| {
            let now = Instant::now();
            let window = *shared.measuring.lock().unwrap_or_else(|p| p.into_inner());
            let in_window = window.is_some_and(|(a, b)| now >= a && now <= b);
            let mut sub = shared.submitted.lock().unwrap_or_else(|p| p.into_inner());
            let mut lat = shared.latencies.lock().unwrap_or_else(|p| p.into_inner());
            let (mut ok, mut failed) = (0u64, 0u64);
            for r in receipts {
                let Some(id) = r["tx_id"].as_str().and_then(|s| s.parse::<Hash>().ok()) else { continue };
                let Some(t) = sub.remove(&id) else { continue };
                if r["result"]["status"].as_str() == Some("ok") {
                    ok += 1;
                    lat.push((now, now.saturating_duration_since(t).as_secs_f64() * 1000.0));
                } else {
                    failed += 1;
                }
            }
            shared.finalized.fetch_add(ok + failed, Ordering::Relaxed);
            if in_window {
                shared.finalized_in_window.fetch_add(ok, Ordering::Relaxed);
                shared.failed_in_window.fetch_add(failed, Ordering::Relaxed);
            }
        })
        .await?;
    Ok(())
}

pub async fn drive(url: &str, args: &BenchArgs) -> anyhow::Result<LoadResult> {
    let client = Client::new(url);
    let chain_id = client.status().await?["chain_id"].as_str().context("status has no chain_id")?.to_string();
    let total_secs = args.duration + args.warmup;
    let count = if args.rate > 0 { args.rate * total_secs } else { args.presign_per_second * total_secs };
    eprintln!("pre-signing {count} transactions from {} accounts...", args.accounts);
    let cargs = args.clone();
    let cid = chain_id.clone();
    let txs = tokio::task::spawn_blocking(move || presign(&cid, &cargs, count)).await?;

    let shared = Arc::new(Shared {
        submitted: Mutex::new(HashMap::with_capacity(txs.len())),
        latencies: Mutex::new(Vec::new()),
        finalized: AtomicU64::new(0),
        finalized_in_window: AtomicU64::new(0),
        failed_in_window: AtomicU64::new(0),
        refused: AtomicU64::new(0),
        measuring: Mutex::new(None),
    });
    let follower = tokio::spawn(follow(url.to_string(), shared.clone()));
    tokio::time::sleep(Duration::from_millis(300)).await;

    // A request the node never answers must not hold the run past its drain.
    let http = reqwest::Client::builder().timeout(REQUEST_TIMEOUT).build()?;
    let start = Instant::now();
    let measure_from = start + Duration::from_secs(args.warmup);
    let measure_to = measure_from + Duration::from_secs(args.duration);
    *shared.measuring.lock().unwrap_or_else(|p| p.into_inner()) = Some((measure_from, measure_to));
    eprintln!("sending for {total_secs} s...");

    let batch = batch_size(args);
    let interval = Duration::from_secs_f64(batch as f64 / args.rate.max(1) as f64);
    let mut sent = 0u64;
    let mut late_batches = 0u64;
    let mut in_flight = tokio::task::JoinSet::new();
    // A stalled node must not be sent an unbounded number of requests at once: past this many
    // the sender waits, its batches go out late and count as such.
    let requests = Arc::new(tokio::sync::Semaphore::new(MAX_REQUESTS_IN_FLIGHT));
    for chunk in txs.chunks(batch) {
        let now = Instant::now();
        if now >= measure_to {
            break;
        }
        // When the batch should leave: its latency is measured from here.
        let scheduled = if args.rate > 0 {
            let due = start + Duration::from_secs_f64(sent as f64 / args.rate as f64);
            if due > now {
                tokio::time::sleep(due - now).await;
            } else {
                if now - due > interval {
                    late_batches += 1;
                }
                // Behind schedule: let the requests in flight and the follower run.
                tokio::task::yield_now().await;
            }
            due
        } else {
            while sent.saturating_sub(shared.finalized.load(Ordering::Relaxed) + shared.refused.load(Ordering::Relaxed))
                > args.window
            {
                tokio::time::sleep(POLL).await;
                if Instant::now() >= measure_to {
                    break;
                }
            }
            Instant::now()
        };
        {
            let mut sub = shared.submitted.lock().unwrap_or_else(|p| p.into_inner());
            for (id, _) in chunk {
                sub.insert(*id, scheduled);
            }
        }
        let body = json!({ "txs": chunk.iter().map(|(_, h)| h).collect::<Vec<_>>() });
        let post = submit(http.clone(), format!("{url}/v1/txs/batch"), body, chunk.len() as u64, shared.clone());
        if args.rate > 0 {
            let permit = requests.clone().acquire_owned().await?;
            in_flight.spawn(async move {
                post.await;
                drop(permit);
            });
        } else {
            post.await;
        }
        sent += chunk.len() as u64;
    }
    while let Some(done) = in_flight.join_next().await {
        done?;
    }
    let until = Instant::now().max(measure_to);
    tokio::time::sleep(until - Instant::now()).await;
    // Let the last submitted transactions finish so latencies are complete.
    let drain_until = Instant::now() + Duration::from_secs(10);
    while shared.finalized.load(Ordering::Relaxed) + shared.refused.load(Ordering::Relaxed) < sent
        && Instant::now() < drain_until
    {
        tokio::time::sleep(POLL).await;
    }
    follower.abort();
    let refused = shared.refused.load(Ordering::Relaxed);
    let not_final = sent.saturating_sub(shared.finalized.load(Ordering::Relaxed) + refused);

    let in_window = shared.finalized_in_window.load(Ordering::Relaxed);
    let failed_in_window = shared.failed_in_window.load(Ordering::Relaxed);
    let finals = std::mem::take(&mut *shared.latencies.lock().unwrap_or_else(|p| p.into_inner()));
    let per_minute =
        per_minute_rates(finals.iter().filter_map(|(t, _)| t.checked_duration_since(measure_from)), args.duration);
    let mut lat: Vec<f64> = finals.iter().filter(|(t, _)| *t >= measure_from).map(|(_, l)| *l).collect();
    lat.sort_by(|a, b| a.total_cmp(b));
    let pct = |p: f64| if lat.is_empty() { f64::NAN } else { lat[((lat.len() - 1) as f64 * p) as usize] };
    let total_committed = committed_total(url).await;
    Ok(LoadResult {
        finalized_per_second: in_window as f64 / args.duration as f64,
        failed_per_second: failed_in_window as f64 / args.duration as f64,
        late_batches,
        p50_ms: pct(0.50),
        p95_ms: pct(0.95),
        p99_ms: pct(0.99),
        max_ms: lat.last().copied().unwrap_or(f64::NAN),
        samples: lat.len(),
        total_committed,
        refused,
        not_final,
        per_minute,
    })
}

/// Transactions finalized per second in each minute of a window of `seconds`, from each one's
/// time of finality counted from the window's start (later ones are left out).
fn per_minute_rates(finals: impl Iterator<Item = Duration>, seconds: u64) -> Vec<f64> {
    let mut counts = vec![0u64; seconds.div_ceil(60) as usize];
    for at in finals.map(|d| d.as_secs()).filter(|&s| s < seconds) {
        counts[(at / 60) as usize] += 1;
    }
    counts.iter().enumerate().map(|(i, &c)| c as f64 / (seconds - 60 * i as u64).min(60) as f64).collect()
}

/// The run's average rate as a share of its first minute's (issue 20: at least 0.9 over a run
/// from 0 to 10 million transactions), for runs of two minutes or more.
pub fn sustained_share(per_minute: &[f64], average: f64) -> Option<f64> {
    match per_minute {
        [first, _, ..] if *first > 0.0 => Some(average / first),
        _ => None,
    }
}

/// Transactions per HTTP batch: at a given rate, small enough that a batch leaves every 20 ms
/// (a batch's transactions share one scheduled time, so a large batch at a low rate would
/// count the wait for its own batch as latency); flat out, as asked.
fn batch_size(args: &BenchArgs) -> usize {
    if args.rate == 0 {
        return args.batch.max(1);
    }
    args.batch.min((args.rate / 50).max(1) as usize).max(1)
}

/// Batch requests open at once at a rate.
const MAX_REQUESTS_IN_FLIGHT: usize = 64;

/// How long one batch request may take before its transactions count as refused.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(30);

/// Sends one batch and counts what the node refused at admission. A request that fails or
/// gets no readable answer counts its whole batch as refused (one bad answer does not end the
/// run).
async fn submit(http: reqwest::Client, url: String, body: Value, len: u64, shared: Arc<Shared>) {
    let answer = async { http.post(&url).json(&body).send().await?.json::<Value>().await };
    let accepted = match answer.await {
        Ok(a) => a["accepted"].as_u64().unwrap_or(0).min(len),
        Err(e) => {
            tracing::warn!("a batch of {len} transactions got no answer: {e}");
            0
        }
    };
    shared.refused.fetch_add(len - accepted, Ordering::Relaxed);
}

/// Transactions finalized since the node started, from its metrics.
async fn committed_total(url: &str) -> u64 {
    let Ok(resp) = reqwest::get(format!("{url}/metrics")).await else { return 0 };
    let text = resp.text().await.unwrap_or_default();
    text.lines()
        .find_map(|l| l.strip_prefix("dojang_txs_committed_total "))
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use clap::Parser as _;

    use super::*;

    fn args(line: &[&str]) -> BenchArgs {
        #[derive(clap::Parser)]
        struct Line {
            #[command(flatten)]
            bench: BenchArgs,
        }
        Line::parse_from(std::iter::once("bench").chain(line.iter().copied())).bench
    }

    /// Each minute's rate counts that minute's finals over its own length, the last minute
    /// being what is left of the window; finals after the window are not counted.
    #[test]
    fn per_minute_rates_count_each_minute_over_its_length() {
        let at = |secs: &[u64]| secs.iter().map(|&s| Duration::from_millis(s * 1000 + 500)).collect::<Vec<_>>();
        let finals = at(&[0, 1, 59, 60, 61, 121, 149, 150, 400]);
        assert_eq!(per_minute_rates(finals.into_iter(), 150), vec![3.0 / 60.0, 2.0 / 60.0, 2.0 / 30.0]);
        assert_eq!(per_minute_rates(std::iter::empty(), 60), vec![0.0]);
        assert!(per_minute_rates(at(&[3]).into_iter(), 0).is_empty());
    }

    /// The share needs two minutes and a first minute with finals.
    #[test]
    fn the_sustained_share_compares_the_average_with_the_first_minute() {
        assert_eq!(sustained_share(&[100.0, 80.0, 60.0], 80.0), Some(0.8));
        assert_eq!(sustained_share(&[100.0], 100.0), None);
        assert_eq!(sustained_share(&[0.0, 50.0], 25.0), None);
    }

    /// At a rate a batch holds at most 20 ms of it (its transactions share one scheduled time),
    /// and at least one transaction; flat out, batches are as large as asked.
    #[test]
    fn a_batch_at_a_rate_holds_at_most_twenty_milliseconds_of_it() {
        assert_eq!(batch_size(&args(&["--rate", "2000"])), 40);
        assert_eq!(batch_size(&args(&["--rate", "10"])), 1);
        assert_eq!(batch_size(&args(&["--rate", "1000000"])), 2_000, "never above --batch");
        assert_eq!(batch_size(&args(&[])), 2_000);
        assert_eq!(batch_size(&args(&["--batch", "0"])), 1);
    }
}
