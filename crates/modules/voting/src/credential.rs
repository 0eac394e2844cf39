//! The voting credential's check (VOTE-01, VOTE-10). The registrar's blind signature, once
//! the voter's device finalizes it (RFC 9474, RSABSSA-SHA384-PSS-Randomized), is an ordinary
//! RSASSA-PSS signature (SHA-384, MGF1 with SHA-384, a 48-byte salt) on the randomizer
//! followed by the credential message. It is checked here with `ring`: every ballot pays this
//! check in the block's serial part, and `ring` does it several times faster than the
//! blind-signature crate's own big-number code.

use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine;
use blind_rsa_signatures::reexports::rsa::PublicKeyParts as _;
use blind_rsa_signatures::{Options, PublicKey};
use dojang_types::Address;
use ring::signature::{RsaPublicKeyComponents, RSA_PSS_2048_8192_SHA384};

use crate::msg::Token;
use crate::rules::credential_message;

/// A registrar's RSA public key, as a poll names it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RegistrarKey {
    n: Vec<u8>,
    e: Vec<u8>,
}

impl RegistrarKey {
    /// From the poll's `registrar_key`: base64 of an RSA SubjectPublicKeyInfo of 2,048 to
    /// 8,192 bits.
    pub fn from_spki_base64(text: &str) -> Result<RegistrarKey, String> {
        let der = B64.decode(text).map_err(|e| format!("the registrar key is not base64: {e}"))?;
        let pk = PublicKey::from_spki(&der, Some(&Options::default()))
            .map_err(|e| format!("the registrar key is not an RSA SubjectPublicKeyInfo: {e}"))?;
        RegistrarKey::from_public(&pk)
    }

    pub fn from_public(pk: &PublicKey) -> Result<RegistrarKey, String> {
        let bits = pk.0.n().bits();
        if !(2048..=8192).contains(&bits) {
            return Err(format!("the registrar key has {bits} bits; use 2,048 to 8,192"));
        }
        // What `ring` verifies with: an odd public exponent from 3 to 2³³ − 1.
        let e = pk.0.e();
        if e.bits() > 33 || e.to_bytes_be().last().is_none_or(|b| b & 1 == 0) || e.bits() < 2 {
            return Err("the registrar key's public exponent must be odd, from 3 to 2^33 - 1 (65537 is usual)".into());
        }
        Ok(RegistrarKey { n: pk.0.n().to_bytes_be(), e: e.to_bytes_be() })
    }

    /// The modulus's SHA-256: one registrar key serves one poll (a blinded message does not
    /// say which poll it is for, so a key shared by two polls would let one poll's registrar
    /// sign the other's credentials), and the chain indexes keys by this.
    pub fn fingerprint(&self) -> dojang_types::Hash {
        dojang_types::sha256(&[&self.n])
    }
}

/// Whether `token` is the registrar's signature (under `key`) on `voter`'s credential message
/// for `poll`.
pub fn token_verifies(key: &RegistrarKey, poll: &str, voter: &Address, token: &Token) -> Result<(), String> {
    let randomizer: [u8; 32] = B64
        .decode(&token.randomizer)
        .ok()
        .and_then(|r| r.try_into().ok())
        .ok_or("the randomizer is not 32 bytes of base64")?;
    let signature = B64.decode(&token.signature).map_err(|_| "the signature is not base64")?;
    let mut signed = randomizer.to_vec();
    signed.extend_from_slice(&credential_message(poll, voter));
    RsaPublicKeyComponents { n: &key.n, e: &key.e }
        .verify(&RSA_PSS_2048_8192_SHA384, &signed, &signature)
        .map_err(|_| "the registrar did not sign this voting key for this poll".to_string())
}

#[cfg(test)]
mod tests {
    use super::*;
    use blind_rsa_signatures::{KeyPair, MessageRandomizer};

