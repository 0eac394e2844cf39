//! What the ledger's integration tests share: a module of notes, a one-validator chain on a
//! store in a temporary directory, and certificates signed by its validator.
// Each test file uses part of this.
#![allow(dead_code)]

use std::path::Path;
use std::sync::Arc;

use dojang_crypto::{Algorithm, Keypair};
use dojang_ledger::{
    Genesis, GenesisValidator, Ledger, LedgerConfig, LedgerError, Module, ModuleError, Permit, Router, StateRead,
    StateWrite, TxContext,
};
use dojang_store::Store;
use dojang_types::{Block, Commit, CommitSignature, Event, Signature, SignedTx, TxBody, VoteSignBytes};

/// Writes each message under its transaction id; refuses messages not starting `note:`.
pub struct Notes;

impl Module for Notes {
    fn name(&self) -> &'static str {
        "notes"
    }

    fn init_genesis(&self, _: &mut dyn StateWrite, _: &serde_json::Value) -> Result<(), ModuleError> {
        Ok(())
    }

    fn check(&self, msg: &[u8]) -> Result<Permit, ModuleError> {
        if msg.starts_with(b"note:") {
            Ok(Permit::OwnRules)
        } else {
            Err(ModuleError::InvalidMessage("a note starts with 'note:'".into()))
        }
    }

    fn execute(&self, ctx: &TxContext, state: &mut dyn StateWrite, msg: &[u8]) -> Result<Vec<Event>, ModuleError> {
        state.put(ctx.tx_id.0.as_slice(), msg.to_vec());
        Ok(vec![Event::new("notes", "noted")])
    }

    fn query(&self, _: &dyn StateRead, _: &str, _: &serde_json::Value) -> Result<serde_json::Value, ModuleError> {
        Ok(serde_json::Value::Null)
    }
}

pub const CHAIN: &str = "catch-up-chain";

pub struct Node {
    pub ledger: Ledger,
    pub dir: tempfile::TempDir,
}

/// A new chain whose one validator is `validator`.
pub fn node(validator: &Keypair) -> Node {
    let dir = tempfile::tempdir().unwrap();
    let ledger = open_ledger(dir.path(), validator).unwrap();
    Node { ledger, dir }
}

/// The ledger of the chain kept in `dir`, opened as a node starting up opens it.
pub fn open_ledger(dir: &Path, validator: &Keypair) -> Result<Ledger, LedgerError> {
    let store = Store::open(&dir.join("db.redb")).unwrap();
    let genesis = Genesis {
        chain_id: CHAIN.into(),
        genesis_time_ms: 1_700_000_000_000,
        validators: vec![GenesisValidator { name: "city".into(), public_key: validator.public_key(), power: 1 }],
        modules: Default::default(),
    };
    Ledger::open(store, Router::new().with(Arc::new(Notes)), genesis, LedgerConfig::default())
}

/// The validator's precommit for `block`: a certificate any follower checks.
pub fn certify(validator: &Keypair, block: &Block) -> Commit {
    let address = validator.public_key().address();
    let vote = VoteSignBytes {
        chain_id: CHAIN.into(),
        height: block.header.height,
        round: 0,
        vote_type: 1,
        block_hash: Some(block.hash()),
        validator: address,
    };
    let Signature::Ed25519(signature) = validator.sign(&vote.to_bytes()) else { unreachable!("an Ed25519 key") };
    Commit {
        height: block.header.height,
        round: 0,
        block_hash: block.hash(),
        signatures: vec![CommitSignature { validator: address, signature }],
    }
}

/// A note from a new account, nonce `nonce`, as a client submits it.
pub fn note(nonce: u64, text: &str) -> SignedTx {
    let k = Keypair::generate(Algorithm::Ed25519);
    k.sign_tx(TxBody {
        chain_id: CHAIN.into(),
        sender: k.public_key(),
        nonce,
        expires_at_ms: dojang_types::wall_clock_ms() + 600_000,
        module: "notes".into(),
        msg: format!("note:{text}").into_bytes(),
    })
}
