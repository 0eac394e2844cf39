//! Vehicle histories through the real ledger: the council accredits and suspends attesters,
//! records join a VIN's history with their flags, a dealer sells with the signed notice, and
//! a record contradicting the notice inside its window is recorded against the sale until
//! the window closes. Each CAR rule is also shown refusing what it forbids.

use dojang_cars::events::CarsEvent;
use dojang_cars::msg::{Grade, Notice, Party};
use dojang_cars::notice::sign_both;
use dojang_cars::state::{history_is_whole, Fact, Flag, Sale, Vehicle};
use dojang_cars::views::{History, HistoryQuery, PartyQuery, RecordOfQuery, SaleQuery, VehicleQuery};
use dojang_cars::Cars;
use dojang_crypto::{Algorithm, Keypair};
use dojang_ledger::{BlockApp, StateRead};
use dojang_testkit::Chain;
use dojang_types::{Address, Date, Hash, Receipt, RecordQuery, TxStatus};
use serde_json::{json, Value};

const VIN: &str = "KMHDN45D22U123456";
const DAY_MS: u64 = 86_400_000;

struct Setup {
    chain: Chain,
    office: Keypair,
    inspector: Keypair,
    dealer: Keypair,
    insurer: Keypair,
    garage: Keypair,
    mileage: Keypair,
    owner: Keypair,
}

fn param(key: &str, value: Value) -> Value {
    json!({"table": "cars", "key": key, "effective_from": "2020-01-01", "value": value,
           "legal_basis": "Motor Vehicle Management Act art. 58 (test)"})
}

fn key() -> Keypair {
    Keypair::generate(Algorithm::Ed25519)
}

fn addr(k: &Keypair) -> Address {
    k.public_key().address()
}

fn setup() -> Setup {
    let chain = Chain::builder()
        .with(Cars)
        .param(param("notice_inspection_max_days", json!({"days": 120})))
        .param(param("rescission_days_odometer_accident", json!({"days": 30})))
        .param(param("rescission_days_flood", json!({"days": 90})))
        .param(param("max_km_per_day", json!({"count": 1000})))
        .build();
    let at = chain.ledger.next_height() + 2;
    chain.council("governance", json!({"type": "activate", "module": "cars", "at_height": at}));
    while chain.ledger.next_height() < at {
        chain.block();
    }
    let s = Setup {
        chain,
        office: key(),
        inspector: key(),
        dealer: key(),
        insurer: key(),
        garage: key(),
        mileage: key(),
        owner: key(),
    };
    for (k, party, organisation) in [
        (&s.office, "registration_office", "Seoul Vehicle Registration Office"),
        (&s.inspector, "inspector", "Janganpyeong Inspection Co."),
        (&s.dealer, "dealer", "Janganpyeong Motors"),
        (&s.insurer, "insurer", "Hangang Insurance"),
        (&s.garage, "maintenance_shop", "Dongdaemun Auto Repair"),
        (&s.mileage, "mileage_programme", "Seoul car mileage"),
    ] {
        s.chain.council(
            "cars",
            json!({"type": "accredit", "account": addr(k), "party": party, "organisation": organisation}),
        );
    }
    s
}

fn today(s: &Setup) -> Date {
    Date::from_unix_ms_kst(s.chain.ledger.clock_ms())
}

fn ago(s: &Setup, days: i64) -> String {
    today(s).plus_days(-days).to_string()
}

fn attest(s: &Setup, k: &Keypair, record: Value) -> Receipt {
    s.chain.ok(k, "cars", json!({"type": "attest", "vin": VIN, "record": record}))
}

fn attest_code(s: &Setup, k: &Keypair, record: Value) -> String {
    s.chain.code(k, "cars", json!({"type": "attest", "vin": VIN, "record": record}))
}

fn flags_of(r: &Receipt) -> Vec<Flag> {
    r.events
        .iter()
        .filter_map(|e| e.decode::<CarsEvent>())
        .find_map(|e| match e.expect("a cars event decodes") {
            CarsEvent::Attested { flags, .. } => Some(flags),
            _ => None,
        })
        .expect("an attested event")
}

fn failure(r: &Receipt) -> Option<(&str, &str)> {
    match &r.result {
        TxStatus::Failed { code, reason } => Some((code, reason)),
        TxStatus::Ok => None,
    }
}

fn history(s: &Setup) -> History {
    s.chain.ask(&HistoryQuery { vin: VIN.into(), after: None, limit: None }).expect("a history")
}

fn vehicle(s: &Setup) -> Vehicle {
    let q = VehicleQuery { vin: VIN.into() };
    let answer = s.chain.ask(&q).expect("a vehicle");
    assert_eq!(answer.key, q.state_key(), "the client computes the key the record lives under");
    answer.record
}

fn sale(s: &Setup, n: u32) -> Sale {
    let q = SaleQuery { vin: VIN.into(), number: n };
    let answer = s.chain.ask(&q).expect("a sale");
    assert_eq!(answer.key, q.state_key());
    answer.record
}

