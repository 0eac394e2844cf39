//! The SD-JWT format (RFC 9901): an issuer-signed JWT whose claims are replaced by digests,
//! disclosures that reveal them one by one, and an optional key-binding JWT, joined by `~`.
//! This file knows the format only: splitting, disclosures, and rebuilding the disclosed claims.
//! Signatures and trust are the verifier's business.

use std::collections::{BTreeMap, HashSet};

use rand::RngCore as _;
use serde_json::{Map, Value};
use sha2::{Digest as _, Sha256};

use crate::jose::{b64, unb64};

/// The only digest algorithm the format requires and the one we issue with.
pub const SD_ALG: &str = "sha-256";

/// Why an SD-JWT could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FormatError {
    #[error("an SD-JWT is `<jwt>~<disclosure>~...~[<kb-jwt>]`; {0}")]
    Shape(String),
    #[error("disclosure {index} is malformed: {reason}")]
    Disclosure { index: usize, reason: String },
    #[error(
        "disclosure {index} is not referenced by the signed JWT (it was altered or belongs to another credential)"
    )]
    Unreferenced { index: usize },
    #[error("the digest of disclosure {index} appears more than once")]
    DuplicateDigest { index: usize },
    #[error("digest {0} appears more than once in the payload, disclosed or not (RFC 9901 §7.1)")]
    RepeatedDigest(String),
    #[error("disclosed claim '{0}' would overwrite a claim that is already present or reserved")]
    ClaimClash(String),
    #[error("the digest algorithm '{0}' is not supported (only sha-256)")]
    DigestAlgorithm(String),
    #[error("the signed payload is malformed: {0}")]
    Payload(String),
}

/// The base64url SHA-256 digest of an encoded disclosure (or of any ASCII input).
pub fn digest(encoded: &str) -> String {
    b64(&Sha256::digest(encoded.as_bytes()))
}

fn salt() -> String {
    let mut s = [0u8; 16];
    rand::thread_rng().fill_bytes(&mut s);
    b64(&s)
}

/// One disclosure: `[salt, name, value]` for an object property, `[salt, value]` for an array
/// element, base64url-encoded JSON.
#[derive(Debug, Clone, PartialEq)]
pub struct Disclosure {
    pub encoded: String,
    pub name: Option<String>,
    pub value: Value,
}

impl Disclosure {
    pub fn property(name: &str, value: Value) -> Disclosure {
        let json = Value::Array(vec![Value::from(salt()), Value::from(name), value.clone()]);
        Disclosure { encoded: b64(json.to_string().as_bytes()), name: Some(name.to_string()), value }
    }

    pub fn element(value: Value) -> Disclosure {
        let json = Value::Array(vec![Value::from(salt()), value.clone()]);
        Disclosure { encoded: b64(json.to_string().as_bytes()), name: None, value }
    }

    pub fn parse(encoded: &str) -> Result<Disclosure, String> {
        let json: Value = serde_json::from_slice(&unb64(encoded).map_err(|e| e.to_string())?)
            .map_err(|e| format!("not JSON: {e}"))?;
        let Value::Array(items) = json else {
            return Err("not a JSON array".into());
        };
        match items.as_slice() {
            [Value::String(_), Value::String(name), value] => {
                Ok(Disclosure { encoded: encoded.to_string(), name: Some(name.clone()), value: value.clone() })
            }
            [Value::String(_), value] => {
                Ok(Disclosure { encoded: encoded.to_string(), name: None, value: value.clone() })
            }
            _ => Err("expected [salt, name, value] or [salt, value] with a string salt and name".into()),
        }
    }

    pub fn digest(&self) -> String {
        digest(&self.encoded)
    }
}

/// A random digest that stands for no claim, so the count of `_sd` entries says nothing about
/// how many claims a credential has.
pub fn decoy() -> String {
    digest(&salt())
}

/// An SD-JWT split into its parts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SdJwt {
    pub jwt: String,
    pub disclosures: Vec<String>,
    pub kb_jwt: Option<String>,
}

