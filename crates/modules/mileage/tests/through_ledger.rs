//! Mileage through the real ledger: each MIL rule shown doing its work and refusing what it
//! forbids, with the programmes' books checked against the accounts after each story.

mod common;

use common::{addr, key, City, CAP};
use dojang_mileage::events::MileageEvent;
use dojang_mileage::state::Lot;
use dojang_mileage::views::{
    EvidenceQuery, ExpiringQuery, LiabilityQuery, MerchantDayQuery, RedeemedQuery, RequestQuery, SettlementsQuery,
    SinkQuery,
};
use dojang_types::{Date, Receipt};
use serde_json::json;

fn awarded(r: &Receipt) -> (u64, u64, Date) {
    r.events
        .iter()
        .find_map(|e| match e.decode::<MileageEvent>()? {
            Ok(MileageEvent::Awarded { krw, table_krw, expires, .. }) => Some((krw, table_krw, expires)),
            _ => None,
        })
        .expect("an award event")
}

#[test]
fn mil_03_only_the_programmes_issuer_mints_and_never_beyond_the_years_budget() {
    let c = City::new();
    let a = c.citizen();
    let e = c.evidence("meter-saving", c.today(), 1000);
    let by_other = json!({"type": "award", "programme": "eco", "account": addr(&a), "evidence": e});
    assert_eq!(c.code(&c.volunteer, by_other.clone()), "MIL-03", "the volunteering office cannot mint eco-mileage");
    assert_eq!(c.code(&key(), by_other), "MIL-03");
    // A budget of 35,000: the first award of 30,000 fits, the second does not.
    c.council(json!({"type": "set_budget", "programme": "eco", "year": c.today().year, "krw": 35_000}));
    c.award_eco(&a, 1000);
    let b = c.citizen();
    let e = c.evidence("meter-saving", c.today(), 1000);
    let over = json!({"type": "award", "programme": "eco", "account": addr(&b), "evidence": e});
    let why = c.reason(&c.eco, over.clone());
    assert!(why.starts_with("MIL-03") && why.contains("5000 won left"), "{why}");
    // The budget can grow, never below what was minted.
    let year = c.today().year;
    let r = c
        .chain
        .send(
            &c.members0(),
            "governance",
            propose(&c, json!({"type": "set_budget", "programme": "eco", "year": year, "krw": 29_999})),
        )
        .unwrap();
    assert!(format!("{r:?}").contains("MIL-03"), "{r:?}");
    assert_eq!(programme(&c, "eco").budgets, vec![(year, 35_000)], "the refused proposal changed nothing");
    c.council(json!({"type": "set_budget", "programme": "eco", "year": year, "krw": 60_000}));
    assert_eq!(c.code(&c.eco, over), "ok");
    // Without a budget for the year, nothing is minted.
    c.council(json!({"type": "register_programme", "id": "tax", "name": "Tax mileage", "issuer": addr(&c.eco),
        "credential": "resident", "cap_per_year_krw": CAP, "lot_months": 12, "gifts": false}));
    c.ok(&c.eco, json!({"type": "enrol", "programme": "tax", "account": addr(&a)}));
    c.council(json!({"type": "set_award_table", "programme": "tax", "effective_from": c.today(), "awards": [
        {"evidence": "tax-paid-on-time", "rule": {"rule": "per_unit", "krw_per_unit": 1000, "max_units": 1}}]}));
    let e = c.evidence("tax-paid-on-time", c.today(), 1);
    let why = c.reason(&c.eco, json!({"type": "award", "programme": "tax", "account": addr(&a), "evidence": e}));
    assert!(why.starts_with("MIL-03") && why.contains("no budget"), "{why}");
    c.assert_conserved();
}

fn programme(c: &City, id: &str) -> dojang_mileage::state::Programme {
    c.chain.ask(&dojang_mileage::views::ProgrammeQuery { id: id.into() }).unwrap().record
}

