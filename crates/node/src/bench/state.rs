//! `dojang bench state`: the state engines side by side on one workload, in one run (issue 20,
//! decision 0027). For each state size asked, each engine loads that many keys, applies blocks
//! of writes (new keys and overwrites of keys drawn from the whole state), each made durable,
//! then proves keys drawn from the whole state and checks every proof as a client would.

use anyhow::Context;
use clap::Args;
use dojang_service::machine;
use dojang_service::node::WorkDir;
use dojang_state_engines::{measure, Engine, JmtRedb, NomtTrie, Report, Workload};
use serde_json::json;

#[derive(Args, Clone, Debug)]
pub struct StateArgs {
    /// State sizes to measure at, in keys (comma-separated).
    #[arg(long, value_delimiter = ',', default_value = "1000000")]
    pub keys: Vec<u64>,
    /// Engines to measure: jmt (jmt over redb, the node's store) and nomt.
    #[arg(long, value_delimiter = ',', default_value = "jmt,nomt")]
    pub engines: Vec<EngineName>,
    /// Measured blocks per engine and size.
    #[arg(long, default_value_t = 100)]
    pub blocks: u64,
    /// Writes per block.
    #[arg(long, default_value_t = 8_000)]
    pub per_block: usize,
    /// Share of a block's writes that create new keys, in percent; the rest overwrite.
    #[arg(long, default_value_t = 50, value_parser = clap::value_parser!(u8).range(0..=100))]
    pub insert_percent: u8,
    /// Keys per version while loading the state.
    #[arg(long, default_value_t = 100_000)]
    pub load_batch: usize,
    /// Bytes per value.
    #[arg(long, default_value_t = 64)]
    pub value_bytes: usize,
    /// Proofs made and checked per engine and size.
    #[arg(long, default_value_t = 2_000)]
    pub proofs: usize,
    /// Memory NOMT may use for cached trie pages and value leaves, in MiB.
    #[arg(long, default_value_t = 128)]
    pub nomt_cache_mb: usize,
    /// Put the engines' data here instead of a temporary directory (on another disk, say);
    /// each engine's directory must not exist yet, and is removed once it is measured.
    #[arg(long)]
    pub dir: Option<std::path::PathBuf>,
}

#[derive(clap::ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum EngineName {
    Jmt,
    Nomt,
}

/// The seed of every run's workload, so that runs on different days compare.
const SEED: u64 = 0x646f_6a61_6e67;

pub fn run(args: &StateArgs) -> anyhow::Result<()> {
    let workloads: Vec<Workload> = args
        .keys
        .iter()
        .map(|&keys| Workload {
            keys,
            blocks: args.blocks,
            per_block: args.per_block,
            insert_percent: args.insert_percent,
            load_batch: args.load_batch,
            value_bytes: args.value_bytes,
            seed: SEED,
        })
        .collect();
    for w in &workloads {
        w.check().map_err(|why| anyhow::anyhow!("--keys {}: {why}", w.keys))?;
    }
    let machine = machine::measure();
    let threads = machine.cores;
    eprintln!(
        "machine: {} cores, Ed25519 {:.0}/s batched on all cores (the same-run limit beside which figures compare)",
        machine.cores, machine.ed25519_batched_all_cores
    );
    let work = WorkDir::new(args.dir.as_deref(), "dojang-bench-state");
    let mut reports: Vec<Report> = Vec::new();
    for w in &workloads {
        let keys = w.keys;
        for &name in &args.engines {
            let dir = work.path().join(format!("{keys}-{name:?}").to_lowercase());
            // A directory left by a killed run would be reopened with its old data and sizing.
            anyhow::ensure!(!dir.exists(), "{} exists (left by an earlier run?): remove it first", dir.display());
            std::fs::create_dir_all(&dir).with_context(|| format!("creating {}", dir.display()))?;
            let final_keys = w.final_keys().unwrap_or(u64::MAX);
            let mut engine: Box<dyn Engine> = match name {
                EngineName::Jmt => Box::new(JmtRedb::create(&dir.join("state.redb"))?),
                EngineName::Nomt => Box::new(NomtTrie::create(&dir, final_keys, threads, args.nomt_cache_mb)?),
            };
            eprintln!(
                "{}: loading {keys} keys, then {} blocks of {} writes...",
                engine.name(),
                args.blocks,
                args.per_block
            );
            let report = measure(engine.as_mut(), w, args.proofs, &mut |line| eprintln!("{line}"))?;
            print_human(&report);
            reports.push(report);
            drop(engine);
            let _ = std::fs::remove_dir_all(&dir);
        }
    }
    println!(
        "{}",
        json!({
            "bench": "state",
            "workload": {
                "blocks": args.blocks, "per_block": args.per_block, "insert_percent": args.insert_percent,
                "value_bytes": args.value_bytes, "load_batch": args.load_batch, "proofs": args.proofs,
                "seed": SEED, "nomt_cache_mb": args.nomt_cache_mb,
            },
            "engines": reports,
            "ed25519_single_per_core": machine.ed25519_single_per_core,
            "ed25519_batched_all_cores": machine.ed25519_batched_all_cores,
            "cores": machine.cores,
        })
    );
    Ok(())
}

fn print_human(r: &Report) {
    let mb = |b: u64| b as f64 / 1_048_576.0;
    println!(
        "== {} at {} keys (loaded in {:.1} s; {} keys after)",
        r.engine, r.keys_before, r.load_seconds, r.keys_after
    );
    println!(
        "  updates/s, root and durable commit  {:>10.0}  ({} updates in {} blocks)",
        r.updates_per_second, r.updates, r.blocks
    );
    println!(
        "  block ms  p50 {:.1}  p99 {:.1}  max {:.1}   (root p50 {:.1} p99 {:.1}; commit p50 {:.1} p99 {:.1})",
        r.block_ms_p50, r.block_ms_p99, r.block_ms_max, r.root_ms_p50, r.root_ms_p99, r.commit_ms_p50, r.commit_ms_p99
    );
    match r.written_bytes_per_update {
        Some(b) => println!("  written per update  {b:>9.0} bytes"),
        None => println!("  written per update  (the kernel does not count this process's writes)"),
    }
    println!("  disk  {:.0} MB, {:.0} bytes per key", mb(r.disk_bytes), r.disk_bytes_per_key);
    println!(
        "  proofs/s (made and checked)  {:>8.0}, {:.0} bytes each on average",
        r.proofs_per_second, r.proof_bytes_mean
    );
    if let (Some(start), Some(peak)) = (r.rss_at_start_bytes, r.peak_rss_bytes) {
        println!(
            "  RSS  {:.0} MB at the first measured block (after loading), peak {:.0} MB over the blocks and proofs",
            mb(start),
            mb(peak)
        );
    }
    if let (Some(anon), Some(file)) = (r.rss_anon_bytes_end, r.rss_file_bytes_end) {
        println!("  RSS at the end  {:.0} MB the process's own, {:.0} MB of mapped files", mb(anon), mb(file));
    }
    if let Some(o) = r.occupancy {
        println!("  fixed-size table {:.0} % full", o * 100.0);
    }
}
