//! Used-car trust (DOMAIN.md §4, rules CAR-01..10): one tamper-evident history per vehicle.
//!
//! - The council accredits the bodies that know each fact: dealers, inspection shops and
//!   inspectors, maintenance shops, insurers, the registration office, the city's mileage
//!   programme; and suspends them (CAR-05).
//! - Each attests what it may about a vehicle, by VIN (CAR-09): odometer readings, inspections,
//!   accidents and repairs, odometer replacements, first registration, ownership transfers,
//!   liens and seizures. A reading that breaks the odometer's rules (CAR-01, CAR-02) is kept
//!   and flagged: rollbacks are found across sources, whatever order the records arrive in.
//! - A dealer records a sale only with the notice the buyer received before the contract,
//!   signed by the dealer and the inspector ([`notice`], CAR-03, CAR-04), as the owner or
//!   with the owner's mandate (CAR-07); undisclosed liens are flagged (CAR-08). Delivery
//!   opens the rescission windows (CAR-06), and a trusted record that contradicts the notice
//!   inside one is recorded against the sale: the buyer's evidence.
//!
//! Owners and buyers are pseudonymous accounts; no record names a person (docs/decisions/0022).

pub mod attest;
pub mod events;
pub mod exec;
pub mod msg;
pub mod notice;
pub mod query;
pub mod rules;
pub mod state;
pub mod views;
pub mod vin;

use dojang_ledger::{BlockContext, ModuleError, NoGenesis, Permit, StateRead, StateWrite, TxContext, TypedModule};
use dojang_types::Event;

pub use msg::{CarsMsg, Notice, Party, Record, SignedNotice};

pub const NAME: &str = "cars";

impl dojang_types::ModuleMessage for CarsMsg {
    const MODULE: &'static str = NAME;
}

/// The cars module as the ledger runs it.
#[derive(Debug, Default)]
pub struct Cars;

impl TypedModule for Cars {
    const NAME: &'static str = NAME;
    type Msg = CarsMsg;
    type Genesis = NoGenesis;
    /// A running chain gains it by the council's activation.
    const NEEDS_ACTIVATION: bool = true;

    fn init_genesis(&self, _state: &mut dyn StateWrite, _genesis: NoGenesis) -> Result<(), ModuleError> {
        Ok(())
    }

    fn check(&self, msg: &CarsMsg) -> Result<Permit, ModuleError> {
        exec::check(msg)
    }

    fn execute(&self, ctx: &TxContext, state: &mut dyn StateWrite, msg: CarsMsg) -> Result<Vec<Event>, ModuleError> {
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

    fn query_json(
        &self,
        state: &dyn StateRead,
        path: &str,
        params: &serde_json::Value,
    ) -> Result<Vec<u8>, ModuleError> {
        query::query_json(state, path, params)
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
