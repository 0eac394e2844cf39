//! The Subcontracting Act's rules (DOMAIN.md §7) with their cases worked by hand, as
//! docs/modules/payments.md shows them.

use dojang_payments::rules::{
    cash_ratio_kept, direct_payment, due_date, guarantee_due, late_interest, mutual_aid, pass_through_change,
    pass_through_due, pays_minimum_wage, split_sums, DirectCause, Rate,
};
use dojang_types::Date;

fn d(s: &str) -> Date {
    s.parse().unwrap()
}

#[test]
fn pay_01_due_on_the_agreed_day_but_never_later_than_60_days_after_receipt() {
    assert_eq!(due_date(Some(d("2026-04-30")), d("2026-04-01"), 60), d("2026-04-30"));
    // Agreed 90 days out: the law's 60 days win (1 April + 60 = 31 May).
    assert_eq!(due_date(Some(d("2026-06-30")), d("2026-04-01"), 60), d("2026-05-31"));
    assert_eq!(due_date(None, d("2026-04-01"), 60), d("2026-05-31"));
}

#[test]
fn pay_02_a_subcontractor_is_paid_within_15_days_of_the_prime() {
    // The prime is paid on 10 May: the share is due on 25 May, unless PAY-01 is sooner.
    assert_eq!(pass_through_due(d("2026-05-10"), 15, d("2026-05-31")), d("2026-05-25"));
    assert_eq!(pass_through_due(d("2026-05-20"), 15, d("2026-05-31")), d("2026-05-31"));
}

#[test]
fn pay_03_late_interest_day_by_day_over_a_leap_year_and_a_rate_change() {
    let rates = [Rate { from: d("2019-07-01"), bp: 1_550 }, Rate { from: d("2028-03-01"), bp: 1_200 }];
    // KRW 10,000,000 due 2027-12-20, paid 2028-03-10:
    //   11 days in 2027 at 15.5 %:  1,550,000 × 11 / 365 = 46,712.33
    //   60 days of 2028 (Jan 31 + Feb 29) at 15.5 %: 1,550,000 × 60 / 366 = 254,098.36
    //   10 days from 1 March at 12 %: 1,200,000 × 10 / 366 = 32,786.89
    //   together 333,597.57, rounded down once: 333,597.
    assert_eq!(late_interest(10_000_000, d("2027-12-20"), d("2028-03-10"), &rates).unwrap(), 333_597);
    // Paid on the due day or before: nothing.
    assert_eq!(late_interest(10_000_000, d("2027-12-20"), d("2027-12-20"), &rates).unwrap(), 0);
    assert_eq!(late_interest(10_000_000, d("2027-12-20"), d("2027-12-01"), &rates).unwrap(), 0);
    // One day late in a common year: 1,550,000 / 365 = 4,246.58 -> 4,246.
    assert_eq!(late_interest(10_000_000, d("2026-06-01"), d("2026-06-02"), &rates).unwrap(), 4_246);
    // A whole leap year at one rate is exactly the yearly rate.
    assert_eq!(late_interest(10_000_000, d("2027-12-31"), d("2028-02-29"), &rates[..1]).unwrap(), 254_098);
    assert_eq!(late_interest(10_000_000, d("2027-12-31"), d("2028-12-31"), &rates[..1]).unwrap(), 1_550_000);
    // No rate in force on a late day: refused, with the day.
    let why = late_interest(1_000, d("2019-06-01"), d("2019-07-02"), &rates).unwrap_err();
    assert!(why.starts_with("PAY-03") && why.contains("2019-06-02"), "{why}");
}

#[test]
fn pay_03_splitting_a_late_period_changes_the_total_by_at_most_the_rounding() {
    let rates = [Rate { from: d("2020-01-01"), bp: 1_550 }, Rate { from: d("2024-07-01"), bp: 1_200 }];
    let whole = late_interest(123_456_789, d("2023-11-03"), d("2025-02-17"), &rates).unwrap();
    let a = late_interest(123_456_789, d("2023-11-03"), d("2024-08-09"), &rates).unwrap();
    let b = late_interest(123_456_789, d("2024-08-09"), d("2025-02-17"), &rates).unwrap();
    assert!(whole >= a + b && whole <= a + b + 1, "{whole} against {a} + {b}");
}

#[test]
fn pay_04_the_cash_share_passed_on_is_no_lower_than_the_prime_received() {
    // The prime got 80 % in cash; paying the sub 80 % (or more) keeps the rule.
    cash_ratio_kept(80_000_000, 100_000_000, 8_000_000, 10_000_000).unwrap();
    cash_ratio_kept(80_000_000, 100_000_000, 10_000_000, 10_000_000).unwrap();
    let why = cash_ratio_kept(80_000_000, 100_000_000, 7_999_999, 10_000_000).unwrap_err();
    assert!(why.starts_with("PAY-04"), "{why}");
}

