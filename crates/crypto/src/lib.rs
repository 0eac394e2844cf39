//! Keys and signatures. Ed25519 for validators and most accounts; ECDSA P-256 because that is
//! what agency HSMs and phone secure elements hold. Verification of many transactions is
//! batched (Ed25519) and spread over all cores, because it is the largest cost of admitting
//! and executing a block.

mod batch;
mod commit;
mod ed25519;
mod keyfile;
mod keypair;
mod proof;

pub use batch::verify_txs;
pub use commit::{verify_commit, CommitError};
pub use ed25519::{verify_ed25519, verify_ed25519_batch, Ed25519Item};
pub use keyfile::{KeyFile, KeyFileError};
pub use keypair::{verify, Algorithm, Keypair};
pub use proof::verify_state_proof;
