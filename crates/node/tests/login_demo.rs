//! `dojang demo login` end to end: three facilities registered by the council, every resident
//! logged in through a facility's OpenID Connect flow from the wallet, pairwise subjects, a
//! low-assurance signature refused and a high one checked, a parent acting for a child within
//! the delegation only, an assisted login at a desk, a revoked credential refused, and nothing
//! personal in the node's files.

mod common;

use std::process::Command;

use common::EXE;
use serde_json::Value;

#[test]
fn the_login_demo_logs_residents_in_and_leaks_nothing_to_the_chain() {
    let dir = tempfile::tempdir().unwrap();
    let out = Command::new(EXE)
        .args(["demo", "login", "--dir"])
        .arg(dir.path())
        .env("DOJANG_LOG__FILTER", "error")
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{stdout}\n{}", String::from_utf8_lossy(&out.stderr));
    let s: Value = serde_json::from_str(stdout.lines().last().unwrap()).unwrap();
    assert_eq!((s["facilities"].as_u64(), s["residents"].as_u64()), (Some(3), Some(6)), "{s}");
    assert_eq!(s["logins"], 15, "six at the library, the pool, the library again, the signature, the parent's, the desk's, and the library once more: {s}");
    for claim in ["pairwise", "signed", "guardian", "assisted"] {
        assert_eq!(s[claim], true, "{claim}: {s}");
    }
    assert!(s["refused_low_assurance"].as_str().unwrap().starts_with("AUTH-07: "), "{s}");
    assert!(s["revoked_refused"].as_str().unwrap().starts_with("AUTH-02: "), "{s}");
    assert!(s["personal_data_scan"]["node_files"].as_u64().unwrap() > 0, "{s}");
    assert_eq!(s["personal_data_scan"]["hits"], serde_json::json!([]), "{s}");
    for line in ["learned only resident_of_seoul", "the signature checks", "refused at the pool", "refused a wrong PIN"]
    {
        assert!(stdout.contains(line), "{line}: {stdout}");
    }
}
