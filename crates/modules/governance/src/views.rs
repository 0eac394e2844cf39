//! The governance queries a client can ask, each with the type of its answer. `query.rs` builds
//! its answers from these same types, so the SDK's `Client::ask` and the module cannot drift.

use std::collections::BTreeMap;

use dojang_types::{Address, Date, ModuleQuery};
use serde::{Deserialize, Serialize};

use crate::msg::{ProposedMsg, Role};
use crate::proposal::Status;
use crate::state::{ParamVersion, RoleGrant};
use crate::NAME;

/// The council that decides the next block, and a change staged for later.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CouncilView {
    /// The account proposals execute as.
    pub account: Address,
    pub members: Vec<Address>,
    pub threshold: u32,
    pub min_members: u32,
    pub next: Option<StagedCouncil>,
}

/// A council change that takes effect at `from_height`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StagedCouncil {
    pub from_height: u64,
    pub members: Vec<Address>,
    pub threshold: u32,
}

/// One proposal and where it stands.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ProposalView {
    pub id: u64,
    /// `open`, `expired`, `executed`, `failed` or `rejected` as of the last block.
    pub status: String,
    /// The stored outcome (an expired proposal is still `open` here).
    pub outcome: Status,
    pub proposer: Address,
    pub proposal: ProposedMsg,
    pub reason: String,
    pub expires_at_ms: u64,
    pub height: u64,
    pub time_ms: u64,
    /// Approving members and the height of each approval.
    pub approvals: BTreeMap<Address, u64>,
    pub rejections: BTreeMap<Address, u64>,
}

/// A page of proposals.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ProposalList {
    pub proposals: Vec<ProposalView>,
}

/// An account's roles.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccountView {
    pub address: Address,
    pub roles: BTreeMap<Role, RoleGrant>,
    pub label: String,
}

/// The version of a parameter in force on a date.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ParamInForce {
    pub table: String,
    pub key: String,
    pub as_of: Date,
    pub version: ParamVersion,
}

/// `council`.
pub struct CouncilQuery;

impl ModuleQuery for CouncilQuery {
    const MODULE: &'static str = NAME;
    type Answer = CouncilView;
    fn path(&self) -> String {
        "council".into()
    }
}

/// `proposal/<id>`.
pub struct ProposalQuery(pub u64);

impl ModuleQuery for ProposalQuery {
    const MODULE: &'static str = NAME;
    type Answer = ProposalView;
    fn path(&self) -> String {
        format!("proposal/{}", self.0)
    }
}

/// `proposals`: newest first, or only the open ones (soonest to expire first).
pub struct ProposalsQuery {
    pub open_only: bool,
    pub limit: u32,
}

impl ModuleQuery for ProposalsQuery {
    const MODULE: &'static str = NAME;
    type Answer = ProposalList;
    fn path(&self) -> String {
        "proposals".into()
    }
    fn params(&self) -> Vec<(&'static str, String)> {
        let mut p = vec![("limit", self.limit.to_string())];
        if self.open_only {
            p.push(("open", "true".into()));
        }
        p
    }
}

/// `account/<address>`.
pub struct AccountQuery(pub Address);

impl ModuleQuery for AccountQuery {
    const MODULE: &'static str = NAME;
    type Answer = AccountView;
    fn path(&self) -> String {
        format!("account/{}", self.0)
    }
}

/// `param/<table>/<key>?as_of=<date>`.
pub struct ParamQuery {
    pub table: String,
    pub key: String,
    pub as_of: Date,
}

impl ModuleQuery for ParamQuery {
    const MODULE: &'static str = NAME;
    type Answer = ParamInForce;
    fn path(&self) -> String {
        format!("param/{}/{}", self.table, self.key)
    }
    fn params(&self) -> Vec<(&'static str, String)> {
        vec![("as_of", self.as_of.to_string())]
    }
}
