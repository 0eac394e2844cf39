//! The ledger: admission (mempool), block building and validation by deterministic execution,
//! the `Module` trait that civic services implement, and commit of decided blocks.
//!
//! Data flows down on submit (gateway -> [`Ledger::submit`] -> mempool) and up on decide
//! (consensus -> [`BlockApp::commit`] -> store -> receipts and events for subscribers).

mod activation;
mod app;
mod error;
mod events;
mod execute;
mod genesis;
mod hooks;
mod ledger;
mod mempool;
mod module;
mod overlay;
mod quota;
mod recover;
mod router;
mod sync;
mod typed;
mod validators;

pub use activation::activation_name;
pub use app::BlockApp;
/// Storage failures surface to modules only through `ModuleError::Storage`.
pub use dojang_store::{Entries, StoreError};
pub use error::LedgerError;
pub use events::LedgerEvent;
pub use execute::last_block;
pub use genesis::{Genesis, GenesisValidator};
pub use hooks::{hook_events_key, MAX_DEADLINES_PER_BLOCK};
pub use ledger::{CommittedBlock, Ledger, LedgerConfig, SubmitError};
pub use mempool::{MempoolConfig, MempoolError};
pub use module::{
    json_bytes, Authority, BlockContext, Module, ModuleError, Permit, Prepared, StateRead, StateWrite, TxContext,
    MAX_DEADLINE_KEY,
};
pub use quota::{Quota, QuotaConfig};
pub use router::Router;
pub use typed::{
    decode_record, keyed_answer, query_answer, query_number, read_module_record, read_record, write_record, NoGenesis,
    Typed, TypedModule,
};
pub use validators::{ValidatorUpdate, VALIDATORS_KEY};
