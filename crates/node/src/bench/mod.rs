//! `dojang bench`: drives a node with pre-signed transactions from many accounts and prints
//! finalized throughput, submit-to-final latency, the node's memory and disk use, beside the
//! machine's own Ed25519 verification rate measured in the same run. Services add their own
//! benchmarks as subcommands (`dojang bench eligibility`).

mod catchup;
mod load;
mod register;
mod state;

use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::Context;
use clap::Args;
use dojang_service::machine;
use dojang_service::node::{dir_bytes, rss_mb, start_node, StartedNode, WorkDir};
use serde_json::json;

use crate::config::Home;

#[derive(Args, Clone)]
#[command(args_conflicts_with_subcommands = true)]
pub struct BenchArgs {
    /// API URL of a running node; without it, a fresh one-validator node is started.
    #[arg(long)]
    pub node: Option<String>,
    /// PID of the running node given with --node, to report its memory.
    #[arg(long)]
    pub pid: Option<u32>,
    /// Seconds of measured load.
    #[arg(long, default_value_t = 60, value_parser = clap::value_parser!(u64).range(1..))]
    pub duration: u64,
    /// Seconds of load before measuring starts.
    #[arg(long, default_value_t = 5)]
    pub warmup: u64,
    /// Offered transactions per second; 0 sends as fast as the node finalizes.
    #[arg(long, default_value_t = 0)]
    pub rate: u64,
    /// Transactions to pre-sign when --rate is 0 (per second of the run).
    #[arg(long, default_value_t = 40_000)]
    pub presign_per_second: u64,
    /// Number of sending accounts.
    #[arg(long, default_value_t = 5_000)]
    pub accounts: u64,
    /// Transactions per HTTP batch.
    #[arg(long, default_value_t = 2_000)]
    pub batch: usize,
    /// Most transactions in flight (submitted, not yet final) when --rate is 0.
    #[arg(long, default_value_t = 60_000)]
    pub window: u64,
    /// Keep the started node's home here instead of a temporary directory.
    #[arg(long)]
    pub home: Option<PathBuf>,
    /// Key file of a council of one that registers the bench accounts (grants them a role)
    /// [default: the started node's keys/admin.json; with --node, accounts not registered
    /// already are refused].
    #[arg(long)]
    pub council_key: Option<PathBuf>,
    #[command(subcommand)]
    pub what: Option<NodeBench>,
}

/// The node's own benchmarks besides the ledger's; services add theirs beside these.
#[derive(clap::Subcommand, Clone)]
pub enum NodeBench {
    /// The state engines (jmt over redb, NOMT) side by side on one workload: updates/s with
    /// durable commits, commit latency, bytes written per update, disk, proofs.
    State(state::StateArgs),
    /// A new node catching up a chain of full blocks from a peer, beside the rate the same
    /// blocks were finalized at live.
    Catchup(catchup::CatchupArgs),
}

