//! The group, ristretto255, and how its elements travel.
//!
//! A point travels as its 32-byte compressed encoding and a scalar as its 32-byte canonical
//! little-endian encoding, both as lowercase hex in JSON. A point keeps the bytes it arrived
//! as beside the decoded value, so hashing a received proof never re-encodes it: the
//! challenge is computed over exactly the bytes that were signed and published.

use curve25519_dalek::constants::RISTRETTO_BASEPOINT_POINT;
use curve25519_dalek::ristretto::{CompressedRistretto, RistrettoPoint};
use curve25519_dalek::scalar::Scalar;
use rand::{CryptoRng, RngCore};
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use sha2::{Digest, Sha512};

use crate::BallotError;

/// Decodes 32 bytes from 64 lower-case hex digits only: every element and scalar has one
/// encoding in JSON too, so what one verifier reads as a ballot's bytes (Rust or TypeScript)
/// every other reads alike.
fn lower_hex32(text: &str, what: &str) -> Result<[u8; 32], String> {
    let digit = |b: u8| match b {
        b'0'..=b'9' => Some(b - b'0'),
        b'a'..=b'f' => Some(b - b'a' + 10),
        _ => None,
    };
    if !text.bytes().all(|b| digit(b).is_some()) {
        return Err(format!("{what} in lower-case hex: '{}' is not", text.chars().take(70).collect::<String>()));
    }
    if text.len() != 64 {
        return Err(format!("{what} has 32 bytes (64 hex digits), not {} digits", text.len()));
    }
    let mut out = [0u8; 32];
    for (o, pair) in out.iter_mut().zip(text.as_bytes().chunks_exact(2)) {
        *o = (digit(pair[0]).unwrap_or(0) << 4) | digit(pair[1]).unwrap_or(0);
    }
    Ok(out)
}

/// Reads a string straight from the input, without copying it into a `String` first (a ballot
/// holds about seventy of them), and decodes it with [`lower_hex32`].
struct LowerHex32(&'static str);

impl serde::de::Visitor<'_> for LowerHex32 {
    type Value = [u8; 32];

    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} as 64 lower-case hex digits", self.0)
    }

    fn visit_str<E: serde::de::Error>(self, text: &str) -> Result<[u8; 32], E> {
        lower_hex32(text, self.0).map_err(E::custom)
    }
}

/// The generator every key and ciphertext is built on.
pub const G: RistrettoPoint = RISTRETTO_BASEPOINT_POINT;

/// A group element with the encoding it travels as.
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct Element {
    point: RistrettoPoint,
    bytes: [u8; 32],
}

impl Element {
    pub fn new(point: RistrettoPoint) -> Self {
        Element { point, bytes: point.compress().to_bytes() }
    }

    /// Decodes a compressed point; anything that is not the canonical encoding of a group
    /// element is refused.
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, BallotError> {
        let bytes: [u8; 32] = bytes
            .try_into()
            .map_err(|_| BallotError::Encoding(format!("a point has 32 bytes, not {}", bytes.len())))?;
        let point = CompressedRistretto(bytes)
            .decompress()
            .ok_or_else(|| BallotError::Encoding("not the encoding of a ristretto255 point".into()))?;
        Ok(Element { point, bytes })
    }

    pub fn point(&self) -> &RistrettoPoint {
        &self.point
    }

    pub fn bytes(&self) -> &[u8; 32] {
        &self.bytes
    }
}

impl std::fmt::Debug for Element {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Element({})", hex::encode(self.bytes))
    }
}

impl Serialize for Element {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&hex::encode(self.bytes))
    }
}

impl<'de> Deserialize<'de> for Element {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let bytes = d.deserialize_str(LowerHex32("a point"))?;
        Element::from_bytes(&bytes).map_err(serde::de::Error::custom)
    }
}

/// A proof's commitment: a group element kept as the 32 bytes it travels as, and decoded only
/// when its proof is checked. A ballot is checked once, when a node admits it; decoding it
/// again to execute it then skips the sixty or so points of its proofs, which is most of the
/// cost of decoding a ballot. A malformed commitment fails its proof's check.
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct Commitment([u8; 32]);

impl Commitment {
    pub fn new(point: RistrettoPoint) -> Self {
        Commitment(point.compress().to_bytes())
    }

    pub fn bytes(&self) -> &[u8; 32] {
        &self.0
    }

    /// The point, if the bytes are the canonical encoding of one.
    pub fn point(&self) -> Result<RistrettoPoint, BallotError> {
        CompressedRistretto(self.0).decompress().ok_or_else(|| {
            BallotError::Encoding("a proof's commitment is not the encoding of a ristretto255 point".into())
        })
    }
}

