//! What the labour module tells the world: contract ids, accounts, versions, dates and
//! deadlines, never a term of the contract.

use dojang_types::{Address, Date, Hash, ModuleEvent};
use serde::{Deserialize, Serialize};

use crate::msg::DeadlineKind;
use crate::NAME;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LabourEvent {
    EmployerVouched {
        employer: Address,
        by: Address,
    },
    EmployerWithdrawn {
        employer: Address,
    },
    Registered {
        contract: String,
        employer: Address,
        worker: Address,
        commitment: Hash,
    },
    /// The worker signed `version`: their copy was delivered (LSA art. 17).
    Signed {
        contract: String,
        version: u32,
        commitment: Hash,
    },
    Amended {
        contract: String,
        version: u32,
        commitment: Hash,
    },
    Terminated {
        contract: String,
        ends: Date,
        final_pay_due: Date,
    },
    TimesheetCommitted {
        contract: String,
        monday: Date,
        commitment: Hash,
    },
    TimesheetConfirmed {
        contract: String,
        monday: Date,
        agree: bool,
    },
    DeadlineSet {
        contract: String,
        deadline: DeadlineKind,
        due: Date,
    },
    DeadlineMet {
        contract: String,
        deadline: DeadlineKind,
        late: bool,
    },
    /// A deadline is near (the alert days before it): both parties are told.
    DeadlineNear {
        contract: String,
        deadline: DeadlineKind,
        due: Date,
    },
    /// A deadline passed unmet.
    DeadlineMissed {
        contract: String,
        deadline: DeadlineKind,
        due: Date,
    },
}

impl ModuleEvent for LabourEvent {
    const MODULE: &'static str = NAME;
}