/// A council proposal whose message fails on execution (the proposal is refused with it).
fn propose(c: &City, msg: serde_json::Value) -> serde_json::Value {
    json!({"type": "propose", "proposal": {"module": "mileage", "msg": msg}, "reason": "test",
           "expires_at_ms": c.chain.ledger.clock_ms() + 60_000})
}

impl City {
    fn members0(&self) -> dojang_crypto::Keypair {
        self.chain.members[0].duplicate()
    }
}

#[test]
fn mil_04_an_evidence_id_is_awarded_once_in_any_programme_and_never_from_the_future() {
    let c = City::new();
    let a = c.citizen();
    let id = c.fresh();
    let e = json!({"kind": "meter-saving", "id": id, "on": c.today(), "measure": 600});
    c.ok(&c.eco, json!({"type": "award", "programme": "eco", "account": addr(&a), "evidence": e}));
    let again = json!({"type": "award", "programme": "eco", "account": addr(&a), "evidence": e});
    let why = c.reason(&c.eco, again);
    assert!(why.starts_with("MIL-04") && why.contains("awarded already, by 'eco'"), "{why}");
    // The same id cited as another kind, in another programme, to another account.
    let b = c.citizen();
    let e = json!({"kind": "volunteer-hours", "id": id, "on": c.today(), "measure": 3});
    assert_eq!(
        c.code(&c.volunteer, json!({"type": "award", "programme": "volunteer", "account": addr(&b), "evidence": e})),
        "MIL-04"
    );
    let used = c.chain.ask(&EvidenceQuery { id }).unwrap();
    assert_eq!((used.record.programme.as_str(), used.record.amount), ("eco", 10_000));
    assert_eq!(used.key, format!("mileage/evidence/{id}"));
    let future = c.evidence("meter-saving", c.today().plus_days(1), 600);
    assert_eq!(
        c.code(&c.eco, json!({"type": "award", "programme": "eco", "account": addr(&a), "evidence": future})),
        "MIL-04"
    );
    c.assert_conserved();
}

#[test]
fn mil_05_only_an_enrolled_account_is_awarded_and_only_the_issuer_enrols() {
    let c = City::new();
    let k = key();
    c.ok(&c.registrar, json!({"type": "register_account", "account": addr(&k), "pseudonym": c.fresh()}));
    let e = c.evidence("meter-saving", c.today(), 600);
    let award = json!({"type": "award", "programme": "eco", "account": addr(&k), "evidence": e});
    let why = c.reason(&c.eco, award.clone());
    assert!(why.starts_with("MIL-05") && why.contains("resident credential"), "{why}");
    assert_eq!(c.code(&c.volunteer, json!({"type": "enrol", "programme": "eco", "account": addr(&k)})), "MIL-03");
    c.ok(&c.eco, json!({"type": "enrol", "programme": "eco", "account": addr(&k)}));
    assert_eq!(c.code(&c.eco, award), "ok");
    // An account no registrar opened is neither enrolled nor awarded.
    let stranger = key();
    let why = c.reason(&c.eco, json!({"type": "enrol", "programme": "eco", "account": addr(&stranger)}));
    assert!(why.contains("not a registered mileage account"), "{why}");
}