/// A registered car owned by `owner`, inspected `inspected_days_ago` with 84,000 km.
fn car_for_sale(s: &Setup, inspected_days_ago: i64) -> u32 {
    attest(s, &s.office, json!({"kind": "registration", "on": ago(s, 1500), "km": 12}));
    attest(s, &s.office, json!({"kind": "transfer", "on": ago(s, 1500), "owner": addr(&s.owner)}));
    attest(s, &s.garage, json!({"kind": "repair", "on": ago(s, 700), "km": 40_000, "work": Hash([4; 32])}));
    attest(
        s,
        &s.inspector,
        json!({"kind": "inspection", "on": ago(s, inspected_days_ago), "km": 84_000, "flood": false, "accident": false,
               "grade": "good", "photos": [Hash([5; 32])], "report": Hash([6; 32])}),
    );
    vehicle(s).records
}

/// The owner lets the dealer sell the car for the next 30 days.
fn mandate(s: &Setup) {
    s.chain.ok(
        &s.owner,
        "cars",
        json!({"type": "mandate", "vin": VIN, "dealer": addr(&s.dealer), "until": ago(s, -30)}),
    );
}

fn notice_for(s: &Setup, inspection: u32, inspected_days_ago: i64, issued_days_ago: i64) -> Notice {
    Notice {
        vin: VIN.into(),
        dealer: addr(&s.dealer),
        inspector: addr(&s.inspector),
        inspection,
        inspected_on: ago(s, inspected_days_ago).parse().unwrap(),
        km: 84_000,
        flood: false,
        accident: false,
        grade: Grade::Good,
        photos: vec![Hash([5; 32])],
        liens: vec![],
        fees_krw: 330_000,
        issued_on: ago(s, issued_days_ago).parse().unwrap(),
    }
}

fn sale_msg(s: &Setup, signed: Value, contract_days_ago: i64) -> Value {
    json!({"type": "record_sale", "vin": VIN, "notice": signed, "buyer": addr(&key()),
           "contract_on": ago(s, contract_days_ago), "delivered_on": ago(s, contract_days_ago)})
}

fn signed(s: &Setup, n: &Notice) -> Value {
    json!(sign_both(n, &s.dealer, &s.inspector))
}

#[test]
fn car_05_only_accredited_bodies_attest_only_what_they_know_and_a_suspended_one_not_at_all() {
    let s = setup();
    let stranger = key();
    assert_eq!(attest_code(&s, &stranger, json!({"kind": "odometer", "on": ago(&s, 1), "km": 5})), "CAR-05");
    // A dealer sells; it does not read odometers into the history.
    assert_eq!(attest_code(&s, &s.dealer, json!({"kind": "odometer", "on": ago(&s, 1), "km": 5})), "CAR-05");
    assert_eq!(
        attest_code(&s, &s.insurer, json!({"kind": "transfer", "on": ago(&s, 1), "owner": addr(&stranger)})),
        "CAR-05"
    );
    // Accrediting and suspending are the council's: an account alone is refused at the door.
    let direct = json!({"type": "suspend", "account": addr(&s.inspector), "reason": "forged records"});
    assert_eq!(s.chain.code(&s.dealer, "cars", direct), "not-permitted");
    s.chain.council(
        "cars",
        json!({"type": "suspend", "account": addr(&s.inspector), "reason": "forged inspection records"}),
    );
    let inspection = json!({"kind": "inspection", "on": ago(&s, 1), "km": 1_000, "flood": false, "accident": false,
                            "grade": "good", "photos": [], "report": Hash([1; 32])});
    let r = s
        .chain
        .send(&s.inspector, "cars", json!({"type": "attest", "vin": VIN, "record": inspection.clone()}))
        .unwrap();
    let (code, reason) = failure(&r).expect("refused");
    assert_eq!(code, "CAR-05");
    assert!(reason.contains("suspended"), "{reason}");
    s.chain.council("cars", json!({"type": "reinstate", "account": addr(&s.inspector)}));
    attest(&s, &s.inspector, inspection);
    let q = PartyQuery { account: addr(&s.inspector) };
    let party = s.chain.ask(&q).unwrap();
    assert_eq!(party.key, q.state_key());
    assert_eq!((party.record.party, party.record.suspended), (Party::Inspector, None));
    assert_eq!(party.record.organisation, "Janganpyeong Inspection Co.");
}

#[test]
fn car_09_a_malformed_vin_is_refused_at_the_door_and_a_vin_is_registered_once() {
    let s = setup();
    for bad in ["KMHDN45D32U123456", "KMHDN45D22U12345", "KMHDN45D22U12345O", "kmhdn45d22u123456"] {
        let msg = json!({"type": "attest", "vin": bad, "record": {"kind": "odometer", "on": ago(&s, 1), "km": 5}});
        assert_eq!(s.chain.code(&s.mileage, "cars", msg), "invalid-message", "{bad}");
    }
    attest(&s, &s.office, json!({"kind": "registration", "on": ago(&s, 100), "km": 3}));
    assert_eq!(attest_code(&s, &s.office, json!({"kind": "registration", "on": ago(&s, 50), "km": 3})), "CAR-09");
    let e = s.chain.ledger.query("cars", "history/KMHDN45D32U123456", &json!({})).unwrap_err();
    assert!(e.to_string().contains("CAR-09"), "{e}");
}

