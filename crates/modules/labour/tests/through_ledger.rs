//! The labour contract registry through the real ledger (CON-01..07): vouched employers
//! register contracts by commitment, workers sign (the receipt of their copy), amendments and
//! termination, weekly timesheets and the worker's answer, deadlines with their alert and their
//! missed event, and nothing personal in state.

use dojang_crypto::{Algorithm, Keypair};
use dojang_labour::Labour;
use dojang_ledger::BlockApp;
use dojang_testkit::{event_attr, Chain};
use dojang_types::{Date, Event, Hash};
use serde_json::{json, Value};

const DAY_MS: u64 = 86_400_000;
const C1: &str = "0123456789abcdef0123456789abcdef";

struct Setup {
    chain: Chain,
    federation: Keypair,
    employer: Keypair,
    worker: Keypair,
    office: Keypair,
    outsider: Keypair,
}

fn setup() -> Setup {
    let p = |key: &str, value: Value| json!({"table": "labour", "key": key, "effective_from": "2025-01-01", "value": value, "legal_basis": "test"});
    let chain = Chain::builder()
        .with(Labour)
        .param(p("alert_days_before", json!({"days": 5})))
        .param(p("final_pay_days", json!({"days": 14})))
        .param(p("dismissal_notice_days", json!({"days": 30})))
        .build();
    let at = chain.ledger.next_height() + 2;
    chain.council("governance", json!({"type": "activate", "module": "labour", "at_height": at}));
    while chain.ledger.next_height() < at {
        chain.block();
    }
    let k = || Keypair::generate(Algorithm::Ed25519);
    let s = Setup { federation: k(), employer: k(), worker: k(), office: k(), outsider: k(), chain };
    s.chain.grant(&s.federation, "issuer");
    s.chain.grant(&s.office, "auditor");
    s
}

fn commitment(n: u8) -> Hash {
    Hash([n; 32])
}

fn today(chain: &Chain) -> Date {
    Date::from_unix_ms_kst(chain.ledger.clock_ms())
}

fn q(chain: &Chain, path: &str) -> Value {
    chain.ledger.query("labour", path, &Value::Null).unwrap()
}

fn hook_events(chain: &Chain, height: u64) -> Vec<Event> {
    let key = dojang_ledger::hook_events_key(height);
    let rel = &key[b"ledger/".len()..];
    match dojang_ledger::StateRead::read_module(&chain.ledger.committed_state(), "ledger", rel).unwrap() {
        Some(bytes) => serde_json::from_slice(&bytes).unwrap(),
        None => Vec::new(),
    }
}

/// Advances the clock a day at a time for `days`, collecting the hook events' kinds.
fn pass_days(chain: &Chain, days: u64) -> Vec<String> {
    let mut kinds = Vec::new();
    for _ in 0..days {
        chain.advance_clock(DAY_MS);
        let b = chain.block();
        kinds.extend(hook_events(chain, b.header.height).into_iter().map(|e| e.kind));
    }
    kinds
}

fn register(s: &Setup, id: &str) -> Value {
    json!({"type": "register", "contract": id, "worker": s.worker.public_key().address(), "commitment": commitment(1),
           "starts": today(&s.chain).plus_days(-14).to_string(), "ends": today(&s.chain).plus_days(120).to_string()})
}

