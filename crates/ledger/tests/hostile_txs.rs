//! Transactions that must not stall a chain or fork it: a module that panics, a store that
//! fails under one transaction, refusal texts reworded between releases, and transactions that
//! expire in an observer's mempool.

use std::sync::Arc;
use std::time::Duration;

use dojang_crypto::{Algorithm, Keypair};
use dojang_ledger::{
    BlockApp, Genesis, GenesisValidator, Ledger, LedgerConfig, Module, ModuleError, Permit, Router, StateRead,
    StateWrite, StoreError, TxContext,
};
use dojang_store::Store;
use dojang_types::{encode, Commit, Event, SignedTx, TxBody, TxStatus};

/// A module whose messages say how to fail: `ok`, `panic`, `storage`, `refuse`.
struct Hostile {
    /// How this release words its refusal (the code stays `T-01`).
    wording: &'static str,
    /// Whether its stateless check panics on `check-panic` (a bug one release has).
    check_panics: bool,
}

impl Module for Hostile {
    fn name(&self) -> &'static str {
        "hostile"
    }

    fn init_genesis(&self, _: &mut dyn StateWrite, _: &serde_json::Value) -> Result<(), ModuleError> {
        Ok(())
    }

    fn check(&self, msg: &[u8]) -> Result<Permit, ModuleError> {
        match msg {
            b"check-panic" if self.check_panics => panic!("a bug in the module's check"),
            b"ok" | b"panic" | b"storage" | b"refuse" | b"check-panic" => Ok(Permit::OwnRules),
            _ => Err(ModuleError::InvalidMessage("unknown".into())),
        }
    }

    fn execute(&self, ctx: &TxContext, state: &mut dyn StateWrite, msg: &[u8]) -> Result<Vec<Event>, ModuleError> {
        state.put(ctx.tx_id.0.as_slice(), msg.to_vec());
        match msg {
            b"panic" => panic!("a bug in the module"),
            b"storage" => Err(ModuleError::Storage(StoreError::Db("the disk went away".into()))),
            b"refuse" => Err(ModuleError::Rejected { code: "T-01".into(), reason: self.wording.into() }),
            _ => Ok(vec![Event::new("hostile", "done")]),
        }
    }

    fn query(&self, _: &dyn StateRead, _: &str, _: &serde_json::Value) -> Result<serde_json::Value, ModuleError> {
        Ok(serde_json::Value::Null)
    }
}

struct Node {
    ledger: Ledger,
    _dir: tempfile::TempDir,
}

fn genesis(validator: &Keypair) -> Genesis {
    Genesis {
        chain_id: "hostile-chain".into(),
        genesis_time_ms: 1_700_000_000_000,
        validators: vec![GenesisValidator { name: "city".into(), public_key: validator.public_key(), power: 1 }],
        modules: Default::default(),
    }
}

fn node(validator: &Keypair, wording: &'static str) -> Node {
    node_with(validator, Hostile { wording, check_panics: false })
}

fn node_with(validator: &Keypair, module: Hostile) -> Node {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(&dir.path().join("db.redb")).unwrap();
    let router = Router::new().with(Arc::new(module));
    let ledger = Ledger::open(store, router, genesis(validator), LedgerConfig::default()).unwrap();
    Node { ledger, _dir: dir }
}

fn now_ms() -> u64 {
    dojang_types::wall_clock_ms()
}

fn tx(k: &Keypair, nonce: u64, msg: &[u8], expires_at_ms: u64) -> SignedTx {
    k.sign_tx(TxBody {
        chain_id: "hostile-chain".into(),
        sender: k.public_key(),
        nonce,
        expires_at_ms,
        module: "hostile".into(),
        msg: msg.to_vec(),
    })
}

fn propose_and_commit(n: &Node) -> dojang_types::Block {
    let height = n.ledger.next_height();
    let proposer = n.ledger.validators()[0].address;
    let block = n.ledger.propose(height, proposer, Duration::from_secs(1)).unwrap();
    let commit = Commit { height, round: 0, block_hash: block.hash(), signatures: vec![] };
    n.ledger.commit(height, &block.hash(), commit).unwrap();
    block
}

