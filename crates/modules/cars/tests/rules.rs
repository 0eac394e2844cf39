//! The CAR rules as pure functions, with DOMAIN.md §4's cases: each rule holding, and each
//! failing with the rule id and what was wrong.

use dojang_cars::msg::{Grade, Notice, Party, Record, Severity};
use dojang_cars::rules::*;
use dojang_cars::state::{Fact, Flag, Reading};
use dojang_types::{Address, Date, Hash};

fn d(s: &str) -> Date {
    s.parse().unwrap()
}

fn reading(seq: u32, on: &str, km: u64) -> Reading {
    Reading { seq, on: d(on), km, segment: 0, after_replacement: false }
}

fn notice() -> Notice {
    Notice {
        vin: "KMHDN45D22U123456".into(),
        dealer: Address([1; 20]),
        inspector: Address([2; 20]),
        inspection: 3,
        inspected_on: d("2026-03-01"),
        km: 84_000,
        flood: false,
        accident: false,
        grade: Grade::Good,
        photos: vec![],
        liens: vec![],
        fees_krw: 330_000,
        issued_on: d("2026-03-10"),
    }
}

#[test]
fn car_01_readings_that_rise_with_time_have_no_flag() {
    let history = [reading(1, "2024-01-10", 10_000), reading(2, "2025-01-10", 25_000)];
    assert_eq!(odometer_flags(&history, d("2026-01-10"), 40_000, 1_000, Some(d("2023-12-01"))), vec![]);
    // Out of order but consistent: a reading between the two.
    assert_eq!(odometer_flags(&history, d("2024-07-10"), 17_000, 1_000, None), vec![]);
}

#[test]
fn car_01_a_reading_below_an_earlier_one_is_a_rollback_against_it() {
    let history = [reading(1, "2024-01-10", 10_000), reading(2, "2025-01-10", 120_000)];
    let flags = odometer_flags(&history, d("2025-06-01"), 80_000, 1_000, None);
    assert_eq!(flags, vec![Flag::Rollback { against: 2, km: 120_000 }]);
}

#[test]
fn car_01_a_late_arriving_reading_above_a_later_one_exposes_the_later_rollback() {
    // The dealer's inspection (80,000 in June) was recorded first; the insurer's claim of
    // March (120,000) arrives after it.
    let history = [reading(1, "2025-06-01", 80_000)];
    let flags = odometer_flags(&history, d("2025-03-01"), 120_000, 1_000, None);
    assert_eq!(flags, vec![Flag::Rollback { against: 1, km: 80_000 }]);
}

#[test]
fn car_01_an_odometer_replacement_starts_a_new_segment() {
    let replaced = [d("2025-05-01")];
    assert_eq!(segment_of(&replaced, d("2025-04-30"), false), 0);
    // On the day itself a reading is the old odometer's, but for the new one's first.
    assert_eq!(segment_of(&replaced, d("2025-05-01"), false), 0);
    assert_eq!(segment_of(&replaced, d("2025-05-01"), true), 1);
    assert_eq!(segment_of(&replaced, d("2025-05-02"), false), 1);
    assert_eq!(segment_of(&[d("2024-01-01"), d("2025-05-01")], d("2026-01-01"), false), 2);
    // In the new segment a low reading is compared only with the new odometer's readings.
    let new_segment = [Reading { seq: 5, on: d("2025-05-01"), km: 0, segment: 1, after_replacement: true }];
    assert_eq!(odometer_flags(&new_segment, d("2025-08-01"), 9_000, 1_000, None), vec![]);
}

#[test]
fn car_02_more_than_the_daily_limit_between_readings_is_implausible() {
    let history = [reading(1, "2025-01-01", 10_000)];
    // 2,500 km in two days: 1,250 a day.
    let flags = odometer_flags(&history, d("2025-01-03"), 12_500, 1_000, None);
    assert_eq!(flags, vec![Flag::Implausible { against: 1, km_per_day: 1_250 }]);
    // 2,000 km in two days is the limit, not past it.
    assert_eq!(odometer_flags(&history, d("2025-01-03"), 12_000, 1_000, None), vec![]);
    // Against the next reading too.
    let history = [reading(1, "2025-01-10", 30_000)];
    let flags = odometer_flags(&history, d("2025-01-09"), 20_000, 1_000, None);
    assert_eq!(flags, vec![Flag::Implausible { against: 1, km_per_day: 10_000 }]);
}

#[test]
fn car_02_a_reading_before_first_registration_is_flagged() {
    let flags = odometer_flags(&[], d("2023-01-01"), 5, 1_000, Some(d("2023-02-01")));
    assert_eq!(flags, vec![Flag::BeforeRegistration { registered_on: d("2023-02-01") }]);
}