#[test]
fn vouched_employers_register_workers_sign_and_amendments_need_a_new_signature() {
    let s = setup();
    let c = &s.chain;
    assert_eq!(c.code(&s.employer, "labour", register(&s, C1)), "CON-02", "not vouched yet");
    assert_eq!(
        c.code(&s.outsider, "labour", json!({"type": "vouch_employer", "employer": s.employer.public_key().address()})),
        "not-permitted"
    );
    c.ok(&s.federation, "labour", json!({"type": "vouch_employer", "employer": s.employer.public_key().address()}));
    assert_eq!(
        c.code(&s.employer, "labour", register(&s, "Kim-Minsu-contract")),
        "invalid-message",
        "CON-01: random hex ids only"
    );
    let r = c.ok(&s.employer, "labour", register(&s, C1));
    assert_eq!(event_attr(&r, "registered", "worker"), s.worker.public_key().address().to_string());
    assert_eq!(c.code(&s.employer, "labour", register(&s, C1)), "CON-01");
    let sign = |k: &Keypair, v: u32, n: u8| {
        c.code(k, "labour", json!({"type": "sign", "contract": C1, "version": v, "commitment": commitment(n)}))
    };
    assert_eq!(sign(&s.outsider, 1, 1), "CON-03");
    assert_eq!(sign(&s.employer, 1, 1), "CON-03", "the employer cannot sign for the worker");
    assert_eq!(sign(&s.worker, 1, 9), "CON-03", "not the commitment awaiting signature");
    let r =
        c.ok(&s.worker, "labour", json!({"type": "sign", "contract": C1, "version": 1, "commitment": commitment(1)}));
    assert_eq!(event_attr(&r, "signed", "version"), "1");
    assert_eq!(sign(&s.worker, 1, 1), "CON-03", "once");
    assert_eq!(
        c.code(&s.worker, "labour", json!({"type": "amend", "contract": C1, "commitment": commitment(2)})),
        "CON-04"
    );
    let r = c.ok(&s.employer, "labour", json!({"type": "amend", "contract": C1, "commitment": commitment(2)}));
    assert_eq!(event_attr(&r, "amended", "version"), "2");
    assert_eq!(sign(&s.worker, 1, 1), "CON-03", "the old version is no longer awaiting");
    c.ok(&s.worker, "labour", json!({"type": "sign", "contract": C1, "version": 2, "commitment": commitment(2)}));
    let v = q(c, &format!("contract/{C1}"));
    assert_eq!(v["contract"]["versions"].as_array().unwrap().len(), 2, "every version is kept");
    // An amendment's new end applies only once the worker signs it.
    let new_end = today(c).plus_days(200).to_string();
    c.ok(&s.employer, "labour", json!({"type": "amend", "contract": C1, "commitment": commitment(5), "ends": new_end}));
    assert_ne!(q(c, &format!("contract/{C1}"))["contract"]["ends"], json!(new_end), "not before the worker signs");
    c.ok(&s.worker, "labour", json!({"type": "sign", "contract": C1, "version": 3, "commitment": commitment(5)}));
    assert_eq!(q(c, &format!("contract/{C1}"))["contract"]["ends"], json!(new_end));
    assert!(v["contract"]["versions"][1]["signed_height"].is_u64());
    // An amendment to no end date, once signed, leaves the contract open-ended.
    c.ok(&s.employer, "labour", json!({"type": "amend", "contract": C1, "commitment": commitment(6), "ends": null}));
    c.ok(&s.worker, "labour", json!({"type": "sign", "contract": C1, "version": 4, "commitment": commitment(6)}));
    assert_eq!(q(c, &format!("contract/{C1}"))["contract"]["ends"], Value::Null, "open-ended after the signature");
    // Withdrawn employers register no more.
    c.ok(&s.federation, "labour", json!({"type": "withdraw_employer", "employer": s.employer.public_key().address()}));
    assert_eq!(c.code(&s.employer, "labour", register(&s, "fedcba9876543210fedcba9876543210")), "CON-02");
}

#[test]
fn timesheets_weekly_by_the_employer_answered_once_by_the_worker() {
    let s = setup();
    let c = &s.chain;
    c.ok(&s.federation, "labour", json!({"type": "vouch_employer", "employer": s.employer.public_key().address()}));
    c.ok(&s.employer, "labour", register(&s, C1));
    let t = today(c);
    let monday = t.plus_days(-i64::from(t.weekday()) - 7);
    let sheet = |k: &Keypair, m: Date| {
        c.code(
            k,
            "labour",
            json!({"type": "timesheet", "contract": C1, "monday": m.to_string(), "commitment": commitment(3)}),
        )
    };
    assert_eq!(sheet(&s.employer, monday.plus_days(1)), "CON-06", "not a Monday");
    assert_eq!(sheet(&s.employer, monday.plus_days(14)), "CON-06", "a week still to come");
    assert_eq!(sheet(&s.worker, monday), "CON-06", "the employer submits");
    c.ok(
        &s.employer,
        "labour",
        json!({"type": "timesheet", "contract": C1, "monday": monday.to_string(), "commitment": commitment(3)}),
    );
    assert_eq!(sheet(&s.employer, monday), "CON-06", "once a week");
    let answer = |k: &Keypair| {
        c.code(
            k,
            "labour",
            json!({"type": "confirm_timesheet", "contract": C1, "monday": monday.to_string(), "agree": false}),
        )
    };
    assert_eq!(answer(&s.employer), "CON-06");
    let r = c.ok(
        &s.worker,
        "labour",
        json!({"type": "confirm_timesheet", "contract": C1, "monday": monday.to_string(), "agree": false}),
    );
    assert_eq!(event_attr(&r, "timesheet_confirmed", "agree"), "false", "a dispute is recorded");
    assert_eq!(answer(&s.worker), "CON-06", "answered once");
    assert_eq!(q(c, &format!("timesheet/{C1}/{monday}"))["timesheet"]["agreed"], json!(false));
}