#[test]
fn a_panicking_module_or_a_failing_store_does_not_stall_block_production() {
    let validator = Keypair::generate(Algorithm::Ed25519);
    let n = node(&validator, "refused");
    let user = Keypair::generate(Algorithm::Ed25519);
    let expires = now_ms() + 60_000;
    let panics = n.ledger.submit(&encode(&tx(&user, 1, b"panic", expires))).unwrap();
    let storage = n.ledger.submit(&encode(&tx(&user, 2, b"storage", expires))).unwrap();
    let fine = n.ledger.submit(&encode(&tx(&user, 3, b"ok", expires))).unwrap();

    let block = propose_and_commit(&n);
    let ids: Vec<_> = block.txs.iter().map(|t| t.id()).collect();
    assert_eq!(ids, vec![panics, fine], "the store failure is left out, the rest are in");
    // Another validator executing the same block reaches the same verdicts: the panic is
    // recorded as the same failure there, so the header (receipts and state roots) agrees.
    let other = node(&validator, "refused");
    other.ledger.validate(&block).expect("the block with a panicking transaction is valid elsewhere");
    let commit = Commit { height: 1, round: 0, block_hash: block.hash(), signatures: vec![] };
    other.ledger.commit(1, &block.hash(), commit).unwrap();
    assert_eq!(other.ledger.receipt(&panics).unwrap().unwrap().0, n.ledger.receipt(&panics).unwrap().unwrap().0);
    let (receipt, _) = n.ledger.receipt(&panics).unwrap().unwrap();
    match receipt.result {
        TxStatus::Failed { code, reason } => {
            assert_eq!(code, "internal_error");
            assert!(reason.contains("module 'hostile' failed"), "{reason}");
        }
        other => panic!("a panic is recorded as a failure, got {other:?}"),
    }
    assert!(receipt.events.is_empty());
    assert_eq!(n.ledger.receipt(&fine).unwrap().unwrap().0.result, TxStatus::Ok);
    // The panicking transaction's write was discarded with it.
    assert_eq!(n.ledger.store().get_state(&[b"hostile/".as_slice(), panics.0.as_slice()].concat()).unwrap(), None);
    assert!(n.ledger.receipt(&storage).unwrap().is_none());
    assert_eq!(n.ledger.mempool_len(), 0, "the transaction the store failed on was evicted");

    // And the chain goes on: the next blocks are built and committed.
    n.ledger.submit(&encode(&tx(&user, 4, b"ok", expires))).unwrap();
    assert_eq!(propose_and_commit(&n).txs.len(), 1);
    assert_eq!(propose_and_commit(&n).header.height, 3);
}

