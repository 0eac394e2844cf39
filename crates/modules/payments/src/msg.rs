//! What may be asked of the payments module. Money is whole KRW. No message carries a
//! worker's name, bank account number or wage: a worker is a wallet address, their account a
//! salted commitment the bank opens, and a labour part's per-worker amounts travel to the bank
//! off chain under a salted commitment (docs/decisions/0025).

use dojang_types::{Address, Date, Hash};
use serde::{Deserialize, Serialize};

/// What a contract under the prime supplies.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ContractKind {
    Subcontract,
    Equipment,
    Material,
}

/// What one part of a progress payment pays for (PAY-07).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PartKind {
    /// Wages, paid only into the workers' own accounts.
    Labour,
    Equipment,
    Material,
    /// A subcontractor's share of the work.
    Subcontract,
    /// Retirement mutual-aid contributions for the period's worker-days (PAY-11).
    MutualAid,
    /// Late interest owed to the contractor (PAY-03).
    Interest,
}

/// How a part is paid. Only a transfer is cash; a promissory note lowers the cash share
/// (PAY-04), and goods instead of money are never allowed (PAY-10).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Method {
    Transfer,
    Note,
    InKind,
}

/// One part of a progress payment's split: for the prime itself (`contract` absent) or for
/// one contract of the tree.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Part {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub contract: Option<String>,
    pub kind: PartKind,
    pub krw: u64,
    pub method: Method,
    /// Labour: the workers paid (at least [`crate::exec::MIN_CREW`], so the total is no one's
    /// wage), each engaged on this contract with an account bound.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub workers: Vec<Address>,
    /// Labour: the salted commitment to the per-worker amounts the bank receives off chain.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lines: Option<Hash>,
    /// Mutual aid: the worker-days of the period it pays for (PAY-11).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub worker_days: Option<u64>,
}

/// What the bank says of one line of an instruction.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "outcome", rename_all = "snake_case", deny_unknown_fields)]
pub enum Outcome {
    /// Paid, with the value date.
    Confirmed { value_date: Date },
    /// Not paid: the bank's reason code (`account_closed`, `name_mismatch`, ...).
    Rejected { code: String },
}

/// The bank's answer on one line of an instruction, for the attempt it answers (a line sent
/// again is a new attempt; an answer on an older attempt changes nothing).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Answer {
    pub line: u32,
    #[serde(default = "first_attempt")]
    pub attempt: u32,
    pub outcome: Outcome,
}

pub fn first_attempt() -> u32 {
    1
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case", deny_unknown_fields)]
pub enum PaymentsMsg {
    /// The council appoints an officer of an ordering department: two officers approve each
    /// progress payment.
    AppointOfficer {
        account: Address,
        department: String,
    },
    DismissOfficer {
        account: Address,
    },
    /// The council appoints the partner bank, whose account alone reports on instructions.
    AppointBank {
        account: Address,
        name: String,
    },
    /// An officer registers a public-works project with its prime contractor.
    RegisterProject {
        id: String,
        name: String,
        prime: Address,
        amount_krw: u64,
        signed: Date,
    },
    /// A contractor registers a contract under its own: the prime under the project
    /// (`parent` absent), a subcontractor under its subcontract. Over the threshold, a payment
    /// guarantee falls due (PAY-05).
    RegisterContract {
        project: String,
        id: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        parent: Option<String>,
        contractor: Address,
        kind: ContractKind,
        amount_krw: u64,
        signed: Date,
        /// The agreed days from receipt of the work to payment (PAY-01 caps them).
        agreed_days: u32,
    },
    /// The contract's payer records the payment guarantee it gave (its guarantor's reference).
    GiveGuarantee {
        project: String,
        contract: String,
        reference: Hash,
    },
    /// A contractor engages a worker on its contract (the worker's wallet address); the prime
    /// engages its own workers with `contract` absent.
    EngageWorker {
        project: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        contract: Option<String>,
        worker: Address,
    },
    /// The worker binds the bank account wages go to: a salted commitment, opened to the bank
    /// with the account number; the worker's own signature is the proof it is theirs.
    BindAccount {
        project: String,
        account: Hash,
    },
    /// The prime submits a progress payment's split (PAY-07) for work received on `received`.
    SubmitProgress {
        project: String,
        number: u32,
        approved_krw: u64,
        received: Date,
        parts: Vec<Part>,
    },
    /// An officer of the project's department approves a progress payment; the second
    /// officer's approval issues the instruction to the bank.
    Approve {
        project: String,
        number: u32,
    },
    /// The bank's statement on an instruction: its answer on each line it reports. The same
    /// answer again changes nothing; a statement with one answer the chain cannot take is
    /// refused whole.
    Report {
        project: String,
        number: u32,
        answers: Vec<Answer>,
    },
    /// The prime sends a rejected line again once its cause is fixed (a worker bound a new
    /// account, say).
    Resend {
        project: String,
        number: u32,
        line: u32,
    },
    /// An officer records a change order raising the prime contract (PAY-09): each contract
    /// under the prime must grow in the same ratio within the days the law allows.
    ChangeOrder {
        project: String,
        increase_krw: u64,
        on: Date,
    },
    /// A contractor raises a contract under it, for a change order passed through (PAY-09).
    AmendContract {
        project: String,
        contract: String,
        increase_krw: u64,
    },
    /// An officer records that a contractor is insolvent, or that the three parties agreed
    /// to direct payment (PAY-06).
    RecordCause {
        project: String,
        contract: String,
        cause: RecordedCause,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RecordedCause {
    Insolvency,
    ThreePartyAgreement,
}
