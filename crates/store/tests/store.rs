use std::collections::BTreeMap;

use dojang_crypto::verify_state_proof as verify_proof;
use dojang_store::Store;
use dojang_types::{Address, Block, BlockHeader, Commit, Hash};

fn header(height: u64, state_root: Hash) -> BlockHeader {
    BlockHeader {
        chain_id: "t".into(),
        height,
        time_ms: height,
        prev_hash: Hash::default(),
        txs_root: Hash::default(),
        receipts_root: Hash::default(),
        state_root,
        validators_hash: Hash::default(),
        proposer: Address::default(),
    }
}

fn changes(pairs: &[(&str, Option<&str>)]) -> BTreeMap<Vec<u8>, Option<Vec<u8>>> {
    pairs.iter().map(|(k, v)| (k.as_bytes().to_vec(), v.map(|v| v.as_bytes().to_vec()))).collect()
}

#[test]
fn blocks_and_state_survive_reopen_with_proofs() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("db.redb");
    let root1;
    {
        let store = Store::open(&path).unwrap();
        let g = store.prepare_state(0, changes(&[("a", Some("1"))])).unwrap();
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
    let p = store.prove(b"b", 1).unwrap();
    verify_proof(b"b", Some(b"x"), &root1, &p.proof).unwrap();
    assert!(verify_proof(b"b", Some(b"y"), &root1, &p.proof).is_err(), "a changed value fails");
    let old = store.prove(b"a", 0).unwrap();
    assert_eq!(old.value.as_deref(), Some(&b"1"[..]), "old versions stay provable");
    let absent = store.prove(b"zz", 1).unwrap();
    verify_proof(b"zz", None, &root1, &absent.proof).unwrap();
    assert!(verify_proof(b"b", Some(b"x"), &root1, b"garbage").is_err());
    assert_eq!(store.scan_prefix(b"", None, 10).unwrap().len(), 2);
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
