//! Pay for the hours worked: LAB-02 the minimum wage of each work date, LAB-03 the weekly
//! holiday allowance, LAB-04 the premiums for overtime, night and holiday work (by workplace
//! size) and for part-timers' hours beyond their contract. Money is integer KRW; a worker is
//! owed whole won, rounded up.

use dojang_types::Date;

use crate::finding::{Finding, Severity};
use crate::tables::{keys, TableError, Tables};
use crate::terms::{Terms, WageBasis};
use crate::timesheet::{DayTotal, Week};

/// `a * b / c`, rounded up, without overflow for the amounts in question.
fn mul_div_up(a: u64, b: u64, c: u64) -> u64 {
    ((a as u128 * b as u128).div_ceil(c.max(1) as u128)) as u64
}

/// Minutes of weekly holiday the contract pays for: min(weekly, 40 h) / 40 × 8 h.
fn holiday_minutes(weekly_minutes: u32, tables: &Tables, date: Date) -> Result<u32, TableError> {
    let std_week = tables.hours(keys::WEEKLY_STANDARD_HOURS, date)? * 60;
    let std_day = tables.hours(keys::DAILY_STANDARD_HOURS, date)? * 60;
    Ok(weekly_minutes.min(std_week) * std_day / std_week.max(1))
}

/// The contract's wage per hour of work, in KRW × 1/60 (per minute × 60, kept exact as a
/// fraction `numerator / minutes`): the hourly wage itself; a daily wage over the average
/// contracted day; a monthly wage over the month's paid hours, holiday hours included
/// ((weekly + holiday) × 365 / 84).
pub fn hourly_equivalent(terms: &Terms, tables: &Tables, date: Date) -> Result<(u64, u64), TableError> {
    let weekly = u64::from(terms.weekly_minutes().max(1));
    Ok(match terms.wage_basis {
        WageBasis::Hourly => (terms.wage_krw, 1),
        WageBasis::Daily => (terms.wage_krw * 60 * terms.shifts.len().max(1) as u64, weekly),
        WageBasis::Monthly => {
            let holiday = u64::from(holiday_minutes(terms.weekly_minutes(), tables, date)?);
            (terms.wage_krw * 60 * 84, (weekly + holiday) * 365)
        }
    })
}

/// LAB-02: the contract's rate, and each week's base pay, are at least the minimum wage in
/// force on each day worked.
pub fn minimum_wage(terms: &Terms, week: &Week, tables: &Tables) -> Result<Vec<Finding>, TableError> {
    week.validate()?;
    let mut out = Vec::new();
    let mut due = 0u64;
    let mut shortest_rate: Option<(u64, u64, Date)> = None;
    for day in &week.days {
        let min = tables.krw(keys::MINIMUM_WAGE, day.date)?;
        due += mul_div_up(u64::from(day.minutes()), min, 60);
        let (num, den) = hourly_equivalent(terms, tables, day.date)?;
        if (num as u128) < min as u128 * den as u128 && shortest_rate.is_none() {
            shortest_rate = Some((num / den.max(1), min, day.date));
        }
    }
    let (from, until) = span_of(week);
    if let Some((rate, min, date)) = shortest_rate {
        out.push(
            Finding::new("LAB-02", Severity::Violation, date, until, "Minimum Wage Act art. 6")
                .figure("contract_hourly_krw", rate)
                .figure("minimum_hourly_krw", min)
                .says(
                    format!(
                        "the contract pays {rate} KRW an hour, below the minimum wage of {min} KRW in force on {date}"
                    ),
                    format!("계약 시급 {rate}원이 {date} 기준 최저임금 {min}원보다 낮습니다"),
                ),
        );
    }
    if terms.wage_basis == WageBasis::Hourly && week.pay.base_krw < due {
        let short = due - week.pay.base_krw;
        out.push(
            Finding::new("LAB-02", Severity::Violation, from, until, "Minimum Wage Act art. 6")
                .figure("minutes_worked", week.minutes())
                .figure("paid_krw", week.pay.base_krw)
                .figure("minimum_due_krw", due)
                .owed(short)
                .says(
                    format!("{} minutes worked from {from} to {until} were paid {} KRW, {short} KRW less than the minimum wage", week.minutes(), week.pay.base_krw),
                    format!("{from}~{until} 근로 {}분에 {}원이 지급되어 최저임금보다 {short}원 적습니다", week.minutes(), week.pay.base_krw),
                ),
        );
    }
    Ok(out)
}