#[test]
fn mil_06_the_award_comes_from_the_table_in_force_on_the_evidence_date() {
    let c = City::new();
    let a = c.citizen();
    let start = c.today();
    // A second version, from ten days on, pays more for the same saving.
    c.council(json!({"type": "set_award_table", "programme": "eco", "effective_from": start.plus_days(10), "awards": [
        {"evidence": "meter-saving", "rule": {"rule": "tiers", "tiers": [{"min": 500, "krw": 15_000}]}}]}));
    let r = c.award_eco(&a, 700);
    assert_eq!(awarded(&r).0, 10_000, "today the first version is in force");
    let replace_today = json!({"type": "set_award_table", "programme": "eco", "effective_from": start, "awards": [
        {"evidence": "meter-saving", "rule": {"rule": "tiers", "tiers": [{"min": 1, "krw": 1}]}}]});
    let (id, _) = (
        c.chain.submit(&c.chain.tx(&c.members0(), "governance", propose(&c, replace_today))).unwrap(),
        c.chain.block(),
    );
    let r = c.chain.receipt(&id);
    assert!(
        r.events
            .iter()
            .any(|e| e.kind == "proposal_failed" && e.attributes.contains(&("code".into(), "MIL-06".into()))),
        "{r:?}"
    );
    c.pass_days(12);
    let award = |on: Date| {
        let e = c.evidence("meter-saving", on, 700);
        c.ok(&c.eco, json!({"type": "award", "programme": "eco", "account": addr(&a), "evidence": e}))
    };
    assert_eq!(awarded(&award(start.plus_days(9))).0, 10_000, "evidence of before the change: the old table");
    assert_eq!(awarded(&award(start.plus_days(10))).1, 15_000, "evidence of the change's day: the new table");
    // Evidence the table does not pay for, a measure below every tier, a table in the past.
    let why = c.reason(
        &c.eco,
        json!({"type": "award", "programme": "eco", "account": addr(&a),
        "evidence": c.evidence("volunteer-hours", c.today(), 5)}),
    );
    assert!(why.starts_with("MIL-06") && why.contains("pays nothing for 'volunteer-hours'"), "{why}");
    let why = c.reason(
        &c.eco,
        json!({"type": "award", "programme": "eco", "account": addr(&a),
        "evidence": c.evidence("meter-saving", c.today(), 499)}),
    );
    assert!(why.starts_with("MIL-06") && why.contains("earns nothing"), "{why}");
    let before = c.evidence("meter-saving", start.plus_days(-1), 700);
    assert_eq!(
        c.code(&c.eco, json!({"type": "award", "programme": "eco", "account": addr(&a), "evidence": before})),
        "MIL-06"
    );
    let past = propose(
        &c,
        json!({"type": "set_award_table", "programme": "eco", "effective_from": start, "awards": [
        {"evidence": "meter-saving", "rule": {"rule": "tiers", "tiers": [{"min": 1, "krw": 1}]}}]}),
    );
    let r = c.chain.send(&c.members0(), "governance", past).unwrap();
    assert!(format!("{r:?}").contains("MIL-06"), "{r:?}");
    // Nor is a version already in force replaced: it has priced awards.
    let replace = propose(
        &c,
        json!({"type": "set_award_table", "programme": "eco", "effective_from": start.plus_days(10), "awards": [
        {"evidence": "meter-saving", "rule": {"rule": "tiers", "tiers": [{"min": 1, "krw": 1}]}}]}),
    );
    let r = c.chain.send(&c.members0(), "governance", replace).unwrap();
    assert!(format!("{r:?}").contains("MIL-06"), "{r:?}");
    let tables = programme(&c, "eco").tables;
    assert_eq!(tables.iter().map(|t| t.effective_from).collect::<Vec<_>>(), [start, start.plus_days(10)]);
    assert_eq!(
        tables[1].awards[0].rule,
        dojang_mileage::msg::AwardRule::Tiers { tiers: vec![dojang_mileage::msg::Tier { min: 500, krw: 15_000 }] }
    );
    // A programme coming on chain prices the evidence gathered before it with its first table.
    c.council(json!({"type": "register_programme", "id": "tax", "name": "Tax mileage", "issuer": addr(&c.eco),
        "credential": "resident", "cap_per_year_krw": CAP, "lot_months": 12, "gifts": false}));
    c.council(json!({"type": "set_budget", "programme": "tax", "year": c.today().year, "krw": 100_000}));
    c.council(
        json!({"type": "set_award_table", "programme": "tax", "effective_from": start.plus_days(-365), "awards": [
        {"evidence": "tax-paid-on-time", "rule": {"rule": "per_unit", "krw_per_unit": 1000, "max_units": 1}}]}),
    );
    c.ok(&c.eco, json!({"type": "enrol", "programme": "tax", "account": addr(&a)}));
    let e = c.evidence("tax-paid-on-time", start.plus_days(-200), 1);
    assert_eq!(
        awarded(&c.ok(&c.eco, json!({"type": "award", "programme": "tax", "account": addr(&a), "evidence": e}))).0,
        1000
    );
    c.assert_conserved();
}