#[test]
fn car_01_02_a_rollback_hidden_across_two_sources_is_kept_and_flagged() {
    let s = setup();
    attest(&s, &s.office, json!({"kind": "registration", "on": ago(&s, 1000), "km": 10}));
    // The insurer saw 120,000 km at a claim; months later the odometer shows 80,000.
    let r = attest(
        &s,
        &s.insurer,
        json!({"kind": "accident", "on": ago(&s, 200), "km": 120_000, "severity": "minor", "flood": false}),
    );
    assert_eq!(flags_of(&r), vec![]);
    let r = attest(&s, &s.mileage, json!({"kind": "odometer", "on": ago(&s, 20), "km": 80_000}));
    assert_eq!(flags_of(&r), vec![Flag::Rollback { against: 2, km: 120_000 }]);
    // A garage's reading of a year ago, recorded only now, is higher than the later one: it
    // is flagged against it, whichever of the two is the lie.
    let r = attest(&s, &s.garage, json!({"kind": "repair", "on": ago(&s, 365), "km": 118_000, "work": Hash([2; 32])}));
    assert_eq!(flags_of(&r), vec![Flag::Rollback { against: 3, km: 80_000 }]);
    let r = attest(&s, &s.mileage, json!({"kind": "odometer", "on": ago(&s, 10), "km": 85_000}));
    assert_eq!(flags_of(&r), vec![Flag::Rollback { against: 2, km: 120_000 }]);
    // Implausible: 30,000 km in the ten days since.
    let r = attest(&s, &s.mileage, json!({"kind": "odometer", "on": ago(&s, 0), "km": 115_000}));
    assert!(flags_of(&r).contains(&Flag::Implausible { against: 5, km_per_day: 3_000 }), "{:?}", flags_of(&r));
    // Before the first registration.
    let r = attest(&s, &s.garage, json!({"kind": "odometer", "on": ago(&s, 1200), "km": 1}));
    assert!(flags_of(&r).iter().any(|f| matches!(f, Flag::BeforeRegistration { .. })));
    // Kept, not dropped: every record is in the history, the flagged ones marked.
    let records = history(&s).records;
    assert_eq!(records.len(), 7);
    assert_eq!(records.iter().map(|e| e.seq).collect::<Vec<_>>(), (1..=7).collect::<Vec<_>>());
    let q = RecordOfQuery { vin: VIN.into(), seq: 3 };
    let third = s.chain.ask(&q).unwrap();
    assert_eq!((third.key, third.record), (q.state_key(), records[2].clone()));
    // Pages: two records after the third.
    let page = s.chain.ask(&HistoryQuery { vin: VIN.into(), after: Some(3), limit: Some(2) }).unwrap();
    assert_eq!(page.records.iter().map(|e| e.seq).collect::<Vec<_>>(), vec![4, 5]);
    assert_eq!(page.next_after, Some(5));
    assert_eq!(records.iter().filter(|e| !e.flags.is_empty()).count(), 5);
    assert_eq!(records[0].flags, vec![]);
    assert_eq!(vehicle(&s).flagged, 5);
    // One proof of the vehicle's summary proves every record: its history hash chains them.
    let h = history(&s);
    assert_eq!(history_is_whole(&h.vehicle, &h.records), Ok(()));
    let mut altered = h.records.clone();
    altered[2].record = dojang_cars::msg::Record::Odometer { on: ago(&s, 20).parse().unwrap(), km: 120_000 };
    assert!(history_is_whole(&h.vehicle, &altered).unwrap_err().contains("altered"));
    let mut flag_dropped = h.records.clone();
    flag_dropped[2].flags.clear();
    assert!(history_is_whole(&h.vehicle, &flag_dropped).is_err(), "a flag cannot be hidden either");
    assert!(history_is_whole(&h.vehicle, &h.records[1..]).unwrap_err().contains("6 records"));
    let mut reordered = h.records.clone();
    reordered.swap(0, 1);
    assert!(history_is_whole(&h.vehicle, &reordered).unwrap_err().contains("record 2 where record 1"));
    // A record dated in the future is refused.
    assert_eq!(attest_code(&s, &s.mileage, json!({"kind": "odometer", "on": ago(&s, -2), "km": 116_000})), "CAR-02");
}

