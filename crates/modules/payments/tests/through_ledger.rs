//! The payments module through the real execution path: each PAY rule with its failure, the
//! bank's reports and reconciliation, and the statutory engine's deadlines.

mod common;

use common::{addr, key, kinds, report, Site, PROJECT};
use dojang_payments::rules::{late_interest, DirectCause, Rate};
use dojang_payments::state::{Guarantee, LineStatus, ProgressStatus};
use dojang_payments::views::ReconciliationQuery;
use serde_json::json;

fn part(contract: Option<&str>, kind: &str, krw: u64) -> serde_json::Value {
    json!({"contract": contract, "kind": kind, "krw": krw, "method": "transfer"})
}

#[test]
fn the_tree_is_registered_by_each_payer_and_pay_05_guarantees_fall_due_over_10_million() {
    let s = Site::new();
    let today = s.today();
    // Only an officer registers a project; only the payer registers a contract under it.
    let project = json!({"type": "register_project", "id": "bridge-2", "name": "Bridge", "prime": addr(&s.prime),
        "amount_krw": 60_000_000, "signed": today});
    assert_eq!(s.code(&s.prime, project), "unauthorized");
    let contract = |id: &str, parent: Option<&str>, krw: u64| {
        json!({"type": "register_contract", "project": PROJECT,
        "id": id, "parent": parent, "contractor": addr(&key()), "kind": "subcontract", "amount_krw": krw,
        "signed": today, "agreed_days": 30})
    };
    assert_eq!(s.code(&s.sub, contract("sub-x", None, 1_000)), "unauthorized", "the prime contracts under the project");
    assert_eq!(s.code(&s.prime, contract("sub-y", Some("sub-a"), 1_000)), "unauthorized", "sub-a's contractor does");
    // More than is left to contract: 1,000 M - 328 M under the prime.
    let why = s.reason(&s.prime, contract("sub-z", None, 672_000_001));
    assert!(why.contains("672000000 won of it is left"), "{why}");
    let why = s.reason(&s.equipment, json!({"type": "register_contract", "project": PROJECT, "id": "sub-q",
        "parent": "equip", "contractor": addr(&key()), "kind": "material", "amount_krw": 1, "signed": today, "agreed_days": 30}));
    assert!(why.contains("only a subcontract has contracts under it"), "{why}");

    let by = today.plus_days(30);
    assert_eq!(s.contract("sub-a").guarantee, Guarantee::Due { by });
    assert_eq!(s.contract("mat").guarantee, Guarantee::NotNeeded, "8 M is under the threshold");
    s.ok(
        &s.prime,
        json!({"type": "register_contract", "project": PROJECT, "id": "gravel", "contractor": addr(&key()),
        "kind": "material", "amount_krw": 50_000_000, "signed": today, "agreed_days": 30}),
    );
    assert_eq!(s.contract("gravel").guarantee, Guarantee::NotNeeded, "a supply of material needs none");
    assert_eq!(s.contract("sub-b").payer, addr(&s.sub));
    // The prime gives sub-a's guarantee in time; sub-a does not give sub-b's.
    let give = |c: &str| json!({"type": "give_guarantee", "project": PROJECT, "contract": c, "reference": s.fresh()});
    assert_eq!(s.code(&s.sub, give("sub-a")), "unauthorized", "the payer gives it");
    s.ok(&s.prime, give("sub-a"));
    s.ok(&s.prime, give("equip"));
    let events = s.pass_days(30);
    assert!(!kinds(&events).contains(&"guarantee_missed".to_string()), "not before its day ends: {events:?}");
    let events = s.pass_days(1);
    assert_eq!(kinds(&events), ["guarantee_missed", "direct_payment_triggered"], "{events:?}");
    assert_eq!(s.contract("sub-b").guarantee, Guarantee::Missed { by });
    assert_eq!(s.contract("sub-b").direct, Some(DirectCause::MissingGuarantee));
    assert!(matches!(s.contract("sub-a").guarantee, Guarantee::Given { .. }));
    assert_eq!(s.contract("sub-a").direct, None);
}