#[test]
fn a_check_that_panics_on_a_proposed_block_refuses_the_block_and_the_node_goes_on() {
    let validator = Keypair::generate(Algorithm::Ed25519);
    let users: Vec<Keypair> = (0..4).map(|_| Keypair::generate(Algorithm::Ed25519)).collect();
    let expires = now_ms() + 60_000;
    // Few transactions (checked one after another) and many (checked on all cores), from a
    // few senders so no sender's share of a block is reached.
    for size in [3u64, 40] {
        let lenient = node_with(&validator, Hostile { wording: "refused", check_panics: false });
        let buggy = node_with(&validator, Hostile { wording: "refused", check_panics: true });
        for i in 0..size {
            let msg: &[u8] = if i == size / 2 { b"check-panic" } else { b"ok" };
            lenient.ledger.submit(&encode(&tx(&users[i as usize % 4], i, msg, expires))).unwrap();
        }
        let block = lenient.ledger.propose(1, validator.public_key().address(), Duration::from_secs(1)).unwrap();
        assert_eq!(block.txs.len() as u64, size);
        match buggy.ledger.validate(&block) {
            Err(dojang_ledger::LedgerError::InvalidBlock(why)) => {
                assert!(why.contains("the module's check failed on this message"), "{why}")
            }
            other => panic!("{size} transactions: {other:?}"),
        }
        // Submitted to it directly, the same message is refused, and the node goes on.
        let refused = buggy.ledger.submit(&encode(&tx(&users[1], 999, b"check-panic", expires)));
        assert!(format!("{refused:?}").contains("the module's check failed on this message"), "{refused:?}");
        // Submitted among others in one batch (checked together), only it is refused.
        let batch: Vec<Vec<u8>> = (0..size)
            .map(|i| {
                let msg: &[u8] = if i == size / 2 { b"check-panic" } else { b"ok" };
                encode(&tx(&users[i as usize % 4], 2_000 + i, msg, expires))
            })
            .collect();
        // And among them, bytes that are no transaction and a transaction already expired:
        // each verdict stays with its own item.
        let mut batch = batch;
        batch.insert(0, b"not a transaction".to_vec());
        batch.push(encode(&tx(&users[3], 3_000, b"ok", now_ms() - 1)));
        let items: Vec<&[u8]> = batch.iter().map(Vec::as_slice).collect();
        let verdicts = buggy.ledger.submit_batch(&items);
        assert_eq!(verdicts.len() as u64, size + 2);
        assert!(verdicts[0].is_err() && verdicts[size as usize + 1].is_err(), "{verdicts:?}");
        assert!(format!("{:?}", verdicts[size as usize + 1]).to_lowercase().contains("expire"), "{verdicts:?}");
        for (i, verdict) in verdicts[1..=size as usize].iter().enumerate() {
            if i as u64 == size / 2 {
                assert!(format!("{verdict:?}").contains("the module's check failed on this message"), "{verdict:?}");
            } else {
                assert!(verdict.is_ok(), "transaction {i} of {size}: {verdict:?}");
            }
        }
        // The node that refused the block still builds its own.
        buggy.ledger.submit(&encode(&tx(&users[0], 1_000, b"ok", expires))).unwrap();
        assert_eq!(propose_and_commit(&buggy).txs.len() as u64, size);
    }
}

#[test]
fn a_block_carrying_an_admitted_transaction_under_another_signature_is_refused() {
    let validator = Keypair::generate(Algorithm::Ed25519);
    let user = Keypair::generate(Algorithm::Ed25519);
    let proposer = node(&validator, "refused");
    let holder = node(&validator, "refused");
    let genuine = tx(&user, 1, b"ok", now_ms() + 60_000);
    holder.ledger.submit(&encode(&genuine)).unwrap();
    proposer.ledger.submit(&encode(&genuine)).unwrap();
    let block = proposer.ledger.propose(1, validator.public_key().address(), Duration::from_secs(1)).unwrap();
    assert_eq!(block.txs, vec![genuine.clone()]);
    // The proposer swaps in a copy with the same body (so the same id, the same header) and a
    // signature that is not the sender's: the id covers the body only.
    let mut forged = genuine.clone();
    forged.signature = Keypair::generate(Algorithm::Ed25519).sign_tx(genuine.body.clone()).signature;
    assert_eq!(forged.id(), genuine.id());
    let mut bad = block.clone();
    bad.txs = vec![forged];
    match holder.ledger.validate(&bad) {
        Err(dojang_ledger::LedgerError::InvalidBlock(why)) => assert!(why.contains("signature"), "{why}"),
        other => panic!("the node that holds the genuine transaction accepted a forged copy: {other:?}"),
    }
}

