//! `dojang backup` from a running validator under load, and `dojang restore` of that backup
//! on the validator's wiped home: the restored node checks the store, catches up from its
//! peers and is in step with the chain. Backups of another chain, damaged backups, a store that
//! exists, and requests without the admin token are refused.

mod common;

use std::process::Command;
use std::time::Duration;

use common::net::{assert_same_chain, flood, wait_all, wait_caught_up, wait_height, Net};
use common::EXE;

fn dojang(args: &[&str]) -> (bool, String) {
    let out = Command::new(EXE).args(args).env_remove("DOJANG_HOME").output().unwrap();
    let text = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    (out.status.success(), text)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_backup_taken_online_restores_a_wiped_validator_which_catches_up() {
    let mut net = Net::create(4, 0);
    for i in 0..4 {
        net.start(i);
    }
    wait_all(&net.urls, 3, Duration::from_secs(60)).await;
    // Load runs through the backup: the copy is taken while blocks are being committed.
    let load = tokio::spawn(flood(net.urls.clone(), "net-test", net.anchoring_keys(), 1, Duration::from_secs(6)));
    tokio::time::sleep(Duration::from_secs(2)).await;

    // The snapshot endpoint wants the token from the node's home.
    let snapshot = format!("{}/v1/admin/snapshot", net.urls[3]);
    let http = reqwest::Client::new();
    assert_eq!(http.get(&snapshot).send().await.unwrap().status(), 401);
    assert_eq!(http.get(&snapshot).bearer_auth("0".repeat(64)).send().await.unwrap().status(), 401);

    let home3 = net.home(3);
    let backup = net.dir.path().join("node-3-backup.redb");
    let before = common::net::height(&net.urls[3]).await;
    let (ok, out) = dojang(&["backup", "--home", home3.to_str().unwrap(), "--out", backup.to_str().unwrap()]);
    assert!(ok, "{out}");
    assert!(out.contains("checked"), "{out}");
    let after = common::net::height(&net.urls[3]).await;
    // The copy of a small store takes less than a block; what matters is that it was taken in
    // the middle of the load: the load was still running, and committing, around it.
    assert!(!load.is_finished(), "the load (6 s) was still running when the backup was done");
    let around = common::net::txs_between(&net.urls[3], before.saturating_sub(3), after).await;
    assert!(around > 0, "transactions were being committed around the backup (heights {before} to {after})");
    load.await.unwrap();
    let (ok, out) = dojang(&["backup", "--home", home3.to_str().unwrap(), "--out", backup.to_str().unwrap()]);
    assert!(!ok && out.contains("already exists"), "an existing file is not overwritten: {out}");

    // A restore over an existing store needs --force, and is refused while the node runs.
    let (ok, out) = dojang(&["restore", "--home", home3.to_str().unwrap(), "--from", backup.to_str().unwrap()]);
    assert!(!ok && out.contains("--force"), "{out}");
    let (ok, out) =
        dojang(&["restore", "--home", home3.to_str().unwrap(), "--from", backup.to_str().unwrap(), "--force"]);
    assert!(!ok && out.contains("still running"), "{out}");
    let missing = net.dir.path().join("no-such-backup.redb");
    let (ok, _) = dojang(&["restore", "--home", home3.to_str().unwrap(), "--from", missing.to_str().unwrap()]);
    assert!(!ok && !missing.exists(), "a missing backup is refused and not created");
    let backup_bytes = std::fs::read(&backup).unwrap();

    // The validator loses its disk; the other three go on.
    net.nodes[3].take().unwrap().stop();
    std::fs::remove_dir_all(home3.join("data")).unwrap();
    let at_loss = common::net::height(&net.urls[0]).await;
    wait_height(&net.urls[0], at_loss + 5, Duration::from_secs(60)).await;

    // A damaged copy and another chain's store are refused before anything is written.
    let damaged = net.dir.path().join("damaged.redb");
    // Damage in every 4 KiB page: one run in the middle of the file could land in free pages
    // the store never reads, and such a copy is not damaged where it matters.
    let mut bytes = std::fs::read(&backup).unwrap();
    let len = bytes.len();
    for page in (0..len).step_by(4096) {
        for b in &mut bytes[(page + 512).min(len)..(page + 576).min(len)] {
            *b ^= 0x5a;
        }
    }
    std::fs::write(&damaged, bytes).unwrap();
    let (ok, out) = dojang(&["restore", "--home", home3.to_str().unwrap(), "--from", damaged.to_str().unwrap()]);
    assert!(!ok, "a damaged backup is refused: {out}");
    assert!(!home3.join("data").join("ledger.redb").exists(), "nothing was put in place");
    let other = net.dir.path().join("other-chain");
    common::init(&other, "another-city");
    let (ok, out) = dojang(&["restore", "--home", other.to_str().unwrap(), "--from", backup.to_str().unwrap()]);
    assert!(!ok && out.contains("another chain"), "{out}");

    let (ok, out) = dojang(&["restore", "--home", home3.to_str().unwrap(), "--from", backup.to_str().unwrap()]);
    assert!(ok, "{out}");
    assert_eq!(std::fs::read(&backup).unwrap(), backup_bytes, "the backup itself is not written to");
    net.start(3);
    let caught = wait_caught_up(&net.urls[3], &net.urls[0], Duration::from_secs(90)).await.unwrap();
    assert!(caught > at_loss + 5, "caught up to {caught}");
    assert_same_chain(&net.urls, caught).await;
    // It is a validator again: the chain keeps finalizing with it among the four.
    wait_all(&net.urls, caught + 3, Duration::from_secs(60)).await;
}
