use dojang_crypto::verify_state_proof as verify_proof;
use dojang_store::{Store, TrieOpened};
use dojang_types::{Block, Commit, Hash};

mod common;
use common::{chain, changes, header, tx};

#[test]
fn blocks_and_state_survive_reopen_with_proofs() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("db.redb");
    let (root0, root1);
    {
        let store = Store::open(&path).unwrap();
        let mut g = store.prepare_state(0, changes(&[("a", Some("1"))])).unwrap();
        g.keep_proof_of(b"a");
        root0 = g.root;
        store.commit_genesis(Hash([1; 32]), &g).unwrap();
        let s1 = store.prepare_state(1, changes(&[("a", Some("2")), ("b", Some("x"))])).unwrap();
        root1 = s1.root;
        let block = Block { header: header(1, s1.root), txs: vec![] };
        store.put_pending(&block).unwrap();
        let commit = Commit { height: 1, round: 0, block_hash: block.hash(), signatures: vec![] };
        store.commit_block(&block, &[], &commit, &s1, true).unwrap();
        assert!(store.get_pending(1, &block.hash()).unwrap().is_none(), "pending is cleared on commit");
    }
    let store = Store::open(&path).unwrap();
    assert_eq!(store.latest_height().unwrap(), Some(1));
    assert_eq!(store.get_state(b"a").unwrap().as_deref(), Some(&b"2"[..]));
    assert_eq!(store.state_root(1).unwrap(), root1);
    assert!(matches!(store.state_root(0), Err(StoreError::NotKept { version: 0, latest: 1 })));
    let p = store.prove(b"b").unwrap();
    assert_eq!((p.version, p.root, p.value.as_deref()), (1, root1, Some(&b"x"[..])));
    verify_proof(b"b", Some(b"x"), &root1, &p.proof).unwrap();
    assert!(verify_proof(b"b", Some(b"y"), &root1, &p.proof).is_err(), "a changed value fails");
    let a = store.prove(b"a").unwrap();
    assert_eq!(a.value.as_deref(), Some(&b"2"[..]), "the latest value");
    verify_proof(b"a", Some(b"2"), &root1, &a.proof).unwrap();
    let absent = store.prove(b"zz").unwrap();
    assert_eq!(absent.value, None);
    verify_proof(b"zz", None, &root1, &absent.proof).unwrap();
    assert!(verify_proof(b"b", Some(b"x"), &root1, b"garbage").is_err());
    assert_eq!(store.scan_prefix(b"", None, 10).unwrap().len(), 2);

    // The proof genesis asked to keep still proves the value it had then, against its root.
    let kept = store.kept_proof(b"a", 1).unwrap().expect("kept at genesis");
    assert_eq!((kept.version, kept.root, kept.value.as_deref()), (0, root0, Some(&b"1"[..])));
    verify_proof(b"a", Some(b"1"), &root0, &kept.proof).unwrap();
    assert!(verify_proof(b"a", Some(b"1"), &root1, &kept.proof).is_err(), "not against the later root");
    assert_eq!(store.kept_proof(b"b", 1).unwrap(), None, "only asked-for keys are kept");
}

