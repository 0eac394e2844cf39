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

use ed25519_consensus::{batch, Signature, VerificationKey, VerificationKeyBytes};

/// Verifies one Ed25519 signature under ZIP-215. A key that is not a curve point is invalid.
pub fn verify_ed25519(public_key: &[u8; 32], msg: &[u8], signature: &[u8; 64]) -> bool {
    let Ok(key) = VerificationKey::try_from(*public_key) else {
        return false;
    };
    key.verify(&Signature::from(*signature), msg).is_ok()
}

/// One signature to check in a batch.
pub struct Ed25519Item<'a> {
    pub public_key: &'a [u8; 32],
    pub msg: &'a [u8],
    pub signature: &'a [u8; 64],
}

/// Verifies many signatures, one verdict each, in order. The batch equation is checked first
/// (about twice as fast as one by one); when it fails, each signature is checked alone to find
/// the bad ones. Under ZIP-215 the batch accepts exactly when every single check accepts, so
/// the verdicts never depend on how signatures were grouped.
pub fn verify_ed25519_batch(items: &[Ed25519Item<'_>]) -> Vec<bool> {
    match items {
        [] => return Vec::new(),
        [one] => return vec![verify_ed25519(one.public_key, one.msg, one.signature)],
        _ => {}
    }
    let mut verifier = batch::Verifier::new();
    for item in items {
        verifier.queue((VerificationKeyBytes::from(*item.public_key), Signature::from(*item.signature), item.msg));
    }
    if verifier.verify(rand::rngs::OsRng).is_ok() {
        return vec![true; items.len()];
    }
    items.iter().map(|i| verify_ed25519(i.public_key, i.msg, i.signature)).collect()
}