#[test]
fn car_01_a_registered_odometer_replacement_starts_a_new_segment() {
    let s = setup();
    attest(&s, &s.mileage, json!({"kind": "odometer", "on": ago(&s, 300), "km": 150_000}));
    // The garage's visit: a repair read on the old odometer, then the swap, the same day.
    let r = attest(&s, &s.garage, json!({"kind": "repair", "on": ago(&s, 200), "km": 160_000, "work": Hash([3; 32])}));
    assert_eq!(flags_of(&r), vec![]);
    let r =
        attest(&s, &s.garage, json!({"kind": "odometer_replaced", "on": ago(&s, 200), "old_km": 160_000, "new_km": 0}));
    assert_eq!(flags_of(&r), vec![]);
    let r = attest(&s, &s.mileage, json!({"kind": "odometer", "on": ago(&s, 100), "km": 9_000}));
    assert_eq!(flags_of(&r), vec![], "a low reading on the new odometer is no rollback");
    // The old segment still judges its own readings.
    let r = attest(&s, &s.mileage, json!({"kind": "odometer", "on": ago(&s, 250), "km": 140_000}));
    assert_eq!(flags_of(&r), vec![Flag::Rollback { against: 1, km: 150_000 }]);
    // A second replacement leaves the first one's readings where they were.
    let r =
        attest(&s, &s.garage, json!({"kind": "odometer_replaced", "on": ago(&s, 50), "old_km": 20_000, "new_km": 5}));
    assert_eq!(flags_of(&r), vec![]);
    let r = attest(&s, &s.mileage, json!({"kind": "odometer", "on": ago(&s, 150), "km": 4_000}));
    assert_eq!(flags_of(&r), vec![], "between the two replacements, read on the second odometer");
    let r = attest(&s, &s.mileage, json!({"kind": "odometer", "on": ago(&s, 10), "km": 2_000}));
    assert_eq!(flags_of(&r), vec![], "on the third odometer");
    let segments: Vec<u32> = vehicle(&s).readings.iter().map(|r| r.segment).collect();
    // 150,000; the repair; the first swap (old, new); 9,000; 140,000; the second swap (old,
    // new); 4,000; 2,000.
    assert_eq!(segments, vec![0, 0, 0, 1, 1, 0, 1, 2, 1, 2]);
    // A replacement recorded after readings of later dates moves them: flagged.
    let r =
        attest(&s, &s.garage, json!({"kind": "odometer_replaced", "on": ago(&s, 20), "old_km": 3_000, "new_km": 1}));
    assert_eq!(flags_of(&r), vec![Flag::LateReplacement { moved: 1 }]);
    // An odometer "replaced" by one reading the same is malformed.
    let bad = json!({"kind": "odometer_replaced", "on": ago(&s, 1), "old_km": 10, "new_km": 10});
    assert_eq!(attest_code(&s, &s.garage, bad), "invalid-message");
}

#[test]
fn the_council_voids_a_false_record_which_stays_marked_and_judges_nothing() {
    let s = setup();
    // A forged reading far above the car's real one makes every honest reading a rollback.
    attest(&s, &s.mileage, json!({"kind": "odometer", "on": ago(&s, 100), "km": 2_900_000}));
    let r = attest(&s, &s.garage, json!({"kind": "odometer", "on": ago(&s, 10), "km": 60_000}));
    assert_eq!(flags_of(&r), vec![Flag::Rollback { against: 1, km: 2_900_000 }]);
    let void = json!({"type": "void_record", "vin": VIN, "seq": 1, "reason": "forged reading (case 2026-117)"});
    assert_eq!(s.chain.code(&s.office, "cars", void.clone()), "not-permitted", "voiding is the council's");
    s.chain.council("cars", void);
    let r = attest(&s, &s.garage, json!({"kind": "odometer", "on": ago(&s, 5), "km": 60_200}));
    assert_eq!(flags_of(&r), vec![]);
    let h = history(&s);
    assert_eq!(h.records.len(), 3, "a voided record stays in the history");
    assert_eq!(h.vehicle.voided.len(), 1);
    assert_eq!((h.vehicle.voided[0].seq, h.vehicle.voided[0].reason.as_str()), (1, "forged reading (case 2026-117)"));
    assert!(h.vehicle.readings.iter().all(|r| r.seq != 1));
    // The record itself is untouched: the history hash still covers it.
    assert_eq!(history_is_whole(&h.vehicle, &h.records), Ok(()));
}

