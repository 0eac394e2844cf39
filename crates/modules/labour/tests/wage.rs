//! LAB-02 minimum wage, LAB-03 weekly holiday allowance, LAB-04 premiums: DOMAIN.md's figures,
//! worked by hand in the comments.

mod common;

use common::*;
use dojang_labour::rules::wage;
use dojang_labour::terms::WageBasis;
use dojang_labour::{Draft, Severity};

fn owed(f: &[dojang_labour::Finding], rule: &str) -> u64 {
    f.iter().filter(|x| x.rule == rule).map(|x| x.owed_krw).sum()
}

#[test]
fn lab02_the_contracted_week_paid_in_full_is_clean_and_a_short_week_is_owed_the_difference() {
    let t = tables();
    let ok = contracted_week("2026-01-12");
    assert!(wage::minimum_wage(&terms(), &ok, &t).unwrap().is_empty());
    // 990 minutes at 10,320 KRW/h = 170,280 KRW; 150,000 paid: 20,280 owed.
    let short = week("2026-01-12", ok.days.clone(), 150_000, 34_056, 0);
    let f = wage::minimum_wage(&terms(), &short, &t).unwrap();
    assert_eq!(f.len(), 1);
    assert_eq!((f[0].rule, f[0].severity, f[0].owed_krw), ("LAB-02", Severity::Violation, 20_280));
    assert_eq!(f[0].figures["minimum_due_krw"], 170_280);
}

#[test]
fn lab02_each_day_at_the_minimum_wage_of_its_own_year() {
    let t = tables();
    // Mon 2025-12-29 and Wed 12-31 at 10,030 (330 min: 55,165 each), Fri 2026-01-02 at 10,320 (56,760).
    let days = vec![
        day("2025-12-29", "10:00", "16:00", 30),
        day("2025-12-31", "10:00", "16:00", 30),
        day("2026-01-02", "10:00", "16:00", 30),
    ];
    let exact = week("2025-12-29", days.clone(), 167_090, 0, 0);
    assert!(wage::minimum_wage(&terms(), &exact, &t).unwrap().is_empty());
    let one_won_short = week("2025-12-29", days, 167_089, 0, 0);
    assert_eq!(owed(&wage::minimum_wage(&terms(), &one_won_short, &t).unwrap(), "LAB-02"), 1);
}

#[test]
fn lab02_a_contract_rate_below_the_minimum_is_a_violation_whatever_the_basis() {
    let t = tables();
    let low = lint_with(|d| d.wage_krw = Some(10_000));
    let f = wage::minimum_wage(&low, &contracted_week("2026-01-12"), &t).unwrap();
    assert!(f.iter().any(|x| x.figures.get("contract_hourly_krw") == Some(&10_000)), "{f:?}");
    // Monthly, 40 h a week: (40 + 8 h) × 365 / 84 = 208.6 paid hours. 2,156,880 KRW (the
    // notice's 209-hour figure) is above the minimum; 2,150,000 works out at 10,308 KRW/h.
    let full_time = |krw| {
        lint_with(|d| {
            d.wage_basis = Some(WageBasis::Monthly);
            d.wage_krw = Some(krw);
            d.shifts = Some(
                (0..5)
                    .map(|w| dojang_labour::terms::Shift {
                        weekday: w,
                        start: hm("09:00"),
                        end: hm("18:00"),
                        break_minutes: 60,
                    })
                    .collect(),
            );
        })
    };
    let w = week("2026-01-12", vec![day("2026-01-12", "09:00", "18:00", 60)], 0, 0, 0);
    assert!(wage::minimum_wage(&full_time(2_156_880), &w, &t).unwrap().is_empty());
    let f = wage::minimum_wage(&full_time(2_150_000), &w, &t).unwrap();
    // 2,150,000 × 60 × 84 / (2,880 × 365) = 10,308.2, truncated: below 2026's 10,320.
    assert_eq!((f[0].severity, f[0].figures["contract_hourly_krw"]), (Severity::Violation, 10_308));
    assert_eq!(f[0].figures["minimum_hourly_krw"], 10_320);
}

pub fn lint_with(change: impl FnOnce(&mut Draft)) -> dojang_labour::Terms {
    let mut d = draft();
    change(&mut d);
    dojang_labour::lint(&d).unwrap()
}