/// The trie is derived from the latest-state table: lost, it is rebuilt to the same root and
/// proves again; ahead of redb (a crash between the two stores, here a database put back three
/// blocks), it is rolled back to redb's block.
#[test]
fn a_lost_trie_is_rebuilt_and_a_trie_ahead_of_the_database_is_rolled_back() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("db.redb");
    let blocks = chain(&path, 3);
    assert_eq!(Store::open(&path).unwrap().trie_opened(), TrieOpened::AsItWas, "a clean stop leaves it at block 3");
    std::fs::remove_dir_all(dojang_store::trie_dir(&path)).unwrap();
    let store = Store::open(&path).unwrap();
    assert_eq!(store.trie_opened(), TrieOpened::Rebuilt);
    assert_eq!(store.state_root(3).unwrap(), blocks[2].0.header.state_root);
    let p = store.prove(b"k2").unwrap();
    verify_proof(b"k2", Some(b"state-value-at-0002"), &blocks[2].0.header.state_root, &p.proof).unwrap();
    assert_eq!(store.find_damage().unwrap(), None);

    // The database as of block 3, the trie as of block 6.
    let at3 = dir.path().join("at3.redb");
    store.snapshot_to(&at3).unwrap();
    for h in 4..=6u64 {
        let s = store.prepare_state(h, changes(&[(&format!("k{h}"), Some("later"))])).unwrap();
        let block = Block { header: header(h, s.root), txs: vec![] };
        let commit = Commit { height: h, round: 0, block_hash: block.hash(), signatures: vec![] };
        store.commit_block(&block, &[], &commit, &s, true).unwrap();
    }
    drop(store);
    std::fs::rename(&at3, &path).unwrap();
    let store = Store::open(&path).unwrap();
    assert_eq!(store.trie_opened(), TrieOpened::RolledBack(3), "rolled back, not rebuilt");
    assert_eq!(store.latest_height().unwrap(), Some(3));
    assert_eq!(store.state_root(3).unwrap(), blocks[2].0.header.state_root);
    let absent = store.prove(b"k4").unwrap();
    verify_proof(b"k4", None, &blocks[2].0.header.state_root, &absent.proof).unwrap();
}

/// A store from before the state moved to NOMT carries jmt roots in its headers, which no trie
/// reproduces: it is refused with what to do, and left as it was.
#[test]
fn a_store_written_with_the_jmt_state_is_refused_and_left_alone() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("db.redb");
    {
        let db = redb::Database::create(&path).unwrap();
        let w = db.begin_write().unwrap();
        let def: redb::TableDefinition<&[u8], &[u8]> = redb::TableDefinition::new("jmt_nodes");
        w.open_table(def).unwrap().insert(&b"node"[..], &b"bytes"[..]).unwrap();
        w.commit().unwrap();
    }
    let e = Store::open(&path).err().expect("refused").to_string();
    assert!(e.contains("before the state moved to NOMT") && e.contains("empty data directory"), "{e}");
    assert!(!dojang_store::trie_dir(&path).exists(), "no trie was made beside it");
    let db = redb::Database::create(&path).unwrap();
    let r = redb::ReadableDatabase::begin_read(&db).unwrap();
    let def: redb::TableDefinition<&[u8], &[u8]> = redb::TableDefinition::new("jmt_nodes");
    assert!(r.open_table(def).unwrap().get(&b"node"[..]).unwrap().is_some(), "its tables are as they were");
}

/// A latest-state value rewritten through redb (so redb's checksums hold) is found against the
/// trie, which still gives the header's root; and with the trie gone too, the rebuilt trie
/// does not give the header's root, so the store refuses to open.
#[test]
fn a_state_value_rewritten_through_redb_is_found_and_not_rebuilt_into_the_trie() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("db.redb");
    chain(&path, 3);
    {
        let db = redb::Database::create(&path).unwrap();
        let w = db.begin_write().unwrap();
        let def: redb::TableDefinition<&[u8], &[u8]> = redb::TableDefinition::new("state_latest");
        w.open_table(def).unwrap().insert(&b"k2"[..], &b"state-value-at-9999"[..]).unwrap();
        w.commit().unwrap();
    }
    let store = Store::open(&path).expect("the trie still gives the header's root");
    let damage = store.find_damage().unwrap().expect("the deep scan finds it");
    assert_eq!(damage.height, Some(3), "{damage}");
    assert!(damage.what.contains("latest-state table disagrees"), "{damage}");
    drop(store);
    std::fs::remove_dir_all(dojang_store::trie_dir(&path)).unwrap();
    let e = corrupt_text(Store::open(&path).err().expect("refused"));
    assert!(e.contains("latest-state table gives state root") && e.contains("block 3"), "{e}");
}

