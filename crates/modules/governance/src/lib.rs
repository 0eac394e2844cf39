//! Governance: who may do what (roles granted and revoked by admins) and the legal figures
//! rules depend on (versioned parameter tables, read by the version in force on a date).
//! It is the first module and the model for all others: `msg` (what users ask), `state`
//! (what it remembers), `rules` (pure checks named by rule id), `exec` (handlers), `query`.

pub mod exec;
pub mod msg;
pub mod query;
pub mod rules;
pub mod state;

use dojang_ledger::{Module, ModuleError, StateRead, StateWrite, TxContext};
use dojang_types::Event;

pub use msg::{GenesisSection, GovernanceMsg, Role};

/// The module's routing name and state prefix.
pub const NAME: &str = "governance";

/// The governance module.
#[derive(Debug, Default)]
pub struct Governance;

impl Module for Governance {
    fn name(&self) -> &'static str {
        NAME
    }

    fn init_genesis(&self, state: &mut dyn StateWrite, genesis: &serde_json::Value) -> Result<(), ModuleError> {
        exec::init_genesis(state, genesis)
    }

    fn check(&self, msg: &[u8]) -> Result<(), ModuleError> {
        exec::check(&decode(msg)?)
    }

    fn execute(&self, ctx: &TxContext, state: &mut dyn StateWrite, msg: &[u8]) -> Result<Vec<Event>, ModuleError> {
        exec::execute(ctx, state, decode(msg)?)
    }

    fn query(
        &self,
        state: &dyn StateRead,
        path: &str,
        params: &serde_json::Value,
    ) -> Result<serde_json::Value, ModuleError> {
        query::query(state, path, params)
    }
}

fn decode(msg: &[u8]) -> Result<GovernanceMsg, ModuleError> {
    serde_json::from_slice(msg).map_err(|e| ModuleError::InvalidMessage(e.to_string()))
}
