//! The poll's registrar (VOTE-01, VOTE-02, VOTE-10): a citizen presents the resident
//! credential over OpenID4VP, under the verification policy the poll names; the registrar
//! checks the poll's eligibility on the disclosed claims and, once per person and poll, signs
//! the citizen's *blinded* voting key (RFC 9474). The registrar never sees the voting key it
//! signs, so nothing it keeps links a person to a ballot.
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
        let jwt = self.office.request(&self.program, now)?;
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
    /// their blinded message.
    pub fn issue(&self, app: Application, now: u64) -> Result<Issued, RegistrarError> {
        let blinded = self.blinded.lock().unwrap_or_else(|p| p.into_inner()).remove(&app.state);
        let blinded = blinded.ok_or(RegistrarError::UnknownRequest)?;
        let receipt = match self.office.decide(&self.program, vec![app], now).pop() {
            Some(Ok(r)) => r,
            Some(Err(ApplyError::Duplicate(_))) => return Err(RegistrarError::AlreadyIssued),
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
        self.count_one()?;
        let signed = self.key.blind_sign(&mut rand::thread_rng(), &blinded, &Options::default());
        let signed = signed.map_err(|e| RegistrarError::Sign(e.to_string()))?;
        Ok(Issued { blind_signature: B64.encode(signed.0), receipt })
    }

    /// Voting credentials issued so far (what `record_issued` puts on chain).
    pub fn issued(&self) -> Result<u64, String> {
        Ok(self.office.store().meta(&issued_key(&self.poll)).map_err(|e| e.0)?.unwrap_or(0))
    }

    fn count_one(&self) -> Result<(), RegistrarError> {
        let store = |e: String| RegistrarError::Apply(ApplyError::Store(e));
        let _one = self.counting.lock().unwrap_or_else(|p| p.into_inner());
        let n = self.issued().map_err(store)? + 1;
        if n > self.eligible {
            return Err(RegistrarError::RollFull(self.eligible));
        }
        self.office.store().put_meta(&issued_key(&self.poll), &n).map_err(|e| store(e.0))
    }
}

/// The `state` inside a request the office signed (its own JWT, so only decoded).
fn request_state(jwt: &str) -> Option<String> {
    let payload = B64URL.decode(jwt.split('.').nth(1)?).ok()?;
    let v: Value = serde_json::from_slice(&payload).ok()?;
    v["state"].as_str().map(str::to_string)
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
