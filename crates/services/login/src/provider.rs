//! The login service's core, without I/O: toward the facility an OpenID Connect provider
//! (authorization code with PKCE, ID tokens, userinfo), toward the citizen an OpenID4VP
//! verifier whose signed request cites the facility's registered policy. The HTTP face
//! ([`crate::http`]) reads the facility's registration from the chain with a proof and calls
//! in here; the benchmark calls in here directly.
//!
//! A login, step by step:
//! 1. [`Provider::authorize`]: the facility's request is checked ([`crate::authorize`]) and a
//!    session opens, with a fresh single-use nonce for the wallet (AUTH-03).
//! 2. [`Provider::request_object`]: the wallet fetches the signed request: the facility, its
//!    policy's DCQL query (AUTH-04), the nonce, the login service as audience.
//! 3. [`Provider::respond`]: the wallet's answer. Every credential is checked: the issuer's
//!    accreditation (AUTH-01), its status now (AUTH-02), holder binding to this nonce and
//!    audience (AUTH-03), nothing beyond the policy (AUTH-04); the residency credential's age
//!    (AUTH-08) and the level reached (AUTH-07). A code goes back to the facility.
//! 4. [`Provider::token`]: the code, once, with the PKCE verifier: the ID token with the
//!    pairwise subject (AUTH-05), the level as `acr`, and the disclosed claims.

use std::collections::HashMap;
use std::sync::Mutex;

use dojang_credentials::jose::sign_compact;
use dojang_credentials::transaction::DocumentSignature;
use dojang_credentials::{TrustView, Verifier, VerifyError};
use dojang_login::{Level, RelyingParty};
use rand::RngCore as _;
use serde::Serialize;
use serde_json::{json, Map, Value};

use crate::authorize::{self, with_query, AuthRequest, AuthorizeError, AuthorizeParams};
use crate::tokens::{pkce_matches, Signer};

pub use crate::answer::{GUARDIAN_VCT, RESIDENT_VCT};
/// The JWT `typ` of a signed request object (RFC 9101).
pub const REQUEST_TYP: &str = "oauth-authz-req+jwt";
/// How long a login may wait for the wallet, in seconds.
pub const SESSION_LIFETIME: u64 = 600;
/// How long a code may wait for its exchange, in seconds (OpenID Connect Core §3.1.3.1 asks
/// for a short life).
pub const CODE_LIFETIME: u64 = 60;
/// How long an ID token and an access token are valid, in seconds.
pub const TOKEN_LIFETIME: u64 = 300;
/// The most logins awaiting a wallet, codes and access tokens kept at once, each.
pub const MAX_OPEN: usize = 100_000;

/// Why a login step failed. The text is what the citizen or the facility's developer sees.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LoginError {
    #[error("no login is waiting under this id (unknown, finished or lapsed); start again from the facility")]
    UnknownSession,
    #[error("this login was started in another browser; follow it there, or start again from the facility")]
    OtherBrowser,
    #[error("the login service is handling as many logins as it can; try again in a minute")]
    Busy,
    #[error("the answer's state does not belong to this login")]
    WrongState,
    #[error("the answer has no presentation for '{0}', which the request asked for")]
    MissingCredential(String),
    #[error("{rule}: the presentation for '{query}' was not accepted: {error}")]
    Presentation { rule: &'static str, query: String, error: Box<VerifyError> },
    #[error("AUTH-03: {0}")]
    Replay(Box<VerifyError>),
    #[error("AUTH-05: the resident credential did not disclose this facility's token (program_pseudonyms.{0})")]
    NoPairwiseToken(String),
    #[error(
        "AUTH-04: the facility's policy asks for no resident credential ({RESIDENT_VCT}); it cannot be logged in to"
    )]
    PolicyWithoutResidency,
    #[error("{0}")]
    Rule(String),
    #[error("the facility's policy '{0}' is not on chain or was withdrawn")]
    Policy(String),
    #[error("cannot read the chain: {0}")]
    Chain(String),
}

