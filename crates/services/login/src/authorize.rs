//! An OpenID Connect authorization request (Core §3.1.2.1) as the login service accepts it:
//! the authorization code flow only, PKCE with S256 always (RFC 7636, RFC 9700 §2.1.1), the
//! `openid` scope, a redirect URI the facility registered, compared exactly.
//!
//! A request whose client or redirect URI is wrong cannot be answered by redirecting (the
//! error would go to an address nobody vouched for): it is shown to the citizen. Every other
//! error goes back to the facility's redirect URI with `error` and `state`.

use dojang_credentials::transaction::{is_sha256_b64, MAX_TITLE};
use dojang_login::rules::{redirect_uri_is_registered, required_level};
use dojang_login::{ActionKind, Level, RelyingParty};
use serde::Deserialize;

/// The longest `state` or `nonce` accepted, in bytes.
pub const MAX_TOKEN_LEN: usize = 512;

/// The query of `GET /authorize`, every field as the client sent it.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct AuthorizeParams {
    pub response_type: Option<String>,
    pub client_id: Option<String>,
    pub redirect_uri: Option<String>,
    pub scope: Option<String>,
    pub state: Option<String>,
    pub nonce: Option<String>,
    pub code_challenge: Option<String>,
    pub code_challenge_method: Option<String>,
    /// Levels the client asks for (`urn:dojang:loa:<level>`), space-separated; the strongest
    /// one named is required.
    pub acr_values: Option<String>,
    /// The facility's registered action the login is for (AUTH-07); its first one when absent.
    pub action: Option<String>,
    pub response_mode: Option<String>,
    /// For a signing action: the SHA-256 (base64url) of the document to sign, and its title.
    pub document_hash: Option<String>,
    pub document_title: Option<String>,
    /// `ward`: a guardian logs in for the person in their care, under the facility's guardian
    /// policy.
    pub on_behalf: Option<String>,
    pub prompt: Option<String>,
    pub request: Option<String>,
    pub request_uri: Option<String>,
}

/// A checked authorization request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuthRequest {
    pub client_id: String,
    pub redirect_uri: String,
    pub state: Option<String>,
    pub nonce: Option<String>,
    pub code_challenge: String,
    pub action: String,
    pub required: Level,
    /// The document a signing action signs: its hash and title.
    pub document: Option<(String, String)>,
    /// A guardian logs in for a ward.
    pub on_behalf: bool,
}

/// Why an authorization request was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AuthorizeError {
    /// Shown to the citizen: there is no trustworthy place to send it.
    #[error("{0}")]
    Unredirectable(String),
    /// Sent back to the facility as `error` and `error_description` (RFC 6749 §4.1.2.1).
    #[error("{error}: {description}")]
    Redirect { redirect_uri: String, state: Option<String>, error: &'static str, description: String },
}

fn token(value: &Option<String>, what: &str) -> Result<Option<String>, String> {
    match value {
        None => Ok(None),
        Some(v) if v.is_empty() || v.len() > MAX_TOKEN_LEN || v.chars().any(char::is_control) => {
            Err(format!("{what} must be 1 to {MAX_TOKEN_LEN} bytes without control characters"))
        }
        Some(v) => Ok(Some(v.clone())),
    }
}

