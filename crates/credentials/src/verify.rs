//! Verifying a presentation: every check the trust model needs, in an order that does the cheap
//! and the decisive ones first, and a distinct error for each so that a program office (and an
//! appeal) can say exactly why a credential was not accepted.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use serde_json::{Map, Value};

use crate::dcql::path_text;
use crate::issue::StatusRef;
use crate::jose::{JoseError, Jwk, Jws};
use crate::nonce::{NonceBook, NonceProblem};
use crate::present::KB_JWT_TYP;
use crate::sdjwt::{digest, disclose, ClaimPath, FormatError, SdJwt};
use crate::status::{token_hash, Status, StatusList, StatusListError};
use crate::trust::{Standing, TrustError, TrustView};

/// The `typ` values accepted for the issuer-signed JWT (the draft renamed vc+sd-jwt).
pub const ACCEPTED_TYPS: [&str; 2] = ["dc+sd-jwt", "vc+sd-jwt"];

/// How far a key-binding JWT's `iat` may be from the verifier's clock, in seconds.
pub const KB_MAX_SKEW: u64 = 300;

/// Why a presentation was not accepted. Each check has its own variant.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum VerifyError {
    #[error("the presentation is malformed: {0}")]
    Malformed(FormatError),
    #[error("the issuer-signed JWT is malformed: {0}")]
    IssuerJwt(JoseError),
    #[error("the credential's typ is '{0}', not an SD-JWT VC (dc+sd-jwt)")]
    NotSdJwtVc(String),
    #[error("the credential lacks the '{0}' claim or header every SD-JWT VC here carries")]
    MissingField(&'static str),
    #[error("issuer {iss} has no key '{kid}' on chain")]
    UnknownIssuerKey { iss: String, kid: String },
    #[error("the issuer's signature does not verify with its on-chain key ({0})")]
    IssuerSignature(JoseError),
    #[error("key '{kid}' was not valid at the credential's issuance time {iat} (ELIG-01)")]
    KeyNotValidAtIssuance { kid: String, iat: u64 },
    #[error("{iss} was not accredited for {vct} when it issued this credential (ELIG-01)")]
    UnaccreditedIssuer { iss: String, vct: String },
    #[error("{iss}'s accreditation for {vct} has been suspended since {since}, after issuance")]
    IssuerSuspended { iss: String, vct: String, since: u64 },
    #[error("{iss}'s accreditation for {vct} was revoked at {since}, after issuance")]
    IssuerRevoked { iss: String, vct: String, since: u64 },
    #[error("the credential expired at {0} (ELIG-02)")]
    Expired(u64),
    #[error("the credential is not valid before {0}")]
    NotYetValid(u64),
    #[error("a disclosure does not belong to this credential (tampered): {0}")]
    TamperedDisclosure(FormatError),
    #[error("the presentation has no key-binding JWT (ELIG-03)")]
    KeyBindingMissing,
    #[error("the key-binding JWT is malformed: {0}")]
    KeyBindingJwt(String),
    #[error("the key-binding JWT is not signed by the credential's holder key (ELIG-03)")]
    HolderSignature,
    #[error("the key-binding JWT answers another nonce than this request's (ELIG-03)")]
    WrongNonce,
    #[error("the key-binding JWT is addressed to '{0}', not to this verifier (ELIG-03)")]
    WrongAudience(String),
    #[error("the key-binding JWT was made at {iat}, too far from now ({now})")]
    StaleKeyBinding { iat: u64, now: u64 },
    #[error("the key-binding JWT's sd_hash does not match the presented credential and disclosures")]
    SdHashMismatch,
    #[error("this presentation was already used: its nonce is spent (replay, ELIG-03)")]
    Replayed,
    #[error("the request's nonce was never issued here or has lapsed; ask for a new request")]
    UnknownNonce,
    #[error("status list {uri} has no anchor on chain from the issuer")]
    StatusListNotAnchored { uri: String },
    #[error("status list {uri} as published does not match its anchored version {version} (hash differs)")]
    StatusListMismatch { uri: String, version: u64 },
    #[error("status list: {0}")]
    StatusList(StatusListError),
    #[error("the credential is revoked (status list {uri}, ELIG-02)")]
    Revoked { uri: String },
    #[error("the credential is suspended (status list {uri}, ELIG-02)")]
    Suspended { uri: String },
    #[error("the credential's status is {value}, which is not valid")]
    StatusNotValid { value: u8 },
    #[error("no verification policy '{0}' is registered on chain")]
    UnknownPolicy(String),
    #[error("policy '{policy}' belongs to {owner}, not to this verifier ({audience})")]
    PolicyOfAnotherVerifier { policy: String, owner: String, audience: String },
    #[error("policy '{0}' was withdrawn by its office; nothing may be asked under it")]
    PolicyWithdrawn(String),
    #[error("policy '{policy}' does not cover credential type {vct}")]
    TypeNotInPolicy { policy: String, vct: String },
    #[error("claim {path} was disclosed but policy '{policy}' does not allow it (ELIG-04)")]
    BeyondPolicy { policy: String, path: String },
    #[error("policy '{policy}' needs claim {path}, which was not disclosed")]
    MissingClaim { policy: String, path: String },
    #[error("credential type {0} is not registered on chain")]
    UnregisteredType(String),
    #[error(transparent)]
    Trust(#[from] TrustError),
}

/// What the verifier asked: the request's nonce, the verifier's client id, the policy it cites.
#[derive(Debug, Clone)]
pub struct Request {
    pub nonce: String,
    pub audience: String,
    pub policy_id: String,
}

/// What a verified presentation establishes.
#[derive(Debug, Clone, PartialEq)]
pub struct Verified {
    pub issuer: String,
    pub kid: String,
    pub vct: String,
    pub issued_at: u64,
    pub expires_at: u64,
    /// The disclosed claims (always-visible ones included).
    pub claims: Map<String, Value>,
    pub revealed: Vec<ClaimPath>,
    pub status: StatusRef,
    /// The anchored status list version the status was read from.
    pub status_version: u64,
    pub status_hash: [u8; 32],
    pub policy_id: String,
    /// The key-binding JWT's `transaction_data_hashes` (OpenID4VP 1.0 §8.4): what the holder
    /// signed besides the challenge; empty when nothing was.
    pub transaction_data_hashes: Vec<String>,
}

/// A verifier: the chain's view, its nonces, and parsed status lists by hash.
pub struct Verifier<T: TrustView> {
    trust: T,
    nonces: NonceBook,
    lists: Mutex<HashMap<[u8; 32], Arc<StatusList>>>,
}

pub(crate) fn str_field<'a>(m: &'a Map<String, Value>, k: &'static str) -> Result<&'a str, VerifyError> {
    m.get(k).and_then(Value::as_str).ok_or(VerifyError::MissingField(k))
}

pub(crate) fn num_field(m: &Map<String, Value>, k: &'static str) -> Result<u64, VerifyError> {
    m.get(k).and_then(Value::as_u64).ok_or(VerifyError::MissingField(k))
}

impl<T: TrustView> Verifier<T> {
    /// `nonce_lifetime` in seconds: how long a request may wait for its answer.
    pub fn new(trust: T, nonce_lifetime: u64) -> Self {
        Verifier { trust, nonces: NonceBook::new(nonce_lifetime), lists: Mutex::new(HashMap::new()) }
    }

    pub fn trust(&self) -> &T {
        &self.trust
    }

    /// A fresh single-use nonce for a request.
    pub fn nonce(&self, now: u64) -> String {
        self.nonces.issue(now)
    }

    /// Runs every check on `presentation` against `request` and spends the request's nonce;
    /// `now` in seconds.
    pub fn verify(&self, presentation: &str, request: &Request, now: u64) -> Result<Verified, VerifyError> {
        let verified = self.check(presentation, request, now)?;
        self.spend(&request.nonce, now)?;
        Ok(verified)
    }

    /// Spends a request's nonce once its presentations were checked: the second answer to the
    /// same request is a replay.
    pub fn spend(&self, nonce: &str, now: u64) -> Result<(), VerifyError> {
        match self.nonces.spend(nonce, now) {
            Ok(()) => Ok(()),
            Err(NonceProblem::Spent) => Err(VerifyError::Replayed),
            Err(NonceProblem::Unknown) => Err(VerifyError::UnknownNonce),
        }
    }

    /// Every check except spending the nonce, for requests answered with several credentials
    /// (check each, then [`Verifier::spend`] once).
    pub fn check(&self, presentation: &str, request: &Request, now: u64) -> Result<Verified, VerifyError> {
        let sd = &SdJwt::parse(presentation).map_err(VerifyError::Malformed)?;
        let signed = check_issuer_signed(sd, &self.trust)?;
        let (p, iss, kid, vct, iat) =
            (&signed.jws.payload, signed.iss.as_str(), signed.kid.clone(), signed.vct.as_str(), signed.iat);
        let exp = num_field(p, "exp")?;
        if now >= exp {
            return Err(VerifyError::Expired(exp));
        }
        if let Some(nbf) = p.get("nbf").and_then(Value::as_u64) {
            if now < nbf {
                return Err(VerifyError::NotYetValid(nbf));
            }
        }
        let disclosed = disclose(p, &sd.disclosures).map_err(VerifyError::TamperedDisclosure)?;
        let transaction_data_hashes = self.check_key_binding(sd, p, request, now)?;
        let status: StatusRef = p
            .get("status")
            .and_then(|s| s.get("status_list"))
            .and_then(|s| serde_json::from_value(s.clone()).ok())
            .ok_or(VerifyError::MissingField("status"))?;
        let (status_version, status_hash) = self.check_status(iss, &status)?;
        let revealed: Vec<ClaimPath> = disclosed.revealed.into_iter().map(|(path, _)| path).collect();
        self.check_policy(request, vct, &disclosed.claims, &revealed)?;
        Ok(Verified {
            issuer: iss.to_string(),
            kid,
            vct: vct.to_string(),
            issued_at: iat,
            expires_at: exp,
            claims: disclosed.claims,
            revealed,
            status,
            status_version,
            status_hash,
            policy_id: request.policy_id.clone(),
            transaction_data_hashes,
        })
    }

    fn check_key_binding(
        &self,
        sd: &SdJwt,
        payload: &Map<String, Value>,
        request: &Request,
        now: u64,
    ) -> Result<Vec<String>, VerifyError> {
        let kb = sd.kb_jwt.as_deref().ok_or(VerifyError::KeyBindingMissing)?;
        let kb = Jws::parse(kb).map_err(|e| VerifyError::KeyBindingJwt(e.to_string()))?;
        if kb.typ() != KB_JWT_TYP {
            return Err(VerifyError::KeyBindingJwt(format!("typ is '{}', not {KB_JWT_TYP}", kb.typ())));
        }
        let jwk: Jwk = payload
            .get("cnf")
            .and_then(|c| c.get("jwk"))
            .and_then(|j| serde_json::from_value(j.clone()).ok())
            .ok_or(VerifyError::MissingField("cnf"))?;
        let holder = jwk.to_public_key().map_err(|e| VerifyError::KeyBindingJwt(e.to_string()))?;
        kb.verify(&holder).map_err(|_| VerifyError::HolderSignature)?;
        let kp = &kb.payload;
        if kp.get("nonce").and_then(Value::as_str) != Some(request.nonce.as_str()) {
            return Err(VerifyError::WrongNonce);
        }
        let aud = kp.get("aud").and_then(Value::as_str).unwrap_or_default();
        if aud != request.audience {
            return Err(VerifyError::WrongAudience(aud.to_string()));
        }
        let iat = kp.get("iat").and_then(Value::as_u64).ok_or_else(|| VerifyError::KeyBindingJwt("no iat".into()))?;
        if iat.abs_diff(now) > KB_MAX_SKEW {
            return Err(VerifyError::StaleKeyBinding { iat, now });
        }
        if kp.get("sd_hash").and_then(Value::as_str) != Some(digest(&sd.without_kb()).as_str()) {
            return Err(VerifyError::SdHashMismatch);
        }
        let Some(hashes) = kp.get("transaction_data_hashes") else { return Ok(Vec::new()) };
        let alg = kp.get("transaction_data_hashes_alg").and_then(Value::as_str).unwrap_or("sha-256");
        if alg != "sha-256" {
            return Err(VerifyError::KeyBindingJwt(format!("transaction_data_hashes_alg '{alg}' is not sha-256")));
        }
        let hashes: Vec<String> = serde_json::from_value(hashes.clone())
            .map_err(|_| VerifyError::KeyBindingJwt("transaction_data_hashes is not an array of strings".into()))?;
        Ok(hashes)
    }

    fn check_status(&self, iss: &str, status: &StatusRef) -> Result<(u64, [u8; 32]), VerifyError> {
        let uri = &status.uri;
        let anchor = self
            .trust
            .status_anchor(iss, uri)?
            .ok_or_else(|| VerifyError::StatusListNotAnchored { uri: uri.clone() })?;
        let token = self.trust.status_token(uri)?;
        let hash = token_hash(&token);
        if hash != anchor.hash {
            return Err(VerifyError::StatusListMismatch { uri: uri.clone(), version: anchor.version });
        }
        let cached = self.lists.lock().unwrap_or_else(|p| p.into_inner()).get(&hash).cloned();
        let list = match cached {
            Some(l) => l,
            None => {
                let l = Arc::new(StatusList::from_token(&token, uri).map_err(VerifyError::StatusList)?);
                let mut lists = self.lists.lock().unwrap_or_else(|p| p.into_inner());
                if lists.len() > 1024 {
                    lists.clear();
                }
                lists.insert(hash, l.clone());
                l
            }
        };
        match list.get(status.idx).map_err(VerifyError::StatusList)? {
            Status::Valid => Ok((anchor.version, hash)),
            Status::Revoked => Err(VerifyError::Revoked { uri: uri.clone() }),
            Status::Suspended => Err(VerifyError::Suspended { uri: uri.clone() }),
            Status::Other(value) => Err(VerifyError::StatusNotValid { value }),
        }
    }

    fn check_policy(
        &self,
        request: &Request,
        vct: &str,
        claims: &Map<String, Value>,
        revealed: &[ClaimPath],
    ) -> Result<(), VerifyError> {
        let policy_id = request.policy_id.as_str();
        let policy = self.trust.policy(policy_id)?.ok_or_else(|| VerifyError::UnknownPolicy(policy_id.into()))?;
        if policy.verifier != request.audience {
            return Err(VerifyError::PolicyOfAnotherVerifier {
                policy: policy_id.into(),
                owner: policy.verifier,
                audience: request.audience.clone(),
            });
        }
        if policy.withdrawn_at.is_some() {
            return Err(VerifyError::PolicyWithdrawn(policy_id.into()));
        }
        let query = policy
            .dcql
            .for_type(vct)
            .ok_or_else(|| VerifyError::TypeNotInPolicy { policy: policy_id.into(), vct: vct.into() })?;
        if let Some(path) = revealed.iter().find(|r| !query.allows(r)) {
            return Err(VerifyError::BeyondPolicy { policy: policy_id.into(), path: path_text(path) });
        }
        for claim in &query.claims {
            let present = revealed
                .iter()
                .any(|r| r.len() == claim.path.len() && r.iter().zip(&claim.path).all(|(a, b)| b.is_null() || a == b))
                || (claim.path.len() == 1 && claim.path[0].as_str().is_some_and(|k| claims.contains_key(k)));
            if !present {
                return Err(VerifyError::MissingClaim { policy: policy_id.into(), path: path_text(&claim.path) });
            }
        }
        Ok(())
    }
}

/// The accreditation check shared with [`crate::issued`]: accredited for `vct` when it
/// issued at `iat`, and not suspended or revoked since.
/// The issuer-signed part of an SD-JWT VC after [`check_issuer_signed`].
pub(crate) struct IssuerSigned<'a> {
    pub jws: Jws<'a>,
    pub iss: String,
    pub kid: String,
    pub vct: String,
    pub iat: u64,
}

