//! The zero-knowledge proofs, all non-interactive by Fiat–Shamir over [`Transcript`]:
//! - [`RangeProof`]: a ciphertext encrypts one of `lo..=hi` (a disjunction of Chaum–Pedersen
//!   proofs, as in Cramer–Damgård–Schoenmakers; `0..=1` for each option of a ballot, the
//!   question's `min..=max` for their sum), VOTE-04;
//! - [`DlogEqProof`]: two points share a discrete logarithm (Chaum–Pedersen), for a trustee's
//!   decryption share and for a complaint about a share, VOTE-07;
//! - [`KnowledgeProof`]: the prover knows a point's discrete logarithm (Schnorr), for a
//!   trustee's first coefficient in the key generation.
//!
//! Each proof carries its commitments as well as its responses, so its equations can be
//! checked in a [`Batch`] with other proofs. `context` binds a proof to where it is used (the
//! poll, the voter's credential, the trustee): a proof copied elsewhere fails.

use curve25519_dalek::scalar::Scalar;
use rand::{CryptoRng, RngCore};
use serde::{Deserialize, Serialize};

use crate::batch::{Batch, Term};
use crate::elgamal::Ciphertext;
use crate::group::{small, Commitment, Element, Num, Transcript, G};
use crate::BallotError;

/// One alternative of a [`RangeProof`]: that the ciphertext encrypts `lo + j`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Branch {
    pub a: Commitment,
    pub b: Commitment,
    pub c: Num,
    pub z: Num,
}

/// That a ciphertext encrypts one of `lo..=hi`, without saying which: one branch per value.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RangeProof {
    pub branches: Vec<Branch>,
}

/// The most values one range proof may cover: a question's options are capped well below it.
pub const MAX_RANGE: u64 = 64;

fn range_challenge(context: &[u8], key: &Element, ct: &Ciphertext, lo: u64, hi: u64, branches: &[Branch]) -> Scalar {
    let mut t = Transcript::new("range");
    t.bytes(context);
    t.element(key);
    t.element(&ct.alpha);
    t.element(&ct.beta);
    t.u64(lo);
    t.u64(hi);
    for b in branches {
        t.commitment(&b.a);
        t.commitment(&b.b);
    }
    t.challenge()
}

impl RangeProof {
    /// Proves that `ct`, made with randomness `r`, encrypts `value`, one of `lo..=hi`.
    #[allow(clippy::too_many_arguments)]
    pub fn prove<R: RngCore + CryptoRng>(
        context: &[u8],
        key: &Element,
        ct: &Ciphertext,
        r: &Scalar,
        value: u64,
        lo: u64,
        hi: u64,
        rng: &mut R,
    ) -> Result<Self, BallotError> {
        if lo > hi || hi - lo >= MAX_RANGE || !(lo..=hi).contains(&value) {
            return Err(BallotError::Shape(format!("{value} is not one of {lo}..={hi} (at most {MAX_RANGE} values)")));
        }
        let real = (value - lo) as usize;
        let w = Scalar::random(rng);
        let mut branches = Vec::with_capacity((hi - lo + 1) as usize);
        for j in 0..=(hi - lo) {
            if j as usize == real {
                branches.push(Branch {
                    a: Commitment::new(w * G),
                    b: Commitment::new(w * key.point()),
                    c: Num(Scalar::ZERO),
                    z: Num(Scalar::ZERO),
                });
            } else {
                let (c, z) = (Scalar::random(rng), Scalar::random(rng));
                let shifted = ct.beta.point() - small(lo + j) * G;
                branches.push(Branch {
                    a: Commitment::new(z * G - c * ct.alpha.point()),
                    b: Commitment::new(z * key.point() - c * shifted),
                    c: Num(c),
                    z: Num(z),
                });
            }
        }
        let total = range_challenge(context, key, ct, lo, hi, &branches);
        let others: Scalar = branches.iter().enumerate().filter(|(j, _)| *j != real).map(|(_, b)| b.c.0).sum();
        let c = total - others;
        branches[real].c = Num(c);
        branches[real].z = Num(w + c * r);
        Ok(RangeProof { branches })
    }

    /// Checks the proof's shape and challenge now and puts its equations in `batch`.
    pub fn check(
        &self,
        context: &[u8],
        key: &Element,
        ct: &Ciphertext,
        lo: u64,
        hi: u64,
        batch: &mut Batch,
    ) -> Result<(), BallotError> {
        if lo > hi || hi - lo >= MAX_RANGE || self.branches.len() as u64 != hi - lo + 1 {
            return Err(BallotError::Proof(format!(
                "a proof for {lo}..={hi} has {} alternatives, one per value",
                hi.saturating_sub(lo).saturating_add(1)
            )));
        }
        let total = range_challenge(context, key, ct, lo, hi, &self.branches);
        let sum: Scalar = self.branches.iter().map(|b| b.c.0).sum();
        if sum != total {
            return Err(BallotError::Proof("its challenges do not add up to the hash of the statement".into()));
        }
        for (j, b) in self.branches.iter().enumerate() {
            batch.absorb(b.a.bytes());
            batch.absorb(b.b.bytes());
            batch.absorb(b.c.0.as_bytes());
            batch.absorb(b.z.0.as_bytes());
            // z·G = A + c·α
            batch.equation(b.z.0, &[Term::Once(-Scalar::ONE, b.a.point()?), Term::Shared(-b.c.0, &ct.alpha)]);
            // z·Y = B + c·(β − (lo+j)·G)
            batch.equation(
                b.c.0 * small(lo + j as u64),
                &[Term::Shared(b.z.0, key), Term::Once(-Scalar::ONE, b.b.point()?), Term::Shared(-b.c.0, &ct.beta)],
            );
        }
        Ok(())
    }

