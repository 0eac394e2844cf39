//! Citizen-card login (DOMAIN.md §5, rules AUTH-01..09): the registry of relying parties.
//!
//! A facility (a library, a pool, a district office) becomes a relying party when the council
//! registers it: the OpenID Connect `client_id` its software uses, the name citizens see, its
//! exact redirect URIs, the login service that asks on its behalf, the verification policy
//! (registered by that service) that bounds every claim it may ask (AUTH-04), the actions it
//! offers with the assurance level each needs (AUTH-07) and how old a residency credential may
//! be (AUTH-08). Wallets and the login service read a registration with a proof and refuse
//! what it does not allow. The council can suspend a facility; no login completes while it is.
//!
//! The rules ([`rules`]) are pure functions; the login service (`dojang-login-service`)
//! applies the per-login ones.

pub mod events;
pub mod exec;
pub mod msg;
pub mod query;
pub mod rules;
pub mod state;

use dojang_ledger::{ModuleError, NoGenesis, Permit, StateRead, StateWrite, TxContext, TypedModule};
use dojang_types::Event;

pub use msg::{Action, ActionKind, Level, LoginMsg, Registration, ACR_PREFIX};
pub use state::{relying_party_state_key, RelyingParty};

pub const NAME: &str = "login";

impl dojang_types::ModuleMessage for LoginMsg {
    const MODULE: &'static str = NAME;
}

/// The login module as the ledger runs it.
#[derive(Debug, Default)]
pub struct Login;

impl TypedModule for Login {
    const NAME: &'static str = NAME;
    type Msg = LoginMsg;
    type Genesis = NoGenesis;
    /// A running chain gains it by the council's activation.
    const NEEDS_ACTIVATION: bool = true;

    fn init_genesis(&self, _state: &mut dyn StateWrite, _genesis: NoGenesis) -> Result<(), ModuleError> {
        Ok(())
    }

    fn check(&self, msg: &LoginMsg) -> Result<Permit, ModuleError> {
        exec::check(msg)
    }

    fn execute(&self, ctx: &TxContext, state: &mut dyn StateWrite, msg: LoginMsg) -> Result<Vec<Event>, ModuleError> {
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
