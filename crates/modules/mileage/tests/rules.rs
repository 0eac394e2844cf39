//! The mileage rules as tables of cases (DOMAIN.md §6): award amounts from the table in force
//! (MIL-06), budgets (MIL-03), caps and lots (MIL-07).

use dojang_mileage::msg::{Award, AwardRule, Evidence, Tier};
use dojang_mileage::rules::{
    add_lot, award_amount, capped, expire_lots, lot_expiry, table_is_well_formed, take_fifo, within_budget, MAX_AMOUNT,
    MAX_LOTS,
};
use dojang_mileage::state::{AwardTable, Lot};
use dojang_types::{Date, Hash};
use proptest::prelude::*;

fn d(s: &str) -> Date {
    s.parse().unwrap()
}

fn evidence(kind: &str, on: &str, measure: u64) -> Evidence {
    Evidence { kind: kind.into(), id: Hash([1; 32]), on: d(on), measure }
}

fn eco_tables() -> Vec<AwardTable> {
    // Eco-mileage: a saving of 5 % earns 10,000; 10 % 30,000; 15 % 50,000. From 2027 the
    // first tier pays 15,000. Volunteering: 700 an hour, at most 40 hours per record.
    let tiers = |first| AwardRule::Tiers {
        tiers: vec![Tier { min: 500, krw: first }, Tier { min: 1000, krw: 30_000 }, Tier { min: 1500, krw: 50_000 }],
    };
    let hours =
        Award { evidence: "volunteer-hours".into(), rule: AwardRule::PerUnit { krw_per_unit: 700, max_units: 40 } };
    vec![
        AwardTable {
            effective_from: d("2026-01-01"),
            awards: vec![Award { evidence: "meter-saving".into(), rule: tiers(10_000) }, hours.clone()],
        },
        AwardTable {
            effective_from: d("2027-01-01"),
            awards: vec![Award { evidence: "meter-saving".into(), rule: tiers(15_000) }],
        },
    ]
}

#[test]
fn mil_06_award_amounts_by_the_table_in_force_on_the_evidence_date() {
    let t = eco_tables();
    for (kind, on, measure, krw) in [
        ("meter-saving", "2026-06-01", 500, 10_000),
        ("meter-saving", "2026-06-01", 999, 10_000),
        ("meter-saving", "2026-06-01", 1000, 30_000),
        ("meter-saving", "2026-12-31", 2400, 50_000),
        ("meter-saving", "2027-01-01", 500, 15_000),
        ("volunteer-hours", "2026-03-01", 3, 2_100),
        ("volunteer-hours", "2026-03-01", 100, 28_000),
    ] {
        assert_eq!(award_amount(&t, &evidence(kind, on, measure)), Ok(krw), "{kind} {on} {measure}");
    }
    for (kind, on, measure, says) in [
        ("meter-saving", "2025-12-31", 900, "no award table is in force on 2025-12-31"),
        ("meter-saving", "2026-06-01", 499, "earns nothing"),
        ("volunteer-hours", "2027-02-01", 3, "pays nothing for 'volunteer-hours'"),
        ("bicycle-km", "2026-06-01", 3, "pays nothing for 'bicycle-km'"),
    ] {
        let e = award_amount(&t, &evidence(kind, on, measure)).unwrap_err();
        assert!(e.starts_with("MIL-06: ") && e.contains(says), "{e}");
    }
    // MIL-02: a conversion at a published rate, rounded down.
    let rate = vec![AwardTable {
        effective_from: d("2026-01-01"),
        awards: vec![Award { evidence: "card-points".into(), rule: AwardRule::Rate { bp: 5_000 } }],
    }];
    assert_eq!(award_amount(&rate, &evidence("card-points", "2026-05-05", 1_001)), Ok(500));
}

#[test]
fn award_tables_are_checked_before_they_are_stored() {
    let line = |rule| Award { evidence: "meter-saving".into(), rule };
    let ok = line(AwardRule::Tiers { tiers: vec![Tier { min: 1, krw: 1 }] });
    assert_eq!(table_is_well_formed(std::slice::from_ref(&ok)), Ok(()));
    for (awards, says) in [
        (vec![], "1 to 32 lines"),
        (vec![ok.clone(), ok.clone()], "has two lines"),
        (vec![line(AwardRule::Tiers { tiers: vec![Tier { min: 5, krw: 1 }, Tier { min: 5, krw: 2 }] })], "must rise"),
        (vec![line(AwardRule::Tiers { tiers: vec![Tier { min: 5, krw: 0 }] })], "each tier pays"),
        (vec![line(AwardRule::Tiers { tiers: vec![] })], "1 to 16 tiers"),
        (vec![line(AwardRule::PerUnit { krw_per_unit: MAX_AMOUNT, max_units: 2 })], "at most"),
        (vec![line(AwardRule::PerUnit { krw_per_unit: 700, max_units: 0 })], "at least one unit"),
        (vec![line(AwardRule::Rate { bp: 0 })], "basis points"),
        (vec![Award { evidence: "Meter Saving".into(), rule: AwardRule::Rate { bp: 1 } }], "lower-case"),
    ] {
        let e = table_is_well_formed(&awards).unwrap_err();
        assert!(e.contains(says), "{e}");
    }
}

