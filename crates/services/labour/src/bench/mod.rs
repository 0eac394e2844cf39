//! `dojang bench labour`: the two figures issue 14 names, in one run. Contract registrations
//! finalized per second on one validator (target at least 2,000/s), and the compliance
//! engine's recomputation of worker-weeks per second (target: a million in under a minute).
//! Each is printed for people, then one JSON line holds both with the machine's own limit
//! measured in the same run (Ed25519 verifications per second).

mod compliance;
mod registrations;

use clap::Args;
use dojang_service::machine;
use serde_json::json;

#[derive(Args, Clone, Debug)]
pub struct LabourBenchArgs {
    /// Worker-weeks to check (eight weeks per worker); 0 skips the compliance part.
    #[arg(long, default_value_t = 1_000_000)]
    pub worker_weeks: usize,
    /// Contracts to register on a fresh one-validator chain; 0 skips the registration part.
    #[arg(long, default_value_t = 60_000)]
    pub registrations: u64,
    /// Employers the registrations come from (each vouched for first).
    #[arg(long, default_value_t = 2_000)]
    pub employers: u64,
}

pub async fn run(args: LabourBenchArgs) -> anyhow::Result<()> {
    let machine = tokio::task::spawn_blocking(machine::measure).await?;
    eprintln!(
        "machine: {} cores, Ed25519 {:.0} verifications/s one by one on one core, {:.0}/s batched on all cores",
        machine.cores, machine.ed25519_single_per_core, machine.ed25519_batched_all_cores
    );
    let weeks = args.worker_weeks;
    let compliance =
        if weeks > 0 { Some(tokio::task::spawn_blocking(move || compliance::run(weeks)).await??) } else { None };
    let registrations = if args.registrations > 0 {
        Some(registrations::run(args.registrations, args.employers, &machine).await?)
    } else {
        None
    };
    println!(
        "{}",
        json!({
            "bench": "labour",
            "compliance": compliance,
            "registrations": registrations,
            "ed25519_single_per_core": machine.ed25519_single_per_core,
            "ed25519_batched_all_cores": machine.ed25519_batched_all_cores,
            "cores": machine.cores,
        })
    );
    Ok(())
}
