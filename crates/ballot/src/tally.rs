//! Decrypting the tally, verifiably (VOTE-07). The encrypted totals are the sums of every
//! cast ballot's ciphertexts, which anyone recomputes from the board. Each trustee present
//! posts, for each total `(α, β)`, `Dⱼ = xⱼ·α` with a proof that it used the secret behind its
//! verification key; any `k` correct shares give `β − Σ λⱼ·Dⱼ = m·G` (Lagrange at zero), and
//! `m`, a count no larger than the number of ballots, is found by baby-step giant-step.

use std::collections::HashMap;

use curve25519_dalek::ristretto::RistrettoPoint;
use curve25519_dalek::scalar::Scalar;
use curve25519_dalek::traits::{Identity, VartimeMultiscalarMul};
use rand::{CryptoRng, RngCore};
use serde::{Deserialize, Serialize};

use crate::batch::Batch;
use crate::elgamal::Ciphertext;
use crate::group::{small, Element, G};
use crate::proof::{holds, DlogEqProof};
use crate::BallotError;

/// One trustee's part of the decryption: one point and one proof per total.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct DecryptionShare {
    pub trustee: u32,
    pub parts: Vec<Element>,
    pub proofs: Vec<DlogEqProof>,
}

fn share_context(context: &[u8], trustee: u32) -> Vec<u8> {
    [context, b"/trustee/", &trustee.to_be_bytes()].concat()
}

impl DecryptionShare {
    pub fn make<R: RngCore + CryptoRng>(
        context: &[u8],
        trustee: u32,
        secret: &Scalar,
        totals: &[Ciphertext],
        rng: &mut R,
    ) -> Self {
        let ctx = share_context(context, trustee);
        let x = Element::new(secret * G);
        let parts: Vec<Element> = totals.iter().map(|t| Element::new(secret * t.alpha.point())).collect();
        let proofs = totals
            .iter()
            .zip(&parts)
            .map(|(t, d)| DlogEqProof::prove("decryption", &ctx, secret, &x, &t.alpha, d, rng))
            .collect();
        DecryptionShare { trustee, parts, proofs }
    }

    /// Checks every part against the trustee's verification key. A failure names the trustee
    /// and the total, so a wrong share is detected and attributed.
    pub fn verify(&self, context: &[u8], verification_key: &Element, totals: &[Ciphertext]) -> Result<(), BallotError> {
        if self.parts.len() != totals.len() || self.proofs.len() != totals.len() {
            return Err(BallotError::Shape(format!(
                "trustee {}: {} parts and {} proofs for {} totals",
                self.trustee,
                self.parts.len(),
                self.proofs.len(),
                totals.len()
            )));
        }
        let ctx = share_context(context, self.trustee);
        let mut batch = Batch::new();
        for ((t, d), p) in totals.iter().zip(&self.parts).zip(&self.proofs) {
            p.check("decryption", &ctx, verification_key, &t.alpha, d, &mut batch)?;
        }
        if batch.holds() {
            return Ok(());
        }
        for (i, ((t, d), p)) in totals.iter().zip(&self.parts).zip(&self.proofs).enumerate() {
            let mut one = Batch::new();
            p.check("decryption", &ctx, verification_key, &t.alpha, d, &mut one)?;
            holds(one, "").map_err(|_| {
                BallotError::Proof(format!("trustee {}: its decryption share of total {i} is wrong", self.trustee))
            })?;
        }
        Err(BallotError::Proof(format!("trustee {}: its decryption shares are wrong", self.trustee)))
    }
}

/// `λⱼ = Π_{m ≠ j} m / (m − j)` over the trustees present.
fn lagrange_at_zero(present: &[u32], j: u32) -> Scalar {
    let (mut num, mut den) = (Scalar::ONE, Scalar::ONE);
    for &m in present.iter().filter(|&&m| m != j) {
        num *= small(u64::from(m));
        den *= small(u64::from(m)) - small(u64::from(j));
    }
    num * den.invert()
}

/// The counts, from `k` or more shares already verified. `max` bounds every count (the
/// number of ballots summed).
pub fn combine(totals: &[Ciphertext], shares: &[&DecryptionShare], k: u32, max: u64) -> Result<Vec<u64>, BallotError> {
    let mut present: Vec<u32> = shares.iter().map(|s| s.trustee).collect();
    present.sort_unstable();
    present.dedup();
    if present.len() != shares.len() || (present.len() as u32) < k || present.contains(&0) {
        return Err(BallotError::Shape(format!(
            "{} distinct trustees' shares, where {k} are needed",
            present.len().min(shares.len())
        )));
    }
    let used = &shares[..k as usize];
    let ids: Vec<u32> = used.iter().map(|s| s.trustee).collect();
    let lambdas: Vec<Scalar> = ids.iter().map(|&j| lagrange_at_zero(&ids, j)).collect();
    let table = DlogTable::new(max);
    totals
        .iter()
        .enumerate()
        .map(|(i, t)| {
            let combined = RistrettoPoint::vartime_multiscalar_mul(&lambdas, used.iter().map(|s| *s.parts[i].point()));
            let m = t.beta.point() - combined;
            table.find(&m).ok_or_else(|| BallotError::Tally(format!("total {i} decrypts to no count of at most {max}")))
        })
        .collect()
}

/// Baby-step giant-step over `0..=max`: a table of `j·G` for `j < step`, then at most
/// `max / step + 1` giant steps of `step·G`.
pub struct DlogTable {
    step: u64,
    max: u64,
    babies: HashMap<[u8; 32], u64>,
}

impl DlogTable {
    pub fn new(max: u64) -> Self {
        let step = max.isqrt().clamp(1, 1 << 20) + 1;
        let mut babies = HashMap::with_capacity(step as usize);
        let mut p = RistrettoPoint::identity();
        for j in 0..step {
            babies.insert(p.compress().to_bytes(), j);
            p += G;
        }
        DlogTable { step, max, babies }
    }

    pub fn find(&self, m: &RistrettoPoint) -> Option<u64> {
        let giant = small(self.step) * G;
        let mut p = *m;
        let mut base = 0u64;
        while base <= self.max {
            if let Some(j) = self.babies.get(&p.compress().to_bytes()) {
                let found = base + j;
                return (found <= self.max).then_some(found);
            }
            p -= giant;
            base += self.step;
        }
        None
    }
}
