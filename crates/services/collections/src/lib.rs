//! Private data collections as a service: the collections module on chain, and the member's
//! and auditor's commands (`dojang private`). The node's private store and its endpoints are
//! part of the node (`dojang-private`, `dojang-api`), since every member node serves them.

mod commands;

use dojang_collections::Collections;
use dojang_ledger::Router;
use dojang_service::{CommandSet, Service, Subcommands};

/// Collections in the binary's list of services.
pub static SERVICE: CollectionsService = CollectionsService;

pub struct CollectionsService;

static COMMANDS: Subcommands<commands::Commands> = Subcommands::new(commands::run);

impl Service for CollectionsService {
    fn name(&self) -> &'static str {
        dojang_collections::NAME
    }

    fn register(&self, modules: Router) -> Router {
        modules.with_typed(Collections)
    }

    fn commands(&self) -> Option<&dyn CommandSet> {
        Some(&COMMANDS)
    }
}
