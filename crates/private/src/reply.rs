//! Answers sealed to the one who asked. A request for a payload carries a fresh X25519 public
//! key (covered by the request's signature); the node encrypts the answer to it (ECDH with its
//! own fresh key, HKDF-SHA256, AES-256-GCM). Whoever captures or replays a member's signed
//! request, on the wire or at a node that is not a member, gets only ciphertext: the private
//! half of the reply key never left the member.

use base64::Engine;
use ring::aead::{Aad, LessSafeKey, Nonce, UnboundKey, AES_256_GCM, NONCE_LEN};
use ring::agreement::{self, EphemeralPrivateKey, UnparsedPublicKey, X25519};
use ring::hkdf;
use ring::rand::{SecureRandom, SystemRandom};
use serde::{Deserialize, Serialize};

/// The request header carrying the requester's reply key (64 hex digits).
pub const REPLY_KEY_HEADER: &str = "x-dojang-reply-key";

const KDF_SALT: &[u8] = b"dojang/private-reply/v1";

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ReplyError {
    #[error("the reply key must be 64 hex digits (an X25519 public key)")]
    BadKey,
    #[error("the sealed answer is malformed: {0}")]
    Malformed(&'static str),
    #[error("the sealed answer does not open with this reply key")]
    DoesNotOpen,
    #[error("the system's random number generator failed")]
    Random,
}

/// An answer sealed to a reply key.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Sealed {
    /// The node's one-time X25519 public key, hex.
    pub key: String,
    /// AES-GCM nonce, hex.
    pub nonce: String,
    /// Ciphertext with its tag, base64.
    pub ciphertext: String,
}

/// The requester's one-time key pair; it opens exactly one answer.
pub struct ReplyKey {
    private: EphemeralPrivateKey,
    public: [u8; 32],
}

impl ReplyKey {
    pub fn generate() -> Result<ReplyKey, ReplyError> {
        let rng = SystemRandom::new();
        let private = EphemeralPrivateKey::generate(&X25519, &rng).map_err(|_| ReplyError::Random)?;
        let public = private.compute_public_key().map_err(|_| ReplyError::Random)?;
        let public: [u8; 32] = public.as_ref().try_into().map_err(|_| ReplyError::Random)?;
        Ok(ReplyKey { private, public })
    }

    /// The public half, as the request header carries it.
    pub fn public_hex(&self) -> String {
        hex::encode(self.public)
    }

    /// Opens the answer sealed to this key.
    pub fn open(self, sealed: &Sealed) -> Result<Vec<u8>, ReplyError> {
        let theirs: [u8; 32] = hex::decode(&sealed.key)
            .ok()
            .and_then(|b| b.try_into().ok())
            .ok_or(ReplyError::Malformed("key is not 64 hex digits"))?;
        let nonce: [u8; NONCE_LEN] = hex::decode(&sealed.nonce)
            .ok()
            .and_then(|b| b.try_into().ok())
            .ok_or(ReplyError::Malformed("nonce is not 24 hex digits"))?;
        let mut data = base64::engine::general_purpose::STANDARD
            .decode(&sealed.ciphertext)
            .map_err(|_| ReplyError::Malformed("ciphertext is not base64"))?;
        let key = agreement::agree_ephemeral(self.private, &UnparsedPublicKey::new(&X25519, theirs), |shared| {
            aead_key(shared, &self.public, &theirs)
        })
        .map_err(|_| ReplyError::DoesNotOpen)?;
        let plain = key
            .open_in_place(Nonce::assume_unique_for_key(nonce), Aad::empty(), &mut data)
            .map_err(|_| ReplyError::DoesNotOpen)?;
        Ok(plain.to_vec())
    }
}

fn aead_key(shared: &[u8], requester: &[u8; 32], node: &[u8; 32]) -> LessSafeKey {
    let info = [requester.as_slice(), node.as_slice()];
    let prk = hkdf::Salt::new(hkdf::HKDF_SHA256, KDF_SALT).extract(shared);
    let okm = prk.expand(&info, &AES_256_GCM).expect("32 bytes is a valid HKDF-SHA256 output length");
    LessSafeKey::new(UnboundKey::from(okm))
}

/// Seals `plain` to the requester's reply key (hex, from [`REPLY_KEY_HEADER`]).
pub fn seal(reply_key_hex: &str, plain: &[u8]) -> Result<Sealed, ReplyError> {
    let requester: [u8; 32] =
        hex::decode(reply_key_hex).ok().and_then(|b| b.try_into().ok()).ok_or(ReplyError::BadKey)?;
    let rng = SystemRandom::new();
    let mine = EphemeralPrivateKey::generate(&X25519, &rng).map_err(|_| ReplyError::Random)?;
    let public: [u8; 32] = mine
        .compute_public_key()
        .map_err(|_| ReplyError::Random)?
        .as_ref()
        .try_into()
        .map_err(|_| ReplyError::Random)?;
    let key = agreement::agree_ephemeral(mine, &UnparsedPublicKey::new(&X25519, requester), |shared| {
        aead_key(shared, &requester, &public)
    })
    .map_err(|_| ReplyError::BadKey)?;
    let mut nonce = [0u8; NONCE_LEN];
    rng.fill(&mut nonce).map_err(|_| ReplyError::Random)?;
    let mut data = plain.to_vec();
    key.seal_in_place_append_tag(Nonce::assume_unique_for_key(nonce), Aad::empty(), &mut data)
        .map_err(|_| ReplyError::Random)?;
    Ok(Sealed {
        key: hex::encode(public),
        nonce: hex::encode(nonce),
        ciphertext: base64::engine::general_purpose::STANDARD.encode(data),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_reply_key_opens_the_answer() {
        let mine = ReplyKey::generate().unwrap();
        let sealed = seal(&mine.public_hex(), b"{\"wage_krw\": 10320}").unwrap();
        assert!(!sealed.ciphertext.contains("10320"));
        let other = ReplyKey::generate().unwrap();
        assert_eq!(other.open(&sealed), Err(ReplyError::DoesNotOpen), "a replayed request's answer stays shut");
        assert_eq!(mine.open(&sealed).unwrap(), b"{\"wage_krw\": 10320}");
    }

    #[test]
    fn tampered_or_malformed_answers_and_keys_are_refused() {
        let mine = ReplyKey::generate().unwrap();
        let sealed = seal(&mine.public_hex(), b"payload").unwrap();
        let mut flipped = sealed.clone();
        let mut raw = base64::engine::general_purpose::STANDARD.decode(&flipped.ciphertext).unwrap();
        raw[0] ^= 1;
        flipped.ciphertext = base64::engine::general_purpose::STANDARD.encode(raw);
        assert_eq!(mine.open(&flipped), Err(ReplyError::DoesNotOpen));
        for bad in [
            Sealed { key: "zz".into(), ..sealed.clone() },
            Sealed { nonce: "00".into(), ..sealed.clone() },
            Sealed { ciphertext: "%%%".into(), ..sealed.clone() },
        ] {
            let k = ReplyKey::generate().unwrap();
            assert!(matches!(k.open(&bad), Err(ReplyError::Malformed(_))), "{bad:?}");
        }
        for bad in ["", "00", &"zz".repeat(32), &"00".repeat(33)] {
            assert_eq!(seal(bad, b"x"), Err(ReplyError::BadKey), "{bad}");
        }
    }
}
