//! The pipelined block cycle (decision 0029): a decided block is written without an fsync, its
//! certificate kept durably first, and the disk's wait taken beside the next block's
//! execution. After a crash in between, the node recovers the block from its certificate and
//! its pending copy when it opens; a certificate that does not finalize the block stops it.
//! (`crates/node/tests/crash_recovery.rs` kills a real node in that window.)

mod common;

use std::time::Duration;

use common::{certify, node, note, open_ledger};
use dojang_crypto::{Algorithm, Keypair};
use dojang_ledger::{BlockApp, Ledger};
use dojang_types::{decode, encode, Block, Commit};

fn propose_notes(ledger: &Ledger, notes: u64) -> Block {
    for i in 0..notes {
        ledger.submit(&encode(&note(i, &format!("{i}")))).unwrap();
    }
    let height = ledger.next_height();
    let proposer = ledger.validators()[0].address;
    ledger.propose(height, proposer, Duration::from_secs(5)).unwrap()
}

#[test]
fn a_decided_block_waits_for_the_disk_beside_the_next_blocks_execution() {
    let validator = Keypair::generate(Algorithm::Ed25519);
    let n = node(&validator);
    let block = propose_notes(&n.ledger, 30);
    let commit = certify(&validator, &block);
    let waits = n.ledger.store().commit_times().count;
    n.ledger.commit(1, &block.hash(), commit.clone()).unwrap();
    assert_eq!(n.ledger.head().0, 1, "decided and applied");
    assert_eq!(n.ledger.committed_tx_count(), 30, "its receipts reported");
    assert_eq!(
        n.ledger.store().commit_times().count,
        waits + 2,
        "the decision waited on the disk twice: the certificate, then the state trie's commit"
    );
    assert!(n.ledger.store().needs_flush(), "and not for the block: it waits for the next execution");
    let kept: Commit = decode(&std::fs::read(n.ledger.store().decided_path()).unwrap()).unwrap();
    assert_eq!(kept, commit, "the certificate is kept before the block is written");
    // The next block's execution makes the block durable beside it.
    let next = propose_notes(&n.ledger, 5);
    assert_eq!(next.header.height, 2);
    assert_eq!(n.ledger.store().commit_times().count, waits + 3, "the flush ran with block 2's execution");
    assert!(!n.ledger.store().needs_flush());
    n.ledger.commit(2, &next.hash(), certify(&validator, &next)).unwrap();

    // A clean stop leaves the store complete (closing the database persists block 2), so the
    // node opens at its head with nothing to recover.
    let head = n.ledger.head();
    let dir = n.dir;
    drop(n.ledger);
    let store = dojang_store::Store::open(&dir.path().join("db.redb")).unwrap();
    assert_eq!(store.latest_height().unwrap(), Some(2), "block 2 is in the file itself");
    drop(store);
    let reopened = open_ledger(dir.path(), &validator).unwrap();
    assert_eq!(reopened.head(), head);
    assert_eq!(reopened.unrecovered_decision().unwrap(), None);
}

/// A crash after the decision and before the block's write reached the disk leaves a store one
/// block behind its kept certificate, with the block in the pending table; a follower that
/// validated the block and holds the source's certificate is in exactly that state.
#[test]
fn a_block_decided_before_a_crash_is_recovered_from_its_certificate_and_pending_copy() {
    let validator = Keypair::generate(Algorithm::Ed25519);
    let source = node(&validator);
    let block = propose_notes(&source.ledger, 40);
    source.ledger.commit(1, &block.hash(), certify(&validator, &block)).unwrap();

    let crashed = node(&validator);
    crashed.ledger.validate(&block).unwrap();
    assert_eq!(crashed.ledger.head().0, 0);
    std::fs::copy(source.ledger.store().decided_path(), crashed.ledger.store().decided_path()).unwrap();
    let dir = crashed.dir;
    drop(crashed.ledger);

    let recovered = open_ledger(dir.path(), &validator).unwrap();
    assert_eq!(recovered.head(), source.ledger.head(), "the same block at the same height");
    assert_eq!(recovered.committed_tx_count(), 40);
    let first = block.txs[0].id();
    assert_eq!(recovered.receipt(&first).unwrap().map(|(r, _)| r.height), Some(1), "its receipts are there");
    drop(recovered);
    // Opening again finds nothing more to recover.
    let again = open_ledger(dir.path(), &validator).unwrap();
    assert_eq!(again.head(), source.ledger.head());
    assert_eq!(again.unrecovered_decision().unwrap(), None);
}

/// A store that cannot be brought to the kept height here (the block is not in its pending
/// table, or the certificate is further ahead, as beside a restored backup) opens, but says how
/// far this node went: the node then runs consensus only after catching up that far.
#[test]
fn a_decision_the_store_cannot_reach_is_reported_not_ignored() {
    let validator = Keypair::generate(Algorithm::Ed25519);
    let source = node(&validator);
    let block = propose_notes(&source.ledger, 10);
    let commit = certify(&validator, &block);
    source.ledger.commit(1, &block.hash(), commit.clone()).unwrap();

    let behind = node(&validator);
    let path = behind.ledger.store().decided_path();
    std::fs::write(&path, encode(&commit)).unwrap();
    let dir = behind.dir;
    drop(behind.ledger);
    let opened = open_ledger(dir.path(), &validator).unwrap();
    assert_eq!(opened.head().0, 0, "nothing to re-execute without the block");
    assert_eq!(opened.unrecovered_decision().unwrap(), Some(1));
    drop(opened);

    let ahead = Commit { height: 7, ..commit };
    std::fs::write(&path, encode(&ahead)).unwrap();
    let opened = open_ledger(dir.path(), &validator).unwrap();
    assert_eq!(opened.unrecovered_decision().unwrap(), Some(7));
    // Catching up below the kept height (block 1, as catch-up applies it) still reports it.
    opened.apply_decided(&[(encode(&block), certify(&validator, &block))]).unwrap();
    assert_eq!(opened.head().0, 1);
    assert_eq!(opened.unrecovered_decision().unwrap(), Some(7));
    // A kept certificate at or below the head is nothing to report.
    std::fs::write(&path, encode(&certify(&validator, &block))).unwrap();
    assert_eq!(opened.unrecovered_decision().unwrap(), None);
}

#[test]
fn a_kept_certificate_that_does_not_finalize_its_block_stops_the_node_with_what_is_wrong() {
    let validator = Keypair::generate(Algorithm::Ed25519);
    let block = propose_notes(&node(&validator).ledger, 10);
    let crashed = node(&validator);
    crashed.ledger.validate(&block).unwrap();
    let mut forged = certify(&validator, &block);
    forged.signatures[0].signature[5] ^= 0x01;
    std::fs::write(crashed.ledger.store().decided_path(), encode(&forged)).unwrap();
    let dir = crashed.dir;
    drop(crashed.ledger);
    let err = open_ledger(dir.path(), &validator).err().expect("a forged certificate is refused").to_string();
    assert!(err.contains("does not finalize it") && err.contains("block 1"), "{err}");

    std::fs::write(dir.path().join("db.redb.decided"), b"not a certificate").unwrap();
    let err = open_ledger(dir.path(), &validator).err().expect("a damaged file is refused").to_string();
    assert!(err.contains("db.redb.decided does not decode") && err.contains("remove it"), "{err}");
}