impl From<Element> for Commitment {
    fn from(e: Element) -> Self {
        Commitment(e.bytes)
    }
}

impl std::fmt::Debug for Commitment {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Commitment({})", hex::encode(self.0))
    }
}

impl Serialize for Commitment {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&hex::encode(self.0))
    }
}

impl<'de> Deserialize<'de> for Commitment {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        Ok(Commitment(d.deserialize_str(LowerHex32("a point"))?))
    }
}

/// A scalar as it travels: canonical only, so one value has one encoding.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub struct Num(pub Scalar);

impl Num {
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, BallotError> {
        let bytes: [u8; 32] = bytes
            .try_into()
            .map_err(|_| BallotError::Encoding(format!("a scalar has 32 bytes, not {}", bytes.len())))?;
        Option::from(Scalar::from_canonical_bytes(bytes))
            .map(Num)
            .ok_or_else(|| BallotError::Encoding("a scalar not reduced modulo the group order".into()))
    }

    pub fn random<R: RngCore + CryptoRng>(rng: &mut R) -> Self {
        Num(Scalar::random(rng))
    }
}

impl Serialize for Num {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&hex::encode(self.0.as_bytes()))
    }
}

impl<'de> Deserialize<'de> for Num {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let bytes = d.deserialize_str(LowerHex32("a scalar"))?;
        Num::from_bytes(&bytes).map_err(serde::de::Error::custom)
    }
}

/// The Fiat–Shamir hash of a proof: SHA-512 over a version tag, the proof's label and each
/// item with its length in front (so no two sequences of items hash alike), reduced modulo
/// the group order. docs/decisions/0019 gives the byte layout, which the TypeScript wallet
/// follows to make proofs this crate accepts.
pub struct Transcript(Sha512);

impl Transcript {
    pub fn new(label: &str) -> Self {
        let mut t = Transcript(Sha512::new());
        t.bytes(b"dojang/ballot/v1");
        t.bytes(label.as_bytes());
        t
    }

    pub fn bytes(&mut self, b: &[u8]) {
        self.0.update((b.len() as u64).to_be_bytes());
        self.0.update(b);
    }

    pub fn element(&mut self, e: &Element) {
        self.bytes(e.bytes());
    }

    pub fn commitment(&mut self, c: &Commitment) {
        self.bytes(c.bytes());
    }

    pub fn u64(&mut self, n: u64) {
        self.bytes(&n.to_be_bytes());
    }

    pub fn challenge(self) -> Scalar {
        Scalar::from_bytes_mod_order_wide(&self.0.finalize().into())
    }

    /// 32 bytes of output instead of a scalar: a key to seal a share with.
    pub fn key(self) -> [u8; 32] {
        let out = self.0.finalize();
        let mut key = [0u8; 32];
        key.copy_from_slice(&out[..32]);
        key
    }
}

/// `n` as a scalar.
pub fn small(n: u64) -> Scalar {
    Scalar::from(n)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_commitment_keeps_its_bytes_and_decodes_only_a_canonical_point() {
        let p = small(7) * G;
        let c = Commitment::new(p);
        assert_eq!(c.point().unwrap(), p);
        assert_eq!(Commitment::from(Element::new(p)), c);
        let json = serde_json::to_string(&c).unwrap();
        assert_eq!(serde_json::from_str::<Commitment>(&json).unwrap(), c);
        let not_a_point: Commitment = serde_json::from_str(&format!("\"{}\"", "ff".repeat(32))).unwrap();
        assert!(not_a_point.point().unwrap_err().to_string().contains("not the encoding"));
        for bad in ["\"abcd\"", "\"zz\"", "7"] {
            assert!(serde_json::from_str::<Commitment>(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn points_and_scalars_have_one_encoding_lower_case_hex() {
        let p = Element::new(small(7) * G);
        let lower = serde_json::to_string(&p).unwrap();
        let upper = lower.to_uppercase();
        assert_eq!(serde_json::from_str::<Element>(&lower).unwrap(), p);
        for what in [
            serde_json::from_str::<Element>(&upper).unwrap_err().to_string(),
            serde_json::from_str::<Commitment>(&upper).unwrap_err().to_string(),
            serde_json::from_str::<Num>(&format!("\"{}\"", "0A".repeat(32))).unwrap_err().to_string(),
        ] {
            assert!(what.contains("lower-case hex"), "{what}");
        }
        assert!(serde_json::from_str::<Num>(&format!("\"{}\"", "0a".repeat(32))).is_ok());
    }
}
