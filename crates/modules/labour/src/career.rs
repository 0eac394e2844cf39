//! The career certificate (LSA art. 39, 사용증명서): when a contract has ended, the employer
//! certifies the period, the duties and the hours to the worker. The law says the certificate
//! states only what the worker asks for; as an SD-JWT VC every claim is concealable, so the
//! worker shows each reader only the claims it needs.
//!
//! Pure: the facts come from the terms the worker last signed and the end the ledger records.

use dojang_types::Date;
use serde::{Deserialize, Serialize};

use crate::terms::Terms;

/// The credential type of a career certificate.
pub const CAREER_VCT: &str = "urn:dojang:career:1";

/// The claims a career certificate may carry, each concealable (the credential type's
/// registration lists them).
pub const CAREER_CLAIMS: [&str; 9] = [
    "employer",
    "employer_account",
    "period_start",
    "period_end",
    "registered_on",
    "months_of_service",
    "duties",
    "weekly_hours_band",
    "weekly_hours_15_or_more",
];

/// Weekly hours in bands rather than to the minute: what a reader needs (part-time or not,
/// above the 15-hour line of the weekly holiday and severance rules) without the schedule.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum HoursBand {
    #[serde(rename = "under_15h")]
    Under15h,
    #[serde(rename = "15_to_29h")]
    From15To29h,
    #[serde(rename = "30_to_39h")]
    From30To39h,
    #[serde(rename = "40h_or_more")]
    From40h,
}

impl HoursBand {
    pub fn of_weekly_minutes(minutes: u32) -> HoursBand {
        match minutes / 60 {
            0..=14 => HoursBand::Under15h,
            15..=29 => HoursBand::From15To29h,
            30..=39 => HoursBand::From30To39h,
            _ => HoursBand::From40h,
        }
    }
}

/// What a career certificate certifies.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Career {
    /// The business's trade name, as on the contract.
    pub employer: String,
    /// The employer's account on the ledger, where a reader finds that the federation vouches
    /// for it.
    pub employer_account: String,
    pub period_start: Date,
    pub period_end: Date,
    /// The day the ledger first recorded the contract. The dates before it are as both parties
    /// declared them; a reader that needs service the ledger witnessed counts from this day.
    pub registered_on: Date,
    /// Whole months from the start to the end, both days worked.
    pub months_of_service: u32,
    pub duties: String,
    pub weekly_hours_band: HoursBand,
    pub weekly_hours_15_or_more: bool,
}

/// Why no certificate can be written yet.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CareerError {
    #[error("the contract has no end on the ledger; terminate it first (a certificate covers a finished job)")]
    NoEnd,
    #[error("the contract ends on {ends}, which is not past yet; ask again from {from}")]
    NotEnded { ends: Date, from: Date },
    #[error("the worker never signed the contract, so it was never in force")]
    NeverSigned,
    #[error("the contract ends ({ends}) before it starts ({starts})")]
    EndsBeforeStart { starts: Date, ends: Date },
}

/// Whole months from `start` to `end`, both days included: 2 March to 1 April is one month,
/// 2 March to 31 March none.
pub fn complete_months(start: Date, end: Date) -> u32 {
    let day_after = end.plus_days(1);
    let months = (i64::from(day_after.year) - i64::from(start.year)) * 12 + i64::from(day_after.month)
        - i64::from(start.month)
        - i64::from(day_after.day < start.day);
    u32::try_from(months).unwrap_or(0)
}

/// The contract as the ledger records it, for a certificate.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OnLedger {
    pub starts: Date,
    pub ends: Option<Date>,
    /// The day of the block that registered it.
    pub registered_on: Date,
    /// Whether the worker signed any version.
    pub signed: bool,
}

