//! MIL-02: points of another scheme convert into a programme at the rate its table publishes,
//! the partner's burn and the mint in one change; a refused conversion leaves neither leg.

mod common;

use common::{addr, key, City, DAY_MS};
use dojang_crypto::Keypair;
use dojang_mileage::convert::evidence_id;
use dojang_mileage::msg::MileageMsg;
use dojang_mileage::state::{Conversion, Partner};
use dojang_mileage::views::{ConversionQuery, EvidenceQuery, PartnerQuery};
use dojang_types::Hash;
use serde_json::{json, Value};

/// A city whose eco-mileage takes a card company's points at `bp` from tomorrow, and its
/// operator.
fn city_with_partner(bp: u32) -> (City, Keypair) {
    let c = City::new();
    let operator = key();
    c.council(json!({"type": "register_partner", "id": "card", "name": "Hana card points",
        "operator": addr(&operator), "programme": "eco"}));
    publish(&c, bp, 1);
    (c, operator)
}

/// Publishes `bp` for the card's points from `days` days on, with eco's meter-saving line.
fn publish(c: &City, bp: u32, days: i64) {
    let from = c.today().plus_days(days);
    c.council(json!({"type": "set_award_table", "programme": "eco", "effective_from": from, "awards": [
        {"evidence": "meter-saving", "rule": {"rule": "tiers", "tiers": [{"min": 500, "krw": 10_000}]}},
        {"evidence": "points-card", "rule": {"rule": "rate", "bp": bp}}]}));
}

fn convert(to: &Keypair, points: u64, receipt: Hash) -> Value {
    json!({"type": "convert", "partner": "card", "account": addr(to), "points": points, "receipt": receipt})
}

fn partner(c: &City) -> Partner {
    c.chain.ask(&PartnerQuery { id: "card".into() }).expect("the partner").record
}

fn conversion(c: &City, receipt: Hash) -> Option<Conversion> {
    c.chain.ask(&ConversionQuery { partner: "card".into(), receipt }).ok().map(|p| p.record)
}

#[test]
fn mil_02_a_conversion_burns_the_partners_points_and_mints_at_the_published_rate_in_one_change() {
    let (c, operator) = city_with_partner(5_000);
    let a = c.citizen();
    // The rate is published from tomorrow: today there is none.
    let early = c.fresh();
    let why = c.reason(&operator, convert(&a, 10_000, early));
    assert!(why.starts_with("MIL-02") && why.contains("publishes no rate for 'points-card'"), "{why}");
    assert_eq!(conversion(&c, early), None);

    c.chain.advance_clock(DAY_MS);
    let receipt = c.fresh();
    c.ok(&operator, convert(&a, 10_000, receipt));
    assert_eq!(c.account(&a).balance(), 5_000, "10,000 points at 50 % are 5,000 won");
    let both = conversion(&c, receipt).expect("both legs are recorded");
    assert_eq!((both.account, both.points, both.krw), (addr(&a), 10_000, 5_000));
    let p = partner(&c);
    assert_eq!((p.conversions, p.points_burnt, p.krw_minted), (1, 10_000, 5_000));
    let used = c.chain.ask(&EvidenceQuery { id: evidence_id("card", &receipt) }).expect("MIL-04's record").record;
    assert_eq!((used.programme.as_str(), used.amount), ("eco", 5_000));
    assert_eq!(c.totals("eco", c.today().year).minted, 5_000);

    // A new rate, published for a later day, prices conversions from that day; 1:1 at 10,000.
    publish(&c, 10_000, 1);
    c.chain.advance_clock(DAY_MS);
    c.ok(&operator, convert(&a, 7, c.fresh()));
    assert_eq!(c.account(&a).balance(), 5_007);
    c.assert_conserved();
}

