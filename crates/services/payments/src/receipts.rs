//! Workers' payment receipts, off chain and into their wallets. Once the bank has confirmed a
//! labour line on chain, the city's payments office takes the employer's payroll and
//! attendance for it, checks that the payroll is what the chain committed to and the bank
//! paid (the line's `lines` commitment), writes each worker's receipt after PAY-08
//! (`dojang_payments::receipt`), and has its credential issuer offer it as an SD-JWT VC to
//! the worker's wallet (OpenID4VCI). The chain learns nothing of it.

use std::collections::BTreeMap;

use dojang_issuer::{NewOffer, OfferClient, OfferError};
use dojang_payments::msg::PartKind;
use dojang_payments::receipt::{receipt, Day, OnChain, Receipt, ReceiptError};
use dojang_payments::state::{LineStatus, Progress};
use dojang_types::{Address, Date, Hash};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::bank::file::lines_commitment;

/// The most days of attendance one worker may have on one line (a year's).
pub const MAX_DAYS_A_LINE: usize = 366;

/// One labour line of the employers' payroll, as they send it with the bank's file: the salt
/// of the line's `lines` commitment, each worker's amount, and each worker's days.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PayrollLine {
    pub line: u32,
    pub salt: Hash,
    pub wages: Vec<Wage>,
    pub attendance: BTreeMap<Address, Vec<Day>>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Wage {
    pub worker: Address,
    pub krw: u64,
}

impl PayrollLine {
    /// What needs no chain to check: each worker paid once, attendance only for the paid
    /// workers, and at most a year of days each.
    pub fn check(&self) -> Result<(), String> {
        let line = self.line;
        if self.wages.is_empty() {
            return Err(format!("line {line} pays no worker"));
        }
        let mut paid = std::collections::BTreeSet::new();
        for w in &self.wages {
            if !paid.insert(w.worker) {
                return Err(format!("line {line} pays worker {} twice", w.worker));
            }
        }
        for (worker, days) in &self.attendance {
            if !paid.contains(worker) {
                return Err(format!("line {line} has attendance for {worker}, whom it does not pay"));
            }
            if days.len() > MAX_DAYS_A_LINE {
                return Err(format!("line {line} records {} days for {worker}; at most {MAX_DAYS_A_LINE}", days.len()));
            }
        }
        Ok(())
    }
}

/// Why a labour line's receipts were not written.
#[derive(Debug, thiserror::Error)]
pub enum ReceiptsError {
    #[error("payment {number} has no line {line}")]
    NoLine { number: u32, line: u32 },
    #[error("line {line}: {why}")]
    Line { line: u32, why: ReceiptError },
    #[error("line {line}'s payroll is not what the chain committed to and the bank paid ({why}): ask the employer for the payroll it sent the bank")]
    NotThePayroll { line: u32, why: &'static str },
    #[error("{0}")]
    Malformed(String),
    #[error(
        "no attendance for worker {worker} on line {line}: the employer's office must send each paid worker's days"
    )]
    NoAttendance { worker: Address, line: u32 },
    #[error("worker {worker} on line {line}: {why}")]
    Worker { worker: Address, line: u32, why: ReceiptError },
}

/// Each worker's receipt for the labour line `payroll` names, of payment `pr` on `project`.
/// The line must be a labour line the bank confirmed; the payroll must pay exactly the line's
/// workers, add up to the line's amount and open its commitment; then each worker's days must
/// hold and PAY-08 hold on them. All or none: a line whose payroll or any worker's days do not
/// hold gives no receipt, so the office looks at the line as a whole.
pub fn line_receipts(
    project: &str,
    pr: &Progress,
    payroll: &PayrollLine,
    minimum_on: impl Fn(Date) -> Result<u64, String>,
) -> Result<Vec<(Address, Receipt)>, ReceiptsError> {
    let index = payroll.line;
    payroll.check().map_err(ReceiptsError::Malformed)?;
    let line = pr.lines.get(index as usize).ok_or(ReceiptsError::NoLine { number: pr.number, line: index })?;
    if line.part.kind != PartKind::Labour {
        return Err(ReceiptsError::Line { line: index, why: ReceiptError::NotLabour { line: index } });
    }
    if !matches!(line.status, LineStatus::Confirmed { .. }) {
        return Err(ReceiptsError::Line { line: index, why: ReceiptError::NotConfirmed { line: index } });
    }
    let wages: Vec<(Address, u64)> = payroll.wages.iter().map(|w| (w.worker, w.krw)).collect();
    let mut paid: Vec<Address> = wages.iter().map(|w| w.0).collect();
    let mut on_line = line.part.workers.clone();
    paid.sort();
    on_line.sort();
    if paid != on_line {
        return Err(ReceiptsError::NotThePayroll { line: index, why: "it pays other workers than the line" });
    }
    let total = wages.iter().try_fold(0u64, |sum, w| sum.checked_add(w.1));
    if total != Some(line.part.krw) {
        return Err(ReceiptsError::NotThePayroll { line: index, why: "its amounts do not add up to the line's" });
    }
    if line.part.lines != Some(lines_commitment(&payroll.salt, &wages)) {
        return Err(ReceiptsError::NotThePayroll { line: index, why: "it does not open the line's commitment" });
    }
    let at = OnChain { project, number: pr.number, index, line, received: pr.received };
    wages
        .iter()
        .map(|&(worker, krw)| {
            let days = payroll.attendance.get(&worker).ok_or(ReceiptsError::NoAttendance { worker, line: index })?;
            let r = receipt(at, &worker, krw, days, &minimum_on).map_err(|why| ReceiptsError::Worker {
                worker,
                line: index,
                why,
            })?;
            Ok((worker, r))
        })
        .collect()
}

/// Every receipt of a payment's labour lines, or none when any line does not hold.
pub fn payment_receipts(
    project: &str,
    pr: &Progress,
    payroll: &[PayrollLine],
    minimum_on: impl Fn(Date) -> Result<u64, String>,
) -> Result<Vec<(Address, Receipt)>, ReceiptsError> {
    let mut all = Vec::new();
    for line in payroll {
        all.extend(line_receipts(project, pr, line, &minimum_on)?);
    }
    Ok(all)
}

/// The payments office's credential issuer, offering receipts.
pub struct ReceiptOffice {
    client: OfferClient,
}

impl ReceiptOffice {
    /// The issuer at `url`, whose configuration `configuration` is for receipts
    /// (`dojang_payments::receipt::RECEIPT_VCT`, claims with the offer).
    pub fn new(url: &str, admin_token: &str, configuration: &str) -> Result<ReceiptOffice, String> {
        Ok(ReceiptOffice { client: OfferClient::new(url, admin_token, configuration)? })
    }

    /// The offer of `worker`'s receipt, with a PIN. Its subject at the issuer is the line and
    /// the worker, so one receipt can be revoked without the worker's others.
    pub async fn offer(&self, worker: &Address, r: &Receipt) -> Result<NewOffer, OfferError> {
        let claims = match serde_json::to_value(r) {
            Ok(Value::Object(claims)) => claims,
            _ => return Err(OfferError::Malformed("a receipt is not a JSON object".into())),
        };
        self.client.offer(&format!("{}/{worker}", r.payment), claims).await
    }
}
