use std::fmt;
use std::str::FromStr;

use borsh::{BorshDeserialize, BorshSerialize};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::hash::sha256;

/// A public key as it appears on the ledger. P-256 keys are kept uncompressed (65 bytes,
/// `0x04 || x || y`) because that is what agency HSMs and phone secure elements export.
#[derive(Clone, PartialEq, Eq, PartialOrd, Ord, Hash, BorshSerialize, BorshDeserialize)]
pub enum PublicKey {
    Ed25519([u8; 32]),
    P256([u8; 65]),
}

/// A signature: Ed25519 (64 bytes) or ECDSA P-256 over SHA-256 in fixed `r || s` form.
#[derive(Clone, PartialEq, Eq, BorshSerialize, BorshDeserialize)]
pub enum Signature {
    Ed25519([u8; 64]),
    P256([u8; 64]),
}

/// An account or validator address: the first 20 bytes of
/// `SHA-256("dojang/address/v1" || canonical public key)`. Short enough to read aloud, long
/// enough that collisions are out of reach.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default, BorshSerialize, BorshDeserialize)]
pub struct Address(pub [u8; 20]);

const ADDRESS_PREFIX: &str = "dj";

impl PublicKey {
    pub fn address(&self) -> Address {
        let digest = sha256(&[b"dojang/address/v1", &crate::encode(self)]);
        let mut out = [0u8; 20];
        out.copy_from_slice(&digest.0[..20]);
        Address(out)
    }

    pub fn algorithm(&self) -> &'static str {
        match self {
            PublicKey::Ed25519(_) => "ed25519",
            PublicKey::P256(_) => "p256",
        }
    }

    pub fn key_bytes(&self) -> &[u8] {
        match self {
            PublicKey::Ed25519(b) => b,
            PublicKey::P256(b) => b,
        }
    }

    /// Parses `ed25519:<hex>` or `p256:<hex>`.
    pub fn parse(s: &str) -> Result<Self, String> {
        let (alg, hexpart) = s
            .split_once(':')
            .ok_or_else(|| format!("public key must look like 'ed25519:<hex>' or 'p256:<hex>', got '{s}'"))?;
        let bytes = hex::decode(hexpart).map_err(|e| format!("public key is not hex: {e}"))?;
        match alg {
            "ed25519" => Ok(PublicKey::Ed25519(
                bytes
                    .try_into()
                    .map_err(|b: Vec<u8>| format!("ed25519 public key must be 32 bytes, got {}", b.len()))?,
            )),
            "p256" => {
                let arr: [u8; 65] = bytes
                    .try_into()
                    .map_err(|b: Vec<u8>| format!("p256 public key must be 65 uncompressed bytes, got {}", b.len()))?;
                if arr[0] != 4 {
                    return Err("p256 public key must be uncompressed (start with 0x04)".into());
                }
                Ok(PublicKey::P256(arr))
            }
            other => Err(format!("unknown key algorithm '{other}', expected ed25519 or p256")),
        }
    }
}

impl fmt::Display for PublicKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.algorithm(), hex::encode(self.key_bytes()))
    }
}

impl fmt::Debug for PublicKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

impl Serialize for PublicKey {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.to_string())
    }
}

impl<'de> Deserialize<'de> for PublicKey {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        PublicKey::parse(&<String as Deserialize>::deserialize(d)?).map_err(serde::de::Error::custom)
    }
}

impl Signature {
    pub fn bytes(&self) -> &[u8; 64] {
        match self {
            Signature::Ed25519(b) | Signature::P256(b) => b,
        }
    }
}

impl fmt::Debug for Signature {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let alg = match self {
            Signature::Ed25519(_) => "ed25519",
            Signature::P256(_) => "p256",
        };
        write!(f, "{alg}:{}", hex::encode(self.bytes()))
    }
}

impl Serialize for Signature {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&format!("{self:?}"))
    }
}

impl fmt::Display for Address {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{ADDRESS_PREFIX}{}", hex::encode(self.0))
    }
}

impl fmt::Debug for Address {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

impl FromStr for Address {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let hexpart = s
            .strip_prefix(ADDRESS_PREFIX)
            .ok_or_else(|| format!("address must start with '{ADDRESS_PREFIX}', got '{s}'"))?;
        let bytes = hex::decode(hexpart).map_err(|e| format!("address is not hex: {e}"))?;
        let arr: [u8; 20] =
            bytes.try_into().map_err(|b: Vec<u8>| format!("address must be 20 bytes, got {}", b.len()))?;
        Ok(Address(arr))
    }
}

impl Serialize for Address {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.to_string())
    }
}

impl<'de> Deserialize<'de> for Address {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        <String as Deserialize>::deserialize(d)?.parse().map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn address_round_trips_and_rejects_garbage() {
        let a = PublicKey::Ed25519([7; 32]).address();
        assert_eq!(a.to_string().parse::<Address>().unwrap(), a);
        assert!("xx00".parse::<Address>().is_err());
        assert!("dj00".parse::<Address>().is_err());
        assert!("djzz".parse::<Address>().is_err());
    }

    #[test]
    fn public_key_parse_rejects_wrong_lengths_and_algorithms() {
        assert!(PublicKey::parse("ed25519:00").is_err());
        assert!(PublicKey::parse("rsa:00").is_err());
        assert!(PublicKey::parse("nocolon").is_err());
        let mut p = [0u8; 65];
        p[0] = 2;
        assert!(PublicKey::parse(&format!("p256:{}", hex::encode(p))).is_err());
        let k = PublicKey::Ed25519([1; 32]);
        assert_eq!(PublicKey::parse(&k.to_string()).unwrap(), k);
    }
}
