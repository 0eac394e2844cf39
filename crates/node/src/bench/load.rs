//! The load itself: pre-signed anchor transactions in batches, finality followed over the
//! node's event stream.

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
    pub finalized_per_second: f64,
    pub p50_ms: f64,
    pub p95_ms: f64,
    pub p99_ms: f64,
    pub max_ms: f64,
    pub samples: usize,
    pub total_committed: u64,
    pub refused: u64,
}

struct Shared {
    submitted: Mutex<HashMap<Hash, Instant>>,
    latencies: Mutex<Vec<(Instant, f64)>>,
    finalized: AtomicU64,
    finalized_in_window: AtomicU64,
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

/// Follows the node's finalized blocks and records each transaction of the load.
async fn follow(url: String, shared: Arc<Shared>) -> anyhow::Result<()> {
    Client::new(&url)
        .each_block_receipts(|receipts| {
            let now = Instant::now();
            let window = *shared.measuring.lock().unwrap_or_else(|p| p.into_inner());
            let in_window = window.is_some_and(|(a, b)| now >= a && now <= b);
            let mut sub = shared.submitted.lock().unwrap_or_else(|p| p.into_inner());
            let mut lat = shared.latencies.lock().unwrap_or_else(|p| p.into_inner());
            for r in receipts {
                let Some(id) = r["tx_id"].as_str().and_then(|s| s.parse::<Hash>().ok()) else { continue };
                if let Some(t) = sub.remove(&id) {
                    lat.push((now, now.duration_since(t).as_secs_f64() * 1000.0));
                }
            }
            shared.finalized.fetch_add(receipts.len() as u64, Ordering::Relaxed);
            if in_window {
                shared.finalized_in_window.fetch_add(receipts.len() as u64, Ordering::Relaxed);
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
        measuring: Mutex::new(None),
    });
    let follower = tokio::spawn(follow(url.to_string(), shared.clone()));
    tokio::time::sleep(Duration::from_millis(300)).await;

    let http = reqwest::Client::new();
    let start = Instant::now();
    let measure_from = start + Duration::from_secs(args.warmup);
    let measure_to = measure_from + Duration::from_secs(args.duration);
    *shared.measuring.lock().unwrap_or_else(|p| p.into_inner()) = Some((measure_from, measure_to));
    eprintln!("sending for {total_secs} s...");

    let mut sent = 0u64;
    let mut refused = 0u64;
    for chunk in txs.chunks(args.batch) {
        let now = Instant::now();
        if now >= measure_to {
            break;
        }
        if args.rate > 0 {
            let due = start + Duration::from_secs_f64(sent as f64 / args.rate as f64);
            if due > now {
                tokio::time::sleep(due - now).await;
            }
        } else {
            while sent.saturating_sub(shared.finalized.load(Ordering::Relaxed) + refused) > args.window {
                tokio::time::sleep(POLL).await;
                if Instant::now() >= measure_to {
                    break;
                }
            }
        }
        let body = json!({ "txs": chunk.iter().map(|(_, h)| h).collect::<Vec<_>>() });
        {
            let t = Instant::now();
            let mut sub = shared.submitted.lock().unwrap_or_else(|p| p.into_inner());
            for (id, _) in chunk {
                sub.insert(*id, t);
            }
        }
        let resp: Value = http.post(format!("{url}/v1/txs/batch")).json(&body).send().await?.json().await?;
        let accepted = resp["accepted"].as_u64().unwrap_or(0);
        refused += chunk.len() as u64 - accepted;
        sent += chunk.len() as u64;
    }
    let until = Instant::now().max(measure_to);
    tokio::time::sleep(until - Instant::now()).await;
    // Let the last submitted transactions finish so latencies are complete.
    let drain_until = Instant::now() + Duration::from_secs(10);
    while shared.finalized.load(Ordering::Relaxed) + refused < sent && Instant::now() < drain_until {
        tokio::time::sleep(POLL).await;
    }
    follower.abort();

    let in_window = shared.finalized_in_window.load(Ordering::Relaxed);
    let mut lat: Vec<f64> = shared
        .latencies
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .iter()
        .filter(|(t, _)| *t >= measure_from)
        .map(|(_, l)| *l)
        .collect();
    lat.sort_by(|a, b| a.total_cmp(b));
    let pct = |p: f64| if lat.is_empty() { f64::NAN } else { lat[((lat.len() - 1) as f64 * p) as usize] };
    let total_committed = committed_total(url).await;
    Ok(LoadResult {
        finalized_per_second: in_window as f64 / args.duration as f64,
        p50_ms: pct(0.50),
        p95_ms: pct(0.95),
        p99_ms: pct(0.99),
        max_ms: lat.last().copied().unwrap_or(f64::NAN),
        samples: lat.len(),
        total_committed,
        refused,
    })
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