/// What a wallet receiving a credential and a verifier receiving a presentation both check
/// first: a VC type header, the signature by a key the chain registers for the issuer that was
/// valid at issuance, and the issuer's accreditation for the type at that time.
pub(crate) fn check_issuer_signed<'a>(sd: &'a SdJwt, trust: &dyn TrustView) -> Result<IssuerSigned<'a>, VerifyError> {
    let jws = Jws::parse(&sd.jwt).map_err(VerifyError::IssuerJwt)?;
    if !ACCEPTED_TYPS.contains(&jws.typ()) {
        return Err(VerifyError::NotSdJwtVc(jws.typ().to_string()));
    }
    let p = &jws.payload;
    let iss = str_field(p, "iss")?.to_string();
    let kid = kid_of(&jws.header, &iss)?;
    let vct = str_field(p, "vct")?.to_string();
    let iat = num_field(p, "iat")?;
    let key = trust
        .issuer_key(&iss, &kid)?
        .ok_or_else(|| VerifyError::UnknownIssuerKey { iss: iss.clone(), kid: kid.clone() })?;
    jws.verify(&key.public_key).map_err(VerifyError::IssuerSignature)?;
    if !key.covers(iat) {
        return Err(VerifyError::KeyNotValidAtIssuance { kid, iat });
    }
    check_accreditation(trust, &iss, &vct, iat)?;
    Ok(IssuerSigned { jws, iss, kid, vct, iat })
}

