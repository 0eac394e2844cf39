//! LAB-05 caps (and the warning two days before), LAB-06 breaks, LAB-07 and LAB-08 insurance,
//! LAB-09 payment, LAB-10 minors' documents, LAB-11 retention, LAB-12 annual leave.

mod common;

use common::*;
use dojang_labour::rules::insurance::{self, Insurance};
use dojang_labour::rules::{hours, leave, payment};
use dojang_labour::terms::MinorDocuments;
use dojang_labour::{lint, Draft, Payment, Severity, Terms};

fn with(change: impl FnOnce(&mut Draft)) -> Terms {
    let mut d = draft();
    change(&mut d);
    lint(&d).unwrap()
}

fn minor() -> Terms {
    with(|d| d.worker_birth_date = Some(d_("2009-03-01")))
}

fn d_(s: &str) -> dojang_types::Date {
    d(s)
}

#[test]
fn lab05_adults_52_hours_minors_7_a_day_35_a_week_and_no_night_without_approval() {
    let t = tables();
    // Five 10-hour days (600 min) and 2 hours on Saturday: 3,120 min, exactly 52 h.
    let mut days: Vec<_> = (12..17).map(|n| day(&format!("2026-01-{n}"), "08:00", "18:30", 30)).collect();
    days.push(day("2026-01-17", "10:00", "12:00", 0));
    assert!(hours::caps(&terms(), &week("2026-01-12", days.clone(), 0, 0, 0), &t).unwrap().is_empty());
    // Half an hour more on Saturday: 3,150 min.
    days.pop();
    days.push(day("2026-01-17", "10:00", "12:30", 0));
    let f = hours::caps(&terms(), &week("2026-01-12", days, 0, 0, 0), &t).unwrap();
    assert_eq!((f.len(), f[0].figures["minutes"], f[0].figures["cap_minutes"]), (1, 3_150, 3_120));
}

#[test]
fn lab05_minors() {
    let t = tables();
    let eight = week("2026-01-12", vec![day("2026-01-12", "09:00", "18:00", 60)], 0, 0, 0);
    let f = hours::caps(&minor(), &eight, &t).unwrap();
    assert_eq!(f.len(), 1, "480 min > 420 min a day: {f:?}");
    let night = week("2026-01-12", vec![day("2026-01-12", "17:00", "23:00", 30)], 0, 0, 0);
    assert_eq!(hours::caps(&minor(), &night, &t).unwrap().len(), 1, "an hour after 22:00");
    let approved = with(|d| {
        d.worker_birth_date = Some(d_("2009-03-01"));
        d.minor_documents =
            MinorDocuments { parental_consent: true, age_certificate: true, night_holiday_approval: true };
    });
    assert!(hours::caps(&approved, &night, &t).unwrap().is_empty());
    let mut sunday = day("2026-01-18", "10:00", "14:00", 0);
    sunday.holiday = true;
    assert_eq!(
        hours::caps(&minor(), &week("2026-01-12", vec![sunday.clone()], 0, 0, 0), &t).unwrap().len(),
        1,
        "holiday work without approval"
    );
    assert!(hours::caps(&approved, &week("2026-01-12", vec![sunday], 0, 0, 0), &t).unwrap().is_empty());
    // One day in two entries is still one day: 4 + 4 hours is 480 minutes, over 420.
    let split = week(
        "2026-01-12",
        vec![day("2026-01-12", "08:00", "12:00", 0), day("2026-01-12", "13:00", "17:00", 0)],
        0,
        0,
        0,
    );
    assert_eq!(hours::caps(&minor(), &split, &t).unwrap()[0].figures["minutes"], 480);
    let six_days =
        week("2026-01-12", (12..18).map(|n| day(&format!("2026-01-{n}"), "09:00", "15:30", 30)).collect(), 0, 0, 0);
    let f = hours::caps(&minor(), &six_days, &t).unwrap();
    assert_eq!(f.iter().map(|x| x.figures["minutes"]).collect::<Vec<_>>(), vec![2_160], "36 h > 35 h a week");
    assert!(hours::caps(&terms(), &six_days, &t).unwrap().is_empty(), "an adult may");
}

#[test]
fn lab05_the_cap_is_warned_two_days_before_the_shift_that_would_cross_it() {
    let t = tables();
    // Monday to Thursday worked, 11 h each (660 min, 2,640 min); Friday planned 10 h: 3,240 > 3,120.
    let worked =
        week("2026-01-12", (12..16).map(|n| day(&format!("2026-01-{n}"), "08:00", "19:30", 30)).collect(), 0, 0, 0);
    let planned = vec![day("2026-01-16", "08:00", "19:00", 60)];
    let w = hours::cap_forecast(&terms(), &worked, &planned, d("2026-01-14"), &t).unwrap().unwrap();
    assert_eq!((w.severity, w.from, w.figures["projected_minutes"]), (Severity::Warning, d("2026-01-16"), 3_240));
    assert!(
        hours::cap_forecast(&terms(), &worked, &planned, d("2026-01-13"), &t).unwrap().is_none(),
        "three days ahead: not yet"
    );
    let short = vec![day("2026-01-16", "08:00", "15:00", 60)];
    assert!(hours::cap_forecast(&terms(), &worked, &short, d("2026-01-14"), &t).unwrap().is_none(), "3,000 min fits");
}

