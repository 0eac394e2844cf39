use dojang_ledger::ValidatorUpdate;
use dojang_types::{Address, Date};
use serde::{Deserialize, Serialize};

/// What an account may be trusted to do. Roles are granted by admins and checked by modules.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// Grants and revokes roles, edits parameter tables.
    Admin,
    /// Runs infrastructure: validators, observers.
    Operator,
    /// An agency that issues credentials and publishes status lists.
    Issuer,
    /// A program office that checks credentials and records decisions.
    Verifier,
    /// Reads and attests; may anchor audit results.
    Auditor,
}

impl Role {
    pub const ALL: [Role; 5] = [Role::Admin, Role::Operator, Role::Issuer, Role::Verifier, Role::Auditor];

    pub fn as_str(&self) -> &'static str {
        match self {
            Role::Admin => "admin",
            Role::Operator => "operator",
            Role::Issuer => "issuer",
            Role::Verifier => "verifier",
            Role::Auditor => "auditor",
        }
    }

    pub fn parse(s: &str) -> Option<Role> {
        Role::ALL.into_iter().find(|r| r.as_str() == s)
    }
}

/// A parameter's value, typed: money in integer KRW, rates in basis points, periods in days,
/// dates, counts, switches. Floats and free JSON are refused when the message is decoded, so a
/// rule never reads `15.5` where it expected a rate, and no value can smuggle a document onto
/// the ledger. As JSON: `{"krw": 10320}`, `{"basis_points": 1550}`, `{"date": "2026-01-01"}`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
pub enum ParamValue {
    Krw(u64),
    BasisPoints(u32),
    Days(u32),
    Hours(u32),
    Count(u64),
    Date(Date),
    Bool(bool),
}

/// The message a proposal would execute, exactly as it would be sent: a module and its JSON.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProposedMsg {
    pub module: String,
    pub msg: serde_json::Value,
}

impl ProposedMsg {
    /// The typed message of any module, as a proposal carries it.
    pub fn of<M: dojang_types::ModuleMessage>(msg: &M) -> ProposedMsg {
        ProposedMsg {
            module: M::MODULE.to_string(),
            msg: serde_json::to_value(msg).expect("module messages serialize to JSON"),
        }
    }
}

impl GovernanceMsg {
    /// A proposal that the council execute `msg` (any module's typed message).
    pub fn propose<M: dojang_types::ModuleMessage>(msg: &M, reason: &str, expires_at_ms: u64) -> GovernanceMsg {
        GovernanceMsg::Propose { proposal: ProposedMsg::of(msg), reason: reason.to_string(), expires_at_ms }
    }
}

/// The governing council: member accounts (agencies) and how many must approve.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CouncilSpec {
    pub members: Vec<Address>,
    pub threshold: u32,
}

/// Governance messages, as JSON: `{"type": "propose", "proposal": {"module": "governance",
/// "msg": {"type": "grant_role", …}}, "reason": "…", "expires_at_ms": …}`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case", deny_unknown_fields)]
pub enum GovernanceMsg {
    /// A council member proposes a message for the council to execute; the proposer's
    /// approval counts.
    Propose {
        proposal: ProposedMsg,
        /// Why, for the record (plain text, no personal data).
        reason: String,
        /// Chain time after which the proposal can no longer pass.
        expires_at_ms: u64,
    },
    /// A council member approves; at the threshold the message executes in this block.
    Approve {
        id: u64,
    },
    /// A council member rejects; once the threshold can no longer be reached, the proposal
    /// is closed as rejected.
    Reject {
        id: u64,
    },
    /// Replaces the council (council only). Applies from the next block.
    SetCouncil {
        council: CouncilSpec,
    },
    GrantRole {
        account: Address,
        role: Role,
    },
    RevokeRole {
        account: Address,
        role: Role,
    },
    /// Adds a version of a parameter taking effect on `effective_from` (Korean date).
    SetParam {
        table: String,
        key: String,
        effective_from: Date,
        value: ParamValue,
        /// The statute or notice that sets the figure, e.g. "Minimum Wage Notice 2025-1".
        legal_basis: String,
    },
    /// Changes the validator set from the next height: adds a validator, changes its power, or
    /// removes it (power 0). Several updates in one message apply together, so a chain can go
    /// from 1 to 4 validators in one step without passing through 2 or 3.
    UpdateValidators {
        updates: Vec<ValidatorUpdate>,
    },
    /// Switches on, from `at_height`, a module a release added to the running chain, or one
    /// message version of a module (GOV-16). Every validator must run that release first.
    Activate {
        module: String,
        #[serde(default)]
        version: Option<String>,
        at_height: u64,
    },
}

/// The governance section of the genesis file.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GenesisSection {
    /// The governing council. Required: a chain without one could never change its rules.
    pub council: Option<GenesisCouncil>,
    #[serde(default)]
    pub accounts: Vec<GenesisAccount>,
    #[serde(default)]
    pub params: Vec<GenesisParam>,
}

/// The council named by genesis, and the smallest council it may ever shrink to.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GenesisCouncil {
    pub members: Vec<Address>,
    pub threshold: u32,
    /// Below this many members the council may not go (GOV-11); 3 unless genesis says
    /// otherwise (a development chain has a council of one).
    #[serde(default = "default_min_members")]
    pub min_members: u32,
}

fn default_min_members() -> u32 {
    3
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GenesisAccount {
    pub address: Address,
    pub roles: Vec<Role>,
    /// What the account is for (e.g. "city IT admin"); must not be a person's name.
    #[serde(default)]
    pub label: String,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GenesisParam {
    pub table: String,
    pub key: String,
    pub effective_from: Date,
    pub value: ParamValue,
    pub legal_basis: String,
}
