//! Issuing SD-JWT VCs: every claim concealable (recursively), decoy digests in every `_sd`
//! array, holder key binding (`cnf`) and a status-list reference. Batch issuance makes several
//! single-use copies, each bound to its own holder key and status index, so two verifiers
//! cannot link two presentations by comparing signatures, digests or indexes.

use dojang_crypto::Keypair;
use dojang_types::PublicKey;
use rand::Rng as _;
use serde::{Deserialize, Serialize};
use serde_json::{json, Map, Value};

use crate::jose::{sign_compact, Jwk};
use crate::sdjwt::{decoy, Disclosure, SD_ALG};

/// The JWT `typ` of an SD-JWT VC.
pub const SD_JWT_VC_TYP: &str = "dc+sd-jwt";

/// Claims the issuer always shows: they are what a verifier needs to check the credential at
/// all, and say nothing about the person.
pub const ALWAYS_VISIBLE: [&str; 8] = ["iss", "iat", "nbf", "exp", "vct", "cnf", "status", "sub"];

/// An issuing key: the organisation's identifier (did:web) and which of its on-chain keys signs.
pub struct IssuerKey {
    pub did: String,
    /// The key id registered on chain for this organisation, e.g. `key-2026-01`.
    pub kid: String,
    pub key: Keypair,
}

/// Where a credential's status lives: `status.status_list` in the token status list draft.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StatusRef {
    pub idx: u64,
    pub uri: String,
}

/// What to issue, apart from who signs.
#[derive(Debug, Clone)]
pub struct CredentialSpec {
    pub vct: String,
    /// The subject's claims, all of which become concealable.
    pub claims: Map<String, Value>,
    pub holder: PublicKey,
    pub status: StatusRef,
    /// Seconds since the Unix epoch.
    pub issued_at: u64,
    pub expires_at: u64,
}

/// Why a credential could not be issued.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum IssueError {
    #[error("claim '{0}' is reserved for the issuer (iss, iat, exp, vct, cnf, status, ...); rename it")]
    ReservedClaim(String),
    #[error("the credential would expire ({expires_at}) before it is issued ({issued_at})")]
    Lifetime { issued_at: u64, expires_at: u64 },
}

/// The `kid` header value: the organisation and the key, as in a DID URL.
pub fn kid_url(did: &str, kid: &str) -> String {
    format!("{did}#{kid}")
}

/// The first claim name an issuer may not give: one of its own at the top (`iss`, `exp`, ...),
/// or, at any depth, a name starting with `_` (SD-JWT's `_sd` digests) or `...` (its array
/// element digests).
pub fn reserved_claim(claims: &Map<String, Value>) -> Option<String> {
    fn nested(v: &Value) -> Option<String> {
        match v {
            Value::Object(m) => {
                m.iter().find_map(|(k, v)| if k.starts_with('_') || k == "..." { Some(k.clone()) } else { nested(v) })
            }
            Value::Array(a) => a.iter().find_map(nested),
            _ => None,
        }
    }
    claims
        .keys()
        .find(|k| ALWAYS_VISIBLE.contains(&k.as_str()) || k.starts_with('_') || k.as_str() == "...")
        .cloned()
        .or_else(|| claims.values().find_map(nested))
}

/// Issues one SD-JWT VC in its compact form (`<jwt>~<disclosure>~...~`).
pub fn issue(issuer: &IssuerKey, spec: &CredentialSpec) -> Result<String, IssueError> {
    if let Some(k) = reserved_claim(&spec.claims) {
        return Err(IssueError::ReservedClaim(k));
    }
    if spec.expires_at <= spec.issued_at {
        return Err(IssueError::Lifetime { issued_at: spec.issued_at, expires_at: spec.expires_at });
    }
    let mut disclosures = Vec::new();
    let mut payload = conceal_object(&spec.claims, &mut disclosures);
    payload.insert("_sd_alg".into(), json!(SD_ALG));
    payload.insert("iss".into(), json!(issuer.did));
    payload.insert("iat".into(), json!(spec.issued_at));
    payload.insert("exp".into(), json!(spec.expires_at));
    payload.insert("vct".into(), json!(spec.vct));
    payload.insert("cnf".into(), json!({ "jwk": Jwk::from_public_key(&spec.holder) }));
    payload.insert("status".into(), json!({ "status_list": spec.status }));
    let mut header = Map::new();
    header.insert("typ".into(), json!(SD_JWT_VC_TYP));
    header.insert("kid".into(), json!(kid_url(&issuer.did, &issuer.kid)));
    let jwt = sign_compact(&issuer.key, header, &Value::Object(payload));
    let mut out = jwt;
    out.push('~');
    for d in disclosures {
        out.push_str(&d.encoded);
        out.push('~');
    }
    Ok(out)
}

