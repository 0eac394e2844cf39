//! Subcontract payments as a service (DOMAIN.md §7): the payments module on chain, the
//! partner bank's instruction file and answers ([`bank`]), a bank simulator that plays the
//! partner bank in tests and demos, and the city's side: building each approved progress
//! payment's file and reconciling the bank's answers with the chain ([`instruction`]); and
//! `dojang demo payments` and `dojang bench payments`.

pub mod bank;
mod bench;
mod demo;
pub mod instruction;
pub mod office;
pub mod receipts;

use dojang_ledger::Router;
use dojang_payments::Payments;
use dojang_service::{CommandSet, Service, Subcommands};

pub static SERVICE: PaymentsService = PaymentsService;

pub struct PaymentsService;

static DEMOS: Subcommands<demo::Demos> = Subcommands::new(demo::run);

#[derive(clap::Subcommand)]
pub enum Commands {
    /// Subcontract payments: the payments office's tools.
    #[command(subcommand)]
    Payments(PaymentsCommand),
}

#[derive(clap::Subcommand)]
pub enum PaymentsCommand {
    /// Offer every worker paid by a confirmed progress payment their receipt (PAY-08 checked),
    /// from the employers' payroll file; prints one JSON line per worker.
    Receipts(office::ReceiptsArgs),
}

fn run_command(c: Commands) -> dojang_service::Run {
    let Commands::Payments(PaymentsCommand::Receipts(args)) = c;
    Box::pin(office::receipts(args))
}

static COMMANDS: Subcommands<Commands> = Subcommands::new(run_command);

#[derive(clap::Subcommand)]
pub enum Benches {
    /// Payment lines settled (the bank's statements final on chain) and reconciled per second
    /// on one validator.
    Payments(bench::PaymentsBenchArgs),
}

fn run_bench(b: Benches) -> dojang_service::Run {
    let Benches::Payments(args) = b;
    Box::pin(bench::run(args))
}

static BENCHES: Subcommands<Benches> = Subcommands::new(run_bench);

impl Service for PaymentsService {
    fn name(&self) -> &'static str {
        dojang_payments::NAME
    }

    fn register(&self, modules: Router) -> Router {
        modules.with_typed(Payments)
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
