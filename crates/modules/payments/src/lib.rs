//! Subcontract payments (DOMAIN.md §7, rules PAY-01..11): every tier and every worker of a
//! public-works project paid, on time, with the Subcontracting Act computed on chain.
//!
//! - The council appoints the ordering departments' officers and the partner bank.
//! - An officer registers a project with its prime; each contractor registers the contracts
//!   under its own, and a guarantee falls due for one over the threshold (PAY-05).
//! - Workers are engaged by their employer and bind the account their wages go to by their own
//!   signature; no name, account number or wage reaches the ledger (docs/decisions/0025).
//! - The prime submits each progress payment's split (PAY-04, PAY-07, PAY-10, PAY-11); two
//!   officers approve it, and the instruction goes to the bank with each line's due day
//!   (PAY-01, PAY-02). The bank confirms or rejects each line, idempotently; a late line
//!   accrues interest (PAY-03); a rejected one is escalated until sent again.
//! - Deadlines raise reminders and record missed instalments; from the second, or a missing
//!   guarantee, the owner pays that contract directly (PAY-06). Change orders pass through in
//!   the same ratio by their day (PAY-09).

pub mod deadlines;
pub mod events;
pub mod exec;
pub mod msg;
pub mod params;
pub mod progress;
pub mod query;
pub mod receipt;
pub mod rules;
pub mod state;
pub mod views;

use dojang_ledger::{BlockContext, ModuleError, NoGenesis, Permit, StateRead, StateWrite, TxContext, TypedModule};
use dojang_types::Event;

pub use msg::PaymentsMsg;

pub const NAME: &str = "payments";

impl dojang_types::ModuleMessage for PaymentsMsg {
    const MODULE: &'static str = NAME;
}

/// The payments module as the ledger runs it.
#[derive(Debug, Default)]
pub struct Payments;

impl TypedModule for Payments {
    const NAME: &'static str = NAME;
    type Msg = PaymentsMsg;
    type Genesis = NoGenesis;
    /// A running chain gains it by the council's activation.
    const NEEDS_ACTIVATION: bool = true;

    fn init_genesis(&self, _state: &mut dyn StateWrite, _genesis: NoGenesis) -> Result<(), ModuleError> {
        Ok(())
    }

    fn check(&self, msg: &PaymentsMsg) -> Result<Permit, ModuleError> {
        exec::check(msg)
    }

    fn execute(
        &self,
        ctx: &TxContext,
        state: &mut dyn StateWrite,
        msg: PaymentsMsg,
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

    fn on_deadline(
        &self,
        ctx: &BlockContext,
        state: &mut dyn StateWrite,
        key: &[u8],
    ) -> Result<Vec<Event>, ModuleError> {
        deadlines::run(ctx, state, key)
    }
}
