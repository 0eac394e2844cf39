//! The poll's registrar (VOTE-01, VOTE-02, VOTE-10): a citizen presents the resident
//! credential over OpenID4VP, under the verification policy the poll names; the registrar
//! checks the poll's eligibility on the disclosed claims and, once per person and poll, signs
//! the citizen's *blinded* voting key (RFC 9474). The registrar never sees the voting key it
//! signs, so nothing it keeps links a person to a ballot: it keeps the blinded message's
//! digest beside the decision, so that the same person asking again with the same blinded
//! message (an answer lost on the way) is signed for again, and blinding makes that digest
//! unlinkable to the finished signature.
//!
//! Its signed request names the blinded message ([`BLINDED_CLAIM`]); a wallet answers only a
//! request naming its own, so whoever fetched the request cannot have this person's
//! registration spent on a key of theirs.
//!
//! The presentation checks, the one-decision-per-pseudonym rule and the decision store are the
//! program office's ([`dojang_verifier::Office`]): a poll is, to its registrar, a program whose
//! rules come from the poll's `eligibility` and whose pseudonym is the resident registry's
//! token for the poll (decision 0008), which is the nullifier `H(secret, poll)` of VOTE-02.

use std::collections::HashMap;
use std::sync::Mutex;

use base64::engine::general_purpose::{STANDARD as B64, URL_SAFE_NO_PAD as B64URL};
use base64::Engine;
use blind_rsa_signatures::reexports::rsa::PublicKeyParts as _;
use blind_rsa_signatures::{Options, SecretKey};
use dojang_credentials::{Policy, TrustView};
use dojang_eligibility::ruleset::{Condition, Test};
use dojang_eligibility::{Handling, Outcome, RuleSet};
use dojang_verifier::{Application, ApplyError, Office, OfficeBusy, Program, Receipt};
use dojang_voting::msg::{Eligibility, PollSpec};
use serde_json::{json, Value};

/// The credential query id the registrar's policy names the resident credential by.
pub const RESIDENT: &str = "resident";

/// The city-wide district id: any Seoul resident.
pub const WHOLE_CITY: &str = "seoul";