fn span_of(week: &Week) -> (Date, Date) {
    (week.monday, week.monday.plus_days(6))
}

/// LAB-03: a week's holiday allowance is owed when every contracted day was worked and the
/// contracted hours are at least the threshold (15 h), or, for a contract under it, the hours
/// actually worked averaged at least that over the last four weeks (this one and up to three
/// before, as given): min(hours, 40 h) / 40 × 8 h at the hourly wage. A monthly wage already
/// includes it.
pub fn weekly_holiday(terms: &Terms, weeks: &[Week], tables: &Tables) -> Result<Vec<Finding>, TableError> {
    let Some(week) = weeks.last() else { return Ok(vec![]) };
    for w in weeks {
        w.validate()?;
    }
    if terms.wage_basis == WageBasis::Monthly || !week.all_contracted_days_worked {
        return Ok(vec![]);
    }
    let (from, until) = span_of(week);
    let recent = &weeks[weeks.len().saturating_sub(4)..];
    let average = recent.iter().map(Week::minutes).sum::<u32>() / recent.len() as u32;
    let threshold = tables.hours(keys::WEEKLY_HOLIDAY_MIN_HOURS, until)? * 60;
    // The allowance follows the contracted hours; a contract under the threshold while the
    // worker in fact works more (the last four weeks averaging above it) is read by what is
    // worked.
    let contracted = terms.weekly_minutes();
    let basis = if contracted >= threshold { contracted } else { average };
    if basis < threshold {
        return Ok(vec![]);
    }
    let (num, den) = paying_rate(terms, tables, until)?;
    let minutes = holiday_minutes(basis, tables, until)?;
    // Unrounded: min(basis, 40 h) × 8 h / 40 h at the rate, rounded up once, to the won.
    let std_day = u64::from(tables.hours(keys::DAILY_STANDARD_HOURS, until)? * 60);
    let std_week = u64::from(tables.hours(keys::WEEKLY_STANDARD_HOURS, until)? * 60);
    let allowance = mul_div_up(u64::from(basis).min(std_week) * std_day, num, std_week.max(1) * den * 60);
    if week.pay.weekly_holiday_krw >= allowance {
        return Ok(vec![]);
    }
    let short = allowance - week.pay.weekly_holiday_krw;
    Ok(vec![Finding::new("LAB-03", Severity::Violation, from, until, "Labor Standards Act art. 55; Enforcement Decree art. 30")
        .figure("average_weekly_minutes", basis)
        .figure("allowance_krw", allowance)
        .figure("paid_krw", week.pay.weekly_holiday_krw)
        .owed(short)
        .says(
            format!("the week of {from} earns a weekly holiday allowance of {allowance} KRW ({minutes} minutes); {} KRW was paid", week.pay.weekly_holiday_krw),
            format!("{from} 주의 주휴수당은 {allowance}원({minutes}분)인데 {}원이 지급되었습니다", week.pay.weekly_holiday_krw),
        )])
}

/// Premium minutes of a week: at +50 % (overtime or beyond the contract), at +50 % (night),
/// and holiday minutes at +50 % up to 8 h a day and +100 % beyond.
pub struct PremiumMinutes {
    pub extra: u32,
    pub night: u32,
    pub holiday: u32,
    pub holiday_beyond: u32,
}