#[test]
fn pay_07_the_split_sums_and_labour_goes_only_to_engaged_workers_own_accounts() {
    let s = Site::new();
    let received = s.today();
    let submit = |parts: serde_json::Value, approved: u64| {
        json!({"type": "submit_progress", "project": PROJECT,
        "number": 1, "approved_krw": approved, "received": received, "parts": parts})
    };
    let why = s.reason(
        &s.prime,
        submit(
            json!([part(None, "material", 60_000_000), part(Some("sub-a"), "subcontract", 39_000_000)]),
            100_000_000,
        ),
    );
    assert!(why.starts_with("PAY-07") && why.contains("1000000 missing"), "{why}");
    assert_eq!(s.code(&s.sub, submit(json!([part(None, "material", 1)]), 1)), "unauthorized", "the prime submits");
    // Never more to a contract than it is worth: equip is 20 M.
    let why = s.reason(
        &s.prime,
        submit(
            json!([part(Some("equip"), "equipment", 15_000_000), part(Some("equip"), "equipment", 5_000_001)]),
            20_000_001,
        ),
    );
    assert!(why.starts_with("PAY-07") && why.contains("20000001 won, more than its contract (20000000 won)"), "{why}");

    let crew = s.worker(&s.sub, Some("sub-a"));
    let mate = s.worker(&s.sub, Some("sub-a"));
    let stranger = key();
    let unbound = key();
    s.ok(&s.sub, json!({"type": "engage_worker", "project": PROJECT, "contract": "sub-a", "worker": addr(&unbound)}));
    let labour = |w: &[&dojang_crypto::Keypair]| {
        json!([{"contract": "sub-a", "kind": "labour", "krw": 3_000_000,
        "method": "transfer", "workers": w.iter().map(|k| addr(k)).collect::<Vec<_>>(), "lines": s.fresh()}])
    };
    let why = s.reason(&s.prime, submit(labour(&[&crew, &mate, &stranger]), 3_000_000));
    assert!(why.starts_with("PAY-07") && why.contains("not a worker engaged on sub-a"), "{why}");
    let why = s.reason(&s.prime, submit(labour(&[&crew, &mate, &unbound]), 3_000_000));
    assert!(why.starts_with("PAY-07") && why.contains("has bound no account"), "{why}");
    // A worker engaged by the equipment supplier is not sub-a's.
    let theirs = s.worker(&s.equipment, Some("equip"));
    let why = s.reason(&s.prime, submit(labour(&[&crew, &mate, &theirs]), 3_000_000));
    assert!(why.contains("not a worker engaged on sub-a"), "{why}");
    // A worker binds their account themselves; the employer cannot engage for another's contract.
    assert_eq!(
        s.code(
            &s.prime,
            json!({"type": "engage_worker", "project": PROJECT, "contract": "sub-a", "worker": addr(&key())})
        ),
        "unauthorized"
    );
    s.ok(&unbound, json!({"type": "bind_account", "project": PROJECT, "account": s.fresh()}));
    // Two workers' total would be close to each one's wage: a labour part pays three at least.
    let two =
        dojang_payments::exec::check(&serde_json::from_value(submit(labour(&[&crew, &unbound]), 3_000_000)).unwrap());
    assert!(two.unwrap_err().to_string().contains("3 at least"));
    s.ok(&s.prime, submit(labour(&[&crew, &mate, &unbound]), 3_000_000));
    assert_eq!(s.progress(1).status, ProgressStatus::Submitted);
}