#[test]
fn lab06_breaks() {
    let t = tables();
    let f = hours::breaks(&week("2026-01-12", vec![day("2026-01-12", "10:00", "15:00", 0)], 0, 0, 0), &t).unwrap();
    assert_eq!(f[0].figures["break_required"], 30, "5 h with no break");
    let f = hours::breaks(&week("2026-01-12", vec![day("2026-01-12", "09:00", "18:30", 30)], 0, 0, 0), &t).unwrap();
    assert_eq!(f[0].figures["break_required"], 60, "9 h with 30 minutes");
    assert!(hours::breaks(&week("2026-01-12", vec![day("2026-01-12", "10:00", "13:00", 0)], 0, 0, 0), &t)
        .unwrap()
        .is_empty());
    // Two entries of one date: 4 h + 4 h with 30 minutes' break in all.
    let split = week(
        "2026-01-12",
        vec![day("2026-01-12", "08:00", "12:00", 0), day("2026-01-12", "12:00", "16:30", 30)],
        0,
        0,
        0,
    );
    assert_eq!(hours::breaks(&split, &t).unwrap()[0].figures["break_required"], 60);
    // Malformed timesheets are refused with a reason, not read.
    let mut bad = week("2026-01-12", vec![day("2026-01-12", "10:00", "13:00", 0)], 0, 0, 0);
    bad.days[0].start = 1500;
    assert!(matches!(hours::breaks(&bad, &t), Err(dojang_labour::TableError::InvalidTimesheet(_))));
    let outside = week("2026-01-12", vec![day("2026-01-20", "10:00", "13:00", 0)], 0, 0, 0);
    assert!(matches!(hours::caps(&terms(), &outside, &t), Err(dojang_labour::TableError::InvalidTimesheet(_))));
}

fn month_of_contracted_weeks() -> Vec<dojang_labour::Week> {
    ["2026-01-05", "2026-01-12", "2026-01-19", "2026-01-26"].iter().map(|m| contracted_week(m)).collect()
}

#[test]
fn lab07_insurances_by_monthly_hours_and_continuous_months() {
    let t = tables();
    // January: 990 min × 4 weeks (Jan 30 falls in January, Feb 2 not worked) = 3,960 min = 66 h ≥ 60 h.
    let all = insurance::required(&terms(), &month_of_contracted_weeks(), d("2026-01-01"), &t).unwrap();
    assert_eq!(all, Insurance::ALL.to_vec());
    // Two days a week: 660 × 4 = 2,640 min = 44 h: industrial accident only...
    let two = with(|d| d.shifts.as_mut().unwrap().truncate(2));
    let weeks: Vec<_> = month_of_contracted_weeks()
        .into_iter()
        .map(|mut w| {
            w.days.truncate(2);
            w
        })
        .collect();
    assert_eq!(insurance::required(&two, &weeks, d("2026-01-01"), &t).unwrap(), vec![Insurance::IndustrialAccident]);
    // ...until three months of continuous work (from 2026-01-05: April's end passes 04-05).
    let april: Vec<_> = weeks
        .iter()
        .map(|w| {
            let mut w = w.clone();
            w.monday = w.monday.plus_days(91);
            w.days.iter_mut().for_each(|d| d.date = d.date.plus_days(91));
            w
        })
        .collect();
    assert_eq!(
        insurance::required(&two, &april, d("2026-04-01"), &t).unwrap(),
        vec![Insurance::IndustrialAccident, Insurance::Employment]
    );
}

#[test]
fn lab08_reports_due_on_the_15th_with_a_warning_five_days_before_and_health_within_14_days() {
    let t = tables();
    let weeks = month_of_contracted_weeks();
    let months = [d("2026-01-01")];
    let at = |today: &str, reported: &[(Insurance, &str)]| {
        let r: Vec<_> = reported.iter().map(|(i, s)| (*i, d(s))).collect();
        insurance::reports(&terms(), &weeks, &months, &r, d(today), &t).unwrap()
    };
    // Health: within 14 days of the start (2026-01-05), so by 2026-01-19; the others by 15 February.
    assert!(at("2026-01-13", &[]).is_empty(), "six days before health's: quiet");
    let w = at("2026-01-14", &[]);
    assert_eq!(w.len(), 1);
    assert_eq!((w[0].severity, w[0].until), (Severity::Warning, d("2026-01-19")));
    let feb10 = at("2026-02-10", &[]);
    assert_eq!(feb10.iter().filter(|f| f.severity == Severity::Violation).count(), 1, "health missed: {feb10:?}");
    assert_eq!(feb10.iter().filter(|f| f.severity == Severity::Warning && f.until == d("2026-02-15")).count(), 3);
    let v = at("2026-02-16", &[]);
    assert!(v.iter().all(|f| f.severity == Severity::Violation) && v.len() == 4);
    let on_time: Vec<_> = Insurance::ALL
        .iter()
        .map(|i| (*i, if *i == Insurance::Health { "2026-01-18" } else { "2026-02-14" }))
        .collect();
    assert!(at("2026-03-01", &on_time).is_empty());
    let late: Vec<_> = Insurance::ALL
        .iter()
        .map(|i| (*i, if *i == Insurance::Health { "2026-01-25" } else { "2026-02-14" }))
        .collect();
    let f = at("2026-03-01", &late);
    assert_eq!((f.len(), f[0].severity), (1, Severity::Violation), "{f:?}");
    // A worker who starts late in a month is insured by the contract's hours, not the few days worked.
    let late_start = with(|d| d.start = Some(d_("2026-01-26")));
    let one_week = vec![contracted_week("2026-01-26")];
    assert_eq!(insurance::required(&late_start, &one_week, d("2026-01-01"), &t).unwrap(), Insurance::ALL.to_vec());
}