/// Why a token request was refused (RFC 6749 §5.2).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{error}: {description}")]
pub struct TokenError {
    pub error: &'static str,
    pub description: String,
}

fn grant(description: impl Into<String>) -> TokenError {
    TokenError { error: "invalid_grant", description: description.into() }
}

/// The form of `POST /token`.
#[derive(Debug, Clone, Default, serde::Deserialize)]
pub struct TokenForm {
    pub grant_type: Option<String>,
    pub code: Option<String>,
    pub redirect_uri: Option<String>,
    pub client_id: Option<String>,
    pub code_verifier: Option<String>,
}

/// The token endpoint's answer.
#[derive(Debug, Clone, Serialize)]
pub struct TokenResponse {
    pub access_token: String,
    pub token_type: &'static str,
    pub expires_in: u64,
    pub id_token: String,
    pub scope: &'static str,
}

/// Where a login stands, for the page the citizen watches in the browser that started it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "status", rename_all = "snake_case")]
pub enum Progress {
    Waiting {
        facility: String,
        action: String,
        level: Level,
    },
    /// The wallet answered. `redirect` (the facility's callback with the code) is given to
    /// the starting browser only for logins below `high`; a high login completes on the
    /// device whose wallet answered (its same-device redirect), never by a page that
    /// followed a QR code elsewhere.
    Done {
        redirect: Option<String>,
    },
    /// The facility exchanged the code: nothing left to show.
    Finished,
    Failed {
        reason: String,
        redirect: String,
    },
}

struct Session {
    request: AuthRequest,
    facility: String,
    nonce: String,
    /// The secret of the browser that started the login (its cookie): only it may follow
    /// the login's progress and learn the code.
    browser: String,
    expires: u64,
    progress: Option<Progress>,
}

/// A login just opened: its id (in the wallet's request URI) and the starting browser's
/// secret (set as a cookie on the login page's path).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Opened {
    pub id: String,
    pub browser: String,
}

/// What the facility is told when a login fails for a reason of the citizen's: not the
/// reason, which is about the citizen's credentials (the wallet and the login page say it).
pub const FAILED_FOR_FACILITY: &str = "the citizen's login was not completed; the citizen was told why";

/// Whether a failed answer ends its login: only a verdict reached after the presentation was
/// bound to this login's nonce (its status, the registration's rules, the login's own rules).
/// A malformed answer, another login's, or a replay leaves it open for the real wallet.
fn ends_login(e: &LoginError) -> bool {
    use VerifyError::*;
    match e {
        LoginError::Rule(_) | LoginError::NoPairwiseToken(_) | LoginError::PolicyWithoutResidency => true,
        LoginError::Presentation { error, .. } => matches!(
            **error,
            StatusListNotAnchored { .. }
                | StatusListMismatch { .. }
                | StatusList(_)
                | Revoked { .. }
                | Suspended { .. }
                | StatusNotValid { .. }
                | UnknownPolicy(_)
                | PolicyOfAnotherVerifier { .. }
                | PolicyWithdrawn(_)
                | TypeNotInPolicy { .. }
                | BeyondPolicy { .. }
                | MissingClaim { .. }
        ),
        _ => false,
    }
}

/// A completed login, waiting for its code to be exchanged.
#[derive(Clone)]
struct Grant {
    client_id: String,
    redirect_uri: String,
    code_challenge: String,
    claims: Map<String, Value>,
    expires: u64,
    /// The login it completes (its page stops showing the code once exchanged).
    session: String,
    /// The access token once the code was exchanged: a second exchange revokes it (RFC 6749
    /// §4.1.2).
    exchanged: Option<String>,
}

#[derive(Default)]
struct Books {
    sessions: HashMap<String, Session>,
    /// Open logins per facility (its client id), so that one facility's flood of
    /// authorization requests cannot take every other facility's room.
    per_facility: HashMap<String, usize>,
    grants: HashMap<String, Grant>,
    access: HashMap<String, (Map<String, Value>, u64)>,
}

