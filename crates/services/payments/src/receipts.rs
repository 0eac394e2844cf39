//! Workers' payment receipts, off chain and into their wallets. Once the bank has confirmed a
//! labour line on chain, the city's payments office takes the employer's payroll and
//! attendance for it, checks that the payroll is what the chain committed to and the bank
//! paid (the line's `lines` commitment), writes each worker's receipt after PAY-08
//! (`dojang_payments::receipt`), and has its credential issuer offer it as an SD-JWT VC to
//! the worker's wallet (OpenID4VCI). The chain learns nothing of it.

use std::collections::BTreeMap;

use dojang_issuer::{NewOffer, OfferClient, OfferError};
use dojang_payments::receipt::{receipt, Day, OnChain, Receipt, ReceiptError};
use dojang_payments::state::Progress;
use dojang_types::{Address, Date, Hash};
use serde_json::Value;

use crate::bank::file::lines_commitment;

/// Why a labour line's receipts were not written.
#[derive(Debug, thiserror::Error)]
pub enum ReceiptsError {
    #[error("payment {number} has no line {line}")]
    NoLine { number: u32, line: u32 },
    #[error("line {line}'s payroll is not what the chain committed to and the bank paid: ask the employer for the payroll it sent the bank")]
    NotThePayroll { line: u32 },
    #[error(
        "no attendance for worker {worker} on line {line}: the employer's office must send each paid worker's days"
    )]
    NoAttendance { worker: Address, line: u32 },
    #[error("worker {worker} on line {line}: {why}")]
    Worker { worker: Address, line: u32, why: ReceiptError },
}

/// Each worker's receipt for labour line `index` of payment `pr` on `project`, from the
/// payroll the bank was sent (each worker's amount, `wages`, under `salt`) and each worker's
/// `attendance`.
/// All or none: a line whose payroll or any worker's days do not hold gives no receipt, so
/// the office looks at the line as a whole.
pub fn line_receipts(
    project: &str,
    pr: &Progress,
    index: u32,
    (wages, salt): (&[(Address, u64)], &Hash),
    attendance: &BTreeMap<Address, Vec<Day>>,
    minimum_on: impl Fn(Date) -> Result<u64, String>,
) -> Result<Vec<(Address, Receipt)>, ReceiptsError> {
    let line = pr.lines.get(index as usize).ok_or(ReceiptsError::NoLine { number: pr.number, line: index })?;
    if line.part.lines != Some(lines_commitment(salt, wages)) {
        return Err(ReceiptsError::NotThePayroll { line: index });
    }
    let at = OnChain { project, number: pr.number, index, line, received: pr.received };
    wages
        .iter()
        .map(|&(worker, krw)| {
            let days = attendance.get(&worker).ok_or(ReceiptsError::NoAttendance { worker, line: index })?;
            let r = receipt(at, &worker, krw, days, &minimum_on).map_err(|why| ReceiptsError::Worker {
                worker,
                line: index,
                why,
            })?;
            Ok((worker, r))
        })
        .collect()
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
