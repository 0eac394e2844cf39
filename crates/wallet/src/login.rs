//! Answering a login request from the city's login service (AUTH-03, AUTH-04, AUTH-06). On top
//! of every check a presentation request gets ([`crate::check_signed_request`]), the wallet
//! reads the facility's registration from the chain and refuses when the facility is not
//! registered, is suspended, is served by another login service, or is asked for under any
//! policy but its own: a login service cannot borrow a generous facility's policy to ask for
//! a library login. The history then names the facility, not only the login service.

use dojang_credentials::TrustView;
use dojang_login::RelyingParty;
use serde_json::Value;

use crate::request::{check_signed_request, RequestError, VerifiedRequest};
use crate::store::Contents;

/// A login request that passed every check.
#[derive(Debug, Clone)]
pub struct LoginRequest {
    pub request: VerifiedRequest,
    pub facility: RelyingParty,
}

/// The facility a login request names (`relying_party`), unverified: what to read from the
/// chain before [`check_login_request`].
pub fn named_facility(jwt: &str) -> Option<String> {
    let jws = dojang_credentials::jose::Jws::parse(jwt.trim()).ok()?;
    jws.payload.get("relying_party").and_then(Value::as_str).map(str::to_string)
}

/// Checks a login request against the chain's view (`trust`, loaded with the login service's
/// keys and the cited policy) and the facility's registration as read from the chain
/// (`facility`, `None` when it is not registered).
pub fn check_login_request(
    jwt: &str,
    trust: &dyn TrustView,
    facility: Option<RelyingParty>,
    now: u64,
) -> Result<LoginRequest, RequestError> {
    let request = check_signed_request(jwt, trust, now)?;
    let named = named_facility(jwt).ok_or(RequestError::Missing("relying_party"))?;
    let refuse = |why: String| Err(RequestError::Policy(why));
    let Some(facility) = facility.filter(|f| f.registration.id == named) else {
        return refuse(format!("AUTH-04: '{named}' is not a facility registered for citizen login"));
    };
    let reg = &facility.registration;
    if let Some(s) = &facility.suspended {
        return refuse(format!("the council has suspended '{}': {}", reg.name, s.reason));
    }
    if reg.provider != request.request.client_id {
        return refuse(format!(
            "AUTH-04: '{}' logs in through {}, but the request comes from {}",
            reg.name, reg.provider, request.request.client_id
        ));
    }
    if reg.policy != request.request.policy {
        return refuse(format!(
            "AUTH-04: '{}' is registered with policy '{}', but the request cites '{}'",
            reg.name, reg.policy, request.request.policy
        ));
    }
    Ok(LoginRequest { request, facility })
}

/// Names the facility in the history entries an answer to `login` just wrote (AUTH-06).
pub fn record_login(wallet: &mut Contents, login: &LoginRequest, entries: usize) {
    let start = wallet.history.len().saturating_sub(entries);
    for d in &mut wallet.history[start..] {
        d.facility = Some(login.facility.registration.name.clone());
    }
}
