//! What was actually worked and paid, week by week: the employer submits each week's
//! timesheet, the worker confirms or disputes it, and both are kept in the private collection
//! (the ledger holds a commitment). The compliance rules read these, not the contract's plan.

use dojang_types::Date;
use serde::{Deserialize, Serialize};

use crate::tables::TableError;
use crate::terms::{span, Minute};

/// One day's work.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WorkDay {
    pub date: Date,
    pub start: Minute,
    /// At or before `start`: the shift ended the next day.
    pub end: Minute,
    pub break_minutes: u16,
    /// Worked on a statutory or contractual holiday.
    #[serde(default)]
    pub holiday: bool,
}

impl WorkDay {
    /// Minutes at work, the break excluded.
    pub fn minutes(&self) -> u32 {
        span(self.start, self.end).saturating_sub(u32::from(self.break_minutes))
    }

    /// Minutes at work between `from_hour` and `until_hour` (e.g. 22 and 6, through midnight).
    /// The break is taken from the night minutes last, so the worker is never counted short.
    pub fn night_minutes(&self, from_hour: u32, until_hour: u32) -> u32 {
        let (start, len) = (u32::from(self.start), span(self.start, self.end));
        let night = |m: u32| {
            let m = m % 1440;
            if from_hour > until_hour {
                m >= from_hour * 60 || m < until_hour * 60
            } else {
                m >= from_hour * 60 && m < until_hour * 60
            }
        };
        let at_night = (start..start + len).filter(|m| night(*m)).count() as u32;
        let by_day = len - at_night;
        at_night.saturating_sub(u32::from(self.break_minutes).saturating_sub(by_day))
    }
}

/// What the employer paid for a week, line by line as the payslip shows it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WeekPay {
    pub base_krw: u64,
    #[serde(default)]
    pub weekly_holiday_krw: u64,
    #[serde(default)]
    pub premiums_krw: u64,
}

/// One week (Monday to Sunday) of one contract.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Week {
    /// The Monday the week starts.
    pub monday: Date,
    pub days: Vec<WorkDay>,
    pub pay: WeekPay,
    /// Every contracted day of the week was worked (or excused): a condition of the weekly
    /// holiday allowance.
    #[serde(default = "yes")]
    pub all_contracted_days_worked: bool,
}

fn yes() -> bool {
    true
}

impl Week {
    pub fn minutes(&self) -> u32 {
        self.days.iter().map(WorkDay::minutes).sum()
    }

    /// Checks the week before any rule reads it: a Monday, every day within the week, times
    /// within a day (minutes 0 to 1439 for a start, up to 1440 for an end).
    pub fn validate(&self) -> Result<(), TableError> {
        let bad = |why: String| Err(TableError::InvalidTimesheet(why));
        if self.monday.weekday() != 0 {
            return bad(format!("the week starts on {}, not a Monday", self.monday));
        }
        for d in &self.days {
            if !(0..7).contains(&(d.date.days() - self.monday.days())) {
                return bad(format!("{} is not in the week of {}", d.date, self.monday));
            }
            if d.start >= 1440 || d.end > 1440 {
                return bad(format!("the times of {} are not within a day (minutes 0 to 1440)", d.date));
            }
        }
        Ok(())
    }

    /// The week's work by date, in date order, all entries of a date added together.
    pub fn by_date(&self) -> Vec<DayTotal> {
        let mut days: Vec<&WorkDay> = self.days.iter().collect();
        days.sort_by_key(|d| d.date);
        let mut out: Vec<DayTotal> = Vec::new();
        for d in days {
            let (minutes, breaks) = (d.minutes(), u32::from(d.break_minutes));
            match out.last_mut() {
                Some(last) if last.date == d.date => {
                    last.minutes += minutes;
                    last.break_minutes += breaks;
                    last.holiday |= d.holiday;
                }
                _ => out.push(DayTotal { date: d.date, minutes, break_minutes: breaks, holiday: d.holiday }),
            }
        }
        out
    }
}

/// One date's work: minutes worked and break minutes over all its entries, and whether any of
/// them was holiday work.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DayTotal {
    pub date: Date,
    pub minutes: u32,
    pub break_minutes: u32,
    pub holiday: bool,
}

/// One wage payment.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Payment {
    pub date: Date,
    pub amount_krw: u64,
    /// For work up to and including this date.
    pub covers_until: Date,
    pub payslip: bool,
    pub to_own_account: bool,
}
