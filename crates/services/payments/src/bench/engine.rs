//! The statutory engine over a city's open subcontracts (issue 18's target: a block-time tick
//! under 100 ms with 100,000 open). The ledger itself, in process, on the embedded store:
//! what a validator does each block besides the transactions (its hooks and the deadlines due)
//! and the commit of what they changed.
//!
//! Set up, not measured: the council switches payments on and appoints an officer; the
//! officer registers one project per 1,000 subcontracts, and the prime registers every
//! subcontract (KRW 20 M each, so each owes a payment guarantee within 30 days, PAY-05, a
//! deadline on chain). Measured, per tick (a block proposed and committed):
//! - idle ticks, with every subcontract open and none of their deadlines due;
//! - the worst day: the clock moves past the guarantees' day, so every subcontract's
//!   deadline is due at once. The ledger runs at most 256 a block and carries the rest, so
//!   each tick's work is bounded; every contract must come out with its guarantee missed
//!   and direct payment triggered (PAY-06), or the benchmark fails.

use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{bail, Context};
use dojang_crypto::{Algorithm, Keypair};
use dojang_governance::{Governance, GovernanceMsg};
use dojang_ledger::{
    BlockApp, Genesis, GenesisValidator, Ledger, LedgerConfig, MempoolConfig, Quota, QuotaConfig, Router,
    MAX_DEADLINES_PER_BLOCK,
};
use dojang_payments::msg::{ContractKind, PaymentsMsg};
use dojang_payments::state::{Contract, Guarantee};
use dojang_payments::views::ContractQuery;
use dojang_payments::Payments;
use dojang_sdk::TxBuilder;
use dojang_store::Store;
use dojang_types::{Address, Commit, Date, KeyedRecord, ModuleQuery, SignedTx};
use serde_json::{json, Value};

const CHAIN_ID: &str = "engine-bench";
const PER_PROJECT: usize = 1_000;
const CONTRACT_KRW: u64 = 20_000_000;
const IDLE_TICKS: usize = 30;
/// Transactions a block of the setup takes.
const SETUP_BLOCK: usize = 10_000;
const DAY_MS: u64 = 86_400_000;

/// The ledger as the benchmark drives it: one validator, blocks proposed and committed in turn.
struct Bench {
    ledger: Ledger,
    proposer: Address,
    blocks: tokio::sync::broadcast::Receiver<Arc<dojang_ledger::CommittedBlock>>,
}

/// One tick: how long it took (building and executing the block, then committing it) and how
/// many deadlines it ran.
struct Tick {
    took: Duration,
    commit: Duration,
    deadlines: usize,
}

impl Bench {
    fn open(dir: &Path, admin: &Keypair) -> anyhow::Result<Bench> {
        let validator = Keypair::generate(Algorithm::Ed25519);
        let governance = json!({
            "council": {"members": [admin.public_key().address()], "threshold": 1, "min_members": 1},
            "accounts": [{"address": admin.public_key().address(), "roles": ["admin"], "label": "city admin"}],
            "params": dojang_service::demo_params(),
        });
        let genesis = Genesis {
            chain_id: CHAIN_ID.into(),
            genesis_time_ms: dojang_types::wall_clock_ms() - DAY_MS,
            validators: vec![GenesisValidator { name: "city".into(), public_key: validator.public_key(), power: 100 }],
            modules: [("governance".to_string(), governance)].into(),
        };
        let router = Router::new().with_typed(Payments).with_typed(Governance).with_authority(Arc::new(Governance));
        let generous = Quota { per_block: SETUP_BLOCK as u32, per_minute: u32::MAX };
        let config = LedgerConfig {
            max_block_txs: SETUP_BLOCK,
            mempool: MempoolConfig { max_txs: 2 * SETUP_BLOCK, max_per_account: SETUP_BLOCK },
            quotas: QuotaConfig { default: generous, roles: Default::default() },
            ..LedgerConfig::default()
        };
        let store = Store::open(&dir.join("engine.redb"))?;
        let ledger = Ledger::open(store, router, genesis, config)?;
        let blocks = ledger.subscribe();
        Ok(Bench { ledger, proposer: validator.public_key().address(), blocks })
    }

