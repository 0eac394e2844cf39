//! The council from the command line against a real node: `dojang gov` and
//! `dojang demo council` (3 of 5 changing a parameter), and a key that holds no role cannot
//! write.

mod common;

use std::path::Path;
use std::process::Command;

use common::{NodeProcess, EXE};
use dojang_crypto::{Algorithm, Keypair};
use dojang_sdk::{Client, TxBuilder};
use serde_json::{json, Value};

fn dojang(args: &[&str], node: &str) -> (bool, String, String) {
    let out = Command::new(EXE).args(args).env("DOJANG_NODE", node).output().unwrap();
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn dev_home(home: &Path) {
    let out = Command::new(EXE)
        .args(["init", "--demo", "--insecure-clear-keys", "--chain-id", "gov-test", "--home"])
        .arg(home)
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_council_governs_from_the_command_line_and_unknown_keys_cannot_write() {
    let dir = tempfile::tempdir().unwrap();
    let home = dir.path().join("node");
    dev_home(&home);
    let node = NodeProcess::start(&home);
    let url = node.url.clone();
    let key = |name: &str| home.join(format!("keys/{name}.json")).display().to_string();

    // An unknown key cannot anchor; an agency's can.
    let client = Client::new(&url);
    let anchor = json!({"type": "anchor", "namespace": "gov-test", "root": dojang_types::Hash::default(), "leaves": 1});
    let newcomer = Keypair::generate(Algorithm::Ed25519);
    let refused = TxBuilder::new("gov-test", newcomer.duplicate()).build("anchor", &anchor);
    let err = client.submit(&refused, true).await.unwrap_err().to_string();
    assert!(err.contains("403") && err.contains("one of the roles"), "{err}");
    let (ok, out, err) = dojang(&["tx", "--key", &key("audit-office"), "--wait", "anchor", &anchor.to_string()], &url);
    assert!(ok && out.contains("\"ok\""), "{out}{err}");

    // The dev chain's council is its admin alone: its proposal executes at once, and the
    // newcomer, now an auditor, may anchor.
    let grant = json!({"type": "grant_role", "account": newcomer.public_key().address(), "role": "auditor"});
    let (ok, out, err) =
        dojang(&["gov", "propose", "--key", &key("admin"), "--reason", "audit office joins", &grant.to_string()], &url);
    assert!(ok && out.contains("proposal 1 reached the threshold and executed"), "{out}{err}");
    let registered = TxBuilder::new("gov-test", newcomer).build("anchor", &anchor);
    let receipt = client.submit(&registered, true).await.unwrap().receipt.unwrap();
    assert_eq!(receipt["result"]["status"], "ok", "{receipt}");
    // A non-member's approval and a garbage message are refused with their reasons.
    let (ok, _, err) = dojang(&["gov", "approve", "--key", &key("audit-office"), "1"], &url);
    assert!(!ok && err.contains("403") && err.contains("member of the governing council"), "{err}");
    let (ok, _, err) = dojang(&["gov", "propose", "--key", &key("admin"), "--reason", "x", "{not json"], &url);
    assert!(!ok && err.contains("not valid JSON"), "{err}");
    let (ok, _, err) =
        dojang(&["gov", "propose", "--key", &key("admin"), "--reason", "x", "--expires-in", "7w", "{}"], &url);
    assert!(!ok && err.contains("duration"), "{err}");

    // Five agencies, 3 of 5, change the minimum wage; the demo checks every step and hands
    // the chain back to the admin.
    let (ok, out, err) = dojang(&["demo", "council", "--node", &url, "--home", &home.display().to_string()], &url);
    assert!(ok, "{out}{err}");
    for line in [
        "2 of 3; in force on 2027-06-01: {\"krw\":10320}",
        "3 of 3, executed in this block; in force on 2027-06-01: {\"krw\":10800}",
        "already_voted",
        "proposal_closed",
        "refused at admission",
    ] {
        assert!(out.contains(line), "missing '{line}' in:\n{out}");
    }
    let (ok, out, _) = dojang(&["gov", "show", "3"], &url);
    let p: Value = serde_json::from_str(&out).unwrap();
    assert!(ok && p["status"] == "executed" && p["approvals"].as_object().unwrap().len() == 3, "{p}");
    let (ok, out, _) = dojang(&["gov", "list"], &url);
    assert!(ok && out.lines().count() == 4, "four proposals: {out}");
    let (ok, out, _) = dojang(&["gov", "council"], &url);
    let c: Value = serde_json::from_str(&out).unwrap();
    assert!(ok && c["members"].as_array().unwrap().len() == 1 && c["threshold"] == 1, "back to the admin: {c}");
    node.stop();
}