/// The certificate of a contract the ledger records as `on`, under `terms` (the version the
/// worker last signed), asked for on `today`.
pub fn career(
    terms: &Terms,
    employer_name: &str,
    employer_account: &str,
    on: OnLedger,
    today: Date,
) -> Result<Career, CareerError> {
    let OnLedger { starts, ends, registered_on, signed } = on;
    let ends = ends.ok_or(CareerError::NoEnd)?;
    if ends >= today {
        return Err(CareerError::NotEnded { ends, from: ends.plus_days(1) });
    }
    if !signed {
        return Err(CareerError::NeverSigned);
    }
    if ends < starts {
        return Err(CareerError::EndsBeforeStart { starts, ends });
    }
    let minutes = terms.weekly_minutes();
    Ok(Career {
        employer: employer_name.to_string(),
        employer_account: employer_account.to_string(),
        period_start: starts,
        period_end: ends,
        registered_on,
        months_of_service: complete_months(starts, ends),
        duties: terms.duties.clone(),
        weekly_hours_band: HoursBand::of_weekly_minutes(minutes),
        weekly_hours_15_or_more: minutes >= 15 * 60,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(y: u16, m: u8, day: u8) -> Date {
        Date::new(y, m, day).unwrap()
    }

    #[test]
    fn complete_months_count_whole_months_with_both_days_worked() {
        let cases = [
            (d(2026, 3, 2), d(2026, 3, 31), 0),
            (d(2026, 3, 2), d(2026, 4, 1), 1),
            (d(2026, 3, 1), d(2026, 3, 31), 1),
            (d(2026, 3, 2), d(2026, 4, 30), 1),
            (d(2026, 1, 31), d(2026, 2, 27), 0),
            (d(2026, 1, 31), d(2026, 3, 30), 2),
            (d(2025, 11, 15), d(2026, 11, 14), 12),
            (d(2026, 3, 2), d(2026, 3, 2), 0),
        ];
        for (start, end, months) in cases {
            assert_eq!(complete_months(start, end), months, "{start} to {end}");
        }
    }

    /// Weekday shifts of `minutes` worked each (with the break the law asks).
    fn terms(minutes: u16) -> Terms {
        let break_minutes = if minutes > 480 { 60 } else { 30 };
        crate::terms::lint(&crate::terms::Draft {
            start: Some(d(2026, 3, 2)),
            end: Some(d(2026, 12, 31)),
            workplace: Some("cafe".into()),
            duties: Some("serving and the till".into()),
            shifts: Some(
                (0..3)
                    .map(|weekday| crate::terms::Shift {
                        weekday,
                        start: 540,
                        end: 540 + minutes + break_minutes,
                        break_minutes,
                    })
                    .collect(),
            ),
            weekly_holiday: Some(6),
            wage_krw: Some(10_320),
            wage_basis: Some(crate::terms::WageBasis::Hourly),
            wage_components: Some(vec!["base".into()]),
            wage_calculation: Some("hourly".into()),
            payment_day: Some(10),
            payment_method: Some(crate::terms::PaymentMethod::OwnAccount),
            annual_leave: Some("by law".into()),
            part_time: Some(true),
            workplace_employees: Some(4),
            worker_birth_date: Some(d(1999, 1, 1)),
            ..Default::default()
        })
        .unwrap()
    }

    #[test]
    fn a_certificate_covers_a_finished_job_the_worker_signed_with_its_period_duties_and_hours() {
        let today = d(2026, 11, 30);
        let t = terms(300);
        let on = |starts, ends, signed| OnLedger { starts, ends, registered_on: d(2026, 3, 5), signed };
        let c = career(&t, "Cafe Hangang", "dj1x", on(d(2026, 3, 2), Some(d(2026, 6, 1)), true), today).unwrap();
        assert_eq!(c.registered_on, d(2026, 3, 5));
        assert_eq!((c.employer.as_str(), c.employer_account.as_str()), ("Cafe Hangang", "dj1x"));
        assert_eq!((c.period_start, c.period_end, c.months_of_service), (d(2026, 3, 2), d(2026, 6, 1), 3));
        assert_eq!(c.duties, "serving and the till");
        assert_eq!((c.weekly_hours_band, c.weekly_hours_15_or_more), (HoursBand::From15To29h, true));
        let short = career(&terms(240), "C", "a", on(d(2026, 3, 2), Some(d(2026, 3, 9)), true), today).unwrap();
        assert_eq!((short.weekly_hours_band, short.weekly_hours_15_or_more), (HoursBand::Under15h, false));

        let refusals = [
            (career(&t, "C", "a", on(d(2026, 3, 2), None, true), today), CareerError::NoEnd),
            (
                career(&t, "C", "a", on(d(2026, 3, 2), Some(today), true), today),
                CareerError::NotEnded { ends: today, from: d(2026, 12, 1) },
            ),
            (career(&t, "C", "a", on(d(2026, 3, 2), Some(d(2026, 6, 1)), false), today), CareerError::NeverSigned),
            (
                career(&t, "C", "a", on(d(2026, 6, 2), Some(d(2026, 6, 1)), true), today),
                CareerError::EndsBeforeStart { starts: d(2026, 6, 2), ends: d(2026, 6, 1) },
            ),
        ];
        for (got, want) in refusals {
            assert_eq!(got, Err(want));
        }
    }

    #[test]
    fn hours_bands_split_at_15_30_and_40_hours() {
        let cases = [(0, HoursBand::Under15h), (899, HoursBand::Under15h), (900, HoursBand::From15To29h)];
        let more = [(1799, HoursBand::From15To29h), (1800, HoursBand::From30To39h), (2400, HoursBand::From40h)];
        for (minutes, band) in cases.into_iter().chain(more) {
            assert_eq!(HoursBand::of_weekly_minutes(minutes), band, "{minutes} minutes");
        }
        assert_eq!(serde_json::to_value(HoursBand::From15To29h).unwrap(), "15_to_29h");
    }

    #[test]
    fn the_claims_registered_for_the_type_are_exactly_the_certificates_fields() {
        let on =
            OnLedger { starts: d(2026, 3, 2), ends: Some(d(2026, 6, 1)), registered_on: d(2026, 3, 2), signed: true };
        let c = career(&terms(300), "C", "a", on, d(2026, 11, 30)).unwrap();
        let value = serde_json::to_value(c).unwrap();
        let mut fields: Vec<&str> = value.as_object().unwrap().keys().map(String::as_str).collect();
        let mut registered = CAREER_CLAIMS.to_vec();
        fields.sort();
        registered.sort();
        assert_eq!(fields, registered);
    }
}