#[test]
fn pay_10_no_payment_in_kind_pay_04_the_cash_share_and_pay_11_mutual_aid() {
    let s = Site::new();
    let received = s.today();
    let submit = |parts: serde_json::Value| {
        let total: u64 = parts.as_array().unwrap().iter().map(|p| p["krw"].as_u64().unwrap()).sum();
        json!({"type": "submit_progress", "project": PROJECT, "number": 1, "approved_krw": total, "received": received, "parts": parts})
    };
    let in_kind = json!([{"contract": "mat", "kind": "material", "krw": 1_000_000, "method": "in_kind"}]);
    assert!(s.reason(&s.prime, submit(in_kind)).starts_with("PAY-10"));
    // The owner pays all in cash: a note to the subcontractor lowers its cash share.
    let note = json!([part(Some("sub-a"), "subcontract", 9_000_000),
        {"contract": "sub-a", "kind": "subcontract", "krw": 1_000_000, "method": "note"}]);
    let why = s.reason(&s.prime, submit(note));
    assert!(why.starts_with("PAY-04") && why.contains("(sub-a)"), "{why}");
    // 22 worker-days at 6,500 won are 143,000 won.
    let aid = |krw: u64| {
        json!([part(None, "material", 1_000_000),
        {"kind": "mutual_aid", "krw": krw, "method": "transfer", "worker_days": 22}])
    };
    let why = s.reason(&s.prime, submit(aid(140_000)));
    assert!(why.starts_with("PAY-11") && why.contains("143000 won"), "{why}");
    s.ok(&s.prime, submit(aid(143_000)));
}

#[test]
fn two_officers_approve_and_the_bank_reports_each_line_once_rejections_escalated_until_resent() {
    let s = Site::new();
    let received = s.today();
    let parts = json!([
        part(None, "material", 50_000_000),
        part(Some("sub-a"), "subcontract", 30_000_000),
        part(Some("equip"), "equipment", 5_000_000)
    ]);
    s.ok(
        &s.prime,
        json!({"type": "submit_progress", "project": PROJECT, "number": 1, "approved_krw": 85_000_000,
        "received": received, "parts": parts}),
    );
    let approve = json!({"type": "approve", "project": PROJECT, "number": 1});
    assert_eq!(s.code(&s.other_department, approve.clone()), "unauthorized", "another department's officer");
    assert_eq!(s.code(&s.prime, approve.clone()), "unauthorized");
    s.ok(&s.officers[0], approve.clone());
    assert!(s.reason(&s.officers[0], approve.clone()).contains("a second officer must"));
    assert_eq!(s.progress(1).status, ProgressStatus::Submitted, "one approval sends nothing");
    let r = s.ok(&s.officers[1], approve.clone());
    assert!(kinds(&r.events).contains(&"instructed".to_string()));
    let pr = s.progress(1);
    assert_eq!(pr.status, ProgressStatus::Instructed);
    assert_eq!(
        (pr.lines[1].payee, pr.lines[1].due),
        (addr(&s.sub), received.plus_days(15)),
        "PAY-02: 15 days after the owner pays"
    );
    assert_eq!(pr.lines[0].due, received.plus_days(60), "PAY-01: the prime's own");

    let today = s.today();
    let confirmed = json!({"outcome": "confirmed", "value_date": today});
    assert_eq!(s.code(&s.prime, report(1, 0, confirmed.clone())), "unauthorized", "only the bank reports");
    let r = s.report(1, 0, confirmed.clone());
    assert_eq!(kinds(&r.events), ["line_confirmed"]);
    // The same report again (a retried file): accepted, nothing changes, no second event.
    let again = s.report(1, 0, confirmed.clone());
    assert!(again.events.is_empty(), "{again:?}");
    let why = s.reason(&s.bank, report(1, 0, json!({"outcome": "rejected", "code": "account_closed"})));
    assert!(why.contains("never reported otherwise"), "{why}");
    assert!(s.reason(&s.bank, report(1, 9, confirmed.clone())).contains("no line 9"));

    let rejected = json!({"outcome": "rejected", "code": "name_mismatch"});
    // One statement on two lines: line 1 rejected, line 2 paid; sent again, it changes nothing.
    let statement = json!({"type": "report", "project": PROJECT, "number": 1, "answers": [
        {"line": 1, "outcome": rejected}, {"line": 2, "outcome": confirmed}]});
    assert_eq!(kinds(&s.ok(&s.bank, statement.clone()).events), ["line_rejected", "line_confirmed"]);
    assert!(s.ok(&s.bank, statement).events.is_empty());
    let rec = s.chain.ask(&ReconciliationQuery { project: PROJECT.into(), number: 1 }).unwrap();
    assert_eq!(
        (rec.confirmed, rec.confirmed_krw, rec.escalated.clone(), rec.pending.clone()),
        (2, 55_000_000, vec![1], vec![])
    );
    // A statement with one answer the chain cannot take is refused whole: line 0's repeat
    // does not go in alone.
    let mixed = json!({"type": "report", "project": PROJECT, "number": 1, "answers": [
        {"line": 0, "outcome": confirmed}, {"line": 1, "outcome": confirmed}]});
    assert!(s.reason(&s.bank, mixed).contains("sends it again"));
    assert_eq!(s.code(&s.sub, json!({"type": "resend", "project": PROJECT, "number": 1, "line": 1})), "unauthorized");
    assert!(s
        .reason(&s.prime, json!({"type": "resend", "project": PROJECT, "number": 1, "line": 0}))
        .contains("not rejected"));
    s.ok(&s.prime, json!({"type": "resend", "project": PROJECT, "number": 1, "line": 1}));
    // The second attempt of line 1 is paid.
    s.ok(
        &s.bank,
        json!({"type": "report", "project": PROJECT, "number": 1, "answers": [
        {"line": 1, "attempt": 2, "outcome": confirmed}]}),
    );
    let rec = s.chain.ask(&ReconciliationQuery { project: PROJECT.into(), number: 1 }).unwrap();
    assert_eq!((rec.confirmed, rec.confirmed_krw, rec.escalated.len(), rec.interest_krw), (3, 85_000_000, 0, 0));
    assert_eq!(s.contract("sub-a").paid_krw, 30_000_000);
}

