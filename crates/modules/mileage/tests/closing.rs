//! What changes after a programme, a sink or a merchant is set up: the council hands a
//! programme to a new issuing office (MIL-03), closes a sink, and the finance office closes a
//! merchant (MIL-08). Nothing already in the books moves; what was paid is still settled.

mod common;

use common::{addr, key, City};
use dojang_mileage::views::{MerchantDayQuery, MerchantQuery, SinkQuery};
use serde_json::json;

#[test]
fn mil_03_a_programme_handed_to_a_new_issuer_is_awarded_by_it_alone() {
    let c = City::new();
    let a = c.citizen();
    c.award_eco(&a, 600);
    let successor = key();
    c.council(json!({"type": "set_issuer", "programme": "eco", "issuer": addr(&successor)}));
    let award = |c: &City| json!({"type": "award", "programme": "eco", "account": addr(&a), "evidence": c.evidence("meter-saving", c.today(), 600)});
    assert_eq!(c.code(&c.eco, award(&c)), "MIL-03", "the old office awards no more");
    c.ok(&successor, award(&c));
    assert_eq!(c.account(&a).balance(), 20_000);
    c.assert_conserved();
}

#[test]
fn mil_08_a_closed_sink_and_a_closed_merchant_take_no_more_but_past_days_are_settled() {
    let c = City::new();
    let a = c.citizen();
    c.award_eco(&a, 1000);
    let shop = key();
    c.ok(
        &c.finance,
        json!({"type": "register_merchant", "account": addr(&shop), "name": "Mangwon bakery", "sink": "zeropay"}),
    );
    let pay = |c: &City| json!({"type": "pay", "merchant": addr(&shop), "amount": 1_000, "request": c.fresh()});
    c.ok(&a, pay(&c));

    let close = json!({"type": "close_merchant", "account": addr(&shop)});
    assert_eq!(c.code(&a, close.clone()), "unauthorized", "the finance office closes merchants");
    c.ok(&c.finance, close.clone());
    assert!(c.reason(&c.finance, close).contains("was closed at height"));
    let why = c.reason(&a, pay(&c));
    assert!(why.starts_with("MIL-08") && why.contains("takes no mileage"), "{why}");
    assert!(c.chain.ask(&MerchantQuery { account: addr(&shop) }).unwrap().record.closed_at.is_some());
    // The day it was paid on is still settled once it is over.
    let day = c.today();
    c.pass_days(1);
    c.ok(&c.finance, json!({"type": "settle", "merchant": addr(&shop), "day": day}));
    assert!(c.chain.ask(&MerchantDayQuery { account: addr(&shop), day }).unwrap().record.settled_at.is_some());

    let redeem = |c: &City| json!({"type": "redeem", "sink": "local-tax", "amount": 500, "reference": c.fresh()});
    c.ok(&a, redeem(&c));
    c.council(json!({"type": "close_sink", "id": "local-tax"}));
    let why = c.reason(&a, redeem(&c));
    assert!(why.starts_with("MIL-08") && why.contains("closed 'local-tax'"), "{why}");
    let sink = c.chain.ask(&SinkQuery { id: "local-tax".into() }).unwrap().record;
    assert_eq!((sink.redeemed, sink.closed_at.is_some()), (500, true), "what was spent there stays");
    // A merchant cannot be registered under a closed sink, nor paid through one.
    c.council(json!({"type": "close_sink", "id": "zeropay"}));
    let late = c.reason(
        &c.finance,
        json!({"type": "register_merchant", "account": addr(&key()), "name": "Late stall", "sink": "zeropay"}),
    );
    assert!(late.contains("closed 'zeropay'"), "{late}");
    c.assert_conserved();
}
