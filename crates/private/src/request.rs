//! Requests signed by an account key. A node serves a payload only to an account the ledger
//! names as a member of its collection, so the requester proves it holds that account's key:
//! it signs the method, the path, the time and the body's hash, and sends the signature in
//! three headers. A request more than a minute away from the node's clock is refused, so a
//! captured request is useless soon after; it can only ever fetch what its signer may read.

use dojang_crypto::{Signer, SignerError};
use dojang_types::{sha256, PublicKey, Signature};

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
    #[error("the signature does not match the key, method, path, time and body")]
    BadSignature,
}

/// The bytes a requester signs.
pub fn signing_bytes(method: &str, path: &str, time_ms: u64, body: &[u8]) -> Vec<u8> {
    let mut out = DOMAIN.to_vec();
    out.extend_from_slice(format!("{method}\n{path}\n{time_ms}\n{}", sha256(&[body])).as_bytes());
    out
}

/// The three headers that sign a request.
pub fn sign(
    signer: &dyn Signer,
    method: &str,
    path: &str,
    body: &[u8],
    now_ms: u64,
) -> Result<[(&'static str, String); 3], SignerError> {
    let signature = signer.sign(&signing_bytes(method, path, now_ms, body))?;
    Ok([
        (KEY_HEADER, signer.public_key().to_string()),
        (TIME_HEADER, now_ms.to_string()),
        (SIGNATURE_HEADER, hex::encode(signature.bytes())),
    ])
}

/// The key that signed a request, if the headers are present, well formed, timely and match.
pub fn verify(
    key: Option<&str>,
    time: Option<&str>,
    signature: Option<&str>,
    method: &str,
    path: &str,
    body: &[u8],
    now_ms: u64,
) -> Result<PublicKey, AuthError> {
    let (Some(key), Some(time), Some(signature)) = (key, time, signature) else {
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
    if !dojang_crypto::verify(&key, &signing_bytes(method, path, time_ms, body), &signature) {
        return Err(AuthError::BadSignature);
    }
    Ok(key)
}

#[cfg(test)]
mod tests {
    use super::*;
    use dojang_crypto::{Algorithm, Keypair};

    fn header<'a>(h: &'a [(&'static str, String); 3], name: &str) -> Option<&'a str> {
        h.iter().find(|(n, _)| *n == name).map(|(_, v)| v.as_str())
    }

    #[test]
    fn a_signed_request_verifies_for_both_key_kinds_and_nothing_else_does() {
        for alg in [Algorithm::Ed25519, Algorithm::P256] {
            let k = Keypair::generate(alg);
            let h = sign(&k, "GET", "/v1/private/labour/c-1", b"", 1_000_000).unwrap();
            let check = |method: &str, path: &str, body: &[u8], now: u64| {
                verify(
                    header(&h, KEY_HEADER),
                    header(&h, TIME_HEADER),
                    header(&h, SIGNATURE_HEADER),
                    method,
                    path,
                    body,
                    now,
                )
            };
            assert_eq!(check("GET", "/v1/private/labour/c-1", b"", 1_000_500), Ok(k.public_key()));
            assert_eq!(check("PUT", "/v1/private/labour/c-1", b"", 1_000_500), Err(AuthError::BadSignature));
            assert_eq!(check("GET", "/v1/private/labour/c-2", b"", 1_000_500), Err(AuthError::BadSignature));
            assert_eq!(check("GET", "/v1/private/labour/c-1", b"x", 1_000_500), Err(AuthError::BadSignature));
            assert_eq!(check("GET", "/v1/private/labour/c-1", b"", 1_070_001), Err(AuthError::Skewed(70_001)));
        }
    }

    #[test]
    fn missing_and_malformed_headers_are_refused_with_a_reason() {
        let k = Keypair::generate(Algorithm::Ed25519);
        let h = sign(&k, "GET", "/p", b"", 5).unwrap();
        let (key, time, sig) = (header(&h, KEY_HEADER), header(&h, TIME_HEADER), header(&h, SIGNATURE_HEADER));
        assert_eq!(verify(None, time, sig, "GET", "/p", b"", 5), Err(AuthError::Missing));
        assert_eq!(verify(key, None, sig, "GET", "/p", b"", 5), Err(AuthError::Missing));
        for (k2, t2, s2) in [
            (Some("not-a-key"), time, sig),
            (key, Some("yesterday"), sig),
            (key, time, Some("abcd")),
            (key, time, Some(&"zz".repeat(64)[..])),
        ] {
            assert!(matches!(verify(k2, t2, s2, "GET", "/p", b"", 5), Err(AuthError::Malformed(_))));
        }
        let other = Keypair::generate(Algorithm::Ed25519).public_key().to_string();
        assert_eq!(verify(Some(&other), time, sig, "GET", "/p", b"", 5), Err(AuthError::BadSignature));
    }
}
