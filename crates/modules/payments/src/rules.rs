//! The Subcontracting Act's payment rules as pure functions, named for what they check and
//! cited by rule id (DOMAIN.md §7). The figures (60 days, 15 days, the interest rate ...) are
//! arguments: the module reads them from the council's parameter tables at the version in
//! force on the date that matters. Money is whole KRW, rates basis points; nothing is a float.

use dojang_types::Date;
use serde::{Deserialize, Serialize};

/// PAY-01: the day a payment for work received on `received` falls due: the agreed day, but
/// never later than `max_days` after receipt (60 by law).
pub fn due_date(agreed: Option<Date>, received: Date, max_days: u32) -> Date {
    let latest = received.plus_days(i64::from(max_days));
    agreed.map_or(latest, |a| a.min(latest))
}

/// PAY-02: the day a subcontractor's share falls due once the prime has been paid by the
/// owner on `prime_paid`: within `days` (15 by law), or the PAY-01 due day if that is sooner.
pub fn pass_through_due(prime_paid: Date, days: u32, pay_01_due: Date) -> Date {
    prime_paid.plus_days(i64::from(days)).min(pay_01_due)
}

/// One version of the late-interest rate: in force from `from`, `bp` a year.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rate {
    pub from: Date,
    pub bp: u32,
}

/// PAY-03: late interest on `principal` due on `due` and paid on `paid`: for each day after
/// the due day up to and including the day paid, `principal × bp / 10,000 / days in that
/// year`, at the rate in force that day. The day's shares are added exactly (as fractions
/// over a common denominator) and the total is rounded down to the won once, so splitting a
/// period never changes the sum by more than the one rounding. Nothing is owed when paid on
/// or before the due day. `rates` must hold a version in force on every late day.
pub fn late_interest(principal: u64, due: Date, paid: Date, rates: &[Rate]) -> Result<u64, String> {
    if paid <= due {
        return Ok(0);
    }
    // Σ principal × bp × (days) / (10,000 × year length), over runs of days sharing a rate
    // and a year length; the common denominator is 10,000 × 365 × 366.
    const COMMON: u128 = 10_000 * 365 * 366;
    let mut numerator: u128 = 0;
    let mut day = due.plus_days(1);
    while day <= paid {
        let rate =
            rates.iter().rev().find(|r| r.from <= day).ok_or_else(|| {
                format!("PAY-03: no late-interest rate is in force on {day}; the council must set it")
            })?;
        // The run ends before the next rate version, the next 1 January, or after `paid`.
        let next_rate = rates.iter().find(|r| r.from > day).map(|r| r.from);
        let this_year = Date::new(day.year, 1, 1).map_err(|e| format!("PAY-03: {e}"))?;
        let next_year = Date::new(day.year + 1, 1, 1).map_err(|e| format!("PAY-03: {e}"))?;
        let mut end = paid.plus_days(1).min(next_year);
        if let Some(n) = next_rate {
            end = end.min(n);
        }
        let days = (end.days() - day.days()) as u128;
        let per_year = (next_year.days() - this_year.days()) as u128;
        numerator += u128::from(principal) * u128::from(rate.bp) * days * (COMMON / (10_000 * per_year));
        day = end;
    }
    u64::try_from(numerator / COMMON).map_err(|_| "PAY-03: the interest does not fit a u64 of won".to_string())
}

/// PAY-04: the subcontractor is paid in cash at no lower a share than the prime was paid in
/// cash for the same work: `paid_cash / paid_total ≥ received_cash / received_total`.
pub fn cash_ratio_kept(received_cash: u64, received_total: u64, paid_cash: u64, paid_total: u64) -> Result<(), String> {
    if received_total == 0 || paid_total == 0 {
        return Ok(());
    }
    let kept = u128::from(paid_cash) * u128::from(received_total) >= u128::from(received_cash) * u128::from(paid_total);
    if kept {
        Ok(())
    } else {
        Err(format!(
            "PAY-04: the prime was paid {received_cash} of {received_total} won in cash, the subcontractor only {paid_cash} of {paid_total}: pay at least the same cash share"
        ))
    }
}

