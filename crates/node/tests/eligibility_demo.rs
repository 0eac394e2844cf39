//! The eligibility demo against a real node, then the ledger searched for the demo's personal
//! data: names, birth dates, resident numbers, agency subject ids, incomes. None may be there
//! (DESIGN.md §7), not in state, not in blocks, not anywhere in the database file.

mod common;

use std::process::Command;

use common::{NodeProcess, EXE};
use serde_json::Value;

/// `needle` occurs in `hay` as a whole token (not inside a longer word or hex string).
fn occurs(hay: &str, needle: &str) -> bool {
    let boundary = |c: Option<char>| c.is_none_or(|c| !c.is_ascii_alphanumeric());
    hay.match_indices(needle)
        .any(|(i, _)| boundary(hay[..i].chars().last()) && boundary(hay[i + needle.len()..].chars().next()))
}

#[test]
fn the_ledger_holds_no_personal_data_after_the_demo() {
    let dir = tempfile::tempdir().unwrap();
    let home = dir.path().join("node");
    let out =
        Command::new(EXE).args(["init", "--demo", "--chain-id", "demo-scan", "--home"]).arg(&home).output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let node = NodeProcess::start(&home);
    let people_file = dir.path().join("people.json");
    let demo = Command::new(EXE)
        .args(["demo", "eligibility", "--citizens", "40", "--node", &node.url, "--home"])
        .arg(&home)
        .arg("--dir")
        .arg(dir.path().join("work"))
        .arg("--personal-data-out")
        .arg(&people_file)
        .env("RUST_BACKTRACE", "0")
        .output()
        .unwrap();
    let printed = String::from_utf8_lossy(&demo.stdout).to_string();
    assert!(demo.status.success(), "demo failed:\n{printed}\n{}", String::from_utf8_lossy(&demo.stderr));
    assert!(printed.contains("A receipt, checked against batch"), "{printed}");
    assert!(printed.contains("refused: the request asks more than policy"), "{printed}");
    assert!(printed.contains("duplicate application"), "{printed}");
    node.stop();

    let people: Vec<Value> = serde_json::from_slice(&std::fs::read(&people_file).unwrap()).unwrap();
    assert_eq!(people.len(), 40);
    let store = dojang_store::Store::open(&home.join("data/ledger.redb")).unwrap();
    let mut ledger_text = String::new();
    for (k, v) in store.scan_prefix(b"", None, usize::MAX).unwrap() {
        ledger_text.push_str(&String::from_utf8_lossy(&k));
        ledger_text.push(' ');
        ledger_text.push_str(&String::from_utf8_lossy(&v));
        ledger_text.push('\n');
    }
    let top = store.latest_height().unwrap().unwrap();
    assert!(top > 20, "the demo wrote blocks");
    for h in 1..=top {
        for tx in store.block(h).unwrap().unwrap().txs {
            ledger_text.push_str(&String::from_utf8_lossy(&tx.body.msg));
            ledger_text.push('\n');
        }
    }
    drop(store);
    let raw = String::from_utf8_lossy(&std::fs::read(home.join("data/ledger.redb")).unwrap()).to_string();
    assert!(ledger_text.contains("did:web:ssis.seoul.go.kr"), "the scan does read the identity registries");
    for p in &people {
        for field in ["name", "birth_date", "resident_number", "subject"] {
            let s = p[field].as_str().unwrap();
            assert!(!ledger_text.contains(s) && !raw.contains(s), "{field} '{s}' is on the ledger");
        }
        let income = p["monthly_income_krw"].as_u64().unwrap().to_string();
        assert!(!occurs(&ledger_text, &income), "income {income} is on the ledger");
    }
}
