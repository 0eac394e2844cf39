//! Labour (DOMAIN.md §2, rules LAB-01..12): part-time workers' contracts and the compliance
//! engine over them. This crate holds the pure part: the contract's terms and the LAB-01
//! linter ([`terms`]), what was worked and paid ([`timesheet`]), the legal figures as the
//! council's parameter tables hold them ([`tables`]), and the rules ([`rules`]), each a pure
//! function that returns [`Finding`]s citing its rule id, dates, figures and law.
//!
//! Contracts and timesheets are personal data: they live in a private collection, and these
//! functions run where that data is (the employer's and the labour office's services, the
//! worker's wallet), never on the ledger.
//!
//! On the ledger, the module keeps the contract registry ([`msg`], [`exec`], CON-01..07): the
//! employers the small-business federation vouches for, each contract's salted commitments by
//! version with the worker's signature (the receipt of their copy), termination, weekly
//! timesheet commitments and the worker's answer, and statutory deadlines with an alert before
//! and an event when missed. Only ids, accounts, dates and commitments: no names, no wage.

pub mod career;
pub mod events;
pub mod exec;
pub mod finding;
pub mod msg;
pub mod query;
pub mod rules;
pub mod state;
pub mod tables;
pub mod terms;
pub mod timesheet;

use dojang_ledger::{BlockContext, ModuleError, NoGenesis, Permit, StateRead, StateWrite, TxContext, TypedModule};
use dojang_types::Event;

pub use msg::{DeadlineKind, LabourMsg};

pub const NAME: &str = "labour";

impl dojang_types::ModuleMessage for LabourMsg {
    const MODULE: &'static str = NAME;
}

/// The labour module as the ledger runs it.
#[derive(Debug, Default)]
pub struct Labour;

impl TypedModule for Labour {
    const NAME: &'static str = NAME;
    type Msg = LabourMsg;
    type Genesis = NoGenesis;
    /// A running chain gains it by the council's activation.
    const NEEDS_ACTIVATION: bool = true;

    fn init_genesis(&self, _state: &mut dyn StateWrite, _genesis: NoGenesis) -> Result<(), ModuleError> {
        Ok(())
    }

    fn check(&self, msg: &LabourMsg) -> Result<Permit, ModuleError> {
        exec::check(msg)
    }

    fn execute(&self, ctx: &TxContext, state: &mut dyn StateWrite, msg: LabourMsg) -> Result<Vec<Event>, ModuleError> {
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
        exec::on_deadline(ctx, state, key)
    }
}

pub use finding::{Finding, Severity};
pub use tables::{TableError, Tables};
pub use terms::{lint, Draft, Problem, Terms};
pub use timesheet::{Payment, Week, WeekPay, WorkDay};
