//! Something that signs with a private key it may not reveal. The node signs consensus votes
//! and proposals through it, the CLI and the services sign transactions through it, and an
//! agency can keep the key in an HSM (`dojang-pkcs11`) instead of a file without any of them
//! changing. Signing can fail (an HSM unplugged, a session lost), so it returns a `Result`.

use std::sync::Arc;

use dojang_types::{PublicKey, Signature, SignedTx, TxBody};

use crate::keypair::Keypair;

#[derive(Debug, thiserror::Error)]
pub enum SignerError {
    /// The device or service holding the key failed (I/O, session, login, mechanism).
    #[error("{backend} could not sign: {reason}")]
    Backend { backend: &'static str, reason: String },
    /// The key cannot make the kind of signature asked for.
    #[error("{0}")]
    Unsupported(String),
}

/// A private key that signs messages. Implementations: [`Keypair`] (a key in memory, e.g.
/// from a [`crate::KeyFile`]) and `dojang_pkcs11::Pkcs11Signer` (a key in an HSM).
///
/// The signature is the one [`crate::verify`] checks: Ed25519 over the message, or ECDSA
/// P-256 over SHA-256 of the message in fixed `r || s` form.
pub trait Signer: Send + Sync {
    fn public_key(&self) -> PublicKey;

    fn sign(&self, msg: &[u8]) -> Result<Signature, SignerError>;

    /// Signs a transaction body; the body's sender should be this key.
    fn sign_tx(&self, body: TxBody) -> Result<SignedTx, SignerError> {
        let signature = self.sign(&body.signing_bytes())?;
        Ok(SignedTx { body, signature })
    }
}

impl Signer for Keypair {
    fn public_key(&self) -> PublicKey {
        Keypair::public_key(self)
    }

    fn sign(&self, msg: &[u8]) -> Result<Signature, SignerError> {
        Ok(Keypair::sign(self, msg))
    }
}

impl<S: Signer + ?Sized> Signer for Arc<S> {
    fn public_key(&self) -> PublicKey {
        (**self).public_key()
    }

    fn sign(&self, msg: &[u8]) -> Result<Signature, SignerError> {
        (**self).sign(msg)
    }
}

impl<S: Signer + ?Sized> Signer for Box<S> {
    fn public_key(&self) -> PublicKey {
        (**self).public_key()
    }

    fn sign(&self, msg: &[u8]) -> Result<Signature, SignerError> {
        (**self).sign(msg)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::keypair::{verify, Algorithm};

    #[test]
    fn keypair_signer_signs_what_verify_accepts_through_a_trait_object() {
        for alg in [Algorithm::Ed25519, Algorithm::P256] {
            let s: Arc<dyn Signer> = Arc::new(Keypair::generate(alg));
            let sig = s.sign(b"vote").unwrap();
            assert!(verify(&s.public_key(), b"vote", &sig));
            assert!(!verify(&s.public_key(), b"vote2", &sig));
        }
    }
}
