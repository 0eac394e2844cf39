//! A node whose database was damaged while it was stopped refuses to start, says which height
//! is damaged and how to restore; restored from a backup or from its peers, it serves the chain
//! again. One validator and one observer on loopback; the observer's store is the one damaged.

mod common;

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use common::net::{free_base, height, wait_height};
use common::{anchoring_keys, init, NodeProcess, EXE};
use dojang_sdk::{Client, TxBuilder};
use dojang_types::{decode, encode, sha256, Block, Hash, Receipt, SignedTx, TxStatus};
use redb::{ReadableDatabase, TableDefinition};
use serde_json::json;

const MINUTE: Duration = Duration::from_secs(60);

/// Runs `dojang node` on a home expected to be refused: it must exit with status 3 within a
/// minute, without a panic or a backtrace (even with `RUST_BACKTRACE=1`). Returns its stderr.
fn refused_start(home: &Path) -> String {
    let mut child = Command::new(EXE)
        .args(["node", "--home"])
        .arg(home)
        .env_remove("RUST_LOG")
        .env("RUST_BACKTRACE", "1")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(60);
    let status = loop {
        if let Some(s) = child.try_wait().unwrap() {
            break s;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            panic!("a node on a damaged store was still running after 60 s");
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    let out = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr).to_string();
    let stdout = String::from_utf8_lossy(&out.stdout).to_string();
    assert_eq!(status.code(), Some(3), "the node exits with the damaged-store status: {stderr}");
    assert!(!stdout.contains("node ready"), "the node must not start: {stdout}");
    let lower = stderr.to_lowercase();
    assert!(!lower.contains("panicked") && !lower.contains("backtrace"), "no panic, no backtrace: {stderr}");
    assert!(!stderr.contains("Error:"), "one message, not an error chain: {stderr}");
    stderr
}

/// Asserts the message names the damaged height and both ways to restore, with the full path.
fn assert_refusal(stderr: &str, height: u64, data: &Path, what: &str) {
    let data = data.display().to_string();
    assert!(stderr.contains(&format!("damaged at height {height}:")), "{what}: names height {height}: {stderr}");
    assert!(stderr.contains(&format!("delete {data}")), "{what}: says to delete {data}: {stderr}");
    assert!(stderr.contains("api.peers") && stderr.contains("backup"), "{what}: both restore ways: {stderr}");
}

/// Flips one bit at `at` inside every copy of `needle` in the file: freed pages may keep stale
/// copies, and the live one is among them. (crates/store/tests has its own: test crates of two
/// packages cannot share a module without production code exporting it.)
fn flip_all(path: &Path, needle: &[u8], at: usize) -> usize {
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

/// Blocks 1..=upto must be byte-for-byte the same JSON on both nodes.
async fn same_blocks(a: &str, b: &str, upto: u64) {
    for h in 1..=upto {
        let (x, y) = (Client::new(a).block(h).await.unwrap(), Client::new(b).block(h).await.unwrap());
        assert_eq!(x, y, "block {h} differs between {a} and {b}");
    }
}

struct Anchored {
    tx: SignedTx,
    root: String,
    height: u64,
}

#[tokio::test(flavor = "multi_thread")]
async fn a_damaged_store_refuses_to_start_and_is_restored_from_a_backup_or_from_peers() {
    let dir = tempfile::tempdir().unwrap();
    let base = free_base(2);
    let out = Command::new(EXE)
        .args(["testnet", "--validators", "1", "--observers", "1", "--chain-id", "damage-test"])
        .args(["--base-port", &base.to_string(), "--dir"])
        .arg(dir.path())
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let (validator_home, observer_home) = (dir.path().join("node-0"), dir.path().join("node-1"));
    let observer_data: PathBuf = observer_home.join("data");
    let db = observer_data.join("ledger.redb");

    // The observer first, while the validator is not up: a warning, never an ERROR.
    let observer = NodeProcess::start_configured(&observer_home);
    let log = std::fs::read_to_string(&observer.stderr_log).unwrap();
    assert!(log.contains("peer not reachable"), "warned about the peer not up yet: {log}");
    assert!(!log.contains("ERROR"), "no ERROR while its peer is not up yet: {log}");
    let validator = NodeProcess::start_configured(&validator_home);
    let (v_url, o_url) = (validator.url.clone(), observer.url.clone());

    // Three anchors in three blocks, each with a root we can find in the file.
    let builder = TxBuilder::new("damage-test", anchoring_keys(&dir.path().join("keys")).remove(0));
    let mut anchored = Vec::new();
    for i in 0..3u8 {
        let root = sha256(&[b"damaged-store-test", &[i]]);
        let tx = builder.build("anchor", &json!({"type": "anchor", "namespace": "dmg", "root": root, "leaves": 1}));
        let s = Client::new(&v_url).submit(&tx, true).await.unwrap();
        let receipt = s.receipt.expect("committed in time");
        let height = receipt["height"].as_u64().unwrap();
        anchored.push(Anchored { tx, root: root.to_string(), height });
    }
    let last = anchored[2].height;
    wait_height(&o_url, last + 2, MINUTE).await;
    let tip = height(&o_url).await;
    observer.stop();
    let backup = dir.path().join("backup.redb");
    std::fs::copy(&db, &backup).unwrap();

    // 1. A transaction's body inside a stored block: its block no longer matches its txs_root.
    let a = &anchored[0];
    let in_block = format!("\"namespace\":\"dmg\",\"root\":\"{}\"", a.root);
    assert!(flip_all(&db, in_block.as_bytes(), in_block.len() - 5) >= 1, "the block's bytes are in the file");
    assert_refusal(&refused_start(&observer_home), a.height, &observer_data, "block value");
    std::fs::copy(&backup, &db).unwrap();

    // 2. The anchor's record in the latest-state table: redb's checksums notice, and the state
    // trie beside it, which still holds the record as written, ties the damage to the latest
    // block (the trie keeps no older state to trace it to the block that wrote it).
    let b = &anchored[1];
    let recorded = latest_height(&db);
    let in_state = format!("{{\"root\":\"{}\"", b.root);
    assert!(flip_all(&db, in_state.as_bytes(), in_state.len() - 5) >= 1, "the state record is in the file");
    let stderr = refused_start(&observer_home);
    assert_refusal(&stderr, recorded, &observer_data, "state table");
    assert!(stderr.contains("latest-state table disagrees with the state trie"), "{stderr}");
    std::fs::copy(&backup, &db).unwrap();

    // 3. A signature byte: no chain hash covers it (ids leave signatures out), only redb's page
    // checksums notice; the node still names the height.
    let c = &anchored[2];
    let dojang_types::Signature::Ed25519(sig) = c.tx.signature else { panic!("an ed25519 key signs") };
    assert!(flip_all(&db, &sig, 10) >= 1, "the signature is in the file");
    let stderr = refused_start(&observer_home);
    assert_refusal(&stderr, c.height, &observer_data, "signature");
    assert!(stderr.contains("integrity check failed"), "redb's own check noticed: {stderr}");

    // Restore from the backup: it starts and serves the chain as the validator does.
    std::fs::copy(&backup, &db).unwrap();
    let observer = NodeProcess::start_configured(&observer_home);
    same_blocks(&v_url, &observer.url, tip).await;
    observer.stop();

    // Restore from peers: delete data/ and start; it catches up and serves the same blocks
    // and transactions.
    std::fs::remove_dir_all(&observer_data).unwrap();
    let observer = NodeProcess::start_configured(&observer_home);
    wait_height(&observer.url, tip, MINUTE).await;
    same_blocks(&v_url, &observer.url, tip).await;
    for a in &anchored {
        let id: Hash = a.tx.id();
        let (x, y) = (Client::new(&v_url).tx(&id).await.unwrap(), Client::new(&observer.url).tx(&id).await.unwrap());
        assert_eq!(x, y, "transaction {id}");
        assert_eq!(y["receipt"]["height"].as_u64(), Some(a.height));
    }
    drop(validator);
}

/// Reads one value of a `u64`-keyed table of a stopped node's database with redb itself.
fn read_value(db: &Path, table: &str, key: u64) -> Vec<u8> {
    let db = redb::Database::create(db).unwrap();
    let r = db.begin_read().unwrap();
    let t = r.open_table(TableDefinition::<u64, &[u8]>::new(table)).unwrap();
    let v = t.get(key).unwrap().unwrap_or_else(|| panic!("{table} holds {key}")).value().to_vec();
    v
}

/// Replaces one value through redb itself: its page checksums stay valid, so only the chain's
/// own checks (hashes and roots against the headers) can notice.
fn rewrite(db: &Path, table: &str, key: u64, value: &[u8]) {
    let db = redb::Database::create(db).unwrap();
    let w = db.begin_write().unwrap();
    w.open_table(TableDefinition::<u64, &[u8]>::new(table)).unwrap().insert(key, value).unwrap();
    w.commit().unwrap();
}

fn latest_height(db: &Path) -> u64 {
    let db = redb::Database::create(db).unwrap();
    let r = db.begin_read().unwrap();
    let meta = r.open_table(TableDefinition::<&str, &[u8]>::new("meta")).unwrap();
    let v = meta.get("height").unwrap().expect("a recorded height").value().to_vec();
    u64::from_be_bytes(v.try_into().unwrap())
}

async fn status_of(url: &str) -> u16 {
    reqwest::get(url).await.unwrap().status().as_u16()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn damage_redb_cannot_see_is_never_served_and_at_the_tip_stops_the_start() {
    let dir = tempfile::tempdir().unwrap();
    let home = dir.path().join("node");
    init(&home, "checks-test");
    let (data, db) = (home.join("data"), home.join("data").join("ledger.redb"));
    let node = NodeProcess::start(&home);
    let builder = TxBuilder::new("checks-test", anchoring_keys(&home.join("keys")).remove(0));
    let mut anchored = Vec::new();
    for i in 0..2u8 {
        let root = sha256(&[b"chain-checks-test", &[i]]);
        let tx = builder.build("anchor", &json!({"type": "anchor", "namespace": "chk", "root": root, "leaves": 1}));
        let receipt = Client::new(&node.url).submit(&tx, true).await.unwrap().receipt.expect("committed in time");
        assert_eq!(receipt["result"]["status"], "ok", "{receipt}");
        anchored.push((tx, receipt["height"].as_u64().unwrap(), receipt["index"].as_u64().unwrap() as usize));
    }
    let ((a, a_height, a_index), (b, b_height, b_index)) = (&anchored[0], &anchored[1]);
    // Neither is in the latest block, which the start-up checks cover.
    wait_height(&node.url, b_height + 2, MINUTE).await;
    node.stop();

    // Transaction a's body altered inside its block (header kept), and transaction b's receipt
    // turned into a failure: valid encodings, written through redb.
    let mut block: Block = decode(&read_value(&db, "blocks", *a_height)).unwrap();
    assert_eq!(block.txs[*a_index].id(), a.id());
    block.txs[*a_index].body.nonce += 1;
    rewrite(&db, "blocks", *a_height, &encode(&block));
    let mut receipts: Vec<Receipt> = decode(&read_value(&db, "receipts", *b_height)).unwrap();
    assert_eq!(receipts[*b_index].tx_id, b.id());
    receipts[*b_index].result = TxStatus::Failed { code: "forged".into(), reason: "flipped on disk".into() };
    rewrite(&db, "receipts", *b_height, &encode(&receipts));

    // The latest block is intact, so the node starts; it serves neither damaged item, nor
    // syncs the damaged block to a peer, and still serves what is intact.
    let node = NodeProcess::start(&home);
    let url = &node.url;
    assert_eq!(status_of(&format!("{url}/v1/blocks/{a_height}")).await, 500, "the altered block");
    assert_eq!(status_of(&format!("{url}/v1/txs/{}", a.id())).await, 500, "the altered transaction");
    assert_eq!(status_of(&format!("{url}/v1/sync/blocks?from={a_height}&max=1")).await, 500, "sync of it");
    assert_eq!(status_of(&format!("{url}/v1/txs/{}", b.id())).await, 500, "the altered receipt");
    assert_eq!(status_of(&format!("{url}/v1/blocks/{b_height}")).await, 200, "block {b_height} itself is intact");
    assert_eq!(status_of(&format!("{url}/v1/blocks/{}", b_height + 1)).await, 200, "an intact block");
    let log_path = node.stderr_log.clone();
    node.stop();
    let log = std::fs::read_to_string(log_path).unwrap();
    assert!(log.contains(&format!("block {a_height}")), "the log names the damaged block: {log}");

    // The latest block's header altered through redb: redb's whole-file check passes, the
    // start-up checks of the chain refuse it and name its height.
    let tip = latest_height(&db);
    let mut block: Block = decode(&read_value(&db, "blocks", tip)).unwrap();
    block.header.time_ms += 1;
    rewrite(&db, "blocks", tip, &encode(&block));
    let stderr = refused_start(&home);
    assert_refusal(&stderr, tip, &data, "the latest header");
    assert!(!stderr.contains("integrity check failed"), "redb's own check saw nothing; the chain's did: {stderr}");
    assert!(stderr.contains("indexed"), "the header's hash is not the indexed one: {stderr}");
}
