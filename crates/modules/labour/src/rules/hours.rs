//! How long and when: LAB-05 the weekly cap for adults (52 h) and the daily and weekly caps
//! and the night and holiday ban for minors; LAB-06 breaks (30 minutes per 4 hours, an hour
//! per 8). And the warning before the cap: the day a planned week would cross it.

use dojang_types::Date;

use crate::finding::{Finding, Severity};
use crate::tables::{keys, TableError, Tables};
use crate::terms::{age_on, Terms};
use crate::timesheet::{DayTotal, Week, WorkDay};

fn is_minor(terms: &Terms, date: Date, tables: &Tables) -> Result<bool, TableError> {
    Ok(u64::from(age_on(terms.worker_birth_date, date)) < tables.count(keys::ADULT_AGE, date)?)
}

/// LAB-05: the caps on a week actually worked.
pub fn caps(terms: &Terms, week: &Week, tables: &Tables) -> Result<Vec<Finding>, TableError> {
    let (from, until) = (week.monday, week.monday.plus_days(6));
    let mut out = Vec::new();
    week.validate()?;
    let total = week.minutes();
    // A minor on any day of the week keeps the minors' protections for those days and the
    // week's cap; each day is judged by the worker's age that day.
    let minor_days: Vec<Date> =
        (0..7).map(|o| from.plus_days(o)).filter(|d| is_minor(terms, *d, tables).unwrap_or(false)).collect();
    if !minor_days.is_empty() {
        let day_cap = tables.hours(keys::MINOR_DAILY_CAP_HOURS, until)? * 60;
        let week_cap = tables.hours(keys::MINOR_WEEKLY_CAP_HOURS, until)? * 60;
        let (nf, nu) = (tables.hours(keys::NIGHT_FROM_HOUR, until)?, tables.hours(keys::NIGHT_UNTIL_HOUR, until)?);
        for DayTotal { date, minutes, .. } in week.by_date().into_iter().filter(|d| minor_days.contains(&d.date)) {
            if minutes > day_cap {
                out.push(
                    Finding::new("LAB-05", Severity::Violation, date, date, "Labor Standards Act art. 69")
                        .figure("minutes", minutes)
                        .figure("cap_minutes", day_cap)
                        .says(
                            format!(
                                "a minor worked {minutes} minutes on {date}, beyond the {day_cap}-minute daily cap"
                            ),
                            format!("연소근로자가 {date}에 {minutes}분 일해 1일 한도 {day_cap}분을 넘었습니다"),
                        ),
                );
            }
        }
        for d in week.days.iter().filter(|d| minor_days.contains(&d.date)) {
            let night = d.night_minutes(nf, nu);
            if (night > 0 || d.holiday) && !terms.minor_documents.night_holiday_approval {
                out.push(
                    Finding::new("LAB-05", Severity::Violation, d.date, d.date, "Labor Standards Act art. 70")
                        .figure("night_minutes", night)
                        .says(
                            format!(
                                "a minor worked at night or on a holiday on {} without the ministry's approval",
                                d.date
                            ),
                            format!("연소근로자가 {}에 인가 없이 야간 또는 휴일에 일했습니다", d.date),
                        ),
                );
            }
        }
        if total > week_cap {
            out.push(
                Finding::new("LAB-05", Severity::Violation, from, until, "Labor Standards Act art. 69")
                    .figure("minutes", total)
                    .figure("cap_minutes", week_cap)
                    .says(format!("a minor worked {total} minutes in the week of {from}, beyond the {week_cap}-minute weekly cap"), format!("연소근로자가 {from} 주에 {total}분 일해 주 한도 {week_cap}분을 넘었습니다")),
            );
        }
    } else {
        let cap = tables.hours(keys::WEEKLY_CAP_HOURS, until)? * 60;
        if total > cap {
            out.push(
                Finding::new("LAB-05", Severity::Violation, from, until, "Labor Standards Act art. 50, 53")
                    .figure("minutes", total)
                    .figure("cap_minutes", cap)
                    .says(
                        format!(
                            "{total} minutes were worked in the week of {from}, beyond the {cap}-minute weekly cap"
                        ),
                        format!("{from} 주에 {total}분 일해 주 한도 {cap}분을 넘었습니다"),
                    ),
            );
        }
    }
    Ok(out)
}

/// The warning before LAB-05: the week so far plus the shifts still planned; if they would
/// cross the weekly cap, a warning naming the day it would be crossed, once that day is at
/// most `alert_days` away from `today` (two days ahead, by default in the tables).
pub fn cap_forecast(
    terms: &Terms,
    worked: &Week,
    planned: &[WorkDay],
    today: Date,
    tables: &Tables,
) -> Result<Option<Finding>, TableError> {
    let until = worked.monday.plus_days(6);
    let cap = if is_minor(terms, until, tables)? {
        tables.hours(keys::MINOR_WEEKLY_CAP_HOURS, until)?
    } else {
        tables.hours(keys::WEEKLY_CAP_HOURS, until)?
    } * 60;
    let mut total = worked.minutes();
    let mut days: Vec<&WorkDay> = planned.iter().filter(|d| d.date >= today && d.date <= until).collect();
    days.sort_by_key(|d| d.date);
    for d in days {
        total += d.minutes();
        if total > cap {
            let ahead = d.date.days() - today.days();
            if ahead > i64::from(tables.days(keys::CAP_ALERT_DAYS, today)?) {
                return Ok(None);
            }
            return Ok(Some(
                Finding::new("LAB-05", Severity::Warning, d.date, d.date, "Labor Standards Act art. 50, 53")
                    .figure("projected_minutes", total)
                    .figure("cap_minutes", cap)
                    .figure("days_ahead", ahead)
                    .says(
                        format!("the shift planned on {} would bring the week to {total} minutes, beyond the {cap}-minute cap: shorten or move it", d.date),
                        format!("{}에 예정된 근무로 주 근로시간이 {total}분이 되어 한도 {cap}분을 넘습니다: 줄이거나 옮기세요", d.date),
                    ),
            ));
        }
    }
    Ok(None)
}

/// LAB-06: each day's break, against the minutes worked.
pub fn breaks(week: &Week, tables: &Tables) -> Result<Vec<Finding>, TableError> {
    week.validate()?;
    let mut out = Vec::new();
    for DayTotal { date, minutes: worked, break_minutes: taken, .. } in week.by_date() {
        let per4 = tables.count(keys::BREAK_PER_4H_MINUTES, date)? as u32;
        let per8 = tables.count(keys::BREAK_PER_8H_MINUTES, date)? as u32;
        let needed = if worked >= 8 * 60 {
            per8
        } else if worked >= 4 * 60 {
            per4
        } else {
            0
        };
        if taken < needed {
            out.push(
                Finding::new("LAB-06", Severity::Violation, date, date, "Labor Standards Act art. 54")
                    .figure("minutes_worked", worked)
                    .figure("break_minutes", taken)
                    .figure("break_required", needed)
                    .says(
                        format!("{worked} minutes were worked on {date} with {taken} minutes of break; at least {needed} are due"),
                        format!("{date}에 {worked}분 일하고 휴게 {taken}분: 최소 {needed}분이 필요합니다"),
                    ),
            );
        }
    }
    Ok(out)
}
