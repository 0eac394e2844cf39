//! Token Status Lists (IETF draft): a compressed array of 2-bit statuses, one per issued
//! credential, published by the issuer as a signed JWT. The chain anchors each version's hash,
//! so a verifier knows it sees the same list as everyone else.

use std::io::{Read as _, Write as _};

use dojang_crypto::Keypair;
use flate2::read::ZlibDecoder;
use flate2::write::ZlibEncoder;
use flate2::Compression;
use rand::Rng as _;
use serde_json::{json, Map, Value};
use sha2::{Digest as _, Sha256};

use crate::jose::{b64, sign_compact, unb64, Jws};

/// The JWT `typ` of a status list token.
pub const STATUS_LIST_TYP: &str = "statuslist+jwt";

/// The smallest list we publish: large enough that one index says little about who holds it.
pub const MIN_ENTRIES: usize = 131_072;

/// Bits per entry: VALID, INVALID (revoked) and SUSPENDED need two.
pub const BITS: u8 = 2;

/// Refuses lists whose decompressed size would exceed this (a zip bomb guard): 16 M entries.
const MAX_BYTES: usize = 4 * 1024 * 1024;

/// The status of one credential.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    Valid,
    Revoked,
    Suspended,
    /// A value the draft reserves for application use; treated as not valid.
    Other(u8),
}

impl Status {
    fn bits(self) -> u8 {
        match self {
            Status::Valid => 0,
            Status::Revoked => 1,
            Status::Suspended => 2,
            Status::Other(v) => v & 3,
        }
    }

    fn from_bits(v: u8) -> Status {
        match v {
            0 => Status::Valid,
            1 => Status::Revoked,
            2 => Status::Suspended,
            v => Status::Other(v),
        }
    }
}

/// Why a status list token could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum StatusListError {
    #[error("status list token: {0}")]
    Token(String),
    #[error("status list has {bits} bits per entry; this verifier reads 1 or 2")]
    Bits { bits: u64 },
    #[error("status list is not valid zlib data: {0}")]
    Compression(String),
    #[error("index {idx} is beyond the list's {len} entries")]
    Index { idx: u64, len: usize },
}

/// A list of statuses.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StatusList {
    bits: u8,
    bytes: Vec<u8>,
}

impl StatusList {
    /// An all-valid list of at least `entries` (rounded up to the minimum).
    pub fn new(entries: usize) -> StatusList {
        let entries = entries.max(MIN_ENTRIES);
        StatusList { bits: BITS, bytes: vec![0; (entries * BITS as usize).div_ceil(8)] }
    }

    pub fn len(&self) -> usize {
        self.bytes.len() * 8 / self.bits as usize
    }

    pub fn is_empty(&self) -> bool {
        self.bytes.is_empty()
    }

    pub fn get(&self, idx: u64) -> Result<Status, StatusListError> {
        let (byte, shift) = self.place(idx)?;
        let mask = (1u8 << self.bits) - 1;
        Ok(Status::from_bits((self.bytes[byte] >> shift) & mask))
    }

    pub fn set(&mut self, idx: u64, status: Status) -> Result<(), StatusListError> {
        let (byte, shift) = self.place(idx)?;
        let mask = ((1u8 << self.bits) - 1) << shift;
        self.bytes[byte] = (self.bytes[byte] & !mask) | ((status.bits() << shift) & mask);
        Ok(())
    }

    fn place(&self, idx: u64) -> Result<(usize, u32), StatusListError> {
        let len = self.len();
        if idx >= len as u64 {
            return Err(StatusListError::Index { idx, len });
        }
        let bit = idx as usize * self.bits as usize;
        Ok((bit / 8, (bit % 8) as u32))
    }

    /// The raw entries, for the issuer's own storage.
    pub fn as_bytes(&self) -> &[u8] {
        &self.bytes
    }

    /// A list from stored raw entries (2 bits each, at least the minimum size).
    pub fn from_bytes(bytes: Vec<u8>) -> Result<StatusList, StatusListError> {
        if bytes.len() * 8 / (BITS as usize) < MIN_ENTRIES || bytes.len() > MAX_BYTES {
            return Err(StatusListError::Token(format!("a stored list of {} bytes is not a valid size", bytes.len())));
        }
        Ok(StatusList { bits: BITS, bytes })
    }

    /// A random index not in use, for a new credential (random, so the index says nothing
    /// about when or in what order a credential was issued).
    pub fn random_free_index(&self, in_use: &dyn Fn(u64) -> bool) -> Option<u64> {
        let len = self.len() as u64;
        let mut rng = rand::thread_rng();
        (0..64).map(|_| rng.gen_range(0..len)).find(|i| !in_use(*i)).or_else(|| (0..len).find(|i| !in_use(*i)))
    }

    /// The signed token for `uri`, as served to verifiers.
    pub fn to_token(&self, signer: &Keypair, kid: &str, uri: &str, issued_at: u64, ttl: u64) -> String {
        let mut z = ZlibEncoder::new(Vec::new(), Compression::best());
        z.write_all(&self.bytes).expect("writing to memory cannot fail");
        let lst = z.finish().expect("writing to memory cannot fail");
        let mut header = Map::new();
        header.insert("typ".into(), json!(STATUS_LIST_TYP));
        header.insert("kid".into(), json!(kid));
        let payload = json!({
            "sub": uri,
            "iat": issued_at,
            "ttl": ttl,
            "status_list": { "bits": self.bits, "lst": b64(&lst) },
        });
        sign_compact(signer, header, &payload)
    }

