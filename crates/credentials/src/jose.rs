//! The few pieces of JOSE that SD-JWT needs: base64url, JWKs for P-256 and Ed25519 public keys,
//! and compact JWS signing and checking with ES256 and EdDSA. Nothing here trusts its input:
//! every parse returns [`JoseError`] rather than panicking.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use dojang_crypto::Keypair;
use dojang_types::{PublicKey, Signature};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

/// Why a JOSE object could not be read or checked.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum JoseError {
    #[error("not base64url: {0}")]
    Base64(String),
    #[error("a compact JWS has three dot-separated parts, this one has {0}")]
    Parts(usize),
    #[error("the JWS {part} is not a JSON object: {reason}")]
    Json { part: &'static str, reason: String },
    #[error("unsupported JWS algorithm '{0}' (ES256 and EdDSA are accepted)")]
    Algorithm(String),
    #[error("the JWS algorithm {alg} does not match the key type {key}")]
    AlgorithmMismatch { alg: String, key: &'static str },
    #[error("the JWK is not a P-256 or Ed25519 public key: {0}")]
    Jwk(String),
    #[error("the signature does not verify with the given key")]
    Signature,
}

pub fn b64(bytes: &[u8]) -> String {
    URL_SAFE_NO_PAD.encode(bytes)
}

pub fn unb64(s: &str) -> Result<Vec<u8>, JoseError> {
    URL_SAFE_NO_PAD.decode(s).map_err(|e| JoseError::Base64(e.to_string()))
}

/// A public key as a JSON Web Key (RFC 7517), the form `cnf.jwk` and issuer metadata use.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Jwk {
    pub kty: String,
    pub crv: String,
    pub x: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub y: Option<String>,
}

impl Jwk {
    pub fn from_public_key(key: &PublicKey) -> Jwk {
        match key {
            PublicKey::Ed25519(k) => Jwk { kty: "OKP".into(), crv: "Ed25519".into(), x: b64(k), y: None },
            PublicKey::P256(k) => {
                Jwk { kty: "EC".into(), crv: "P-256".into(), x: b64(&k[1..33]), y: Some(b64(&k[33..65])) }
            }
        }
    }

    pub fn to_public_key(&self) -> Result<PublicKey, JoseError> {
        let coord = |s: &str| -> Result<[u8; 32], JoseError> {
            unb64(s)?
                .try_into()
                .map_err(|v: Vec<u8>| JoseError::Jwk(format!("a coordinate of {} bytes, not 32", v.len())))
        };
        match (self.kty.as_str(), self.crv.as_str(), &self.y) {
            ("OKP", "Ed25519", None) => Ok(PublicKey::Ed25519(coord(&self.x)?)),
            ("EC", "P-256", Some(y)) => {
                let mut k = [0u8; 65];
                k[0] = 4;
                k[1..33].copy_from_slice(&coord(&self.x)?);
                k[33..].copy_from_slice(&coord(y)?);
                Ok(PublicKey::P256(k))
            }
            (kty, crv, _) => Err(JoseError::Jwk(format!("kty '{kty}' with crv '{crv}'"))),
        }
    }
}

/// The JWS `alg` for a key.
pub fn alg_of(key: &PublicKey) -> &'static str {
    match key {
        PublicKey::Ed25519(_) => "EdDSA",
        PublicKey::P256(_) => "ES256",
    }
}

/// Signs `header` (to which `alg` is added) and `payload` into a compact JWS.
pub fn sign_compact(key: &Keypair, mut header: Map<String, Value>, payload: &Value) -> String {
    header.insert("alg".into(), Value::from(alg_of(&key.public_key())));
    let signing_input = format!(
        "{}.{}",
        b64(&serde_json::to_vec(&header).expect("a JSON map serializes")),
        b64(&serde_json::to_vec(payload).expect("a JSON value serializes"))
    );
    let sig = match key.sign(signing_input.as_bytes()) {
        Signature::Ed25519(s) | Signature::P256(s) => s,
    };
    format!("{signing_input}.{}", b64(&sig))
}

/// A compact JWS split and decoded, not yet checked.
#[derive(Debug, Clone)]
pub struct Jws<'a> {
    pub header: Map<String, Value>,
    pub payload: Map<String, Value>,
    signing_input: &'a str,
    signature: Vec<u8>,
}

