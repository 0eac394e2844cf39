//! `dojang bench mileage`: the figures issue 17 names, in one run on a fresh one-validator
//! chain.
//! - Merchant payments finalized per second (target at least 10,000/s): citizens pay 100
//!   merchants by their payment requests, each payment taking lots first in first out and
//!   checked against the programme's books. Printed beside the plain anchor-transaction rate
//!   measured in the same run on the same chain, and the ratio (target at least 0.6).
//! - Time from submission to finality at 3,000 payments/s offered (target p99 at most
//!   500 ms), sent open loop: each latency runs from when its batch was due.
//!
//! Setting up (the council's registries, the citizens' accounts, their awards, the merchants)
//! is not measured. Lines for people first; one JSON line at the end holds every figure.

use std::time::Duration;

use anyhow::{bail, Context};
use clap::Args;
use dojang_anchor::AnchorMsg;
use dojang_governance::GovernanceMsg;
use dojang_mileage::msg::{Award, AwardRule, Evidence, MileageMsg, SinkKind};
use dojang_sdk::{Client, TxBuilder};
use dojang_service::machine::{self, Machine};
use dojang_service::node::{start_node, WorkDir};
use dojang_types::{Date, Hash};
use serde_json::{json, Value};

use crate::setup::{address, all_accepted, key, open_city, presign, Offices, ProgrammeSpec, OFFICE_ROLE};

const BATCH: usize = 500;
const WINDOW: u64 = 20_000;
const DRAIN: Duration = Duration::from_secs(180);
const MERCHANTS: usize = 100;
const ANCHOR_ACCOUNTS: usize = 64;
/// What each payer is awarded before the load: far more than its payments.
const AWARD_UNITS: u64 = 1_000;

#[derive(Args, Clone, Debug)]
pub struct MileageBenchArgs {
    /// Merchant payments sent flat out (and as many plain anchor transactions).
    #[arg(long, default_value_t = 100_000)]
    pub payments: u64,
    /// Citizens paying; each may submit 120 transactions a minute (the citizen's quota).
    #[arg(long, default_value_t = 5_000)]
    pub payers: u64,
    /// Payments per second offered in the latency run.
    #[arg(long, default_value_t = 3_000)]
    pub rate: u64,
    /// Seconds the latency run lasts.
    #[arg(long, default_value_t = 10)]
    pub seconds: u64,
}

pub async fn run(args: MileageBenchArgs) -> anyhow::Result<()> {
    if args.payments == 0 || args.payers == 0 || args.rate == 0 || args.seconds == 0 {
        bail!("give at least one payment, payer, payment a second and second");
    }
    let per_payer = (args.payments + args.rate * args.seconds).div_ceil(args.payers);
    if per_payer > 100 {
        bail!("{per_payer} payments a payer would pass the citizen's quota of 120 a minute: add --payers");
    }
    let machine = tokio::task::spawn_blocking(machine::measure).await?;
    let work = WorkDir::new(None, "dojang-mileage-bench");
    let node = start_node(&work.path().join("node")).await?;
    let result = measure(&node.url, &node.home, &args, &machine).await;
    node.stop().await;
    println!("{}", result?);
    Ok(())
}