    /// Reads a token's list. The token's integrity comes from its anchored hash (see
    /// [`token_hash`]), so its signature is not checked here; its subject must be `uri`.
    pub fn from_token(token: &str, uri: &str) -> Result<StatusList, StatusListError> {
        let jws = Jws::parse(token).map_err(|e| StatusListError::Token(e.to_string()))?;
        if jws.typ() != STATUS_LIST_TYP {
            return Err(StatusListError::Token(format!("typ is '{}', not {STATUS_LIST_TYP}", jws.typ())));
        }
        match jws.payload.get("sub").and_then(Value::as_str) {
            Some(sub) if sub == uri => {}
            other => return Err(StatusListError::Token(format!("subject {other:?} is not the list {uri}"))),
        }
        let list = jws.payload.get("status_list").ok_or_else(|| StatusListError::Token("no status_list".into()))?;
        let bits = list.get("bits").and_then(Value::as_u64).unwrap_or(0);
        if bits != 1 && bits != 2 {
            return Err(StatusListError::Bits { bits });
        }
        let lst = list.get("lst").and_then(Value::as_str).ok_or_else(|| StatusListError::Token("no lst".into()))?;
        let compressed = unb64(lst).map_err(|e| StatusListError::Token(e.to_string()))?;
        let mut bytes = Vec::new();
        ZlibDecoder::new(compressed.as_slice())
            .take(MAX_BYTES as u64 + 1)
            .read_to_end(&mut bytes)
            .map_err(|e| StatusListError::Compression(e.to_string()))?;
        if bytes.len() > MAX_BYTES {
            return Err(StatusListError::Compression(format!("decompresses to more than {MAX_BYTES} bytes")));
        }
        Ok(StatusList { bits: bits as u8, bytes })
    }
}

/// The hash the chain anchors for a published token: SHA-256 of its exact bytes.
pub fn token_hash(token: &str) -> [u8; 32] {
    Sha256::digest(token.as_bytes()).into()
}

#[cfg(test)]
mod tests {
    use super::*;
    use dojang_crypto::Algorithm;

    #[test]
    fn set_get_round_trip_through_a_token() {
        let mut l = StatusList::new(10);
        assert_eq!(l.len(), MIN_ENTRIES);
        l.set(5, Status::Revoked).unwrap();
        l.set(6, Status::Suspended).unwrap();
        l.set(131_071, Status::Revoked).unwrap();
        let k = Keypair::generate(Algorithm::P256);
        let token = l.to_token(&k, "did:web:x#k", "https://x/status/1", 1, 3600);
        assert!(token.len() < 2_000, "a sparse list compresses to little: {}", token.len());
        let back = StatusList::from_token(&token, "https://x/status/1").unwrap();
        assert_eq!(back, l);
        assert_eq!(back.get(4).unwrap(), Status::Valid);
        assert_eq!(back.get(5).unwrap(), Status::Revoked);
        assert_eq!(back.get(6).unwrap(), Status::Suspended);
        assert!(matches!(back.get(131_072), Err(StatusListError::Index { .. })));
        assert!(StatusList::from_token(&token, "https://x/status/2").is_err());
    }

    #[test]
    fn random_free_index_skips_used_ones() {
        let l = StatusList::new(0);
        let i = l.random_free_index(&|i| i % 2 == 0).unwrap();
        assert_eq!(i % 2, 1);
        assert_eq!(l.random_free_index(&|_| true), None);
    }

    #[test]
    fn malformed_tokens_are_errors() {
        let k = Keypair::generate(Algorithm::P256);
        let sign = |payload: Value, typ: &str| {
            let mut h = Map::new();
            h.insert("typ".into(), json!(typ));
            sign_compact(&k, h, &payload)
        };
        let uri = "u";
        let cases = [
            sign(json!({"sub": "u"}), STATUS_LIST_TYP),
            sign(json!({"sub": "u", "status_list": {"bits": 2, "lst": "AAAA"}}), "jwt"),
            sign(json!({"sub": "u", "status_list": {"bits": 3, "lst": "AAAA"}}), STATUS_LIST_TYP),
            sign(json!({"sub": "u", "status_list": {"bits": 2, "lst": "!!"}}), STATUS_LIST_TYP),
            sign(json!({"sub": "u", "status_list": {"bits": 2, "lst": "AAAA"}}), STATUS_LIST_TYP),
            "garbage".to_string(),
        ];
        for c in cases {
            assert!(StatusList::from_token(&c, uri).is_err(), "{c}");
        }
    }

    #[test]
    fn a_zip_bomb_is_refused() {
        let mut z = ZlibEncoder::new(Vec::new(), Compression::best());
        z.write_all(&vec![0u8; MAX_BYTES + 10]).unwrap();
        let lst = b64(&z.finish().unwrap());
        let k = Keypair::generate(Algorithm::P256);
        let mut h = Map::new();
        h.insert("typ".into(), json!(STATUS_LIST_TYP));
        let t = sign_compact(&k, h, &json!({"sub": "u", "status_list": {"bits": 2, "lst": lst}}));
        assert!(matches!(StatusList::from_token(&t, "u"), Err(StatusListError::Compression(_))));
    }
}
