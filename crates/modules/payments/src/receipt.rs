//! A worker's payment receipt: per worker and payment, what they were paid for (the site, the
//! days and hours of their attendance) and what they were paid, as a credential in their own
//! wallet. The chain knows only that a labour line of engaged workers was paid in full; the
//! receipt is what lets a worker show their own part of it (a wage claim, an eligibility
//! application), and only when they choose to (docs/decisions/0025).
//!
//! Pure: it is written only for a labour line the bank confirmed on chain, for a worker the
//! line pays, from attendance the employer's office kept, after PAY-08 holds for it.

use dojang_types::{Address, Date};
use serde::{Deserialize, Serialize};

use crate::msg::PartKind;
use crate::rules::pays_minimum_wage;
use crate::state::{Line, LineStatus};

/// The credential type of a payment receipt.
pub const RECEIPT_VCT: &str = "urn:dojang:pay-receipt:1";

/// The claims a receipt carries, each concealable (the credential type's registration lists
/// them).
pub const RECEIPT_CLAIMS: [&str; 11] = [
    "project",
    "employer_account",
    "payment",
    "period_start",
    "period_end",
    "days_worked",
    "minutes_worked",
    "amount_krw",
    "paid_on",
    "late_interest_on_line_krw",
    "minimum_wage_met",
];

/// The most minutes a day of attendance may record.
pub const MAX_MINUTES_A_DAY: u32 = 24 * 60;

/// How far before the take-over a work date may lie: the module's bound on any date a
/// message states about the past.
pub const MAX_DAYS_BEFORE_RECEIVED: i64 = crate::exec::MAX_DAYS_BACK;

/// One day of a worker's attendance as the employer recorded it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Day {
    pub date: Date,
    pub minutes: u32,
}

/// What a receipt certifies.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Receipt {
    /// The project's id on chain (its site).
    pub project: String,
    /// The account of the employer the labour line paid for.
    pub employer_account: String,
    /// `<project>/<payment number>/<line>`: where a reader finds the line confirmed on chain.
    pub payment: String,
    /// The first and last days of attendance the pay covers.
    pub period_start: Date,
    pub period_end: Date,
    pub days_worked: u32,
    /// Exact, in minutes: hours alone would round a worker's time away.
    pub minutes_worked: u32,
    pub amount_krw: u64,
    /// The value date the bank confirmed.
    pub paid_on: Date,
    /// Late interest the line carried (PAY-03), if it was paid late; the worker's share of
    /// it is in `amount_krw` only if the employer passed it on.
    pub late_interest_on_line_krw: u64,
    /// PAY-08 held for every work date: always true, since no receipt is written otherwise.
    pub minimum_wage_met: bool,
}

/// Why no receipt is written.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ReceiptError {
    #[error("line {line} is not a labour part; receipts are for the workers of a labour line")]
    NotLabour { line: u32 },
    #[error("line {line} is not confirmed by the bank on chain yet; a receipt follows the confirmation")]
    NotConfirmed { line: u32 },
    #[error("worker {worker} is not among the workers line {line} pays")]
    NotOnLine { worker: Address, line: u32 },
    #[error("the attendance records no day of work")]
    NoAttendance,
    #[error("the attendance records {date} twice; record each work date once with its minutes")]
    DayTwice { date: Date },
    #[error("the attendance records {minutes} minutes on {date}: a day has 1 to {MAX_MINUTES_A_DAY}")]
    DayOutOfRange { date: Date, minutes: u32 },
    #[error("the attendance records work on {date}, after the work was taken over on {received}")]
    AfterReceived { date: Date, received: Date },
    #[error("the attendance records work on {date}, more than a year before the work was taken over on {received}")]
    LongBeforeReceived { date: Date, received: Date },
    #[error("{0}")]
    BelowMinimumWage(String),
    #[error("the minimum wage of a work date is unknown: {0}")]
    NoMinimumWage(String),
}

/// The line of a payment and where it is found on chain.
#[derive(Debug, Clone, Copy)]
pub struct OnChain<'a> {
    pub project: &'a str,
    pub number: u32,
    pub index: u32,
    pub line: &'a Line,
    /// The day the owner took over the work the payment pays for.
    pub received: Date,
}

/// The receipt of `worker` for `amount_krw` of the labour line `at`, over `attendance`;
/// `minimum_on` gives a date's hourly minimum wage from the council's tables.
pub fn receipt(
    at: OnChain<'_>,
    worker: &Address,
    amount_krw: u64,
    attendance: &[Day],
    minimum_on: impl Fn(Date) -> Result<u64, String>,
) -> Result<Receipt, ReceiptError> {
    let OnChain { project, number, index, line, received } = at;
    if line.part.kind != PartKind::Labour {
        return Err(ReceiptError::NotLabour { line: index });
    }
    let LineStatus::Confirmed { value_date, interest_krw, .. } = line.status else {
        return Err(ReceiptError::NotConfirmed { line: index });
    };
    if !line.part.workers.contains(worker) {
        return Err(ReceiptError::NotOnLine { worker: *worker, line: index });
    }
    let mut days = attendance.to_vec();
    days.sort_by_key(|d| d.date);
    let (Some(first), Some(last)) = (days.first().copied(), days.last().copied()) else {
        return Err(ReceiptError::NoAttendance);
    };
    let mut minutes_worked: u32 = 0;
    for (i, d) in days.iter().enumerate() {
        if i > 0 && days[i - 1].date == d.date {
            return Err(ReceiptError::DayTwice { date: d.date });
        }
        if d.minutes == 0 || d.minutes > MAX_MINUTES_A_DAY {
            return Err(ReceiptError::DayOutOfRange { date: d.date, minutes: d.minutes });
        }
        if d.date > received {
            return Err(ReceiptError::AfterReceived { date: d.date, received });
        }
        if d.date < received.plus_days(-MAX_DAYS_BEFORE_RECEIVED) {
            return Err(ReceiptError::LongBeforeReceived { date: d.date, received });
        }
        minutes_worked = minutes_worked.saturating_add(d.minutes);
    }
    let mut hourly = std::collections::BTreeMap::new();
    for d in &days {
        hourly.insert(d.date, minimum_on(d.date).map_err(ReceiptError::NoMinimumWage)?);
    }
    let hours: Vec<(Date, u32)> = days.iter().map(|d| (d.date, d.minutes)).collect();
    let hourly_on = |date: Date| hourly.get(&date).copied().ok_or_else(|| format!("no minimum wage for {date}"));
    pays_minimum_wage(amount_krw, &hours, hourly_on).map_err(ReceiptError::BelowMinimumWage)?;
    Ok(Receipt {
        project: project.into(),
        employer_account: line.payee.to_string(),
        payment: format!("{project}/{number}/{index}"),
        period_start: first.date,
        period_end: last.date,
        days_worked: days.len() as u32,
        minutes_worked,
        amount_krw,
        paid_on: value_date,
        late_interest_on_line_krw: interest_krw,
        minimum_wage_met: true,
    })
}