#[test]
fn out_of_order_blocks_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(&dir.path().join("db.redb")).unwrap();
    let g = store.prepare_state(0, changes(&[("a", Some("1"))])).unwrap();
    store.commit_genesis(Hash::default(), &g).unwrap();
    let s = store.prepare_state(2, changes(&[("a", Some("2"))])).unwrap();
    let block = Block { header: header(2, s.root), txs: vec![] };
    let commit = Commit { height: 2, round: 0, block_hash: block.hash(), signatures: vec![] };
    assert!(store.commit_block(&block, &[], &commit, &s, true).is_err());
}

// ---- integrity on read -------------------------------------------------------------------

use dojang_store::StoreError;
use dojang_types::{decode, encode, TxStatus};

/// Flips one byte inside every copy of `needle` in the file (freed pages may hold stale
/// copies; the live one is among them). Returns how many copies were changed.
fn flip_all(path: &std::path::Path, needle: &[u8], at: usize) -> usize {
    let mut data = std::fs::read(path).unwrap();
    let mut n = 0;
    let mut from = 0;
    while let Some(i) = data[from..].windows(needle.len()).position(|w| w == needle) {
        data[from + i + at] ^= 0x01;
        from += i + needle.len();
        n += 1;
    }
    std::fs::write(path, data).unwrap();
    n
}

/// Replaces one value of a `u64`-keyed table through redb itself, so that redb's page checksums
/// stay valid and only the chain's own checks can notice.
fn rewrite(path: &std::path::Path, table: &str, key: u64, value: &[u8]) {
    let db = redb::Database::create(path).unwrap();
    let w = db.begin_write().unwrap();
    w.open_table(redb::TableDefinition::<u64, &[u8]>::new(table)).unwrap().insert(key, value).unwrap();
    w.commit().unwrap();
}

fn corrupt_text(e: StoreError) -> String {
    match e {
        StoreError::Corrupt(m) => m,
        other => panic!("expected Corrupt, got {other:?}"),
    }
}

#[test]
fn stored_blocks_are_exactly_their_encoding_and_served_after_checks() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("db.redb");
    let blocks = chain(&path, 3);
    let store = Store::open(&path).unwrap();
    for (block, _) in &blocks {
        let h = block.header.height;
        assert_eq!(store.block_bytes(h).unwrap().unwrap(), encode(block), "block {h} is stored as its encoding");
        assert_eq!(store.block(h).unwrap().as_ref(), Some(block));
    }
    assert!(store.block(4).unwrap().is_none(), "a height not reached is absent, not an error");
}

#[test]
fn a_block_altered_on_disk_is_refused_on_read_with_corrupt_naming_its_height() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("db.redb");
    let blocks = chain(&path, 3);
    let altered_tx = &blocks[1].0.txs[0]; // block 2
    assert!(flip_all(&path, b"tx-number-0020", 10) >= 1, "the transaction's bytes are in the file");

    let store = Store::open(&path).unwrap();
    let e = corrupt_text(store.block(2).unwrap_err());
    assert!(e.contains("block 2") && e.contains("txs_root"), "{e}");
    let e = corrupt_text(store.block_bytes(2).unwrap_err());
    assert!(e.contains("block 2"), "{e}");
    assert_eq!(store.block(1).unwrap().as_ref(), Some(&blocks[0].0), "an intact block is still served");
    assert_eq!(store.block(3).unwrap().as_ref(), Some(&blocks[2].0));
    let e = corrupt_text(store.committed_tx(&altered_tx.id()).unwrap_err());
    assert!(e.contains("block 2") && e.contains("transaction 0"), "{e}");
    drop(store);

    let damage = Store::open_read_only(&path).unwrap().find_damage().unwrap().expect("damage is found");
    assert_eq!(damage.height, Some(2), "{damage}");
    let e = corrupt_text(Store::open_checked(&path, Default::default()).err().expect("redb's check refuses the file"));
    assert!(e.contains("integrity"), "{e}");
}

#[test]
fn a_header_altered_on_disk_is_refused_because_its_hash_is_not_indexed() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("db.redb");
    let blocks = chain(&path, 2);
    // The state root appears in the header only (the tree stores child hashes, not its root).
    let root = blocks[1].0.header.state_root.0;
    assert!(flip_all(&path, &root, 0) >= 1);
    let store = Store::open(&path).unwrap();
    let e = corrupt_text(store.block(2).unwrap_err());
    assert!(e.contains("block 2") && e.contains("indexed"), "{e}");
}

