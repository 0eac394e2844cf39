//! kill -9 under load, then restart: nothing acknowledged committed is lost (including what
//! was acknowledged in the instant before the kill), every receipt reads back as it was
//! acknowledged, the state root recomputed from the blocks equals the stored one, and the
//! chain continues. And kill -9 inside the pipelined cycle's window (decision 0029), between a
//! block reported final and its write reaching the disk: the block is recovered.

mod common;

use std::time::{Duration, Instant};

use common::{anchoring_keys, assert_acks_hold, init, Ack, Load, NodeProcess};
use dojang_sdk::{Client, TxBuilder};
use dojang_store::Store;
use dojang_types::Hash;
use serde_json::json;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kill_9_under_load_loses_nothing_and_the_chain_continues() {
    let dir = tempfile::tempdir().unwrap();
    let home = dir.path().join("node");
    init(&home, "crash-test");
    let mut acknowledged: Vec<Ack> = Vec::new();
    let mut last_height = 0;

    for round in 0..3u8 {
        let node = NodeProcess::start(&home);
        let client = Client::new(&node.url);
        let height = client.status().await.unwrap()["height"].as_u64().unwrap();
        assert!(height >= last_height, "round {round}: restarted at {height}, below {last_height}");

        // Everything acknowledged before earlier crashes is still there, with its receipt.
        assert_acks_hold(&node.url, &acknowledged).await;

        // Load with submit-and-wait until the very moment of the kill: once it is in full
        // swing, SIGKILL lands right as the next acknowledgement comes back, while the other
        // senders' transactions are in flight.
        let load = Load::start(vec![node.url.clone()], "crash-test", &anchoring_keys(&home.join("keys")), round, 20);
        load.wait_for(150, Duration::from_secs(60)).await;
        load.next_ack(Duration::from_secs(30)).await;
        let killed_at = Instant::now();
        node.kill9();
        let acks = load.stop();
        let last = acks.iter().map(|a| a.at).max().unwrap();
        let top = acks.iter().map(|a| a.receipt["height"].as_u64().unwrap()).max().unwrap();
        eprintln!(
            "round {round}: killed at height {top} or beyond, {} transactions acknowledged, the last {:?} before SIGKILL",
            acks.len(),
            killed_at.saturating_duration_since(last)
        );
        assert!(acks.len() >= 150, "round {round}: the load was acknowledged");
        last_height = top;
        acknowledged.extend(acks);
    }

    // The chain continues after the last crash, with every acknowledged transaction.
    let node = NodeProcess::start(&home);
    let client = Client::new(&node.url);
    assert_acks_hold(&node.url, &acknowledged).await;
    let b = TxBuilder::new("crash-test", anchoring_keys(&home.join("keys")).remove(0));
    let s = client
        .submit(
            &b.build("anchor", &json!({"type": "anchor", "namespace": "after", "root": Hash::default(), "leaves": 1})),
            true,
        )
        .await
        .unwrap();
    assert!(s.receipt.is_some(), "a new transaction is finalized after recovery");
    let stderr = std::fs::read_to_string(&node.stderr_log).unwrap();
    node.stop();
    eprintln!("{} acknowledged transactions found after three crashes", acknowledged.len());

    // Replay every block into a fresh ledger: same state roots at every height.
    let stored = Store::open(&home.join("data").join("ledger.redb")).unwrap();
    let latest = stored.latest_height().unwrap().unwrap();
    assert!(latest > last_height, "the chain continued after restart");
    drop(stored);
    let out = std::process::Command::new(common::EXE).arg("verify").arg("--home").arg(&home).output().unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{text}{}", String::from_utf8_lossy(&out.stderr));
    assert!(text.contains(&format!("verified {latest} blocks")), "{text}");
    assert!(!stderr.contains(" ERROR "), "no error log lines on a healthy single validator:\n{stderr}");
}

