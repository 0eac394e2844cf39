use dojang_types::{PublicKey, Signature, SignedTx, TxBody};
use ed25519_dalek::Signer as _;
use ring::rand::SystemRandom;
use ring::signature::{
    EcdsaKeyPair, KeyPair as _, UnparsedPublicKey, ECDSA_P256_SHA256_FIXED, ECDSA_P256_SHA256_FIXED_SIGNING,
};

use zeroize::Zeroizing;

use crate::ed25519::verify_ed25519;

/// Which signature scheme a key uses.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Algorithm {
    Ed25519,
    P256,
}

impl Algorithm {
    /// The name used in key files and public keys: `ed25519` or `p256`.
    pub fn name(&self) -> &'static str {
        match self {
            Algorithm::Ed25519 => "ed25519",
            Algorithm::P256 => "p256",
        }
    }
}

impl std::str::FromStr for Algorithm {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "ed25519" => Ok(Algorithm::Ed25519),
            "p256" | "es256" => Ok(Algorithm::P256),
            other => Err(format!("unknown key algorithm '{other}': use ed25519 or p256")),
        }
    }
}

/// A private key able to sign transactions.
pub enum Keypair {
    Ed25519(ed25519_dalek::SigningKey),
    /// The PKCS#8 document is kept because ring cannot export a parsed key; it is wiped on drop.
    P256 {
        pair: EcdsaKeyPair,
        pkcs8: Zeroizing<Vec<u8>>,
    },
}

impl Keypair {
    pub fn generate(alg: Algorithm) -> Self {
        match alg {
            Algorithm::Ed25519 => Keypair::Ed25519(ed25519_dalek::SigningKey::generate(&mut rand::rngs::OsRng)),
            Algorithm::P256 => {
                let rng = SystemRandom::new();
                let doc = EcdsaKeyPair::generate_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, &rng)
                    .expect("the system random source is available");
                Self::p256_from_pkcs8(doc.as_ref()).expect("ring parses the PKCS#8 it generated")
            }
        }
    }

    /// A deterministic Ed25519 key from a 32-byte seed (demo accounts, test vectors).
    pub fn ed25519_from_seed(seed: [u8; 32]) -> Self {
        Keypair::Ed25519(ed25519_dalek::SigningKey::from_bytes(&seed))
    }

    pub fn p256_from_pkcs8(pkcs8: &[u8]) -> Result<Self, String> {
        let pair = EcdsaKeyPair::from_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, pkcs8, &SystemRandom::new())
            .map_err(|e| format!("not a P-256 PKCS#8 private key: {e}"))?;
        Ok(Keypair::P256 { pair, pkcs8: Zeroizing::new(pkcs8.to_vec()) })
    }

    pub fn algorithm(&self) -> Algorithm {
        match self {
            Keypair::Ed25519(_) => Algorithm::Ed25519,
            Keypair::P256 { .. } => Algorithm::P256,
        }
    }

    pub fn public_key(&self) -> PublicKey {
        match self {
            Keypair::Ed25519(k) => PublicKey::Ed25519(k.verifying_key().to_bytes()),
            Keypair::P256 { pair, .. } => {
                let mut out = [0u8; 65];
                out.copy_from_slice(pair.public_key().as_ref());
                PublicKey::P256(out)
            }
        }
    }

    pub fn sign(&self, msg: &[u8]) -> Signature {
        match self {
            Keypair::Ed25519(k) => Signature::Ed25519(k.sign(msg).to_bytes()),
            Keypair::P256 { pair, .. } => {
                let sig = pair.sign(&SystemRandom::new(), msg).expect("P-256 signing cannot fail with a valid key");
                let mut out = [0u8; 64];
                out.copy_from_slice(sig.as_ref());
                Signature::P256(out)
            }
        }
    }

    /// Signs a transaction body. The body's sender must be this key.
    pub fn sign_tx(&self, body: TxBody) -> SignedTx {
        let signature = self.sign(&body.signing_bytes());
        SignedTx { body, signature }
    }

    /// A second handle on the same key (ring's parsed keys cannot be cloned; this re-reads the
    /// secret). For tools that hand a key to a builder that owns it.
    pub fn duplicate(&self) -> Keypair {
        match self {
            Keypair::Ed25519(k) => Keypair::Ed25519(k.clone()),
            Keypair::P256 { pkcs8, .. } => {
                Self::p256_from_pkcs8(pkcs8).expect("ring reads the PKCS#8 it parsed before")
            }
        }
    }

    /// The secret as bytes for a key file: the Ed25519 seed or the P-256 PKCS#8 document.
    /// Callers wrap it in `Zeroizing` (the key file code does).
    pub fn secret_bytes(&self) -> Vec<u8> {
        match self {
            Keypair::Ed25519(k) => k.to_bytes().to_vec(),
            Keypair::P256 { pkcs8, .. } => pkcs8.to_vec(),
        }
    }
}

/// Verifies one signature (Ed25519 under ZIP-215). Mismatched algorithms and malformed keys are
/// simply invalid.
pub fn verify(public_key: &PublicKey, msg: &[u8], signature: &Signature) -> bool {
    match (public_key, signature) {
        (PublicKey::Ed25519(pk), Signature::Ed25519(sig)) => verify_ed25519(pk, msg, sig),
        (PublicKey::P256(pk), Signature::P256(sig)) => {
            UnparsedPublicKey::new(&ECDSA_P256_SHA256_FIXED, pk).verify(msg, sig).is_ok()
        }
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn both_algorithms_sign_and_verify_and_reject_tampering() {
        for alg in [Algorithm::Ed25519, Algorithm::P256] {
            let k = Keypair::generate(alg);
            let sig = k.sign(b"hello");
            assert!(verify(&k.public_key(), b"hello", &sig));
            assert!(!verify(&k.public_key(), b"hellO", &sig));
            let other = Keypair::generate(alg);
            assert!(!verify(&other.public_key(), b"hello", &sig));
        }
    }

    #[test]
    fn p256_key_survives_pkcs8_round_trip() {
        let k = Keypair::generate(Algorithm::P256);
        let again = Keypair::p256_from_pkcs8(&k.secret_bytes()).unwrap();
        assert_eq!(k.public_key(), again.public_key());
        assert!(Keypair::p256_from_pkcs8(b"garbage").is_err());
    }
}
