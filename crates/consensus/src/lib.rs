//! Consensus on Malachite. This is the only crate that names the engine: it supplies the
//! context (heights, votes, proposals), the codec, the signer, and the host loop that answers
//! the engine by calling the ledger through [`dojang_ledger::BlockApp`].

mod admission;
pub mod codec;
pub mod context;
mod engine;
mod evidence;
pub use engine::{start, Consensus, ConsensusSettings, NodeIdentity};
mod host;
mod parts;
pub mod signing;
mod stats;
pub use stats::{ConsensusStats, PeerStat};