#[test]
fn lab03_weekly_holiday_allowance_from_15_hours_when_every_contracted_day_was_worked() {
    let t = tables();
    let paid = contracted_week("2026-01-12");
    assert!(wage::weekly_holiday(&terms(), std::slice::from_ref(&paid), &t).unwrap().is_empty());
    // 990/2400 × 8 h = 198 min at 10,320 KRW/h = 34,056 KRW, none paid.
    let unpaid = week("2026-01-12", paid.days.clone(), 170_280, 0, 0);
    let f = wage::weekly_holiday(&terms(), std::slice::from_ref(&unpaid), &t).unwrap();
    assert_eq!((f[0].rule, f[0].owed_krw), ("LAB-03", 34_056));
    let mut absent = unpaid.clone();
    absent.all_contracted_days_worked = false;
    assert!(wage::weekly_holiday(&terms(), &[absent], &t).unwrap().is_empty(), "a contracted day missed: no allowance");
    // Two days a week (660 min = 11 h) is under 15 h...
    let two_days = lint_with(|d| d.shifts.as_mut().unwrap().truncate(2));
    let w11 = week("2026-01-12", unpaid.days[..2].to_vec(), 0, 0, 0);
    assert!(wage::weekly_holiday(&two_days, std::slice::from_ref(&w11), &t).unwrap().is_empty());
    // ...unless the last four weeks actually averaged 15 h or more.
    let w17 = week(
        "2026-01-05",
        vec![
            day("2026-01-05", "09:00", "18:00", 60),
            day("2026-01-07", "09:00", "18:00", 60),
            day("2026-01-09", "10:00", "11:00", 0),
        ],
        0,
        0,
        0,
    );
    let avg = wage::weekly_holiday(&two_days, &[w17.clone(), w17.clone(), w17, w11], &t).unwrap();
    assert_eq!(avg.len(), 1, "average of 1,020, 1,020, 1,020 and 660 minutes = 930 minutes ≥ 900");
    // 930 × 480 / 2,400 = 186 minutes at 10,320 KRW/h = 31,992 KRW, none paid.
    assert_eq!((avg[0].severity, avg[0].owed_krw), (Severity::Violation, 31_992));
    assert_eq!(avg[0].figures["average_weekly_minutes"], 930);
    let monthly = lint_with(|d| d.wage_basis = Some(WageBasis::Monthly));
    assert!(wage::weekly_holiday(&monthly, &[unpaid], &t).unwrap().is_empty(), "a monthly wage includes it");
}

#[test]
fn lab04_premiums_by_workplace_size() {
    let t = tables();
    let ten_hours = |date: &str, holiday: bool| {
        let mut d = day(date, "09:00", "20:00", 60);
        d.holiday = holiday;
        d
    };
    // Monday 600 min: 120 beyond 8 h, 270 beyond the contracted 330: +50 % on 270 min = 23,220.
    let long_day = week("2026-01-12", vec![ten_hours("2026-01-12", false)], 0, 0, 0);
    assert_eq!(owed(&wage::premiums(&terms(), &long_day, &t).unwrap(), "LAB-04"), 23_220);
    // Wednesday 20:00-02:00 with 30' break: 240 night minutes at +50 % = 20,640.
    let night = week("2026-01-12", vec![day("2026-01-14", "20:00", "02:00", 30)], 0, 0, 0);
    assert_eq!(owed(&wage::premiums(&terms(), &night, &t).unwrap(), "LAB-04"), 20_640);
    // A 10-hour holiday: 480 min at +50 % (41,280) and 120 min at +100 % (20,640).
    let holiday = week("2026-01-12", vec![ten_hours("2026-01-18", true)], 0, 0, 0);
    assert_eq!(owed(&wage::premiums(&terms(), &holiday, &t).unwrap(), "LAB-04"), 61_920);
    let paid = week("2026-01-12", vec![ten_hours("2026-01-18", true)], 0, 0, 61_920);
    assert!(wage::premiums(&terms(), &paid, &t).unwrap().is_empty());
    // Four employees: no overtime, night or holiday premium, but a part-timer's hours beyond
    // the contract still earn +50 % (all sizes).
    let small = lint_with(|d| d.workplace_employees = Some(4));
    assert_eq!(owed(&wage::premiums(&small, &long_day, &t).unwrap(), "LAB-04"), 23_220);
    assert!(wage::premiums(&small, &night, &t).unwrap().is_empty());
    // Contracted 4 h Monday to Saturday, worked 8 h Monday to Friday and the 4 h on Saturday,
    // at 6 employees: 20 h beyond the contract, and Saturday's 4 contracted hours fall past
    // the 40th: 24 h at +50 % = 1,440 min × 5,160 / 60 = 123,840 KRW.
    let four_a_day = lint_with(|d| {
        d.shifts = Some(
            (0..6)
                .map(|w| dojang_labour::terms::Shift {
                    weekday: w,
                    start: hm("10:00"),
                    end: hm("14:00"),
                    break_minutes: 0,
                })
                .collect(),
        );
        d.weekly_holiday = Some(6);
    });
    let mut days: Vec<_> = (12..17).map(|n| day(&format!("2026-01-{n}"), "09:00", "18:00", 60)).collect();
    days.push(day("2026-01-17", "10:00", "14:00", 0));
    let m = wage::premium_minutes(&four_a_day, &week("2026-01-12", days.clone(), 0, 0, 0), &t).unwrap();
    assert_eq!(m.extra, 1_440);
    assert_eq!(owed(&wage::premiums(&four_a_day, &week("2026-01-12", days, 0, 0, 0), &t).unwrap(), "LAB-04"), 123_840);
    // A 10-hour Sunday is all beyond the contract: 600 min at +50 % = 51,600.
    assert_eq!(owed(&wage::premiums(&small, &holiday, &t).unwrap(), "LAB-04"), 51_600);
}