    fn token(kp: &KeyPair, poll: &str, voter: &Address, randomized: bool) -> Token {
        let opts =
            if randomized { Options::default() } else { Options::new(blind_rsa_signatures::Hash::Sha384, true, 0) };
        let msg = credential_message(poll, voter);
        let mut rng = rand::thread_rng();
        let b = kp.pk.blind(&mut rng, &msg, randomized, &opts).unwrap();
        let blind_sig = kp.sk.blind_sign(&mut rng, &b.blind_msg, &opts).unwrap();
        let r = b.msg_randomizer.unwrap_or(MessageRandomizer([0u8; 32]));
        let sig = kp.pk.finalize(&blind_sig, &b.secret, b.msg_randomizer, &msg, &opts).unwrap();
        Token { randomizer: B64.encode(r.0), signature: B64.encode(&sig.0) }
    }

    #[test]
    fn a_finalized_rfc_9474_signature_verifies_here_for_its_poll_and_voting_key_only() {
        let kp = KeyPair::generate(&mut rand::thread_rng(), 2048).unwrap();
        let key =
            RegistrarKey::from_spki_base64(&B64.encode(kp.pk.to_spki(Some(&Options::default())).unwrap())).unwrap();
        let (voter, other) = (Address([1; 20]), Address([2; 20]));
        let t = token(&kp, "mapo-budget", &voter, true);
        assert_eq!(token_verifies(&key, "mapo-budget", &voter, &t), Ok(()));
        // The blind-signature crate's own check agrees.
        let sig = blind_rsa_signatures::Signature(B64.decode(&t.signature).unwrap());
        let r: [u8; 32] = B64.decode(&t.randomizer).unwrap().try_into().unwrap();
        let msg = credential_message("mapo-budget", &voter);
        assert!(sig.verify(&kp.pk, Some(MessageRandomizer(r)), msg, &Options::default()).is_ok());

        assert!(token_verifies(&key, "other-poll", &voter, &t).is_err());
        assert!(token_verifies(&key, "mapo-budget", &other, &t).is_err());
        let mut flipped = B64.decode(&t.signature).unwrap();
        flipped[10] ^= 1;
        let bad = Token { signature: B64.encode(flipped), ..t.clone() };
        assert!(token_verifies(&key, "mapo-budget", &voter, &bad).is_err());
        let moved = Token { randomizer: B64.encode([7u8; 32]), ..t.clone() };
        assert!(token_verifies(&key, "mapo-budget", &voter, &moved).is_err());
        for (r, s) in [
            ("!!", t.signature.as_str()),
            (&B64.encode([1u8; 31]), t.signature.as_str()),
            (t.randomizer.as_str(), "**"),
        ] {
            let malformed = Token { randomizer: r.to_string(), signature: s.to_string() };
            assert!(token_verifies(&key, "mapo-budget", &voter, &malformed).is_err());
        }
        // Another registrar's key, and the deterministic variant (no salt), are refused.
        let other_kp = KeyPair::generate(&mut rand::thread_rng(), 2048).unwrap();
        assert!(token_verifies(&RegistrarKey::from_public(&other_kp.pk).unwrap(), "mapo-budget", &voter, &t).is_err());
        let plain = token(&kp, "mapo-budget", &voter, false);
        assert!(token_verifies(&key, "mapo-budget", &voter, &plain).is_err());
    }

    #[test]
    fn a_short_key_or_a_malformed_one_is_no_registrar_key() {
        let small = KeyPair::generate(&mut rand::thread_rng(), 1024).unwrap();
        let text = B64.encode(small.pk.to_spki(Some(&Options::default())).unwrap());
        assert!(RegistrarKey::from_spki_base64(&text).is_err(), "a 1,024-bit key is refused");
        assert!(RegistrarKey::from_public(&small.pk).unwrap_err().contains("1024 bits"));
        assert!(RegistrarKey::from_spki_base64("not base64!").unwrap_err().contains("base64"));
        assert!(RegistrarKey::from_spki_base64(&B64.encode(b"not der")).unwrap_err().contains("SubjectPublicKeyInfo"));
    }
}
