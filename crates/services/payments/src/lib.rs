//! Subcontract payments as a service (DOMAIN.md §7): the payments module on chain, the
//! partner bank's instruction file and answers ([`bank`]), a bank simulator that plays the
//! partner bank in tests and demos, and the city's side: building each approved progress
//! payment's file and reconciling the bank's answers with the chain ([`instruction`]); and
//! `dojang demo payments`.

pub mod bank;
mod demo;
pub mod instruction;

use dojang_ledger::Router;
use dojang_payments::Payments;
use dojang_service::{CommandSet, Service, Subcommands};

pub static SERVICE: PaymentsService = PaymentsService;

pub struct PaymentsService;

static DEMOS: Subcommands<demo::Demos> = Subcommands::new(demo::run);

impl Service for PaymentsService {
    fn name(&self) -> &'static str {
        dojang_payments::NAME
    }

    fn register(&self, modules: Router) -> Router {
        modules.with_typed(Payments)
    }

    fn demos(&self) -> Option<&dyn CommandSet> {
        Some(&DEMOS)
    }
}