    /// Proposes and commits the next block; what it took and the deadlines it ran.
    fn tick(&mut self) -> anyhow::Result<Tick> {
        let height = self.ledger.next_height();
        let start = Instant::now();
        let block = self.ledger.propose(height, self.proposer, Duration::from_secs(5))?;
        let committing = Instant::now();
        let commit = Commit { height, round: 0, block_hash: block.hash(), signatures: vec![] };
        self.ledger.commit(height, &block.hash(), commit)?;
        let end = Instant::now();
        let (took, commit) = (end - start, end - committing);
        let committed = self.blocks.try_recv().context("the committed block was not announced")?;
        let mut failed = committed.receipts.iter().filter(|r| r.result != dojang_types::TxStatus::Ok);
        if let Some(first) = failed.next() {
            bail!("{} transactions of block {height} failed, the first: {first:?}", failed.count() + 1);
        }
        let deadlines = committed.hook_events.iter().filter(|e| e.module == "ledger" && e.kind == "deadline").count();
        Ok(Tick { took, commit, deadlines })
    }

    /// Submits `txs` and makes blocks until every one is in.
    fn run(&mut self, txs: &[SignedTx]) -> anyhow::Result<()> {
        for chunk in txs.chunks(SETUP_BLOCK) {
            let encoded: Vec<Vec<u8>> = chunk.iter().map(dojang_types::encode).collect();
            let refs: Vec<&[u8]> = encoded.iter().map(Vec::as_slice).collect();
            for verdict in self.ledger.submit_batch(&refs) {
                verdict.context("a setup transaction was refused at admission")?;
            }
            while self.ledger.mempool_len() > 0 {
                self.tick()?;
            }
        }
        Ok(())
    }
}

/// Milliseconds at the `p`th percentile of `ticks`.
fn percentile(ticks: &[f64], p: f64) -> f64 {
    let mut sorted = ticks.to_vec();
    sorted.sort_by(f64::total_cmp);
    let i = ((sorted.len() as f64 * p).ceil() as usize).clamp(1, sorted.len().max(1)) - 1;
    sorted.get(i).copied().unwrap_or(0.0)
}

