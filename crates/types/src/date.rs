use std::fmt;
use std::str::FromStr;

use borsh::{BorshDeserialize, BorshSerialize};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// A calendar date (`YYYY-MM-DD`). Laws take effect on dates, not instants, so parameter
/// tables are keyed by date. Block times are mapped to Korean dates (UTC+9), where the law applies.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, BorshSerialize, BorshDeserialize)]
pub struct Date {
    pub year: u16,
    pub month: u8,
    pub day: u8,
}

/// Korea Standard Time's offset from UTC (no daylight saving).
pub const KST_OFFSET_MS: i64 = 9 * 3600 * 1000;

impl Date {
    pub fn new(year: u16, month: u8, day: u8) -> Result<Self, String> {
        if !(1..=12).contains(&month) {
            return Err(format!("month {month} is not 1-12"));
        }
        let leap = (year.is_multiple_of(4) && !year.is_multiple_of(100)) || year.is_multiple_of(400);
        let days = [31, if leap { 29 } else { 28 }, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31][month as usize - 1];
        if day == 0 || day > days {
            return Err(format!("day {day} does not exist in {year}-{month:02}"));
        }
        Ok(Date { year, month, day })
    }

    /// The Korean calendar date of a Unix time in milliseconds.
    pub fn from_unix_ms_kst(ms: u64) -> Self {
        Date::from_days((ms as i64 + KST_OFFSET_MS).div_euclid(86_400_000))
    }

    /// Days since 1970-01-01 (negative before), the inverse of [`Date::from_days`].
    pub fn days(&self) -> i64 {
        // Days-from-civil, after H. Hinnant's public-domain algorithm.
        let (m, d) = (i64::from(self.month), i64::from(self.day));
        let y = i64::from(self.year) - i64::from(m <= 2);
        let era = y.div_euclid(400);
        let yoe = y - era * 400;
        let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + d - 1;
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
        era * 146_097 + doe - 719_468
    }

    /// Midnight, Korean time, at the start of this date, in Unix milliseconds (0 for dates
    /// before 1970): when a deadline "on the day after" falls due.
    pub fn kst_start_ms(&self) -> u64 {
        (self.days() * 86_400_000 - KST_OFFSET_MS).max(0) as u64
    }

    /// The date `n` days later (earlier when negative).
    pub fn plus_days(&self, n: i64) -> Date {
        Date::from_days(self.days() + n)
    }

    /// The first day of this date's month.
    pub fn month_start(&self) -> Date {
        Date { day: 1, ..*self }
    }

    /// The first day of the next month.
    pub fn next_month(&self) -> Date {
        if self.month == 12 {
            Date { year: self.year + 1, month: 1, day: 1 }
        } else {
            Date { year: self.year, month: self.month + 1, day: 1 }
        }
    }

    /// The last day of this date's month.
    pub fn month_end(&self) -> Date {
        self.next_month().plus_days(-1)
    }

    /// The day of the week, 0 = Monday … 6 = Sunday.
    pub fn weekday(&self) -> u8 {
        // 1970-01-01 was a Thursday (3).
        ((self.days() + 3).rem_euclid(7)) as u8
    }

    /// The date `days` after 1970-01-01.
    pub fn from_days(days: i64) -> Self {
        // Civil-from-days (proleptic Gregorian), after H. Hinnant's public-domain algorithm.
        let z = days + 719_468;
        let era = z.div_euclid(146_097);
        let doe = z - era * 146_097;
        let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
        let mp = (5 * doy + 2) / 153;
        let day = (doy - (153 * mp + 2) / 5 + 1) as u8;
        let month = if mp < 10 { mp + 3 } else { mp - 9 } as u8;
        let year = (yoe + era * 400 + i64::from(month <= 2)) as u16;
        Date { year, month, day }
    }
}

impl fmt::Display for Date {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:04}-{:02}-{:02}", self.year, self.month, self.day)
    }
}

impl FromStr for Date {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let bad = || format!("'{s}' is not a date in the form YYYY-MM-DD");
        let b = s.as_bytes();
        if b.len() != 10 || b[4] != b'-' || b[7] != b'-' {
            return Err(bad());
        }
        let year = s[0..4].parse().map_err(|_| bad())?;
        let month = s[5..7].parse().map_err(|_| bad())?;
        let day = s[8..10].parse().map_err(|_| bad())?;
        Date::new(year, month, day)
    }
}

impl Serialize for Date {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.to_string())
    }
}

impl<'de> Deserialize<'de> for Date {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        <String as Deserialize>::deserialize(d)?.parse().map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn days_weekdays_and_arithmetic() {
        let d = |s: &str| s.parse::<Date>().unwrap();
        assert_eq!(d("1970-01-01").days(), 0);
        assert_eq!(d("2026-01-01").days(), 20_454);
        for s in ["1969-12-31", "2000-02-29", "2024-02-29", "2026-11-29", "2100-03-01"] {
            assert_eq!(Date::from_days(d(s).days()), d(s), "{s}");
        }
        assert_eq!(d("2026-11-29").weekday(), 6, "a Sunday");
        assert_eq!(d("2026-11-30").weekday(), 0, "a Monday");
        assert_eq!(d("2026-02-27").plus_days(2), d("2026-03-01"));
        assert_eq!(d("2024-03-01").plus_days(-1), d("2024-02-29"));
    }

    #[test]
    fn months_start_and_end_across_years_and_leap_years() {
        let d = |s: &str| s.parse::<Date>().unwrap();
        assert_eq!(d("2026-12-15").month_start(), d("2026-12-01"));
        assert_eq!(d("2026-12-15").next_month(), d("2027-01-01"));
        assert_eq!(d("2028-02-03").month_end(), d("2028-02-29"));
        assert_eq!(d("2026-02-03").month_end(), d("2026-02-28"));
        assert_eq!(d("2026-04-30").month_end(), d("2026-04-30"));
    }

    #[test]
    fn parses_validates_and_maps_kst() {
        assert_eq!("2026-01-01".parse::<Date>().unwrap(), Date { year: 2026, month: 1, day: 1 });
        assert!("2026-02-29".parse::<Date>().is_err());
        assert!("2024-02-29".parse::<Date>().is_ok());
        assert!("2026-13-01".parse::<Date>().is_err());
        assert!("20260101".parse::<Date>().is_err());
        assert!("２026-01-01".parse::<Date>().is_err());
        // 2025-12-31T15:00:00Z is 2026-01-01 00:00 in Seoul.
        assert_eq!(Date::from_unix_ms_kst(1_767_193_200_000).to_string(), "2026-01-01");
        assert_eq!(Date::from_unix_ms_kst(1_767_193_199_999).to_string(), "2025-12-31");
        assert_eq!(Date::from_unix_ms_kst(0).to_string(), "1970-01-01");
    }
}