impl Books {
    fn sweep(&mut self, now: u64) {
        self.sessions.retain(|_, s| s.expires > now);
        self.per_facility.clear();
        for s in self.sessions.values() {
            *self.per_facility.entry(s.request.client_id.clone()).or_default() += 1;
        }
        self.grants.retain(|_, g| g.expires > now || g.exchanged.is_some() && g.expires + TOKEN_LIFETIME > now);
        self.access.retain(|_, (_, exp)| *exp > now);
    }
}

/// The login service.
pub struct Provider<T: TrustView> {
    /// The issuer URL facilities are configured with (the discovery document's `issuer`).
    pub issuer: String,
    /// The organisation's did:web: `client_id` of its requests, audience of presentations.
    pub did: String,
    /// The organisation's key id on chain; requests are signed as `<did>#<kid>`.
    request_kid: String,
    signer: Signer,
    verifier: Verifier<T>,
    books: Mutex<Books>,
    max_open: usize,
    max_per_facility: usize,
}

/// The login rule a presentation's failure breaks: the trust list (AUTH-01), the status now
/// (AUTH-02), the holder binding (AUTH-03) or the facility's registration (AUTH-04).
pub fn rule_of(e: &VerifyError) -> &'static str {
    use VerifyError::*;
    match e {
        UnknownIssuerKey { .. }
        | IssuerSignature(_)
        | KeyNotValidAtIssuance { .. }
        | UnaccreditedIssuer { .. }
        | IssuerSuspended { .. }
        | IssuerRevoked { .. }
        | UnregisteredType(_) => "AUTH-01",
        Expired(_)
        | NotYetValid(_)
        | StatusListNotAnchored { .. }
        | StatusListMismatch { .. }
        | StatusList(_)
        | Revoked { .. }
        | Suspended { .. }
        | StatusNotValid { .. } => "AUTH-02",
        KeyBindingMissing
        | KeyBindingJwt(_)
        | HolderSignature
        | WrongNonce
        | WrongAudience(_)
        | StaleKeyBinding { .. }
        | SdHashMismatch
        | Replayed
        | UnknownNonce => "AUTH-03",
        UnknownPolicy(_)
        | PolicyOfAnotherVerifier { .. }
        | PolicyWithdrawn(_)
        | TypeNotInPolicy { .. }
        | BeyondPolicy { .. }
        | MissingClaim { .. } => "AUTH-04",
        _ => "AUTH-01",
    }
}

fn random() -> String {
    let mut raw = [0u8; 32];
    rand::thread_rng().fill_bytes(&mut raw);
    dojang_credentials::jose::b64(&raw)
}

impl<T: TrustView> Provider<T> {
    /// `signer.key` is the organisation's key registered on chain as `<did>#<signer.kid>`: it
    /// signs the requests wallets check against the chain and the ID tokens facilities check
    /// against the JWKS.
    pub fn new(issuer: &str, did: &str, signer: Signer, trust: T) -> Self {
        Provider {
            issuer: issuer.trim_end_matches('/').to_string(),
            did: did.into(),
            request_kid: format!("{did}#{}", signer.kid),
            signer,
            verifier: Verifier::new(trust, SESSION_LIFETIME),
            books: Mutex::new(Books::default()),
            max_open: MAX_OPEN,
            max_per_facility: MAX_OPEN / 4,
        }
    }

    /// Allows at most `max` open logins, codes and access tokens each.
    pub fn with_max_open(mut self, max: usize) -> Self {
        self.max_open = max;
        self
    }

    /// Allows one facility at most `max` open logins (a quarter of all by default).
    pub fn with_max_per_facility(mut self, max: usize) -> Self {
        self.max_per_facility = max;
        self
    }

    pub fn trust(&self) -> &T {
        self.verifier.trust()
    }

    pub fn jwks(&self) -> Value {
        self.signer.jwks()
    }

