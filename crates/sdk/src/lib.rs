//! A Rust client for a dojang node: build and sign transactions, submit them (and wait for
//! finality), read blocks and receipts, and read state with proofs that are checked here, so
//! an application need not trust the node it talks to.

mod client;
mod verify;

pub use client::{Client, ClientError, Submitted};
pub use dojang_crypto::{verify_commit, CommitError};
pub use dojang_types::Validator;
pub use verify::{VerifiedState, VerifyError};

use dojang_crypto::Keypair;
use dojang_types::{wall_clock_ms, SignedTx, TxBody};

/// Builds signed transactions for one account on one chain.
pub struct TxBuilder {
    pub chain_id: String,
    pub key: Keypair,
    /// How long a built transaction stays valid.
    pub ttl_ms: u64,
}

impl TxBuilder {
    pub fn new(chain_id: impl Into<String>, key: Keypair) -> Self {
        TxBuilder { chain_id: chain_id.into(), key, ttl_ms: 10 * 60 * 1000 }
    }

    /// Signs a message for `module` with a random nonce and an expiry `ttl_ms` from now.
    pub fn build(&self, module: &str, msg: &serde_json::Value) -> SignedTx {
        self.build_with(module, msg, rand::random(), wall_clock_ms() + self.ttl_ms)
    }

    /// Signs with an explicit nonce and expiry (for pre-signed batches and test vectors).
    pub fn build_with(&self, module: &str, msg: &serde_json::Value, nonce: u64, expires_at_ms: u64) -> SignedTx {
        self.key.sign_tx(TxBody {
            chain_id: self.chain_id.clone(),
            sender: self.key.public_key(),
            nonce,
            expires_at_ms,
            module: module.to_string(),
            msg: serde_json::to_vec(msg).expect("JSON values serialize"),
        })
    }
}
