//! Answering a login request from the city's login service (AUTH-03, AUTH-04, AUTH-06). On top
//! of every check a presentation request gets ([`crate::check_signed_request`]), the wallet
//! reads the facility's registration from the chain and refuses when the facility is not
//! registered, is suspended, is served by another login service, or is asked for under any
//! policy but its own: a login service cannot borrow a generous facility's policy to ask for
//! a library login. The history then names the facility, not only the login service.

use dojang_credentials::TrustView;
use dojang_login::{relying_party_state_key, RelyingParty};
use dojang_trust::ChainTrust;
use serde_json::Value;

use crate::request::{check_signed_request, fetch_and_check, RequestError, VerifiedRequest};
use crate::store::Contents;
use crate::WalletError;

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
    if reg.policy != request.request.policy && reg.guardian_policy.as_ref() != Some(&request.request.policy) {
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

/// Loads what checking a login request needs from the chain, each with a proof (the login
/// service's keys, the cited policy, the facility's registration), then
/// [`check_login_request`].
pub async fn fetch_and_check_login(jwt: &str, trust: &ChainTrust, now: u64) -> Result<LoginRequest, WalletError> {
    fetch_and_check(jwt, trust, now).await?;
    let named = named_facility(jwt).ok_or(RequestError::Missing("relying_party"))?;
    if !dojang_login::rules::is_plain_id(&named) {
        return Err(RequestError::Policy(format!("'{named}' is not a facility id")).into());
    }
    let facility: Option<RelyingParty> =
        trust.read_state(&relying_party_state_key(&named)).await.map_err(|e| RequestError::Chain(e.0))?;
    Ok(check_login_request(jwt, trust, facility, now)?)
}

/// The `request_uri` of an `openid4vp://` link, or the text itself when it is a plain URL.
pub fn request_uri_of(link: &str) -> Option<String> {
    let link = link.trim();
    if link.starts_with("https://") || link.starts_with("http://") {
        return Some(link.to_string());
    }
    let query = link.strip_prefix("openid4vp://")?.split_once('?')?.1;
    query.split('&').find_map(|kv| {
        let (k, v) = kv.split_once('=')?;
        (k == "request_uri").then(|| dojang_types::percent_decode(v))
    })
}

/// Whether `uri` (where the login service sends the wallet next) is one of the facility's
/// registered redirect URIs with a query added: the wallet follows nothing else.
pub fn goes_back_to(uri: &str, registered: &[String]) -> bool {
    registered.iter().any(|r| {
        uri.strip_prefix(r.as_str()).is_some_and(|rest| rest.starts_with(if r.contains('?') { '&' } else { '?' }))
    })
}