#[test]
fn pay_03_a_line_paid_late_accrues_interest_day_by_day_after_60_days_from_receipt() {
    let s = Site::new();
    let received = s.today();
    s.instruct(
        1,
        received,
        json!([part(Some("sub-a"), "subcontract", 40_000_000), part(Some("equip"), "equipment", 1_000_000)]),
    );
    let due = s.progress(1).lines[0].due;
    assert_eq!(due, received.plus_days(15));
    let events = s.pass_days(13);
    assert_eq!(kinds(&events), ["payment_due_soon", "payment_due_soon"], "three days before its due day");
    let events = s.pass_days(9);
    assert_eq!(kinds(&events), ["payment_missed", "payment_missed"]);
    // Paid 22 days after receipt: late by 7 days, but the Act charges interest only past 60.
    let early = s.today();
    s.report(1, 1, json!({"outcome": "confirmed", "value_date": early}));
    assert_eq!(
        s.progress(1).lines[1].status,
        LineStatus::Confirmed { value_date: early, late_days: 7, interest_krw: 0 }
    );
    s.pass_days(45);
    let paid = s.today();
    assert_eq!(paid, received.plus_days(67));
    let r = s.report(1, 0, json!({"outcome": "confirmed", "value_date": paid}));
    let from = received.plus_days(60);
    let expected =
        late_interest(40_000_000, from, paid, &[Rate { from: "2019-07-01".parse().unwrap(), bp: 1_550 }]).unwrap();
    // 7 days past the 60 at 15.5 % a year: 40,000,000 × 0.155 × 7 / 365 = 118,904.1 -> 118,904.
    assert_eq!(expected, 118_904);
    assert_eq!(
        s.progress(1).lines[0].status,
        LineStatus::Confirmed { value_date: paid, late_days: 52, interest_krw: expected }
    );
    assert_eq!(dojang_testkit::event_attr(&r, "line_confirmed", "interest_krw"), "118904");
    assert_eq!(s.contract("sub-a").interest_krw, expected);
}

