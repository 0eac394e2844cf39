//! Private data collections (docs/modules/collections.md). Personal records several agencies
//! must share (a labour contract seen by the employer's agency, COMWEL and the district office)
//! stay off the ledger: the council defines a collection (its member organisations, how many
//! of them must ask to erase a record, how long records are kept), a member records a salted
//! commitment to each payload, and the payload and salt live only on member nodes
//! (`dojang-private`). A record is purged when its retention ends (a deadline) or when enough
//! members ask; member nodes then delete payload and salt, and the commitment that stays on
//! the ledger no longer says anything.

pub mod events;
pub mod exec;
pub mod msg;
pub mod query;
pub mod readers;
pub mod rules;
pub mod state;
pub mod views;

use dojang_ledger::{BlockContext, ModuleError, NoGenesis, Permit, StateRead, StateWrite, TxContext, TypedModule};
use dojang_types::Event;

pub use msg::CollectionsMsg;
pub use rules::commitment;
pub use state::{Collection, Purge, Record};

pub const NAME: &str = "collections";

impl dojang_types::ModuleMessage for CollectionsMsg {
    const MODULE: &'static str = NAME;
}

#[derive(Debug, Default)]
pub struct Collections;

impl TypedModule for Collections {
    const NAME: &'static str = NAME;
    type Msg = CollectionsMsg;
    type Genesis = NoGenesis;
    /// A release adds it to running chains: the council switches it on at a height.
    const NEEDS_ACTIVATION: bool = true;

    fn init_genesis(&self, _state: &mut dyn StateWrite, _genesis: NoGenesis) -> Result<(), ModuleError> {
        Ok(())
    }

    fn check(&self, msg: &CollectionsMsg) -> Result<Permit, ModuleError> {
        exec::check(msg)
    }

    fn execute(
        &self,
        ctx: &TxContext,
        state: &mut dyn StateWrite,
        msg: CollectionsMsg,
    ) -> Result<Vec<Event>, ModuleError> {
        exec::execute(ctx, state, msg)
    }

    fn on_deadline(
        &self,
        ctx: &BlockContext,
        state: &mut dyn StateWrite,
        key: &[u8],
    ) -> Result<Vec<Event>, ModuleError> {
        exec::retention_ended(ctx, state, key)
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
