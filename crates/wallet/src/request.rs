//! Opening a signed presentation request (OpenID4VP request object, RFC 9101) before answering
//! it. Every path that answers a request goes through [`check_signed_request`]: the request must
//! be signed by a key the chain registers for the verifier it names as `client_id` (the key-
//! binding audience), valid now; cite a policy registered by that same verifier and not
//! withdrawn, asking no more than the policy allows; carry a nonce and state; and not be
//! expired or made to live implausibly long.

use dojang_credentials::jose::Jws;
use dojang_credentials::transaction::DocumentSignature;
use dojang_credentials::{DcqlQuery, Policy, TrustView};
use dojang_trust::ChainTrust;
use serde::Deserialize;
use serde_json::Value;

use crate::present::{check_request, PresentationRequest};
use crate::WalletError;

/// The JWT `typ` of a signed request object (RFC 9101).
pub const REQUEST_TYP: &str = "oauth-authz-req+jwt";
/// The longest a request may be valid for, in seconds: a request is answered in minutes.
pub const MAX_REQUEST_LIFETIME: u64 = 3600;
/// How far a request's `iat` may lie ahead of the wallet's clock, in seconds.
pub const MAX_CLOCK_SKEW: u64 = 300;
/// The most documents one request may ask to sign.
pub const MAX_DOCUMENTS: usize = 8;
/// The longest nonce or state accepted, in characters.
const MAX_TOKEN_LEN: usize = 512;

/// Why a request was refused (the wallet answers nothing).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RequestError {
    #[error("the request is not a signed JWT: {0}")]
    Malformed(String),
    #[error("the request's typ is '{0}', not {REQUEST_TYP}")]
    WrongType(String),
    #[error("the request does not name its signing key as <did>#<key id>")]
    NoKeyId,
    #[error("the request is signed by {signer} but claims to come from {client_id}")]
    SignerIsNotClient { signer: String, client_id: String },
    #[error("{did} has no key '{kid}' registered on chain")]
    UnregisteredKey { did: String, kid: String },
    #[error("{did}'s key '{kid}' is not valid now (rotated out or revoked)")]
    KeyNotValid { did: String, kid: String },
    #[error("the request's signature does not verify with {did}'s registered key")]
    BadSignature { did: String },
    #[error("the request expired at {0}; ask the office for a new one")]
    Expired(u64),
    #[error("the request claims to be valid until {exp}, more than {MAX_REQUEST_LIFETIME} s from now")]
    TooLongLived { exp: u64 },
    #[error("the request was made in the future ({0})")]
    FromTheFuture(u64),
    #[error("the request has no usable {0}")]
    Missing(&'static str),
    #[error(
        "the request's response_uri '{0}' is plain http to another machine: the presentation would \
         travel unencrypted (use https; plain http only to 127.0.0.1, [::1] or localhost)"
    )]
    InsecureResponseUri(String),
    #[error("the request's response_uri '{uri}' is refused: {why}")]
    BadResponseUri { uri: String, why: &'static str },
    #[error("the request's response_type is '{0}', not vp_token")]
    ResponseType(String),
    #[error("{0}")]
    Policy(String),
    #[error("the request asks the wallet to sign something it cannot show: {0}")]
    Transaction(String),
    #[error("cannot read the chain: {0}")]
    Chain(String),
}

#[derive(Deserialize)]
struct Claims {
    client_id: String,
    nonce: String,
    state: String,
    policy: String,
    #[serde(default)]
    program: Option<String>,
    dcql_query: Value,
    response_uri: String,
    exp: u64,
    #[serde(default)]
    iat: Option<u64>,
    #[serde(default)]
    iss: Option<String>,
    #[serde(default)]
    response_type: Option<String>,
    #[serde(default)]
    transaction_data: Option<Vec<String>>,
}

/// A request that passed every check, ready to answer with [`crate::answer`].
#[derive(Debug, Clone)]
pub struct VerifiedRequest {
    pub request: PresentationRequest,
    /// Returned with the answer so the office finds its pending request.
    pub state: String,
    pub program: Option<String>,
    pub policy: Policy,
    pub query: DcqlQuery,
    /// The documents the citizen is asked to sign, to show before answering.
    pub documents: Vec<DocumentSignature>,
}

/// The `<did>#<kid>` a request names, unverified (to know what to load from the chain).
fn key_id(jws: &Jws<'_>) -> Result<(String, String), RequestError> {
    let kid = jws.header.get("kid").and_then(Value::as_str).ok_or(RequestError::NoKeyId)?;
    let (did, k) = kid.split_once('#').ok_or(RequestError::NoKeyId)?;
    if did.is_empty() || k.is_empty() {
        return Err(RequestError::NoKeyId);
    }
    Ok((did.to_string(), k.to_string()))
}

fn token_ok(s: &str) -> bool {
    !s.trim().is_empty() && s.len() <= MAX_TOKEN_LEN
}

