//! The command line: help for every command, and clear refusals of bad input.

use std::process::Command;

const EXE: &str = env!("CARGO_BIN_EXE_dojang");

fn run(args: &[&str]) -> (bool, String) {
    let out = Command::new(EXE).args(args).env_remove("DOJANG_NODE").output().unwrap();
    (out.status.success(), format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr)))
}

#[test]
fn every_command_has_help() {
    for cmd in
        ["dev", "init", "node", "keys", "tx", "gov", "private", "query", "state", "block", "status", "bench", "verify"]
    {
        let (ok, text) = run(&[cmd, "--help"]);
        assert!(ok, "{cmd} --help failed: {text}");
        assert!(text.contains("Usage"), "{cmd}: {text}");
    }
    let (_, text) = run(&["tx", "--help"]);
    assert!(text.contains("--wait") && text.contains("--key") && text.contains("DOJANG_NODE"), "{text}");
}

#[test]
fn bad_input_is_refused_with_a_reason() {
    let dir = tempfile::tempdir().unwrap();
    let home = dir.path().join("h");
    let home_s = home.to_str().unwrap();
    let (ok, text) = run(&["init", "--home", home_s, "--chain-id", "cli-test"]);
    assert!(!ok && text.contains("no passphrase was given"), "{text}");
    let (ok, text) = run(&["init", "--home", home_s, "--chain-id", "cli-test", "--insecure-clear-keys"]);
    assert!(ok, "{text}");
    let (ok, text) = run(&["init", "--home", home_s, "--chain-id", "cli-test"]);
    assert!(!ok && text.contains("already holds a node"), "{text}");

    let (ok, text) = run(&["keys", "show", dir.path().join("missing.json").to_str().unwrap()]);
    assert!(!ok && text.contains("cannot read key file"), "{text}");
    let key = dir.path().join("k.json");
    let (ok, text) = run(&["keys", "new", "--out", key.to_str().unwrap(), "--algorithm", "rsa"]);
    assert!(!ok && text.contains("unknown key algorithm"), "{text}");
    let (ok, text) =
        run(&["keys", "new", "--out", key.to_str().unwrap(), "--algorithm", "p256", "--insecure-clear-keys"]);
    assert!(ok && text.starts_with("dj"), "{text}");
    let (ok, text) = run(&["keys", "show", key.to_str().unwrap()]);
    assert!(ok && text.contains("p256:04"), "{text}");

    let (ok, text) =
        run(&["tx", "--node", "http://127.0.0.1:9", "--key", key.to_str().unwrap(), "governance", "{not json"]);
    assert!(!ok && text.contains("not valid JSON"), "{text}");
    let (ok, text) = run(&["status", "--node", "http://127.0.0.1:9"]);
    assert!(!ok && text.contains("cannot reach the node"), "{text}");

    let (ok, text) = run(&["verify", "--home", home_s]);
    assert!(!ok && text.contains("holds no chain"), "{text}");

    std::fs::write(home.join("config.toml"), "moniker = \"x\"\nnot_a_setting = 1\n").unwrap();
    let (ok, text) = run(&["node", "--home", home_s]);
    assert!(!ok && text.contains("not_a_setting"), "{text}");
}

#[test]
fn dev_listens_where_asked_and_its_hints_name_the_port_it_really_uses() {
    use std::io::{BufRead, BufReader};
    let dir = tempfile::tempdir().unwrap();
    let mut child = Command::new(EXE)
        .args(["dev", "--api-listen", "127.0.0.1:0", "--home"])
        .arg(dir.path().join("h"))
        .env_remove("DOJANG_API__LISTEN_ADDR")
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines().map_while(Result::ok);
    let url =
        lines.find_map(|l| l.split("API on ").nth(1).map(str::to_string)).expect("the node says where it listens");
    let hints: Vec<String> = lines.by_ref().take(4).collect();
    let _ = child.kill();
    let _ = child.wait();
    assert!(url.starts_with("http://127.0.0.1:") && !url.ends_with(":0") && !url.ends_with(":8080"), "{url}");
    assert!(hints.iter().any(|h| h.contains(&format!("demo eligibility --node {url}"))), "{hints:?}");
    assert!(hints.iter().any(|h| h.contains(&format!("demo council --node {url}"))), "{hints:?}");
}
