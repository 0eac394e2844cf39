//! The payments queries a client can ask, each with the type of its answer.

use dojang_types::{record_query, Address, Hash, ModuleQuery};
use serde::{Deserialize, Serialize};

use crate::state::{self, Bank, Contract, Officer, Progress, Project};
use crate::NAME;

record_query!(
    /// `project/<id>`: a project, its prime and what is contracted under it.
    ProjectQuery { id: String } => Project, format!("project/{id}"), state::project_key(id)
);
record_query!(
    /// `contract/<project>/<id>`: a contract with its guarantee, missed instalments, direct
    /// payment, interest and change orders owed.
    ContractQuery { project: String, id: String } => Contract, format!("contract/{project}/{id}"), state::contract_key(project, id)
);
record_query!(
    /// `progress/<project>/<number>`: a progress payment, its approvals and its lines.
    ProgressQuery { project: String, number: u32 } => Progress, format!("progress/{project}/{number}"), state::progress_key(project, *number)
);
record_query!(
    /// `account/<project>/<worker>`: the commitment to the account a worker bound, which the
    /// bank opens.
    BoundAccountQuery { project: String, worker: Address } => Hash, format!("account/{project}/{worker}"), state::bound_account_key(project, worker)
);
record_query!(
    /// `officer/<address>`: an ordering officer and the department.
    OfficerQuery { account: Address } => Officer, format!("officer/{account}"), state::officer_key(account)
);
record_query!(
    /// `bank/<address>`: the partner bank.
    BankQuery { account: Address } => Bank, format!("bank/{account}"), state::bank_key(account)
);

/// `reconciliation/<project>/<number>`: where an instruction's lines stand.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Reconciliation {
    pub number: u32,
    pub lines: u32,
    pub confirmed: u32,
    pub confirmed_krw: u64,
    pub interest_krw: u64,
    /// Lines the bank rejected, escalated until sent again.
    pub escalated: Vec<u32>,
    pub pending: Vec<u32>,
    /// Lines whose due day passed unpaid.
    pub missed: Vec<u32>,
}

pub struct ReconciliationQuery {
    pub project: String,
    pub number: u32,
}

impl ModuleQuery for ReconciliationQuery {
    const MODULE: &'static str = NAME;
    type Answer = Reconciliation;
    fn path(&self) -> String {
        format!("reconciliation/{}/{}", self.project, self.number)
    }
}