#[test]
fn a_transaction_read_by_location_is_exactly_the_committed_one() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("db.redb");
    let blocks = chain(&path, 3);
    let store = Store::open(&path).unwrap();
    let mut read = 0;
    for (block, receipts) in &blocks {
        for (i, (t, r)) in block.txs.iter().zip(receipts).enumerate() {
            let got = store.committed_tx(&t.id()).unwrap().expect("committed");
            assert_eq!((&got.tx, &got.receipt, got.height, got.index), (t, r, block.header.height, i as u32));
            read += 1;
        }
    }
    assert_eq!(read, 6);
    assert!(store.committed_tx(&Hash([9; 32])).unwrap().is_none(), "an unknown id is absent");
}

#[test]
fn an_altered_transaction_is_refused_when_read_by_location() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("db.redb");
    let blocks = chain(&path, 2);
    let (victim, neighbour) = (&blocks[0].0.txs[1], &blocks[0].0.txs[0]);
    assert!(flip_all(&path, b"tx-number-0011", 12) >= 1);
    let store = Store::open(&path).unwrap();
    let e = corrupt_text(store.committed_tx(&victim.id()).unwrap_err());
    assert!(e.contains("block 1") && e.contains(&victim.id().to_string()), "{e}");
    let got = store.committed_tx(&neighbour.id()).unwrap().expect("the neighbour is intact");
    assert_eq!(&got.tx, neighbour, "the intact transaction beside it is still served exactly");
}

#[test]
fn index_entries_written_before_spans_are_still_read() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("db.redb");
    let blocks = chain(&path, 2);
    let t = &blocks[1].0.txs[1];
    {
        // Rewrite one entry in the old 12-byte form: height || index.
        let db = redb::Database::create(&path).unwrap();
        let w = db.begin_write().unwrap();
        {
            let def: redb::TableDefinition<&[u8], &[u8]> = redb::TableDefinition::new("tx_index");
            let mut table = w.open_table(def).unwrap();
            let old = [&2u64.to_be_bytes()[..], &1u32.to_be_bytes()].concat();
            table.insert(t.id().0.as_slice(), old.as_slice()).unwrap();
        }
        w.commit().unwrap();
    }
    let store = Store::open(&path).unwrap();
    let got = store.committed_tx(&t.id()).unwrap().expect("found through the old entry");
    assert_eq!((&got.tx, got.height, got.index), (t, 2, 1));
    assert_eq!(&got.receipt, &blocks[1].1[1], "with its receipt");
}

// ---- integrity at start -----------------------------------------------------------------

#[test]
fn the_latest_block_checks_out_on_an_intact_store_and_redb_finds_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("db.redb");
    let blocks = chain(&path, 3);
    let (store, check) = Store::open_checked(&path, Default::default()).unwrap();
    assert!(!check.rolled_back);
    let latest = store.check_latest().unwrap().expect("a block");
    assert_eq!(latest.block, blocks[2].0);
    assert_eq!(latest.commit.block_hash, blocks[2].0.hash());
    assert_eq!(store.find_damage().unwrap(), None, "the deep scan finds nothing on an intact store");
}

/// Flipped bytes in the latest-state table fail redb's page checksums; the read-only scan that
/// locates the damage reads the state trie beside the file, which still holds the value as
/// written, and ties the damage to the latest block (the trie keeps no older state).
#[test]
fn a_flipped_state_value_fails_redbs_check_and_is_found_against_the_trie() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("db.redb");
    chain(&path, 4);
    assert!(flip_all(&path, b"state-value-at-0002", 5) >= 1);
    assert!(Store::open_checked(&path, Default::default()).is_err(), "redb's page checksums notice");
    let store = Store::open_read_only(&path).unwrap();
    assert!(store.has_state_trie());
    let damage = store.find_damage().unwrap().expect("damage is found");
    assert_eq!(damage.height, Some(4), "{damage}");
    assert!(damage.what.contains("latest-state table disagrees"), "{damage}");
    drop(store);
    std::fs::remove_dir_all(dojang_store::trie_dir(&path)).unwrap();
    let store = Store::open_read_only(&path).unwrap();
    assert!(!store.has_state_trie());
    assert_eq!(store.find_damage().unwrap(), None, "without the trie, every block checks out and no state is judged");
}

