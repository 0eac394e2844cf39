//! The voter's side of a voting credential (RFC 9474, RSABSSA-SHA384-PSS-Randomized): blind
//! the credential message `dojang/voting/v1/credential/<poll>/<voting account>` under the
//! poll's registrar key, hand the blinded message to the registrar, and finalize its blind
//! signature into the token a ballot carries. The registrar sees only the blinded message.

use anyhow::Context;
use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine;
use blind_rsa_signatures::{BlindSignature, BlindingResult, Options, PublicKey, SecretKey};
use dojang_types::Address;
use dojang_voting::msg::Token;
use dojang_voting::rules::credential_message;

/// A credential message blinded for the registrar, with what the voter keeps to finalize it.
pub struct Blinding {
    key: PublicKey,
    message: Vec<u8>,
    blinding: BlindingResult,
}

impl Blinding {
    /// Blinds `voter`'s credential message for `poll` under the registrar key the poll names
    /// (`registrar_key`: base64 of its SubjectPublicKeyInfo).
    pub fn new(registrar_key: &str, poll: &str, voter: &Address) -> anyhow::Result<Blinding> {
        let spki = B64.decode(registrar_key).context("the poll's registrar_key is not base64")?;
        let key = PublicKey::from_spki(&spki, Some(&Options::default()))
            .map_err(|e| anyhow::anyhow!("the poll's registrar_key is not an RSA public key: {e}"))?;
        Blinding::with_key(key, poll, voter)
    }

    fn with_key(key: PublicKey, poll: &str, voter: &Address) -> anyhow::Result<Blinding> {
        let message = credential_message(poll, voter);
        let blinding = key.blind(&mut rand::thread_rng(), &message, true, &Options::default())?;
        Ok(Blinding { key, message, blinding })
    }

    /// The blinded message, base64, for the registrar.
    pub fn blinded_message(&self) -> String {
        B64.encode(&self.blinding.blind_msg.0)
    }

    /// The token from the registrar's blind signature (base64); fails if the signature does
    /// not verify under the registrar key.
    pub fn finalize(self, blind_signature: &str) -> anyhow::Result<Token> {
        let sig = B64.decode(blind_signature).context("the blind signature is not base64")?;
        let randomizer = self.blinding.msg_randomizer.context("a randomized blinding has a randomizer")?;
        let sig = self
            .key
            .finalize(&BlindSignature(sig), &self.blinding.secret, Some(randomizer), &self.message, &Options::default())
            .map_err(|e| anyhow::anyhow!("the registrar's blind signature does not verify: {e}"))?;
        Ok(Token { randomizer: B64.encode(randomizer.0), signature: B64.encode(&sig.0) })
    }
}

/// The token that lets `voter` cast a ballot in `poll`, with `registrar` standing in for the
/// registrar in one process (benchmarks and tests).
pub fn blind_signed_token(registrar: &SecretKey, poll: &str, voter: &Address) -> anyhow::Result<Token> {
    let blinding = Blinding::with_key(registrar.public_key()?, poll, voter)?;
    let signed = registrar.blind_sign(&mut rand::thread_rng(), &blinding.blinding.blind_msg, &Options::default())?;
    blinding.finalize(&B64.encode(signed.0))
}
