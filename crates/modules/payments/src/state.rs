//! The payments module's records and where they live. No record holds a worker's name, bank
//! account number or wage (docs/decisions/0025).

use dojang_ledger::{read_record, write_record, ModuleError, StateRead, StateWrite};
use dojang_types::{Address, Date, Hash};
use serde::{Deserialize, Serialize};

use crate::msg::{ContractKind, Part};
use crate::rules::DirectCause;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Officer {
    pub department: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Bank {
    pub name: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Project {
    pub id: String,
    pub name: String,
    pub department: String,
    pub prime: Address,
    pub amount_krw: u64,
    pub signed: Date,
    /// What contracts directly under the prime add up to.
    pub allotted_krw: u64,
    pub contracts: u32,
    /// How many progress payments were submitted so far.
    pub progress: u32,
    pub change_orders: u32,
}

/// Whether a contract's payment guarantee is due, given or missed (PAY-05).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "state", rename_all = "snake_case")]
pub enum Guarantee {
    /// At or under the threshold: none is needed.
    NotNeeded,
    Due {
        by: Date,
    },
    Given {
        reference: Hash,
        height: u64,
    },
    /// Its deadline passed without it: a cause for direct payment (PAY-06).
    Missed {
        by: Date,
    },
}

/// A change order's share a contract must be raised by, and by when (PAY-09).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct PassThrough {
    pub order: u32,
    pub increase_krw: u64,
    pub by: Date,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Contract {
    pub id: String,
    /// The contract it sits under; absent for one directly under the prime.
    pub parent: Option<String>,
    pub contractor: Address,
    /// Who pays it: the prime, or the parent contract's contractor.
    pub payer: Address,
    pub kind: ContractKind,
    pub amount_krw: u64,
    pub signed: Date,
    pub agreed_days: u32,
    pub allotted_krw: u64,
    pub guarantee: Guarantee,
    /// The progress payments whose instalment to it was not paid by its due day (PAY-06).
    pub missed: Vec<u32>,
    /// Why the owner now pays it directly, once a cause arose (PAY-06).
    pub direct: Option<DirectCause>,
    pub paid_krw: u64,
    /// What the progress payments submitted so far give it (interest apart): never more than
    /// the contract is worth.
    #[serde(default)]
    pub committed_krw: u64,
    /// Late interest accrued on its late lines (PAY-03).
    pub interest_krw: u64,
    /// What interest parts submitted so far pay of it: never more than accrued.
    #[serde(default)]
    pub interest_committed_krw: u64,
    /// Raises owed for change orders, not yet made (PAY-09).
    pub pass_through: Vec<PassThrough>,
}

/// Where one line of an instruction stands with the bank.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "status", rename_all = "snake_case")]
pub enum LineStatus {
    Pending,
    Confirmed {
        value_date: Date,
        late_days: u32,
        interest_krw: u64,
    },
    /// The bank refused it: escalated to the prime and the department until it is sent again.
    Rejected {
        code: String,
    },
}

/// One line of the instruction the bank receives: a part of the split, its due day, and
/// whether the owner pays it directly (PAY-06).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Line {
    pub part: Part,
    /// Who is paid: the prime or the contract's contractor (a labour part: its workers).
    pub payee: Address,
    pub due: Date,
    /// The day a reminder is raised if it is still unpaid; cleared once raised.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub remind: Option<Date>,
    pub direct: bool,
    pub status: LineStatus,
    /// Its due day passed while it was unpaid.
    pub missed: bool,
    /// Late interest runs from the end of this day: 60 days after the work was received
    /// (PAY-03, Subcontracting Act art. 13(8)).
    pub interest_from: Date,
    /// Which sending of the line the bank is to answer: 1, and one more each time the prime
    /// sends a rejected line again.
    #[serde(default = "crate::msg::first_attempt")]
    pub attempt: u32,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ProgressStatus {
    Submitted,
    /// Both officers approved: the instruction went to the bank.
    Instructed,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Progress {
    pub number: u32,
    pub approved_krw: u64,
    /// The day the owner took over the work it pays for.
    pub received: Date,
    pub status: ProgressStatus,
    pub approvals: Vec<Address>,
    /// The instruction's id, idempotent at the bank.
    pub instruction: Hash,
    pub lines: Vec<Line>,
    /// The due day whose end the payment's due deadline is set for: the earliest of its open
    /// lines not yet missed. One deadline per payment, not per line.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub next_due: Option<Date>,
    /// The day its reminder deadline is set for: the earliest reminder of an open line.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub next_remind: Option<Date>,
}

pub fn officer_key(a: &Address) -> String {
    format!("officers/{a}")
}
pub fn bank_key(a: &Address) -> String {
    format!("banks/{a}")
}
pub fn project_key(id: &str) -> String {
    format!("projects/{id}")
}
pub fn contract_key(project: &str, id: &str) -> String {
    format!("contracts/{project}/{id}")
}
/// A worker engaged on a contract (`-` for the prime's own).
pub fn engagement_key(project: &str, contract: Option<&str>, worker: &Address) -> String {
    format!("engaged/{project}/{}/{worker}", contract.unwrap_or("-"))
}
/// The commitment to the account a worker's wages on a project go to.
pub fn bound_account_key(project: &str, worker: &Address) -> String {
    format!("accounts/{project}/{worker}")
}
pub fn progress_key(project: &str, number: u32) -> String {
    format!("progress/{project}/{number:06}")
}
pub fn guarantee_deadline(project: &str, contract: &str) -> String {
    format!("guarantee/{project}/{contract}")
}
pub fn due_deadline(project: &str, number: u32) -> String {
    format!("due/{project}/{number}")
}
pub fn reminder_deadline(project: &str, number: u32) -> String {
    format!("remind/{project}/{number}")
}
pub fn pass_through_deadline(project: &str, contract: &str, order: u32) -> String {
    format!("pass/{project}/{contract}/{order}")
}

pub fn read<T: serde::de::DeserializeOwned>(state: &dyn StateRead, key: &str) -> Result<Option<T>, ModuleError> {
    read_record(state, key.as_bytes())
}

pub fn write<T: Serialize>(state: &mut dyn StateWrite, key: &str, value: &T) {
    write_record(state, key.as_bytes(), value);
}