/// PAY-05: the day the payment guarantee for a subcontract signed on `signed` is due, when
/// its amount is over `threshold_krw` (KRW 10 M by law); `None` below it.
pub fn guarantee_due(signed: Date, amount_krw: u64, threshold_krw: u64, days: u32) -> Option<Date> {
    (amount_krw > threshold_krw).then(|| signed.plus_days(i64::from(days)))
}

/// Why the owner must pay a subcontractor directly (PAY-06).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DirectCause {
    /// The prime missed this many instalments, at least the law's number (2).
    MissedInstalments(u32),
    Insolvency,
    ThreePartyAgreement,
    MissingGuarantee,
}

/// PAY-06: whether the next payment to the subcontractor goes to it directly, and why: after
/// `missed_threshold` missed instalments (exactly from the second, by law), the prime's
/// insolvency, an agreement of the three parties, or a guarantee not given by its deadline.
pub fn direct_payment(
    missed: u32,
    missed_threshold: u32,
    insolvent: bool,
    agreed: bool,
    guarantee_missing: bool,
) -> Option<DirectCause> {
    if insolvent {
        Some(DirectCause::Insolvency)
    } else if agreed {
        Some(DirectCause::ThreePartyAgreement)
    } else if guarantee_missing {
        Some(DirectCause::MissingGuarantee)
    } else if missed >= missed_threshold.max(1) {
        Some(DirectCause::MissedInstalments(missed))
    } else {
        None
    }
}

/// PAY-07: the parts of a progress payment add up to the approved amount, each part paying
/// something.
pub fn split_sums(parts: &[u64], approved: u64) -> Result<(), String> {
    if let Some(i) = parts.iter().position(|p| *p == 0) {
        return Err(format!("PAY-07: part {i} pays nothing; leave it out"));
    }
    let total = parts.iter().try_fold(0u64, |acc, p| acc.checked_add(*p));
    match total {
        Some(t) if t == approved => Ok(()),
        Some(t) => Err(format!(
            "PAY-07: the parts add up to {t} won, the approved payment is {approved} ({} {})",
            t.abs_diff(approved),
            if t > approved { "too much" } else { "missing" }
        )),
        None => Err("PAY-07: the parts add up to more than any payment".into()),
    }
}

/// PAY-08: a worker's pay for a period is at least, for each work date, the hours worked that
/// day times the minimum wage in force that day. `days` is (date, hours in minutes), and
/// `minimum_on` gives the hourly minimum wage of a date.
pub fn pays_minimum_wage(
    pay_krw: u64,
    days: &[(Date, u32)],
    minimum_on: impl Fn(Date) -> Result<u64, String>,
) -> Result<(), String> {
    let mut owed: u128 = 0;
    for (date, minutes) in days {
        owed += u128::from(minimum_on(*date)?) * u128::from(*minutes);
    }
    // Per minute, rounded up to the won: the worker is never short by a rounding.
    let owed = owed.div_ceil(60);
    if u128::from(pay_krw) >= owed {
        Ok(())
    } else {
        Err(format!("PAY-08: {pay_krw} won for the period is below the minimum wage for its hours ({owed} won)"))
    }
}

/// PAY-09: what a change order raising the prime contract from `prime_before` by `increase`
/// adds to a subcontract of `sub_amount`: the same ratio, rounded down to the won.
pub fn pass_through_change(prime_before: u64, increase: u64, sub_amount: u64) -> Result<u64, String> {
    if prime_before == 0 {
        return Err("PAY-09: the prime contract's amount before the change is 0".into());
    }
    let added = u128::from(sub_amount) * u128::from(increase) / u128::from(prime_before);
    u64::try_from(added).map_err(|_| "PAY-09: the increase does not fit a u64 of won".to_string())
}

/// PAY-11: the retirement mutual-aid contributions for `worker_days` days worked at
/// `daily_krw` a day (the rate in force on the work date).
pub fn mutual_aid(worker_days: u64, daily_krw: u64) -> Result<u64, String> {
    worker_days.checked_mul(daily_krw).ok_or_else(|| "PAY-11: the contribution does not fit a u64 of won".into())
}