#[test]
fn car_03_04_05_07_a_sale_needs_the_signed_notice_a_fresh_inspection_and_the_owners_mandate() {
    let s = setup();
    let inspection = car_for_sale(&s, 10);
    let good = notice_for(&s, inspection, 10, 5);
    // CAR-07: the owner has not mandated the dealer.
    assert_eq!(s.chain.code(&s.dealer, "cars", sale_msg(&s, signed(&s, &good), 3)), "CAR-07");
    let mandate = json!({"type": "mandate", "vin": VIN, "dealer": addr(&s.dealer), "until": ago(&s, -30)});
    assert_eq!(s.chain.code(&s.dealer, "cars", mandate.clone()), "CAR-07", "only the owner mandates");
    s.chain.ok(&s.owner, "cars", mandate);
    // CAR-03: issued after the contract.
    let late = notice_for(&s, inspection, 10, 2);
    assert_eq!(s.chain.code(&s.dealer, "cars", sale_msg(&s, signed(&s, &late), 3)), "CAR-03");
    // CAR-03: the inspector signed another notice (without the flood finding's truth).
    let mut other = good.clone();
    other.fees_krw = 1;
    let mixed = json!({"dealer": sign_both(&good, &s.dealer, &s.inspector).dealer,
                       "inspector": sign_both(&other, &s.dealer, &s.inspector).inspector});
    assert_eq!(s.chain.code(&s.dealer, "cars", sale_msg(&s, mixed, 3)), "CAR-03");
    // CAR-03: signed by someone other than the inspector it names.
    let forged = json!(sign_both(&good, &s.dealer, &key()));
    assert_eq!(s.chain.code(&s.dealer, "cars", sale_msg(&s, forged, 3)), "CAR-03");
    // CAR-03: the notice understates the odometer the inspection recorded.
    let mut understated = good.clone();
    understated.km = 60_000;
    assert_eq!(s.chain.code(&s.dealer, "cars", sale_msg(&s, signed(&s, &understated), 3)), "CAR-03");
    // CAR-05: another dealer cannot record it, nor an insurer.
    assert_eq!(s.chain.code(&s.insurer, "cars", sale_msg(&s, signed(&s, &good), 3)), "CAR-05");
    // The notice is well formed JSON with two JWS, or refused at the door.
    let not_notice = json!({"type": "record_sale", "vin": VIN, "notice": {"dealer": "x"}, "buyer": addr(&key()),
                            "contract_on": ago(&s, 3), "delivered_on": ago(&s, 3)});
    assert_eq!(s.chain.code(&s.dealer, "cars", not_notice), "invalid-message");
    // Two strings that are not compact JWS: refused by the notice's rule, saying which.
    let garbled = json!({"dealer": "x", "inspector": "a.b.c"});
    let r = s.chain.send(&s.dealer, "cars", sale_msg(&s, garbled, 3)).unwrap();
    let (code, reason) = failure(&r).expect("refused");
    assert_eq!(code, "CAR-03");
    assert!(reason.contains("dealer's signature of the notice is malformed"), "{reason}");
    let r = s.chain.ok(&s.dealer, "cars", sale_msg(&s, signed(&s, &good), 3));
    assert!(r.events.iter().any(|e| e.kind == "sold"));
    let sold = sale(&s, 1);
    assert_eq!(sold.notice, good);
    assert_eq!(sold.windows.len(), 2);
    assert!(sold.windows.iter().all(|w| w.open));
    assert_eq!(sold.flags, vec![]);
}

#[test]
fn car_04_an_inspection_older_than_120_days_at_the_contract_is_refused() {
    let s = setup();
    let inspection = car_for_sale(&s, 125);
    mandate(&s);
    let old = notice_for(&s, inspection, 125, 4);
    assert_eq!(s.chain.code(&s.dealer, "cars", sale_msg(&s, signed(&s, &old), 3)), "CAR-04");
    // Exactly 120 days at the contract is still fresh.
    let fresh = notice_for(&s, inspection, 125, 6);
    let r = s.chain.send(&s.dealer, "cars", sale_msg(&s, signed(&s, &fresh), 5)).unwrap();
    assert_eq!(failure(&r), None);
}

#[test]
fn car_08_a_lien_active_at_the_sale_that_the_notice_does_not_disclose_is_flagged() {
    let s = setup();
    let inspection = car_for_sale(&s, 10);
    let (seized, released) = (Hash([8; 32]), Hash([9; 32]));
    attest(&s, &s.office, json!({"kind": "lien", "on": ago(&s, 60), "lien": "seizure", "reference": seized}));
    attest(&s, &s.office, json!({"kind": "lien", "on": ago(&s, 50), "lien": "mortgage", "reference": released}));
    attest(&s, &s.office, json!({"kind": "lien_released", "on": ago(&s, 40), "reference": released}));
    assert_eq!(
        attest_code(&s, &s.office, json!({"kind": "lien_released", "on": ago(&s, 30), "reference": released})),
        "CAR-08"
    );
    mandate(&s);
    s.chain.ok(&s.dealer, "cars", sale_msg(&s, signed(&s, &notice_for(&s, inspection, 10, 5)), 3));
    assert_eq!(sale(&s, 1).flags, vec![Flag::UndisclosedLien { reference: seized }]);
}

