use std::collections::{BTreeMap, VecDeque};
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
    /// Transactions refused at admission, by the problem type they were refused with.
    refusals: Mutex<BTreeMap<String, u64>>,
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

    /// Counts a transaction refused at admission with problem type `kind`.
    pub(crate) fn refused(&self, kind: &str) {
        let kind = kind.rsplit('/').next().unwrap_or(kind);
        *self.refusals.lock().unwrap_or_else(|p| p.into_inner()).entry(kind.to_string()).or_default() += 1;
    }

    pub(crate) fn refusals(&self) -> BTreeMap<String, u64> {
        self.refusals.lock().unwrap_or_else(|p| p.into_inner()).clone()
    }

    pub(crate) fn last_commit_latency_ms(&self) -> u64 {
        self.inner.lock().map(|i| i.last_commit_latency_ms).unwrap_or(0)
    }

    pub(crate) fn tx_per_second(&self) -> f64 {
        let i = self.inner.lock().unwrap_or_else(|p| p.into_inner());
        let total: usize = i.window.iter().map(|(_, n)| n).sum();
        total as f64 / WINDOW.as_secs_f64()
    }
}

/// A label value with `\\`, `"` and newlines escaped (the text format's rules).
fn label(v: &str) -> String {
    v.replace('\\', "\\\\").replace('"', "\\\"").replace('\n', "\\n")
}

