//! LAB-12: paid annual leave at workplaces of five or more (LSA art. 60): a day per month of
//! the first year (at most 11), then 15 days a year, one more for every two years beyond the
//! first, at most 25; for part-timers in proportion to their contracted hours (Enforcement
//! Decree annex 2: days × 8 h × weekly hours / 40 h). Attendance is taken as full: the
//! timesheets record work, not excused absence.

use dojang_types::Date;

use crate::finding::{Finding, Severity};
use crate::tables::{keys, TableError, Tables};
use crate::terms::Terms;

/// Leave earned by `on`: days, and the minutes they are worth for this contract.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Entitlement {
    pub days: u32,
    pub minutes: u32,
}

fn completed_months(start: Date, on: Date) -> u32 {
    let m = (i32::from(on.year) - i32::from(start.year)) * 12 + i32::from(on.month) - i32::from(start.month);
    (m - i32::from(on.day < start.day)).max(0) as u32
}

/// The leave earned by `on` (none at a workplace below the threshold or under 15 h a week).
pub fn entitlement(terms: &Terms, on: Date, tables: &Tables) -> Result<Entitlement, TableError> {
    let none = Entitlement { days: 0, minutes: 0 };
    if u64::from(terms.workplace_employees) < tables.count(keys::ANNUAL_LEAVE_MIN_EMPLOYEES, on)? {
        return Ok(none);
    }
    let weekly = terms.weekly_minutes();
    if weekly < tables.hours(keys::WEEKLY_HOLIDAY_MIN_HOURS, on)? * 60 {
        return Ok(none);
    }
    let months = completed_months(terms.start, on);
    let base = tables.count(keys::ANNUAL_LEAVE_DAYS, on)? as u32;
    let max = tables.count(keys::ANNUAL_LEAVE_MAX_DAYS, on)? as u32;
    let days = if months < 12 { months.min(11) } else { (base + (months / 12 - 1) / 2).min(max) };
    let std_day = tables.hours(keys::DAILY_STANDARD_HOURS, on)? * 60;
    let std_week = tables.hours(keys::WEEKLY_STANDARD_HOURS, on)? * 60;
    Ok(Entitlement { days, minutes: days * std_day * weekly.min(std_week) / std_week.max(1) })
}

/// LAB-12 as a check: the leave granted (in minutes) against the leave earned.
pub fn annual_leave(
    terms: &Terms,
    on: Date,
    granted_minutes: u32,
    tables: &Tables,
) -> Result<Vec<Finding>, TableError> {
    let e = entitlement(terms, on, tables)?;
    if granted_minutes >= e.minutes {
        return Ok(vec![]);
    }
    Ok(vec![Finding::new(
        "LAB-12",
        Severity::Violation,
        terms.start,
        on,
        "Labor Standards Act art. 60; Enforcement Decree annex 2",
    )
    .figure("days", e.days)
    .figure("entitled_minutes", e.minutes)
    .figure("granted_minutes", granted_minutes)
    .says(
        format!(
            "{} days of leave ({} minutes) are earned by {on}; {granted_minutes} minutes were granted",
            e.days, e.minutes
        ),
        format!("{on}까지 연차 {}일({}분)이 발생했는데 {granted_minutes}분이 부여되었습니다", e.days, e.minutes),
    )])
}
