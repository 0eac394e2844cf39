//! Presenting: the holder picks the disclosures a DCQL credential query asks for (and nothing
//! else) and signs a key-binding JWT over the verifier's nonce and audience and the hash of
//! exactly what it presents.

use dojang_crypto::Keypair;
use serde_json::{json, Map, Value};

use crate::dcql::{path_text, CredentialQuery};
use crate::jose::{sign_compact, Jws};
use crate::sdjwt::{digest, disclose, SdJwt};

/// The JWT `typ` of a key-binding JWT.
pub const KB_JWT_TYP: &str = "kb+jwt";

/// Why the holder cannot answer a query with a credential.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PresentError {
    #[error("the stored credential is unreadable: {0}")]
    Credential(String),
    #[error("the credential is of type '{have}', the query asks for {want:?}")]
    WrongType { have: String, want: Vec<String> },
    #[error("the credential has no claim {0} that the query asks for")]
    MissingClaim(String),
    #[error("the credential's claim {0} does not have a value the query accepts")]
    ValueNotAccepted(String),
}

/// Who asks and for what: the verifier's nonce and its client id (the KB-JWT audience).
#[derive(Debug, Clone)]
pub struct Challenge<'a> {
    pub nonce: &'a str,
    pub audience: &'a str,
    /// Seconds since the Unix epoch.
    pub now: u64,
}

/// The type of a stored credential, read without checking it (the holder trusts its own store).
pub fn credential_type(credential: &str) -> Result<String, PresentError> {
    let sd = SdJwt::parse(credential).map_err(|e| PresentError::Credential(e.to_string()))?;
    let jws = Jws::parse(&sd.jwt).map_err(|e| PresentError::Credential(e.to_string()))?;
    Ok(jws.payload.get("vct").and_then(Value::as_str).unwrap_or_default().to_string())
}

/// Builds the presentation: the issuer-signed JWT, the disclosures needed for the requested
/// claims, and a key-binding JWT signed by `holder`.
pub fn present(
    credential: &str,
    holder: &Keypair,
    query: &CredentialQuery,
    challenge: &Challenge,
) -> Result<String, PresentError> {
    present_with(credential, holder, query, challenge, &[])
}

/// [`present`], the key-binding JWT also signing `transaction_data` (the request's strings,
/// OpenID4VP 1.0 §8.4): their SHA-256 hashes go into `transaction_data_hashes`.
pub fn present_with(
    credential: &str,
    holder: &Keypair,
    query: &CredentialQuery,
    challenge: &Challenge,
    transaction_data: &[String],
) -> Result<String, PresentError> {
    let sd = SdJwt::parse(credential).map_err(|e| PresentError::Credential(e.to_string()))?;
    let jws = Jws::parse(&sd.jwt).map_err(|e| PresentError::Credential(e.to_string()))?;
    let vct = jws.payload.get("vct").and_then(Value::as_str).unwrap_or_default();
    if !query.meta.vct_values.iter().any(|v| v == vct) {
        return Err(PresentError::WrongType { have: vct.to_string(), want: query.meta.vct_values.clone() });
    }
    let all = disclose(&jws.payload, &sd.disclosures).map_err(|e| PresentError::Credential(e.to_string()))?;
    let mut chosen = vec![false; sd.disclosures.len()];
    for claim in &query.claims {
        let value =
            lookup(&all.claims, &claim.path).ok_or_else(|| PresentError::MissingClaim(path_text(&claim.path)))?;
        if let Some(accepted) = &claim.values {
            if !accepted.contains(value) {
                return Err(PresentError::ValueNotAccepted(path_text(&claim.path)));
            }
        }
        for (path, index) in &all.revealed {
            let ancestor_or_self = path.len() <= claim.path.len() && path.iter().zip(&claim.path).all(|(a, b)| a == b);
            let descendant = path.len() > claim.path.len() && claim.path.iter().zip(path).all(|(a, b)| a == b);
            if ancestor_or_self || descendant {
                chosen[*index] = true;
            }
        }
    }
    let disclosures = sd.disclosures.iter().zip(&chosen).filter(|(_, c)| **c).map(|(d, _)| d.clone()).collect();
    let mut presented = SdJwt { jwt: sd.jwt, disclosures, kb_jwt: None };
    let mut header = Map::new();
    header.insert("typ".into(), json!(KB_JWT_TYP));
    let mut payload = json!({
        "iat": challenge.now,
        "aud": challenge.audience,
        "nonce": challenge.nonce,
        "sd_hash": digest(&presented.without_kb()),
    });
    if !transaction_data.is_empty() {
        let hashes: Vec<String> = transaction_data.iter().map(|t| digest(t)).collect();
        payload["transaction_data_hashes"] = json!(hashes);
        payload["transaction_data_hashes_alg"] = json!("sha-256");
    }
    presented.kb_jwt = Some(sign_compact(holder, header, &payload));
    Ok(presented.serialize())
}

fn lookup<'a>(claims: &'a Map<String, Value>, path: &[Value]) -> Option<&'a Value> {
    let (first, rest) = path.split_first()?;
    let mut v = claims.get(first.as_str()?)?;
    for p in rest {
        v = match p {
            Value::String(k) => v.get(k.as_str())?,
            Value::Number(n) => v.get(n.as_u64()? as usize)?,
            _ => return None,
        };
    }
    Some(v)
}
