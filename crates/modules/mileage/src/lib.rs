//! Mileage integration (DOMAIN.md §6, rules MIL-01..10): one balance from many programmes.
//!
//! - The council registers programmes (eco, car, tax, volunteering, ...) with an issuing
//!   office, a budget per year (MIL-03), versioned award tables (MIL-06), the credential its
//!   issuer checks before enrolling an account (MIL-05), a yearly cap per person and a lot
//!   lifetime (MIL-07), and whether gifts are allowed (MIL-09); and the sinks mileage may be
//!   spent at (MIL-08).
//! - A registrar opens one account per person, under its keyed hash of the resident
//!   registry's token for them; no record names a person (docs/decisions/0023).
//! - An issuer awards an enrolled account for evidence that no programme has awarded before
//!   (MIL-04), at the table's amount on the evidence's date, as a lot that expires.
//! - The holder spends first in, first out (MIL-07): at a sink, at a merchant by its payment
//!   request, or as a gift; the finance office settles merchants day by day.
//! - Every change is checked against the programmes' books before it is kept: per programme
//!   and budget year, outstanding = minted − redeemed − expired (MIL-01, [`books`]).

pub mod award;
pub mod books;
pub mod convert;
pub mod events;
pub mod exec;
pub mod expiry;
pub mod msg;
pub mod odometer;
pub mod query;
pub mod replace;
pub mod rules;
pub mod spend;
pub mod state;
pub mod views;

use dojang_ledger::{BlockContext, ModuleError, NoGenesis, Permit, StateRead, StateWrite, TxContext, TypedModule};
use dojang_types::Event;

pub use msg::MileageMsg;

pub const NAME: &str = "mileage";

impl dojang_types::ModuleMessage for MileageMsg {
    const MODULE: &'static str = NAME;
}

/// The mileage module as the ledger runs it.
#[derive(Debug, Default)]
pub struct Mileage;

impl TypedModule for Mileage {
    const NAME: &'static str = NAME;
    type Msg = MileageMsg;
    type Genesis = NoGenesis;
    /// A running chain gains it by the council's activation.
    const NEEDS_ACTIVATION: bool = true;

    fn init_genesis(&self, _state: &mut dyn StateWrite, _genesis: NoGenesis) -> Result<(), ModuleError> {
        Ok(())
    }

    fn check(&self, msg: &MileageMsg) -> Result<Permit, ModuleError> {
        exec::check(msg)
    }

    fn execute(&self, ctx: &TxContext, state: &mut dyn StateWrite, msg: MileageMsg) -> Result<Vec<Event>, ModuleError> {
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
        expiry::run(ctx, state, key)
    }
}
