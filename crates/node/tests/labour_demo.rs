//! `dojang demo labour` end to end on a small scale: every kind of violation the demo's
//! employers commit is found and summed by rule, the contracts' payloads are on the member
//! node's private store, and the demo's own scan finds no name or workplace anywhere else,
//! a node outside the collection included.

mod common;

use std::process::Command;

use common::EXE;
use serde_json::{json, Value};

#[test]
fn the_labour_demo_finds_each_violation_and_no_personal_data_outside_the_private_store_and_runs_again() {
    let dir = tempfile::tempdir().unwrap();
    let out = Command::new(EXE)
        .args(["demo", "labour", "--businesses", "3", "--workers", "6", "--weeks", "3", "--dir"])
        .arg(dir.path())
        .env("DOJANG_LOG__FILTER", "error")
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{stdout}\n{}", String::from_utf8_lossy(&out.stderr));
    let summary: Value = serde_json::from_str(stdout.lines().last().unwrap()).unwrap();
    // Worker 0's contract ended nine days ago: its weeks after that are not there.
    let timesheets = summary["timesheets"].as_u64().unwrap();
    assert_eq!((summary["contracts"].as_u64(), summary["ended"].as_u64()), (Some(6), Some(1)), "{summary}");
    // Its third week starts after the end on a Monday or Tuesday (this week's Monday minus 7 is
    // later than nine days ago), so that week is not there.
    let weekday = dojang_types::Date::from_unix_ms_kst(dojang_types::wall_clock_ms()).weekday();
    assert_eq!(timesheets, if weekday < 2 { 17 } else { 18 }, "{summary}");
    assert_eq!(summary["personal_data_hits"], 0);
    // A node outside the collection followed the chain past the demo's last transaction (the
    // demo checks that) and was searched whole; it never received a payload.
    let outsider = dir.path().join("outsider");
    let first_height = summary["personal_data_scan"]["outsider_height"].as_u64().unwrap();
    assert!(first_height > 0 && outsider.join("data").is_dir(), "{summary}");
    assert!(!outsider.join("data").join("private").join("labour-contracts").exists());
    // The contracts start three weeks before this week. Worker 2 is paid 9,800 KRW an hour for 25 h a week: 25 x 520 short each week, and the
    // allowance at 9,800 instead of 10,320 (5 x 520); worker 4 gets no allowance (5 h at 10,520);
    // worker 1, aged 16, works past 22:00 on two days a week.
    let rules = &summary["rules"];
    assert_eq!(rules["LAB-02"]["contracts"], 1);
    assert_eq!(rules["LAB-02"]["owed_krw"], 3 * 25 * 520);
    assert_eq!(rules["LAB-03"]["contracts"], 2);
    assert_eq!(rules["LAB-03"]["owed_krw"], 3 * (5 * 520 + 5 * 10_520));
    assert_eq!(rules["LAB-05"]["contracts"], 1);
    assert_eq!(rules["LAB-05"]["findings"], 6);
    // Worker 3's employer never reports to the insurers: health was due 14 days after the start.
    assert_eq!(rules["LAB-08"]["contracts"], 1, "{summary}");
    assert_eq!(summary["engine"]["contracts"], 6, "the engine's pass judged every contract");
    // Its final pay is due in five days: the engine alerts before it falls due.
    assert!(summary["engine"]["alerts"]["LAB-09"].as_u64().unwrap_or(0) >= 1, "{summary}");
    assert_eq!(summary["owed_krw"], 3 * 25 * 520 + 3 * (5 * 520 + 5 * 10_520));
    assert!(stdout.contains("personal data outside the private store: none"), "{stdout}");
    // Worker 0's career certificate: offered by the desk, received by the wallet, presented
    // to the job programme with a resident credential. The job lasted under a month (it
    // started three weeks before this week and ended nine days ago), so only that condition fails.
    let career =
        json!({"offered": 1, "received": 1, "eligible": 0, "not_eligible": {"a_month_of_service": 1}, "refused": {}});
    assert_eq!(summary["career"], career, "{summary}");
    // Worker 2, paid under the minimum and still employed, files an anonymous grievance: the
    // centre holds it for the employer and this quarter, and nothing of the worker or contract.
    let grievance = &summary["grievance"];
    assert!(grievance["report"].as_u64().is_some(), "{summary}");
    assert_eq!(grievance["names_worker_or_contract"], false, "{summary}");
    let today = dojang_types::Date::from_unix_ms_kst(dojang_types::wall_clock_ms());
    assert_eq!(grievance["period"], format!("{}-Q{}", today.year, (today.month - 1) / 3 + 1), "{summary}");
    // The payloads exist, on the member node's private store only.
    let private = dir.path().join("node").join("data").join("private").join("labour-contracts");
    let payloads = std::fs::read_dir(&private).unwrap().count();
    assert_eq!(
        payloads as u64,
        6 + timesheets,
        "a version per contract and a week per timesheet in {}",
        private.display()
    );

    // Again on the same chain (`--dir` kept): the modules, the collection and the member's role
    // are there already and left as they are; the new contracts are registered beside the old.
    let again = Command::new(EXE)
        .args(["demo", "labour", "--businesses", "3", "--workers", "6", "--weeks", "3", "--dir"])
        .arg(dir.path())
        .env("DOJANG_LOG__FILTER", "error")
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&again.stdout);
    assert!(again.status.success(), "{stdout}\n{}", String::from_utf8_lossy(&again.stderr));
    let second: Value = serde_json::from_str(stdout.lines().last().unwrap()).unwrap();
    assert_eq!((second["contracts"].as_u64(), second["personal_data_hits"].as_u64()), (Some(6), Some(0)), "{second}");
    assert_eq!(second["engine"]["contracts"], 12, "the engine judges the first run's contracts too: {second}");
    assert_eq!(second["career"], career, "the issuers' books are the run's own: {second}");
    let second_height = second["personal_data_scan"]["outsider_height"].as_u64().unwrap();
    assert!(second_height > first_height, "the outside node caught up the second run too: {second}");
}

/// `dojang bench labour` at a small size: every registration is final and accepted, and the
/// one JSON line carries both parts' figures beside the machine's own limit.
#[test]
fn the_labour_bench_registers_every_contract_and_reports_both_figures() {
    let out = Command::new(EXE)
        .args(["bench", "labour", "--worker-weeks", "800", "--registrations", "300", "--employers", "10"])
        .env("DOJANG_LOG__FILTER", "error")
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{stdout}\n{}", String::from_utf8_lossy(&out.stderr));
    let v: Value = serde_json::from_str(stdout.lines().last().unwrap()).unwrap();
    let r = &v["registrations"];
    assert_eq!((r["finalized_ok"].as_u64(), r["refused_in_block"].as_u64()), (Some(300), Some(0)), "{v}");
    assert_eq!((r["refused_at_admission"].as_u64(), r["not_final"].as_u64()), (Some(0), Some(0)), "{v}");
    assert!(r["finalized_per_s"].as_f64().unwrap() > 0.0 && r["ratio_to_ed25519"].as_f64().unwrap() > 0.0);
    assert_eq!(v["compliance"]["worker_weeks"], 800);
    assert!(v["ed25519_batched_all_cores"].as_f64().unwrap() > 0.0);
    assert!(stdout.contains("registrations finalized/s") && stdout.contains("worker-weeks checked/s"), "{stdout}");
}