/// `GET /metrics`: Prometheus text format.
pub async fn prometheus(State(s): State<AppState>) -> impl IntoResponse {
    let (height, _, _) = s.ledger.head();
    let facts = s.status.facts();
    let (version, commit) = s.status.build();
    let store = s.ledger.store();
    let commits = store.commit_times();
    let mut out = String::new();
    let mut family = |name: &str, kind: &str, help: &str, samples: &[(String, String)]| {
        let _ = writeln!(out, "# HELP {name} {help}\n# TYPE {name} {kind}");
        for (labels, value) in samples {
            let _ = writeln!(out, "{name}{labels} {value}");
        }
    };
    let one = |v: String| [(String::new(), v)];
    family(
        "dojang_build_info",
        "gauge",
        "The running binary: version and the commit it was built from.",
        &[(format!("{{version=\"{}\",commit=\"{}\"}}", label(&version), label(&commit)), "1".into())],
    );
    family("dojang_height", "gauge", "Height of the last finalized block.", &one(height.to_string()));
    family(
        "dojang_txs_committed_total",
        "counter",
        "Transactions finalized since this node started.",
        &one(s.ledger.committed_tx_count().to_string()),
    );
    family(
        "dojang_tx_per_second",
        "gauge",
        "Finalized transactions per second over the last 10 s.",
        &one(format!("{:.1}", s.metrics.tx_per_second())),
    );
    family(
        "dojang_mempool_size",
        "gauge",
        "Transactions admitted and waiting for a block.",
        &one(s.ledger.mempool_len().to_string()),
    );
    family(
        "dojang_mempool_capacity",
        "gauge",
        "Most transactions the mempool holds.",
        &one(s.ledger.mempool_capacity().to_string()),
    );
    let refusals: Vec<(String, String)> = s
        .metrics
        .refusals()
        .into_iter()
        .map(|(k, n)| (format!("{{reason=\"{}\"}}", label(&k)), n.to_string()))
        .collect();
    family(
        "dojang_tx_refused_total",
        "counter",
        "Transactions refused at admission, by reason (the problem type).",
        &refusals,
    );
    family(
        "dojang_commit_latency_seconds",
        "gauge",
        "From the last block's proposal time to its commit on this node.",
        &one(format!("{:.3}", s.metrics.last_commit_latency_ms() as f64 / 1000.0)),
    );
    family(
        "dojang_validators",
        "gauge",
        "Validators in the set deciding the next height.",
        &one(s.ledger.validators().len().to_string()),
    );
    family(
        "dojang_peers_connected",
        "gauge",
        "Consensus peers this node is connected to.",
        &one(facts.peers.len().to_string()),
    );
    family(
        "dojang_consensus_rounds_started_total",
        "counter",
        "Consensus rounds started; divided by heights decided, rounds per height.",
        &one(facts.rounds_started.to_string()),
    );
    family(
        "dojang_consensus_round_changes_total",
        "counter",
        "Rounds that followed a round ended without a decision (a proposer timed out, or the round failed).",
        &one(facts.round_changes.to_string()),
    );
    family(
        "dojang_consensus_heights_decided_total",
        "counter",
        "Heights this node saw decided since it started.",
        &one(facts.heights_decided.to_string()),
    );
    family(
        "dojang_consensus_last_decided_round",
        "gauge",
        "The round at which the last height was decided (0 is the normal case).",
        &one(facts.last_decided_round.to_string()),
    );
    // The current set only (a validator removed by governance drops out), 0 for one not seen.
    let votes: Vec<(String, String)> = s
        .ledger
        .validators()
        .iter()
        .map(|v| {
            let address = v.address.to_string();
            let h = facts.last_votes.get(&address).copied().unwrap_or(0);
            (format!("{{validator=\"{}\"}}", label(&address)), h.to_string())
        })
        .collect();
    family(
        "dojang_validator_last_vote_height",
        "gauge",
        "The highest height at which the validator was heard voting, its signature checked (0: not heard since start).",
        &votes,
    );
    let target = s.status.catch_up_target();
    family(
        "dojang_catching_up",
        "gauge",
        "1 while the node fetches finalized blocks from peers before joining consensus.",
        &one(u8::from(s.status.catching_up()).to_string()),
    );
    family(
        "dojang_catch_up_remaining_blocks",
        "gauge",
        "Blocks still to fetch while catching up (0 otherwise).",
        &one(target.saturating_sub(height).to_string()),
    );
    family(
        "dojang_store_bytes",
        "gauge",
        "Disk the store takes: its database file and its state trie.",
        &one(store.file_bytes().to_string()),
    );
    if let Some(occupancy) = store.state_table_occupancy() {
        family(
            "dojang_state_table_occupancy",
            "gauge",
            "How full the state trie's hash table is (0 to 1); grow it before 0.8 (docs/operations.md).",
            &one(format!("{occupancy:.4}")),
        );
    }
    family(
        "dojang_store_commit_seconds",
        "summary",
        "Time the store waited on the disk: kept certificates, state trie commits, durable block commits and flushes.",
        &[
            ("_sum".into(), format!("{:.6}", commits.total_us as f64 / 1e6)),
            ("_count".into(), commits.count.to_string()),
        ],
    );
    family(
        "dojang_store_commit_last_seconds",
        "gauge",
        "The last block commit's wait on the disk.",
        &one(format!("{:.6}", commits.last_us as f64 / 1e6)),
    );
    family(
        "dojang_store_commit_max_seconds",
        "gauge",
        "The longest block commit wait on the disk since start.",
        &one(format!("{:.6}", commits.max_us as f64 / 1e6)),
    );
    family(
        "dojang_log_warnings_total",
        "counter",
        "WARN lines logged since start.",
        &one(facts.warnings_total.to_string()),
    );
    family(
        "dojang_log_errors_total",
        "counter",
        "ERROR lines logged since start: each one needs an operator.",
        &one(facts.errors_total.to_string()),
    );
    if let Some(relay) = &s.relay {
        family("dojang_relay_dropped_total", "counter", "Transactions not relayed to a peer, counted once per peer: its queue was full, or the peer was not answering.", &one(relay.dropped.load(std::sync::atomic::Ordering::Relaxed).to_string()));
        family(
            "dojang_relay_failed_posts_total",
            "counter",
            "Relay batches a peer refused or could not be reached for.",
            &one(relay.failed_posts.load(std::sync::atomic::Ordering::Relaxed).to_string()),
        );
    }
    ([(header::CONTENT_TYPE, "text/plain; version=0.0.4")], out)
}
