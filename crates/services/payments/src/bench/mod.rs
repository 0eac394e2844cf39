//! `dojang bench payments`: payment lines settled and reconciled per second on one validator
//! (issue 18's target: at least 5,000/s), in one run on a fresh chain; then the statutory
//! engine's tick over 100,000 open subcontracts ([`engine`]).
//!
//! Set up, not measured: the council appoints two officers and the bank and gives the prime,
//! the officers and the bank an agency's quota; the prime registers 1,000 contracts; progress
//! payments of 64 lines each (one line per contract) are submitted and approved, so every
//! line is instructed. Measured: the bank's statements (one transaction per instruction,
//! answering its 64 lines) sent flat out until every one is final, then the city's
//! reconciliation of every instruction read back from the chain. Printed beside the
//! machine's batched Ed25519 rate measured in the same run. Lines for people first; one JSON
//! line at the end holds every figure.

mod engine;

use std::time::{Duration, Instant};

use anyhow::{bail, Context};
use clap::Args;
use dojang_crypto::Keypair;
use dojang_governance::GovernanceMsg;
use dojang_governance_service::dev_chain::activate;
use dojang_payments::msg::{Answer, ContractKind, Method, Outcome, Part, PartKind, PaymentsMsg};
use dojang_payments::views::ReconciliationQuery;
use dojang_sdk::{Client, TxBuilder};
use dojang_service::machine::{self, Machine};
use dojang_service::node::{start_node, WorkDir};
use dojang_types::{Date, Hash};
use serde_json::{json, Value};

const PROJECT: &str = "bench";
const CONTRACTS: usize = 1_000;
const LINES_PER_PAYMENT: usize = 64;
const BATCH: usize = 200;
const WINDOW: u64 = 900;
const DRAIN: Duration = Duration::from_secs(300);

#[derive(Args, Clone, Debug)]
pub struct PaymentsBenchArgs {
    /// Payment lines settled, in instructions of 64 lines.
    #[arg(long, default_value_t = 64_000)]
    pub lines: u64,
    /// Open subcontracts the statutory engine carries while its ticks are measured.
    #[arg(long, default_value_t = 100_000)]
    pub open_subcontracts: usize,
}

pub async fn run(args: PaymentsBenchArgs) -> anyhow::Result<()> {
    if args.lines < LINES_PER_PAYMENT as u64 || args.lines > 1_000_000 {
        bail!("give 64 to 1,000,000 lines");
    }
    if !(1_000..=1_000_000).contains(&args.open_subcontracts) {
        bail!("give 1,000 to 1,000,000 open subcontracts");
    }
    let machine = tokio::task::spawn_blocking(machine::measure).await?;
    let work = WorkDir::new(None, "dojang-payments-bench");
    let node = start_node(&work.path().join("node")).await?;
    let result = measure(&node.url, &node.home, &args, &machine).await;
    node.stop().await;
    let mut result = result?;
    let dir = work.path().join("engine");
    std::fs::create_dir_all(&dir)?;
    let open = args.open_subcontracts;
    let mut figures = tokio::task::spawn_blocking(move || engine::measure(open, &dir)).await??;
    // The machine's own limit in the same run, as every benchmark prints it.
    if let Some(per_s) = figures["deadlines_per_s"].as_f64() {
        let ratio = per_s / machine.ed25519_batched_all_cores;
        println!("  deadlines/s is {ratio:.3} of this machine's batched Ed25519 rate measured above");
        figures["deadlines_per_s_vs_ed25519"] = json!(ratio);
    }
    result["statutory_engine"] = figures;
    println!("{result}");
    Ok(())
}

fn key() -> Keypair {
    Keypair::generate(dojang_crypto::Algorithm::Ed25519)
}

fn signed(by: &TxBuilder, msgs: impl IntoIterator<Item = PaymentsMsg>) -> Vec<(Hash, String)> {
    msgs.into_iter()
        .map(|m| {
            let tx = by.message(&m);
            (tx.id(), hex::encode(dojang_types::encode(&tx)))
        })
        .collect()
}

async fn all_final(url: &str, what: &str, txs: &[(Hash, String)]) -> anyhow::Result<dojang_sdk::load::Sent> {
    let sent =
        dojang_sdk::load::send_all(url, txs, BATCH, WINDOW, DRAIN).await.with_context(|| format!("sending {what}"))?;
    if sent.ok != txs.len() as u64 {
        bail!(
            "{what}: {} of {} final ok ({} refused in a block, {} at admission, {} not final)",
            sent.ok,
            txs.len(),
            sent.refused_in_block,
            sent.refused_at_admission,
            sent.not_final
        );
    }
    Ok(sent)
}

