//! kill -9 under load, then restart: nothing reported committed is lost, the state root
//! recomputed from the blocks equals the stored one, and the chain continues.

mod common;

use std::collections::HashSet;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use common::{init, NodeProcess};
use dojang_crypto::Keypair;
use dojang_sdk::{Client, TxBuilder};
use dojang_store::Store;
use dojang_types::{sha256, Hash};
use serde_json::json;

/// Submits and waits from several accounts at once until `stop`; returns the ids the node
/// reported final.
async fn load(url: String, chain_id: String, seed: u8, run_for: Duration) -> Vec<Hash> {
    let committed = Arc::new(Mutex::new(Vec::new()));
    let deadline = Instant::now() + run_for;
    let mut tasks = Vec::new();
    for a in 0..8u8 {
        let (url, chain_id, committed) = (url.clone(), chain_id.clone(), committed.clone());
        tasks.push(tokio::spawn(async move {
            let client = Client::new(&url);
            let b = TxBuilder::new(chain_id, Keypair::ed25519_from_seed([seed ^ a; 32]));
            let mut n = 0u64;
            while Instant::now() < deadline {
                // A few waited-for transactions with a batch of fire-and-forget ones around them.
                let batch: Vec<_> = (0..20)
                    .map(|i| {
                        let root = sha256(&[&[seed, a], &n.to_le_bytes(), &[i]]);
                        b.build("anchor", &json!({"type": "anchor", "namespace": "crash", "root": root, "leaves": 1}))
                    })
                    .collect();
                let _ = client.submit_batch(&batch[1..]).await;
                match client.submit(&batch[0], true).await {
                    Ok(s) if s.receipt.is_some() => committed.lock().unwrap().push(s.id),
                    _ => {}
                }
                n += 1;
            }
        }));
    }
    for t in tasks {
        let _ = t.await;
    }
    Arc::try_unwrap(committed).unwrap().into_inner().unwrap()
}

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

        let ids = load(node.url.clone(), "crash-test".into(), round, Duration::from_millis(2500)).await;
        assert!(!ids.is_empty(), "round {round}: no transaction was committed under load");
        all_committed.extend(ids);
        last_height = client.status().await.unwrap()["height"].as_u64().unwrap();
        // Keep load running while the process dies.
        let url = node.url.clone();
        let pending = tokio::spawn(load(url, "crash-test".into(), round.wrapping_add(100), Duration::from_secs(5)));
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
