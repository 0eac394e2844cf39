//! The wallet's answer to a login, checked: every presentation the policy asks for (the trust
//! list, status, holder binding and policy checks of [`Verifier::check`], each failure named
//! by its rule), then the login's own rules: the residency credential's age (AUTH-08), the
//! level reached (AUTH-07), the document signed when one was asked, and whose subject the
//! facility sees (AUTH-05): the citizen's own, or, when a guardian logs in for a ward, the
//! ward's, with the guardian as the actor (RFC 8693 `act`) and the delegation's scope checked.

use dojang_credentials::sdjwt::digest;
use dojang_credentials::transaction::DocumentSignature;
use dojang_credentials::{Policy, Request, TrustView, Verified, Verifier, VerifyError};
use dojang_login::rules::{delegation_covers, level_is_reached, residency_is_fresh};
use dojang_login::{Level, RelyingParty};
use serde_json::{json, Map, Value};

use crate::authorize::AuthRequest;
use crate::provider::{rule_of, LoginError};
use crate::tokens::{pairwise_subject, RESERVED};

/// The resident registry's credential type: residency, age bands, the facility tokens.
pub const RESIDENT_VCT: &str = "urn:dojang:resident:1";
/// The registry's guardian credential: who may act for a ward, where, until when.
pub const GUARDIAN_VCT: &str = "urn:dojang:guardian:1";

/// Claims that never pass to the facility as they are: the registry's tokens, the level
/// (it travels as `acr`) and the delegation's own fields (they travel as `delegation`).
const WITHHELD: &[&str] =
    &["program_pseudonyms", "assurance", "ward_pseudonyms", "guardian_pseudonyms", "scope", "relationship"];

fn token<'a>(v: &'a Verified, field: &str, facility: &str) -> Result<&'a str, LoginError> {
    v.claims
        .get(field)
        .and_then(|t| t.get(facility))
        .and_then(Value::as_str)
        .ok_or_else(|| LoginError::NoPairwiseToken(facility.to_string()))
}

/// Checks the answer; returns the ID token's claims that depend on it (`sub`, `acr`, the
/// disclosed claims, `act` and `delegation`, `document_signature`).
#[allow(clippy::too_many_arguments)]
pub fn check<T: TrustView>(
    verifier: &Verifier<T>,
    audience: &str,
    request: &AuthRequest,
    nonce: &str,
    vp_token: &Map<String, Value>,
    rp: &RelyingParty,
    policy: &Policy,
    now: u64,
) -> Result<Map<String, Value>, LoginError> {
    let facility = rp.registration.id.as_str();
    let resident_query = policy.dcql.for_type(RESIDENT_VCT).ok_or(LoginError::PolicyWithoutResidency)?;
    if request.on_behalf && policy.dcql.for_type(GUARDIAN_VCT).is_none() {
        return Err(LoginError::Rule("AUTH-04: the facility's guardian policy asks for no guardian credential".into()));
    }
    let document = match &request.document {
        Some((hash, title)) => {
            Some(DocumentSignature::new(&resident_query.id, hash, title).map_err(|e| LoginError::Rule(e.to_string()))?)
        }
        None => None,
    };
    let req = Request { nonce: nonce.to_string(), audience: audience.to_string(), policy_id: policy.id.clone() };
    let mut out = Map::new();
    let mut own = None;
    let mut ward = None;
    let mut guardian = None;
    let mut reached = Level::Low;
    for q in &policy.dcql.credentials {
        let p = vp_token.get(&q.id).and_then(|v| v.get(0)).and_then(Value::as_str);
        let p = p.ok_or_else(|| LoginError::MissingCredential(q.id.clone()))?;
        let v = verifier.check(p, &req, now).map_err(|error| match error {
            VerifyError::Replayed | VerifyError::UnknownNonce => LoginError::Replay(Box::new(error)),
            error => LoginError::Presentation { rule: rule_of(&error), query: q.id.clone(), error: Box::new(error) },
        })?;
        if v.vct == RESIDENT_VCT {
            residency_is_fresh(v.issued_at, now, rp.registration.residency_max_age_days).map_err(LoginError::Rule)?;
            own = Some(token(&v, "program_pseudonyms", facility)?.to_string());
            reached = match v.claims.get("assurance").and_then(Value::as_str) {
                Some("high") => Level::High,
                Some("substantial") => Level::Substantial,
                _ => Level::Low,
            };
            if let Some(d) = &document {
                if !v.transaction_data_hashes.contains(&digest(&d.encode())) {
                    return Err(LoginError::Rule(
                        "AUTH-07: the wallet's presentation does not sign the document; the signature is refused"
                            .into(),
                    ));
                }
                // The facility keeps the presentation as the signature and the transaction
                // data string it signs, so it can check both later without us.
                let signed = json!({"document_hash": d.document_hash, "title": d.title, "transaction_data": d.encode(), "presentation": p});
                out.insert("document_signature".into(), signed);
            }
        }
        if v.vct == GUARDIAN_VCT && request.on_behalf {
            let scope: Vec<String> =
                v.claims.get("scope").and_then(|s| serde_json::from_value(s.clone()).ok()).unwrap_or_default();
            delegation_covers(&scope, facility).map_err(LoginError::Rule)?;
            let relationship = v.claims.get("relationship").and_then(Value::as_str).unwrap_or("guardian");
            out.insert("delegation".into(), json!({"relationship": relationship, "until": v.expires_at}));
            ward = Some(token(&v, "ward_pseudonyms", facility)?.to_string());
            guardian = Some(token(&v, "guardian_pseudonyms", facility)?.to_string());
        }
        // Only what the citizen disclosed goes on: not the issuer's own fields (cnf, status,
        // vct), not what is withheld above.
        let names: Vec<&str> = v.revealed.iter().filter_map(|p| p.first().and_then(Value::as_str)).collect();
        for (name, value) in &v.claims {
            let passes = names.contains(&name.as_str())
                && !RESERVED.contains(&name.as_str())
                && !WITHHELD.contains(&name.as_str());
            if passes {
                out.insert(name.clone(), value.clone());
            }
        }
    }
    level_is_reached(request.required, reached).map_err(LoginError::Rule)?;
    let own = own.ok_or_else(|| LoginError::NoPairwiseToken(facility.to_string()))?;
    // The guardian credential names its guardian (by the registry's token here): it works only
    // beside that same person's own resident credential, not someone else's.
    if request.on_behalf && guardian.as_deref() != Some(own.as_str()) {
        return Err(LoginError::Rule(
            "AUTH-03: the guardian credential belongs to another person than the resident credential shown".into(),
        ));
    }
    match (request.on_behalf, ward) {
        (true, Some(ward)) => {
            out.insert("sub".into(), json!(pairwise_subject(facility, &ward)));
            out.insert("act".into(), json!({"sub": pairwise_subject(facility, &own)}));
        }
        (true, None) => return Err(LoginError::MissingCredential("guardian".into())),
        (false, _) => {
            out.insert("sub".into(), json!(pairwise_subject(facility, &own)));
        }
    }
    out.insert("acr".into(), json!(reached.acr()));
    Ok(out)
}