/// Why a registrar refused or could not answer.
#[derive(Debug, thiserror::Error)]
pub enum RegistrarError {
    #[error("the registrar cannot serve this poll: {0}")]
    Setup(String),
    #[error("blinded_message is not base64 of {expected} bytes below the registrar key's modulus; blind the credential message with the poll's registrar_key")]
    BadBlindedMessage { expected: usize },
    #[error(transparent)]
    Busy(#[from] OfficeBusy),
    #[error("no open request with this state (unknown, lapsed or already answered); ask for a new request")]
    UnknownRequest,
    #[error("the answer does not name the blinded message its request was made for (blinded_message, base64); only the wallet that blinded it may answer; ask for a new request")]
    NotThisMessage,
    #[error("not eligible for this poll: {}", .0.join("; "))]
    NotEligible(Vec<String>),
    #[error("this person already received a voting credential for this poll (VOTE-02); one per person")]
    AlreadyIssued,
    #[error("every one of the poll's {0} eligible people has a voting credential already (VOTE-10); the roll is full")]
    RollFull(u64),
    #[error("the presentation needs a person's review before a credential can be issued: {0}")]
    ManualReview(String),
    #[error(transparent)]
    Apply(ApplyError),
    #[error("the registrar could not sign: {0}")]
    Sign(String),
}

/// What an eligible citizen receives: the blind signature (base64) their wallet finalizes
/// into the token a ballot carries, and the decision's receipt.
#[derive(Debug, Clone)]
pub struct Issued {
    pub blind_signature: String,
    pub receipt: Receipt,
    /// The signature was given before and its answer lost: the same person asked again with
    /// the same blinded message, and got the same signature (no second credential).
    pub resent: bool,
}

/// The claim of a registrar's request naming the blinded message it will sign: base64url
/// SHA-256 of its bytes. The wallet answers only a request that names its own, so a request
/// fetched by someone else for their own key cannot spend this person's registration.
pub const BLINDED_CLAIM: &str = "blinded_message_sha256";

/// The name of a blinded message in requests and the registrar's records.
pub fn blinded_digest(blinded: &[u8]) -> String {
    B64URL.encode(dojang_types::sha256(&[blinded]).0)
}

/// The rule set that says what the poll's eligibility says, over the resident credential's
/// claims: the district (or residence in Seoul, city-wide), the months at the address, and the
/// age threshold.
pub fn registrar_rules(e: &Eligibility) -> RuleSet {
    let condition = |id: &str, claim: &str, test: Test, reason: String| Condition {
        id: id.into(),
        credential: RESIDENT.into(),
        claim: vec![claim.into()],
        test,
        reason,
    };
    let mut conditions = vec![if e.district == WHOLE_CITY {
        condition(
            "resident",
            "resident_of_seoul",
            Test::Equals { value: json!(true) },
            "not registered as a Seoul resident".into(),
        )
    } else {
        condition(
            "resident",
            "district",
            Test::Equals { value: json!(e.district) },
            format!("not registered as a resident of {}", e.district),
        )
    }];
    if e.min_months_resident > 0 {
        conditions.push(condition(
            "months_resident",
            "months_in_district",
            Test::AtLeast { value: i64::from(e.min_months_resident) },
            format!("registered at the address for fewer than {} months", e.min_months_resident),
        ));
    }
    if e.min_age > 0 {
        conditions.push(condition(
            "age",
            &format!("age_over_{}", e.min_age),
            Test::Equals { value: json!(true) },
            format!("younger than {}", e.min_age),
        ));
    }
    RuleSet { conditions, on_credential_revoked: Handling::Reject, on_issuer_suspended: Handling::ManualReview }
}

/// The claims (as paths) the registrar's policy must ask of the resident credential: what its
/// rules read, and the poll's pseudonym.
pub fn claims_needed(poll: &str, e: &Eligibility) -> Vec<Vec<Value>> {
    let mut paths: Vec<Vec<Value>> =
        registrar_rules(e).conditions.into_iter().map(|c| c.claim.into_iter().map(Value::String).collect()).collect();
    paths.push(vec![json!("program_pseudonyms"), json!(poll)]);
    paths
}

/// Checks that `policy` is the one the poll names, belongs to the registrar's organisation,
/// and asks the resident credential for exactly the claims the rules read and the poll's
/// pseudonym: fewer, and every citizen would be refused for a claim never asked; more, and
/// the registrar would learn what it has no need to know.
pub fn policy_fits(poll: &str, spec: &PollSpec, policy: &Policy, did: &str) -> Result<(), String> {
    if policy.id != spec.eligibility.policy {
        return Err(format!("the poll names policy '{}', not '{}'", spec.eligibility.policy, policy.id));
    }
    if policy.verifier != did {
        return Err(format!("policy '{}' belongs to {}, not to {did}", policy.id, policy.verifier));
    }
    if policy.withdrawn_at.is_some() {
        return Err(format!("policy '{}' was withdrawn", policy.id));
    }
    let [query] = policy.dcql.credentials.as_slice() else {
        return Err(format!("policy '{}' must ask for one credential, '{RESIDENT}', and nothing else", policy.id));
    };
    if query.id != RESIDENT {
        return Err(format!("policy '{}' asks for '{}', not for '{RESIDENT}'", policy.id, query.id));
    }
    let needed = claims_needed(poll, &spec.eligibility);
    for path in &needed {
        if !query.claims.iter().any(|c| c.path == *path) {
            return Err(format!(
                "policy '{}' does not ask for {}, which the poll's eligibility needs",
                policy.id,
                dojang_credentials::dcql::path_text(path)
            ));
        }
    }
    if let Some(extra) = query.claims.iter().find(|c| !needed.contains(&c.path)) {
        return Err(format!(
            "policy '{}' asks for {}, which the poll's eligibility does not need",
            policy.id,
            dojang_credentials::dcql::path_text(&extra.path)
        ));
    }
    Ok(())
}

/// One poll's registrar.
pub struct Registrar<T: TrustView> {
    poll: String,
    office: Office<T>,
    program: Program,
    key: SecretKey,
    /// The roll's size: never more credentials than this (VOTE-10).
    eligible: u64,
    modulus_bytes: usize,
    /// The modulus, big-endian: a blinded message must be below it.
    modulus: Vec<u8>,
    /// Blinded messages by their request's `state`, until answered; never written to disk.
    blinded: Mutex<HashMap<String, Vec<u8>>>,
    /// Serializes the issued counter's read and write.
    counting: Mutex<()>,
}

fn issued_key(poll: &str) -> String {
    format!("voting/issued/{poll}")
}

/// The digest of the blinded message signed for the decision `seq`: the one message that
/// decision's person may have signed again.
fn signed_key(poll: &str, seq: u64) -> String {
    format!("voting/signed/{poll}/{seq}")
}

impl<T: TrustView + Sync> Registrar<T> {
    /// `key` must be the RSA key whose public half the poll names; `policy` the poll's policy,
    /// read from the chain; `office` the registrar's organisation and its decision store.
    pub fn new(
        poll: &str,
        spec: &PollSpec,
        policy: Policy,
        office: Office<T>,
        key: SecretKey,
    ) -> Result<Self, RegistrarError> {
        let setup = |e: String| RegistrarError::Setup(e);
        let public = key.public_key().and_then(|pk| pk.to_spki(Some(&Options::default())));
        let public = public.map_err(|e| setup(format!("the registrar key: {e}")))?;
        if B64.encode(public) != spec.registrar_key {
            return Err(setup("the registrar key is not the one the poll names (registrar_key)".into()));
        }
        policy_fits(poll, spec, &policy, &office.did).map_err(setup)?;
        let modulus_bytes = key.0.size();
        let modulus = key.0.n().to_bytes_be();
        let program = Program {
            id: poll.into(),
            policy,
            ruleset_version: 1,
            rules: registrar_rules(&spec.eligibility),
            // Used by a program office's lottery only; the roll is capped by `eligible` here.
            quota: u32::try_from(spec.eligible).unwrap_or(u32::MAX),
            window_opens_ms: 0,
            window_closes_ms: spec.closes_ms,
            pseudonym: (RESIDENT.into(), vec!["program_pseudonyms".into(), poll.into()]),
        };
        Ok(Registrar {
            poll: poll.into(),
            office,
            program,
            key,
            eligible: spec.eligible,
            modulus_bytes,
            modulus,
            blinded: Mutex::new(HashMap::new()),
            counting: Mutex::new(()),
        })
    }

