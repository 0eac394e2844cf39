//! Checking many proof equations at once. Every proof here is checked as equations of the
//! form `g·G + Σ sᵢ·Pᵢ = 0`; a batch weighs each equation by a scalar and tests the weighted
//! sum with one multi-scalar multiplication, which costs a fraction of checking each alone.
//!
//! The weights are derived, not drawn: SHA-512 over every byte of every proof in the batch,
//! then one hash per equation. So every validator reaches the same verdict on the same
//! block, and a prover cannot choose a proof's responses to cancel another's error, because
//! changing any byte changes every weight. A batch that fails says only that something in it
//! is false; the caller checks each item alone to name it.

use curve25519_dalek::ristretto::RistrettoPoint;
use curve25519_dalek::scalar::Scalar;
use curve25519_dalek::traits::{IsIdentity, VartimeMultiscalarMul};
use sha2::{Digest, Sha512};

use crate::group::G;

struct Equation {
    g: Scalar,
    start: usize,
    end: usize,
}

/// Equations waiting to be checked together.
pub struct Batch {
    seed: Sha512,
    equations: Vec<Equation>,
    scalars: Vec<Scalar>,
    points: Vec<RistrettoPoint>,
}

impl Default for Batch {
    fn default() -> Self {
        Self::new()
    }
}

impl Batch {
    pub fn new() -> Self {
        let mut seed = Sha512::new();
        seed.update(b"dojang/ballot/v1/batch");
        Batch { seed, equations: Vec::new(), scalars: Vec::new(), points: Vec::new() }
    }

    /// Binds the weights to these bytes: every proof's elements and scalars pass through here.
    pub(crate) fn absorb(&mut self, bytes: &[u8]) {
        self.seed.update((bytes.len() as u64).to_be_bytes());
        self.seed.update(bytes);
    }

    /// Adds `g·G + Σ s·P = 0`.
    pub(crate) fn equation(&mut self, g: Scalar, terms: &[(Scalar, RistrettoPoint)]) {
        let start = self.scalars.len();
        for (s, p) in terms {
            self.scalars.push(*s);
            self.points.push(*p);
        }
        self.equations.push(Equation { g, start, end: self.scalars.len() });
    }

    pub fn is_empty(&self) -> bool {
        self.equations.is_empty()
    }

    /// Whether every equation holds (but for a chance of 2⁻²⁵² that a false one slips by).
    pub fn holds(mut self) -> bool {
        if self.equations.is_empty() {
            return true;
        }
        let seed: [u8; 64] = self.seed.finalize().into();
        let mut g_total = Scalar::ZERO;
        for (i, eq) in self.equations.iter().enumerate() {
            let mut h = Sha512::new();
            h.update(seed);
            h.update((i as u64).to_be_bytes());
            let weight = Scalar::from_bytes_mod_order_wide(&h.finalize().into());
            g_total += weight * eq.g;
            for s in &mut self.scalars[eq.start..eq.end] {
                *s *= weight;
            }
        }
        let sum = RistrettoPoint::vartime_multiscalar_mul(
            std::iter::once(g_total).chain(self.scalars),
            std::iter::once(G).chain(self.points),
        );
        sum.is_identity()
    }
}