#[test]
fn car_06_contradictions_inside_the_windows_are_recorded_and_the_windows_close_on_time() {
    let s = setup();
    let inspection = car_for_sale(&s, 10);
    mandate(&s);
    // Delivered three days ago: the windows run to day 30 and day 90 after it.
    s.chain.ok(&s.dealer, "cars", sale_msg(&s, signed(&s, &notice_for(&s, inspection, 10, 5)), 3));
    let delivered = today(&s).plus_days(-3);
    let day = |n: i64| delivered.plus_days(n);
    let sold = sale(&s, 1);
    assert_eq!((sold.windows[0].until, sold.windows[1].until), (day(30), day(90)));
    // The insurer reports a flood of last summer the notice denied.
    let r = attest(&s, &s.insurer, json!({"kind": "accident", "on": ago(&s, 120), "severity": "minor", "flood": true}));
    assert_eq!(flags_of(&r), vec![Flag::ContradictsNotice { sale: 1, fact: Fact::Flood }]);
    assert!(r.events.iter().any(|e| e.kind == "notice_contradicted"));
    // A reading from before the inspection, higher than the notice's: the odometer was
    // turned back before the sale.
    let r = attest(&s, &s.mileage, json!({"kind": "odometer", "on": ago(&s, 30), "km": 120_000}));
    assert_eq!(
        flags_of(&r),
        vec![
            Flag::Rollback { against: inspection, km: 84_000 },
            Flag::ContradictsNotice { sale: 1, fact: Fact::Odometer }
        ]
    );
    // Something that happened after the sale contradicts nothing.
    let r = attest(&s, &s.insurer, json!({"kind": "accident", "on": ago(&s, 1), "severity": "major", "flood": false}));
    assert_eq!(flags_of(&r), vec![]);
    // Day 30: the last day of the odometer-and-accident window; an accident still counts.
    s.chain.advance_clock(27 * DAY_MS);
    s.chain.block();
    assert_eq!(today(&s), day(30));
    assert!(sale(&s, 1).windows.iter().all(|w| w.open));
    let crash = json!({"kind": "accident", "on": ago(&s, 400), "severity": "major", "flood": false});
    let r = attest(&s, &s.insurer, crash.clone());
    assert_eq!(flags_of(&r), vec![Flag::ContradictsNotice { sale: 1, fact: Fact::Accident }]);
    // Day 31: that window has closed, the flood one not.
    s.chain.advance_clock(DAY_MS);
    s.chain.block();
    let sold = sale(&s, 1);
    assert!(!sold.windows[0].open && sold.windows[1].open, "{:?}", sold.windows);
    assert_eq!(flags_of(&attest(&s, &s.insurer, crash)), vec![], "the accident window is closed");
    let r = attest(&s, &s.insurer, json!({"kind": "accident", "on": ago(&s, 200), "severity": "minor", "flood": true}));
    assert_eq!(flags_of(&r), vec![Flag::ContradictsNotice { sale: 1, fact: Fact::Flood }]);
    // Day 90 the flood window is still open; day 91 it has closed, and the sale leaves the
    // vehicle's open sales.
    s.chain.advance_clock(59 * DAY_MS);
    s.chain.block();
    assert_eq!(today(&s), day(90));
    assert!(sale(&s, 1).windows[1].open);
    s.chain.advance_clock(DAY_MS);
    s.chain.block();
    let sold = sale(&s, 1);
    assert!(sold.windows.iter().all(|w| !w.open), "{:?}", sold.windows);
    assert_eq!(vehicle(&s).open_sales, Vec::<u32>::new());
    let r = attest(&s, &s.insurer, json!({"kind": "accident", "on": ago(&s, 300), "severity": "minor", "flood": true}));
    assert_eq!(flags_of(&r), vec![]);
    let facts: Vec<Fact> = sold.contradictions.iter().map(|c| c.fact).collect();
    assert_eq!(facts, vec![Fact::Flood, Fact::Odometer, Fact::Accident, Fact::Flood]);
}

#[test]
fn car_03_07_a_mandate_ends_with_its_owner_a_notice_serves_one_sale_and_a_sale_is_recorded_soon() {
    let s = setup();
    let inspection = car_for_sale(&s, 10);
    mandate(&s);
    // The car changes hands: the old owner's mandate does not let the dealer sell it.
    let next_owner = key();
    attest(&s, &s.office, json!({"kind": "transfer", "on": ago(&s, 6), "owner": addr(&next_owner)}));
    let good = notice_for(&s, inspection, 10, 5);
    assert_eq!(s.chain.code(&s.dealer, "cars", sale_msg(&s, signed(&s, &good), 3)), "CAR-07");
    s.chain.ok(
        &next_owner,
        "cars",
        json!({"type": "mandate", "vin": VIN, "dealer": addr(&s.dealer), "until": ago(&s, -30)}),
    );
    // Delivered more than a week ago: recorded too late for the buyer's windows.
    let issued_early = notice_for(&s, inspection, 10, 10);
    let late = json!({"type": "record_sale", "vin": VIN, "notice": signed(&s, &issued_early), "buyer": addr(&key()),
                      "contract_on": ago(&s, 9), "delivered_on": ago(&s, 8)});
    assert_eq!(s.chain.code(&s.dealer, "cars", late), "CAR-06");
    s.chain.ok(&s.dealer, "cars", sale_msg(&s, signed(&s, &good), 3));
    // The same notice again: refused.
    assert_eq!(s.chain.code(&s.dealer, "cars", sale_msg(&s, signed(&s, &good), 3)), "CAR-03");
    // Another dealer, not the one the notice names, cannot record it.
    let other = key();
    s.chain.council(
        "cars",
        json!({"type": "accredit", "account": addr(&other), "party": "dealer", "organisation": "Other Motors"}),
    );
    assert_eq!(s.chain.code(&other, "cars", sale_msg(&s, signed(&s, &good), 3)), "CAR-03");
}

