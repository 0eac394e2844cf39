//! The employer records each wage payment (LAB-09): its day, amount, the work it covers, and
//! whether it came with a payslip and went to the worker's own account. The record is kept in
//! the private collection (an amount is personal data) and its commitment recorded on the
//! ledger by the member, like every payload. Once a contract has payments on record, the
//! engine judges its payment timing, payslips and final pay from them.

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::HeaderMap;
use dojang_labour::timesheet::Payment;
use serde::Deserialize;
use serde_json::json;

use super::api::{admit, body, created, locked_entry, registered, unprocessable, Answer};
use super::book::WeekRef;
use super::contracts::today;
use super::documents::{encode, PaymentRecord};
use super::Desk;

/// Most payments a contract keeps (ten years of weekly pay).
pub const MAX_PAYMENTS: usize = 520;
/// The largest single payment the desk takes, in KRW.
pub const MAX_AMOUNT_KRW: u64 = 1_000_000_000;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct NewPayment {
    payment: Payment,
}

pub async fn record(State(desk): State<Arc<Desk>>, headers: HeaderMap, Path(id): Path<String>, bytes: Bytes) -> Answer {
    let client = admit(&desk, &headers)?;
    let NewPayment { payment: p } = body(&bytes)?;
    if p.amount_krw == 0 || p.amount_krw > MAX_AMOUNT_KRW {
        return Err(unprocessable("bad-amount", format!("the amount must be 1 to {MAX_AMOUNT_KRW} KRW")));
    }
    let (_contract, mut e) = locked_entry(&desk, client, &id).await?;
    let on_chain = registered(&desk, &id, &e).await?;
    if p.date > today() {
        return Err(unprocessable(
            "payment-date",
            format!("{} is after today: record a payment once it is made", p.date),
        ));
    }
    if p.covers_until < on_chain.starts || p.date < on_chain.starts {
        return Err(unprocessable(
            "payment-date",
            format!("the payment and the work it covers must be from the contract's start ({}) on", on_chain.starts),
        ));
    }
    // Work not done yet cannot be paid for: a payment "covering" the future would mark every
    // later month paid on time.
    let last_worked = on_chain.ends.map_or(today(), |end| end.min(today()));
    if p.covers_until > last_worked {
        return Err(unprocessable(
            "payment-covers",
            format!("a payment covers work up to {last_worked} at the latest (today, or the contract's end)"),
        ));
    }
    if e.payments.len() >= MAX_PAYMENTS {
        return Err(unprocessable("too-many-payments", format!("a contract keeps at most {MAX_PAYMENTS} payments")));
    }
    let rec = desk.chain.store(&encode(&PaymentRecord::new(&id, p))).await?;
    e.payments.push(WeekRef { key: rec.key.clone(), commitment: rec.commitment });
    desk.book.put(&id, &e)?;
    Ok(created(json!({"contract": id, "key": rec.key, "commitment": rec.commitment, "payments": e.payments.len()})))
}
