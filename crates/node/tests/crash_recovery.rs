//! kill -9 under load, then restart: nothing reported committed is lost, the state root
//! recomputed from the blocks equals the stored one, and the chain continues.

mod common;

use std::collections::HashSet;
use std::time::Duration;

use common::{init, load, NodeProcess};
use dojang_crypto::Keypair;
use dojang_sdk::{Client, TxBuilder};
use dojang_store::Store;
use dojang_types::Hash;
use serde_json::json;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kill_9_under_load_loses_nothing_and_the_chain_continues() {
    let dir = tempfile::tempdir().unwrap();
    let home = dir.path().join("node");
    init(&home, "crash-test");
    let mut all_committed: HashSet<Hash> = HashSet::new();
    let mut last_height = 0;

    for round in 0..3u8 {
        let node = NodeProcess::start(&home);
        let client = Client::new(&node.url);
        let status = client.status().await.unwrap();
        let height = status["height"].as_u64().unwrap();
        assert!(height >= last_height, "round {round}: restarted at {height}, below {last_height}");

        // Everything reported committed before earlier crashes is still there.
        for id in &all_committed {
            client.tx(id).await.unwrap_or_else(|e| panic!("round {round}: committed tx {id} lost: {e}"));
        }

        let ids = load(vec![node.url.clone()], "crash-test", round, Duration::from_millis(2500), 20).await;
        assert!(!ids.is_empty(), "round {round}: no transaction was committed under load");
        all_committed.extend(ids);
        last_height = client.status().await.unwrap()["height"].as_u64().unwrap();
        // Keep load running while the process dies.
        let url = node.url.clone();
        let pending = tokio::spawn(load(vec![url], "crash-test", round.wrapping_add(100), Duration::from_secs(5), 20));
        tokio::time::sleep(Duration::from_millis(700)).await;
        node.kill9();
        pending.abort();
    }

    // The chain continues after the last crash.
    let node = NodeProcess::start(&home);
    let client = Client::new(&node.url);
    for id in &all_committed {
        client.tx(id).await.unwrap_or_else(|e| panic!("committed tx {id} lost: {e}"));
    }
    let b = TxBuilder::new("crash-test", Keypair::ed25519_from_seed([42; 32]));
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