#[test]
fn mil_07_the_yearly_cap_clips_an_award_and_spending_takes_the_oldest_lot_first() {
    let c = City::new();
    let a = c.citizen();
    assert_eq!(awarded(&c.award_eco(&a, 1000)).0, 30_000);
    let (krw, table_krw, _) = awarded(&c.award_eco(&a, 1000));
    assert_eq!((krw, table_krw), (CAP - 30_000, 30_000), "clipped to what the cap leaves");
    let e = c.evidence("meter-saving", c.today(), 1000);
    let why = c.reason(&c.eco, json!({"type": "award", "programme": "eco", "account": addr(&a), "evidence": e}));
    assert!(why.starts_with("MIL-07") && why.contains("cap of 50000"), "{why}");
    // The cap is per programme: volunteering still pays. Then spend 55,000 of 64,000.
    c.award_hours(&a, 20);
    let lots = c.account(&a).lots;
    assert_eq!(
        lots.iter().map(|l| (l.programme.as_str(), l.remaining)).collect::<Vec<_>>(),
        [("eco", 50_000), ("volunteer", 14_000)]
    );
    let r = c.ok(&a, json!({"type": "redeem", "sink": "local-tax", "amount": 55_000, "reference": c.fresh()}));
    let Some(Ok(MileageEvent::Redeemed { from, .. })) = r.events[0].decode::<MileageEvent>() else { panic!("{r:?}") };
    assert_eq!(
        from.iter().map(|p| (p.programme.as_str(), p.krw)).collect::<Vec<_>>(),
        [("eco", 50_000), ("volunteer", 5_000)]
    );
    let left: Vec<Lot> = c.account(&a).lots;
    assert_eq!(left.len(), 1);
    assert_eq!((left[0].programme.as_str(), left[0].remaining), ("volunteer", 9_000));
    let r = c
        .chain
        .send(&a, "mileage", json!({"type": "redeem", "sink": "local-tax", "amount": 9_001, "reference": c.fresh()}))
        .unwrap();
    assert!(format!("{r:?}").contains("insufficient_balance"), "{r:?}");
    c.assert_conserved();
}

#[test]
fn mil_07_lots_expire_after_their_last_day_and_become_the_programmes_breakage() {
    let c = City::new();
    let a = c.citizen();
    let awarded_on = c.today();
    let expires = awarded(&c.award_eco(&a, 600)).2;
    let mut month = awarded_on.month_start();
    for _ in 0..12 {
        month = month.next_month();
    }
    assert_eq!(expires, month.month_end(), "eco lots live to the end of the twelfth month after the award's");
    c.award_hours(&a, 10);
    let year = awarded_on.year;
    let expiring = c.chain.ask(&ExpiringQuery { programme: "eco".into(), month: expires }).unwrap().record;
    assert_eq!(expiring, 10_000);
    // On the lot's last day it is spent first; the day after, the deadline takes what is left.
    let days = (expires.days() - c.today().days()) as u64;
    c.pass_days(days);
    assert_eq!(c.today(), expires);
    let r = c.ok(&a, json!({"type": "redeem", "sink": "local-tax", "amount": 1, "reference": c.fresh()}));
    let Some(Ok(MileageEvent::Redeemed { from, .. })) = r.events[0].decode::<MileageEvent>() else { panic!("{r:?}") };
    assert_eq!(from[0].programme, "eco", "spendable on its last day");
    let kinds = c.pass_days(1);
    assert!(kinds.contains(&"expired".to_string()), "{kinds:?}");
    assert_eq!(
        c.account(&a).lots.iter().map(|l| (l.programme.as_str(), l.remaining)).collect::<Vec<_>>(),
        [("volunteer", 7_000)]
    );
    let t = c.totals("eco", year);
    assert_eq!((t.minted, t.redeemed, t.expired, t.outstanding), (10_000, 1, 9_999, 0));
    assert!(
        c.chain.ask(&ExpiringQuery { programme: "eco".into(), month: expires }).is_err(),
        "nothing left expiring that month"
    );
    c.assert_conserved();
}

