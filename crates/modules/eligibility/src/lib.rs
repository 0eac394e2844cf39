//! Eligibility (docs/domain.md §1): programs, their versioned rule sets, lottery seeds committed
//! before the window closes and revealed after, and the Merkle roots of decision batches.
//! Decisions themselves stay with the program office (salted leaves, ELIG-05): nothing per
//! person is written here, not even a hash.
//!
//! `ruleset` is the one deterministic evaluator (ELIG-07) the offices and anyone replaying a
//! decision run.

pub mod exec;
pub mod msg;
pub mod query;
pub mod rules;
pub mod ruleset;
pub mod state;

use dojang_ledger::{Module, ModuleError, Permit, StateRead, StateWrite, TxContext};
use dojang_types::Event;

pub use msg::EligibilityMsg;
pub use ruleset::{evaluate, Evidence, Handling, Outcome, RuleSet};

pub const NAME: &str = "eligibility";

#[derive(Debug, Default)]
pub struct Eligibility;

impl Module for Eligibility {
    fn name(&self) -> &'static str {
        NAME
    }

    fn init_genesis(&self, _state: &mut dyn StateWrite, genesis: &serde_json::Value) -> Result<(), ModuleError> {
        if genesis.is_null() {
            Ok(())
        } else {
            Err(ModuleError::InvalidMessage("the eligibility module takes no genesis section".into()))
        }
    }

    fn check(&self, msg: &[u8]) -> Result<Permit, ModuleError> {
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

fn decode(msg: &[u8]) -> Result<EligibilityMsg, ModuleError> {
    serde_json::from_slice(msg).map_err(|e| ModuleError::InvalidMessage(e.to_string()))
}