#[test]
fn car_03_the_notice_must_be_this_vehicles_this_dealers_and_before_the_contract() {
    let n = notice();
    assert_eq!(notice_fits_sale(&n, &n.vin, &n.dealer, d("2026-03-10")), Ok(()));
    let e = notice_fits_sale(&n, &n.vin, &n.dealer, d("2026-03-09")).unwrap_err();
    assert!(e.starts_with("CAR-03:") && e.contains("after the contract"), "{e}");
    let e = notice_fits_sale(&n, "1M8GDM9AXKP042788", &n.dealer, d("2026-03-10")).unwrap_err();
    assert!(e.starts_with("CAR-03:") && e.contains("VIN"), "{e}");
    let e = notice_fits_sale(&n, &n.vin, &Address([9; 20]), d("2026-03-10")).unwrap_err();
    assert!(e.starts_with("CAR-03:") && e.contains("dealer"), "{e}");
}

#[test]
fn car_03_the_notice_must_say_what_the_inspection_on_chain_found() {
    let n = notice();
    let inspection = |flood: bool, km: u64| Record::Inspection {
        on: d("2026-03-01"),
        km,
        flood,
        accident: false,
        grade: Grade::Good,
        photos: vec![],
        report: Hash([7; 32]),
    };
    assert_eq!(notice_matches_inspection(&n, &n.inspector, &inspection(false, 84_000)), Ok(()));
    let e = notice_matches_inspection(&n, &n.inspector, &inspection(true, 84_000)).unwrap_err();
    assert!(e.contains("flood finding"), "{e}");
    let e = notice_matches_inspection(&n, &n.inspector, &inspection(false, 84_100)).unwrap_err();
    assert!(e.contains("odometer"), "{e}");
    let e = notice_matches_inspection(&n, &Address([3; 20]), &inspection(false, 84_000)).unwrap_err();
    assert!(e.contains("was recorded by"), "{e}");
    let e =
        notice_matches_inspection(&n, &n.inspector, &Record::Odometer { on: d("2026-03-01"), km: 84_000 }).unwrap_err();
    assert!(e.contains("not an inspection"), "{e}");
}

#[test]
fn car_04_the_inspection_is_at_most_120_days_old_at_the_contract() {
    assert_eq!(inspection_is_fresh(d("2026-01-01"), d("2026-05-01"), 120), Ok(()));
    let e = inspection_is_fresh(d("2026-01-01"), d("2026-05-02"), 120).unwrap_err();
    assert!(e.starts_with("CAR-04:") && e.contains("121 days old"), "{e}");
    let e = inspection_is_fresh(d("2026-05-03"), d("2026-05-02"), 120).unwrap_err();
    assert!(e.contains("after the contract"), "{e}");
}

#[test]
fn car_05_each_fact_comes_from_the_body_that_knows_it() {
    let on = d("2026-01-01");
    let cases: Vec<(Record, Vec<Party>)> = vec![
        (Record::Registration { on, km: 3 }, vec![Party::RegistrationOffice]),
        (Record::Transfer { on, owner: Address([5; 20]) }, vec![Party::RegistrationOffice]),
        (Record::Accident { on, km: None, severity: Severity::Minor, flood: false }, vec![Party::Insurer]),
        (Record::Repair { on, km: 1, work: Hash([1; 32]) }, vec![Party::MaintenanceShop]),
        (Record::OdometerReplaced { on, old_km: 9, new_km: 0 }, vec![Party::MaintenanceShop]),
        (
            Record::Odometer { on, km: 1 },
            vec![
                Party::InspectionShop,
                Party::Inspector,
                Party::MaintenanceShop,
                Party::Insurer,
                Party::RegistrationOffice,
                Party::MileageProgramme,
            ],
        ),
    ];
    let all = [
        Party::Dealer,
        Party::InspectionShop,
        Party::Inspector,
        Party::MaintenanceShop,
        Party::Insurer,
        Party::RegistrationOffice,
        Party::MileageProgramme,
    ];
    for (record, allowed) in cases {
        for party in all {
            assert_eq!(may_attest(party, &record), allowed.contains(&party), "{party:?} attesting {}", record.kind());
        }
    }
}

#[test]
fn car_06_a_record_of_before_the_sale_that_the_notice_denied_contradicts_it() {
    let n = notice();
    let contract = d("2026-03-10");
    let flood = Record::Accident { on: d("2025-08-01"), km: None, severity: Severity::Minor, flood: true };
    assert_eq!(contradictions(&n, contract, &flood, false), vec![Fact::Flood]);
    let crash = Record::Accident { on: d("2025-08-01"), km: Some(70_000), severity: Severity::Major, flood: false };
    assert_eq!(contradictions(&n, contract, &crash, true), vec![Fact::Accident]);
    // A reading before the inspection higher than the notice's: the odometer was turned back.
    let reading = Record::Odometer { on: d("2025-12-01"), km: 120_000 };
    assert_eq!(contradictions(&n, contract, &reading, true), vec![Fact::Odometer]);
    // ... unless it is from another odometer segment.
    assert_eq!(contradictions(&n, contract, &reading, false), vec![]);
}

