//! Eligibility (docs/domain.md §1): programs, their versioned rule sets, lottery seeds committed
//! before the window closes and revealed after, and the Merkle roots of decision batches.
//! Decisions themselves stay with the program office (salted leaves, ELIG-05): nothing per
//! person is written here, not even a hash.
//!
//! `ruleset` is the one deterministic evaluator (ELIG-07) the offices and anyone replaying a
//! decision run.

pub mod events;
pub mod exec;
pub mod msg;
pub mod query;
pub mod rules;
pub mod ruleset;
pub mod state;
pub mod views;

use dojang_ledger::{ModuleError, NoGenesis, Permit, StateRead, StateWrite, TxContext, TypedModule};
use dojang_types::Event;

pub use msg::EligibilityMsg;
pub use ruleset::{evaluate, Evidence, Handling, Outcome, RuleSet};

pub const NAME: &str = "eligibility";

impl dojang_types::ModuleMessage for EligibilityMsg {
    const MODULE: &'static str = NAME;
}

#[derive(Debug, Default)]
pub struct Eligibility;

impl TypedModule for Eligibility {
    const NAME: &'static str = NAME;
    type Msg = EligibilityMsg;
    type Genesis = NoGenesis;

    fn init_genesis(&self, _state: &mut dyn StateWrite, _genesis: NoGenesis) -> Result<(), ModuleError> {
        Ok(())
    }

    fn check(&self, msg: &EligibilityMsg) -> Result<Permit, ModuleError> {
        exec::check(msg)
    }

    fn execute(
        &self,
        ctx: &TxContext,
        state: &mut dyn StateWrite,
        msg: EligibilityMsg,
    ) -> Result<Vec<Event>, ModuleError> {
        exec::execute(ctx, state, msg)
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
