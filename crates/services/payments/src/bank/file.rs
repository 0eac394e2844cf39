//! The instruction file the city sends the partner bank for one approved progress payment,
//! and the bank's answer per line: the shape of a credit-transfer initiation (one debtor,
//! the project's account; a requested execution date; one credit per line with an
//! end-to-end id), idempotent by the instruction id the chain gave it.
//!
//! A labour line is split per worker here, off chain: each worker's amount and the opening of
//! the account commitment the worker bound on chain (decision 0025). The bank checks each
//! opening against the chain and the per-worker amounts against the line's `lines`
//! commitment before paying.

use dojang_types::{sha256, Address, Date, Hash};
use serde::{Deserialize, Serialize};

/// The commitment a worker binds on chain for the account wages go to: the account number
/// under a salt only the worker's wallet and the bank see.
pub fn account_commitment(salt: &Hash, account_number: &str) -> Hash {
    sha256(&[
        b"dojang/payments/account/v1",
        &salt.0,
        &(account_number.len() as u32).to_le_bytes(),
        account_number.as_bytes(),
    ])
}

/// The commitment to a labour line's per-worker amounts, in the order of the line's workers.
pub fn lines_commitment(salt: &Hash, wages: &[(Address, u64)]) -> Hash {
    let mut parts: Vec<Vec<u8>> = vec![b"dojang/payments/labour-lines/v1".to_vec(), salt.0.to_vec()];
    for (worker, krw) in wages {
        parts.push(worker.to_string().into_bytes());
        parts.push(krw.to_le_bytes().to_vec());
    }
    let refs: Vec<&[u8]> = parts.iter().map(Vec::as_slice).collect();
    sha256(&refs)
}

/// An opened account commitment: what only the bank receives.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AccountOpening {
    pub number: String,
    pub salt: Hash,
}

/// One worker's credit within a labour line.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WorkerCredit {
    pub worker: Address,
    pub krw: u64,
    pub account: AccountOpening,
}

/// Who a line credits.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "to", rename_all = "snake_case", deny_unknown_fields)]
pub enum Creditor {
    /// A contractor's dedicated account, known to the bank by its address.
    Contractor { address: Address },
    /// The workers of a labour line, with the salt of the line's `lines` commitment.
    Workers { credits: Vec<WorkerCredit>, lines_salt: Hash },
    /// The mutual-aid fund's account.
    MutualAidFund,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Credit {
    /// The line's index in the chain's instruction.
    pub line: u32,
    /// Which sending of the line this is: 1, and one more each time it is sent again.
    pub attempt: u32,
    /// `<instruction>-<line>-<attempt>`: what the bank's statement quotes back, and what it
    /// never pays twice.
    pub end_to_end_id: String,
    pub krw: u64,
    pub creditor: Creditor,
    /// The owner pays this contract directly (PAY-06).
    pub direct: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct InstructionFile {
    /// The chain's instruction id: a file sent twice with it is paid once.
    pub instruction: Hash,
    pub project: String,
    pub number: u32,
    pub requested_execution: Date,
    pub credits: Vec<Credit>,
}

impl InstructionFile {
    pub fn total_krw(&self) -> u64 {
        self.credits.iter().fold(0u64, |t, c| t.saturating_add(c.krw))
    }
}

/// The bank's answer on one line.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LineAnswer {
    pub instruction: Hash,
    pub line: u32,
    pub attempt: u32,
    pub outcome: dojang_payments::msg::Outcome,
}

/// The end-to-end id of a line's attempt.
pub fn end_to_end_id(instruction: &Hash, line: u32, attempt: u32) -> String {
    format!("{instruction}-{line}-{attempt}")
}

/// Why a file is refused whole, before any line is paid.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FileError {
    #[error("the file is not an instruction file: {0}")]
    Malformed(String),
    #[error("instruction {0} was sent before with other contents: send the same file, or ask for a new instruction")]
    ChangedOnResend(Hash),
    #[error("line {line}: {reason}")]
    BadLine { line: u32, reason: String },
}

/// Reads an instruction file, refusing unknown fields and an empty or duplicated line.
pub fn parse(bytes: &[u8]) -> Result<InstructionFile, FileError> {
    let file: InstructionFile = serde_json::from_slice(bytes).map_err(|e| FileError::Malformed(e.to_string()))?;
    if file.credits.is_empty() {
        return Err(FileError::Malformed("it credits no one".into()));
    }
    let mut seen = std::collections::BTreeSet::new();
    for c in &file.credits {
        if !seen.insert(c.line) {
            return Err(FileError::BadLine { line: c.line, reason: "listed twice".into() });
        }
        if c.krw == 0 {
            return Err(FileError::BadLine { line: c.line, reason: "credits nothing".into() });
        }
        if c.end_to_end_id != end_to_end_id(&file.instruction, c.line, c.attempt) {
            return Err(FileError::BadLine {
                line: c.line,
                reason: "its end-to-end id is not <instruction>-<line>-<attempt>".into(),
            });
        }
    }
    Ok(file)
}
