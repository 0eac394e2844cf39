//! Mileage integration as a service (DOMAIN.md §6): the mileage module on chain, a city's
//! programmes, offices and merchants set up on a development chain ([`setup`]), `dojang demo
//! mileage` and `dojang bench mileage`.

mod bench;
pub mod car_evidence;
mod demo;
pub mod setup;

use clap::Subcommand;
use dojang_ledger::Router;
use dojang_mileage::Mileage;
use dojang_service::{CommandSet, Run, Service, Subcommands};

pub static SERVICE: MileageService = MileageService;

pub struct MileageService;

#[derive(Subcommand)]
pub enum Benches {
    /// Merchant payments finalized per second on one validator, beside plain anchors in the
    /// same run, and submit-to-final latency at 3,000 payments/s offered.
    Mileage(bench::MileageBenchArgs),
}

fn run_bench(b: Benches) -> Run {
    let Benches::Mileage(args) = b;
    Box::pin(bench::run(args))
}

static BENCHES: Subcommands<Benches> = Subcommands::new(run_bench);

static DEMOS: Subcommands<demo::Demos> = Subcommands::new(demo::run);

impl Service for MileageService {
    fn name(&self) -> &'static str {
        dojang_mileage::NAME
    }

    fn register(&self, modules: Router) -> Router {
        modules.with_typed(Mileage)
    }

    fn demos(&self) -> Option<&dyn CommandSet> {
        Some(&DEMOS)
    }

    fn benches(&self) -> Option<&dyn CommandSet> {
        Some(&BENCHES)
    }
}