#[test]
fn mil_08_mileage_is_spent_only_at_approved_sinks_and_each_bill_once() {
    let c = City::new();
    let a = c.citizen();
    c.award_eco(&a, 1000);
    let redeem =
        |sink: &str, reference| json!({"type": "redeem", "sink": sink, "amount": 1000, "reference": reference});
    let why = c.reason(&a, redeem("casino", c.fresh()));
    assert!(why.starts_with("MIL-08") && why.contains("not a place the council approved"), "{why}");
    assert_eq!(c.code(&a, redeem("zeropay", c.fresh())), "MIL-08", "merchants are paid by pay, against a request");
    let bill = c.fresh();
    let paid = c.ok(&a, redeem("local-tax", bill));
    let record = c.chain.ask(&RedeemedQuery { sink: "local-tax".into(), reference: bill }).unwrap().record;
    assert_eq!(
        (record.height, record.krw, record.account),
        (paid.height, 1000, addr(&a)),
        "the tax office can check the bill"
    );
    assert_eq!(c.code(&a, redeem("local-tax", bill)), "MIL-08", "a tax bill is paid once");
    let pay = json!({"type": "pay", "merchant": addr(&key()), "amount": 500, "request": c.fresh()});
    assert_eq!(c.code(&a, pay), "MIL-08", "only a registered merchant is paid");
    c.ok(&c.finance, json!({"type": "register_merchant", "account": addr(&a), "name": "A stall", "sink": "zeropay"}));
    let own = json!({"type": "pay", "merchant": addr(&a), "amount": 500, "request": c.fresh()});
    assert!(c.reason(&a, own).contains("cannot pay itself"), "a merchant does not cash out its own mileage");
    assert_eq!(c.chain.ask(&SinkQuery { id: "local-tax".into() }).unwrap().record.redeemed, 1000);
    c.assert_conserved();
}

#[test]
fn mil_09_only_mileage_of_programmes_that_allow_gifts_is_given() {
    let c = City::new();
    let (a, b) = (c.citizen(), c.citizen());
    c.award_eco(&a, 1000);
    let gift = |amount: u64| json!({"type": "gift", "to": addr(&b), "amount": amount});
    let why = c.reason(&a, gift(1000));
    assert!(why.starts_with("MIL-09") && why.contains("only 0 won"), "{why}");
    c.award_hours(&a, 10);
    assert_eq!(c.code(&a, gift(7001)), "MIL-09");
    c.ok(&a, gift(5000));
    let given = c.account(&b).lots;
    let kept = c.account(&a).lots;
    assert_eq!(given.len(), 1);
    assert_eq!((given[0].programme.as_str(), given[0].remaining), ("volunteer", 5000));
    assert_eq!(
        given[0].expires,
        kept.iter().find(|l| l.programme == "volunteer").unwrap().expires,
        "a gift keeps its expiry"
    );
    assert_eq!(c.code(&a, json!({"type": "gift", "to": addr(&a), "amount": 1})), "MIL-09");
    assert_eq!(c.totals("volunteer", c.today().year).gifted, 5000);
    c.assert_conserved();
}

