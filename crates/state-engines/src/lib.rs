//! The state engines a node could keep its merkleized state in, driven by one workload and
//! measured side by side in one run (`dojang bench state`), so that the choice between them
//! (docs/decisions/0027-state-engine.md) rests on figures from this machine, not on claims.
//!
//! Each engine does the same three things a node needs of its state: apply a block's writes
//! and give the new root (the header's state root), make that durable before the block is
//! reported final, and prove a key's value against a root for a client that trusts no node.

mod engine;
mod jmt_redb;
mod nomt_trie;
mod process;
mod run;
mod workload;

pub use engine::{Applied, Engine, EngineError, Proven};
pub use jmt_redb::JmtRedb;
pub use nomt_trie::NomtTrie;
pub use process::{allocated_bytes, peak_rss_bytes, reset_peak_rss, resident_split, written_bytes};
pub use run::{measure, Report};
pub use workload::{Block, Workload};