    fn books(&self) -> std::sync::MutexGuard<'_, Books> {
        self.books.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Step 1: checks the facility's request and opens a login.
    pub fn authorize(
        &self,
        p: &AuthorizeParams,
        rp: Option<&RelyingParty>,
        now: u64,
    ) -> Result<Opened, AuthorizeError> {
        let request = authorize::check(p, rp)?;
        let facility = rp.map(|r| r.registration.name.clone()).unwrap_or_default();
        let mut books = self.books();
        let full = |b: &Books| {
            b.sessions.len() >= self.max_open
                || b.per_facility.get(&request.client_id).is_some_and(|n| *n >= self.max_per_facility)
        };
        if full(&books) {
            books.sweep(now);
        }
        if full(&books) {
            return Err(AuthorizeError::Redirect {
                redirect_uri: request.redirect_uri,
                state: request.state,
                error: "temporarily_unavailable",
                description: LoginError::Busy.to_string(),
            });
        }
        let (id, browser) = (random(), random());
        let nonce = self.verifier.nonce(now);
        let session = Session {
            request,
            facility,
            nonce,
            browser: browser.clone(),
            expires: now + SESSION_LIFETIME,
            progress: None,
        };
        *books.per_facility.entry(session.request.client_id.clone()).or_default() += 1;
        books.sessions.insert(id.clone(), session);
        Ok(Opened { id, browser })
    }

    /// Where a login stands, for the browser that started it (`browser`, its cookie).
    pub fn progress(&self, id: &str, browser: Option<&str>, now: u64) -> Result<Progress, LoginError> {
        let books = self.books();
        let s = books.sessions.get(id).filter(|s| s.expires > now).ok_or(LoginError::UnknownSession)?;
        if browser != Some(s.browser.as_str()) {
            return Err(LoginError::OtherBrowser);
        }
        Ok(s.progress.clone().unwrap_or_else(|| Progress::Waiting {
            facility: s.facility.clone(),
            action: s.request.action.clone(),
            level: s.request.required,
        }))
    }

    /// The client id a waiting login is for (to read its registration before answering).
    pub fn client_of(&self, id: &str, now: u64) -> Result<String, LoginError> {
        let books = self.books();
        let s = books.sessions.get(id).filter(|s| s.expires > now && s.progress.is_none());
        s.map(|s| s.request.client_id.clone()).ok_or(LoginError::UnknownSession)
    }

    /// Step 2: the signed request object for login `id`, answered at `response_uri`.
    pub fn request_object(
        &self,
        id: &str,
        rp: &RelyingParty,
        response_uri: &str,
        now: u64,
    ) -> Result<String, LoginError> {
        let (nonce, expires) = {
            let books = self.books();
            let s = books.sessions.get(id).filter(|s| s.expires > now && s.progress.is_none());
            let s = s.ok_or(LoginError::UnknownSession)?;
            (s.nonce.clone(), s.expires)
        };
        let on_behalf = self.books().sessions.get(id).is_some_and(|s| s.request.on_behalf);
        let policy = self.policy(rp, on_behalf)?;
        let mut payload = json!({
            "iss": self.did, "client_id": self.did, "response_type": "vp_token", "response_mode": "direct_post",
            "response_uri": response_uri, "nonce": nonce, "state": id, "policy": policy.id,
            "relying_party": rp.registration.id, "relying_party_name": rp.registration.name,
            "dcql_query": serde_json::to_value(&policy.dcql).unwrap_or_default(), "iat": now, "exp": expires,
        });
        if let Some(document) = self.document(id, &policy)? {
            payload["transaction_data"] = json!([document.encode()]);
        }
        let mut header = Map::new();
        header.insert("typ".into(), json!(REQUEST_TYP));
        header.insert("kid".into(), json!(self.request_kid));
        Ok(sign_compact(&self.signer.key, header, &payload))
    }

    /// The document login `id` signs, as transaction data for the policy's resident query.
    fn document(&self, id: &str, policy: &dojang_credentials::Policy) -> Result<Option<DocumentSignature>, LoginError> {
        let books = self.books();
        let Some((hash, title)) = books.sessions.get(id).and_then(|s| s.request.document.clone()) else {
            return Ok(None);
        };
        let query = policy.dcql.for_type(RESIDENT_VCT).ok_or(LoginError::PolicyWithoutResidency)?;
        DocumentSignature::new(&query.id, &hash, &title).map(Some).map_err(|e| LoginError::Rule(e.to_string()))
    }