impl SdJwt {
    pub fn parse(s: &str) -> Result<SdJwt, FormatError> {
        let parts: Vec<&str> = s.split('~').collect();
        if parts.len() < 2 {
            return Err(FormatError::Shape("no '~' found".into()));
        }
        let jwt = parts[0];
        if jwt.is_empty() {
            return Err(FormatError::Shape("the issuer-signed JWT is empty".into()));
        }
        let last = parts[parts.len() - 1];
        let middle = &parts[1..parts.len() - 1];
        if let Some(i) = middle.iter().position(|d| d.is_empty()) {
            return Err(FormatError::Disclosure { index: i, reason: "empty".into() });
        }
        Ok(SdJwt {
            jwt: jwt.to_string(),
            disclosures: middle.iter().map(|d| d.to_string()).collect(),
            kb_jwt: (!last.is_empty()).then(|| last.to_string()),
        })
    }

    /// The presentation without its key-binding JWT: what `sd_hash` is computed over.
    pub fn without_kb(&self) -> String {
        let mut s = self.jwt.clone();
        s.push('~');
        for d in &self.disclosures {
            s.push_str(d);
            s.push('~');
        }
        s
    }

    pub fn serialize(&self) -> String {
        let mut s = self.without_kb();
        if let Some(kb) = &self.kb_jwt {
            s.push_str(kb);
        }
        s
    }
}

/// A claim path as DCQL writes it: object keys as strings, array positions as numbers.
pub type ClaimPath = Vec<Value>;

/// The claims an SD-JWT discloses, rebuilt from the signed payload and the disclosures.
#[derive(Debug, Clone, PartialEq)]
pub struct Disclosed {
    pub claims: Map<String, Value>,
    /// The paths revealed by a disclosure (the concealable part that was shown), each with the
    /// position of the disclosure that revealed it.
    pub revealed: Vec<(ClaimPath, usize)>,
}

/// Rebuilds the claims: every digest in `_sd` and every `{"...": digest}` array element is
/// replaced by its disclosure; unknown digests (decoys, withheld claims) vanish. Every
/// disclosure must be used exactly once.
pub fn disclose(payload: &Map<String, Value>, disclosures: &[String]) -> Result<Disclosed, FormatError> {
    match payload.get("_sd_alg") {
        None => {}
        Some(Value::String(a)) if a == SD_ALG => {}
        Some(other) => return Err(FormatError::DigestAlgorithm(other.to_string())),
    }
    let mut by_digest = BTreeMap::new();
    for (index, encoded) in disclosures.iter().enumerate() {
        let d = Disclosure::parse(encoded).map_err(|reason| FormatError::Disclosure { index, reason })?;
        if by_digest.insert(d.digest(), (index, d)).is_some() {
            return Err(FormatError::DuplicateDigest { index });
        }
    }
    let mut walk = Walk { by_digest: &by_digest, used: HashSet::new(), seen: HashSet::new(), revealed: Vec::new() };
    let mut claims = walk.object(payload, &mut Vec::new())?;
    claims.remove("_sd_alg");
    if let Some((index, _)) = by_digest.iter().find(|(dg, _)| !walk.used.contains(dg.as_str())).map(|(_, v)| v) {
        return Err(FormatError::Unreferenced { index: *index });
    }
    Ok(Disclosed { claims, revealed: walk.revealed })
}

struct Walk<'a> {
    by_digest: &'a BTreeMap<String, (usize, Disclosure)>,
    used: HashSet<String>,
    /// Every digest met in the payload and in disclosed values, disclosed or not.
    seen: HashSet<String>,
    revealed: Vec<(ClaimPath, usize)>,
}

