//! Anchors: an account records the Merkle root of a batch of its off-ledger records (salted
//! decision leaves, audit logs, contract commitments) with the block's time. Later anyone can
//! prove a record existed by then, while the ledger holds nothing about the records themselves
//! (docs/architecture.md, personal data). Anchors are namespaced by sender: an anchor says who anchored it, never that
//! the anchoring account is trusted; trust comes from governance roles.

pub mod exec;
pub mod msg;
pub mod query;
pub mod rules;
pub mod state;

use dojang_ledger::{Module, ModuleError, Permit, StateRead, StateWrite, TxContext};
use dojang_types::Event;

pub use msg::AnchorMsg;

pub const NAME: &str = "anchor";

#[derive(Debug, Default)]
pub struct Anchor;

impl Module for Anchor {
    fn name(&self) -> &'static str {
        NAME
    }

    fn init_genesis(&self, _state: &mut dyn StateWrite, genesis: &serde_json::Value) -> Result<(), ModuleError> {
        if genesis.is_null() {
            Ok(())
        } else {
            Err(ModuleError::InvalidMessage("the anchor module takes no genesis section".into()))
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

fn decode(msg: &[u8]) -> Result<AnchorMsg, ModuleError> {
    serde_json::from_slice(msg).map_err(|e| ModuleError::InvalidMessage(e.to_string()))
}