    /// Checks the proof alone.
    pub fn verify(&self, context: &[u8], key: &Element, ct: &Ciphertext, lo: u64, hi: u64) -> Result<(), BallotError> {
        let mut batch = Batch::new();
        self.check(context, key, ct, lo, hi, &mut batch)?;
        holds(batch, "the ciphertext is not proven to encrypt a value in range")
    }
}

/// Turns a batch's verdict into an error that says what was claimed.
pub(crate) fn holds(batch: Batch, claim: &str) -> Result<(), BallotError> {
    if batch.holds() {
        Ok(())
    } else {
        Err(BallotError::Proof(claim.to_string()))
    }
}

/// That `log_G(x) = log_h(d)`: the same secret made both.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct DlogEqProof {
    pub a: Commitment,
    pub b: Commitment,
    pub z: Num,
}

fn dlog_eq_challenge(
    label: &str,
    context: &[u8],
    x: &Element,
    h: &Element,
    d: &Element,
    a: &Commitment,
    b: &Commitment,
) -> Scalar {
    let mut t = Transcript::new(label);
    t.bytes(context);
    for e in [x, h, d] {
        t.element(e);
    }
    t.commitment(a);
    t.commitment(b);
    t.challenge()
}

impl DlogEqProof {
    /// Proves that `x = s·G` and `d = s·h`.
    pub fn prove<R: RngCore + CryptoRng>(
        label: &str,
        context: &[u8],
        s: &Scalar,
        x: &Element,
        h: &Element,
        d: &Element,
        rng: &mut R,
    ) -> Self {
        let w = Scalar::random(rng);
        let (a, b) = (Commitment::new(w * G), Commitment::new(w * h.point()));
        let c = dlog_eq_challenge(label, context, x, h, d, &a, &b);
        DlogEqProof { a, b, z: Num(w + c * s) }
    }

    /// Puts the proof's equations in `batch`; fails at once if a commitment is no point.
    #[allow(clippy::too_many_arguments)]
    pub fn check(
        &self,
        label: &str,
        context: &[u8],
        x: &Element,
        h: &Element,
        d: &Element,
        batch: &mut Batch,
    ) -> Result<(), BallotError> {
        let (a, b) = (self.a.point()?, self.b.point()?);
        let c = dlog_eq_challenge(label, context, x, h, d, &self.a, &self.b);
        batch.absorb(self.a.bytes());
        batch.absorb(self.b.bytes());
        batch.absorb(self.z.0.as_bytes());
        batch.absorb(c.as_bytes());
        // z·G = A + c·X
        batch.equation(self.z.0, &[Term::Once(-Scalar::ONE, a), Term::Shared(-c, x)]);
        // z·h = B + c·D
        batch.equation(Scalar::ZERO, &[Term::Shared(self.z.0, h), Term::Once(-Scalar::ONE, b), Term::Shared(-c, d)]);
        Ok(())
    }

    pub fn verify(
        &self,
        label: &str,
        context: &[u8],
        x: &Element,
        h: &Element,
        d: &Element,
    ) -> Result<(), BallotError> {
        let mut batch = Batch::new();
        self.check(label, context, x, h, d, &mut batch)?;
        holds(batch, "the two points are not proven to share one secret")
    }
}

/// That the prover knows `s` with `x = s·G`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct KnowledgeProof {
    pub a: Commitment,
    pub z: Num,
}

fn knowledge_challenge(context: &[u8], x: &Element, a: &Commitment) -> Scalar {
    let mut t = Transcript::new("knowledge");
    t.bytes(context);
    t.element(x);
    t.commitment(a);
    t.challenge()
}

impl KnowledgeProof {
    pub fn prove<R: RngCore + CryptoRng>(context: &[u8], s: &Scalar, x: &Element, rng: &mut R) -> Self {
        let w = Scalar::random(rng);
        let a = Commitment::new(w * G);
        let c = knowledge_challenge(context, x, &a);
        KnowledgeProof { a, z: Num(w + c * s) }
    }

    pub fn verify(&self, context: &[u8], x: &Element) -> Result<(), BallotError> {
        let c = knowledge_challenge(context, x, &self.a);
        let mut batch = Batch::new();
        batch.absorb(self.a.bytes());
        batch.absorb(self.z.0.as_bytes());
        batch.equation(self.z.0, &[Term::Once(-Scalar::ONE, self.a.point()?), Term::Shared(-c, x)]);
        holds(batch, "the prover is not shown to know the secret of its key")
    }
}