#[test]
fn the_latest_block_checks_name_its_height_when_it_was_altered() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("db.redb");
    chain(&path, 3);
    assert!(flip_all(&path, b"tx-number-0031", 12) >= 1);
    // A plain open trusts the file (redb's check would refuse it first); the latest-block
    // checks still see that block 3's transactions no longer match its header.
    let damage = Store::open(&path).unwrap().check_latest().unwrap_err();
    assert_eq!(damage.height, Some(3), "{damage}");
    assert!(damage.what.contains("txs_root"), "{damage}");
}

// ---- damage redb cannot see: values rewritten through redb ----------------------------------

#[test]
fn a_receipt_rewritten_through_redb_is_refused_on_every_read_path() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("db.redb");
    let blocks = chain(&path, 3);
    // The latest block's second receipt now says the transaction failed: a valid encoding, in a
    // page redb checksummed itself, so only the header's receipts_root can tell.
    let mut receipts = blocks[2].1.clone();
    receipts[1].result = TxStatus::Failed { code: "forged".into(), reason: "flipped on disk".into() };
    rewrite(&path, "receipts", 3, &encode(&receipts));

    let (store, check) =
        Store::open_checked(&path, Default::default()).expect("redb's page checksums see nothing wrong");
    assert!(!check.rolled_back);
    let e = corrupt_text(store.receipts(3).unwrap_err());
    assert!(e.contains("block 3") && e.contains("receipts_root"), "{e}");
    for t in &blocks[2].0.txs {
        // Both receipts of the block are refused: the root covers them all.
        let e = corrupt_text(store.committed_tx(&t.id()).unwrap_err());
        assert!(e.contains("block 3") && e.contains("receipts_root"), "{e}");
    }
    assert_eq!(store.receipts(2).unwrap().as_ref(), Some(&blocks[1].1), "intact receipts are still served");
    let got = store.committed_tx(&blocks[1].0.txs[0].id()).unwrap().expect("an intact transaction");
    assert_eq!(got.receipt, blocks[1].1[0]);
    let damage = store.check_latest().unwrap_err();
    assert_eq!(damage.height, Some(3), "{damage}");
    assert!(damage.what.contains("receipts_root"), "{damage}");
    let damage = store.find_damage().unwrap().expect("the deep scan finds it");
    assert_eq!(damage.height, Some(3), "{damage}");
    drop(store);

    // Through an index entry of the old form (no spans), the whole-block path checks it too.
    let t = &blocks[2].0.txs[0];
    {
        let db = redb::Database::create(&path).unwrap();
        let w = db.begin_write().unwrap();
        let def: redb::TableDefinition<&[u8], &[u8]> = redb::TableDefinition::new("tx_index");
        let old = [&3u64.to_be_bytes()[..], &0u32.to_be_bytes()].concat();
        w.open_table(def).unwrap().insert(t.id().0.as_slice(), old.as_slice()).unwrap();
        w.commit().unwrap();
    }
    let e = corrupt_text(Store::open(&path).unwrap().committed_tx(&t.id()).unwrap_err());
    assert!(e.contains("block 3") && e.contains("receipts_root"), "{e}");
}

