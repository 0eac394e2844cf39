//! A voting credential made in one process: the voter's side blinds the credential message,
//! the registrar's key signs it blindly, the voter's side finalizes (RFC 9474,
//! RSABSSA-SHA384-PSS-Randomized). The registrar service splits these steps between the
//! wallet and the registrar; benchmarks and tests that stand for both use this.

use anyhow::Context;
use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine;
use blind_rsa_signatures::{Options, SecretKey};
use dojang_types::Address;
use dojang_voting::msg::Token;
use dojang_voting::rules::credential_message;

/// The token that lets `voter` cast a ballot in `poll`, signed blindly by `registrar`.
pub fn blind_signed_token(registrar: &SecretKey, poll: &str, voter: &Address) -> anyhow::Result<Token> {
    let opts = Options::default();
    let pk = registrar.public_key()?;
    let msg = credential_message(poll, voter);
    let blinding = pk.blind(&mut rand::thread_rng(), &msg, true, &opts)?;
    let blind_sig = registrar.blind_sign(&mut rand::thread_rng(), &blinding.blind_msg, &opts)?;
    let randomizer = blinding.msg_randomizer.context("a randomized blinding has a randomizer")?;
    let sig = pk.finalize(&blind_sig, &blinding.secret, Some(randomizer), &msg, &opts)?;
    Ok(Token { randomizer: B64.encode(randomizer.0), signature: B64.encode(&sig.0) })
}
