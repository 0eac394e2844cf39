//! The four social insurances: LAB-07 which a worker must have for a month (industrial
//! accident always; employment, pension and health from 60 hours a month, employment also after
//! three months of continuous work), and LAB-08 the report that acquisition must be filed by
//! the 15th of the next month, with a warning before and a violation after.

use dojang_types::Date;
use serde::Serialize;

use crate::finding::{Finding, Severity};
use crate::tables::{keys, TableError, Tables};
use crate::terms::Terms;
use crate::timesheet::Week;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Insurance {
    IndustrialAccident,
    Employment,
    Pension,
    Health,
}

impl Insurance {
    pub const ALL: [Insurance; 4] =
        [Insurance::IndustrialAccident, Insurance::Employment, Insurance::Pension, Insurance::Health];

    fn names(self) -> (&'static str, &'static str) {
        match self {
            Insurance::IndustrialAccident => ("industrial accident insurance", "산재보험"),
            Insurance::Employment => ("employment insurance", "고용보험"),
            Insurance::Pension => ("national pension", "국민연금"),
            Insurance::Health => ("health insurance", "건강보험"),
        }
    }
}

/// Whole months from `start` to `date` (a month counts once its day is reached).
fn months_between(start: Date, date: Date) -> u32 {
    let m = (i32::from(date.year) - i32::from(start.year)) * 12 + i32::from(date.month) - i32::from(start.month);
    (m - i32::from(date.day < start.day)).max(0) as u32
}

/// LAB-07: the insurances required for the month starting `month` (its first day), from the
/// minutes actually worked in it.
pub fn required(terms: &Terms, weeks: &[Week], month: Date, tables: &Tables) -> Result<Vec<Insurance>, TableError> {
    let (first, next) = (month.month_start(), month.next_month());
    let worked: u64 = weeks
        .iter()
        .flat_map(|w| &w.days)
        .filter(|d| d.date >= first && d.date < next)
        .map(|d| u64::from(d.minutes()))
        .sum();
    // The contracted hours decide too (a worker who starts late in a month is insured from
    // the start): the weekly contract over an average month, 365 / 84 weeks.
    let contracted = u64::from(terms.weekly_minutes()) * 365 / 84;
    let minutes = worked.max(contracted);
    let threshold = u64::from(tables.hours(keys::INSURANCE_MIN_MONTHLY_HOURS, first)?) * 60;
    let after = tables.count(keys::EMPLOYMENT_INSURANCE_AFTER_MONTHS, first)?;
    let last_day = next.plus_days(-1);
    let long = u64::from(months_between(terms.start, last_day)) >= after;
    let enough = minutes >= threshold;
    let mut out = vec![Insurance::IndustrialAccident];
    if enough || long {
        out.push(Insurance::Employment);
    }
    if enough {
        out.extend([Insurance::Pension, Insurance::Health]);
    }
    Ok(out)
}

/// Each insurance with the first of `months` (the months worked so far) in which it is
/// required (LAB-07).
pub fn first_required(
    terms: &Terms,
    weeks: &[Week],
    months: &[Date],
    tables: &Tables,
) -> Result<Vec<(Insurance, Date)>, TableError> {
    let mut out: Vec<(Insurance, Date)> = Vec::new();
    for &month in months {
        for ins in required(terms, weeks, month, tables)? {
            if !out.iter().any(|(i, _)| *i == ins) {
                out.push((ins, month.month_start()));
            }
        }
    }
    Ok(out)
}

/// LAB-08: when the acquisition report of `ins`, first required in `month`, is due: the report
/// day of the next month; health insurance within its own days of the acquisition (the
/// contract's start or the month's first day).
pub fn report_due(terms: &Terms, ins: Insurance, month: Date, tables: &Tables) -> Result<Date, TableError> {
    if ins == Insurance::Health {
        let acquired = terms.start.max(month.month_start());
        return Ok(acquired.plus_days(i64::from(tables.days(keys::HEALTH_REPORT_DAYS, acquired)?)));
    }
    let next = month.next_month();
    let day = tables.count(keys::INSURANCE_REPORT_DAY, next)?;
    let day = u8::try_from(day).ok().filter(|d| (1..=28).contains(d)).ok_or_else(|| TableError::WrongKind {
        table: keys::INSURANCE_REPORT_DAY.0.into(),
        key: keys::INSURANCE_REPORT_DAY.1.into(),
        found: day.to_string(),
        wanted: "a day of the month from 1 to 28",
    })?;
    Ok(Date { day, ..next })
}

/// LAB-08: for each insurance first required in a month, the acquisition report is due (see
/// [`report_due`]). Before it (within the alert days) a warning; after it, unless `reported`
/// holds that insurance, a violation. `months` are the months worked so far.
pub fn reports(
    terms: &Terms,
    weeks: &[Week],
    months: &[Date],
    reported: &[(Insurance, Date)],
    today: Date,
    tables: &Tables,
) -> Result<Vec<Finding>, TableError> {
    let mut out = Vec::new();
    for (ins, month) in first_required(terms, weeks, months, tables)? {
        let due = report_due(terms, ins, month, tables)?;
        let alert = i64::from(tables.days(keys::ALERT_DAYS_BEFORE, due)?);
        let filed = reported.iter().find(|(i, _)| *i == ins).map(|(_, d)| *d);
        let (en, ko) = ins.names();
        let finding = |severity, text_en: String, text_ko: String| {
            Finding::new("LAB-08", severity, month.month_start(), due, "Employment Insurance Act art. 15; Industrial Accident Compensation Insurance Act; National Pension Act art. 21")
                    .figure("days_to_due", due.days() - today.days())
                    .says(text_en, text_ko)
        };
        match filed {
            Some(d) if d <= due => {}
            Some(d) => out.push(finding(
                Severity::Violation,
                format!("{en} was reported on {d}, after it was due on {due}"),
                format!("{ko} 취득 신고가 기한 {due}을 넘겨 {d}에 되었습니다"),
            )),
            None if today > due => out.push(finding(
                Severity::Violation,
                format!("{en} has not been reported; it was due on {due}"),
                format!("{ko} 취득 신고가 되지 않았습니다(기한 {due})"),
            )),
            None if today.days() >= due.days() - alert => out.push(finding(
                Severity::Warning,
                format!("{en} must be reported by {due}"),
                format!("{ko} 취득 신고 기한은 {due}입니다"),
            )),
            None => {}
        }
    }
    Ok(out)
}
