//! Properties over many generated weeks (a seeded generator, so a failure reproduces): pay is
//! never accepted below the minutes worked at the minimum wage of each date, and LAB-02 names
//! exactly the shortfall; night minutes never exceed minutes worked; premiums and the holiday
//! allowance never fall when more is worked.

mod common;

use common::*;
use dojang_labour::rules::wage;
use dojang_labour::{Week, WeekPay, WorkDay};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

fn random_week(rng: &mut StdRng) -> Week {
    // Any Monday from 2025-12-01 to 2026-02-23, across the minimum wage change.
    let monday = d("2025-12-01").plus_days(7 * rng.gen_range(0..13));
    let mut days = Vec::new();
    for o in 0..7 {
        if rng.gen_bool(0.5) {
            let (start, end) = (rng.gen_range(0..1440u16), rng.gen_range(0..1440u16));
            days.push(WorkDay {
                date: monday.plus_days(o),
                start,
                end,
                break_minutes: rng.gen_range(0..90),
                holiday: rng.gen_bool(0.1),
            });
        }
    }
    Week { monday, days, pay: WeekPay::default(), all_contracted_days_worked: true }
}

fn minimum_due(w: &Week) -> u64 {
    w.days
        .iter()
        .map(|day| {
            let min = if day.date < d("2026-01-01") { 10_030 } else { 10_320 };
            (u64::from(day.minutes()) * min).div_ceil(60)
        })
        .sum()
}

#[test]
fn pay_is_never_accepted_below_the_minimum_and_the_shortfall_is_exact() {
    let (t, terms) = (tables(), terms());
    let mut rng = StdRng::seed_from_u64(20_261_129);
    for _ in 0..5_000 {
        let mut w = random_week(&mut rng);
        let due = minimum_due(&w);
        w.pay.base_krw = rng.gen_range(0..=due + 1_000);
        let owed: u64 = wage::minimum_wage(&terms, &w, &t).unwrap().iter().map(|f| f.owed_krw).sum();
        assert_eq!(owed, due.saturating_sub(w.pay.base_krw), "{w:?}");
    }
}

#[test]
fn night_minutes_never_exceed_minutes_worked() {
    let mut rng = StdRng::seed_from_u64(7);
    for _ in 0..20_000 {
        let w = random_week(&mut rng);
        for day in &w.days {
            assert!(day.night_minutes(22, 6) <= day.minutes(), "{day:?}");
        }
    }
}

#[test]
fn working_more_never_lowers_premiums_or_the_holiday_allowance() {
    // A two-day contract (11 h, under 15 h): the allowance then follows the hours worked, so
    // it can change, and must not fall.
    let t = tables();
    let mut d = draft();
    d.shifts.as_mut().unwrap().truncate(2);
    let terms = dojang_labour::lint(&d).unwrap();
    let mut rng = StdRng::seed_from_u64(42);
    let due = |w: &Week| -> (u64, u64) {
        let p = wage::premiums(&terms, w, &t).unwrap().iter().map(|f| f.figures["premiums_due_krw"] as u64).sum();
        let h = wage::weekly_holiday(&terms, std::slice::from_ref(w), &t)
            .unwrap()
            .iter()
            .map(|f| f.figures["allowance_krw"] as u64)
            .sum();
        (p, h)
    };
    for _ in 0..3_000 {
        let w = random_week(&mut rng);
        let mut more = w.clone();
        if let Some(day) = more.days.first_mut() {
            // Half an hour later, unless that would wrap the shift past its start.
            if day.minutes() + 30 < 1440 - u32::from(day.break_minutes) {
                day.end = (day.end + 30) % 1440;
            }
        }
        let (p0, h0) = due(&w);
        let (p1, h1) = due(&more);
        assert!(p1 >= p0 && h1 >= h0, "{w:?} -> {more:?}: premiums {p0} -> {p1}, allowance {h0} -> {h1}");
    }
}
