//! Used-car trust as a service (DOMAIN.md §4): the cars module on chain, and the buyer's
//! evidence package: `dojang cars evidence` gathers it from a node with every proof, and
//! `dojang cars check-evidence` checks it offline against the chain's genesis file; `dojang
//! bench cars`.

mod bench;
mod demo;
pub mod evidence;
pub mod fleet;
pub mod lookup;
pub mod setup;

use std::path::PathBuf;

use anyhow::Context;
use clap::Subcommand;
use dojang_cars::Cars;
use dojang_ledger::Router;
use dojang_service::{CommandSet, Run, Service, Subcommands};

pub static SERVICE: CarsService = CarsService;

pub struct CarsService;

#[derive(Subcommand)]
pub enum Commands {
    /// Used-car histories: the buyer's evidence.
    #[command(subcommand)]
    Cars(CarsCommand),
}

#[derive(Subcommand)]
pub enum CarsCommand {
    /// Gathers the evidence that a record contradicts a sale's notice inside its window: the
    /// sale, the notice, the records, their transactions and every proof, into one file.
    Evidence {
        vin: String,
        /// The sale's number in the vehicle's history (1 for its first sale).
        sale: u32,
        #[arg(long, default_value = "http://127.0.0.1:8080")]
        node: String,
        /// The chain's genesis file: every answer is checked against its validators.
        #[arg(long)]
        genesis: PathBuf,
        #[arg(long)]
        out: PathBuf,
    },
    /// Checks an evidence file offline against the chain's genesis file and says what it
    /// proves; exits 1 if it proves nothing.
    CheckEvidence {
        file: PathBuf,
        #[arg(long)]
        genesis: PathBuf,
        /// Print the report as one JSON line only.
        #[arg(long)]
        json: bool,
    },
}

fn run(cmd: Commands) -> Run {
    let Commands::Cars(cmd) = cmd;
    Box::pin(async move {
        match cmd {
            CarsCommand::Evidence { vin, sale, node, genesis, out } => {
                let genesis = dojang_ledger::Genesis::load(&genesis)?;
                let client = dojang_sdk::Client::new(&node);
                let package = evidence::build(&client, &genesis.chain_id, &genesis.validator_set(), &vin, sale).await?;
                std::fs::write(&out, serde_json::to_vec_pretty(&package)?)
                    .with_context(|| format!("writing {}", out.display()))?;
                println!("evidence for sale {sale} of {vin} written to {}", out.display());
                Ok(())
            }
            CarsCommand::CheckEvidence { file, genesis, json } => {
                let genesis = dojang_ledger::Genesis::load(&genesis)?;
                let bytes = std::fs::read(&file).with_context(|| format!("reading {}", file.display()))?;
                let package: evidence::EvidencePackage = serde_json::from_slice(&bytes)
                    .with_context(|| format!("{} is not an evidence package", file.display()))?;
                match evidence::check(&package, &genesis.chain_id, &genesis.validator_set()) {
                    Ok(report) => {
                        if !json {
                            report.print();
                        }
                        println!("{}", serde_json::to_string(&report)?);
                        Ok(())
                    }
                    Err(e) => {
                        eprintln!("the evidence does not stand: {e}");
                        std::process::exit(1);
                    }
                }
            }
        }
    })
}

static COMMANDS: Subcommands<Commands> = Subcommands::new(run);

#[derive(Subcommand)]
pub enum Benches {
    /// Attestations finalized per second on one validator, and verified history lookups per
    /// second for a 40-record VIN.
    Cars(bench::CarsBenchArgs),
}

fn run_bench(b: Benches) -> Run {
    let Benches::Cars(args) = b;
    Box::pin(bench::run(args))
}

static BENCHES: Subcommands<Benches> = Subcommands::new(run_bench);

static DEMOS: Subcommands<demo::Demos> = Subcommands::new(demo::run);

impl Service for CarsService {
    fn name(&self) -> &'static str {
        dojang_cars::NAME
    }

    fn register(&self, modules: Router) -> Router {
        modules.with_typed(Cars)
    }

    fn commands(&self) -> Option<&dyn CommandSet> {
        Some(&COMMANDS)
    }

    fn demos(&self) -> Option<&dyn CommandSet> {
        Some(&DEMOS)
    }

    fn benches(&self) -> Option<&dyn CommandSet> {
        Some(&BENCHES)
    }
}
