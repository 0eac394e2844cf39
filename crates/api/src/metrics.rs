use std::collections::VecDeque;
use std::fmt::Write as _;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::extract::State;
use axum::http::header;
use axum::response::IntoResponse;
use dojang_ledger::Ledger;
use dojang_types::wall_clock_ms as now_ms;

use crate::AppState;

/// Figures derived from the stream of finalized blocks.
#[derive(Default)]
pub struct Metrics {
    inner: Mutex<Inner>,
}

#[derive(Default)]
struct Inner {
    /// (when seen, transactions) for the last 10 seconds.
    window: VecDeque<(Instant, usize)>,
    last_commit_latency_ms: u64,
    last_block_at: Option<Instant>,
}

const WINDOW: Duration = Duration::from_secs(10);

impl Metrics {
    /// Starts following the ledger's finalized blocks.
    pub fn start(ledger: &Arc<Ledger>) -> Arc<Self> {
        let m = Arc::new(Metrics::default());
        let mut rx = ledger.subscribe();
        let weak = Arc::downgrade(&m);
        if let Ok(handle) = tokio::runtime::Handle::try_current() {
            handle.spawn(async move {
                loop {
                    let c = match rx.recv().await {
                        Ok(c) => c,
                        Err(tokio::sync::broadcast::error::RecvError::Lagged(_)) => continue,
                        Err(_) => break,
                    };
                    let Some(m) = weak.upgrade() else { break };
                    let mut i = m.inner.lock().unwrap_or_else(|p| p.into_inner());
                    let now = Instant::now();
                    i.window.push_back((now, c.block.txs.len()));
                    while i.window.front().is_some_and(|(t, _)| now.duration_since(*t) > WINDOW) {
                        i.window.pop_front();
                    }
                    i.last_commit_latency_ms = now_ms().saturating_sub(c.block.header.time_ms);
                    i.last_block_at = Some(now);
                }
            });
        }
        m
    }

    fn tx_per_second(&self) -> f64 {
        let i = self.inner.lock().unwrap_or_else(|p| p.into_inner());
        let total: usize = i.window.iter().map(|(_, n)| n).sum();
        total as f64 / WINDOW.as_secs_f64()
    }
}

/// `GET /metrics`: Prometheus text format.
pub async fn prometheus(State(s): State<AppState>) -> impl IntoResponse {
    let (height, _, _) = s.ledger.head();
    let latency = s.metrics.inner.lock().map(|i| i.last_commit_latency_ms).unwrap_or(0);
    let mut out = String::new();
    let mut metric = |name: &str, kind: &str, help: &str, value: String| {
        let _ = writeln!(out, "# HELP {name} {help}\n# TYPE {name} {kind}\n{name} {value}");
    };
    metric("dojang_height", "gauge", "Height of the last finalized block.", height.to_string());
    metric(
        "dojang_txs_committed_total",
        "counter",
        "Transactions finalized since this node started.",
        s.ledger.committed_tx_count().to_string(),
    );
    metric(
        "dojang_tx_per_second",
        "gauge",
        "Finalized transactions per second over the last 10 s.",
        format!("{:.1}", s.metrics.tx_per_second()),
    );
    metric(
        "dojang_mempool_size",
        "gauge",
        "Transactions admitted and waiting for a block.",
        s.ledger.mempool_len().to_string(),
    );
    metric(
        "dojang_commit_latency_seconds",
        "gauge",
        "From the last block's proposal time to its commit on this node.",
        format!("{:.3}", latency as f64 / 1000.0),
    );
    metric(
        "dojang_validators",
        "gauge",
        "Validators in the set deciding the next height.",
        s.ledger.validators().len().to_string(),
    );
    if let Some(relay) = &s.relay {
        metric(
            "dojang_relay_dropped_total",
            "counter",
            "Transactions not relayed to a peer, counted once per peer: its queue was full, or the peer was not answering.",
            relay.dropped.load(std::sync::atomic::Ordering::Relaxed).to_string(),
        );
        metric(
            "dojang_relay_failed_posts_total",
            "counter",
            "Relay batches a peer refused or could not be reached for.",
            relay.failed_posts.load(std::sync::atomic::Ordering::Relaxed).to_string(),
        );
    }
    ([(header::CONTENT_TYPE, "text/plain; version=0.0.4")], out)
}