async fn measure(
    url: &str,
    home: &std::path::Path,
    args: &MileageBenchArgs,
    machine: &Machine,
) -> anyhow::Result<Value> {
    let client = Client::new(url);
    let chain_id =
        client.status().await?["chain_id"].as_str().context("the node's status has no chain id")?.to_string();
    let council =
        TxBuilder::new(&chain_id, dojang_service::node::demo_key(home, "admin").context("the council's key")?);
    let today = Date::from_unix_ms_kst(dojang_types::wall_clock_ms());
    let offices = Offices::new();
    let programme = ProgrammeSpec {
        id: "bench",
        name: "Benchmark mileage",
        issuer: key(),
        credential: "https://seoul.go.kr/credentials/resident",
        cap_per_year_krw: 10_000_000_000,
        lot_months: 12,
        gifts: false,
        budget_krw: 1_000_000_000_000,
        awards: vec![Award {
            evidence: "bench-units".into(),
            rule: AwardRule::PerUnit { krw_per_unit: 1_000, max_units: AWARD_UNITS },
        }],
    };
    eprintln!("the council registers the programme, a merchants sink and the offices (not measured)...");
    open_city(
        &client,
        &council,
        std::slice::from_ref(&programme),
        &[("zeropay", "ZeroPay merchants", SinkKind::Merchants)],
        &offices,
        today,
        today,
    )
    .await?;
    let registrar = TxBuilder::new(&chain_id, offices.registrar.duplicate());
    let issuer = TxBuilder::new(&chain_id, programme.issuer.duplicate());
    let finance = TxBuilder::new(&chain_id, offices.finance.duplicate());

    eprintln!(
        "opening, enrolling and awarding {} payers, registering {MERCHANTS} merchants (not measured)...",
        args.payers
    );
    let payers: Vec<TxBuilder> = (0..args.payers).map(|_| TxBuilder::new(&chain_id, key())).collect();
    let accounts: Vec<_> = payers.iter().map(|p| p.key.public_key().address()).collect();
    let opened = presign(
        &registrar,
        accounts.iter().map(|a| MileageMsg::RegisterAccount { account: *a, pseudonym: Hash(rand_bytes()) }),
    );
    all_accepted(url, "the payers' accounts", &opened).await?;
    let enrolled =
        presign(&issuer, accounts.iter().map(|a| MileageMsg::Enrol { programme: "bench".into(), account: *a }));
    all_accepted(url, "the enrolments", &enrolled).await?;
    let awarded = presign(
        &issuer,
        accounts.iter().map(|a| MileageMsg::Award {
            programme: "bench".into(),
            account: *a,
            evidence: Evidence { kind: "bench-units".into(), id: Hash(rand_bytes()), on: today, measure: AWARD_UNITS },
        }),
    );
    all_accepted(url, "the awards", &awarded).await?;
    let merchants: Vec<_> = (0..MERCHANTS).map(|_| address(&key())).collect();
    let registered = presign(
        &finance,
        merchants.iter().enumerate().map(|(i, m)| MileageMsg::RegisterMerchant {
            account: *m,
            name: format!("Bench merchant {}", i + 1),
            sink: "zeropay".into(),
        }),
    );
    all_accepted(url, "the merchants", &registered).await?;
    let anchorers: Vec<TxBuilder> = (0..ANCHOR_ACCOUNTS).map(|_| TxBuilder::new(&chain_id, key())).collect();
    let expires = dojang_types::wall_clock_ms() + 600_000;
    let grants: Vec<(Hash, String)> = anchorers
        .iter()
        .map(|a| {
            let grant = GovernanceMsg::GrantRole { account: a.key.public_key().address(), role: OFFICE_ROLE };
            let tx = council.message(&GovernanceMsg::propose(&grant, "a bench anchoring account", expires));
            (tx.id(), hex::encode(dojang_types::encode(&tx)))
        })
        .collect();
    all_accepted(url, "the anchoring accounts' roles", &grants).await?;

    eprintln!("signing {} anchors and {} payments (not measured)...", args.payments, args.payments);
    let anchors: Vec<(Hash, String)> = (0..args.payments)
        .map(|i| {
            let msg = AnchorMsg::Anchor { namespace: "bench".into(), root: Hash(rand_bytes()), leaves: 1 };
            let tx = anchorers[(i % ANCHOR_ACCOUNTS as u64) as usize].message(&msg);
            (tx.id(), hex::encode(dojang_types::encode(&tx)))
        })
        .collect();
    let payment = |i: u64| {
        let msg = MileageMsg::Pay {
            merchant: merchants[(i % MERCHANTS as u64) as usize],
            amount: 10 + i % 990,
            request: Hash(rand_bytes()),
        };
        let tx = payers[(i % args.payers) as usize].message(&msg);
        (tx.id(), hex::encode(dojang_types::encode(&tx)))
    };
    let payments: Vec<(Hash, String)> = (0..args.payments).map(payment).collect();

    eprintln!("sending the anchors flat out (measured)...");
    let a = dojang_sdk::load::send_all(url, &anchors, BATCH, WINDOW, DRAIN).await?;
    let anchors_per_s = a.ok as f64 / a.seconds;
    eprintln!("sending the payments flat out (measured)...");
    let p = dojang_sdk::load::send_all(url, &payments, BATCH, WINDOW, DRAIN).await?;
    let payments_per_s = p.ok as f64 / p.seconds;
    let ratio = payments_per_s / anchors_per_s;
    println!(
        "merchant payments finalized/s {payments_per_s:>8.0}  ({} of {} in {:.2} s; target >= 10,000/s)",
        p.ok, args.payments, p.seconds
    );
    println!(
        "  refused in a block {}, at admission {}, not final within the wait {}",
        p.refused_in_block, p.refused_at_admission, p.not_final
    );
    println!(
        "plain anchors finalized/s     {anchors_per_s:>8.0}  ({} of {} in {:.2} s); payments are {ratio:.2} of that (target >= 0.6)",
        a.ok, args.payments, a.seconds
    );
    println!(
        "  this machine verifies {:.0} Ed25519 signatures/s (batched, {} cores); payments/s is {:.3} of that",
        machine.ed25519_batched_all_cores,
        machine.cores,
        payments_per_s / machine.ed25519_batched_all_cores
    );

    let offered = args.rate * args.seconds;
    eprintln!("signing {offered} payments, then offering {}/s for {} s (measured)...", args.rate, args.seconds);
    let paced_txs: Vec<(Hash, String)> = (args.payments..args.payments + offered).map(payment).collect();
    let paced =
        dojang_sdk::load::send_paced(url, &paced_txs, args.rate as f64, Duration::from_millis(20), DRAIN).await?;
    let q = |x| paced.quantile(x).unwrap_or(f64::NAN);
    println!(
        "submit->final at {}/s offered: p50 {:.0} ms, p95 {:.0} ms, p99 {:.0} ms, max {:.0} ms  ({} final of {offered}; target p99 <= 500 ms)",
        args.rate,
        q(0.5),
        q(0.95),
        q(0.99),
        q(1.0),
        paced.sent.ok
    );
    println!(
        "  refused in a block {}, at admission {}, not final within the wait {}; latency counted from each batch's due time",
        paced.sent.refused_in_block, paced.sent.refused_at_admission, paced.sent.not_final
    );
    Ok(json!({
        "bench": "mileage",
        "payments": args.payments,
        "payers": args.payers,
        "merchants": MERCHANTS,
        "payments_finalized_ok": p.ok,
        "payments_refused_in_block": p.refused_in_block,
        "payments_refused_at_admission": p.refused_at_admission,
        "payments_not_final": p.not_final,
        "payments_seconds": p.seconds,
        "payments_finalized_per_s": payments_per_s,
        "anchors_finalized_ok": a.ok,
        "anchors_seconds": a.seconds,
        "anchors_finalized_per_s": anchors_per_s,
        "ratio_to_anchors": ratio,
        "offered_per_s": args.rate,
        "offered_seconds": args.seconds,
        "paced_final_ok": paced.sent.ok,
        "paced_refused_in_block": paced.sent.refused_in_block,
        "paced_refused_at_admission": paced.sent.refused_at_admission,
        "paced_not_final": paced.sent.not_final,
        "p50_ms": q(0.5),
        "p95_ms": q(0.95),
        "p99_ms": q(0.99),
        "max_ms": q(1.0),
        "ed25519_batched_all_cores": machine.ed25519_batched_all_cores,
        "cores": machine.cores,
    }))
}

fn rand_bytes() -> [u8; 32] {
    rand::random()
}
