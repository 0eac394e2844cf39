//! `dojang bench cars`: the figures issue 16 names, in one run on a fresh one-validator chain.
//! - Attestations finalized per second (target at least 5,000/s): registrations, repairs,
//!   mileage-programme and insurers' readings and inspections over many vehicles, from 64
//!   accredited bodies, each checked against its vehicle's history as it joins it. Printed
//!   beside this machine's batched Ed25519 rate, measured in the same run, and the ratio.
//! - Verified history lookups per second for a 40-record VIN (target at least 2,000/s): the
//!   summary read with its proof against the validators pinned from the genesis file, the
//!   records checked against its history hash, as a listing site or a buyer's phone does.
//!
//! Each part prints lines for people; one JSON line at the end holds them all.

use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{bail, Context};
use clap::Args;
use dojang_cars::{CarsMsg, Party};
use dojang_sdk::{Client, TrustedChain, TxBuilder};
use dojang_service::machine::{self, Machine};
use dojang_service::node::{cpu_seconds, start_node, WorkDir};
use dojang_types::{Date, Hash};
use serde_json::{json, Value};

use crate::fleet::{ordinary, vin_of, Source};
use crate::lookup::history_verified;
use crate::setup::{accredit_all, council, Body};

const BATCH: usize = 500;
const WINDOW: u64 = 6_000;
const DRAIN: Duration = Duration::from_secs(180);
/// The records of the vehicle whose history is looked up.
const LOOKUP_RECORDS: u32 = 40;
/// Days between two records of a vehicle.
const DAYS_APART: u32 = 20;
/// The looked-up vehicle's serial: apart from the load's.
const LOOKUP_SERIAL: u64 = 999_999;

#[derive(Args, Clone, Debug)]
pub struct CarsBenchArgs {
    /// Attestations to record, spread over `--vehicles` vehicles.
    #[arg(long, default_value_t = 60_000)]
    pub attestations: u64,
    #[arg(long, default_value_t = 2_000)]
    pub vehicles: u64,
    /// Verified history lookups of the 40-record VIN.
    #[arg(long, default_value_t = 10_000)]
    pub lookups: u64,
    /// Lookups in flight at once (listing-site visitors).
    #[arg(long, default_value_t = 16)]
    pub concurrency: usize,
}

/// The load's attesters: 4 registration offices, 32 maintenance shops, 8 mileage-programme
/// accounts, 4 insurers, 16 inspectors.
fn attesters() -> Vec<Body> {
    [
        (Source::RegistrationOffice, 4, "Vehicle Registration Office"),
        (Source::MaintenanceShop, 32, "Auto Repair"),
        (Source::MileageProgramme, 8, "Car Mileage Programme"),
        (Source::Insurer, 4, "Insurance"),
        (Source::Inspector, 16, "Inspection Co."),
    ]
    .into_iter()
    .flat_map(|(source, n, name)| (0..n).map(move |i| Body::new(source.party(), format!("Bench {name} {}", i + 1))))
    .collect()
}

/// The accredited bodies, each ready to sign.
type Signers = Vec<(Party, TxBuilder)>;

/// One of the bodies that records what `source` knows, chosen by `spread`.
fn by(signers: &Signers, source: Source, spread: u64) -> &TxBuilder {
    let mut of_kind = signers.iter().filter(|(p, _)| *p == source.party());
    let count = of_kind.clone().count() as u64;
    &of_kind.nth((spread % count) as usize).expect("every source has bodies").1
}

/// Signs the `r`-th ordinary record of vehicle `serial`, first registered `first`.
fn attestation(signers: &Signers, serial: u64, first: Date, r: u32) -> (Hash, String) {
    let vin = vin_of(serial);
    let (source, record) = ordinary(&vin, first, r, DAYS_APART);
    let tx = by(signers, source, serial + r as u64).message(&CarsMsg::Attest { vin, record });
    (tx.id(), hex::encode(dojang_types::encode(&tx)))
}

pub async fn run(args: CarsBenchArgs) -> anyhow::Result<()> {
    if args.attestations == 0 || args.vehicles == 0 || args.lookups == 0 || args.concurrency == 0 {
        bail!("give at least one attestation, vehicle, lookup and lookup in flight");
    }
    if args.vehicles >= LOOKUP_SERIAL {
        bail!(
            "at most {} vehicles (the VIN series has a million serials; the last is the looked-up one)",
            LOOKUP_SERIAL - 1
        );
    }
    if args.attestations / args.vehicles >= 150 {
        bail!("at most 150 attestations a vehicle (one each 20 days over eight years): add --vehicles");
    }
    let machine = tokio::task::spawn_blocking(machine::measure).await?;
    let work = WorkDir::new(None, "dojang-cars-bench");
    let node = start_node(&work.path().join("node")).await?;
    let result = measure(&node.url, &node.home, node.pid, &args, &machine).await;
    node.stop().await;
    println!("{}", result?);
    Ok(())
}