#[test]
fn a_merchant_is_paid_once_per_request_and_settled_for_a_day_once_it_is_over() {
    let c = City::new();
    let a = c.citizen();
    c.award_eco(&a, 1000);
    let shop = key();
    let register =
        json!({"type": "register_merchant", "account": addr(&shop), "name": "Mangwon bakery", "sink": "zeropay"});
    assert_eq!(c.code(&a, register.clone()), "unauthorized", "the finance office registers merchants");
    c.ok(&c.finance, register);
    let request = c.fresh();
    let pay = json!({"type": "pay", "merchant": addr(&shop), "amount": 4_500, "request": request});
    let r = c.ok(&a, pay.clone());
    assert!(r.events.iter().any(|e| e.kind == "paid"));
    let paid = c.chain.ask(&RequestQuery { merchant: addr(&shop), request }).unwrap().record;
    assert_eq!(
        (paid.height, paid.krw, paid.account),
        (r.height, 4_500, addr(&a)),
        "the request records what was paid, by whom"
    );
    assert!(c.reason(&a, pay).contains("was paid already"));
    c.ok(&a, json!({"type": "pay", "merchant": addr(&shop), "amount": 500, "request": c.fresh()}));
    let day = c.today();
    let settle = json!({"type": "settle", "merchant": addr(&shop), "day": day});
    assert!(c.reason(&c.finance, settle.clone()).contains("not over yet"));
    c.pass_days(1);
    assert_eq!(c.code(&a, settle.clone()), "unauthorized");
    c.ok(&c.finance, settle.clone());
    assert!(c.reason(&c.finance, settle).contains("were settled at height"));
    let takings = c.chain.ask(&MerchantDayQuery { account: addr(&shop), day }).unwrap().record;
    assert_eq!((takings.payments, takings.krw, takings.settled_at.is_some()), (2, 5_000, true));
    let report = c.chain.ask(&SettlementsQuery { merchant: addr(&shop), after: None, limit: None }).unwrap();
    assert_eq!(report.days.len(), 1);
    assert_eq!(report.days[0], (day, takings));
    assert_eq!(c.chain.ask(&SinkQuery { id: "zeropay".into() }).unwrap().record.redeemed, 5_000);
    c.assert_conserved();
}

#[test]
fn one_account_per_person_opened_only_by_a_registrar() {
    let c = City::new();
    let pseudonym = c.fresh();
    let open =
        |k: &dojang_crypto::Keypair| json!({"type": "register_account", "account": addr(k), "pseudonym": pseudonym});
    let first = key();
    assert_eq!(c.code(&c.finance, open(&first)), "unauthorized");
    c.ok(&c.registrar, open(&first));
    let why = c.reason(&c.registrar, open(&key()));
    assert!(why.contains("already has the account") && why.contains(&addr(&first).to_string()), "{why}");
    c.council(json!({"type": "dismiss_office", "account": addr(&c.registrar)}));
    assert_eq!(
        c.code(&c.registrar, json!({"type": "register_account", "account": addr(&key()), "pseudonym": c.fresh()})),
        "unauthorized"
    );
}

#[test]
fn mil_10_the_liability_report_gives_outstanding_per_programme_and_year_and_next_months_expiry() {
    let c = City::new();
    let (a, b) = (c.citizen(), c.citizen());
    let expires = awarded(&c.award_eco(&a, 1000)).2;
    c.award_eco(&b, 600);
    c.award_hours(&b, 5);
    c.ok(&a, json!({"type": "redeem", "sink": "local-tax", "amount": 2_000, "reference": c.fresh()}));
    let report = c.chain.ask(&LiabilityQuery { month: expires }).unwrap();
    let year = c.today().year;
    let lines: Vec<_> = report.lines.iter().map(|l| (l.programme.as_str(), l.year, l.totals.outstanding)).collect();
    assert_eq!(lines, [("eco", year, 38_000), ("volunteer", year, 3_500)]);
    assert_eq!(
        report.expiring.iter().map(|e| (e.programme.as_str(), e.krw)).collect::<Vec<_>>(),
        [("eco", 38_000), ("volunteer", 0)]
    );
    assert!(report.complete, "two programme-years fit in one report");
    for line in &report.lines {
        assert_eq!(line.totals, c.totals(&line.programme, line.year), "each line is a record readable with a proof");
    }
    c.assert_conserved();
}