impl<'a> Jws<'a> {
    pub fn parse(compact: &'a str) -> Result<Self, JoseError> {
        let parts: Vec<&str> = compact.split('.').collect();
        let [h, p, s] = parts.as_slice() else {
            return Err(JoseError::Parts(parts.len()));
        };
        let object = |part: &'static str, b: &str| -> Result<Map<String, Value>, JoseError> {
            serde_json::from_slice(&unb64(b)?).map_err(|e| JoseError::Json { part, reason: e.to_string() })
        };
        Ok(Jws {
            header: object("header", h)?,
            payload: object("payload", p)?,
            signing_input: &compact[..h.len() + 1 + p.len()],
            signature: unb64(s)?,
        })
    }

    pub fn alg(&self) -> &str {
        self.header.get("alg").and_then(Value::as_str).unwrap_or("")
    }

    pub fn typ(&self) -> &str {
        self.header.get("typ").and_then(Value::as_str).unwrap_or("")
    }

    /// The public key the header carries as `jwk` (a holder's proof of possession, a
    /// notice's signer), not yet checked against anything: [`Jws::verify`] with it proves only
    /// that its holder signed.
    pub fn header_key(&self) -> Result<PublicKey, JoseError> {
        let jwk: Jwk = self
            .header
            .get("jwk")
            .ok_or_else(|| JoseError::Jwk("the header has no jwk".into()))
            .and_then(|j| serde_json::from_value(j.clone()).map_err(|e| JoseError::Jwk(e.to_string())))?;
        jwk.to_public_key()
    }

    /// Checks the signature with `key`; the header's `alg` must name the key's algorithm.
    pub fn verify(&self, key: &PublicKey) -> Result<(), JoseError> {
        let alg = self.alg();
        if alg != "ES256" && alg != "EdDSA" {
            return Err(JoseError::Algorithm(alg.to_string()));
        }
        if alg != alg_of(key) {
            return Err(JoseError::AlgorithmMismatch { alg: alg.to_string(), key: alg_of(key) });
        }
        let sig: [u8; 64] = self.signature.as_slice().try_into().map_err(|_| JoseError::Signature)?;
        let sig = match key {
            PublicKey::Ed25519(_) => Signature::Ed25519(sig),
            PublicKey::P256(_) => Signature::P256(sig),
        };
        if dojang_crypto::verify(key, self.signing_input.as_bytes(), &sig) {
            Ok(())
        } else {
            Err(JoseError::Signature)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use dojang_crypto::Algorithm;
    use serde_json::json;

    #[test]
    fn sign_and_verify_both_algorithms_and_reject_tampering() {
        for alg in [Algorithm::P256, Algorithm::Ed25519] {
            let k = Keypair::generate(alg);
            let jws = sign_compact(&k, Map::new(), &json!({"a": 1}));
            let parsed = Jws::parse(&jws).unwrap();
            parsed.verify(&k.public_key()).unwrap();
            let other = Keypair::generate(alg);
            assert_eq!(parsed.verify(&other.public_key()), Err(JoseError::Signature));
            let tampered = jws.replacen(".", &format!(".{}", b64(b"{\"a\":2}")), 1);
            assert!(Jws::parse(&tampered).is_err() || Jws::parse(&tampered).unwrap().verify(&k.public_key()).is_err());
        }
    }

    #[test]
    fn jwk_round_trips_and_refuses_wrong_shapes() {
        for alg in [Algorithm::P256, Algorithm::Ed25519] {
            let pk = Keypair::generate(alg).public_key();
            assert_eq!(Jwk::from_public_key(&pk).to_public_key().unwrap(), pk);
        }
        let bad = Jwk { kty: "RSA".into(), crv: "".into(), x: "AA".into(), y: None };
        assert!(matches!(bad.to_public_key(), Err(JoseError::Jwk(_))));
        let short = Jwk { kty: "OKP".into(), crv: "Ed25519".into(), x: "AAAA".into(), y: None };
        assert!(matches!(short.to_public_key(), Err(JoseError::Jwk(_))));
    }

    #[test]
    fn malformed_compact_forms_are_errors() {
        for bad in ["", "a", "a.b", "a.b.c.d", "!!.e30.AA", "e30.!!.AA", "W10.e30.AA", "e30.e30.!!"] {
            assert!(Jws::parse(bad).is_err(), "{bad}");
        }
        let k = Keypair::generate(Algorithm::P256);
        let none = format!("{}.{}.", b64(br#"{"alg":"none"}"#), b64(b"{}"));
        assert_eq!(Jws::parse(&none).unwrap().verify(&k.public_key()), Err(JoseError::Algorithm("none".into())));
    }
}
