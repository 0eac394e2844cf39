//! Ed25519 verification under one rule: ZIP-215.
//!
//! Ed25519 implementations disagree on edge cases (small-order points, non-canonical
//! encodings, cofactored or cofactorless equations), and a batch check may accept what a
//! single check refuses. On a ledger that is a fork waiting to happen: a proposer could craft a
//! signature that one validator accepts and another refuses, depending on how its
//! transactions happened to be grouped. ZIP-215 fixes the rule (cofactored equation,
//! non-canonical point encodings accepted, `s` must be canonical) so that single and batch
//! verdicts are the same on every machine. Transactions, votes, proposals, proposal parts and
//! commit certificates all go through this module (decision 0009).
//!
//! The rule is implemented here over curve25519-dalek 4, whose vector backend is what made the
//! old checks fast; `ed25519-consensus` (the reference ZIP-215 implementation, on an older
//! curve library without that backend, about 25 % slower) is the oracle our tests compare
//! every verdict with.

use curve25519_dalek::edwards::{CompressedEdwardsY, EdwardsPoint};
use curve25519_dalek::scalar::Scalar;
use curve25519_dalek::traits::{IsIdentity, VartimeMultiscalarMul};
use rand::RngCore;
use sha2::{Digest, Sha512};

/// A signature's parts, parsed as ZIP-215 says: both points from their encodings as given
/// (non-canonical ones accepted), `s` only if canonical, and the challenge hashed over the
/// encodings as given.
struct Parsed {
    a: EdwardsPoint,
    r: EdwardsPoint,
    s: Scalar,
    k: Scalar,
}

fn parse(public_key: &[u8; 32], msg: &[u8], signature: &[u8; 64]) -> Option<Parsed> {
    let mut r_bytes = [0u8; 32];
    r_bytes.copy_from_slice(&signature[..32]);
    let mut s_bytes = [0u8; 32];
    s_bytes.copy_from_slice(&signature[32..]);
    let s = Option::<Scalar>::from(Scalar::from_canonical_bytes(s_bytes))?;
    let a = CompressedEdwardsY(*public_key).decompress()?;
    let r = CompressedEdwardsY(r_bytes).decompress()?;
    let mut h = Sha512::new();
    h.update(r_bytes);
    h.update(public_key);
    h.update(msg);
    let k = Scalar::from_bytes_mod_order_wide(&h.finalize().into());
    Some(Parsed { a, r, s, k })
}

/// Verifies one Ed25519 signature under ZIP-215: `[8]R = [8]([s]B - [k]A)`. A key or R that
/// is not a curve point, or a non-canonical `s`, is invalid.
pub fn verify_ed25519(public_key: &[u8; 32], msg: &[u8], signature: &[u8; 64]) -> bool {
    let Some(p) = parse(public_key, msg, signature) else {
        return false;
    };
    let expected = EdwardsPoint::vartime_double_scalar_mul_basepoint(&p.k, &(-p.a), &p.s);
    (expected - p.r).mul_by_cofactor().is_identity()
}

/// One signature to check in a batch.
pub struct Ed25519Item<'a> {
    pub public_key: &'a [u8; 32],
    pub msg: &'a [u8],
    pub signature: &'a [u8; 64],
}

/// Verifies many signatures, one verdict each, in order. The batch equation
/// `[8](sum z_i R_i + sum (z_i k_i) A_i - (sum z_i s_i) B) = 0`, with random 128-bit `z_i`, is
/// checked first (about twice as fast as one by one); when it fails, each signature is checked
/// alone to find the bad ones. Under ZIP-215 the batch holds exactly when every single check
/// does, so the verdicts never depend on how signatures were grouped.
pub fn verify_ed25519_batch(items: &[Ed25519Item<'_>]) -> Vec<bool> {
    if items.len() < 2 {
        return items.iter().map(|i| verify_ed25519(i.public_key, i.msg, i.signature)).collect();
    }
    let parsed: Vec<Option<Parsed>> = items.iter().map(|i| parse(i.public_key, i.msg, i.signature)).collect();
    let holds = batch_equation_holds(parsed.iter().flatten());
    parsed
        .iter()
        .zip(items)
        .map(|(p, i)| p.is_some() && (holds || verify_ed25519(i.public_key, i.msg, i.signature)))
        .collect()
}

/// Whether the batch equation holds for these parsed signatures (all of them valid, with
/// overwhelming probability, when it does).
fn batch_equation_holds<'a>(parsed: impl Iterator<Item = &'a Parsed>) -> bool {
    let mut rng = rand::thread_rng();
    let mut scalars = Vec::new();
    let mut points = Vec::new();
    let mut b_coefficient = Scalar::ZERO;
    for p in parsed {
        let mut z = [0u8; 32];
        rng.fill_bytes(&mut z[..16]);
        let z = Scalar::from_bytes_mod_order(z);
        b_coefficient -= z * p.s;
        scalars.push(z);
        points.push(p.r);
        scalars.push(z * p.k);
        points.push(p.a);
    }
    scalars.push(b_coefficient);
    points.push(curve25519_dalek::constants::ED25519_BASEPOINT_POINT);
    EdwardsPoint::vartime_multiscalar_mul(&scalars, &points).mul_by_cofactor().is_identity()
}

#[cfg(test)]
mod tests {
    use ed25519_dalek::Signer as _;

    use super::*;

    #[test]
    fn the_batch_equation_itself_holds_for_valid_signatures_and_fails_for_one_bad() {
        // Checked apart from the one-by-one fallback, which would hide a broken equation.
        let mut sigs: Vec<([u8; 32], Vec<u8>, [u8; 64])> = (0..64u8)
            .map(|n| {
                let key = ed25519_dalek::SigningKey::from_bytes(&[n; 32]);
                let msg = vec![n; usize::from(n)];
                (key.verifying_key().to_bytes(), msg.clone(), key.sign(&msg).to_bytes())
            })
            .collect();
        // ZIP-215 edge case: identity key and R (non-canonical "-0" encoding of R), s = 0.
        let mut identity = [0u8; 32];
        identity[0] = 1;
        let mut negative_zero = identity;
        negative_zero[31] = 0x80;
        let mut edge = [0u8; 64];
        edge[..32].copy_from_slice(&negative_zero);
        sigs.push((identity, b"Zcash".to_vec(), edge));
        let parsed: Vec<Parsed> = sigs.iter().map(|(k, m, s)| parse(k, m, s).expect("parses")).collect();
        assert!(batch_equation_holds(parsed.iter()));
        assert!(batch_equation_holds(parsed[..1].iter()));
        let mut bad = sigs[10].clone();
        bad.1.push(0);
        let mut with_bad: Vec<Parsed> = sigs.iter().map(|(k, m, s)| parse(k, m, s).unwrap()).collect();
        with_bad[10] = parse(&bad.0, &bad.1, &bad.2).unwrap();
        assert!(!batch_equation_holds(with_bad.iter()));
        assert!(!batch_equation_holds(with_bad[10..11].iter()));
    }
}
