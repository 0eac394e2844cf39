//! The legal figures the rules read, as the council's parameter tables hold them (governance
//! `SetParam`): each a list of versions by the date they take effect, read at the version in
//! force on the date of the work. No figure is a literal in the rules: a new minimum wage is a
//! new table version, and the weeks before it keep the old one.

use std::collections::BTreeMap;

use dojang_governance::ParamValue;
use dojang_types::Date;

/// Why a rule could not run: the table lacks a figure or holds another kind of value, or the
/// timesheet it was given is malformed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TableError {
    #[error("the parameter table has no {table}/{key} in force on {date}; the council must set it")]
    Missing { table: String, key: String, date: Date },
    #[error("{table}/{key} holds {found}, not {wanted}")]
    WrongKind { table: String, key: String, found: String, wanted: &'static str },
    #[error("the timesheet cannot be checked: {0}")]
    InvalidTimesheet(String),
}

/// Every version of every figure the rules read.
#[derive(Debug, Clone, Default)]
pub struct Tables {
    versions: BTreeMap<(String, String), Vec<(Date, ParamValue)>>,
}

/// The figures the labour rules read, by their table and key.
pub mod keys {
    pub const MINIMUM_WAGE: (&str, &str) = ("minimum_wage", "hourly_krw");
    pub const WEEKLY_HOLIDAY_MIN_HOURS: (&str, &str) = ("labour", "weekly_holiday_min_hours");
    pub const WEEKLY_CAP_HOURS: (&str, &str) = ("labour", "weekly_hour_cap");
    pub const DAILY_STANDARD_HOURS: (&str, &str) = ("labour", "daily_standard_hours");
    pub const WEEKLY_STANDARD_HOURS: (&str, &str) = ("labour", "weekly_standard_hours");
    pub const PREMIUM_BP: (&str, &str) = ("labour", "premium_bp");
    pub const HOLIDAY_BEYOND_8H_BP: (&str, &str) = ("labour", "holiday_beyond_8h_premium_bp");
    pub const PREMIUM_MIN_EMPLOYEES: (&str, &str) = ("labour", "premium_min_employees");
    pub const NIGHT_FROM_HOUR: (&str, &str) = ("labour", "night_from_hour");
    pub const NIGHT_UNTIL_HOUR: (&str, &str) = ("labour", "night_until_hour");
    pub const MINOR_DAILY_CAP_HOURS: (&str, &str) = ("labour", "minor_daily_cap_hours");
    pub const MINOR_WEEKLY_CAP_HOURS: (&str, &str) = ("labour", "minor_weekly_cap_hours");
    pub const ADULT_AGE: (&str, &str) = ("labour", "adult_age_years");
    pub const MIN_WORKING_AGE: (&str, &str) = ("labour", "min_working_age_years");
    pub const BREAK_PER_4H_MINUTES: (&str, &str) = ("labour", "break_per_4h_minutes");
    pub const BREAK_PER_8H_MINUTES: (&str, &str) = ("labour", "break_per_8h_minutes");
    pub const INSURANCE_MIN_MONTHLY_HOURS: (&str, &str) = ("labour", "insurance_min_monthly_hours");
    pub const EMPLOYMENT_INSURANCE_AFTER_MONTHS: (&str, &str) = ("labour", "employment_insurance_after_months");
    pub const INSURANCE_REPORT_DAY: (&str, &str) = ("labour", "insurance_report_day_of_next_month");
    pub const ALERT_DAYS_BEFORE: (&str, &str) = ("labour", "alert_days_before");
    pub const CAP_ALERT_DAYS: (&str, &str) = ("labour", "cap_alert_days_before");
    pub const FINAL_PAY_DAYS: (&str, &str) = ("labour", "final_pay_days");
    pub const DISMISSAL_NOTICE_DAYS: (&str, &str) = ("labour", "dismissal_notice_days");
    pub const HEALTH_REPORT_DAYS: (&str, &str) = ("labour", "health_report_days");
    pub const RECORD_RETENTION_YEARS: (&str, &str) = ("labour", "record_retention_years");
    pub const ANNUAL_LEAVE_DAYS: (&str, &str) = ("labour", "annual_leave_days");
    pub const ANNUAL_LEAVE_MAX_DAYS: (&str, &str) = ("labour", "annual_leave_max_days");
    pub const ANNUAL_LEAVE_MIN_EMPLOYEES: (&str, &str) = ("labour", "annual_leave_min_employees");

