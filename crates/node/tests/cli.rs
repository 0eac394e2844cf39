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

#[test]
fn the_payments_office_command_refuses_a_bad_payroll_file_or_issuer_before_it_reads_the_chain() {
    let dir = tempfile::tempdir().unwrap();
    let payroll = dir.path().join("payroll.json");
    let genesis = dir.path().join("genesis.json");
    let args = |payroll: &str, issuer: &str| {
        vec![
            "payments".to_string(),
            "receipts".into(),
            "--node".into(),
            "http://127.0.0.1:9".into(),
            "--genesis".into(),
            genesis.to_str().unwrap().into(),
            "--project".into(),
            "road-7".into(),
            "--number".into(),
            "1".into(),
            "--payroll".into(),
            payroll.into(),
            "--issuer".into(),
            issuer.into(),
        ]
    };
    let receipts = |payroll: &str, issuer: &str, token: &str| {
        let out =
            Command::new(EXE).args(args(payroll, issuer)).env("DOJANG_ISSUER_ADMIN_TOKEN", token).output().unwrap();
        (
            out.status.success(),
            format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr)),
        )
    };
    let p = payroll.to_str().unwrap();
    let token = "the-issuers-admin-token";
    let (ok, text) = receipts(p, "http://127.0.0.1:8091", token);
    assert!(!ok && text.contains("reading") && text.contains("payroll.json"), "a missing file: {text}");
    std::fs::write(&payroll, b"{\"lines\": [}").unwrap();
    let (ok, text) = receipts(p, "http://127.0.0.1:8091", token);
    assert!(!ok && text.contains("the payroll file is malformed"), "{text}");
    std::fs::write(&payroll, b"{\"lines\": []}").unwrap();
    let (ok, text) = receipts(p, "http://127.0.0.1:8091", token);
    assert!(!ok && text.contains("lists no labour line"), "{text}");
    let w = "dj0101010101010101010101010101010101010101";
    let good = format!(
        r#"{{"lines": [{{"line": 0, "salt": "{}", "wages": [{{"worker": "{w}", "krw": 1}}], "attendance": {{}}}}]}}"#,
        "00".repeat(32)
    );
    std::fs::write(&payroll, good).unwrap();
    let (ok, text) = receipts(p, "ftp://issuer", token);
    assert!(!ok && text.contains("--issuer") && text.contains("http(s)"), "{text}");
    let (ok, text) = receipts(p, "http://127.0.0.1:8091", "short");
    assert!(!ok && text.contains("admin token"), "{text}");
    let (ok, text) = receipts(p, "http://127.0.0.1:8091", token);
    assert!(!ok && text.contains("genesis"), "no genesis file: {text}");
}

/// The last line a benchmark printed, as the JSON it promises.
fn json_line(text: &str) -> serde_json::Value {
    let line = text.lines().rev().find(|l| l.starts_with('{')).unwrap_or_else(|| panic!("no JSON line: {text}"));
    serde_json::from_str(line).unwrap_or_else(|e| panic!("{e}: {line}"))
}

/// The benchmarks measure the machine's own rate first on both cores; two at once would only
/// slow each other.
static ONE_BENCH_AT_A_TIME: std::sync::Mutex<()> = std::sync::Mutex::new(());

/// `dojang bench state` on a small state: both engines measured, every figure in the JSON line
/// beside the machine's own Ed25519 rate; a state too small for its blocks is refused first.
#[test]
fn the_state_bench_measures_both_engines_and_refuses_a_state_too_small() {
    let _one = ONE_BENCH_AT_A_TIME.lock().unwrap_or_else(|p| p.into_inner());
    let (ok, text) =
        run(&["bench", "state", "--keys", "3000", "--blocks", "3", "--per-block", "400", "--proofs", "50"]);
    assert!(ok, "{text}");
    assert!(text.contains("== jmt+redb at 3000 keys") && text.contains("== nomt at 3000 keys"), "{text}");
    let j = json_line(&text);
    assert_eq!(j["bench"], "state");
    assert!(j["ed25519_batched_all_cores"].as_f64().is_some_and(|r| r > 0.0), "{j}");
    let engines = j["engines"].as_array().unwrap();
    assert_eq!(engines.iter().map(|e| e["engine"].as_str().unwrap()).collect::<Vec<_>>(), ["jmt+redb", "nomt"]);
    for e in engines {
        assert_eq!(
            (e["updates"].as_u64(), e["keys_after"].as_u64(), e["proofs"].as_u64()),
            (Some(1200), Some(3600), Some(50))
        );
        assert!(e["updates_per_second"].as_f64().is_some_and(|u| u > 0.0), "{e}");
    }
    let (ok, text) = run(&["bench", "state", "--keys", "100", "--per-block", "400"]);
    assert!(!ok && text.contains("--keys 100") && text.contains("load at least 400 keys"), "{text}");
}

