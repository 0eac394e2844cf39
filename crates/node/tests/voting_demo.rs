//! `dojang demo voting` end to end on a small roll, twice on one chain: every resident gets a
//! voting credential and the three who may not vote are refused, each for its rule; a second
//! registration is refused; the result equals the plaintext count with one trustee absent; the
//! independent verifier finds nothing wrong; the scan finds no personal data on the node and
//! no voting account or token in the registrar's store.

mod common;

use std::process::Command;

use common::EXE;
use serde_json::{json, Value};

fn run(dir: &std::path::Path) -> Value {
    let out = Command::new(EXE)
        .args(["demo", "voting", "--residents", "20", "--dir"])
        .arg(dir)
        .env("DOJANG_LOG__FILTER", "error")
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{stdout}\n{}", String::from_utf8_lossy(&out.stderr));
    assert!(stdout.contains("verified: everything recomputed matches the chain"), "{stdout}");
    serde_json::from_str(stdout.lines().last().unwrap()).unwrap()
}

#[test]
fn the_voting_demo_registers_refuses_tallies_verifies_and_leaks_nothing_and_runs_again() {
    let dir = tempfile::tempdir().unwrap();
    let first = run(dir.path());
    let second = run(dir.path());
    assert_ne!(first["poll"], second["poll"], "a second run makes a new poll on the same chain");
    for s in [&first, &second] {
        assert_eq!(s["residents"], 20);
        assert_eq!(s["credentials_issued"], 20, "{s}");
        assert_eq!(
            s["refused"],
            json!({"not registered as a resident of mapo-gu": 1, "registered at the address for fewer than 3 months": 1,
                   "younger than 16": 1})
        );
        assert_eq!(s["second_registration_refused"], true);
        assert_eq!(s["ballots"], 20);
        assert_eq!(s["revotes"], 2, "voters 5 and 15 vote again");
        assert_eq!(s["result"], json!([s["reference"].clone()]));
        let counted: u64 = s["reference"].as_array().unwrap().iter().map(|n| n.as_u64().unwrap()).sum();
        assert!(counted > 0, "{s}");
        assert_eq!(s["shares_from"], json!([1, 3]));
        assert_eq!(s["verified"], json!({"ballots": 22, "shares_valid": 2, "problems": 0}));
        assert_eq!(s["personal_data_hits"], 0, "{s}");
        assert!(s["personal_data_scan"]["node_files"].as_u64().unwrap() > 0);
        assert_eq!(s["personal_data_scan"]["registrar_files"], 1);
    }
}
