//! Identity: the trust layer of paperless eligibility checks (docs/credentials.md). Organisations
//! (did:web names) with the history of their keys, the trusted-issuer registry (root → agency
//! → credential type), the credential-type registry, status-list anchors, and the
//! verification-policy registry that says what each program office may ask.
//!
//! Everything here is about organisations; nothing is about a person (docs/architecture.md, personal data). Writers
//! are the roles governance grants: issuers and verifiers register their organisations, the
//! root's controller accredits, issuers anchor lists, verifiers register policies.

pub mod exec;
pub mod msg;
pub mod query;
pub mod rules;
pub mod state;

use dojang_ledger::{Module, ModuleError, Permit, StateRead, StateWrite, TxContext};
use dojang_types::Event;

pub use msg::IdentityMsg;

pub const NAME: &str = "identity";

#[derive(Debug, Default)]
pub struct Identity;

impl Module for Identity {
    fn name(&self) -> &'static str {
        NAME
    }

    fn init_genesis(&self, _state: &mut dyn StateWrite, genesis: &serde_json::Value) -> Result<(), ModuleError> {
        if genesis.is_null() {
            Ok(())
        } else {
            Err(ModuleError::InvalidMessage(
                "the identity module takes no genesis section: organisations register by transaction".into(),
            ))
        }
    }

    fn check(&self, msg: &[u8]) -> Result<Permit, ModuleError> {
        exec::check(&decode(msg)?)
    }

    fn execute(&self, ctx: &TxContext, state: &mut dyn StateWrite, msg: &[u8]) -> Result<Vec<Event>, ModuleError> {
        exec::execute(ctx, state, decode(msg)?)
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

fn decode(msg: &[u8]) -> Result<IdentityMsg, ModuleError> {
    serde_json::from_slice(msg).map_err(|e| ModuleError::InvalidMessage(e.to_string()))
}