/// `dojang bench` at a fixed rate: its own node, the load open at the rate, every transaction
/// of it final and accepted (none failed, refused or left over), latency from the schedule.
#[test]
fn the_ledger_bench_at_a_rate_finalizes_what_it_offers() {
    let _one = ONE_BENCH_AT_A_TIME.lock().unwrap_or_else(|p| p.into_inner());
    let (ok, text) = run(&["bench", "--rate", "200", "--duration", "5", "--warmup", "2", "--accounts", "4"]);
    assert!(ok, "{text}");
    let j = json_line(&text);
    assert_eq!(j["bench"], "ledger");
    assert_eq!(j["offered_tx_per_s"], 200);
    // 1,400 offered in 7 s; at most those sent in the 5 s window and a little before can be
    // final in it, so more than 280/s would be counting something else.
    let finalized = j["finalized_tx_per_s"].as_f64().unwrap();
    assert!((50.0..=280.0).contains(&finalized), "about the offered 200/s: {j}");
    assert!(j["committed"].as_u64().is_some_and(|c| c >= 1_400), "every offered transaction committed: {j}");
    assert_eq!(
        (j["failed_tx_per_s"].as_f64(), j["refused"].as_u64(), j["not_final"].as_u64()),
        (Some(0.0), Some(0), Some(0)),
        "{j}"
    );
    assert!(j["latency_ms"]["p99"].as_f64().is_some_and(|p| p > 0.0), "{j}");
}

/// `dojang bench catchup`: a chain a ledger bench left, caught up by a new node that joins it,
/// whose block at the height it reached is the peer's (the bench refuses otherwise); the
/// blocks and transactions it reports are the chain's. A home without a chain is refused.
#[test]
fn the_catch_up_bench_catches_up_the_chain_a_ledger_bench_left() {
    let _one = ONE_BENCH_AT_A_TIME.lock().unwrap_or_else(|p| p.into_inner());
    let dir = tempfile::tempdir().unwrap();
    let chain = dir.path().join("chain");
    let chain_s = chain.to_str().unwrap();
    let (ok, text) = run(&["bench", "catchup", "--from", chain_s]);
    assert!(!ok && text.contains("holds no node with a chain"), "{text}");

    let (ok, text) =
        run(&["bench", "--rate", "300", "--duration", "4", "--warmup", "1", "--accounts", "4", "--home", chain_s]);
    assert!(ok, "{text}");
    let committed = json_line(&text)["committed"].as_u64().unwrap();
    let (ok, text) = run(&["bench", "catchup", "--from", chain_s]);
    assert!(ok, "{text}");
    let j = json_line(&text);
    assert_eq!(j["bench"], "catchup");
    // The chain holds the load and the accounts' registration. A new node may stop two
    // blocks short (consensus takes the rest); a chain this small comes in one batch, so it
    // takes every block the peer has.
    let txs = j["txs"].as_u64().unwrap();
    assert!(txs >= committed && txs < committed + 100, "the chain's {committed} load transactions and a few more: {j}");
    assert!(j["blocks"].as_u64().is_some_and(|b| b >= 5), "{j}");
    assert!(j["catchup_tx_per_s"].as_f64().is_some_and(|r| r > 0.0), "{j}");
    assert!(j["live_tx_per_s"].as_f64().is_some_and(|r| r > 0.0), "{j}");
    assert!(j["ratio_to_live"].as_f64().is_some_and(|r| r > 0.0), "{j}");
    assert!(j["ed25519_batched_all_cores"].as_f64().is_some_and(|r| r > 0.0), "{j}");

    let taken = dir.path().join("taken");
    let (ok, text) = run(&["init", "--home", taken.to_str().unwrap(), "--chain-id", "x", "--insecure-clear-keys"]);
    assert!(ok, "{text}");
    let (ok, text) = run(&["bench", "catchup", "--from", chain_s, "--home", taken.to_str().unwrap()]);
    assert!(!ok && text.contains("needs an empty --home"), "{text}");
}