#[test]
fn pay_06_direct_payment_fires_exactly_after_the_second_missed_instalment() {
    let s = Site::new();
    for c in ["sub-a", "equip"] {
        s.ok(&s.prime, json!({"type": "give_guarantee", "project": PROJECT, "contract": c, "reference": s.fresh()}));
    }
    let sub_line = |krw| json!([part(Some("sub-a"), "subcontract", krw), part(Some("sub-a"), "equipment", 1_000_000)]);
    s.instruct(1, s.today(), sub_line(10_000_000));
    let events = s.pass_days(16);
    assert_eq!(kinds(&events).iter().filter(|k| *k == "payment_missed").count(), 2, "both lines: {events:?}");
    assert!(!kinds(&events).contains(&"direct_payment_triggered".to_string()), "two lines of one payment are one miss");
    assert_eq!(s.contract("sub-a").missed, vec![1]);
    assert_eq!(s.contract("sub-a").direct, None);

    s.instruct(2, s.today(), sub_line(12_000_000));
    assert!(!s.progress(2).lines[0].direct);
    let events = s.pass_days(16);
    assert!(kinds(&events).contains(&"direct_payment_triggered".to_string()), "{events:?}");
    assert_eq!(s.contract("sub-a").missed, vec![1, 2]);
    assert_eq!(s.contract("sub-a").direct, Some(DirectCause::MissedInstalments(2)));

    s.instruct(3, s.today(), sub_line(11_000_000));
    let pr = s.progress(3);
    assert!(pr.lines.iter().all(|l| l.direct), "the owner pays sub-a directly from its next payment");
    // A cause recorded by an officer of the department, for another contract.
    s.ok(
        &s.officers[0],
        json!({"type": "record_cause", "project": PROJECT, "contract": "equip", "cause": "insolvency"}),
    );
    assert_eq!(s.contract("equip").direct, Some(DirectCause::Insolvency));
    assert_eq!(
        s.code(&s.prime, json!({"type": "record_cause", "project": PROJECT, "contract": "mat", "cause": "insolvency"})),
        "unauthorized"
    );
}

#[test]
fn pay_09_a_change_order_passes_through_in_the_same_ratio_within_30_days() {
    let s = Site::new();
    let order = json!({"type": "change_order", "project": PROJECT, "increase_krw": 50_000_000, "on": s.today()});
    assert_eq!(s.code(&s.prime, order.clone()), "unauthorized");
    let r = s.ok(&s.officers[1], order);
    // 5 % more: sub-a 300 M -> 15 M, equip 20 M -> 1 M, mat 8 M -> 400,000; sub-b is under sub-a.
    assert_eq!(kinds(&r.events), ["change_ordered", "pass_through_due", "pass_through_due", "pass_through_due"]);
    assert_eq!(s.contract("sub-a").pass_through[0].increase_krw, 15_000_000);
    assert!(s.contract("sub-b").pass_through.is_empty());
    s.ok(
        &s.prime,
        json!({"type": "amend_contract", "project": PROJECT, "contract": "sub-a", "increase_krw": 15_000_000}),
    );
    s.ok(&s.prime, json!({"type": "amend_contract", "project": PROJECT, "contract": "equip", "increase_krw": 600_000}));
    assert!(s.contract("sub-a").pass_through.is_empty());
    assert_eq!(s.contract("sub-a").amount_krw, 315_000_000);
    assert_eq!(s.contract("equip").pass_through[0].increase_krw, 400_000, "what is still owed");
    let events = s.pass_days(31);
    let missed: Vec<_> = events.iter().filter(|e| e.kind == "pass_through_missed").collect();
    assert_eq!(missed.len(), 2, "equip and mat: {events:?}");
}

