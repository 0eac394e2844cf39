//! Identity: the trust layer of paperless eligibility checks (docs/credentials.md). Organisations
//! (did:web names) with the history of their keys, the trusted-issuer registry (root → agency
//! → credential type), the credential-type registry, status-list anchors, and the
//! verification-policy registry that says what each program office may ask.
//!
//! Everything here is about organisations; nothing is about a person (docs/architecture.md, personal data). Writers
//! are the roles governance grants: issuers and verifiers register their organisations, the
//! root's controller accredits, issuers anchor lists, verifiers register policies.

pub mod events;
pub mod exec;
pub mod msg;
pub mod query;
pub mod rules;
pub mod state;
pub mod views;

use dojang_ledger::{ModuleError, NoGenesis, Permit, StateRead, StateWrite, TxContext, TypedModule};
use dojang_types::Event;

pub use msg::IdentityMsg;

pub const NAME: &str = "identity";

impl dojang_types::ModuleMessage for IdentityMsg {
    const MODULE: &'static str = NAME;
}

#[derive(Debug, Default)]
pub struct Identity;

impl TypedModule for Identity {
    const NAME: &'static str = NAME;
    type Msg = IdentityMsg;
    /// Organisations register by transaction; the section may be absent or empty.
    type Genesis = NoGenesis;

    fn init_genesis(&self, _state: &mut dyn StateWrite, _genesis: NoGenesis) -> Result<(), ModuleError> {
        Ok(())
    }

    fn check(&self, msg: &IdentityMsg) -> Result<Permit, ModuleError> {
        exec::check(msg)
    }

    fn execute(
        &self,
        ctx: &TxContext,
        state: &mut dyn StateWrite,
        msg: IdentityMsg,
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

/// Typed readers for other modules: the registries, read through the ledger's read-only door,
/// so no other module knows this one's keys or decodes its records by hand.
pub mod readers {
    use dojang_ledger::{read_module_record, ModuleError, StateRead};

    use crate::state::{org_key, policy_key, OrgRecord, PolicyRecord};

    /// A registered organisation.
    pub fn organisation(state: &dyn StateRead, did: &str) -> Result<Option<OrgRecord>, ModuleError> {
        read_module_record(state, crate::NAME, org_key(did).as_bytes())
    }

    /// A registered verification policy (withdrawn ones included; check `withdrawn_ms`).
    pub fn policy(state: &dyn StateRead, id: &str) -> Result<Option<PolicyRecord>, ModuleError> {
        read_module_record(state, crate::NAME, policy_key(id).as_bytes())
    }
}
