//! Labour as a service (DOMAIN.md §2): the labour module on chain (the contract registry,
//! CON-01..07) and, off chain, the compliance engine over contracts and timesheets. Its
//! benchmark (`dojang bench labour`) measures how fast a city's part-timers' weeks are
//! re-checked. The contract API, the weekly engine's alerts, the demo and the web pages are
//! still to come (issue 14).

mod bench;

use clap::Subcommand;
use dojang_labour::Labour;
use dojang_ledger::Router;
use dojang_service::{CommandSet, Run, Service, Subcommands};

/// Labour in the binary's list of services.
pub static SERVICE: LabourService = LabourService;

pub struct LabourService;

#[derive(Subcommand)]
pub enum Benches {
    /// Compliance recomputation: worker-weeks re-checked against every weekly rule per second.
    Labour(bench::LabourBenchArgs),
}

fn run_bench(b: Benches) -> Run {
    let Benches::Labour(args) = b;
    Box::pin(async move { tokio::task::spawn_blocking(move || bench::run(&args)).await? })
}

static BENCHES: Subcommands<Benches> = Subcommands::new(run_bench);

impl Service for LabourService {
    fn name(&self) -> &'static str {
        dojang_labour::NAME
    }

    fn register(&self, modules: Router) -> Router {
        modules.with_typed(Labour)
    }

    fn benches(&self) -> Option<&dyn CommandSet> {
        Some(&BENCHES)
    }
}
