//! Requests signed by an account key. A node serves a payload only to an account the ledger
//! names as a member of its collection, so the requester proves it holds that account's key:
//! it signs the chain id, the method, the path, the time, the body's hash and its one-time
//! reply key, and sends the signature in headers. A request more than a minute away from the
//! node's clock, or for another chain, is refused; and since answers are sealed to the reply
//! key (`crate::reply`), replaying a captured request yields nothing readable.

use dojang_crypto::{Signer, SignerError};
use dojang_types::{sha256, PublicKey, Signature};

use crate::reply::REPLY_KEY_HEADER;

pub const KEY_HEADER: &str = "x-dojang-key";
pub const TIME_HEADER: &str = "x-dojang-time";
pub const SIGNATURE_HEADER: &str = "x-dojang-signature";
/// How far a request's time may be from the node's clock.
pub const MAX_SKEW_MS: u64 = 60_000;

const DOMAIN: &[u8] = b"dojang/private-request/v1\n";

/// Why a signed request was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AuthError {
    #[error("the request is not signed: send the {KEY_HEADER}, {TIME_HEADER} and {SIGNATURE_HEADER} headers (docs/modules/collections.md)")]
    Missing,
    #[error("{0}")]
    Malformed(String),
    #[error("the request's time is {0} ms from this node's clock; the most allowed is {MAX_SKEW_MS} ms: check the client's clock")]
    Skewed(u64),
    #[error("the signature does not match the key, chain, method, path, time, body and reply key")]
    BadSignature,
}

/// What a request signature covers.
pub struct Signed<'a> {
    pub chain_id: &'a str,
    pub method: &'a str,
    pub path: &'a str,
    pub time_ms: u64,
    pub body: &'a [u8],
    /// The reply key (hex) the answer is to be sealed to, if any.
    pub reply_key: Option<&'a str>,
}

impl Signed<'_> {
    /// The bytes a requester signs.
    pub fn signing_bytes(&self) -> Vec<u8> {
        let mut out = DOMAIN.to_vec();
        let lines = [
            self.chain_id.to_string(),
            self.method.to_string(),
            self.path.to_string(),
            self.time_ms.to_string(),
            sha256(&[self.body]).to_string(),
            self.reply_key.unwrap_or_default().to_string(),
        ];
        out.extend_from_slice(lines.join("\n").as_bytes());
        out
    }

    /// The headers that sign this request.
    pub fn sign(&self, signer: &dyn Signer) -> Result<Vec<(&'static str, String)>, SignerError> {
        let signature = signer.sign(&self.signing_bytes())?;
        let mut headers = vec![
            (KEY_HEADER, signer.public_key().to_string()),
            (TIME_HEADER, self.time_ms.to_string()),
            (SIGNATURE_HEADER, hex::encode(signature.bytes())),
        ];
        if let Some(k) = self.reply_key {
            headers.push((REPLY_KEY_HEADER, k.to_string()));
        }
        Ok(headers)
    }
}