#[test]
fn car_03_05_a_newer_inspection_or_a_suspended_inspector_stops_the_sale() {
    let s = setup();
    let older = car_for_sale(&s, 20);
    mandate(&s);
    // A newer inspection found the flood: the dealer may not hand over the older, clean one.
    attest(
        &s,
        &s.inspector,
        json!({"kind": "inspection", "on": ago(&s, 8), "km": 84_100, "flood": true, "accident": false,
                                    "grade": "fair", "photos": [], "report": Hash([9; 32])}),
    );
    let clean = notice_for(&s, older, 20, 5);
    assert_eq!(s.chain.code(&s.dealer, "cars", sale_msg(&s, signed(&s, &clean), 3)), "CAR-03");
    let mut honest = notice_for(&s, older + 1, 8, 5);
    (honest.km, honest.flood, honest.grade, honest.photos) = (84_100, true, Grade::Fair, vec![]);
    // Suspended after inspecting: the notice it signed does not stand.
    s.chain.council("cars", json!({"type": "suspend", "account": addr(&s.inspector), "reason": "under investigation"}));
    assert_eq!(s.chain.code(&s.dealer, "cars", sale_msg(&s, signed(&s, &honest), 3)), "CAR-05");
    s.chain.council("cars", json!({"type": "reinstate", "account": addr(&s.inspector)}));
    s.chain.ok(&s.dealer, "cars", sale_msg(&s, signed(&s, &honest), 3));
}

#[test]
fn a_record_of_before_the_sale_already_on_chain_counts_against_the_notice_at_once() {
    let s = setup();
    attest(
        &s,
        &s.insurer,
        json!({"kind": "accident", "on": ago(&s, 400), "km": 30_000, "severity": "major", "flood": false}),
    );
    let inspection = car_for_sale(&s, 10);
    mandate(&s);
    let r = s.chain.ok(&s.dealer, "cars", sale_msg(&s, signed(&s, &notice_for(&s, inspection, 10, 5)), 3));
    assert!(r.events.iter().any(|e| e.kind == "notice_contradicted"));
    let c = &sale(&s, 1).contradictions;
    assert_eq!((c.len(), c[0].seq, c[0].fact), (1, 1, Fact::Accident));
}

#[test]
fn malformed_messages_and_queries_get_clear_errors() {
    let s = setup();
    for msg in [
        json!({"type": "attest", "vin": VIN, "record": {"kind": "odometer", "on": "2026-02-30", "km": 1}}),
        json!({"type": "attest", "vin": VIN, "record": {"kind": "odometer", "on": "2026-01-01", "km": -1}}),
        json!({"type": "attest", "vin": VIN, "record": {"kind": "odometer", "on": "2026-01-01", "km": 1, "owner": "x"}}),
        json!({"type": "attest", "vin": VIN, "record": {"kind": "teleport", "on": "2026-01-01"}}),
        json!({"type": "attest", "vin": VIN}),
        json!({"type": "mandate", "vin": VIN, "dealer": "not-an-address", "until": "2027-01-01"}),
        json!({"type": "accredit", "account": addr(&key()), "party": "dealer", "organisation": ""}),
        json!({"type": "sell", "vin": VIN}),
    ] {
        assert_eq!(s.chain.code(&s.mileage, "cars", msg.clone()), "invalid-message", "{msg}");
    }
    for (path, wants) in [
        ("history/KMHDN45D22U123456", "no record names it"),
        ("record/KMHDN45D22U123456/x", "not a record number"),
        ("sale/KMHDN45D22U123456/1", "sale 1"),
        ("party/nobody", "address"),
        ("owners/KMHDN45D22U123456", "unknown cars query"),
    ] {
        let e = s.chain.ledger.query("cars", path, &json!({})).unwrap_err().to_string();
        assert!(e.contains(wants), "{path}: {e}");
    }
    attest(&s, &s.mileage, json!({"kind": "odometer", "on": ago(&s, 3), "km": 100}));
    let e = s.chain.ledger.query("cars", &format!("history/{VIN}"), &json!({"limit": "many"})).unwrap_err();
    assert!(e.to_string().contains("limit"), "{e}");
}

#[test]
fn no_owner_name_resident_number_or_phone_number_anywhere_in_the_state() {
    let s = setup();
    let inspection = car_for_sale(&s, 10);
    mandate(&s);
    s.chain.ok(&s.dealer, "cars", sale_msg(&s, signed(&s, &notice_for(&s, inspection, 10, 5)), 3));
    let state = s.chain.ledger.committed_state();
    let entries = state.scan(b"cars/", None, 10_000).unwrap();
    assert!(entries.len() >= 8, "the scan saw the records: {}", entries.len());
    let rrn = |t: &str| {
        let digits: Vec<char> = t.chars().collect();
        digits
            .windows(14)
            .any(|w| w[..6].iter().all(char::is_ascii_digit) && w[6] == '-' && w[7..].iter().all(char::is_ascii_digit))
    };
    let phone = |t: &str| t.contains("010-") || t.contains("+8210");
    let hangul_outside_business_names = |t: &str| t.chars().any(|c| ('\u{ac00}'..='\u{d7a3}').contains(&c));
    for (k, v) in &entries {
        let text = String::from_utf8_lossy(v);
        let key = String::from_utf8_lossy(k);
        assert!(!rrn(&text) && !phone(&text), "{key}: {text}");
        assert!(!hangul_outside_business_names(&text), "{key} holds Hangul text: {text}");
    }
    // The owner is on chain only as the pseudonymous account the office recorded.
    assert_eq!(vehicle(&s).owner, Some(addr(&s.owner)));
}

