//! Paying and keeping: LAB-09 wages at least monthly on the contract's day, to the worker's
//! own account, with a payslip, and the final pay within 14 days of the end; LAB-10 the
//! documents a minor must have; LAB-11 how long the records are kept.

use dojang_types::Date;

use crate::finding::{Finding, Severity};
use crate::tables::{keys, TableError, Tables};
use crate::terms::{age_on, PaymentMethod, Terms};
use crate::timesheet::Payment;

/// The law a final-pay finding cites (LAB-09: the final pay within 14 days of the end).
pub const FINAL_PAY_LAW: &str = "Labor Standards Act art. 36";

/// The payment day in the month after `month`, clamped to that month's length.
pub fn pay_day_after(month_end: Date, day: u8) -> Date {
    let next_first = month_end.plus_days(1);
    let last = next_first.month_end();
    Date { day: day.min(last.day), ..next_first }
}

/// LAB-09 for every month of work ended before `today`: a payment by the payment day covering
/// the month, with a payslip and to the worker's own account; and the final pay.
pub fn payments(terms: &Terms, payments: &[Payment], today: Date, tables: &Tables) -> Result<Vec<Finding>, TableError> {
    let mut out = Vec::new();
    let law = "Labor Standards Act art. 43, 48";
    for p in payments {
        if !p.payslip {
            out.push(
                Finding::new("LAB-09", Severity::Violation, p.date, p.date, "Labor Standards Act art. 48(2)").says(
                    format!("the payment of {} on {} came without a payslip", p.amount_krw, p.date),
                    format!("{}의 {}원 지급에 임금명세서가 없습니다", p.date, p.amount_krw),
                ),
            );
        }
        if terms.payment_method == PaymentMethod::OwnAccount && !p.to_own_account {
            out.push(Finding::new("LAB-09", Severity::Violation, p.date, p.date, "Labor Standards Act art. 43").says(
                format!("the payment on {} did not go to the worker's own account", p.date),
                format!("{}의 임금이 근로자 본인 계좌로 지급되지 않았습니다", p.date),
            ));
        }
    }
    let end = terms.end.filter(|e| *e < today);
    let mut month_end = terms.start.month_end();
    while month_end < today && end.is_none_or(|e| month_end < e) {
        let due = pay_day_after(month_end, terms.payment_day);
        check_paid(&mut out, payments, month_end, due, today, tables, law)?;
        month_end = month_end.plus_days(1).month_end();
    }
    if let Some(end) = end {
        let due = end.plus_days(i64::from(tables.days(keys::FINAL_PAY_DAYS, end)?));
        check_paid(&mut out, payments, end, due, today, tables, FINAL_PAY_LAW)?;
    }
    Ok(out)
}

fn check_paid(
    out: &mut Vec<Finding>,
    payments: &[Payment],
    until: Date,
    due: Date,
    today: Date,
    tables: &Tables,
    law: &'static str,
) -> Result<(), TableError> {
    let paid = payments.iter().filter(|p| p.covers_until >= until).map(|p| p.date).min();
    let alert = i64::from(tables.days(keys::ALERT_DAYS_BEFORE, due)?);
    match paid {
        Some(d) if d <= due => {}
        Some(d) => out.push(Finding::new("LAB-09", Severity::Violation, until, due, law).says(
            format!("the wages for work until {until} were paid on {d}, after they were due on {due}"),
            format!("{until}까지의 임금이 기한 {due}을 넘겨 {d}에 지급되었습니다"),
        )),
        None if today > due => out.push(Finding::new("LAB-09", Severity::Violation, until, due, law).says(
            format!("the wages for work until {until} are unpaid; they were due on {due}"),
            format!("{until}까지의 임금이 미지급입니다(기한 {due})"),
        )),
        None if today.days() >= due.days() - alert => {
            out.push(Finding::new("LAB-09", Severity::Warning, until, due, law).says(
                format!("the wages for work until {until} are due on {due}"),
                format!("{until}까지의 임금 지급 기한은 {due}입니다"),
            ))
        }
        None => {}
    }
    Ok(())
}

/// LAB-10: a worker under the adult age needs the parent's consent and an age certificate on
/// file; under the minimum working age, no employment without the ministry's permit.
pub fn minor_documents(terms: &Terms, tables: &Tables) -> Result<Vec<Finding>, TableError> {
    let age = u64::from(age_on(terms.worker_birth_date, terms.start));
    let mut out = Vec::new();
    let d = terms.start;
    if age < tables.count(keys::MIN_WORKING_AGE, d)? {
        out.push(
            Finding::new("LAB-10", Severity::Violation, d, d, "Labor Standards Act art. 64").figure("age", age).says(
                format!(
                    "the worker is {age}, below the minimum working age: only with the ministry's employment permit"
                ),
                format!("근로자가 {age}세로 취직 최저연령 미만입니다: 취직인허증이 있어야 합니다"),
            ),
        );
    }
    if age < tables.count(keys::ADULT_AGE, d)? {
        let docs = terms.minor_documents;
        if !docs.parental_consent || !docs.age_certificate {
            out.push(
                Finding::new("LAB-10", Severity::Violation, d, d, "Labor Standards Act art. 66")
                    .figure("age", age)
                    .says(
                        format!(
                            "the worker is {age}: the parent's consent{} and an age certificate{} must be on file",
                            if docs.parental_consent { " (on file)" } else { "" },
                            if docs.age_certificate { " (on file)" } else { "" }
                        ),
                        format!("근로자가 {age}세입니다: 친권자 동의서와 가족관계기록사항 증명서를 갖추어야 합니다"),
                    ),
            );
        }
    }
    Ok(out)
}

/// LAB-11: the date until which the contract's records must be kept (the end, or `today` for
/// a contract still running, plus the retention years).
pub fn keep_records_until(terms: &Terms, today: Date, tables: &Tables) -> Result<Date, TableError> {
    let end = terms.end.unwrap_or(today);
    let years = tables.count(keys::RECORD_RETENTION_YEARS, end)? as u16;
    // 29 February plus whole years falls on 28 February when that year has none.
    let day = if end.month == 2 && end.day == 29 { 28 } else { end.day };
    Ok(Date { year: end.year + years, month: end.month, day })
}
