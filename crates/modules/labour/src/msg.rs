//! The labour module's messages. Each names a contract by a random 32-hex id and carries only
//! salted commitments, dates and accounts: the terms, the timesheets, names and wages stay in
//! the private collection of the employer, the worker, COMWEL and the district labour office.

use dojang_types::{Address, Date, Hash};
use serde::{Deserialize, Serialize};

/// A statutory deadline the engine puts on chain for a contract (LAB-08, LAB-09).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub enum DeadlineKind {
    /// The acquisition report of one insurance (`industrial_accident`, `employment`, `pension`,
    /// `health`).
    InsuranceReport { insurance: String },
    /// A month's wages (the month's last day).
    WagePayment { month_end: Date },
    /// The final pay after the contract ends.
    FinalPay,
}

/// As JSON: `{"type": "register", "contract": "<32 hex>", "worker": "dj…", "commitment": "<64 hex>",
/// "starts": "2026-01-05", "ends": "2026-06-30"}`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case", deny_unknown_fields)]
pub enum LabourMsg {
    /// The small-business federation (an issuer) vouches for an employer's account (CON-02).
    VouchEmployer { employer: Address },
    /// The federation withdraws it: no new contracts from that account.
    WithdrawEmployer { employer: Address },
    /// A vouched employer registers a contract: its first version's commitment, the worker's
    /// pseudonymous account for this contract, the period (CON-01, CON-02).
    Register {
        contract: String,
        worker: Address,
        commitment: Hash,
        starts: Date,
        #[serde(default)]
        ends: Option<Date>,
    },
    /// The worker signs the version whose commitment they saw; this is also the receipt of
    /// their copy (LSA art. 17) (CON-03).
    Sign { contract: String, version: u32, commitment: Hash },
    /// The employer amends: a new version, in force once the worker signs it (CON-04).
    Amend {
        contract: String,
        commitment: Hash,
        #[serde(default)]
        ends: Option<Date>,
    },
    /// Either party ends the contract on `ends`; the final pay falls due (CON-05).
    Terminate { contract: String, ends: Date },
    /// The employer commits a week's timesheet (its Monday) (CON-06).
    Timesheet { contract: String, monday: Date, commitment: Hash },
    /// The worker confirms or disputes a week's timesheet, once (CON-06).
    ConfirmTimesheet { contract: String, monday: Date, agree: bool },
    /// The employer or the labour office puts a statutory deadline on chain (CON-07).
    SetDeadline { contract: String, deadline: DeadlineKind, due: Date },
    /// The employer or the labour office records that a deadline was met (CON-07).
    MeetDeadline { contract: String, deadline: DeadlineKind },
}

impl LabourMsg {
    /// The contract a message acts on; `None` for the federation's messages about employers.
    pub fn contract(&self) -> Option<&str> {
        match self {
            LabourMsg::Register { contract, .. }
            | LabourMsg::Sign { contract, .. }
            | LabourMsg::Amend { contract, .. }
            | LabourMsg::Terminate { contract, .. }
            | LabourMsg::Timesheet { contract, .. }
            | LabourMsg::ConfirmTimesheet { contract, .. }
            | LabourMsg::SetDeadline { contract, .. }
            | LabourMsg::MeetDeadline { contract, .. } => Some(contract),
            LabourMsg::VouchEmployer { .. } | LabourMsg::WithdrawEmployer { .. } => None,
        }
    }
}