pub async fn run(args: BenchArgs) -> anyhow::Result<()> {
    match args.what {
        Some(NodeBench::State(state)) => return tokio::task::spawn_blocking(move || state::run(&state)).await?,
        Some(NodeBench::Catchup(c)) => return catchup::run(&c).await,
        None => {}
    }
    let machine = machine::measure();
    eprintln!(
        "machine: {} cores, Ed25519 {:.0} verifications/s one by one on one core, {:.0}/s batched on all cores",
        machine.cores, machine.ed25519_single_per_core, machine.ed25519_batched_all_cores
    );
    let temp = WorkDir::new(args.home.as_deref(), "dojang-bench");
    let started = match &args.node {
        Some(_) => None,
        None => Some(start_bench_node(temp.path()).await?),
    };
    let url = args.node.clone().or_else(|| started.as_ref().map(|s| s.url.clone())).context("no node")?;
    let pid = args.pid.or_else(|| started.as_ref().map(|s| s.pid));
    let council_key =
        args.council_key.clone().or_else(|| started.as_ref().map(|_| temp.path().join("keys/admin.json")));
    if let Some(file) = council_key {
        let client = dojang_sdk::Client::new(&url);
        let chain_id = client.status().await?["chain_id"].as_str().context("status has no chain_id")?.to_string();
        let key = dojang_crypto::KeyFile::load(&file).with_context(|| format!("council key {}", file.display()))?;
        let accounts: Vec<_> = (0..args.accounts).map(|i| load::account_key(i).public_key().address()).collect();
        register::register(&client, &chain_id, key, &accounts).await?;
    }

    let result = load::drive(&url, &args).await;
    let rss_mb = pid.and_then(rss_mb);
    let disk = started.as_ref().map(|s| dir_bytes(&s.data_dir()));
    if let Some(s) = started {
        s.stop().await;
    }
    let r = result?;
    let bytes_per_tx = disk.map(|d| d as f64 / r.total_committed.max(1) as f64);
    let ratio = r.finalized_per_second / machine.ed25519_batched_all_cores;

    println!(
        "finalized tx/s        {:>10.0}  (over {} s after {} s warm-up, offered {})",
        r.finalized_per_second,
        args.duration,
        args.warmup,
        if args.rate == 0 { "as fast as finalized".to_string() } else { format!("{} tx/s", args.rate) }
    );
    println!(
        "submit->final latency p50 {:.0} ms, p95 {:.0} ms, p99 {:.0} ms, max {:.0} ms  ({} samples)",
        r.p50_ms, r.p95_ms, r.p99_ms, r.max_ms, r.samples
    );
    println!(
        "failed receipts/s     {:>10.0}  (finalized but refused by their module; not counted above)",
        r.failed_per_second
    );
    if r.late_batches > 0 {
        println!(
            "late batches          {:>10}  (the sender fell behind the rate by more than a batch)",
            r.late_batches
        );
    }
    println!(
        "transactions committed {:>9}  of the load: refused at admission {}, not final at the end {}",
        r.total_committed, r.refused, r.not_final
    );
    // Minute by minute for runs of two whole minutes or more.
    let sustained =
        (args.duration >= 120).then(|| load::sustained_share(&r.per_minute, r.finalized_per_second)).flatten();
    if args.duration >= 120 {
        let minutes: Vec<String> = r.per_minute.iter().map(|m| format!("{m:.0}")).collect();
        println!("finalized tx/s by minute {}", minutes.join(", "));
    }
    if let Some(share) = sustained {
        println!(
            "sustained             {share:>10.2}  (the run's average over its first minute's; issue 20 asks >= 0.90)"
        );
    }
    if let Some(m) = rss_mb {
        println!("node RSS              {m:>10.0} MB");
    }
    if let Some(b) = bytes_per_tx {
        println!("disk per transaction  {b:>10.0} bytes (whole node data directory / transactions committed)");
    }
    println!(
        "Ed25519 on this machine: {:.0}/s batched on {} cores; finalized tx/s is {:.2} of that",
        machine.ed25519_batched_all_cores, machine.cores, ratio
    );
    println!(
        "{}",
        json!({
            "bench": "ledger",
            "finalized_tx_per_s": r.finalized_per_second,
            "failed_tx_per_s": r.failed_per_second,
            "late_batches": r.late_batches,
            "latency_ms": {"p50": r.p50_ms, "p95": r.p95_ms, "p99": r.p99_ms, "max": r.max_ms},
            "offered_tx_per_s": args.rate,
            "committed": r.total_committed,
            "refused": r.refused,
            "not_final": r.not_final,
            "finalized_tx_per_s_by_minute": r.per_minute,
            "sustained_share": sustained,
            "rss_mb": rss_mb,
            "disk_bytes_per_tx": bytes_per_tx,
            "ed25519_single_per_core": machine.ed25519_single_per_core,
            "ed25519_batched_all_cores": machine.ed25519_batched_all_cores,
            "ratio_to_ed25519": ratio,
            "cores": machine.cores,
        })
    );
    drop(temp);
    Ok(())
}

/// Starts a one-validator chain without the demo agencies in `home` (the bench registers its
/// own accounts with the admin's key).
async fn start_bench_node(home: &Path) -> anyhow::Result<StartedNode> {
    let h = Home(home.to_path_buf());
    if !h.config().exists() {
        crate::init::init_home(&h, "dojang-bench", "bench-node", false, dojang_crypto::KeyProtection::ClearDemo)?;
    }
    start_node(home).await
}

pub(crate) const POLL: Duration = Duration::from_millis(10);
