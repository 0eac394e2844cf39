//! Anchors: an account records the Merkle root of a batch of its off-ledger records (salted
//! decision leaves, audit logs, contract commitments) with the block's time. Later anyone can
//! prove a record existed by then, while the ledger holds nothing about the records themselves
//! (docs/architecture.md, personal data). Anchors are namespaced by sender: an anchor says who anchored it, never that
//! the anchoring account is trusted; trust comes from governance roles.

pub mod events;
pub mod exec;
pub mod msg;
pub mod query;
pub mod rules;
pub mod state;
pub mod views;

use dojang_ledger::{ModuleError, NoGenesis, Permit, StateRead, StateWrite, TxContext, TypedModule};
use dojang_types::Event;

pub use msg::AnchorMsg;

pub const NAME: &str = "anchor";

impl dojang_types::ModuleMessage for AnchorMsg {
    const MODULE: &'static str = NAME;
}

#[derive(Debug, Default)]
pub struct Anchor;

impl TypedModule for Anchor {
    const NAME: &'static str = NAME;
    type Msg = AnchorMsg;
    type Genesis = NoGenesis;

    fn init_genesis(&self, _state: &mut dyn StateWrite, _genesis: NoGenesis) -> Result<(), ModuleError> {
        Ok(())
    }

    fn check(&self, msg: &AnchorMsg) -> Result<Permit, ModuleError> {
        exec::check(msg)
    }

    fn execute(&self, ctx: &TxContext, state: &mut dyn StateWrite, msg: AnchorMsg) -> Result<Vec<Event>, ModuleError> {
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