    pub fn poll(&self) -> &str {
        &self.poll
    }

    /// The verification policy the registrar asks under.
    pub fn policy_id(&self) -> &str {
        &self.program.policy.id
    }

    pub fn office(&self) -> &Office<T> {
        &self.office
    }

    /// A signed OpenID4VP request for the poll's policy, holding `blinded_message` (base64)
    /// until the citizen answers it.
    pub fn request(&self, blinded_message: &str, now: u64) -> Result<String, RegistrarError> {
        let bad = || RegistrarError::BadBlindedMessage { expected: self.modulus_bytes };
        let blinded = B64.decode(blinded_message.trim()).map_err(|_| bad())?;
        // Same length, big-endian: the byte order is the numbers' order.
        if blinded.len() != self.modulus_bytes || blinded.as_slice() >= self.modulus.as_slice() {
            return Err(bad());
        }
        let mut names = serde_json::Map::new();
        names.insert(BLINDED_CLAIM.into(), json!(blinded_digest(&blinded)));
        let jwt = self.office.request_with(&self.program, now, names)?;
        let state = request_state(&jwt).ok_or_else(|| RegistrarError::Sign("the request has no state".into()))?;
        let mut book = self.blinded.lock().unwrap_or_else(|p| p.into_inner());
        // Lapsed requests leave in a sweep once the book holds twice the office's open
        // requests: the sweep's cost is spread over the requests that filled it.
        if book.len() > 2 * self.office.pending_count() + 16 {
            book.retain(|s, _| self.office.pending_program(s, now).is_some());
        }
        book.insert(state, blinded);
        Ok(jwt)
    }

    /// Decides the citizen's answer; if they are eligible and had no credential yet, signs
    /// their blinded message. A person who was signed for before and asks again with the very
    /// same blinded message (the answer was lost on the way) gets the same signature again.
    ///
    /// The answer names the blinded message (base64) besides the request's `state`: a wallet
    /// that did not blind it (one answering any office's request, led there by a link) cannot
    /// have this person's registration spent on someone else's key.
    pub fn issue(&self, app: Application, blinded_message: &str, now: u64) -> Result<Issued, RegistrarError> {
        let blinded = self.blinded.lock().unwrap_or_else(|p| p.into_inner()).remove(&app.state);
        let blinded = blinded.ok_or(RegistrarError::UnknownRequest)?;
        if B64.decode(blinded_message.trim()).ok().as_deref() != Some(blinded.as_slice()) {
            return Err(RegistrarError::NotThisMessage);
        }
        let digest = blinded_digest(&blinded);
        let receipt = match self.office.decide(&self.program, vec![app], now).pop() {
            Some(Ok(r)) => r,
            Some(Err(ApplyError::Duplicate(seq))) => return self.sign_again(seq, &blinded, &digest),
            Some(Err(ApplyError::UnknownRequest)) => return Err(RegistrarError::UnknownRequest),
            Some(Err(e)) => return Err(RegistrarError::Apply(e)),
            None => return Err(RegistrarError::Apply(ApplyError::Store("no decision".into()))),
        };
        match &receipt.decision.outcome {
            Outcome::Eligible => {}
            Outcome::NotEligible { failed } => {
                return Err(RegistrarError::NotEligible(failed.iter().map(|f| f.reason.clone()).collect()))
            }
            Outcome::ManualReview { reason } => return Err(RegistrarError::ManualReview(reason.clone())),
        }
        // Counted before signing: the count on chain may exceed the signatures (a crash in
        // between), never fall short of them, so VOTE-10's bound stays true. A person already
        // served is told so above; a new person once the roll is full is refused here.
        self.count_one(receipt.decision.seq, &digest)?;
        Ok(Issued { blind_signature: self.sign(&blinded)?, receipt, resent: false })
    }

