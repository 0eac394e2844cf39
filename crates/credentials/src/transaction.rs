//! Transaction data (OpenID4VP 1.0 §5.1 and §8.4): what a verifier asks the holder to sign
//! with the same key-binding JWT that proves possession of the credential. The only kind this
//! platform knows is a document signature: the document's SHA-256 hash and a title the wallet
//! shows before the citizen agrees. The key-binding JWT then carries the hash of each
//! transaction data string, so the presentation is the citizen's signature over the document,
//! verifiable by anyone against the holder's key and the issuing agency's signature.

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::jose::{b64, unb64};

/// The type of a document signature request.
pub const DOCUMENT_SIGNATURE: &str = "urn:dojang:document-signature:1";
/// The longest document title, in characters.
pub const MAX_TITLE: usize = 200;

/// A document to sign, as the request carries it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DocumentSignature {
    #[serde(rename = "type")]
    pub kind: String,
    /// The credential queries whose presentations sign it.
    pub credential_ids: Vec<String>,
    /// The document's SHA-256, base64url without padding.
    pub document_hash: String,
    pub title: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub transaction_data_hashes_alg: Option<Vec<String>>,
}

/// Why transaction data was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("transaction data: {0}")]
pub struct TransactionError(pub String);

/// A document's hash is a SHA-256 digest in base64url: 43 characters of that alphabet.
pub fn is_sha256_b64(s: &str) -> bool {
    s.len() == 43 && s.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

impl DocumentSignature {
    pub fn new(credential_id: &str, document_hash: &str, title: &str) -> Result<Self, TransactionError> {
        let d = DocumentSignature {
            kind: DOCUMENT_SIGNATURE.into(),
            credential_ids: vec![credential_id.into()],
            document_hash: document_hash.into(),
            title: title.into(),
            transaction_data_hashes_alg: None,
        };
        d.check()?;
        Ok(d)
    }

    fn check(&self) -> Result<(), TransactionError> {
        let bad = |m: &str| Err(TransactionError(m.into()));
        if self.kind != DOCUMENT_SIGNATURE {
            return Err(TransactionError(format!(
                "type '{}' is not one this wallet can sign ({DOCUMENT_SIGNATURE})",
                self.kind
            )));
        }
        if self.credential_ids.is_empty() {
            return bad("credential_ids is empty");
        }
        if !is_sha256_b64(&self.document_hash) {
            return bad("document_hash is not a SHA-256 digest in base64url (43 characters)");
        }
        if self.title.trim().is_empty()
            || self.title.chars().count() > MAX_TITLE
            || self.title.chars().any(char::is_control)
        {
            return bad("the title must be 1 to 200 characters without control characters");
        }
        if self.transaction_data_hashes_alg.as_ref().is_some_and(|a| !a.iter().any(|x| x == "sha-256")) {
            return bad("transaction_data_hashes_alg must allow sha-256");
        }
        Ok(())
    }

    /// The string the request carries: base64url of the JSON object.
    pub fn encode(&self) -> String {
        b64(serde_json::to_string(self).unwrap_or_default().as_bytes())
    }

    /// Reads and checks one transaction data string from a request.
    pub fn decode(encoded: &str) -> Result<Self, TransactionError> {
        let raw = unb64(encoded).map_err(|e| TransactionError(format!("not base64url: {e}")))?;
        let value: Value = serde_json::from_slice(&raw).map_err(|e| TransactionError(format!("not JSON: {e}")))?;
        let d: DocumentSignature = serde_json::from_value(value).map_err(|e| TransactionError(e.to_string()))?;
        d.check()?;
        Ok(d)
    }
}

/// Checks a signed document after the fact, as a court or an auditor would: `presentation`
/// (the SD-JWT with its key-binding JWT, as the login service handed it to the facility) is
/// signed by `issuer_key` (the agency's key on chain), its key-binding JWT by the holder key
/// the credential names, and that JWT signs `document`. Status and accreditation are the
/// caller's to check at the signing time it cares about.
pub fn check_document_signature(
    presentation: &str,
    issuer_key: &dojang_types::PublicKey,
    document: &DocumentSignature,
) -> Result<(), TransactionError> {
    use crate::jose::{Jwk, Jws};
    use crate::sdjwt::{digest, SdJwt};
    let bad = |m: String| TransactionError(m);
    let sd = SdJwt::parse(presentation).map_err(|e| bad(format!("not an SD-JWT: {e}")))?;
    let issued = Jws::parse(&sd.jwt).map_err(|e| bad(format!("the credential is not a JWT: {e}")))?;
    issued.verify(issuer_key).map_err(|_| bad("the credential is not signed by the issuer's key".into()))?;
    let jwk: Jwk = issued
        .payload
        .get("cnf")
        .and_then(|c| c.get("jwk"))
        .and_then(|j| serde_json::from_value(j.clone()).ok())
        .ok_or_else(|| bad("the credential names no holder key".into()))?;
    let holder = jwk.to_public_key().map_err(|e| bad(format!("the holder key: {e}")))?;
    let kb = sd.kb_jwt.as_deref().ok_or_else(|| bad("no key-binding JWT: nothing was signed".into()))?;
    let kb = Jws::parse(kb).map_err(|e| bad(format!("the key-binding JWT: {e}")))?;
    kb.verify(&holder).map_err(|_| bad("the key-binding JWT is not signed by the holder's key".into()))?;
    if kb.payload.get("sd_hash").and_then(Value::as_str) != Some(digest(&sd.without_kb()).as_str()) {
        return Err(bad("the key-binding JWT belongs to another presentation (sd_hash)".into()));
    }
    let hashes = kb.payload.get("transaction_data_hashes").and_then(Value::as_array);
    let expected = digest(&document.encode());
    if !hashes.is_some_and(|h| h.iter().any(|x| x.as_str() == Some(expected.as_str()))) {
        return Err(bad("the holder did not sign this document".into()));
    }
    Ok(())
}
