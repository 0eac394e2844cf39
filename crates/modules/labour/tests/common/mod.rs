//! The tests' legal tables, with DOMAIN.md §2's figures, and builders for contracts and weeks.
#![allow(dead_code)]

use dojang_governance::ParamValue::{self, *};
use dojang_labour::terms::{MinorDocuments, PaymentMethod, Shift, WageBasis};
use dojang_labour::{Draft, Tables, Terms, Week, WeekPay, WorkDay};
use dojang_types::Date;

pub fn d(s: &str) -> Date {
    s.parse().unwrap()
}

/// DOMAIN.md §2, as the council's tables would hold them.
pub fn tables() -> Tables {
    let rows: Vec<(&str, &str, &str, ParamValue)> = vec![
        ("minimum_wage", "hourly_krw", "2025-01-01", Krw(10_030)),
        ("minimum_wage", "hourly_krw", "2026-01-01", Krw(10_320)),
        ("labour", "weekly_holiday_min_hours", "2025-01-01", Hours(15)),
        ("labour", "weekly_hour_cap", "2025-01-01", Hours(52)),
        ("labour", "daily_standard_hours", "2025-01-01", Hours(8)),
        ("labour", "weekly_standard_hours", "2025-01-01", Hours(40)),
        ("labour", "premium_bp", "2025-01-01", BasisPoints(5_000)),
        ("labour", "holiday_beyond_8h_premium_bp", "2025-01-01", BasisPoints(10_000)),
        ("labour", "premium_min_employees", "2025-01-01", Count(5)),
        ("labour", "night_from_hour", "2025-01-01", Hours(22)),
        ("labour", "night_until_hour", "2025-01-01", Hours(6)),
        ("labour", "minor_daily_cap_hours", "2025-01-01", Hours(7)),
        ("labour", "minor_weekly_cap_hours", "2025-01-01", Hours(35)),
        ("labour", "adult_age_years", "2025-01-01", Count(18)),
        ("labour", "min_working_age_years", "2025-01-01", Count(15)),
        ("labour", "break_per_4h_minutes", "2025-01-01", Count(30)),
        ("labour", "break_per_8h_minutes", "2025-01-01", Count(60)),
        ("labour", "insurance_min_monthly_hours", "2025-01-01", Hours(60)),
        ("labour", "employment_insurance_after_months", "2025-01-01", Count(3)),
        ("labour", "insurance_report_day_of_next_month", "2025-01-01", Count(15)),
        ("labour", "alert_days_before", "2025-01-01", Days(5)),
        ("labour", "cap_alert_days_before", "2025-01-01", Days(2)),
        ("labour", "final_pay_days", "2025-01-01", Days(14)),
        ("labour", "dismissal_notice_days", "2025-01-01", Days(30)),
        ("labour", "health_report_days", "2025-01-01", Days(14)),
        ("labour", "record_retention_years", "2025-01-01", Count(3)),
        ("labour", "annual_leave_days", "2025-01-01", Count(15)),
        ("labour", "annual_leave_max_days", "2025-01-01", Count(25)),
        ("labour", "annual_leave_min_employees", "2025-01-01", Count(5)),
    ];
    Tables::new(rows.into_iter().map(|(t, k, from, v)| (t, k, d(from), v)))
}

pub fn hm(s: &str) -> u16 {
    let (h, m) = s.split_once(':').unwrap();
    h.parse::<u16>().unwrap() * 60 + m.parse::<u16>().unwrap()
}

/// A complete draft: a café part-timer, Mon/Wed/Fri 10:00-16:00 with 30 minutes' break
/// (16.5 h a week), 10,320 KRW an hour, at a workplace of 6.
pub fn draft() -> Draft {
    Draft {
        start: Some(d("2026-01-05")),
        end: Some(d("2026-06-30")),
        open_ended: false,
        workplace: Some("café, Mapo-gu".into()),
        duties: Some("counter and kitchen".into()),
        shifts: Some(
            [0u8, 2, 4]
                .iter()
                .map(|w| Shift { weekday: *w, start: hm("10:00"), end: hm("16:00"), break_minutes: 30 })
                .collect(),
        ),
        weekly_holiday: Some(6),
        wage_krw: Some(10_320),
        wage_basis: Some(WageBasis::Hourly),
        wage_components: Some(vec!["base".into(), "weekly holiday allowance".into()]),
        wage_calculation: Some("hours worked × hourly wage".into()),
        payment_day: Some(10),
        payment_method: Some(PaymentMethod::OwnAccount),
        annual_leave: Some("as the Labor Standards Act provides".into()),
        part_time: Some(true),
        workplace_employees: Some(6),
        worker_birth_date: Some(d("2000-05-01")),
        minor_documents: MinorDocuments::default(),
    }
}

pub fn terms() -> Terms {
    dojang_labour::lint(&draft()).unwrap()
}

pub fn day(date: &str, start: &str, end: &str, break_minutes: u16) -> WorkDay {
    WorkDay { date: d(date), start: hm(start), end: hm(end), break_minutes, holiday: false }
}

pub fn week(monday: &str, days: Vec<WorkDay>, base: u64, holiday: u64, premiums: u64) -> Week {
    Week {
        monday: d(monday),
        days,
        pay: WeekPay { base_krw: base, weekly_holiday_krw: holiday, premiums_krw: premiums },
        all_contracted_days_worked: true,
    }
}

/// The contracted week worked exactly (Mon/Wed/Fri 10-16, 30' break: 330 minutes a day).
pub fn contracted_week(monday: &str) -> Week {
    let m = d(monday);
    let days = [0i64, 2, 4]
        .iter()
        .map(|o| WorkDay {
            date: m.plus_days(*o),
            start: hm("10:00"),
            end: hm("16:00"),
            break_minutes: 30,
            holiday: false,
        })
        .collect();
    // 990 minutes at 10,320 KRW/h = 170,280 KRW; holiday allowance 990/2400 × 480 min = 198 min = 34,056 KRW.
    Week {
        monday: m,
        days,
        pay: WeekPay { base_krw: 170_280, weekly_holiday_krw: 34_056, premiums_krw: 0 },
        all_contracted_days_worked: true,
    }
}