/// RFC 7636 §4.2: a S256 challenge is the base64url of a SHA-256 digest, 43 characters.
fn challenge_is_s256(c: &str) -> bool {
    c.len() == 43 && c.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

/// Checks `p` for the facility `rp` (read by `p.client_id`; `None` when it is not registered).
pub fn check(p: &AuthorizeParams, rp: Option<&RelyingParty>) -> Result<AuthRequest, AuthorizeError> {
    let show = |m: String| AuthorizeError::Unredirectable(m);
    let client_id = p.client_id.clone().ok_or_else(|| show("the request names no client_id".into()))?;
    let rp = rp.ok_or_else(|| show(format!("'{client_id}' is not a facility registered for citizen login")))?;
    let redirect_uri = p.redirect_uri.clone().ok_or_else(|| show("the request names no redirect_uri".into()))?;
    redirect_uri_is_registered(&rp.registration.redirect_uris, &redirect_uri).map_err(show)?;
    let state = token(&p.state, "state").map_err(show)?;
    let back = |error: &'static str, description: String| AuthorizeError::Redirect {
        redirect_uri: redirect_uri.clone(),
        state: state.clone(),
        error,
        description,
    };
    if let Some(s) = &rp.suspended {
        return Err(back(
            "unauthorized_client",
            format!("the council has suspended this facility's login: {}", s.reason),
        ));
    }
    if p.request.is_some() || p.request_uri.is_some() {
        return Err(back("request_not_supported", "send the parameters in the query, not as a request object".into()));
    }
    if p.response_type.as_deref() != Some("code") {
        return Err(back("unsupported_response_type", "only the authorization code flow (response_type=code)".into()));
    }
    if p.response_mode.as_deref().is_some_and(|m| m != "query") {
        return Err(back("invalid_request", "only response_mode=query".into()));
    }
    if !p.scope.as_deref().unwrap_or_default().split(' ').any(|s| s == "openid") {
        return Err(back("invalid_scope", "the scope must include openid".into()));
    }
    if p.prompt.as_deref().is_some_and(|v| v.split(' ').any(|x| x == "none")) {
        return Err(back("login_required", "every login is answered from the wallet; prompt=none cannot be".into()));
    }
    let nonce = token(&p.nonce, "nonce").map_err(|d| back("invalid_request", d))?;
    let code_challenge = match (p.code_challenge.as_deref(), p.code_challenge_method.as_deref()) {
        (Some(c), Some("S256")) if challenge_is_s256(c) => c.to_string(),
        (Some(_), Some("S256")) => {
            return Err(back(
                "invalid_request",
                "code_challenge is not a S256 challenge (43 base64url characters)".into(),
            ))
        }
        (None, _) => return Err(back("invalid_request", "PKCE is required: send code_challenge".into())),
        (Some(_), _) => return Err(back("invalid_request", "code_challenge_method must be S256".into())),
    };
    let actions = &rp.registration.actions;
    let action = match &p.action {
        Some(a) => a.clone(),
        None => actions.first().map(|a| a.id.clone()).unwrap_or_default(),
    };
    let mut required = required_level(actions, &action).map_err(|d| back("invalid_request", d))?;
    let signs = actions.iter().any(|a| a.id == action && a.kind == ActionKind::Sign);
    let document = match (signs, &p.document_hash, &p.document_title) {
        (true, Some(hash), Some(title)) => {
            if !is_sha256_b64(hash) {
                return Err(back(
                    "invalid_request",
                    "document_hash must be the document's SHA-256 in base64url (43 characters)".into(),
                ));
            }
            if title.trim().is_empty() || title.chars().count() > MAX_TITLE || title.chars().any(char::is_control) {
                return Err(back("invalid_request", format!("document_title must be 1 to {MAX_TITLE} characters")));
            }
            Some((hash.clone(), title.clone()))
        }
        (true, _, _) => {
            return Err(back(
                "invalid_request",
                format!("'{action}' signs a document: send document_hash and document_title"),
            ))
        }
        (false, None, None) => None,
        (false, _, _) => {
            return Err(back(
                "invalid_request",
                format!("'{action}' is not a signing action; a document cannot be signed with it"),
            ))
        }
    };
    for acr in p.acr_values.as_deref().unwrap_or_default().split(' ').filter(|s| !s.is_empty()) {
        let level =
            Level::from_acr(acr).ok_or_else(|| back("invalid_request", format!("unknown acr value '{acr}'")))?;
        required = required.max(level);
    }
    let on_behalf = match p.on_behalf.as_deref() {
        None => false,
        Some("ward") if rp.registration.guardian_policy.is_some() => true,
        Some("ward") => {
            return Err(back(
                "invalid_request",
                format!("'{}' takes no logins on another's behalf", rp.registration.name),
            ))
        }
        Some(other) => return Err(back("invalid_request", format!("on_behalf is 'ward' or absent, not '{other}'"))),
    };
    if on_behalf && document.is_some() {
        return Err(back("invalid_request", "a guardian cannot sign a document in the ward's name".into()));
    }
    Ok(AuthRequest { client_id, redirect_uri, state, nonce, code_challenge, action, required, document, on_behalf })
}

/// The facility's redirect URI with `pairs` added to its query.
pub fn with_query(uri: &str, pairs: &[(&str, &str)]) -> String {
    let mut out = uri.to_string();
    for (i, (k, v)) in pairs.iter().enumerate() {
        let sep = if i == 0 && !uri.contains('?') { '?' } else { '&' };
        out.push(sep);
        out.push_str(&dojang_types::percent_encode(k));
        out.push('=');
        out.push_str(&dojang_types::percent_encode(v));
    }
    out
}