#[test]
fn car_06_what_happened_after_the_sale_or_what_was_disclosed_is_no_contradiction() {
    let mut n = notice();
    let contract = d("2026-03-10");
    let later_flood = Record::Accident { on: d("2026-04-01"), km: None, severity: Severity::Major, flood: true };
    assert_eq!(contradictions(&n, contract, &later_flood, true), vec![]);
    // Driven after the inspection: a later reading is higher, and that is normal.
    let driven = Record::Odometer { on: d("2026-03-05"), km: 84_300 };
    assert_eq!(contradictions(&n, contract, &driven, true), vec![]);
    // A minor scrape is not an accident history.
    let scrape = Record::Accident { on: d("2025-08-01"), km: None, severity: Severity::Minor, flood: false };
    assert_eq!(contradictions(&n, contract, &scrape, true), vec![]);
    n.flood = true;
    n.accident = true;
    let both = Record::Accident { on: d("2025-08-01"), km: None, severity: Severity::TotalLoss, flood: true };
    assert_eq!(contradictions(&n, contract, &both, true), vec![]);
}

#[test]
fn car_06_windows_run_30_and_90_days_from_delivery() {
    assert_eq!(window_until(d("2026-03-12"), 30), d("2026-04-11"));
    assert_eq!(window_until(d("2026-03-12"), 90), d("2026-06-10"));
}

#[test]
fn car_07_the_seller_is_the_owner_or_holds_the_owners_mandate() {
    let dealer = Address([1; 20]);
    let owner = Address([4; 20]);
    let contract = d("2026-03-10");
    assert_eq!(seller_may_sell(Some(dealer), &dealer, None, contract), Ok(()));
    assert_eq!(seller_may_sell(Some(owner), &dealer, Some(contract), contract), Ok(()));
    let e = seller_may_sell(Some(owner), &dealer, None, contract).unwrap_err();
    assert!(e.starts_with("CAR-07:") && e.contains("neither owns"), "{e}");
    let e = seller_may_sell(Some(owner), &dealer, Some(d("2026-03-09")), contract).unwrap_err();
    assert!(e.contains("ended on 2026-03-09"), "{e}");
    let e = seller_may_sell(None, &dealer, Some(contract), contract).unwrap_err();
    assert!(e.contains("no registered owner"), "{e}");
}

#[test]
fn car_08_liens_active_at_the_sale_and_not_disclosed_are_found() {
    let (a, b, c) = (Hash([1; 32]), Hash([2; 32]), Hash([3; 32]));
    assert_eq!(undisclosed_liens(&[a, b], &[a]), vec![b]);
    assert_eq!(undisclosed_liens(&[a, b], &[b, a, c]), vec![]);
    assert_eq!(undisclosed_liens(&[], &[c]), vec![]);
}

#[test]
fn car_03_the_notice_gives_the_latest_inspection_before_the_contract() {
    let n = notice();
    let contract = d("2026-03-10");
    assert_eq!(notice_cites_latest_inspection(&n, Some((3, d("2026-03-01"))), contract), Ok(()));
    assert_eq!(notice_cites_latest_inspection(&n, None, contract), Ok(()));
    // A newer inspection (which found the flood, say) exists: the older clean one will not do.
    let e = notice_cites_latest_inspection(&n, Some((7, d("2026-03-05"))), contract).unwrap_err();
    assert!(e.starts_with("CAR-03:") && e.contains("inspection 7"), "{e}");
    // One made after the contract is not what the buyer could have been told.
    assert_eq!(notice_cites_latest_inspection(&n, Some((7, d("2026-03-20"))), contract), Ok(()));
    // Nor may a notice be issued before the inspection it reports.
    let mut early = notice();
    early.issued_on = d("2026-02-27");
    let e = notice_fits_sale(&early, &early.vin, &early.dealer, contract).unwrap_err();
    assert!(e.contains("before its inspection"), "{e}");
}

#[test]
fn records_with_impossible_figures_are_malformed() {
    let on = d("2026-01-01");
    assert_eq!(record_is_well_formed(&Record::Odometer { on, km: MAX_KM }), Ok(()));
    assert!(record_is_well_formed(&Record::Odometer { on, km: MAX_KM + 1 }).unwrap_err().contains("at most"));
    assert!(record_is_well_formed(&Record::Odometer { on: d("1949-12-31"), km: 1 })
        .unwrap_err()
        .contains("before 1950"));
    let same = Record::OdometerReplaced { on, old_km: 5, new_km: 5 };
    assert!(record_is_well_formed(&same).unwrap_err().starts_with("CAR-01"));
    // A replacement may read more or less than the old odometer: the event explains the jump.
    assert_eq!(record_is_well_formed(&Record::OdometerReplaced { on, old_km: 0, new_km: 50_000 }), Ok(()));
    let far = Record::OdometerReplaced { on, old_km: MAX_KM + 1, new_km: 0 };
    assert!(record_is_well_formed(&far).is_err());
}

#[test]
fn a_resident_or_phone_number_in_free_text_is_recognised() {
    for personal in ["900101-1234567", "9001011234567", "010-1234-5678", "010 1234 5678", "+82 10 1234 5678"] {
        assert!(looks_like_a_personal_number(personal), "{personal}");
    }
    for business in ["Janganpyeong Motors", "Hyundai Service 2", "Seoul 1st Inspection Co. (est. 1998)", "12-34-56"] {
        assert!(!looks_like_a_personal_number(business), "{business}");
    }
}