/// A block decided and reported final is written without an fsync until the next block
/// executes beside its flush (decision 0029). With a ten-minute idle interval no next block
/// comes, so SIGKILL right after the receipt lands inside that window, every time. The
/// restarted node recovers the block from its kept certificate and pending copy (and says so),
/// answers the same receipt, and goes on.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_kill_between_a_final_block_and_its_flush_loses_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let home = dir.path().join("node");
    init(&home, "crash-window");
    let idle =
        [("DOJANG_CONSENSUS__IDLE_BLOCK_INTERVAL_MS", "600000"), ("DOJANG_API__HEALTH_MAX_BLOCK_AGE_MS", "1200000")];
    let node = NodeProcess::start_with_env(&home, &idle);
    let client = Client::new(&node.url);
    let b = TxBuilder::new("crash-window", anchoring_keys(&home.join("keys")).remove(0));
    let anchor =
        |namespace: &str| json!({"type": "anchor", "namespace": namespace, "root": Hash::default(), "leaves": 1});
    let s = client.submit(&b.build("anchor", &anchor("window")), true).await.unwrap();
    let receipt = s.receipt.expect("final within the wait");
    let height = receipt["height"].as_u64().unwrap();
    let block = client.block(height).await.unwrap();
    node.kill9();

    let node = NodeProcess::start_with_env(&home, &idle);
    let client = Client::new(&node.url);
    let got = client.tx(&s.id).await.expect("the transaction reported final is there after the crash");
    assert_eq!(got["receipt"], receipt, "with the receipt it was reported final with");
    assert_eq!(client.block(height).await.unwrap(), block, "the same block at its height");
    let next = client.submit(&b.build("anchor", &anchor("after")), true).await.unwrap();
    assert!(next.receipt.is_some(), "the chain goes on");
    let stderr = std::fs::read_to_string(&node.stderr_log).unwrap();
    node.stop();
    assert!(
        stderr.lines().any(|l| l.contains("recovered the block decided before the node stopped")
            && l.contains(&format!("height={height}"))),
        "the kill landed between block {height} and its flush, and the node recovered it:\n{stderr}"
    );
}

/// A node whose store ends below the height it last decided, with that block not kept (a
/// backup restored beside a newer certificate, say), may have a consensus log past its store:
/// it refuses to run consensus and says how to catch up. A certificate file that does not
/// decode stops it too.
#[test]
fn a_node_whose_store_ends_below_its_decided_height_refuses_to_run_consensus() {
    let dir = tempfile::tempdir().unwrap();
    let home = dir.path().join("node");
    init(&home, "crash-behind");
    let decided = home.join("data").join("ledger.redb.decided");
    let ahead = dojang_types::Commit { height: 40, round: 0, block_hash: Hash::default(), signatures: vec![] };
    std::fs::create_dir_all(home.join("data")).unwrap();
    std::fs::write(&decided, dojang_types::encode(&ahead)).unwrap();
    let refusal = refused(&home);
    assert!(
        refusal.contains("decided block 40") && refusal.contains("ends at height 0") && refusal.contains("api.peers"),
        "{refusal}"
    );
    std::fs::write(&decided, b"not a certificate").unwrap();
    let refusal = refused(&home);
    assert!(refusal.contains("ledger.redb.decided does not decode") && refusal.contains("api.peers"), "{refusal}");
}

/// The same refusal's other side: a node with peers catches up to the height it decided even
/// when its peers are only a height or two ahead (where catch-up otherwise leaves the rest to
/// consensus), and then starts. Here an observer that never ran holds the validator's latest
/// certificate, as a restored backup beside a newer certificate would.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_node_behind_its_decided_height_catches_up_to_it_from_close_peers_and_starts() {
    let net = common::net::Net::create(1, 1);
    let (validator_home, observer_home) = (net.home(0), net.home(1));
    // No empty blocks: the validator stays at the height of its last transaction.
    let idle =
        [("DOJANG_CONSENSUS__IDLE_BLOCK_INTERVAL_MS", "600000"), ("DOJANG_API__HEALTH_MAX_BLOCK_AGE_MS", "1200000")];
    let validator = NodeProcess::start_configured_with_env(&validator_home, &idle);
    let b = TxBuilder::new("net-test", net.anchoring_keys().remove(0));
    let tx = b.build("anchor", &json!({"type": "anchor", "namespace": "close", "root": Hash::default(), "leaves": 1}));
    let s = Client::new(&validator.url).submit(&tx, true).await.unwrap();
    let height = s.receipt.expect("final")["height"].as_u64().unwrap();
    assert!(height <= 2, "the validator is within catch-up's usual margin of a new node: {height}");
    let decided = |home: &std::path::Path| home.join("data").join("ledger.redb.decided");
    std::fs::create_dir_all(observer_home.join("data")).unwrap();
    std::fs::copy(decided(&validator_home), decided(&observer_home)).unwrap();

    let observer = NodeProcess::start_configured_with_env(&observer_home, &idle);
    let observed = Client::new(&observer.url);
    assert_eq!(
        observed.block(height).await.unwrap(),
        Client::new(&validator.url).block(height).await.unwrap(),
        "caught up to the decided height before running consensus"
    );
    observer.stop();
    validator.stop();
}

/// Runs `dojang node` on a home it must refuse; returns what it printed on stderr.
fn refused(home: &std::path::Path) -> String {
    let mut child = std::process::Command::new(common::EXE)
        .args(["node", "--home"])
        .arg(home)
        .env("DOJANG_API__LISTEN_ADDR", "127.0.0.1:0")
        .env_remove("RUST_LOG")
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(60);
    while child.try_wait().unwrap().is_none() {
        if Instant::now() > deadline {
            let _ = child.kill();
            panic!("the node was still running after 60 s");
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    let out = child.wait_with_output().unwrap();
    assert!(!out.status.success(), "the node exits with a failure");
    String::from_utf8_lossy(&out.stderr).into_owned()
}
