//! Catching up from certified blocks, with each block's signatures and messages checked on
//! another thread while the one before executes: the same chain results, and a certified block
//! whose transaction signatures were altered in transit is refused. A transaction's id (and so
//! the header's `txs_root` that the certificate covers) leaves its signature out, so only the
//! signature check itself can catch that.

mod common;

use std::time::Duration;

use common::{certify, node, note, Node};
use dojang_crypto::{Algorithm, Keypair};
use dojang_ledger::BlockApp;
use dojang_types::{encode, Block, Commit, Signature};

/// Three blocks of 40 notes from 40 accounts, each certified, as a peer serves them.
fn certified_chain(validator: &Keypair) -> (Node, Vec<(Vec<u8>, Commit)>) {
    let source = node(validator);
    let mut batch = Vec::new();
    for b in 0..3u64 {
        for i in 0..40u64 {
            source.ledger.submit(&encode(&note(b * 100 + i, &format!("{b}/{i}")))).unwrap();
        }
        let height = source.ledger.next_height();
        let proposer = source.ledger.validators()[0].address;
        let block = source.ledger.propose(height, proposer, Duration::from_secs(5)).unwrap();
        assert_eq!(block.txs.len(), 40, "every note in its block");
        let commit = certify(validator, &block);
        source.ledger.commit(height, &block.hash(), commit.clone()).unwrap();
        batch.push((encode(&block), commit));
    }
    (source, batch)
}

#[test]
fn a_follower_catches_up_certified_blocks_to_the_same_chain() {
    let validator = Keypair::generate(Algorithm::Ed25519);
    let (source, batch) = certified_chain(&validator);
    let follower = node(&validator);
    assert_eq!(follower.ledger.apply_decided(&batch).unwrap(), 3);
    assert_eq!(follower.ledger.head(), source.ledger.head(), "the same head block, hash and time");
    assert_eq!(follower.ledger.committed_tx_count(), 120);
    // Applying the same batch again skips what is already applied.
    assert_eq!(follower.ledger.apply_decided(&batch).unwrap(), 0);
}

#[test]
fn a_certified_block_with_an_altered_signature_is_refused_and_the_blocks_before_it_stay() {
    let validator = Keypair::generate(Algorithm::Ed25519);
    let (_source, mut batch) = certified_chain(&validator);
    // Block 2's 7th signature altered in transit: its header, and so its certificate, still
    // check, since a transaction's id leaves its signature out.
    let mut block: Block = dojang_types::decode(&batch[1].0).unwrap();
    let hash = block.hash();
    let Signature::Ed25519(sig) = &mut block.txs[6].signature else { unreachable!("Ed25519 senders") };
    sig[10] ^= 0x01;
    assert_eq!(block.hash(), hash, "the certificate still covers the altered block");
    batch[1].0 = encode(&block);

    let follower = node(&validator);
    let err = follower.ledger.apply_decided(&batch).unwrap_err().to_string();
    assert!(err.contains(&block.txs[6].id().to_string()) && err.contains("signature"), "{err}");
    assert_eq!(follower.ledger.head().0, 1, "block 1 stays applied; neither block 2 nor block 3 is");
    assert_eq!(follower.ledger.committed_tx_count(), 40);
}
