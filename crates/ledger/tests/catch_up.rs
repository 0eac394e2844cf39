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

#[test]
fn subscribers_hear_of_caught_up_blocks_once_their_segment_holds() {
    let validator = Keypair::generate(Algorithm::Ed25519);
    let (source, batch) = certified_chain(&validator);
    let follower = node(&validator);
    let mut events = follower.ledger.subscribe();
    assert_eq!(follower.ledger.apply_decided(&batch).unwrap(), 3);
    let heard: Vec<u64> = std::iter::from_fn(|| events.try_recv().ok()).map(|c| c.block.header.height).collect();
    assert_eq!(heard, vec![1, 2, 3]);
    // The state the follower proves is the certified one, at the head.
    let proof = follower.ledger.store().prove(b"ledger/height").unwrap();
    let source_proof = source.ledger.store().prove(b"ledger/height").unwrap();
    assert_eq!((proof.version, proof.root), (source_proof.version, source_proof.root));
    assert_eq!(proof.version, 3);
}

#[test]
fn a_certified_state_root_this_node_does_not_reach_undoes_the_segment_and_tells_no_one() {
    let validator = Keypair::generate(Algorithm::Ed25519);
    let (_source, mut batch) = certified_chain(&validator);
    // Block 3 as validators running other software would have certified it: another root.
    let mut block: Block = dojang_types::decode(&batch[2].0).unwrap();
    block.header.state_root = dojang_types::Hash([7; 32]);
    let forged = (encode(&block), certify(&validator, &block));
    let honest = std::mem::replace(&mut batch[2], forged);

    let follower = node(&validator);
    let mut events = follower.ledger.subscribe();
    let err = follower.ledger.apply_decided(&batch).unwrap_err().to_string();
    assert!(err.contains("blocks 1 to 3") && err.contains("state root"), "{err}");
    assert_eq!(follower.ledger.head().0, 0, "the whole segment is undone, the head with it");
    assert_eq!(follower.ledger.store().latest_height().unwrap(), Some(0));
    assert!(events.try_recv().is_err(), "no subscriber heard of the undone blocks");
    assert_eq!(follower.ledger.committed_tx_count(), 0);

    // The certified chain is then taken as usual.
    batch[2] = honest;
    assert_eq!(follower.ledger.apply_decided(&batch).unwrap(), 3);
    assert_eq!(follower.ledger.committed_tx_count(), 120);
}