pub(crate) fn check_accreditation(trust: &dyn TrustView, iss: &str, vct: &str, iat: u64) -> Result<(), VerifyError> {
    let unaccredited = || VerifyError::UnaccreditedIssuer { iss: iss.into(), vct: vct.into() };
    let acc = trust.accreditation(iss, vct)?.ok_or_else(unaccredited)?;
    if !acc.active_at(iat) {
        return Err(unaccredited());
    }
    match acc.now {
        Standing::Active => Ok(()),
        Standing::Suspended { since } => Err(VerifyError::IssuerSuspended { iss: iss.into(), vct: vct.into(), since }),
        Standing::Revoked { since } => Err(VerifyError::IssuerRevoked { iss: iss.into(), vct: vct.into(), since }),
    }
}

/// The key id: the `kid` header is `<did>#<key id>` (or the bare key id).
pub(crate) fn kid_of(header: &Map<String, Value>, iss: &str) -> Result<String, VerifyError> {
    let kid = header.get("kid").and_then(Value::as_str).ok_or(VerifyError::MissingField("kid"))?;
    match kid.split_once('#') {
        Some((did, k)) if did == iss => Ok(k.to_string()),
        Some(_) => Err(VerifyError::UnknownIssuerKey { iss: iss.into(), kid: kid.into() }),
        None => Ok(kid.to_string()),
    }
}
