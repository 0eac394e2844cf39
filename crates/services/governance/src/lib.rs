//! Governance as a service: the council's typed client ([`client::Council`]), its commands
//! (`dojang gov`) and its demonstration (`dojang demo council`).

pub mod client;
mod commands;
mod demo;
pub mod dev_chain;

use std::sync::Arc;

use dojang_governance::Governance;
use dojang_ledger::Router;
use dojang_service::{CommandSet, Service, Subcommands};

pub use client::{Council, Proposed};

/// Governance in the binary's list of services.
pub static SERVICE: GovernanceService = GovernanceService;

pub struct GovernanceService;

static COMMANDS: Subcommands<commands::Commands> = Subcommands::new(commands::run);
static DEMOS: Subcommands<demo::Demos> = Subcommands::new(demo::run);

impl Service for GovernanceService {
    fn name(&self) -> &'static str {
        dojang_governance::NAME
    }

    /// The governance module, also the chain's authority (roles, the council's permits).
    fn register(&self, modules: Router) -> Router {
        modules.with_typed(Governance).with_authority(Arc::new(Governance))
    }

    fn commands(&self) -> Option<&dyn CommandSet> {
        Some(&COMMANDS)
    }

    fn demos(&self) -> Option<&dyn CommandSet> {
        Some(&DEMOS)
    }
}
