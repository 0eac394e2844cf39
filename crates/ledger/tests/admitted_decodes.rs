//! A message this node admitted is decoded once: its block uses what admission prepared
//! (the permit and the decoded message), while a validator that did not admit it prepares it
//! itself, and both execute it alike.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use dojang_crypto::{Algorithm, Keypair};
use dojang_ledger::{
    BlockApp, Genesis, GenesisValidator, Ledger, LedgerConfig, Module, ModuleError, Permit, Prepared, Router,
    StateRead, StateWrite, TxContext,
};
use dojang_store::Store;
use dojang_types::{encode, Commit, Event, TxBody};

/// Counts how often it prepares a message, and how many executions came with one prepared.
#[derive(Default)]
struct Counting {
    prepared: AtomicUsize,
    executed_prepared: AtomicUsize,
    executed_raw: AtomicUsize,
}

struct Counted(Arc<Counting>);

impl Module for Counted {
    fn name(&self) -> &'static str {
        "counted"
    }

    fn init_genesis(&self, _: &mut dyn StateWrite, _: &serde_json::Value) -> Result<(), ModuleError> {
        Ok(())
    }

    fn check(&self, _: &[u8]) -> Result<Permit, ModuleError> {
        Ok(Permit::OwnRules)
    }

    fn prepare(&self, msg: &[u8], known: Option<Permit>) -> Result<(Permit, Prepared), ModuleError> {
        self.0.prepared.fetch_add(1, Ordering::SeqCst);
        Ok((known.unwrap_or(Permit::OwnRules), Some(Box::new(msg.to_vec()))))
    }

    fn execute(&self, ctx: &TxContext, state: &mut dyn StateWrite, msg: &[u8]) -> Result<Vec<Event>, ModuleError> {
        self.0.executed_raw.fetch_add(1, Ordering::SeqCst);
        state.put(ctx.tx_id.0.as_slice(), msg.to_vec());
        Ok(vec![])
    }

    fn execute_prepared(
        &self,
        ctx: &TxContext,
        state: &mut dyn StateWrite,
        msg: &[u8],
        prepared: Prepared,
    ) -> Result<Vec<Event>, ModuleError> {
        let decoded = prepared.and_then(|p| p.downcast::<Vec<u8>>().ok()).expect("a prepared message");
        assert_eq!(*decoded, msg, "the prepared message is this transaction's");
        self.0.executed_prepared.fetch_add(1, Ordering::SeqCst);
        state.put(ctx.tx_id.0.as_slice(), msg.to_vec());
        Ok(vec![])
    }

    fn query(&self, _: &dyn StateRead, _: &str, _: &serde_json::Value) -> Result<serde_json::Value, ModuleError> {
        Ok(serde_json::Value::Null)
    }
}

fn ledger(validator: &Keypair, counting: &Arc<Counting>, dir: &tempfile::TempDir) -> Ledger {
    let store = Store::open(&dir.path().join("db.redb")).unwrap();
    let genesis = Genesis {
        chain_id: "counted-chain".into(),
        genesis_time_ms: 1_700_000_000_000,
        validators: vec![GenesisValidator { name: "city".into(), public_key: validator.public_key(), power: 1 }],
        modules: Default::default(),
    };
    let router = Router::new().with(Arc::new(Counted(counting.clone())));
    Ledger::open(store, router, genesis, LedgerConfig::default()).unwrap()
}

#[test]
fn an_admitted_message_is_not_decoded_again_for_its_block_and_another_validator_decodes_it_once() {
    let validator = Keypair::generate(Algorithm::Ed25519);
    let (here, there) = (Arc::new(Counting::default()), Arc::new(Counting::default()));
    let (d1, d2) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let (a, b) = (ledger(&validator, &here, &d1), ledger(&validator, &there, &d2));
    // Ten from each of four senders: no sender's share of a block is reached.
    let users: Vec<Keypair> = (0..4).map(|_| Keypair::generate(Algorithm::Ed25519)).collect();
    let expires = dojang_types::wall_clock_ms() + 60_000;
    let txs: Vec<Vec<u8>> = (0..40u64)
        .map(|n| {
            let user = &users[n as usize % 4];
            encode(&user.sign_tx(TxBody {
                chain_id: "counted-chain".into(),
                sender: user.public_key(),
                nonce: n,
                expires_at_ms: expires,
                module: "counted".into(),
                msg: format!("message {n}").into_bytes(),
            }))
        })
        .collect();
    let items: Vec<&[u8]> = txs.iter().map(Vec::as_slice).collect();
    assert!(a.submit_batch(&items).iter().all(Result::is_ok));
    assert_eq!(here.prepared.load(Ordering::SeqCst), 40, "admission prepares each message once");

    let block = a.propose(1, validator.public_key().address(), Duration::from_secs(1)).unwrap();
    assert_eq!(block.txs.len(), 40);
    assert_eq!(here.prepared.load(Ordering::SeqCst), 40, "the block used what admission prepared");
    assert_eq!(here.executed_prepared.load(Ordering::SeqCst), 40);
    assert_eq!(here.executed_raw.load(Ordering::SeqCst), 0);

    // A validator that admitted nothing prepares each message itself, once, and agrees.
    b.validate(&block).expect("the block is valid elsewhere");
    assert_eq!(there.prepared.load(Ordering::SeqCst), 40);
    assert_eq!(there.executed_prepared.load(Ordering::SeqCst), 40);
    let commit = Commit { height: 1, round: 0, block_hash: block.hash(), signatures: vec![] };
    a.commit(1, &block.hash(), commit.clone()).unwrap();
    b.commit(1, &block.hash(), commit).unwrap();
    assert_eq!(a.store().state_root(1).unwrap(), b.store().state_root(1).unwrap());
}
