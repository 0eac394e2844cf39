//! Exponential ElGamal: a count `m` encrypted as `(r·G, m·G + r·Y)` under the election key
//! `Y`. Ciphertexts add, so the sum of every ballot's ciphertext for an option encrypts the
//! option's count, and only that sum is ever decrypted.

use curve25519_dalek::ristretto::RistrettoPoint;
use curve25519_dalek::scalar::Scalar;
use curve25519_dalek::traits::Identity;
use rand::{CryptoRng, RngCore};
use serde::{Deserialize, Serialize};

use crate::group::{small, Element, G};

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Ciphertext {
    /// `r·G`
    pub alpha: Element,
    /// `m·G + r·Y`
    pub beta: Element,
}

impl Ciphertext {
    /// Encrypts `m` under `key` with the randomness `r` (which a voter reveals to audit a
    /// ballot instead of casting it).
    pub fn encrypt_with(key: &Element, m: u64, r: &Scalar) -> Self {
        Ciphertext { alpha: Element::new(r * G), beta: Element::new(small(m) * G + r * key.point()) }
    }

    pub fn encrypt<R: RngCore + CryptoRng>(key: &Element, m: u64, rng: &mut R) -> (Self, Scalar) {
        let r = Scalar::random(rng);
        (Self::encrypt_with(key, m, &r), r)
    }

    /// The encryption of zero with no randomness: where a sum starts.
    pub fn zero() -> Self {
        let id = Element::new(RistrettoPoint::identity());
        Ciphertext { alpha: id, beta: id }
    }
}

/// Sums ciphertexts without re-encoding each partial sum: the points are added and encoded
/// once at the end.
pub fn sum<'a>(cts: impl IntoIterator<Item = &'a Ciphertext>) -> Ciphertext {
    let (mut a, mut b) = (RistrettoPoint::identity(), RistrettoPoint::identity());
    for c in cts {
        a += c.alpha.point();
        b += c.beta.point();
    }
    Ciphertext { alpha: Element::new(a), beta: Element::new(b) }
}

/// `a − b`: a sum without one of its terms (a ballot replaced by a later one).
pub fn difference(a: &Ciphertext, b: &Ciphertext) -> Ciphertext {
    Ciphertext {
        alpha: Element::new(a.alpha.point() - b.alpha.point()),
        beta: Element::new(a.beta.point() - b.beta.point()),
    }
}

/// Decrypts with the whole secret key: only tests and a voter's own audit hold one. The
/// election key's secret never exists whole (see [`crate::dkg`]).
pub fn decrypt_point(secret: &Scalar, ct: &Ciphertext) -> RistrettoPoint {
    ct.beta.point() - secret * ct.alpha.point()
}