#[test]
fn deadlines_warn_before_and_are_missed_after_and_termination_sets_the_final_pay() {
    let s = setup();
    let c = &s.chain;
    c.ok(&s.federation, "labour", json!({"type": "vouch_employer", "employer": s.employer.public_key().address()}));
    c.ok(&s.employer, "labour", register(&s, C1));
    let due = today(c).plus_days(8);
    let report = |ins: &str| json!({"type": "set_deadline", "contract": C1, "deadline": {"kind": "insurance_report", "insurance": ins}, "due": due.to_string()});
    assert_eq!(c.code(&s.outsider, "labour", report("employment")), "CON-07");
    assert_eq!(c.code(&s.employer, "labour", report("lottery")), "invalid-message");
    c.ok(&s.employer, "labour", report("employment"));
    c.ok(&s.office, "labour", report("health"));
    assert_eq!(c.code(&s.employer, "labour", report("health")), "CON-07", "once");
    // Nothing two days in; on the third (five days before the due day) both are near. The
    // employer cannot mark its own duty met; the office marks health met. On the due day
    // nothing is missed yet; the day after, employment is.
    assert!(pass_days(c, 2).is_empty());
    let near = pass_days(c, 1);
    assert_eq!(near.iter().filter(|k| *k == "deadline_near").count(), 2, "{near:?}");
    let health = json!({"type": "meet_deadline", "contract": C1, "deadline": {"kind": "insurance_report", "insurance": "health"}});
    assert_eq!(c.code(&s.employer, "labour", health.clone()), "CON-07");
    assert_eq!(c.code(&s.worker, "labour", health.clone()), "CON-07", "reports are the office's to confirm");
    c.ok(&s.office, "labour", health);
    assert!(pass_days(c, 5).iter().all(|k| k != "deadline_missed"), "not before the due day has passed");
    let after = pass_days(c, 1);
    assert_eq!(after.iter().filter(|k| *k == "deadline_missed").count(), 1, "{after:?}");
    let v = q(c, &format!("contract/{C1}"))["contract"]["deadlines"].clone();
    assert_eq!((v[0]["missed"].clone(), v[1]["missed"].clone()), (json!(true), json!(false)));
    // The final pay's deadline comes only from a termination; a termination cannot reach
    // beyond the notice period; a party's termination sets the final pay 14 days later.
    let final_pay = json!({"type": "set_deadline", "contract": C1, "deadline": {"kind": "final_pay"}, "due": today(c).plus_days(30).to_string()});
    assert_eq!(c.code(&s.employer, "labour", final_pay), "CON-07");
    let far = json!({"type": "terminate", "contract": C1, "ends": today(c).plus_days(400).to_string()});
    assert_eq!(c.code(&s.employer, "labour", far), "CON-05");
    let ends = today(c);
    assert_eq!(
        c.code(&s.outsider, "labour", json!({"type": "terminate", "contract": C1, "ends": ends.to_string()})),
        "CON-05"
    );
    // An open-ended amendment registered before the termination and signed after it does not
    // undo the termination's end.
    let pending = q(c, &format!("contract/{C1}"))["contract"]["versions"].as_array().unwrap().len() + 1;
    c.ok(&s.employer, "labour", json!({"type": "amend", "contract": C1, "commitment": commitment(9), "ends": null}));
    let r = c.ok(&s.worker, "labour", json!({"type": "terminate", "contract": C1, "ends": ends.to_string()}));
    assert_eq!(event_attr(&r, "terminated", "final_pay_due"), ends.plus_days(14).to_string());
    c.ok(&s.worker, "labour", json!({"type": "sign", "contract": C1, "version": pending, "commitment": commitment(9)}));
    assert_eq!(q(c, &format!("contract/{C1}"))["contract"]["ends"], json!(ends.to_string()), "the termination stands");
    assert_eq!(
        c.code(&s.employer, "labour", json!({"type": "terminate", "contract": C1, "ends": ends.to_string()})),
        "CON-05",
        "once"
    );
    assert_eq!(
        c.code(&s.employer, "labour", json!({"type": "amend", "contract": C1, "commitment": commitment(4)})),
        "CON-04",
        "no amendments after the end"
    );
}

#[test]
fn malformed_messages_and_queries_are_refused_with_a_reason() {
    let s = setup();
    for bad in [
        json!({"type": "register", "contract": C1}),
        json!({"type": "register", "contract": C1, "worker": "x", "commitment": commitment(1), "starts": "2026-01-05"}),
        json!({"type": "register", "contract": C1, "worker": s.worker.public_key().address(), "commitment": commitment(1), "starts": "2026-02-30"}),
        json!({"type": "register", "contract": C1, "worker": s.worker.public_key().address(), "commitment": commitment(1), "starts": "2026-03-01", "ends": "2026-02-01"}),
        json!({"type": "register", "contract": C1, "worker": s.worker.public_key().address(), "commitment": commitment(1), "starts": "2026-03-01", "wage_krw": 10320}),
        json!({"type": "sign", "contract": "ABCDEF0123456789ABCDEF0123456789", "version": 1, "commitment": commitment(1)}),
        json!({"type": "nope"}),
    ] {
        assert_eq!(s.chain.code(&s.employer, "labour", bad.clone()), "invalid-message", "{bad}");
    }
    assert!(s.chain.ledger.query("labour", "contract/unknown", &Value::Null).is_err());
    assert!(s.chain.ledger.query("labour", "employer/not-an-account", &Value::Null).is_err());
    assert!(s.chain.ledger.query("labour", "timesheet/x/not-a-date", &Value::Null).is_err());
    assert!(s.chain.ledger.query("labour", "wages", &Value::Null).is_err());
}