/// Measures the engine with `open` open subcontracts, in `dir`.
pub fn measure(open: usize, dir: &Path) -> anyhow::Result<Value> {
    let admin = Keypair::generate(Algorithm::Ed25519);
    let mut bench = Bench::open(dir, &admin)?;
    let builder = |k: Keypair| TxBuilder::new(CHAIN_ID, k);
    let (council, officer, prime) = (
        builder(admin.duplicate()),
        builder(Keypair::generate(Algorithm::Ed25519)),
        builder(Keypair::generate(Algorithm::Ed25519)),
    );
    let address = |b: &TxBuilder| b.key.public_key().address();
    let expires = bench.ledger.clock_ms() + 600_000;
    eprintln!("the council switches payments on and appoints an officer (not measured)...");
    let at_height = bench.ledger.next_height() + 1;
    let activate = GovernanceMsg::Activate { module: dojang_payments::NAME.into(), version: None, at_height };
    bench.run(&[council.message(&GovernanceMsg::propose(&activate, "payments", expires))])?;
    bench.tick()?;
    let appoint = PaymentsMsg::AppointOfficer { account: address(&officer), department: "Infrastructure HQ".into() };
    bench.run(&[council.message(&GovernanceMsg::propose(&appoint, "an ordering officer", expires))])?;

    let today = Date::from_unix_ms_kst(bench.ledger.clock_ms());
    let projects = open.div_ceil(PER_PROJECT);
    eprintln!("registering {projects} projects and {open} open subcontracts of {CONTRACT_KRW} won (not measured)...");
    let registrations: Vec<SignedTx> = (0..projects)
        .map(|p| {
            officer.message(&PaymentsMsg::RegisterProject {
                id: format!("works-{p}"),
                name: format!("Public works {p}"),
                prime: address(&prime),
                amount_krw: PER_PROJECT as u64 * CONTRACT_KRW,
                signed: today,
            })
        })
        .collect();
    bench.run(&registrations)?;
    let contracts: Vec<SignedTx> = (0..open)
        .map(|i| {
            prime.message(&PaymentsMsg::RegisterContract {
                project: format!("works-{}", i / PER_PROJECT),
                id: format!("sub-{i}"),
                parent: None,
                contractor: Address(rand::random()),
                kind: ContractKind::Subcontract,
                amount_krw: CONTRACT_KRW,
                signed: today,
                agreed_days: 30,
            })
        })
        .collect();
    bench.run(&contracts)?;

    eprintln!("{IDLE_TICKS} ticks with {open} subcontracts open and no deadline due (measured)...");
    let mut idle = Vec::with_capacity(IDLE_TICKS);
    for _ in 0..IDLE_TICKS {
        let t = bench.tick()?;
        if t.deadlines > 0 {
            bail!("a deadline ran before any was due");
        }
        idle.push(t.took.as_secs_f64() * 1000.0);
    }

    eprintln!("the guarantees' day passes: every subcontract's deadline due at once (measured)...");
    bench.ledger.advance_clock(32 * DAY_MS as i64);
    let mut busy = Vec::new();
    let mut busy_commit = Vec::new();
    let mut busy_execute = Vec::new();
    let mut ran = 0usize;
    let mut most_in_a_tick = 0usize;
    let drain_start = Instant::now();
    loop {
        let t = bench.tick()?;
        if t.deadlines == 0 {
            break;
        }
        ran += t.deadlines;
        most_in_a_tick = most_in_a_tick.max(t.deadlines);
        busy.push(t.took.as_secs_f64() * 1000.0);
        busy_commit.push(t.commit.as_secs_f64() * 1000.0);
        busy_execute.push(t.took.saturating_sub(t.commit).as_secs_f64() * 1000.0);
    }
    let drain_s = busy.iter().sum::<f64>() / 1000.0;
    let wall_s = drain_start.elapsed().as_secs_f64();
    if ran != open {
        bail!("{ran} deadlines ran for {open} open subcontracts");
    }
    let mut triggered = 0usize;
    for i in 0..open {
        let q = ContractQuery { project: format!("works-{}", i / PER_PROJECT), id: format!("sub-{i}") };
        let answer = bench
            .ledger
            .query(dojang_payments::NAME, &q.path(), &json!({}))
            .map_err(|e| anyhow::anyhow!("reading sub-{i}: {e}"))?;
        let c: Contract = serde_json::from_value::<KeyedRecord<Contract>>(answer)?.record;
        if matches!(c.guarantee, Guarantee::Missed { .. }) && c.direct.is_some() {
            triggered += 1;
        }
    }
    if triggered != open {
        bail!("{triggered} of {open} subcontracts have their guarantee missed and direct payment triggered");
    }

    let (idle_p50, idle_max) = (percentile(&idle, 0.5), percentile(&idle, 1.0));
    let (busy_p50, busy_p99, busy_max) = (percentile(&busy, 0.5), percentile(&busy, 0.99), percentile(&busy, 1.0));
    println!(
        "statutory engine, {open} open subcontracts: idle tick p50 {idle_p50:.1} ms, max {idle_max:.1} ms ({IDLE_TICKS} ticks)"
    );
    println!(
        "  every guarantee due at once: tick p50 {busy_p50:.1} ms, p99 {busy_p99:.1} ms, max {busy_max:.1} ms with up to {most_in_a_tick} deadlines a tick (the ledger runs at most {MAX_DEADLINES_PER_BLOCK}; target < 100 ms)"
    );
    let (commit_p50, commit_p99) = (percentile(&busy_commit, 0.5), percentile(&busy_commit, 0.99));
    let (execute_p50, execute_p99) = (percentile(&busy_execute, 0.5), percentile(&busy_execute, 0.99));
    println!(
        "  of which building and executing the block (the engine: deadlines and hooks) p50 {execute_p50:.1} ms, p99 {execute_p99:.1} ms; committing it (state tree and store) p50 {commit_p50:.1} ms, p99 {commit_p99:.1} ms"
    );
    println!(
        "  {open} deadlines ran in {} ticks ({drain_s:.1} s in the ticks that ran them, {wall_s:.1} s to the first tick with none due; {:.0} deadlines/s); every contract's guarantee missed and direct payment triggered",
        busy.len(),
        open as f64 / drain_s
    );
    Ok(json!({
        "open_subcontracts": open,
        "idle_tick_ms_p50": idle_p50,
        "idle_tick_ms_max": idle_max,
        "due_tick_ms_p50": busy_p50,
        "due_tick_ms_p99": busy_p99,
        "due_tick_ms_max": busy_max,
        "due_tick_execute_ms_p50": execute_p50,
        "due_tick_execute_ms_p99": execute_p99,
        "due_tick_commit_ms_p50": commit_p50,
        "due_tick_commit_ms_p99": commit_p99,
        "deadlines_per_tick_max": most_in_a_tick,
        "deadlines_per_tick_cap": MAX_DEADLINES_PER_BLOCK,
        "due_ticks": busy.len(),
        "deadlines_per_s": open as f64 / drain_s,
    }))
}