/// Where an answer may be sent: `https://` anywhere, or plain `http://` only to this machine
/// (`127.0.0.1`, `[::1]`, `localhost`, any port), so a presentation never travels unencrypted
/// over a network.
pub fn check_response_uri(uri: &str) -> Result<(), RequestError> {
    let bad = |why| Err(RequestError::BadResponseUri { uri: uri.to_string(), why });
    if uri.len() > 2048 || uri.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return bad("it is too long or holds spaces or control characters");
    }
    let lower = uri.to_ascii_lowercase();
    let (secure, rest) = match (lower.strip_prefix("https://"), lower.strip_prefix("http://")) {
        (Some(rest), _) => (true, rest),
        (None, Some(rest)) => (false, rest),
        (None, None) => return bad("it is not an https URL"),
    };
    let authority = rest.split(['/', '?', '#']).next().unwrap_or_default();
    if authority.contains('@') {
        return bad("it carries user information before the host");
    }
    let (host, port) = match authority.strip_prefix('[') {
        Some(v6) => match v6.split_once(']') {
            Some((addr, port)) => (&authority[..addr.len() + 2], port),
            None => return bad("its IPv6 host is not closed by ']'"),
        },
        None => match authority.find(':') {
            Some(i) => authority.split_at(i),
            None => (authority, ""),
        },
    };
    if host.is_empty() || host == "[]" {
        return bad("it names no host");
    }
    if !port.is_empty() {
        let digits = port.strip_prefix(':').unwrap_or_default();
        if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) || digits.parse::<u16>().is_err() {
            return bad("its port is not a number from 0 to 65535");
        }
    }
    if secure || matches!(host, "127.0.0.1" | "[::1]" | "localhost") {
        Ok(())
    } else {
        Err(RequestError::InsecureResponseUri(uri.to_string()))
    }
}

/// Checks a signed request against the chain's view (`trust`, loaded with the verifier's
/// organisation and the cited policy) at `now` (seconds). See the module description.
pub fn check_signed_request(jwt: &str, trust: &dyn TrustView, now: u64) -> Result<VerifiedRequest, RequestError> {
    let jws = Jws::parse(jwt.trim()).map_err(|e| RequestError::Malformed(e.to_string()))?;
    if jws.typ() != REQUEST_TYP {
        return Err(RequestError::WrongType(jws.typ().to_string()));
    }
    let (did, kid) = key_id(&jws)?;
    let claims: Claims = serde_json::from_value(Value::Object(jws.payload.clone()))
        .map_err(|e| RequestError::Malformed(format!("the request lacks a field: {e}")))?;
    if claims.client_id != did || claims.iss.as_ref().is_some_and(|i| *i != did) {
        return Err(RequestError::SignerIsNotClient { signer: did, client_id: claims.client_id });
    }
    let key = trust
        .issuer_key(&did, &kid)
        .map_err(|e| RequestError::Chain(e.0))?
        .ok_or_else(|| RequestError::UnregisteredKey { did: did.clone(), kid: kid.clone() })?;
    if !key.covers(now) {
        return Err(RequestError::KeyNotValid { did, kid });
    }
    jws.verify(&key.public_key).map_err(|_| RequestError::BadSignature { did: did.clone() })?;
    if claims.exp <= now {
        return Err(RequestError::Expired(claims.exp));
    }
    if claims.exp > now.saturating_add(MAX_REQUEST_LIFETIME) {
        return Err(RequestError::TooLongLived { exp: claims.exp });
    }
    if let Some(iat) = claims.iat.filter(|iat| *iat > now.saturating_add(MAX_CLOCK_SKEW)) {
        return Err(RequestError::FromTheFuture(iat));
    }
    if let Some(rt) = claims.response_type.filter(|rt| rt != "vp_token") {
        return Err(RequestError::ResponseType(rt));
    }
    for (name, value) in [("nonce", &claims.nonce), ("state", &claims.state), ("policy", &claims.policy)] {
        if !token_ok(value) {
            return Err(RequestError::Missing(name));
        }
    }
    check_response_uri(&claims.response_uri)?;
    let transaction_data = claims.transaction_data.unwrap_or_default();
    if transaction_data.len() > MAX_DOCUMENTS {
        return Err(RequestError::Transaction(format!("more than {MAX_DOCUMENTS} documents to sign at once")));
    }
    let documents = transaction_data
        .iter()
        .map(|t| DocumentSignature::decode(t).map_err(|e| RequestError::Transaction(e.to_string())))
        .collect::<Result<Vec<_>, _>>()?;
    let request = PresentationRequest {
        client_id: claims.client_id,
        nonce: claims.nonce,
        policy: claims.policy,
        dcql_query: claims.dcql_query,
        response_uri: Some(claims.response_uri),
        transaction_data,
    };
    let policy = trust.policy(&request.policy).map_err(|e| RequestError::Chain(e.0))?;
    let query = check_request(&request, policy.as_ref()).map_err(|e| RequestError::Policy(e.to_string()))?;
    let policy = policy.ok_or_else(|| RequestError::Policy("the policy is not registered".into()))?;
    for d in &documents {
        if let Some(id) = d.credential_ids.iter().find(|id| !query.credentials.iter().any(|c| &c.id == *id)) {
            return Err(RequestError::Transaction(format!(
                "a document names credential query '{id}', which the request does not ask"
            )));
        }
    }
    Ok(VerifiedRequest { request, state: claims.state, program: claims.program, policy, query, documents })
}

/// Loads what checking `jwt` needs from the chain (the verifier's keys, the cited policy, read
/// with proofs through `trust`), then [`check_signed_request`].
pub async fn fetch_and_check(jwt: &str, trust: &ChainTrust, now: u64) -> Result<VerifiedRequest, WalletError> {
    let jws = Jws::parse(jwt.trim()).map_err(|e| RequestError::Malformed(e.to_string()))?;
    let (did, _) = key_id(&jws)?;
    let chain = |e: dojang_credentials::TrustError| RequestError::Chain(e.0);
    trust.load_org(&did).await.map_err(chain)?;
    if let Some(policy) = jws.payload.get("policy").and_then(Value::as_str).filter(|p| token_ok(p)) {
        trust.load_policy(policy).await.map_err(chain)?;
    }
    Ok(check_signed_request(jwt, trust, now)?)
}

#[cfg(test)]
#[path = "request_tests.rs"]
mod tests;