fn pay(date: &str, covers: &str) -> Payment {
    Payment { date: d(date), amount_krw: 800_000, covers_until: d(covers), payslip: true, to_own_account: true }
}

#[test]
fn lab09_wages_monthly_on_the_day_with_a_payslip_and_the_final_pay_within_14_days() {
    let t = tables();
    assert!(payment::payments(&terms(), &[pay("2026-02-10", "2026-01-31")], d("2026-02-20"), &t).unwrap().is_empty());
    let warn = payment::payments(&terms(), &[], d("2026-02-05"), &t).unwrap();
    assert_eq!((warn.len(), warn[0].severity), (1, Severity::Warning));
    let late = payment::payments(&terms(), &[pay("2026-02-12", "2026-01-31")], d("2026-02-20"), &t).unwrap();
    assert_eq!((late.len(), late[0].severity), (1, Severity::Violation));
    let mut no_slip = pay("2026-02-10", "2026-01-31");
    no_slip.payslip = false;
    no_slip.to_own_account = false;
    assert_eq!(payment::payments(&terms(), &[no_slip], d("2026-02-20"), &t).unwrap().len(), 2);
    // Ended 2026-06-30: the final pay is due 2026-07-14.
    let monthly: Vec<_> = [
        "2026-02-10:2026-01-31",
        "2026-03-10:2026-02-28",
        "2026-04-10:2026-03-31",
        "2026-05-10:2026-04-30",
        "2026-06-10:2026-05-31",
    ]
    .iter()
    .map(|s| {
        let (a, b) = s.split_once(':').unwrap();
        pay(a, b)
    })
    .collect();
    let open = payment::payments(&terms(), &monthly, d("2026-07-15"), &t).unwrap();
    assert_eq!((open.len(), open[0].until, open[0].law), (1, d("2026-07-14"), "Labor Standards Act art. 36"));
    let mut all = monthly.clone();
    all.push(pay("2026-07-14", "2026-06-30"));
    assert!(payment::payments(&terms(), &all, d("2026-07-15"), &t).unwrap().is_empty());
}

#[test]
fn lab10_minors_documents_and_lab11_retention() {
    let t = tables();
    assert!(payment::minor_documents(&terms(), &t).unwrap().is_empty());
    assert_eq!(payment::minor_documents(&minor(), &t).unwrap().len(), 1, "16 with no consent or certificate");
    let fourteen = with(|d| d.worker_birth_date = Some(d_("2011-06-01")));
    assert_eq!(payment::minor_documents(&fourteen, &t).unwrap().len(), 2, "below 15: a permit, and the documents");
    assert_eq!(payment::keep_records_until(&terms(), d("2026-12-01"), &t).unwrap(), d("2029-06-30"));
    let leap = with(|d| d.end = Some(d_("2028-02-29")));
    assert_eq!(payment::keep_records_until(&leap, d("2028-03-01"), &t).unwrap(), d("2031-02-28"));
}

#[test]
fn lab12_annual_leave_in_proportion_to_the_contracted_hours() {
    let t = tables();
    let long = with(|d| {
        d.end = None;
        d.open_ended = true;
    });
    // After 3 months: 3 days × 8 h × 990/2400 = 594 minutes.
    assert_eq!(leave::entitlement(&long, d("2026-04-05"), &t).unwrap(), leave::Entitlement { days: 3, minutes: 594 });
    assert_eq!(leave::entitlement(&long, d("2027-01-05"), &t).unwrap().days, 15, "after a year");
    assert_eq!(leave::entitlement(&long, d("2029-01-05"), &t).unwrap().days, 16, "after three years");
    let small = with(|d| d.workplace_employees = Some(4));
    assert_eq!(leave::entitlement(&small, d("2027-01-05"), &t).unwrap().days, 0, "below five employees");
    let f = leave::annual_leave(&long, d("2026-04-05"), 0, &t).unwrap();
    assert_eq!((f[0].rule, f[0].figures["entitled_minutes"]), ("LAB-12", 594));
}