#[test]
fn a_certificate_or_block_rewritten_through_redb_is_refused_naming_its_height() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("db.redb");
    let blocks = chain(&path, 3);
    // Block 2's certificate now names block 1.
    let wrong = Commit { height: 2, round: 0, block_hash: blocks[0].0.hash(), signatures: vec![] };
    rewrite(&path, "commits", 2, &encode(&wrong));
    {
        let (store, _) =
            Store::open_checked(&path, Default::default()).expect("redb's page checksums see nothing wrong");
        let e = corrupt_text(store.commit(2).unwrap_err());
        assert!(e.contains("block 2") && e.contains("certificate"), "{e}");
        assert_eq!(store.commit(3).unwrap().unwrap().block_hash, blocks[2].0.hash(), "others are served");
        let damage = store.find_damage().unwrap().expect("the deep scan finds it");
        assert_eq!(damage.height, Some(2), "{damage}");
        assert!(store.check_latest().is_ok(), "the latest block is intact");
    }
    let right = Commit { height: 2, round: 0, block_hash: blocks[1].0.hash(), signatures: vec![] };
    rewrite(&path, "commits", 2, &encode(&right));

    // The latest block with a transaction's body changed under an unchanged header.
    let (mut block, _) = blocks[2].clone();
    let other = tx(999);
    block.txs[0] = other;
    rewrite(&path, "blocks", 3, &encode(&block));
    let (store, _) = Store::open_checked(&path, Default::default()).expect("redb's page checksums see nothing wrong");
    let e = corrupt_text(store.block_bytes(3).unwrap_err());
    assert!(e.contains("block 3") && e.contains("txs_root"), "{e}");
    let damage = store.check_latest().unwrap_err();
    assert_eq!(damage.height, Some(3), "{damage}");
    assert!(damage.what.contains("txs_root"), "{damage}");
    assert_eq!(decode::<Block>(&store.block_bytes(2).unwrap().unwrap()).unwrap(), blocks[1].0);
}

#[test]
fn a_snapshot_of_a_live_store_is_the_store_as_of_one_block_and_checks_out() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("db.redb");
    let blocks = chain(&path, 3);
    let store = Store::open(&path).unwrap();
    let out = dir.path().join("backup.redb");
    let snap = store.snapshot_to(&out).unwrap();
    assert_eq!(snap.height, 3);
    assert_eq!(snap.bytes, std::fs::metadata(&out).unwrap().len());
    assert!(!dir.path().join("backup.redb.partial").exists(), "no partial file is left");
    // The live store goes on; the copy stays as of block 3.
    let s = store.prepare_state(4, changes(&[("k4", Some("later"))])).unwrap();
    let block = Block { header: header(4, s.root), txs: vec![] };
    let commit = Commit { height: 4, round: 0, block_hash: block.hash(), signatures: vec![] };
    store.commit_block(&block, &[], &commit, &s, true).unwrap();
    assert!(store.snapshot_to(&out).is_err(), "an existing file is never overwritten");
    drop(store);
    let (copy, check) = Store::open_checked(&out, Default::default()).unwrap();
    assert!(!check.rolled_back);
    assert_eq!(copy.latest_height().unwrap(), Some(3));
    let latest = copy.check_latest().unwrap().expect("a block");
    assert_eq!(latest.block, blocks[2].0);
    assert_eq!(copy.find_damage().unwrap(), None);
    assert_eq!(copy.get_state(b"k3").unwrap().as_deref(), Some(&b"state-value-at-0003"[..]));
    assert_eq!(copy.get_state(b"k4").unwrap(), None);
    assert_eq!(copy.genesis_hash().unwrap(), Some(Hash([1; 32])));
    let p = copy.prove(b"k2").unwrap();
    assert_eq!(p.version, 3);
    verify_proof(b"k2", Some(b"state-value-at-0002"), &blocks[2].0.header.state_root, &p.proof).unwrap();
}

/// The commit's stage timings are computed only when debug logging is on; they once
/// subtracted durations counted from different starts and panicked the node's commit.
#[test]
fn blocks_commit_with_the_stores_debug_log_on() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("ledger.redb");
    let subscriber = tracing_subscriber::fmt().with_max_level(tracing::Level::DEBUG).with_test_writer().finish();
    let blocks = tracing::subscriber::with_default(subscriber, || chain(&path, 3));
    assert_eq!(blocks.len(), 3);
    let store = Store::open(&path).unwrap();
    assert_eq!(store.latest_height().unwrap(), Some(3));
}