    /// The policy a login is asked under: the facility's own, or its guardian policy when a
    /// guardian logs in for a ward.
    fn policy(&self, rp: &RelyingParty, on_behalf: bool) -> Result<dojang_credentials::Policy, LoginError> {
        let reg = &rp.registration;
        let id = if on_behalf {
            reg.guardian_policy.as_ref().ok_or_else(|| {
                LoginError::Rule(format!("AUTH-04: '{}' takes no logins on another's behalf", reg.name))
            })?
        } else {
            &reg.policy
        };
        let policy = self.trust().policy(id).map_err(|e| LoginError::Chain(e.0))?;
        policy
            .filter(|p| p.withdrawn_at.is_none() && p.verifier == self.did)
            .ok_or_else(|| LoginError::Policy(id.clone()))
    }

    /// Step 3: the wallet's answer to login `id`. Returns where the wallet sends the citizen
    /// next: the facility's redirect URI with a code, or, when the login failed for a reason
    /// of the citizen's, with `error=access_denied`; the reason is the `Err`.
    pub fn respond(
        &self,
        id: &str,
        state: &str,
        vp_token: &Map<String, Value>,
        rp: &RelyingParty,
        now: u64,
    ) -> Result<String, (LoginError, Option<String>)> {
        if state != id {
            return Err((LoginError::WrongState, None));
        }
        let (request, nonce) = {
            let books = self.books();
            let s = books.sessions.get(id).filter(|s| s.expires > now && s.progress.is_none());
            let s = s.ok_or((LoginError::UnknownSession, None))?;
            (s.request.clone(), s.nonce.clone())
        };
        match self.check_answer(&request, &nonce, vp_token, rp, now) {
            Ok(claims) => {
                let code = random();
                let mut pairs = vec![("code", code.as_str()), ("iss", self.issuer.as_str())];
                if let Some(s) = &request.state {
                    pairs.push(("state", s));
                }
                let redirect = with_query(&request.redirect_uri, &pairs);
                let grant = Grant {
                    client_id: request.client_id.clone(),
                    redirect_uri: request.redirect_uri.clone(),
                    code_challenge: request.code_challenge.clone(),
                    claims,
                    expires: now + CODE_LIFETIME,
                    session: id.to_string(),
                    exchanged: None,
                };
                let mut books = self.books();
                if books.grants.len() >= self.max_open {
                    books.sweep(now);
                }
                if books.grants.len() >= self.max_open {
                    return Err((LoginError::Busy, None));
                }
                books.grants.insert(code, grant);
                if let Some(s) = books.sessions.get_mut(id) {
                    let shown = (request.required < Level::High).then(|| redirect.clone());
                    s.progress = Some(Progress::Done { redirect: shown });
                }
                Ok(redirect)
            }
            Err(e) => {
                let mut pairs = vec![("error", "access_denied"), ("error_description", FAILED_FOR_FACILITY)];
                pairs.push(("iss", self.issuer.as_str()));
                if let Some(s) = &request.state {
                    pairs.push(("state", s));
                }
                let redirect = with_query(&request.redirect_uri, &pairs);
                let text = e.to_string();
                let ends = ends_login(&e);
                if ends {
                    if let Some(s) = self.books().sessions.get_mut(id) {
                        s.progress = Some(Progress::Failed { reason: text.clone(), redirect: redirect.clone() });
                    }
                }
                Err((e, ends.then_some(redirect)))
            }
        }
    }

