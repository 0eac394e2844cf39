//! The login module's checks and handlers: the council's registry of relying parties.

use dojang_governance::rules::looks_like_personal_identifier;
use dojang_identity::readers;
use dojang_ledger::{ModuleError, Permit, StateRead, StateWrite, TxContext};
use dojang_types::Event;

use crate::events::LoginEvent;
use crate::msg::{LoginMsg, Registration};
use crate::rules::{self, is_plain_id};
use crate::state::{self, RelyingParty, Suspension};

/// The longest reason for a suspension, in characters.
pub const MAX_REASON: usize = 200;

fn invalid(reason: impl Into<String>) -> ModuleError {
    ModuleError::InvalidMessage(reason.into())
}

fn refuse(reason: impl Into<String>) -> ModuleError {
    ModuleError::by_rule(reason.into())
}

fn id(value: &str) -> Result<(), ModuleError> {
    if is_plain_id(value) {
        Ok(())
    } else {
        Err(invalid(format!("relying party id '{value}' must be 1-64 characters of a-z, 0-9, '-', '_', '.'")))
    }
}

fn registration(r: &Registration) -> Result<(), ModuleError> {
    rules::registration_is_well_formed(r).map_err(invalid)?;
    dojang_identity::rules::did_is_valid(&r.provider).map_err(invalid)?;
    if looks_like_personal_identifier(&r.name) {
        return Err(invalid("the name holds an e-mail address or a long number: the ledger keeps none"));
    }
    Ok(())
}

/// The stateless checks and who may send each message: only the council.
pub fn check(msg: &LoginMsg) -> Result<Permit, ModuleError> {
    match msg {
        LoginMsg::RegisterRelyingParty(r) | LoginMsg::UpdateRelyingParty(r) => registration(r)?,
        LoginMsg::SuspendRelyingParty { id: rp, reason } => {
            id(rp)?;
            if reason.trim().is_empty() || reason.chars().count() > MAX_REASON || reason.chars().any(char::is_control) {
                return Err(invalid(format!(
                    "the reason must be 1 to {MAX_REASON} characters without control characters"
                )));
            }
            if looks_like_personal_identifier(reason) {
                return Err(invalid("the reason holds an e-mail address or a long number: the ledger keeps none"));
            }
        }
        LoginMsg::ReinstateRelyingParty { id: rp } => id(rp)?,
    }
    Ok(Permit::Council)
}

/// AUTH-04: the policy that bounds the facility's claims is registered by the facility's
/// login service and not withdrawn, and the service is a registered organisation.
fn policy_belongs_to_provider(state: &dyn StateRead, r: &Registration) -> Result<(), ModuleError> {
    if readers::organisation(state, &r.provider)?.is_none() {
        return Err(refuse(format!("AUTH-04: the login service {} is not a registered organisation", r.provider)));
    }
    for id in std::iter::once(&r.policy).chain(r.guardian_policy.as_ref()) {
        let policy =
            readers::policy(state, id)?.ok_or_else(|| refuse(format!("AUTH-04: policy '{id}' is not registered")))?;
        if policy.verifier != r.provider {
            return Err(refuse(format!(
                "AUTH-04: policy '{id}' belongs to {}, not to the login service {}",
                policy.verifier, r.provider
            )));
        }
        if policy.withdrawn_ms.is_some() {
            return Err(refuse(format!("AUTH-04: policy '{id}' was withdrawn")));
        }
    }
    Ok(())
}

fn existing(state: &dyn StateRead, id: &str) -> Result<RelyingParty, ModuleError> {
    state::read(state, id)?.ok_or_else(|| ModuleError::NotFound(format!("relying party '{id}'")))
}

pub fn execute(ctx: &TxContext, state: &mut dyn StateWrite, msg: LoginMsg) -> Result<Vec<Event>, ModuleError> {
    let event = match msg {
        LoginMsg::RegisterRelyingParty(r) => {
            if state::read(state, &r.id)?.is_some() {
                return Err(refuse(format!("AUTH-04: relying party '{}' is registered already; update it", r.id)));
            }
            policy_belongs_to_provider(state, &r)?;
            let event = LoginEvent::RelyingPartyRegistered {
                id: r.id.clone(),
                provider: r.provider.clone(),
                policy: r.policy.clone(),
            };
            let rp =
                RelyingParty { registration: r, registered_ms: ctx.time_ms, updated_ms: ctx.time_ms, suspended: None };
            state::write(state, &rp);
            event
        }
        LoginMsg::UpdateRelyingParty(r) => {
            let mut rp = existing(state, &r.id)?;
            if rp.registration.provider != r.provider {
                return Err(refuse(format!(
                    "AUTH-04: relying party '{}' is served by {}; register a new one to change its login service",
                    r.id, rp.registration.provider
                )));
            }
            policy_belongs_to_provider(state, &r)?;
            let event = LoginEvent::RelyingPartyUpdated { id: r.id.clone(), policy: r.policy.clone() };
            rp.registration = r;
            rp.updated_ms = ctx.time_ms;
            state::write(state, &rp);
            event
        }
        LoginMsg::SuspendRelyingParty { id, reason } => {
            let mut rp = existing(state, &id)?;
            if rp.suspended.is_some() {
                return Err(refuse(format!("relying party '{id}' is suspended already")));
            }
            rp.suspended = Some(Suspension { at_ms: ctx.time_ms, reason });
            state::write(state, &rp);
            LoginEvent::RelyingPartySuspended { id }
        }
        LoginMsg::ReinstateRelyingParty { id } => {
            let mut rp = existing(state, &id)?;
            if rp.suspended.take().is_none() {
                return Err(refuse(format!("relying party '{id}' is not suspended")));
            }
            state::write(state, &rp);
            LoginEvent::RelyingPartyReinstated { id }
        }
    };
    Ok(vec![Event::typed(&event)])
}