#[test]
fn malformed_messages_and_queries_get_clear_errors() {
    use dojang_payments::msg::PaymentsMsg;
    let s = Site::new();
    let bad = |v: serde_json::Value| serde_json::from_value::<PaymentsMsg>(v).unwrap_err().to_string();
    assert!(bad(json!({"type": "approve", "project": PROJECT})).contains("number"));
    assert!(bad(json!({"type": "approve", "project": PROJECT, "number": 1, "extra": 1})).contains("unknown field"));
    assert!(bad(json!({"type": "report", "project": PROJECT, "number": 1, "answers": [{"line": 0, "outcome": {"outcome": "lost"}}]}))
        .contains("unknown variant"));
    let check = |v: serde_json::Value| {
        dojang_payments::exec::check(&serde_json::from_value::<PaymentsMsg>(v).unwrap()).unwrap_err().to_string()
    };
    assert!(check(json!({"type": "register_project", "id": "Road 7", "name": "x", "prime": addr(&key()),
        "amount_krw": 1, "signed": "2026-01-01"}))
    .contains("not 1-32 lower-case"));
    assert!(check(json!({"type": "register_project", "id": "r", "name": "call 010-1234-5678", "prime": addr(&key()),
        "amount_krw": 1, "signed": "2026-01-01"}))
    .contains("long number"));
    assert!(check(json!({"type": "submit_progress", "project": PROJECT, "number": 1, "approved_krw": 1,
        "received": "2026-01-01", "parts": []}))
    .contains("parts: 1 to"));
    assert!(check(json!({"type": "submit_progress", "project": PROJECT, "number": 1, "approved_krw": 1,
        "received": "2026-01-01", "parts": [{"kind": "labour", "krw": 1, "method": "transfer"}]}))
    .contains("names its workers"));
    assert!(check(json!({"type": "submit_progress", "project": PROJECT, "number": 1, "approved_krw": 1,
        "received": "2026-01-01", "parts": [{"kind": "mutual_aid", "krw": 1, "method": "transfer"}]}))
    .contains("worker_days"));
    assert!(check(json!({"type": "register_contract", "project": PROJECT, "id": "c", "contractor": addr(&key()),
        "kind": "material", "amount_krw": 1, "signed": "2026-01-01", "agreed_days": 0}))
    .contains("agreed_days"));
    assert!(check(report(1, 0, json!({"outcome": "rejected", "code": "Account Closed!"}))).contains("reason code"));
    assert!(check(json!({"type": "report", "project": PROJECT, "number": 1, "answers": []})).contains("answers: 1 to"));
    let twice = json!({"line": 0, "outcome": {"outcome": "rejected", "code": "x"}});
    assert!(check(json!({"type": "report", "project": PROJECT, "number": 1, "answers": [twice.clone(), twice]}))
        .contains("answered twice"));
    // Queries: a bad path, a bad number, a missing record.
    let q = |path: &str| s.chain.ledger.query("payments", path, &json!({})).unwrap_err().to_string();
    assert!(q("nothing/here").contains("no payments query"));
    assert!(q(&format!("progress/{PROJECT}/first")).contains("not a progress payment number"));
    assert!(q(&format!("progress/{PROJECT}/7")).contains("progress payment 7 of 'road-7'"));
    assert!(q("officer/not-an-address").contains("not an account address"));
    let missing = s.chain.ledger.query("payments", &format!("reconciliation/{PROJECT}/3"), &json!({})).unwrap_err();
    assert!(matches!(missing, dojang_ledger::ModuleError::NotFound(_)), "{missing:?}");
    // A payment number is used once; numbers need not follow each other; 0 is none.
    let submit = |number: u32| {
        json!({"type": "submit_progress", "project": PROJECT, "number": number,
        "approved_krw": 1, "received": s.today(), "parts": [part(None, "material", 1)]})
    };
    s.ok(&s.prime, submit(2));
    assert!(s.reason(&s.prime, submit(2)).contains("progress payment 2 of 'road-7' is submitted already"));
    assert!(s.reason(&s.prime, submit(0)).contains("numbered from 1"));
    s.ok(&s.prime, submit(1));
}

