//! Measures what the start-up integrity check costs on a store of a given size (for
//! docs/operations.md): `cargo run -p dojang-store --example check_cost -- DIR BLOCKS TXS`
//! writes BLOCKS blocks of TXS anchor-sized transactions (each also writing one state key)
//! into DIR/db.redb unless it exists, then times a plain open, redb's whole-file check, the
//! latest-block checks and the full damage scan. Signatures are dummies: the store never
//! checks them.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::time::Instant;

use dojang_store::Store;
use dojang_types::{
    merkle_root, Address, Block, BlockHeader, Commit, Hash, PublicKey, Receipt, Signature, SignedTx, TxBody, TxStatus,
};

fn build(path: &std::path::Path, blocks: u64, txs: u64) -> anyhow::Result<()> {
    let store = Store::open(path)?;
    let genesis = store.prepare_state(0, BTreeMap::from([(b"genesis".to_vec(), Some(b"0".to_vec()))]))?;
    store.commit_genesis(Hash([1; 32]), &genesis)?;
    let mut prev = Hash::default();
    for h in 1..=blocks {
        let txs: Vec<SignedTx> = (0..txs)
            .map(|i| SignedTx {
                body: TxBody {
                    chain_id: "cost".into(),
                    sender: PublicKey::Ed25519([(i % 251) as u8; 32]),
                    nonce: h * 1_000_000 + i,
                    expires_at_ms: u64::MAX,
                    module: "anchor".into(),
                    msg: format!(
                        "{{\"leaves\":1,\"namespace\":\"cost\",\"root\":\"{:064x}\",\"type\":\"anchor\"}}",
                        h * 1_000_000 + i
                    )
                    .into_bytes(),
                },
                signature: Signature::Ed25519([7; 64]),
            })
            .collect();
        let changes = txs
            .iter()
            .map(|t| (t.id().0.to_vec(), Some(format!("{{\"height\":{h},\"record\":\"{}\"}}", t.id()).into_bytes())))
            .collect();
        let state = store.prepare_state(h, changes)?;
        let receipts: Vec<Receipt> = txs
            .iter()
            .enumerate()
            .map(|(i, t)| Receipt { tx_id: t.id(), height: h, index: i as u32, result: TxStatus::Ok, events: vec![] })
            .collect();
        let leaves: Vec<Vec<u8>> = receipts.iter().map(Receipt::commitment_bytes).collect();
        let header = BlockHeader {
            chain_id: "cost".into(),
            height: h,
            time_ms: h,
            prev_hash: prev,
            txs_root: Block::compute_txs_root(&txs),
            receipts_root: merkle_root(&leaves),
            state_root: state.root,
            validators_hash: Hash::default(),
            proposer: Address::default(),
        };
        let block = Block { header, txs };
        let commit = Commit { height: h, round: 0, block_hash: block.hash(), signatures: vec![] };
        store.commit_block(&block, &receipts, &commit, &state, h == blocks || h % 50 == 0)?;
        prev = block.hash();
    }
    Ok(())
}

fn main() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args().collect();
    anyhow::ensure!(args.len() >= 4, "usage: check_cost DIR BLOCKS TXS_PER_BLOCK [plain|checked]");
    let only = args.get(4).map(String::as_str);
    let path = PathBuf::from(&args[1]).join("db.redb");
    let (blocks, txs): (u64, u64) = (args[2].parse()?, args[3].parse()?);
    if !path.exists() {
        let t = Instant::now();
        build(&path, blocks, txs)?;
        println!("built {blocks} blocks x {txs} txs in {:.1} s", t.elapsed().as_secs_f64());
    }
    let mb = Store::disk_bytes(&path) as f64 / 1e6;
    // Run one of the opens alone to time it on a cold page cache.
    if only != Some("checked") {
        let t = Instant::now();
        let store = Store::open(&path)?;
        println!("file {mb:.0} MB; plain open {:.2} s", t.elapsed().as_secs_f64());
        drop(store);
    }
    if only == Some("plain") {
        return Ok(());
    }
    let t = Instant::now();
    let (store, _) = Store::open_checked(&path, Default::default())?;
    let redb = t.elapsed().as_secs_f64();
    let t = Instant::now();
    store.check_latest().map_err(|d| anyhow::anyhow!("{d}"))?;
    let latest = t.elapsed().as_secs_f64();
    println!("redb check (every page) {redb:.2} s ({:.0} MB/s); latest-block checks {latest:.3} s", mb / redb);
    drop(store);
    if only == Some("checked") {
        return Ok(());
    }
    let t = Instant::now();
    let found = Store::open_read_only(&path)?.find_damage()?;
    println!("full damage scan {:.1} s (found {found:?})", t.elapsed().as_secs_f64());
    Ok(())
}
