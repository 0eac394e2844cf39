//! What the payments module tells the world: contractors and workers by address, amounts of
//! parts and contracts (public money), never a worker's wage.

use dojang_types::{Address, Date, Hash, ModuleEvent};
use serde::{Deserialize, Serialize};

use crate::rules::DirectCause;
use crate::NAME;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PaymentsEvent {
    OfficerAppointed {
        account: Address,
        department: String,
    },
    OfficerDismissed {
        account: Address,
    },
    BankAppointed {
        account: Address,
    },
    ProjectRegistered {
        project: String,
        prime: Address,
        amount_krw: u64,
    },
    ContractRegistered {
        project: String,
        contract: String,
        contractor: Address,
        amount_krw: u64,
        guarantee_by: Option<Date>,
    },
    GuaranteeGiven {
        project: String,
        contract: String,
    },
    /// PAY-05: the guarantee was not given by its day.
    GuaranteeMissed {
        project: String,
        contract: String,
        by: Date,
    },
    WorkerEngaged {
        project: String,
        contract: Option<String>,
        worker: Address,
    },
    AccountBound {
        project: String,
        worker: Address,
    },
    ProgressSubmitted {
        project: String,
        number: u32,
        approved_krw: u64,
    },
    Approved {
        project: String,
        number: u32,
        by: Address,
    },
    /// The instruction went to the bank, `lines` lines.
    Instructed {
        project: String,
        number: u32,
        instruction: Hash,
        lines: u32,
    },
    LineConfirmed {
        project: String,
        number: u32,
        line: u32,
        value_date: Date,
        late_days: u32,
        interest_krw: u64,
    },
    /// The bank refused a line: escalated until the prime sends it again.
    LineRejected {
        project: String,
        number: u32,
        line: u32,
        code: String,
    },
    LineResent {
        project: String,
        number: u32,
        line: u32,
    },
    /// A line falls due in a few days and is unpaid.
    PaymentDueSoon {
        project: String,
        number: u32,
        line: u32,
        due: Date,
    },
    /// A line's due day passed unpaid (an instalment missed for its contract).
    PaymentMissed {
        project: String,
        number: u32,
        line: u32,
        due: Date,
        contract: Option<String>,
    },
    /// PAY-06: the owner pays this contract directly from its next payment.
    DirectPaymentTriggered {
        project: String,
        contract: String,
        cause: DirectCause,
    },
    ChangeOrdered {
        project: String,
        order: u32,
        increase_krw: u64,
    },
    /// PAY-09: a contract under the prime must grow by `increase_krw` by `by`.
    PassThroughDue {
        project: String,
        contract: String,
        order: u32,
        increase_krw: u64,
        by: Date,
    },
    ContractAmended {
        project: String,
        contract: String,
        increase_krw: u64,
    },
    /// PAY-09: a change order's share was not passed through by its day.
    PassThroughMissed {
        project: String,
        contract: String,
        order: u32,
        increase_krw: u64,
    },
}

impl ModuleEvent for PaymentsEvent {
    const MODULE: &'static str = NAME;
}
