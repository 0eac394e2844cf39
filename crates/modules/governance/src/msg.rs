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

/// Governance messages, as JSON: `{"type": "grant_role", "account": "dj…", "role": "issuer"}`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case", deny_unknown_fields)]
pub enum GovernanceMsg {
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
        value: serde_json::Value,
        /// The statute or notice that sets the figure, e.g. "Minimum Wage Notice 2025-1".
        legal_basis: String,
    },
    /// Changes the validator set from the next height: adds a validator, changes its power, or
    /// removes it (power 0). Several updates in one message apply together, so a chain can go
    /// from 1 to 4 validators in one step without passing through 2 or 3.
    UpdateValidators {
        updates: Vec<ValidatorUpdate>,
    },
}

/// The governance section of the genesis file.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GenesisSection {
    #[serde(default)]
    pub accounts: Vec<GenesisAccount>,
    #[serde(default)]
    pub params: Vec<GenesisParam>,
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
    pub value: serde_json::Value,
    pub legal_basis: String,
}
