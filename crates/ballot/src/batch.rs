//! Checking many proof equations at once. Every proof here is checked as equations of the
//! form `g·G + Σ sᵢ·Pᵢ = 0`; a batch weighs each equation by a scalar and tests the weighted
//! sum with one multi-scalar multiplication, which costs a fraction of checking each alone.
//!
//! The weights are derived, not drawn: SHA-512 over every byte of every proof in the batch,
//! then one hash per equation. So every validator reaches the same verdict on the same
//! block, and a prover cannot choose a proof's responses to cancel another's error, because
//! changing any byte changes every weight. A batch that fails says only that something in it
//! is false; the caller checks each item alone to name it.
//!
//! A point that recurs across equations (the election key in every proof of every ballot, a
//! ciphertext in each branch of its range proof) enters the multiplication once, with its
//! weighted scalars added: the same sum, with about 40 % fewer terms for a ballot.

use std::collections::HashMap;

use curve25519_dalek::ristretto::RistrettoPoint;
use curve25519_dalek::scalar::Scalar;
use curve25519_dalek::traits::{IsIdentity, VartimeMultiscalarMul};
use sha2::{Digest, Sha512};

use crate::group::{Element, G};

/// One term `s·P` of an equation.
pub(crate) enum Term<'e> {
    /// A point that appears once (a proof's commitment).
    Once(Scalar, RistrettoPoint),
    /// An element that may recur in other equations: merged by its encoding.
    Shared(Scalar, &'e Element),
}

struct Equation {
    g: Scalar,
    start: usize,
    end: usize,
}

/// A point in a batch's history ([`Batch::mark`]).
pub struct Mark {
    equations: usize,
    terms: usize,
    points: usize,
}

/// Equations waiting to be checked together.
pub struct Batch {
    seed: Sha512,
    equations: Vec<Equation>,
    /// `(scalar, index into points)` of every equation's terms, equation after equation.
    terms: Vec<(Scalar, usize)>,
    points: Vec<RistrettoPoint>,
    shared: HashMap<[u8; 32], usize>,
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
        Batch { seed, equations: Vec::new(), terms: Vec::new(), points: Vec::new(), shared: HashMap::new() }
    }

    /// Binds the weights to these bytes: every proof's elements and scalars pass through here.
    pub(crate) fn absorb(&mut self, bytes: &[u8]) {
        self.seed.update((bytes.len() as u64).to_be_bytes());
        self.seed.update(bytes);
    }

    /// Adds `g·G + Σ terms = 0`.
    pub(crate) fn equation(&mut self, g: Scalar, terms: &[Term<'_>]) {
        let start = self.terms.len();
        for term in terms {
            let (s, index) = match term {
                Term::Once(s, p) => {
                    self.points.push(*p);
                    (*s, self.points.len() - 1)
                }
                Term::Shared(s, e) => {
                    let next = self.points.len();
                    let index = *self.shared.entry(*e.bytes()).or_insert(next);
                    if index == next {
                        self.points.push(*e.point());
                    }
                    (*s, index)
                }
            };
            self.terms.push((s, index));
        }
        self.equations.push(Equation { g, start, end: self.terms.len() });
    }

    /// Where the batch stands now, to [`Batch::rollback`] to if an item fails part-way.
    pub fn mark(&self) -> Mark {
        Mark { equations: self.equations.len(), terms: self.terms.len(), points: self.points.len() }
    }

    /// Drops the equations added since `mark` (an item refused part-way through its checks).
    /// The bytes it absorbed stay: they only change the weights, which stay derived.
    pub fn rollback(&mut self, mark: Mark) {
        self.equations.truncate(mark.equations);
        self.terms.truncate(mark.terms);
        self.points.truncate(mark.points);
        self.shared.retain(|_, index| *index < mark.points);
    }

    pub fn is_empty(&self) -> bool {
        self.equations.is_empty()
    }

    /// Whether every equation holds (but for a chance of 2⁻²⁵² that a false one slips by).
    pub fn holds(self) -> bool {
        if self.equations.is_empty() {
            return true;
        }
        let seed: [u8; 64] = self.seed.finalize().into();
        let mut g_total = Scalar::ZERO;
        let mut scalars = vec![Scalar::ZERO; self.points.len()];
        for (i, eq) in self.equations.iter().enumerate() {
            let mut h = Sha512::new();
            h.update(seed);
            h.update((i as u64).to_be_bytes());
            let weight = Scalar::from_bytes_mod_order_wide(&h.finalize().into());
            g_total += weight * eq.g;
            for (s, index) in &self.terms[eq.start..eq.end] {
                scalars[*index] += weight * s;
            }
        }
        let sum = RistrettoPoint::vartime_multiscalar_mul(
            std::iter::once(g_total).chain(scalars),
            std::iter::once(G).chain(self.points),
        );
        sum.is_identity()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn element(n: u64) -> Element {
        Element::new(crate::group::small(n) * G)
    }

    #[test]
    fn shared_terms_add_up_as_separate_terms_would() {
        // 3·G − 1·P − 2·P = 0 for P = G, with P entered twice as shared and once as a term.
        let p = element(1);
        let mut batch = Batch::new();
        batch.equation(Scalar::from(3u64), &[Term::Shared(-Scalar::ONE, &p), Term::Shared(-Scalar::from(2u64), &p)]);
        batch.equation(Scalar::from(5u64), &[Term::Shared(-Scalar::from(5u64), &p)]);
        assert_eq!(batch.points.len(), 1, "one point for the element entered three times");
        assert!(batch.holds());
        let mut off = Batch::new();
        off.equation(Scalar::from(3u64), &[Term::Shared(-Scalar::ONE, &p), Term::Once(-Scalar::ONE, *p.point())]);
        assert!(!off.holds(), "3·G − G − G is not zero");
    }

    #[test]
    fn a_rollback_drops_a_refused_items_equations_and_its_shared_points() {
        let (p, q) = (element(2), element(7));
        let mut batch = Batch::new();
        batch.equation(Scalar::from(2u64), &[Term::Shared(-Scalar::ONE, &p)]);
        let mark = batch.mark();
        // A false equation with a new shared point, as an item refused part-way leaves it.
        batch.equation(Scalar::ONE, &[Term::Shared(Scalar::ONE, &q)]);
        batch.rollback(mark);
        // The same point entered again after the rollback gets a place of its own.
        batch.equation(Scalar::from(7u64), &[Term::Shared(-Scalar::ONE, &q)]);
        assert_eq!(batch.points.len(), 2);
        assert!(batch.holds(), "only true equations are left");

        let mut kept = Batch::new();
        kept.equation(Scalar::from(2u64), &[Term::Shared(-Scalar::ONE, &p)]);
        kept.equation(Scalar::ONE, &[Term::Shared(Scalar::ONE, &q)]);
        kept.equation(Scalar::from(7u64), &[Term::Shared(-Scalar::ONE, &q)]);
        assert!(!kept.holds(), "the same equations without the rollback fail");
    }
}
