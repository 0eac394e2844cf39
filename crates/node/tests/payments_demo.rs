//! `dojang demo payments` end to end: six months of a road project through the partner bank
//! simulator, and what the chain says after them: every line confirmed (the rejected one paid
//! on its second attempt), the late month's interest on each subcontractor, one missed
//! instalment each, direct payment for the contract whose guarantee was missed, the material
//! contract's change-order share still owed, and no worker's name, resident number, account
//! number or wage in the node's files.

mod common;

use std::process::Command;

use common::EXE;
use serde_json::{json, Value};

#[test]
fn the_payments_demo_pays_every_line_computes_the_law_and_leaks_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let out = Command::new(EXE)
        .args(["demo", "payments", "--dir"])
        .arg(dir.path())
        .env("DOJANG_LOG__FILTER", "error")
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{stdout}\n{}", String::from_utf8_lossy(&out.stderr));
    let s: Value = serde_json::from_str(stdout.lines().last().unwrap()).unwrap();
    assert_eq!((s["workers"].as_u64(), s["months"].as_u64()), (Some(120), Some(6)), "{s}");
    assert_eq!(s["lines"], 72, "twelve lines a month: {s}");
    assert_eq!(s["confirmed"], 72, "{s}");
    assert_eq!(s["open"], 0, "{s}");
    assert_eq!(s["bank_rejections"], 1, "the closed account: {s}");
    let contracts = s["contracts"].as_object().unwrap();
    for (id, c) in contracts {
        assert_eq!(c["missed"], json!([3]), "{id}: the late prime's month, and only it");
        assert!(c["interest_krw"].as_u64().unwrap() > 0, "{id}: interest for the late month: {c}");
        let direct = if id == "sub-c" { json!("missing_guarantee") } else { Value::Null };
        assert_eq!(c["direct"], direct, "{id}");
        let owed = if id == "mat" { 450_000 } else { 0 };
        assert_eq!(c["pass_through_owed_krw"], owed, "{id}");
    }
    assert_eq!(contracts.len(), 6);
    assert!(s["personal_data_scan"]["node_files"].as_u64().unwrap() > 0, "{s}");
    assert_eq!(s["personal_data_scan"]["hits"], 0, "{s}");
    assert!(stdout.contains("paid it on the second attempt"), "{stdout}");
    assert_eq!(s["receipts"], 120, "every worker's receipt for the last month, received into a wallet: {s}");
}
