//! What the store's test files share: a header, state changes, transactions and a small
//! chain committed block by block.

use std::collections::BTreeMap;

use dojang_crypto::Keypair;
use dojang_store::Store;
use dojang_types::{merkle_root, Address, Block, BlockHeader, Commit, Hash, Receipt, SignedTx, TxBody, TxStatus};

pub fn header(height: u64, state_root: Hash) -> BlockHeader {
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

pub fn changes(pairs: &[(&str, Option<&str>)]) -> BTreeMap<Vec<u8>, Option<Vec<u8>>> {
    pairs.iter().map(|(k, v)| (k.as_bytes().to_vec(), v.map(|v| v.as_bytes().to_vec()))).collect()
}

pub fn tx(n: u64) -> SignedTx {
    let key = Keypair::ed25519_from_seed([7; 32]);
    key.sign_tx(TxBody {
        chain_id: "t".into(),
        sender: key.public_key(),
        nonce: n,
        expires_at_ms: 1_000,
        module: "anchor".into(),
        msg: format!("{{\"marker\":\"tx-number-{n:04}\"}}").into_bytes(),
    })
}

/// The state changes of block `h` in [`chain`]: one new key.
pub fn block_changes(h: u64) -> BTreeMap<Vec<u8>, Option<Vec<u8>>> {
    let value = format!("state-value-at-{h:04}");
    changes(&[(&format!("k{h}"), Some(&value))])
}

/// Block `h` of [`chain`] with the given state root: two transactions (numbers 10h and
/// 10h+1), their receipts, and an (unsigned) commit.
pub fn chain_block(h: u64, state_root: Hash) -> (Block, Vec<Receipt>, Commit) {
    let txs = vec![tx(10 * h), tx(10 * h + 1)];
    let receipts: Vec<Receipt> = txs
        .iter()
        .enumerate()
        .map(|(i, t)| Receipt { tx_id: t.id(), height: h, index: i as u32, result: TxStatus::Ok, events: vec![] })
        .collect();
    let mut header = header(h, state_root);
    header.txs_root = Block::compute_txs_root(&txs);
    header.receipts_root = merkle_root(&receipts.iter().map(Receipt::commitment_bytes).collect::<Vec<_>>());
    let block = Block { header, txs };
    let commit = Commit { height: h, round: 0, block_hash: block.hash(), signatures: vec![] };
    (block, receipts, commit)
}

/// A chain of `blocks` blocks built from [`chain_block`] and committed one by one with their
/// roots computed, closed cleanly. Returns the blocks as committed.
pub fn chain(path: &std::path::Path, blocks: u64) -> Vec<(Block, Vec<Receipt>)> {
    let store = Store::open(path).unwrap();
    let g = store.prepare_state(0, changes(&[("a", Some("0"))])).unwrap();
    store.commit_genesis(Hash([1; 32]), &g).unwrap();
    let mut out = Vec::new();
    for h in 1..=blocks {
        let s = store.prepare_state(h, block_changes(h)).unwrap();
        let (block, receipts, commit) = chain_block(h, s.root);
        store.commit_block(&block, &receipts, &commit, &s, true).unwrap();
        out.push((block, receipts));
    }
    out
}