#[test]
fn rewording_a_refusal_does_not_change_the_block() {
    let validator = Keypair::generate(Algorithm::Ed25519);
    let old_release = node(&validator, "the rule refuses this");
    let new_release = node(&validator, "this is refused by rule T-01 (reworded)");
    let user = Keypair::generate(Algorithm::Ed25519);
    let t = tx(&user, 1, b"refuse", now_ms() + 60_000);
    old_release.ledger.submit(&encode(&t)).unwrap();
    let block = propose_and_commit(&old_release);
    // A validator running the reworded release executes the same block and agrees on every
    // header field, the receipts root included.
    new_release.ledger.validate(&block).expect("same header whatever the wording");
    let commit = Commit { height: 1, round: 0, block_hash: block.hash(), signatures: vec![] };
    new_release.ledger.commit(1, &block.hash(), commit).unwrap();
    let (old_receipt, _) = old_release.ledger.receipt(&t.id()).unwrap().unwrap();
    let (new_receipt, _) = new_release.ledger.receipt(&t.id()).unwrap().unwrap();
    assert_ne!(old_receipt, new_receipt, "each node keeps its own wording for people");
    assert_eq!(old_receipt.commitment_bytes(), new_receipt.commitment_bytes());
    // The code is committed: a different code is a different root.
    let mut other = old_receipt.clone();
    other.result = TxStatus::Failed { code: "T-02".into(), reason: "the rule refuses this".into() };
    assert_ne!(other.commitment_bytes(), old_receipt.commitment_bytes());
}

#[test]
fn an_observer_evicts_expired_transactions_on_every_block() {
    let validator = Keypair::generate(Algorithm::Ed25519);
    let proposer = node(&validator, "x");
    let observer = node(&validator, "x");
    let user = Keypair::generate(Algorithm::Ed25519);
    // Admitted at the observer only (it never proposes), expiring in half a second.
    let soon = now_ms() + 500;
    observer.ledger.submit(&encode(&tx(&user, 1, b"ok", soon))).unwrap();
    let later = observer.ledger.submit(&encode(&tx(&user, 2, b"ok", now_ms() + 60_000))).unwrap();
    assert_eq!(observer.ledger.mempool_len(), 2);
    std::thread::sleep(Duration::from_millis(600));
    // The proposer's block (time after the expiry) reaches the observer, which validates and
    // commits it without ever building a block itself.
    let block = propose_and_commit(&proposer);
    assert!(block.header.time_ms > soon);
    observer.ledger.validate(&block).unwrap();
    let commit = Commit { height: 1, round: 0, block_hash: block.hash(), signatures: vec![] };
    observer.ledger.commit(1, &block.hash(), commit).unwrap();
    assert_eq!(observer.ledger.mempool_len(), 1, "the expired one left; the live one stays");
    assert!(observer.ledger.has_waiting_txs());
    // The live one is still proposable from the observer's pool.
    let height = observer.ledger.next_height();
    let own = observer.ledger.propose(height, observer.ledger.validators()[0].address, Duration::from_secs(1)).unwrap();
    assert_eq!(own.txs.iter().map(|t| t.id()).collect::<Vec<_>>(), vec![later]);
}

/// A batch large enough to be admitted on several cores still gets one verdict per item, in
/// the order sent: the good ones their ids, the garbage and the messages the module refuses
/// their errors.
#[test]
fn a_large_batch_gets_one_verdict_per_transaction_in_order() {
    let validator = Keypair::generate(Algorithm::Ed25519);
    let n = node(&validator, "refused");
    let user = Keypair::generate(Algorithm::Ed25519);
    let expires = now_ms() + 60_000;
    let items: Vec<Vec<u8>> = (0..100u64)
        .map(|i| match i % 10 {
            3 => b"not a transaction".to_vec(),
            5 => encode(&tx(&user, i, b"unknown", expires)),
            _ => encode(&tx(&user, i, b"ok", expires)),
        })
        .collect();
    let refs: Vec<&[u8]> = items.iter().map(|b| b.as_slice()).collect();
    let verdicts = n.ledger.submit_batch(&refs);
    assert_eq!(verdicts.len(), 100);
    for (i, v) in verdicts.iter().enumerate() {
        match i % 10 {
            3 | 5 => assert!(v.is_err(), "item {i}: {v:?}"),
            _ => assert_eq!(v.as_ref().ok(), Some(&SignedTx::decode(&items[i]).unwrap().id()), "item {i}"),
        }
    }
    assert_eq!(n.ledger.mempool_len(), 80);
}