#[test]
fn one_deadline_per_payment_follows_its_lines_due_on_different_days() {
    let s = Site::new();
    let received = s.today();
    // The prime's own line is due in 60 days, sub-a's in 15.
    s.instruct(1, received, json!([part(None, "material", 5_000_000), part(Some("sub-a"), "subcontract", 4_000_000)]));
    let pr = s.progress(1);
    assert_eq!((pr.lines[0].due, pr.lines[1].due), (received.plus_days(60), received.plus_days(15)));
    assert_eq!(pr.next_due, Some(received.plus_days(15)), "the earliest open line");
    // sub-a's line is rejected: still owed, so still missed when its day passes.
    s.report(1, 1, json!({"outcome": "rejected", "code": "account_closed"}));
    let events = s.pass_days(16);
    assert_eq!(kinds(&events), ["payment_due_soon", "payment_missed"], "{events:?}");
    assert!(s.progress(1).lines[1].missed);
    assert_eq!(s.progress(1).next_due, Some(received.plus_days(60)), "moved to the prime's line");
    // The prime's line is paid before its day: nothing is left to remind of or miss.
    s.report(1, 0, json!({"outcome": "confirmed", "value_date": s.today()}));
    let pr = s.progress(1);
    assert_eq!((pr.next_due, pr.next_remind), (None, None));
    let events = s.pass_days(50);
    let left: Vec<_> = events.iter().filter(|e| e.kind.starts_with("payment_")).collect();
    assert!(left.is_empty(), "no deadline left behind: {left:?}");
    assert!(!s.progress(1).lines[0].missed);
}

#[test]
fn a_line_sent_again_is_answered_for_its_new_attempt_and_an_old_answer_changes_nothing() {
    let s = Site::new();
    s.instruct(1, s.today(), json!([part(Some("sub-a"), "subcontract", 4_000_000)]));
    let rejected = json!({"outcome": "rejected", "code": "account_closed"});
    s.report(1, 0, rejected.clone());
    s.ok(&s.prime, json!({"type": "resend", "project": PROJECT, "number": 1, "line": 0}));
    assert_eq!(s.progress(1).lines[0].attempt, 2);
    // The first attempt's answer, retried: changes nothing.
    assert!(s.report(1, 0, rejected).events.is_empty());
    assert_eq!(s.progress(1).lines[0].status, LineStatus::Pending);
    let confirmed = json!({"outcome": "confirmed", "value_date": s.today()});
    let third = json!({"type": "report", "project": PROJECT, "number": 1, "answers": [{"line": 0, "attempt": 3, "outcome": confirmed}]});
    assert!(s.reason(&s.bank, third).contains("no attempt 3"));
    let second = json!({"type": "report", "project": PROJECT, "number": 1, "answers": [{"line": 0, "attempt": 2, "outcome": confirmed}]});
    assert_eq!(kinds(&s.ok(&s.bank, second).events), ["line_confirmed"]);
}

#[test]
fn dates_far_from_today_are_refused_and_interest_parts_never_pay_more_than_accrued() {
    let s = Site::new();
    let today = s.today();
    let contract = |signed: dojang_types::Date| {
        json!({"type": "register_contract", "project": PROJECT, "id": "late",
        "contractor": addr(&key()), "kind": "material", "amount_krw": 1_000, "signed": signed, "agreed_days": 30})
    };
    assert!(s.reason(&s.prime, contract(today.plus_days(1))).contains("is not between"));
    assert!(s.reason(&s.prime, contract(today.plus_days(-400))).contains("is not between"));
    let far = json!({"type": "submit_progress", "project": PROJECT, "number": 1, "approved_krw": 1,
        "received": today.plus_days(-400), "parts": [part(None, "material", 1)]});
    assert!(s.reason(&s.prime, far).contains("is not between"));
    // No interest accrued: an interest part for sub-a is refused.
    let interest = json!({"type": "submit_progress", "project": PROJECT, "number": 1, "approved_krw": 10,
        "received": today, "parts": [part(Some("sub-a"), "interest", 10)]});
    let why = s.reason(&s.prime, interest);
    assert!(why.starts_with("PAY-03") && why.contains("more than the 0 won"), "{why}");
    // An amendment cannot raise a contract past what is left above it.
    let why = s.reason(
        &s.sub,
        json!({"type": "amend_contract", "project": PROJECT, "contract": "sub-b", "increase_krw": 200_000_001}),
    );
    assert!(why.contains("200000000 won of it is left"), "{why}");
}
