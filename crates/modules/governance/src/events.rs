//! What the governance module tells the world, as one type: the module emits these and
//! clients (the council's client, explorers) read receipts back into them
//! (`Event::decode::<GovernanceEvent>()`).

use dojang_types::{Address, Date, ModuleEvent};
use serde::{Deserialize, Serialize};

use crate::msg::Role;
use crate::NAME;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum GovernanceEvent {
    /// A member proposed a message; the proposer's approval counts.
    ProposalCreated {
        id: u64,
        by: Address,
        module: String,
        expires_at_ms: u64,
        threshold: u32,
    },
    ProposalApproved {
        id: u64,
        by: Address,
        approvals: u32,
        threshold: u32,
    },
    /// A member voted against.
    ProposalRejectedBy {
        id: u64,
        by: Address,
        rejections: u32,
    },
    /// Rejections put the threshold out of reach: the proposal is closed.
    ProposalRejected {
        id: u64,
    },
    /// The threshold was reached and the message executed in this block.
    ProposalExecuted {
        id: u64,
        module: String,
    },
    /// The threshold was reached but the message's module refused it (`code`).
    ProposalFailed {
        id: u64,
        code: String,
    },
    /// A module or message version switches on at `at_height`.
    ActivationScheduled {
        module: String,
        at_height: u64,
        version: Option<String>,
    },
    ValidatorSet {
        address: Address,
        name: String,
        power: u64,
    },
    ValidatorRemoved {
        address: Address,
        name: String,
        power: u64,
    },
    ValidatorSetChanged {
        validators: u64,
        from_height: u64,
        by: Address,
    },
    CouncilChanged {
        members: u64,
        threshold: u32,
        from_height: u64,
    },
    RoleGranted {
        account: Address,
        role: Role,
        by: Address,
    },
    RoleRevoked {
        account: Address,
        role: Role,
        by: Address,
    },
    ParamSet {
        table: String,
        key: String,
        effective_from: Date,
    },
}

impl ModuleEvent for GovernanceEvent {
    const MODULE: &'static str = NAME;
}

impl GovernanceEvent {
    /// The proposal this event is about, if any.
    pub fn proposal_id(&self) -> Option<u64> {
        match self {
            GovernanceEvent::ProposalCreated { id, .. }
            | GovernanceEvent::ProposalApproved { id, .. }
            | GovernanceEvent::ProposalRejectedBy { id, .. }
            | GovernanceEvent::ProposalRejected { id }
            | GovernanceEvent::ProposalExecuted { id, .. }
            | GovernanceEvent::ProposalFailed { id, .. } => Some(*id),
            _ => None,
        }
    }
}