#[test]
fn mil_02_a_refused_conversion_leaves_neither_leg() {
    let (c, operator) = city_with_partner(5_000);
    c.chain.advance_clock(DAY_MS);
    let a = c.citizen();
    let receipt = c.fresh();
    c.ok(&operator, convert(&a, 2_000, receipt));
    let before = (partner(&c), c.account(&a).balance(), c.totals("eco", c.today().year));

    let mut tried = Vec::new();
    // The same receipt again (MIL-04).
    let why = c.reason(&operator, convert(&a, 2_000, receipt));
    assert!(why.starts_with("MIL-04") && why.contains("awarded already"), "{why}");
    // Points that would leave a part-point over: at 50 % they come in steps of 2.
    let odd = c.fresh();
    let why = c.reason(&operator, convert(&a, 10_001, odd));
    assert!(why.starts_with("MIL-02") && why.contains("steps of 2; 10001 would leave 1 over"), "{why}");
    tried.push(odd);
    // More than the person may still receive this year: whole or nothing, never clipped.
    let big = c.fresh();
    let why = c.reason(&operator, convert(&a, 200_000, big));
    assert!(why.starts_with("MIL-02") && why.contains("whole or nothing"), "{why}");
    tried.push(big);
    // Signed by anyone but the operator.
    let forged = c.fresh();
    assert_eq!(c.code(&a, convert(&a, 2_000, forged)), "unauthorized");
    tried.push(forged);
    // An account not enrolled in the programme.
    let stranger = key();
    c.ok(&c.registrar, json!({"type": "register_account", "account": addr(&stranger), "pseudonym": c.fresh()}));
    let unenrolled = c.fresh();
    let why = c.reason(&operator, convert(&stranger, 2_000, unenrolled));
    assert!(why.starts_with("MIL-05"), "{why}");
    tried.push(unenrolled);
    // A partner never registered.
    let unknown = c.fresh();
    let why = c.reason(
        &operator,
        json!({"type": "convert", "partner": "airline", "account": addr(&a), "points": 2_000, "receipt": unknown}),
    );
    assert!(why.starts_with("MIL-02") && why.contains("no partner scheme 'airline'"), "{why}");

    for r in tried {
        assert_eq!(conversion(&c, r), None, "receipt {r}: no burn recorded for a refused conversion");
        assert!(c.chain.ask(&EvidenceQuery { id: evidence_id("card", &r) }).is_err(), "receipt {r}: no mint");
    }
    assert_eq!((partner(&c), c.account(&a).balance(), c.totals("eco", c.today().year)), before);
    c.assert_conserved();
}

#[test]
fn mil_02_the_budget_bounds_conversions_and_a_tiered_line_is_no_rate() {
    let (c, operator) = city_with_partner(5_000);
    c.chain.advance_clock(DAY_MS);
    // The budget left is less than the conversion would mint (MIL-03).
    c.council(json!({"type": "set_budget", "programme": "eco", "year": c.today().year, "krw": 1_000}));
    let a = c.citizen();
    let why = c.reason(&operator, convert(&a, 4_000, c.fresh()));
    assert!(why.starts_with("MIL-03"), "{why}");
    assert_eq!(partner(&c).conversions, 0);
    // A table that prices the partner's points by tiers publishes no rate.
    c.council(
        json!({"type": "set_award_table", "programme": "eco", "effective_from": c.today().plus_days(1), "awards": [
        {"evidence": "points-card", "rule": {"rule": "tiers", "tiers": [{"min": 1, "krw": 10}]}}]}),
    );
    c.chain.advance_clock(DAY_MS);
    let why = c.reason(&operator, convert(&a, 2, c.fresh()));
    assert!(why.contains("not at a rate"), "{why}");
}

#[test]
fn malformed_partner_and_conversion_messages_are_refused_before_execution() {
    let check = |m: MileageMsg| dojang_mileage::exec::check(&m).unwrap_err().to_string();
    let register = |id: &str, name: &str| MileageMsg::RegisterPartner {
        id: id.into(),
        name: name.into(),
        operator: addr(&key()),
        programme: "eco".into(),
    };
    assert!(check(register("a-partner-id-of-26-letters", "Card")).contains("at most 25"));
    assert!(check(register("Card", "Card")).contains("not 1-32 lower-case"));
    assert!(check(register("card", "Call 010-1234-5678")).contains("long number"));
    let conv = |points: u64| MileageMsg::Convert {
        partner: "card".into(),
        account: addr(&key()),
        points,
        receipt: Hash([1; 32]),
    };
    assert!(check(conv(0)).contains("points: 1 to"));
    assert!(check(conv(u64::MAX)).contains("points: 1 to"));
    assert!(dojang_mileage::exec::check(&conv(2)).is_ok());
    // A message with a field it does not know, or a missing one, does not decode.
    let bad: Result<MileageMsg, _> = serde_json::from_value(
        json!({"type": "convert", "partner": "card", "account": addr(&key()), "points": 2, "receipt": Hash([1; 32]), "rate": 1}),
    );
    assert!(bad.unwrap_err().to_string().contains("unknown field"));
    let missing: Result<MileageMsg, _> =
        serde_json::from_value(json!({"type": "convert", "partner": "card", "account": addr(&key()), "points": 2}));
    assert!(missing.unwrap_err().to_string().contains("receipt"));
}
