//! A Rust client for a dojang node: build and sign transactions, submit them (and wait for
//! finality), read blocks and receipts, and read state with proofs that are checked here, so
//! an application need not trust the node it talks to.

mod client;
mod light;
mod verify;

pub use client::{Client, ClientError, Submitted};
pub use dojang_crypto::{verify_commit, CommitError};
pub use dojang_types::Validator;
pub use light::{TrustedChain, DEFAULT_MAX_AGE, MAX_FUTURE_SKEW_MS, VALIDATORS_KEY};
pub use verify::{VerifiedState, VerifyError};

use dojang_crypto::{Keypair, Signer, SignerError};
use dojang_types::{wall_clock_ms, SignedTx, TxBody};

/// Builds signed transactions for one account on one chain. The key is any
/// [`Signer`]: a [`Keypair`] (from a key file) by default, or an HSM key; with a `Keypair`
/// building cannot fail ([`TxBuilder::build`]), with other signers use [`TxBuilder::try_build`].
pub struct TxBuilder<S = Keypair> {
    pub chain_id: String,
    pub key: S,
    /// How long a built transaction stays valid.
    pub ttl_ms: u64,
}

impl<S: Signer> TxBuilder<S> {
    pub fn new(chain_id: impl Into<String>, key: S) -> Self {
        TxBuilder { chain_id: chain_id.into(), key, ttl_ms: 10 * 60 * 1000 }
    }

    /// Signs a message for `module` with a random nonce and an expiry `ttl_ms` from now.
    pub fn try_build(&self, module: &str, msg: &serde_json::Value) -> Result<SignedTx, SignerError> {
        self.try_build_with(module, msg, rand::random(), wall_clock_ms() + self.ttl_ms)
    }

    /// Signs with an explicit nonce and expiry (for pre-signed batches and test vectors).
    pub fn try_build_with(
        &self,
        module: &str,
        msg: &serde_json::Value,
        nonce: u64,
        expires_at_ms: u64,
    ) -> Result<SignedTx, SignerError> {
        self.key.sign_tx(body(&self.chain_id, self.key.public_key(), module, msg, nonce, expires_at_ms))
    }
}

impl TxBuilder<Keypair> {
    /// Signs a message for `module` with a random nonce and an expiry `ttl_ms` from now.
    pub fn build(&self, module: &str, msg: &serde_json::Value) -> SignedTx {
        self.build_with(module, msg, rand::random(), wall_clock_ms() + self.ttl_ms)
    }

    /// Signs with an explicit nonce and expiry (for pre-signed batches and test vectors).
    pub fn build_with(&self, module: &str, msg: &serde_json::Value, nonce: u64, expires_at_ms: u64) -> SignedTx {
        self.key.sign_tx(body(&self.chain_id, self.key.public_key(), module, msg, nonce, expires_at_ms))
    }
}

fn body(
    chain_id: &str,
    sender: dojang_types::PublicKey,
    module: &str,
    msg: &serde_json::Value,
    nonce: u64,
    expires_at_ms: u64,
) -> TxBody {
    TxBody {
        chain_id: chain_id.to_string(),
        sender,
        nonce,
        expires_at_ms,
        module: module.to_string(),
        msg: serde_json::to_vec(msg).expect("JSON values serialize"),
    }
}