    /// Every check of the answer ([`crate::answer`]); the ID token's claims when all pass.
    fn check_answer(
        &self,
        request: &AuthRequest,
        nonce: &str,
        vp_token: &Map<String, Value>,
        rp: &RelyingParty,
        now: u64,
    ) -> Result<Map<String, Value>, LoginError> {
        if rp.registration.id != request.client_id {
            return Err(LoginError::Rule(format!("AUTH-04: this login is for '{}'", request.client_id)));
        }
        if let Some(s) = &rp.suspended {
            return Err(LoginError::Rule(format!("the council has suspended this facility's login: {}", s.reason)));
        }
        let policy = self.policy(rp, request.on_behalf)?;
        let found = crate::answer::check(&self.verifier, &self.did, request, nonce, vp_token, rp, &policy, now)?;
        self.verifier.spend(nonce, now).map_err(|e| LoginError::Replay(Box::new(e)))?;
        let mut claims = Map::new();
        claims.insert("iss".into(), json!(self.issuer));
        claims.insert("aud".into(), json!(request.client_id));
        claims.insert("auth_time".into(), json!(now));
        claims.insert("action".into(), json!(request.action));
        if let Some(n) = &request.nonce {
            claims.insert("nonce".into(), json!(n));
        }
        claims.extend(found);
        Ok(claims)
    }

    /// Step 4: exchanges a code for the ID token and an access token.
    pub fn token(&self, form: &TokenForm, now: u64) -> Result<TokenResponse, TokenError> {
        if form.grant_type.as_deref() != Some("authorization_code") {
            return Err(TokenError {
                error: "unsupported_grant_type",
                description: "only grant_type=authorization_code".into(),
            });
        }
        let missing =
            |what: &str| TokenError { error: "invalid_request", description: format!("the request has no {what}") };
        let code = form.code.as_deref().ok_or_else(|| missing("code"))?;
        let client_id = form.client_id.as_deref().ok_or_else(|| missing("client_id"))?;
        let redirect_uri = form.redirect_uri.as_deref().ok_or_else(|| missing("redirect_uri"))?;
        let verifier = form.code_verifier.as_deref().ok_or_else(|| missing("code_verifier"))?;
        let mut books = self.books();
        let g = books.grants.get_mut(code).ok_or_else(|| grant("the code is unknown or lapsed"))?;
        if let Some(issued) = g.exchanged.take() {
            g.expires = 0;
            books.access.remove(&issued);
            return Err(grant("the code was used already; the tokens issued for it are revoked"));
        }
        if g.expires <= now {
            return Err(grant("the code lapsed; log in again"));
        }
        if g.client_id != client_id {
            return Err(grant("the code was issued to another client"));
        }
        if g.redirect_uri != redirect_uri {
            return Err(grant("redirect_uri differs from the authorization request's"));
        }
        if !pkce_matches(verifier, &g.code_challenge) {
            return Err(grant("the code_verifier does not match the code_challenge (PKCE)"));
        }
        let access = random();
        g.exchanged = Some(access.clone());
        let session = g.session.clone();
        let mut claims = g.claims.clone();
        claims.insert("iat".into(), json!(now));
        claims.insert("exp".into(), json!(now + TOKEN_LIFETIME));
        let id_token = self.signer.sign(&claims);
        let mut userinfo = g.claims.clone();
        for k in ["iss", "aud", "auth_time", "nonce", "acr", "action", "document_signature", "act", "delegation"] {
            userinfo.remove(k);
        }
        if books.access.len() >= self.max_open {
            books.sweep(now);
        }
        if books.access.len() >= self.max_open {
            return Err(TokenError { error: "temporarily_unavailable", description: LoginError::Busy.to_string() });
        }
        books.access.insert(access.clone(), (userinfo, now + TOKEN_LIFETIME));
        if let Some(s) = books.sessions.get_mut(&session) {
            s.progress = Some(Progress::Finished);
        }
        Ok(TokenResponse {
            access_token: access,
            token_type: "Bearer",
            expires_in: TOKEN_LIFETIME,
            id_token,
            scope: "openid",
        })
    }

    /// The userinfo claims (`sub` and the disclosed claims) for a valid access token.
    pub fn userinfo(&self, access_token: &str, now: u64) -> Option<Map<String, Value>> {
        let books = self.books();
        books.access.get(access_token).filter(|(_, exp)| *exp > now).map(|(c, _)| c.clone())
    }
}
