//! Catch-up segments: certified blocks written without their roots computed, the trie moved
//! once per segment and its root checked against the segment's last header.

use dojang_crypto::verify_state_proof;
use dojang_store::{Store, StoreError, TrieOpened, MAX_SEGMENT_BLOCKS};
use dojang_types::{Block, Hash};

mod common;
use common::{block_changes, chain, chain_block, changes};

/// A store at genesis, as [`chain`] starts one.
fn genesis(path: &std::path::Path) -> Store {
    let store = Store::open(path).unwrap();
    let g = store.prepare_state(0, changes(&[("a", Some("0"))])).unwrap();
    store.commit_genesis(Hash([1; 32]), &g).unwrap();
    store
}

/// Writes `blocks` (as another node certified them) as catch-up does: each state deferred,
/// its root taken from the header.
fn commit_deferred(store: &Store, blocks: &[Block]) -> Result<(), StoreError> {
    for block in blocks {
        let h = block.header.height;
        let s = store.defer_state(h, block_changes(h), block.header.state_root);
        let (_, receipts, commit) = chain_block(h, block.header.state_root);
        store.commit_block(block, &receipts, &commit, &s, false)?;
    }
    Ok(())
}

#[test]
fn a_segment_gives_the_roots_its_headers_claim_and_proves_the_trie_height_meanwhile() {
    let dir = tempfile::tempdir().unwrap();
    let reference: Vec<Block> = chain(&dir.path().join("reference.redb"), 6).into_iter().map(|(b, _)| b).collect();

    let path = dir.path().join("follower.redb");
    let store = genesis(&path);
    commit_deferred(&store, &reference[..2]).unwrap();
    let s3 = store.prepare_state(3, block_changes(3)).unwrap();
    assert_eq!(s3.root, reference[2].header.state_root, "preparing a computed root finishes the segment first");
    drop(s3);

    commit_deferred(&store, &reference[2..5]).unwrap();
    assert!(store.segment_open());
    assert_eq!(store.latest_height().unwrap(), Some(5));
    // Proofs come from the trie, which holds block 2's state until the segment ends.
    let proof = store.prove(b"k4").unwrap();
    assert_eq!((proof.version, proof.value.as_deref()), (2, None));
    assert_eq!(proof.root, reference[1].header.state_root);
    assert!(verify_state_proof(b"k4", None, &proof.root, &proof.proof).is_ok());

    store.finish_segment().unwrap();
    assert!(!store.segment_open());
    let proof = store.prove(b"k4").unwrap();
    assert_eq!((proof.version, proof.value.as_deref()), (5, Some(&b"state-value-at-0004"[..])));
    assert_eq!(proof.root, reference[4].header.state_root);
    assert!(verify_state_proof(b"k4", proof.value.as_deref(), &proof.root, &proof.proof).is_ok());
    assert_eq!(store.latest_state_root().unwrap(), (5, reference[4].header.state_root));
}

