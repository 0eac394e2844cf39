use dojang_types::{Address, BlockHeader, Commit, Signature, Validator, VoteSignBytes};

use crate::keypair::verify;

/// Why a commit certificate does not finalize a header.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CommitError {
    #[error("the commit certificate is for another block")]
    WrongBlock,
    #[error("the commit certificate carries {got} of {total} voting power; more than two thirds is needed")]
    NotEnoughPower { got: u128, total: u128 },
}

/// Checks that a commit certificate finalizes `header` under `validators` (the set that decides
/// that height): each signature is a precommit for this block hash by a distinct member, and
/// together they hold more than two thirds of the power. Signatures by non-members or bad
/// signatures add nothing; they do not make the certificate invalid on their own.
pub fn verify_commit(header: &BlockHeader, commit: &Commit, validators: &[Validator]) -> Result<(), CommitError> {
    let hash = header.hash();
    if commit.block_hash != hash || commit.height != header.height {
        return Err(CommitError::WrongBlock);
    }
    // Powers are summed in u128: a set of large powers must not wrap into a small total.
    let total: u128 = validators.iter().map(|v| u128::from(v.power)).sum();
    let mut counted: Vec<Address> = Vec::with_capacity(commit.signatures.len());
    let mut got = 0u128;
    for s in &commit.signatures {
        let Some(v) = validators.iter().find(|v| v.address == s.validator) else { continue };
        if counted.contains(&s.validator) {
            continue;
        }
        let msg = VoteSignBytes {
            chain_id: header.chain_id.clone(),
            height: commit.height,
            round: commit.round,
            vote_type: 1,
            block_hash: Some(hash),
            validator: s.validator,
        }
        .to_bytes();
        if verify(&v.public_key, &msg, &Signature::Ed25519(s.signature)) {
            counted.push(s.validator);
            got += u128::from(v.power);
        }
    }
    if got * 3 <= total * 2 {
        return Err(CommitError::NotEnoughPower { got, total });
    }
    Ok(())
}