    /// Every figure the rules read: a chain running the labour service needs each in force.
    pub const ALL: [(&str, &str); 28] = [
        MINIMUM_WAGE,
        WEEKLY_HOLIDAY_MIN_HOURS,
        WEEKLY_CAP_HOURS,
        DAILY_STANDARD_HOURS,
        WEEKLY_STANDARD_HOURS,
        PREMIUM_BP,
        HOLIDAY_BEYOND_8H_BP,
        PREMIUM_MIN_EMPLOYEES,
        NIGHT_FROM_HOUR,
        NIGHT_UNTIL_HOUR,
        MINOR_DAILY_CAP_HOURS,
        MINOR_WEEKLY_CAP_HOURS,
        ADULT_AGE,
        MIN_WORKING_AGE,
        BREAK_PER_4H_MINUTES,
        BREAK_PER_8H_MINUTES,
        INSURANCE_MIN_MONTHLY_HOURS,
        EMPLOYMENT_INSURANCE_AFTER_MONTHS,
        INSURANCE_REPORT_DAY,
        ALERT_DAYS_BEFORE,
        CAP_ALERT_DAYS,
        FINAL_PAY_DAYS,
        DISMISSAL_NOTICE_DAYS,
        HEALTH_REPORT_DAYS,
        RECORD_RETENTION_YEARS,
        ANNUAL_LEAVE_DAYS,
        ANNUAL_LEAVE_MAX_DAYS,
        ANNUAL_LEAVE_MIN_EMPLOYEES,
    ];
}

impl Tables {
    /// Tables from parameter versions `(table, key, effective_from, value)`.
    pub fn new<I, S>(params: I) -> Tables
    where
        I: IntoIterator<Item = (S, S, Date, ParamValue)>,
        S: Into<String>,
    {
        let mut versions: BTreeMap<(String, String), Vec<(Date, ParamValue)>> = BTreeMap::new();
        for (table, key, from, value) in params {
            versions.entry((table.into(), key.into())).or_default().push((from, value));
        }
        for v in versions.values_mut() {
            v.sort_by_key(|(d, _)| *d);
        }
        Tables { versions }
    }

    fn value(&self, (table, key): (&str, &str), date: Date) -> Result<ParamValue, TableError> {
        self.versions
            .get(&(table.to_string(), key.to_string()))
            .and_then(|v| v.iter().rev().find(|(from, _)| *from <= date))
            .map(|(_, value)| *value)
            .ok_or_else(|| TableError::Missing { table: table.into(), key: key.into(), date })
    }

    fn wrong(k: (&str, &str), found: ParamValue, wanted: &'static str) -> TableError {
        TableError::WrongKind { table: k.0.into(), key: k.1.into(), found: format!("{found:?}"), wanted }
    }

    /// An amount in KRW in force on `date`.
    pub fn krw(&self, k: (&str, &str), date: Date) -> Result<u64, TableError> {
        match self.value(k, date)? {
            ParamValue::Krw(v) => Ok(v),
            other => Err(Self::wrong(k, other, "an amount in KRW")),
        }
    }

    /// A number of hours in force on `date`.
    pub fn hours(&self, k: (&str, &str), date: Date) -> Result<u32, TableError> {
        match self.value(k, date)? {
            ParamValue::Hours(v) => Ok(v),
            other => Err(Self::wrong(k, other, "hours")),
        }
    }

    /// A rate in basis points in force on `date`.
    pub fn bp(&self, k: (&str, &str), date: Date) -> Result<u32, TableError> {
        match self.value(k, date)? {
            ParamValue::BasisPoints(v) => Ok(v),
            other => Err(Self::wrong(k, other, "basis points")),
        }
    }

    /// A number of days in force on `date`.
    pub fn days(&self, k: (&str, &str), date: Date) -> Result<u32, TableError> {
        match self.value(k, date)? {
            ParamValue::Days(v) => Ok(v),
            other => Err(Self::wrong(k, other, "days")),
        }
    }

    /// Whether some version of the figure is in force on `date`, whatever its kind.
    pub fn has(&self, k: (&str, &str), date: Date) -> bool {
        self.value(k, date).is_ok()
    }

    /// A count in force on `date`.
    pub fn count(&self, k: (&str, &str), date: Date) -> Result<u64, TableError> {
        match self.value(k, date)? {
            ParamValue::Count(v) => Ok(v),
            other => Err(Self::wrong(k, other, "a count")),
        }
    }
}
