//! Governance: the council of agencies that decides changes by proposals, who may do what
//! (roles granted and revoked by the council) and the legal figures
//! rules depend on (versioned parameter tables, read by the version in force on a date).
//! It is the first module and the model for all others: `msg` (what users ask), `state`
//! (what it remembers), `rules` (pure checks named by rule id), `exec` (handlers), `query`.

pub mod council;
pub mod events;
pub mod exec;
pub mod msg;
pub mod proposal;
pub mod query;
pub mod readers;
pub mod rules;
pub mod state;
pub mod views;

use dojang_ledger::{Authority, ModuleError, Permit, StateRead, StateWrite, TxContext, TypedModule};
use dojang_types::{Address, Event};

pub use council::council_account;
pub use events::GovernanceEvent;
pub use msg::{CouncilSpec, GenesisSection, GovernanceMsg, ParamValue, ProposedMsg, Role};

/// The module's routing name and state prefix.
pub const NAME: &str = "governance";

impl dojang_types::ModuleMessage for GovernanceMsg {
    const MODULE: &'static str = NAME;
}

/// The governance module.
#[derive(Debug, Default)]
pub struct Governance;

impl TypedModule for Governance {
    const NAME: &'static str = NAME;
    type Msg = GovernanceMsg;
    type Genesis = GenesisSection;
    /// Proposals carry the message the council would execute.
    const CARRIES_MESSAGES: bool = true;

    fn init_genesis(&self, state: &mut dyn StateWrite, genesis: GenesisSection) -> Result<(), ModuleError> {
        exec::init_genesis(state, genesis)
    }

    fn check(&self, msg: &GovernanceMsg) -> Result<Permit, ModuleError> {
        exec::check(msg)
    }

    fn carried_messages(&self, msg: &GovernanceMsg) -> Vec<(String, Vec<u8>)> {
        match msg {
            GovernanceMsg::Propose { proposal, .. } => {
                vec![(proposal.module.clone(), serde_json::to_vec(&proposal.msg).unwrap_or_default())]
            }
            _ => Vec::new(),
        }
    }

    fn execute(
        &self,
        ctx: &TxContext,
        state: &mut dyn StateWrite,
        msg: GovernanceMsg,
    ) -> Result<Vec<Event>, ModuleError> {
        exec::execute(ctx, state, msg)
    }

    fn query(
        &self,
        state: &dyn StateRead,
        path: &str,
        params: &serde_json::Value,
    ) -> Result<serde_json::Value, ModuleError> {
        query::query(state, path, params)
    }
}

/// Governance is the chain's authority: roles are its account records, and passed proposals
/// speak as the council's account.
impl Authority for Governance {
    fn module(&self) -> &'static str {
        NAME
    }

    fn is_council_member(&self, state: &dyn StateRead, account: &Address) -> Result<bool, ModuleError> {
        council::is_member_now(state, account)
    }

    fn roles_of(&self, state: &dyn StateRead, account: &Address) -> Result<Vec<&'static str>, ModuleError> {
        Ok(state::roles_of(state, account)?.into_iter().map(|r| r.as_str()).collect())
    }

    fn council_account(&self) -> Address {
        council::council_account()
    }
}