impl Walk<'_> {
    fn take(&mut self, digest: &str) -> Result<Option<(usize, Disclosure)>, FormatError> {
        // A digest may appear once in the whole payload, whether or not its disclosure is
        // presented: an issuer (or a tamperer) cannot make one disclosure fill two places.
        if !self.seen.insert(digest.to_string()) {
            return Err(FormatError::RepeatedDigest(digest.to_string()));
        }
        match self.by_digest.get(digest) {
            None => Ok(None),
            Some((index, d)) => {
                if !self.used.insert(digest.to_string()) {
                    return Err(FormatError::DuplicateDigest { index: *index });
                }
                Ok(Some((*index, d.clone())))
            }
        }
    }

    fn value(&mut self, v: &Value, path: &mut ClaimPath) -> Result<Value, FormatError> {
        match v {
            Value::Object(m) => Ok(Value::Object(self.object(m, path)?)),
            Value::Array(items) => self.array(items, path),
            other => Ok(other.clone()),
        }
    }

    fn object(&mut self, m: &Map<String, Value>, path: &mut ClaimPath) -> Result<Map<String, Value>, FormatError> {
        let mut out = Map::new();
        for (k, v) in m {
            if k == "_sd" {
                continue;
            }
            path.push(Value::from(k.as_str()));
            out.insert(k.clone(), self.value(v, path)?);
            path.pop();
        }
        let digests = match m.get("_sd") {
            None => return Ok(out),
            Some(Value::Array(ds)) => ds,
            Some(_) => return Err(FormatError::Payload("'_sd' is not an array".into())),
        };
        for dg in digests {
            let dg = dg.as_str().ok_or_else(|| FormatError::Payload("a digest in '_sd' is not a string".into()))?;
            let Some((index, d)) = self.take(dg)? else { continue };
            let Some(name) = d.name else {
                return Err(FormatError::Payload("an array-element disclosure is referenced from '_sd'".into()));
            };
            if name == "_sd" || name == "..." || out.contains_key(&name) {
                return Err(FormatError::ClaimClash(name));
            }
            path.push(Value::from(name.as_str()));
            self.revealed.push((path.clone(), index));
            let value = self.value(&d.value, path)?;
            path.pop();
            out.insert(name, value);
        }
        Ok(out)
    }

    fn array(&mut self, items: &[Value], path: &mut ClaimPath) -> Result<Value, FormatError> {
        let mut out = Vec::with_capacity(items.len());
        for item in items {
            let placeholder = match item {
                Value::Object(m) if m.len() == 1 && m.contains_key("...") => m.get("..."),
                _ => None,
            };
            path.push(Value::from(out.len()));
            match placeholder {
                Some(Value::String(dg)) => {
                    if let Some((index, d)) = self.take(dg)? {
                        if d.name.is_some() {
                            return Err(FormatError::Payload(
                                "a property disclosure is referenced as an array element".into(),
                            ));
                        }
                        self.revealed.push((path.clone(), index));
                        out.push(self.value(&d.value, path)?);
                    }
                }
                Some(_) => return Err(FormatError::Payload("an array placeholder's '...' is not a string".into())),
                None => out.push(self.value(item, path)?),
            }
            path.pop();
        }
        Ok(Value::Array(out))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn payload_with(ds: &[&Disclosure]) -> Map<String, Value> {
        let mut sd: Vec<String> = ds.iter().map(|d| d.digest()).collect();
        sd.push(decoy());
        sd.sort();
        json!({"iss": "did:web:x", "_sd": sd, "_sd_alg": "sha-256"}).as_object().unwrap().clone()
    }

    #[test]
    fn discloses_what_is_given_and_hides_the_rest() {
        let a = Disclosure::property("age_over_19", json!(true));
        let b = Disclosure::property("income_band", json!("le_65"));
        let p = payload_with(&[&a, &b]);
        let d = disclose(&p, std::slice::from_ref(&a.encoded)).unwrap();
        assert_eq!(d.claims["age_over_19"], json!(true));
        assert!(!d.claims.contains_key("income_band"));
        assert!(!d.claims.contains_key("_sd") && !d.claims.contains_key("_sd_alg"));
        assert_eq!(d.revealed, vec![(vec![json!("age_over_19")], 0)]);
    }

    #[test]
    fn array_elements_are_disclosed_in_place() {
        let e = Disclosure::element(json!("DE"));
        let p = json!({"nationalities": [{"...": e.digest()}, {"...": decoy()}, "KR"]});
        let d = disclose(p.as_object().unwrap(), std::slice::from_ref(&e.encoded)).unwrap();
        assert_eq!(d.claims["nationalities"], json!(["DE", "KR"]));
        assert_eq!(d.revealed, vec![(vec![json!("nationalities"), json!(0)], 0)]);
    }

    #[test]
    fn tampered_unreferenced_duplicate_and_clashing_disclosures_are_refused() {
        let a = Disclosure::property("age_over_19", json!(true));
        let p = payload_with(&[&a]);
        let forged = Disclosure::property("age_over_19", json!(false));
        assert_eq!(disclose(&p, &[forged.encoded]), Err(FormatError::Unreferenced { index: 0 }));
        assert_eq!(
            disclose(&p, &[a.encoded.clone(), a.encoded.clone()]),
            Err(FormatError::DuplicateDigest { index: 1 })
        );
        let clash = Disclosure::property("iss", json!("did:web:evil"));
        let p2 = payload_with(&[&clash]);
        assert_eq!(disclose(&p2, &[clash.encoded]), Err(FormatError::ClaimClash("iss".into())));
        let mut p3 = p.clone();
        p3.insert("_sd_alg".into(), json!("md5"));
        assert!(matches!(disclose(&p3, &[]), Err(FormatError::DigestAlgorithm(_))));
    }

    #[test]
    fn a_digest_repeated_anywhere_is_refused_even_when_not_disclosed() {
        let hidden = decoy();
        let repeated = |p: Value| disclose(p.as_object().unwrap(), &[]);
        assert_eq!(repeated(json!({"_sd": [hidden, hidden]})), Err(FormatError::RepeatedDigest(hidden.clone())));
        assert_eq!(
            repeated(json!({"_sd": [hidden], "list": [{"...": hidden}]})),
            Err(FormatError::RepeatedDigest(hidden.clone()))
        );
        assert_eq!(
            repeated(json!({"a": {"_sd": [hidden]}, "b": {"_sd": [hidden]}})),
            Err(FormatError::RepeatedDigest(hidden.clone()))
        );
        // Inside a disclosed value too.
        let inner = Disclosure::property("address", json!({"_sd": [hidden]}));
        let p = json!({"_sd": [inner.digest(), hidden]});
        assert_eq!(
            disclose(p.as_object().unwrap(), std::slice::from_ref(&inner.encoded)),
            Err(FormatError::RepeatedDigest(hidden.clone()))
        );
        // Distinct digests pass.
        assert!(repeated(json!({"_sd": [hidden, decoy()]})).is_ok());
    }

    #[test]
    fn malformed_inputs_are_errors() {
        for bad in ["", "abc", "~", "jwt~~"] {
            assert!(SdJwt::parse(bad).is_err(), "{bad}");
        }
        let parsed = SdJwt::parse("h.p.s~d1~d2~kb.x.y").unwrap();
        assert_eq!(parsed.disclosures, vec!["d1", "d2"]);
        assert_eq!(parsed.kb_jwt.as_deref(), Some("kb.x.y"));
        assert_eq!(parsed.serialize(), "h.p.s~d1~d2~kb.x.y");
        for bad in ["!!", &b64(b"{}"), &b64(b"[1,2]"), &b64(b"[\"s\", 1, 2]"), &b64(b"[]")] {
            assert!(Disclosure::parse(bad).is_err(), "{bad}");
        }
        let p = json!({"_sd": "x"});
        assert!(disclose(p.as_object().unwrap(), &[]).is_err());
        let p = json!({"_sd": [1]});
        assert!(disclose(p.as_object().unwrap(), &[]).is_err());
        let p = json!({"a": [{"...": 5}]});
        assert!(disclose(p.as_object().unwrap(), &[]).is_err());
    }
}
