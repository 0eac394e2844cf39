use dojang_crypto::{verify, verify_state_proof};
use dojang_types::{Address, BlockHeader, Commit, Hash, PublicKey, Signature, VoteSignBytes};
use serde_json::Value;

/// A validator the client trusts (from the genesis file or a verified validator-set change).
#[derive(Debug, Clone)]
pub struct ValidatorInfo {
    pub public_key: PublicKey,
    pub power: u64,
}

/// A state value that has been checked end to end.
#[derive(Debug, Clone)]
pub struct VerifiedState {
    pub height: u64,
    pub value: Option<Vec<u8>>,
    pub state_root: Hash,
}

#[derive(Debug, thiserror::Error)]
pub enum VerifyError {
    #[error("the answer is missing or malformed: {0}")]
    Malformed(String),
    #[error("the state proof does not check: {0}")]
    Proof(String),
    #[error("the commit certificate is for another block")]
    WrongBlock,
    #[error("the commit certificate carries {got} of {total} voting power; more than two thirds is needed")]
    NotEnoughPower { got: u64, total: u64 },
    #[error("genesis state (height 0) has no header to check; wait for block 1")]
    NoHeader,
}

/// Checks that a commit certificate finalizes `header` under `validators`: each signature is
/// a precommit for this block hash by a distinct listed validator, and together they hold
/// more than two thirds of the power.
pub fn verify_commit(
    chain_id: &str,
    header: &BlockHeader,
    commit: &Commit,
    validators: &[ValidatorInfo],
) -> Result<(), VerifyError> {
    let hash = header.hash();
    if commit.block_hash != hash || commit.height != header.height {
        return Err(VerifyError::WrongBlock);
    }
    let total: u64 = validators.iter().map(|v| v.power).sum();
    let mut counted: Vec<Address> = Vec::new();
    let mut got = 0u64;
    for s in &commit.signatures {
        let Some(v) = validators.iter().find(|v| v.public_key.address() == s.validator) else { continue };
        if counted.contains(&s.validator) {
            continue;
        }
        let msg = VoteSignBytes {
            chain_id: chain_id.to_string(),
            height: commit.height,
            round: commit.round,
            vote_type: 1,
            block_hash: Some(hash),
            validator: s.validator,
        }
        .to_bytes();
        if verify(&v.public_key, &msg, &Signature::Ed25519(s.signature)) {
            counted.push(s.validator);
            got += v.power;
        }
    }
    if got * 3 <= total * 2 {
        return Err(VerifyError::NotEnoughPower { got, total });
    }
    Ok(())
}

fn field<T: serde::de::DeserializeOwned>(v: &Value, name: &str) -> Result<T, VerifyError> {
    serde_json::from_value(v[name].clone()).map_err(|e| VerifyError::Malformed(format!("{name}: {e}")))
}

/// Checks a `/v1/state` answer for `key`.
pub(crate) fn verify_read(key: &[u8], v: &Value, validators: &[ValidatorInfo]) -> Result<VerifiedState, VerifyError> {
    let height: u64 = field(v, "height")?;
    if height == 0 {
        return Err(VerifyError::NoHeader);
    }
    let header: BlockHeader = field(v, "header")?;
    let commit: Commit = field(v, "commit")?;
    verify_commit(&header.chain_id, &header, &commit, validators)?;
    let value = match v["value_hex"].as_str() {
        Some(h) => Some(hex::decode(h).map_err(|e| VerifyError::Malformed(format!("value_hex: {e}")))?),
        None => None,
    };
    let proof = hex::decode(v["proof_hex"].as_str().unwrap_or_default())
        .map_err(|e| VerifyError::Malformed(format!("proof_hex: {e}")))?;
    verify_state_proof(key, value.as_deref(), &header.state_root, &proof).map_err(VerifyError::Proof)?;
    Ok(VerifiedState { height, value, state_root: header.state_root })
}