async fn measure(
    url: &str,
    home: &std::path::Path,
    pid: u32,
    args: &CarsBenchArgs,
    machine: &Machine,
) -> anyhow::Result<Value> {
    let client = Client::new(url);
    let chain_id =
        client.status().await?["chain_id"].as_str().context("the node's status has no chain id")?.to_string();
    let bodies = attesters();
    eprintln!("the council accredits {} bodies and switches the cars module on (not measured)...", bodies.len());
    accredit_all(&client, &council(home, &chain_id)?, &bodies).await?;
    let signers: Signers = bodies.into_iter().map(|b| (b.party, TxBuilder::new(chain_id.clone(), b.key))).collect();

    eprintln!("signing {} attestations over {} vehicles (not measured)...", args.attestations, args.vehicles);
    let today = Date::from_unix_ms_kst(dojang_types::wall_clock_ms());
    let first = today.plus_days(-150 * i64::from(DAYS_APART) - 1);
    let (n, vehicles) = (args.attestations, args.vehicles);
    let txs: Vec<(Hash, String)> =
        (0..n).map(|i| attestation(&signers, i % vehicles, first, (i / vehicles) as u32)).collect();

    eprintln!("sending the attestations and following them to finality (measured)...");
    let sent = dojang_sdk::load::send_all(url, &txs, BATCH, WINDOW, DRAIN).await?;
    let per_s = sent.ok as f64 / sent.seconds;
    let ratio = per_s / machine.ed25519_batched_all_cores;
    println!(
        "attestations finalized/s {per_s:>9.0}  ({} of {} over {} vehicles in {:.2} s; target >= 5,000/s)",
        sent.ok, n, vehicles, sent.seconds
    );
    println!(
        "  refused by the module {}, at admission {}, not final within the wait {}",
        sent.refused_in_block, sent.refused_at_admission, sent.not_final
    );
    println!(
        "  this machine verifies {:.0} Ed25519 signatures/s (batched, {} cores); finalized/s is {ratio:.3} of that",
        machine.ed25519_batched_all_cores, machine.cores
    );

    eprintln!("recording a {LOOKUP_RECORDS}-record history (not measured)...");
    let lookup_vin = vin_of(LOOKUP_SERIAL);
    let history: Vec<(Hash, String)> =
        (0..LOOKUP_RECORDS).map(|r| attestation(&signers, LOOKUP_SERIAL, first, r)).collect();
    let recorded = dojang_sdk::load::send_all(url, &history, BATCH, WINDOW, DRAIN).await?;
    if recorded.ok != LOOKUP_RECORDS as u64 {
        bail!("only {} of the looked-up vehicle's {LOOKUP_RECORDS} records were recorded", recorded.ok);
    }
    eprintln!("looking the history up {} times, {} at once, each proven (measured)...", args.lookups, args.concurrency);
    let node_cpu = || cpu_seconds(pid).context("the node's CPU time (/proc)");
    let cpu_before = node_cpu()?;
    let (lookups_per_s, records_each) =
        lookups(url, &home.join("genesis.json"), &lookup_vin, args.lookups, args.concurrency).await?;
    let node_us = (node_cpu()? - cpu_before) * 1e6 / args.lookups as f64;
    let node_capacity = machine.cores as f64 * 1e6 / node_us;
    println!(
        "verified history lookups/s {lookups_per_s:>7.0}  ({} lookups of a {records_each}-record VIN, {} at once; each proven against the pinned validators; target >= 2,000/s)",
        args.lookups, args.concurrency
    );
    println!(
        "  the node used {node_us:.0} us of CPU per lookup (all its work meanwhile, empty blocks included); with the visitors' checks on their own devices its {} cores could serve about {node_capacity:.0} lookups/s, if the work spreads over both",
        machine.cores
    );
    println!(
        "  this machine verifies {:.0} Ed25519 signatures/s one by one on one core; a lookup checks one certificate",
        machine.ed25519_single_per_core
    );
    Ok(json!({
        "bench": "cars",
        "attestations": n,
        "vehicles": vehicles,
        "finalized_ok": sent.ok,
        "refused_in_block": sent.refused_in_block,
        "refused_at_admission": sent.refused_at_admission,
        "not_final": sent.not_final,
        "seconds": sent.seconds,
        "attestations_finalized_per_s": per_s,
        "ratio_to_ed25519_batched": ratio,
        "lookups": args.lookups,
        "lookup_records": records_each,
        "lookup_concurrency": args.concurrency,
        "verified_lookups_per_s": lookups_per_s,
        "node_cpu_us_per_lookup": node_us,
        "node_lookup_capacity_per_s": node_capacity,
        "ed25519_batched_all_cores": machine.ed25519_batched_all_cores,
        "ed25519_single_per_core": machine.ed25519_single_per_core,
        "cores": machine.cores,
    }))
}

/// Runs `count` verified lookups of `vin`, `concurrency` at once, each visitor with the chain
/// pinned from `genesis` on its own device; answers lookups/s and the records each proved
/// (every lookup must prove the same number).
async fn lookups(
    url: &str,
    genesis: &std::path::Path,
    vin: &str,
    count: u64,
    concurrency: usize,
) -> anyhow::Result<(f64, usize)> {
    let next = Arc::new(std::sync::atomic::AtomicU64::new(0));
    let started = Instant::now();
    let mut tasks = tokio::task::JoinSet::new();
    for _ in 0..concurrency {
        let pinned = TrustedChain::from_genesis_file(genesis)?;
        let (client, vin, next) = (Client::new(url), vin.to_string(), next.clone());
        tasks.spawn(async move {
            let mut sizes = Vec::new();
            while next.fetch_add(1, std::sync::atomic::Ordering::Relaxed) < count {
                let h = history_verified(&client, &pinned, &vin).await?.context("the looked-up VIN has no history")?;
                sizes.push(h.records.len());
            }
            anyhow::Ok(sizes)
        });
    }
    let mut sizes = Vec::new();
    while let Some(done) = tasks.join_next().await {
        sizes.extend(done??);
    }
    let per_s = sizes.len() as f64 / started.elapsed().as_secs_f64();
    let proved: std::collections::BTreeSet<usize> = sizes.iter().copied().collect();
    if proved.len() != 1 || !proved.contains(&(LOOKUP_RECORDS as usize)) {
        bail!("every lookup should prove {LOOKUP_RECORDS} records; they proved {proved:?}");
    }
    Ok((per_s, LOOKUP_RECORDS as usize))
}