#[test]
fn personal_numbers_in_free_text_and_extra_fields_in_a_notice_are_refused_at_the_door() {
    let s = setup();
    for msg in [
        json!({"type": "accredit", "account": addr(&key()), "party": "inspector", "organisation": "Kim 900101-1234567"}),
        json!({"type": "suspend", "account": addr(&s.inspector), "reason": "call the inspector at 010-1234-5678"}),
        json!({"type": "void_record", "vin": VIN, "seq": 1, "reason": "owner 9001011234567 complained"}),
    ] {
        let proposal = json!({"type": "propose", "proposal": {"module": "cars", "msg": msg},
                              "reason": "test", "expires_at_ms": s.chain.ledger.clock_ms() + 60_000});
        // Refused before it reaches a block: the proposal carries an invalid message.
        let e = s.chain.send(&s.chain.members[0], "governance", proposal).unwrap_err().to_string();
        assert!(e.contains("resident or phone number"), "{e}");
    }
    // A notice's JWS header carrying anything but alg, typ and jwk (a buyer's name, say).
    let inspection = car_for_sale(&s, 10);
    mandate(&s);
    let notice = notice_for(&s, inspection, 10, 5);
    let mut header = serde_json::Map::new();
    header.insert("typ".into(), json!(dojang_cars::notice::NOTICE_TYP));
    header.insert("jwk".into(), json!(dojang_credentials::jose::Jwk::from_public_key(&s.dealer.public_key())));
    header.insert("buyer_name".into(), json!("홍길동"));
    let dealer_jws = dojang_credentials::jose::sign_compact(&s.dealer, header, &json!(notice));
    let inspector_jws = dojang_cars::notice::sign(&notice, &s.inspector);
    let signed = json!({"dealer": dealer_jws, "inspector": inspector_jws});
    let r = s.chain.send(&s.dealer, "cars", sale_msg(&s, signed, 3)).unwrap();
    let (code, reason) = failure(&r).expect("refused");
    assert_eq!(code, "CAR-03");
    assert!(reason.contains("buyer_name"), "{reason}");
}

#[test]
fn a_history_written_from_stored_json_is_the_typed_answer_page_for_page() {
    let s = setup();
    let inspection = car_for_sale(&s, 10);
    mandate(&s);
    s.chain.ok(&s.dealer, "cars", sale_msg(&s, signed(&s, &notice_for(&s, inspection, 10, 5)), 3));
    let path = format!("history/{VIN}");
    let pages = [
        json!({}),
        json!({"limit": 2}),
        json!({"limit": 2, "after": 2}),
        json!({"limit": 4}),
        json!({"after": 99}),
        json!({"limit": "3"}),
    ];
    for params in pages {
        let typed = s.chain.ledger.query("cars", &path, &params).expect("a history");
        let bytes = s.chain.ledger.query_json("cars", &path, &params).expect("a history as JSON");
        let written: Value = serde_json::from_slice(&bytes).expect("the answer is JSON");
        assert_eq!(written, typed, "page {params}");
    }
    // The pages join up: the full page (4 of 4) says where to go on, the empty one does not.
    let full = s.chain.ledger.query_json("cars", &path, &json!({"limit": 4})).unwrap();
    assert_eq!(serde_json::from_slice::<History>(&full).unwrap().next_after, Some(4));
    let whole: History =
        serde_json::from_slice(&s.chain.ledger.query_json("cars", &path, &json!({})).unwrap()).unwrap();
    assert_eq!((whole.records.len(), whole.sales.len()), (4, 1));
    assert_eq!(history_is_whole(&whole.vehicle, &whole.records), Ok(()));
    // Other queries and refusals answer the same on both paths.
    let vehicle = format!("vehicle/{VIN}");
    let bytes = s.chain.ledger.query_json("cars", &vehicle, &json!({})).unwrap();
    assert_eq!(
        serde_json::from_slice::<Value>(&bytes).unwrap(),
        s.chain.ledger.query("cars", &vehicle, &json!({})).unwrap()
    );
    for bad in ["history/KMHDN45D32U123456", "history/JM1BL1SF7A1267720", &format!("history/{VIN}/1")] {
        let typed = s.chain.ledger.query("cars", bad, &json!({})).unwrap_err().to_string();
        let written = s.chain.ledger.query_json("cars", bad, &json!({})).unwrap_err().to_string();
        assert_eq!(written, typed, "{bad}");
    }
}