async fn measure(
    url: &str,
    home: &std::path::Path,
    args: &PaymentsBenchArgs,
    machine: &Machine,
) -> anyhow::Result<Value> {
    let client = Client::new(url);
    let chain_id =
        client.status().await?["chain_id"].as_str().context("the node's status has no chain id")?.to_string();
    let council =
        TxBuilder::new(&chain_id, dojang_service::node::demo_key(home, "admin").context("the council's key")?);
    let today = Date::from_unix_ms_kst(dojang_types::wall_clock_ms());
    let (prime, bank) = (TxBuilder::new(&chain_id, key()), TxBuilder::new(&chain_id, key()));
    let officers = [TxBuilder::new(&chain_id, key()), TxBuilder::new(&chain_id, key())];
    let address = |b: &TxBuilder| b.key.public_key().address();

    eprintln!("the council appoints the officers and the bank (not measured)...");
    activate(&client, &council, &[dojang_payments::NAME]).await?;
    let expires = dojang_types::wall_clock_ms() + 600_000;
    let mut proposals: Vec<PaymentsMsg> = officers
        .iter()
        .map(|o| PaymentsMsg::AppointOfficer { account: address(o), department: "Infrastructure Headquarters".into() })
        .collect();
    proposals.push(PaymentsMsg::AppointBank { account: address(&bank), name: "Partner bank".into() });
    let mut txs: Vec<_> = proposals
        .iter()
        .map(|m| council.message(&GovernanceMsg::propose(m, "the benchmark's offices", expires)))
        .collect();
    for b in [&prime, &bank, &officers[0], &officers[1]] {
        let grant = GovernanceMsg::GrantRole { account: address(b), role: dojang_governance::Role::Auditor };
        txs.push(council.message(&GovernanceMsg::propose(&grant, "an agency's quota", expires)));
    }
    let txs: Vec<(Hash, String)> = txs.iter().map(|t| (t.id(), hex::encode(dojang_types::encode(t)))).collect();
    all_final(url, "the council's proposals", &txs).await?;

    let payments = args.lines.div_ceil(LINES_PER_PAYMENT as u64) as u32;
    let lines = u64::from(payments) * LINES_PER_PAYMENT as u64;
    eprintln!("registering {CONTRACTS} contracts and instructing {payments} progress payments of {LINES_PER_PAYMENT} lines (not measured)...");
    let project = PaymentsMsg::RegisterProject {
        id: PROJECT.into(),
        name: "Benchmark works".into(),
        prime: address(&prime),
        amount_krw: 9_000_000_000_000,
        signed: today,
    };
    all_final(url, "the project", &signed(&officers[0], [project])).await?;
    let contracts = (0..CONTRACTS).map(|i| PaymentsMsg::RegisterContract {
        project: PROJECT.into(),
        id: format!("c-{i}"),
        parent: None,
        contractor: address(&TxBuilder::new(&chain_id, key())),
        kind: ContractKind::Subcontract,
        amount_krw: 5_000_000_000,
        signed: today,
        agreed_days: 30,
    });
    all_final(url, "the contracts", &signed(&prime, contracts)).await?;
    let submits = (1..=payments).map(|number| PaymentsMsg::SubmitProgress {
        project: PROJECT.into(),
        number,
        approved_krw: LINES_PER_PAYMENT as u64 * 1_000_000,
        received: today,
        parts: (0..LINES_PER_PAYMENT)
            .map(|j| Part {
                contract: Some(format!("c-{}", (number as usize * LINES_PER_PAYMENT + j) % CONTRACTS)),
                kind: PartKind::Subcontract,
                krw: 1_000_000,
                method: Method::Transfer,
                workers: vec![],
                lines: None,
                worker_days: None,
            })
            .collect(),
    });
    all_final(url, "the progress payments", &signed(&prime, submits)).await?;
    for o in &officers {
        let approvals = (1..=payments).map(|number| PaymentsMsg::Approve { project: PROJECT.into(), number });
        all_final(url, "the approvals", &signed(o, approvals)).await?;
    }

    eprintln!("the bank's statements on {lines} lines, flat out (measured)...");
    let statements = signed(
        &bank,
        (1..=payments).map(|number| PaymentsMsg::Report {
            project: PROJECT.into(),
            number,
            answers: (0..LINES_PER_PAYMENT as u32)
                .map(|line| Answer { line, attempt: 1, outcome: Outcome::Confirmed { value_date: today } })
                .collect(),
        }),
    );
    let settled = all_final(url, "the bank's statements", &statements).await?;
    let reconcile_start = Instant::now();
    let mut confirmed = 0u64;
    for number in 1..=payments {
        let r = client.ask(&ReconciliationQuery { project: PROJECT.into(), number }).await?;
        confirmed += u64::from(r.confirmed);
    }
    let reconcile_s = reconcile_start.elapsed().as_secs_f64();
    if confirmed != lines {
        bail!("reconciliation found {confirmed} of {lines} lines confirmed");
    }
    let settled_per_s = lines as f64 / settled.seconds;
    let both_per_s = lines as f64 / (settled.seconds + reconcile_s);
    println!(
        "payment lines settled/s {settled_per_s:>8.0}  ({lines} lines in {payments} statements, final in {:.2} s)",
        settled.seconds
    );
    println!(
        "settled and reconciled/s {both_per_s:>7.0}  (reconciling every instruction from the chain took {reconcile_s:.2} s; target >= 5,000/s)"
    );
    println!(
        "  this machine verifies {:.0} Ed25519 signatures/s (batched, {} cores); statements/s is {:.3} of that",
        machine.ed25519_batched_all_cores,
        machine.cores,
        f64::from(payments) / settled.seconds / machine.ed25519_batched_all_cores
    );
    Ok(json!({
        "bench": "payments",
        "lines": lines,
        "statements": payments,
        "lines_per_statement": LINES_PER_PAYMENT,
        "contracts": CONTRACTS,
        "settle_seconds": settled.seconds,
        "reconcile_seconds": reconcile_s,
        "lines_settled_per_s": settled_per_s,
        "lines_settled_and_reconciled_per_s": both_per_s,
        "statements_per_s": f64::from(payments) / settled.seconds,
        "ed25519_batched_all_cores": machine.ed25519_batched_all_cores,
        "cores": machine.cores,
    }))
}