/// Issues one copy per `(holder key, status reference)`: the batch a wallet asks for so it can
/// present a fresh copy each time.
pub fn issue_batch(
    issuer: &IssuerKey,
    template: &CredentialSpec,
    copies: &[(PublicKey, StatusRef)],
) -> Result<Vec<String>, IssueError> {
    copies
        .iter()
        .map(|(holder, status)| {
            let spec = CredentialSpec { holder: holder.clone(), status: status.clone(), ..template.clone() };
            issue(issuer, &spec)
        })
        .collect()
}

fn conceal_value(v: &Value, disclosures: &mut Vec<Disclosure>) -> Value {
    match v {
        Value::Object(m) => Value::Object(conceal_object(m, disclosures)),
        Value::Array(items) => Value::Array(
            items
                .iter()
                .map(|item| {
                    let d = Disclosure::element(conceal_value(item, disclosures));
                    let placeholder = json!({ "...": d.digest() });
                    disclosures.push(d);
                    placeholder
                })
                .collect(),
        ),
        other => other.clone(),
    }
}

fn conceal_object(m: &Map<String, Value>, disclosures: &mut Vec<Disclosure>) -> Map<String, Value> {
    let mut digests = Vec::with_capacity(m.len() + 5);
    for (name, value) in m {
        let d = Disclosure::property(name, conceal_value(value, disclosures));
        digests.push(d.digest());
        disclosures.push(d);
    }
    let decoys = rand::thread_rng().gen_range(2..=5);
    digests.extend((0..decoys).map(|_| decoy()));
    digests.sort();
    let mut out = Map::new();
    out.insert("_sd".into(), json!(digests));
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::jose::Jws;
    use crate::sdjwt::{disclose, SdJwt};
    use dojang_crypto::Algorithm;

    pub fn issuer() -> IssuerKey {
        IssuerKey { did: "did:web:mois.go.kr".into(), kid: "key-1".into(), key: Keypair::generate(Algorithm::P256) }
    }

    #[test]
    fn every_claim_is_concealed_and_all_disclose_back() {
        let iss = issuer();
        let holder = Keypair::generate(Algorithm::P256).public_key();
        let claims =
            json!({"resident_of": "seoul", "age_over_19": true, "address": {"district": "mapo", "tags": ["a", "b"]}});
        let spec = CredentialSpec {
            vct: "urn:dojang:resident:1".into(),
            claims: claims.as_object().unwrap().clone(),
            holder,
            status: StatusRef { idx: 7, uri: "https://mois.example/status/1".into() },
            issued_at: 1000,
            expires_at: 2000,
        };
        let sd = SdJwt::parse(&issue(&iss, &spec).unwrap()).unwrap();
        let jws = Jws::parse(&sd.jwt).unwrap();
        jws.verify(&iss.key.public_key()).unwrap();
        assert_eq!(jws.typ(), SD_JWT_VC_TYP);
        assert!(!sd.jwt.contains("seoul"));
        assert!(!jws.payload.contains_key("resident_of"));
        let d = disclose(&jws.payload, &sd.disclosures).unwrap();
        assert_eq!(d.claims["resident_of"], "seoul");
        assert_eq!(d.claims["address"], json!({"district": "mapo", "tags": ["a", "b"]}));
        assert!(jws.payload["_sd"].as_array().unwrap().len() >= 3 + 2, "decoys added");
    }

    #[test]
    fn reserved_claims_and_bad_lifetimes_are_refused() {
        let iss = issuer();
        let mut spec = CredentialSpec {
            vct: "t".into(),
            claims: json!({"iss": "x"}).as_object().unwrap().clone(),
            holder: Keypair::generate(Algorithm::P256).public_key(),
            status: StatusRef { idx: 0, uri: "u".into() },
            issued_at: 10,
            expires_at: 20,
        };
        assert_eq!(issue(&iss, &spec), Err(IssueError::ReservedClaim("iss".into())));
        spec.claims = Map::new();
        spec.expires_at = 10;
        assert!(matches!(issue(&iss, &spec), Err(IssueError::Lifetime { .. })));
    }

    #[test]
    fn batch_copies_share_no_digest_or_key() {
        let iss = issuer();
        let template = CredentialSpec {
            vct: "t".into(),
            claims: json!({"age_over_19": true}).as_object().unwrap().clone(),
            holder: Keypair::generate(Algorithm::P256).public_key(),
            status: StatusRef { idx: 0, uri: "u".into() },
            issued_at: 10,
            expires_at: 20,
        };
        let copies: Vec<_> = (0..3)
            .map(|i| (Keypair::generate(Algorithm::P256).public_key(), StatusRef { idx: i, uri: "u".into() }))
            .collect();
        let out = issue_batch(&iss, &template, &copies).unwrap();
        let discs: Vec<String> = out.iter().map(|c| SdJwt::parse(c).unwrap().disclosures[0].clone()).collect();
        assert!(discs[0] != discs[1] && discs[1] != discs[2]);
    }
}