#[test]
fn a_segment_whose_root_does_not_match_is_undone_whole() {
    let dir = tempfile::tempdir().unwrap();
    let reference: Vec<Block> = chain(&dir.path().join("reference.redb"), 4).into_iter().map(|(b, _)| b).collect();
    let path = dir.path().join("follower.redb");
    let store = genesis(&path);
    commit_deferred(&store, &reference[..1]).unwrap();
    store.finish_segment().unwrap();

    // Block 3's header claims a root its state does not give.
    let mut forged = reference[2].clone();
    forged.header.state_root = Hash([9; 32]);
    commit_deferred(&store, &[reference[1].clone(), forged]).unwrap();
    assert_eq!(store.latest_height().unwrap(), Some(3));
    match store.finish_segment() {
        Err(StoreError::SegmentMismatch { from: 2, to: 3, computed, claimed }) => {
            assert_eq!(computed, reference[2].header.state_root);
            assert_eq!(claimed, Hash([9; 32]));
        }
        other => panic!("expected a mismatch for blocks 2 to 3, got {other:?}"),
    }
    // redb is back at block 1: blocks, transactions and state of 2 and 3 are gone.
    assert_eq!(store.latest_height().unwrap(), Some(1));
    assert!(store.block(2).unwrap().is_none());
    assert_eq!(store.get_state(b"k2").unwrap(), None);
    assert_eq!(store.get_state(b"k1").unwrap().as_deref(), Some(&b"state-value-at-0001"[..]));
    assert_eq!(store.latest_state_root().unwrap(), (1, reference[0].header.state_root));

    // The right blocks are then taken, and the store opens again as it was left.
    commit_deferred(&store, &reference[1..4]).unwrap();
    store.finish_segment().unwrap();
    drop(store);
    let store = Store::open(&path).unwrap();
    assert_eq!(store.trie_opened(), TrieOpened::AsItWas);
    assert_eq!(store.latest_state_root().unwrap(), (4, reference[3].header.state_root));
}

#[test]
fn a_clean_close_finishes_the_open_segment() {
    let dir = tempfile::tempdir().unwrap();
    let reference: Vec<Block> = chain(&dir.path().join("reference.redb"), 3).into_iter().map(|(b, _)| b).collect();
    let path = dir.path().join("follower.redb");
    {
        let store = genesis(&path);
        commit_deferred(&store, &reference).unwrap();
        assert!(store.segment_open());
    }
    let store = Store::open(&path).unwrap();
    assert_eq!(store.trie_opened(), TrieOpened::AsItWas, "the trie took the segment before the close");
    assert_eq!(store.latest_state_root().unwrap(), (3, reference[2].header.state_root));
}

#[test]
fn a_block_keeping_a_proof_ends_its_segment_and_the_proof_is_kept_at_its_height() {
    let dir = tempfile::tempdir().unwrap();
    let reference: Vec<Block> = chain(&dir.path().join("reference.redb"), 3).into_iter().map(|(b, _)| b).collect();
    let path = dir.path().join("follower.redb");
    let store = genesis(&path);
    commit_deferred(&store, &reference[..1]).unwrap();
    let block = &reference[1];
    let mut s = store.defer_state(2, block_changes(2), block.header.state_root);
    s.keep_proof_of(b"k2");
    let (_, receipts, commit) = chain_block(2, block.header.state_root);
    store.commit_block(block, &receipts, &commit, &s, false).unwrap();
    assert!(!store.segment_open());
    commit_deferred(&store, &reference[2..]).unwrap();
    store.finish_segment().unwrap();

    let kept = store.kept_proof(b"k2", 3).unwrap().expect("the proof kept at block 2");
    assert_eq!((kept.version, kept.root), (2, block.header.state_root));
    assert!(verify_state_proof(b"k2", kept.value.as_deref(), &kept.root, &kept.proof).is_ok());
}

#[test]
fn a_full_segment_ends_by_itself() {
    let dir = tempfile::tempdir().unwrap();
    let n = MAX_SEGMENT_BLOCKS + 2;
    let reference: Vec<Block> = chain(&dir.path().join("reference.redb"), n).into_iter().map(|(b, _)| b).collect();
    let path = dir.path().join("follower.redb");
    let store = genesis(&path);
    commit_deferred(&store, &reference[..MAX_SEGMENT_BLOCKS as usize]).unwrap();
    assert!(!store.segment_open(), "the segment ended at its {MAX_SEGMENT_BLOCKS}th block");
    assert_eq!(store.latest_state_root().unwrap().0, MAX_SEGMENT_BLOCKS);
    commit_deferred(&store, &reference[MAX_SEGMENT_BLOCKS as usize..]).unwrap();
    assert!(store.segment_open());
    store.finish_segment().unwrap();
    assert_eq!(store.latest_state_root().unwrap(), (n, reference[n as usize - 1].header.state_root));
}