#[test]
fn mil_03_budget_and_mil_07_cap() {
    assert_eq!(within_budget(Some(100_000), 90_000, 10_000, 2026), Ok(()));
    assert!(within_budget(Some(100_000), 90_001, 10_000, 2026).unwrap_err().contains("9999 won left"));
    assert!(within_budget(None, 0, 1, 2026).unwrap_err().starts_with("MIL-03: the programme has no budget for 2026"));
    // Nowon's volunteering coin: at most 50,000 a person.
    assert_eq!(capped(50_000, 0, 30_000), Ok(30_000));
    assert_eq!(capped(50_000, 30_000, 30_000), Ok(20_000));
    assert!(capped(50_000, 50_000, 700).unwrap_err().starts_with("MIL-07"));
}

#[test]
fn a_gift_or_award_joins_the_lot_of_its_programme_year_and_day_or_goes_last() {
    let lot = |p: &str, expires, remaining| Lot { programme: p.into(), year: 2026, expires: d(expires), remaining };
    let mut lots = vec![lot("volunteer", "2029-11-30", 7), lot("eco", "2027-11-30", 5)];
    add_lot(&mut lots, lot("volunteer", "2029-11-30", 3)).unwrap();
    add_lot(&mut lots, lot("volunteer", "2027-11-30", 1)).unwrap();
    assert_eq!(
        lots,
        vec![lot("volunteer", "2029-11-30", 10), lot("eco", "2027-11-30", 5), lot("volunteer", "2027-11-30", 1)]
    );
    let mut full: Vec<Lot> =
        (0..MAX_LOTS).map(|i| Lot { year: 1000 + i as u16, ..lot("eco", "2027-01-31", 1) }).collect();
    assert!(add_lot(&mut full, lot("eco", "2027-01-31", 1)).unwrap_err().contains("512 lots"));
}

#[test]
fn mil_07_lots_live_to_the_end_of_a_month_and_expire_after_it() {
    assert_eq!(lot_expiry(d("2026-01-31"), 1), d("2026-02-28"));
    assert_eq!(lot_expiry(d("2026-11-30"), 36), d("2029-11-30"));
    assert_eq!(lot_expiry(d("2027-12-01"), 2), d("2028-02-29"));
    let lot = |p: &str, expires, remaining| Lot { programme: p.into(), year: 2026, expires: d(expires), remaining };
    let mut lots = vec![lot("eco", "2026-12-31", 5), lot("volunteer", "2029-11-30", 7)];
    assert_eq!(expire_lots(&mut lots, d("2026-12-31")), vec![], "spendable on its last day");
    assert_eq!(expire_lots(&mut lots, d("2027-01-01")), vec![lot("eco", "2026-12-31", 5)]);
    assert_eq!(lots, vec![lot("volunteer", "2029-11-30", 7)]);
}

fn lots() -> impl Strategy<Value = Vec<Lot>> {
    // Expiries in any order, so that first in (list order) differs from earliest expiry.
    prop::collection::vec((0u8..3, 1u64..10_000, 0i64..2_000), 0..12).prop_map(|v| {
        v.into_iter()
            .map(|(p, remaining, day)| Lot {
                programme: ["eco", "volunteer", "tax"][p as usize].into(),
                year: 2026,
                expires: Date::from_days(20_000 + day),
                remaining,
            })
            .collect()
    })
}

proptest! {
    #![proptest_config(ProptestConfig { failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn mil_07_spending_takes_first_in_first_out_and_loses_nothing(mut held in lots(), amount in 1u64..60_000) {
        let before = held.clone();
        let total: u64 = before.iter().map(|l| l.remaining).sum();
        match take_fifo(&mut held, amount, |_| true) {
            Err(available) => {
                prop_assert_eq!(available, total);
                prop_assert!(amount > total);
                prop_assert_eq!(&held, &before, "nothing taken when too little is held");
            }
            Ok(taken) => {
                prop_assert_eq!(taken.iter().map(|l| l.remaining).sum::<u64>(), amount);
                prop_assert_eq!(held.iter().map(|l| l.remaining).sum::<u64>(), total - amount);
                // First in, first out: the lots are taken in list order, whatever their
                // expiry; every one but the last is emptied, and what is left is the rest.
                for (i, t) in taken.iter().enumerate() {
                    prop_assert_eq!(&t.programme, &before[i].programme);
                    prop_assert_eq!(t.expires, before[i].expires);
                    if i + 1 < taken.len() {
                        prop_assert_eq!(t.remaining, before[i].remaining);
                    }
                }
                let last = taken.len() - 1;
                let mut rest = before[last..].to_vec();
                rest[0].remaining -= taken[last].remaining;
                rest.retain(|l| l.remaining > 0);
                prop_assert_eq!(&held, &rest);
            }
        }
    }
}
