//! A Rust client for a dojang node: build and sign transactions, submit them (and wait for
//! finality), read blocks and receipts, and read state with proofs that are checked here, so
//! an application need not trust the node it talks to.

mod bundle;
mod chain;
mod client;
mod history;
mod light;
pub mod load;
mod verify;

pub use bundle::{BlockProof, BundleBuilder, CheckedBundle, ProofBundle, ProvenState, SetStep, StateProof, TxProof};
pub use chain::Chain;
pub use client::{Client, ClientError, Proven, Submitted};
pub use dojang_crypto::{verify_commit, CommitError};
pub use dojang_types::Validator;
pub use history::{check_inclusion, ProvenBlock, ProvenTx};
pub use light::{TrustedChain, DEFAULT_MAX_AGE, MAX_FUTURE_SKEW_MS, VALIDATORS_KEY};
pub use verify::{VerifiedState, VerifyError};

use dojang_crypto::{Keypair, Signer, SignerError};
use dojang_types::{wall_clock_ms, SignedTx, TxBody};
pub use dojang_types::{KeyedRecord, ModuleMessage, ModuleQuery, RecordQuery};

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

impl<S: Signer> TxBuilder<S> {
    /// Signs a module's typed message (see [`ModuleMessage`]).
    pub fn try_message<M: ModuleMessage>(&self, msg: &M) -> Result<SignedTx, SignerError> {
        self.try_build(M::MODULE, &message_json(msg))
    }
}

/// A typed message as the JSON its module decodes.
fn message_json<M: ModuleMessage>(msg: &M) -> serde_json::Value {
    serde_json::to_value(msg).expect("module messages serialize to JSON")
}

impl TxBuilder<Keypair> {
    /// Signs a module's typed message (see [`ModuleMessage`]).
    pub fn message<M: ModuleMessage>(&self, msg: &M) -> SignedTx {
        self.build(M::MODULE, &message_json(msg))
    }

    /// Signs a typed message with an explicit nonce and expiry (pre-signed batches).
    pub fn message_with<M: ModuleMessage>(&self, msg: &M, nonce: u64, expires_at_ms: u64) -> SignedTx {
        self.build_with(M::MODULE, &message_json(msg), nonce, expires_at_ms)
    }

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

#[cfg(test)]
mod tests {
    use super::*;
    use dojang_crypto::Algorithm;

    #[derive(serde::Serialize)]
    #[serde(tag = "type", rename_all = "snake_case")]
    enum NoteMsg {
        Note { text: String, count: u32 },
    }

    impl ModuleMessage for NoteMsg {
        const MODULE: &'static str = "notes";
    }

    #[test]
    fn a_typed_message_signs_exactly_what_its_json_would() {
        let b = TxBuilder::new("chain", Keypair::generate(Algorithm::Ed25519));
        let typed = b.message_with(&NoteMsg::Note { text: "a".into(), count: 2 }, 7, 99);
        let by_hand = b.build_with("notes", &serde_json::json!({"type": "note", "text": "a", "count": 2}), 7, 99);
        assert_eq!(typed.body.module, "notes");
        assert_eq!(typed.body.signing_bytes(), by_hand.body.signing_bytes());
        assert_eq!(typed.id(), by_hand.id());
        let fresh = b.message(&NoteMsg::Note { text: "a".into(), count: 2 });
        assert_eq!(fresh.body.msg, typed.body.msg);
        assert_ne!(fresh.id(), typed.id(), "a fresh nonce each time");
    }
}