#[test]
fn malformed_messages_and_queries_get_clear_errors() {
    let c = City::new();
    let a = c.citizen();
    for bad in [
        json!({"type": "redeem", "sink": "local-tax", "amount": 0, "reference": c.fresh()}),
        json!({"type": "redeem", "sink": "Local Tax", "amount": 1, "reference": c.fresh()}),
        json!({"type": "gift", "to": addr(&a), "amount": 100_000_001}),
        json!({"type": "pay", "merchant": addr(&a), "amount": 1, "request": "not-hex"}),
        json!({"type": "award", "programme": "eco", "account": addr(&a), "evidence": {"kind": "meter-saving", "id": c.fresh(), "on": "2026-02-30", "measure": 1}}),
        json!({"type": "redeem", "sink": "local-tax", "amount": 1, "reference": c.fresh(), "name": "Kim"}),
        json!({"type": "register_merchant", "account": addr(&a), "name": "Shop 010-1234-5678", "sink": "zeropay"}),
        json!({"type": "register_merchant", "account": addr(&a), "name": "owner@example.com", "sink": "zeropay"}),
    ] {
        assert_eq!(c.code(&c.finance, bad.clone()), "invalid-message", "{bad}");
    }
    for (path, params) in [
        ("account/xyz", json!({})),
        ("totals/eco/year", json!({})),
        ("expiring/eco/2026-13", json!({})),
        ("liability", json!({})),
        ("liability", json!({"month": "2026"})),
        ("settlements/xyz", json!({})),
        ("merchant-day/xyz/2026-01-01", json!({})),
        ("nothing", json!({})),
    ] {
        let e = c.chain.ledger.query("mileage", path, &params).unwrap_err();
        assert_eq!(e.code(), "invalid_message", "{path}: {e}");
    }
    let e = c.chain.ledger.query("mileage", "programme/none", &json!({})).unwrap_err();
    assert_eq!(e.code(), "not_found", "{e}");
}

#[test]
fn an_expiry_run_visits_500_accounts_a_block_and_carries_the_rest_over() {
    let c = City::new();
    c.chain.grant(&c.registrar, "auditor");
    c.chain.grant(&c.eco, "auditor");
    c.council(json!({"type": "set_budget", "programme": "eco", "year": c.today().year, "krw": 10_000_000}));
    let people: Vec<_> = (0..501).map(|_| key()).collect();
    for msgs in [
        people
            .iter()
            .map(|p| (&c.registrar, json!({"type": "register_account", "account": addr(p), "pseudonym": c.fresh()})))
            .collect::<Vec<_>>(),
        people.iter().map(|p| (&c.eco, json!({"type": "enrol", "programme": "eco", "account": addr(p)}))).collect(),
        people
            .iter()
            .map(|p| {
                (
                    &c.eco,
                    json!({"type": "award", "programme": "eco", "account": addr(p),
            "evidence": c.evidence("meter-saving", c.today(), 500)}),
                )
            })
            .collect(),
    ] {
        let ids: Vec<_> =
            msgs.iter().map(|(k, m)| c.chain.submit(&c.chain.tx(k, "mileage", m.clone())).unwrap()).collect();
        for _ in 0..20 {
            if ids.iter().all(|id| c.chain.ledger.receipt(id).unwrap().is_some()) {
                break;
            }
            c.chain.block();
        }
        for id in &ids {
            assert_eq!(c.chain.receipt(id).result, dojang_types::TxStatus::Ok);
        }
    }
    let year = c.today().year;
    let expires = c.account(&people[0]).lots[0].expires;
    let days = (expires.days() - c.today().days()) as u64;
    c.pass_days(days);
    assert_eq!(c.totals("eco", year).outstanding, 501 * 10_000);
    c.chain.advance_clock(common::DAY_MS);
    let first = c.chain.block().header.height;
    let second = c.chain.block().header.height;
    let visited = |h| {
        c.hook_events(h)
            .iter()
            .filter_map(|e| match e.decode::<MileageEvent>() {
                Some(Ok(MileageEvent::Expired { accounts, held_back, portions, .. })) => {
                    Some((accounts, held_back, portions[0].krw))
                }
                _ => None,
            })
            .collect::<Vec<_>>()
    };
    assert_eq!(visited(first), [(500, 0, 500 * 10_000)]);
    assert_eq!(visited(second), [(1, 0, 10_000)]);
    let t = c.totals("eco", year);
    assert_eq!((t.expired, t.outstanding), (501 * 10_000, 0));
    c.assert_conserved();
}
