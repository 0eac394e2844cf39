//! Key files at rest through the command line: `dojang keys new|show|encrypt`, homes written by
//! `init` hold only encrypted keys and the node opens them with the passphrase, and demo keys
//! in clear say so.

mod common;

use std::path::Path;
use std::process::{Command, Output};
use std::time::Duration;

use common::net::wait_height;
use common::{NodeProcess, EXE};
use serde_json::Value;

/// Runs `dojang` without a terminal and without passphrase variables from the environment.
fn dojang(args: &[&str]) -> Output {
    Command::new(EXE)
        .args(args)
        .env_remove("DOJANG_KEY_PASSPHRASE")
        .env_remove("DOJANG_KEY_PASSPHRASE_FILE")
        .output()
        .unwrap()
}

fn text(o: &Output) -> String {
    format!("{}{}", String::from_utf8_lossy(&o.stdout), String::from_utf8_lossy(&o.stderr))
}

fn key_json(path: &Path) -> Value {
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

#[test]
fn keys_new_show_encrypt_and_a_wrong_passphrase_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let key = dir.path().join("agency.json");
    let k = key.to_str().unwrap();
    let pass = dir.path().join("pass");
    std::fs::write(&pass, "correct horse battery\n").unwrap();
    let p = pass.to_str().unwrap();

    let o = dojang(&["keys", "new", "--out", k]);
    assert!(!o.status.success() && text(&o).contains("no passphrase was given"), "{}", text(&o));
    assert!(!key.exists());

    let o = dojang(&["keys", "new", "--out", k, "--algorithm", "p256", "--insecure-clear-keys"]);
    assert!(o.status.success(), "{}", text(&o));
    let clear = key_json(&key);
    let secret = clear["secret_hex"].as_str().unwrap().to_string();
    let o = dojang(&["keys", "show", k]);
    assert!(o.status.success() && text(&o).contains("IN CLEAR"), "{}", text(&o));

    let o = dojang(&["keys", "encrypt", k, "--passphrase-file", p]);
    assert!(o.status.success(), "{}", text(&o));
    let sealed = key_json(&key);
    assert_eq!(sealed["public_key"], clear["public_key"]);
    assert!(sealed.get("secret_hex").is_none() && !sealed.to_string().contains(&secret));
    assert_eq!(sealed["encrypted"]["m_kib"], 65536, "real keys use the strong parameters");
    let o = dojang(&["keys", "show", k]);
    assert!(o.status.success() && text(&o).contains("encrypted (argon2id"), "{}", text(&o));
    let o = dojang(&["keys", "encrypt", k, "--passphrase-file", p]);
    assert!(!o.status.success() && text(&o).contains("already encrypted"), "{}", text(&o));

    // Signing needs the passphrase; a wrong one is named as such.
    let wrong = dir.path().join("wrong");
    std::fs::write(&wrong, "not the passphrase\n").unwrap();
    let tx = |extra: &[&str]| {
        let mut args = vec!["tx", "--node", "http://127.0.0.1:9", "--key", k];
        args.extend_from_slice(extra);
        args.extend(["anchor", "{}"]);
        dojang(&args)
    };
    let o = tx(&[]);
    assert!(!o.status.success() && text(&o).contains("is encrypted and no passphrase was given"), "{}", text(&o));
    let o = tx(&["--passphrase-file", wrong.to_str().unwrap()]);
    assert!(!o.status.success() && text(&o).contains("passphrase is wrong"), "{}", text(&o));
    // The right one gets as far as the (absent) node.
    let o = tx(&["--passphrase-file", p]);
    assert!(!o.status.success() && text(&o).contains("cannot reach the node"), "{}", text(&o));
}

#[tokio::test(flavor = "multi_thread")]
async fn init_with_a_passphrase_writes_only_encrypted_keys_and_the_node_runs_on_them() {
    let dir = tempfile::tempdir().unwrap();
    let pass = dir.path().join("pass");
    std::fs::write(&pass, "correct horse battery\n").unwrap();
    let home = dir.path().join("node");
    let o = dojang(
        &["init", "--chain-id", "enc-test", "--passphrase-file"]
            .iter()
            .copied()
            .chain([pass.to_str().unwrap(), "--home", home.to_str().unwrap()])
            .collect::<Vec<_>>(),
    );
    assert!(o.status.success(), "{}", text(&o));
    let mut names = Vec::new();
    for entry in std::fs::read_dir(home.join("keys")).unwrap() {
        let path = entry.unwrap().path();
        let v = key_json(&path);
        assert!(v["encrypted"].is_object() && v.get("secret_hex").is_none(), "{} is not encrypted", path.display());
        names.push(path.file_name().unwrap().to_string_lossy().to_string());
    }
    names.sort();
    assert_eq!(names, ["admin.json", "network.json", "validator.json"]);

    // Without the passphrase the node refuses to start and says how to give it.
    let o = dojang(&["node", "--home", home.to_str().unwrap()]);
    assert!(!o.status.success() && text(&o).contains("DOJANG_KEY_PASSPHRASE_FILE"), "{}", text(&o));
    // With it (inherited from this process) the node makes blocks.
    std::env::set_var("DOJANG_KEY_PASSPHRASE_FILE", &pass);
    let node = NodeProcess::start(&home);
    wait_height(&node.url, 2, Duration::from_secs(30)).await;
    node.stop();
}

#[tokio::test(flavor = "multi_thread")]
async fn demo_keys_without_a_passphrase_are_marked_and_warned_about_on_every_load() {
    let dir = tempfile::tempdir().unwrap();
    let home = dir.path().join("node");
    let o = dojang(&["init", "--demo", "--chain-id", "demo-clear", "--home", home.to_str().unwrap()]);
    assert!(o.status.success(), "{}", text(&o));
    assert!(text(&o).contains("IN CLEAR"), "{}", text(&o));
    let v = key_json(&home.join("keys/validator.json"));
    assert_eq!(v["clear_demo_key"], true);
    assert_eq!(key_json(&home.join("keys/admin.json"))["clear_demo_key"], true);
    let node = NodeProcess::start(&home);
    wait_height(&node.url, 1, Duration::from_secs(30)).await;
    let log = std::fs::read_to_string(&node.stderr_log).unwrap();
    node.stop();
    assert!(log.contains("CLEAR DEMO key") && log.contains("WARN"), "{log}");
}