/// The key that signed a request, if its headers (read through `header`) are present, well
/// formed, timely and match; and the reply key the answer is to be sealed to, if it gave one.
pub fn verify<'h>(
    header: impl Fn(&str) -> Option<&'h str>,
    chain_id: &str,
    method: &str,
    path: &str,
    body: &[u8],
    now_ms: u64,
) -> Result<(PublicKey, Option<String>), AuthError> {
    let (Some(key), Some(time), Some(signature)) = (header(KEY_HEADER), header(TIME_HEADER), header(SIGNATURE_HEADER))
    else {
        return Err(AuthError::Missing);
    };
    let key = PublicKey::parse(key).map_err(|e| AuthError::Malformed(format!("{KEY_HEADER}: {e}")))?;
    let time_ms: u64 =
        time.parse().map_err(|_| AuthError::Malformed(format!("{TIME_HEADER} must be milliseconds since 1970")))?;
    let skew = time_ms.abs_diff(now_ms);
    if skew > MAX_SKEW_MS {
        return Err(AuthError::Skewed(skew));
    }
    let bytes: [u8; 64] = hex::decode(signature)
        .ok()
        .and_then(|b| b.try_into().ok())
        .ok_or_else(|| AuthError::Malformed(format!("{SIGNATURE_HEADER} must be 128 hex digits")))?;
    let signature = match key {
        PublicKey::Ed25519(_) => Signature::Ed25519(bytes),
        PublicKey::P256(_) => Signature::P256(bytes),
    };
    let reply_key = header(REPLY_KEY_HEADER);
    let signed = Signed { chain_id, method, path, time_ms, body, reply_key };
    if !dojang_crypto::verify(&key, &signed.signing_bytes(), &signature) {
        return Err(AuthError::BadSignature);
    }
    Ok((key, reply_key.map(str::to_string)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use dojang_crypto::{Algorithm, Keypair};

    fn getter<'a>(h: &'a [(&'static str, String)]) -> impl Fn(&str) -> Option<&'a str> + 'a {
        move |name| h.iter().find(|(n, _)| *n == name).map(|(_, v)| v.as_str())
    }

    #[test]
    fn a_signed_request_verifies_for_both_key_kinds_and_nothing_else_does() {
        for alg in [Algorithm::Ed25519, Algorithm::P256] {
            let k = Keypair::generate(alg);
            let path = "/v1/private/labour/0123456789abcdef0123456789abcdef";
            let signed =
                Signed { chain_id: "city", method: "GET", path, time_ms: 1_000_000, body: b"", reply_key: Some("ab") };
            let h = signed.sign(&k).unwrap();
            let check = |chain: &str, method: &str, path: &str, body: &[u8], now: u64| {
                verify(getter(&h), chain, method, path, body, now)
            };
            assert_eq!(check("city", "GET", path, b"", 1_000_500), Ok((k.public_key(), Some("ab".to_string()))));
            assert_eq!(check("town", "GET", path, b"", 1_000_500), Err(AuthError::BadSignature), "another chain");
            assert_eq!(check("city", "POST", path, b"", 1_000_500), Err(AuthError::BadSignature));
            assert_eq!(check("city", "GET", "/v1/private/labour/x", b"", 1_000_500), Err(AuthError::BadSignature));
            assert_eq!(check("city", "GET", path, b"x", 1_000_500), Err(AuthError::BadSignature));
            assert_eq!(check("city", "GET", path, b"", 1_070_001), Err(AuthError::Skewed(70_001)));
            // Another reply key in the header than the one signed: refused.
            let mut swapped = h.clone();
            swapped.retain(|(n, _)| *n != REPLY_KEY_HEADER);
            swapped.push((REPLY_KEY_HEADER, "cd".into()));
            assert_eq!(verify(getter(&swapped), "city", "GET", path, b"", 1_000_500), Err(AuthError::BadSignature));
        }
    }

    #[test]
    fn missing_and_malformed_headers_are_refused_with_a_reason() {
        let k = Keypair::generate(Algorithm::Ed25519);
        let h = Signed { chain_id: "c", method: "GET", path: "/p", time_ms: 5, body: b"", reply_key: None }
            .sign(&k)
            .unwrap();
        let without =
            |name: &str| -> Vec<(&'static str, String)> { h.iter().filter(|(n, _)| *n != name).cloned().collect() };
        for name in [KEY_HEADER, TIME_HEADER, SIGNATURE_HEADER] {
            assert_eq!(verify(getter(&without(name)), "c", "GET", "/p", b"", 5), Err(AuthError::Missing), "{name}");
        }
        for (name, value) in [
            (KEY_HEADER, "not-a-key".to_string()),
            (TIME_HEADER, "yesterday".to_string()),
            (SIGNATURE_HEADER, "abcd".to_string()),
            (SIGNATURE_HEADER, "zz".repeat(64)),
        ] {
            let mut bad = without(name);
            bad.push((name, value));
            assert!(matches!(verify(getter(&bad), "c", "GET", "/p", b"", 5), Err(AuthError::Malformed(_))), "{name}");
        }
        let mut other = without(KEY_HEADER);
        other.push((KEY_HEADER, Keypair::generate(Algorithm::Ed25519).public_key().to_string()));
        assert_eq!(verify(getter(&other), "c", "GET", "/p", b"", 5), Err(AuthError::BadSignature));
    }
}