    /// The signature a decision gave, again, for the same blinded message only. An eligible
    /// decision that never reached its count (a crash or a store failure in between) is
    /// counted and signed now, for this message.
    fn sign_again(&self, seq: u64, blinded: &[u8], digest: &str) -> Result<Issued, RegistrarError> {
        let store = |e: dojang_verifier::store::StoreError| RegistrarError::Apply(ApplyError::Store(e.0));
        let receipt = self.office.receipt(seq).map_err(store)?.ok_or(RegistrarError::AlreadyIssued)?;
        let signed: Option<String> = self.office.store().meta(&signed_key(&self.poll, seq)).map_err(store)?;
        match &signed {
            Some(d) if d == digest => {}
            None if receipt.decision.outcome == Outcome::Eligible => self.count_one(seq, digest)?,
            _ => return Err(RegistrarError::AlreadyIssued),
        }
        Ok(Issued { blind_signature: self.sign(blinded)?, receipt, resent: signed.is_some() })
    }

    fn sign(&self, blinded: &[u8]) -> Result<String, RegistrarError> {
        let signed = self.key.blind_sign(&mut rand::thread_rng(), blinded, &Options::default());
        Ok(B64.encode(signed.map_err(|e| RegistrarError::Sign(e.to_string()))?.0))
    }

    /// Voting credentials issued so far (what `record_issued` puts on chain).
    pub fn issued(&self) -> Result<u64, String> {
        Ok(self.office.store().meta(&issued_key(&self.poll)).map_err(|e| e.0)?.unwrap_or(0))
    }

    /// Counts decision `seq`'s credential and names the blinded message it signs, in one
    /// durable write.
    fn count_one(&self, seq: u64, digest: &str) -> Result<(), RegistrarError> {
        let store = |e: String| RegistrarError::Apply(ApplyError::Store(e));
        let _one = self.counting.lock().unwrap_or_else(|p| p.into_inner());
        let n = self.issued().map_err(store)? + 1;
        if n > self.eligible {
            return Err(RegistrarError::RollFull(self.eligible));
        }
        let (issued, signed) = (issued_key(&self.poll), signed_key(&self.poll, seq));
        let entries = [(issued.as_str(), json!(n)), (signed.as_str(), json!(digest))];
        self.office.store().put_metas(&entries).map_err(|e| store(e.0))
    }
}

/// The `state` inside a request the office signed (its own JWT, so only decoded).
fn request_state(jwt: &str) -> Option<String> {
    request_claim(jwt, "state")
}

/// A text claim of a request's payload, only decoded: for a JWT whose signature was checked
/// (or that the registrar signed itself).
fn request_claim(jwt: &str, name: &str) -> Option<String> {
    let payload = B64URL.decode(jwt.split('.').nth(1)?).ok()?;
    let v: Value = serde_json::from_slice(&payload).ok()?;
    v[name].as_str().map(str::to_string)
}

/// Whether a registrar's request, its signature already checked, names this blinded message
/// (base64) as the one it will sign: a wallet answers no other.
pub fn request_names(jwt: &str, blinded_message: &str) -> bool {
    let Ok(blinded) = B64.decode(blinded_message.trim()) else { return false };
    request_claim(jwt, BLINDED_CLAIM).is_some_and(|named| named == blinded_digest(&blinded))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn eligibility(district: &str, months: u32, age: u32) -> Eligibility {
        Eligibility { district: district.into(), min_months_resident: months, min_age: age, policy: "p".into() }
    }

    #[test]
    fn vote_01_the_rules_read_only_the_claims_the_poll_needs() {
        let claims = |e: &Eligibility| -> Vec<Vec<String>> {
            registrar_rules(e).conditions.into_iter().map(|c| c.claim).collect()
        };
        assert_eq!(claims(&eligibility(WHOLE_CITY, 0, 0)), [vec!["resident_of_seoul".to_string()]]);
        assert_eq!(
            claims(&eligibility("mapo-gu", 6, 19)),
            [vec!["district".to_string()], vec!["months_in_district".into()], vec!["age_over_19".into()]]
        );
        let needed = claims_needed("poll-1", &eligibility("mapo-gu", 0, 0));
        assert_eq!(needed, [vec![json!("district")], vec![json!("program_pseudonyms"), json!("poll-1")]]);
    }

    #[test]
    fn a_request_state_is_read_from_the_jwt_payload_and_nothing_else() {
        let payload = B64URL.encode(json!({"state": "abc"}).to_string());
        assert_eq!(request_state(&format!("h.{payload}.s")), Some("abc".into()));
        assert_eq!(request_state("no-dots"), None);
        assert_eq!(request_state("h.!!!.s"), None);
        assert_eq!(request_state(&format!("h.{}.s", B64URL.encode("{}"))), None);
    }
}