/// The premium minutes of `week` under `terms` (LAB-04), day by day in date order (entries of
/// one date added together). At a large workplace a day's extra minutes are those beyond 8 h,
/// or for a part-timer beyond the contracted hours of that weekday, whichever is more; the
/// week adds the day's other minutes worked past the 40th hour. Holidays earn the holiday
/// premium instead. At a small workplace only a part-timer's minutes beyond the contract earn
/// a premium, holidays included.
pub fn premium_minutes(terms: &Terms, week: &Week, tables: &Tables) -> Result<PremiumMinutes, TableError> {
    week.validate()?;
    let date = week.monday.plus_days(6);
    let large = u64::from(terms.workplace_employees) >= tables.count(keys::PREMIUM_MIN_EMPLOYEES, date)?;
    let std_day = tables.hours(keys::DAILY_STANDARD_HOURS, date)? * 60;
    let std_week = tables.hours(keys::WEEKLY_STANDARD_HOURS, date)? * 60;
    let (night_from, night_until) =
        (tables.hours(keys::NIGHT_FROM_HOUR, date)?, tables.hours(keys::NIGHT_UNTIL_HOUR, date)?);
    let night = week.days.iter().map(|d| d.night_minutes(night_from, night_until)).sum();
    let (mut extra, mut beyond_all, mut worked) = (0u32, 0u32, 0u32);
    let (mut holiday, mut holiday_beyond) = (0, 0);
    for DayTotal { date, minutes: m, holiday: is_holiday, .. } in week.by_date() {
        let contracted: u32 = terms.shifts.iter().filter(|s| s.weekday == date.weekday()).map(|s| s.minutes()).sum();
        let beyond = if terms.part_time { m.saturating_sub(contracted) } else { 0 };
        beyond_all += beyond;
        if is_holiday {
            holiday += m.min(std_day);
            holiday_beyond += m.saturating_sub(std_day);
            continue;
        }
        let day_extra = beyond.max(m.saturating_sub(std_day));
        let straight = m - day_extra;
        // The straight minutes that fall past the week's standard hours.
        extra += day_extra + (worked + straight).saturating_sub(worked.max(std_week));
        worked += m;
    }
    Ok(if large {
        PremiumMinutes { extra, night, holiday, holiday_beyond }
    } else {
        PremiumMinutes { extra: beyond_all, night: 0, holiday: 0, holiday_beyond: 0 }
    })
}

/// The rate premiums and allowances are paid at: the contract's, never below the minimum wage
/// in force (a contract below it is LAB-02's violation, not a lower premium).
fn paying_rate(terms: &Terms, tables: &Tables, date: Date) -> Result<(u64, u64), TableError> {
    let (num, den) = hourly_equivalent(terms, tables, date)?;
    let min = tables.krw(keys::MINIMUM_WAGE, date)?;
    Ok(if (num as u128) < min as u128 * den as u128 { (min, 1) } else { (num, den) })
}

/// LAB-04: premiums due for the week against what was paid.
pub fn premiums(terms: &Terms, week: &Week, tables: &Tables) -> Result<Vec<Finding>, TableError> {
    let (from, until) = span_of(week);
    let m = premium_minutes(terms, week, tables)?;
    let half = u64::from(tables.bp(keys::PREMIUM_BP, until)?);
    let full = u64::from(tables.bp(keys::HOLIDAY_BEYOND_8H_BP, until)?);
    let (num, den) = paying_rate(terms, tables, until)?;
    let weighted =
        (u64::from(m.extra) + u64::from(m.night) + u64::from(m.holiday)) * half + u64::from(m.holiday_beyond) * full;
    let due = mul_div_up(weighted, num, den * 60 * 10_000);
    if week.pay.premiums_krw >= due {
        return Ok(vec![]);
    }
    let short = due - week.pay.premiums_krw;
    Ok(vec![Finding::new("LAB-04", Severity::Violation, from, until, "Labor Standards Act art. 56; Fixed-term and Part-time Workers Act art. 6(3)")
        .figure("extra_minutes", m.extra)
        .figure("night_minutes", m.night)
        .figure("holiday_minutes", m.holiday)
        .figure("holiday_beyond_8h_minutes", m.holiday_beyond)
        .figure("premiums_due_krw", due)
        .figure("paid_krw", week.pay.premiums_krw)
        .owed(short)
        .says(
            format!("the week of {from} earns {due} KRW of premiums (overtime or beyond the contract {} min, night {} min, holiday {} + {} min); {} KRW was paid", m.extra, m.night, m.holiday, m.holiday_beyond, week.pay.premiums_krw),
            format!("{from} 주의 가산수당은 {due}원(연장·계약 초과 {}분, 야간 {}분, 휴일 {}+{}분)인데 {}원이 지급되었습니다", m.extra, m.night, m.holiday, m.holiday_beyond, week.pay.premiums_krw),
        )])
}