#[test]
fn pay_05_a_guarantee_is_due_30_days_after_a_subcontract_over_10_million() {
    assert_eq!(guarantee_due(d("2026-03-02"), 10_000_001, 10_000_000, 30), Some(d("2026-04-01")));
    assert_eq!(guarantee_due(d("2026-03-02"), 10_000_000, 10_000_000, 30), None, "over, not at, KRW 10 M");
}

#[test]
fn pay_06_direct_payment_from_the_second_missed_instalment_or_for_another_cause() {
    assert_eq!(direct_payment(0, 2, false, false, false), None);
    assert_eq!(direct_payment(1, 2, false, false, false), None, "one missed instalment is not enough");
    assert_eq!(direct_payment(2, 2, false, false, false), Some(DirectCause::MissedInstalments(2)));
    assert_eq!(direct_payment(3, 2, false, false, false), Some(DirectCause::MissedInstalments(3)));
    assert_eq!(direct_payment(0, 2, true, false, false), Some(DirectCause::Insolvency));
    assert_eq!(direct_payment(0, 2, false, true, false), Some(DirectCause::ThreePartyAgreement));
    assert_eq!(direct_payment(1, 2, false, false, true), Some(DirectCause::MissingGuarantee));
}

#[test]
fn pay_07_the_split_sums_to_the_approved_payment() {
    split_sums(&[40_000_000, 25_000_000, 35_000_000], 100_000_000).unwrap();
    let short = split_sums(&[40_000_000, 25_000_000, 34_999_000], 100_000_000).unwrap_err();
    assert!(short.starts_with("PAY-07") && short.contains("1000 missing"), "{short}");
    let over = split_sums(&[60_000_000, 41_000_000], 100_000_000).unwrap_err();
    assert!(over.contains("1000000 too much"), "{over}");
    assert!(split_sums(&[100_000_000, 0], 100_000_000).unwrap_err().contains("part 1 pays nothing"));
    assert!(split_sums(&[u64::MAX, 1], 100).unwrap_err().contains("more than any payment"));
}

#[test]
fn pay_08_a_workers_pay_covers_each_days_hours_at_that_days_minimum_wage() {
    // 8 h on 31 Dec 2025 at 10,030 won and 8 h on 2 Jan 2026 at 10,320 won: 80,240 + 82,560.
    let minimum = |day: Date| Ok(if day < d("2026-01-01") { 10_030 } else { 10_320 });
    let days = [(d("2025-12-31"), 8 * 60), (d("2026-01-02"), 8 * 60)];
    pays_minimum_wage(162_800, &days, minimum).unwrap();
    let why = pays_minimum_wage(162_799, &days, minimum).unwrap_err();
    assert!(why.starts_with("PAY-08") && why.contains("162800"), "{why}");
    // 7 h 20 min at 10,320: exactly 75,680.
    pays_minimum_wage(75_680, &[(d("2026-01-02"), 440)], minimum).unwrap();
    assert!(pays_minimum_wage(75_679, &[(d("2026-01-02"), 440)], minimum).is_err());
    // One minute at 10,030 is 167.17 won: rounded up to 168, in the worker's favour.
    pays_minimum_wage(168, &[(d("2025-12-31"), 1)], minimum).unwrap();
    assert!(pays_minimum_wage(167, &[(d("2025-12-31"), 1)], minimum).unwrap_err().contains("(168 won)"));
    let missing = pays_minimum_wage(1, &days, |_| Err("no minimum wage set".into())).unwrap_err();
    assert_eq!(missing, "no minimum wage set");
}

#[test]
fn pay_09_a_change_order_passes_through_in_the_same_ratio() {
    // The prime contract of 1,000,000,000 grows by 50,000,000 (5 %): a 300,000,000
    // subcontract grows by 15,000,000.
    assert_eq!(pass_through_change(1_000_000_000, 50_000_000, 300_000_000).unwrap(), 15_000_000);
    // Rounded down: 333,333,334 × 1/3 = 111,111,111.33 -> 111,111,111.
    assert_eq!(pass_through_change(3, 1, 333_333_334).unwrap(), 111_111_111);
    assert!(pass_through_change(0, 1, 1).unwrap_err().starts_with("PAY-09"));
}

#[test]
fn pay_11_mutual_aid_is_the_days_worked_times_the_daily_rate() {
    assert_eq!(mutual_aid(22, 6_500).unwrap(), 143_000);
    assert!(mutual_aid(u64::MAX, 2).unwrap_err().starts_with("PAY-11"));
}
