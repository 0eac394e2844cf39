//! Checking a `/v1/state` answer end to end: the chain it comes from, how recent it is, the
//! header's commit certificate against the validator set the caller follows (never the set the
//! answering node reports), and the Merkle proof against the header's state root.

use dojang_crypto::{verify_commit, verify_state_proof, CommitError};
use dojang_types::{BlockHeader, Commit, Hash};
use serde_json::Value;

use crate::light::TrustedChain;

/// A state value that has been checked end to end.
#[derive(Debug, Clone)]
pub struct VerifiedState {
    pub height: u64,
    pub value: Option<Vec<u8>>,
    pub state_root: Hash,
    /// The block time of the header the value was proven against (Unix ms).
    pub block_time_ms: u64,
}

#[derive(Debug, thiserror::Error)]
pub enum VerifyError {
    #[error("the answer is missing or malformed: {0}")]
    Malformed(String),
    #[error("the state proof does not check: {0}")]
    Proof(String),
    #[error(transparent)]
    Commit(#[from] CommitError),
    #[error("genesis state (height 0) has no header to check; wait for block 1")]
    NoHeader,
    /// The node answers for another chain (or a fork with another name).
    #[error("the answer is from chain '{got}', not '{expected}'")]
    WrongChain { expected: String, got: String },
    /// The node answers with state older than what was already seen (or required): it may
    /// predate a revocation.
    #[error("the answer is at height {height}, below the minimum {min} already seen or required")]
    BelowMinHeight { height: u64, min: u64 },
    /// The header is older than the configured maximum age: the node may be stale or cut off.
    #[error("the answer's block is {age_ms} ms old (block time {block_time_ms}); at most {max_age_ms} ms is accepted")]
    TooOld { block_time_ms: u64, age_ms: u64, max_age_ms: u64 },
    /// The header's time lies further in the future than the allowed clock skew.
    #[error("the answer's block time {block_time_ms} is ahead of the local clock {now_ms}")]
    FromTheFuture { block_time_ms: u64, now_ms: u64 },
    /// The validator set could not be followed from the pinned one to the header's height.
    #[error("cannot follow the validator set to height {height}: {reason}")]
    Follow { height: u64, reason: String },
}

pub(crate) fn field<T: serde::de::DeserializeOwned>(v: &Value, name: &str) -> Result<T, VerifyError> {
    serde_json::from_value(v[name].clone()).map_err(|e| VerifyError::Malformed(format!("{name}: {e}")))
}

/// The parts of a `/v1/state` answer, decoded but not yet checked.
pub(crate) struct StateAnswer {
    pub header: BlockHeader,
    pub commit: Commit,
    pub value: Option<Vec<u8>>,
    pub proof: Vec<u8>,
}

/// Decodes a `/v1/state` answer; refuses height 0 and any answer whose height disagrees with
/// its header.
pub(crate) fn decode_answer(v: &Value) -> Result<StateAnswer, VerifyError> {
    let height: u64 = field(v, "height")?;
    if height == 0 {
        return Err(VerifyError::NoHeader);
    }
    let header: BlockHeader = field(v, "header")?;
    if header.height != height {
        return Err(VerifyError::Malformed(format!("height {height} but the header is of {}", header.height)));
    }
    let commit: Commit = field(v, "commit")?;
    let value = match &v["value_hex"] {
        Value::Null => None,
        Value::String(h) => Some(hex::decode(h).map_err(|e| VerifyError::Malformed(format!("value_hex: {e}")))?),
        other => return Err(VerifyError::Malformed(format!("value_hex: {other} is not a hex string"))),
    };
    let proof = v["proof_hex"].as_str().ok_or_else(|| VerifyError::Malformed("proof_hex is missing".into()))?;
    let proof = hex::decode(proof).map_err(|e| VerifyError::Malformed(format!("proof_hex: {e}")))?;
    Ok(StateAnswer { header, commit, value, proof })
}

/// The part of checking a state answer that does not depend on when it is checked: the
/// header's certificate by the set `chain` pins for it, and the Merkle proof of `key`'s value
/// against the header's state root. A stored proof ([`crate::ProofBundle`]) is checked with
/// this alone.
pub(crate) fn check_certified(key: &[u8], a: &StateAnswer, chain: &TrustedChain) -> Result<(), VerifyError> {
    let validators = chain.validators_for(&a.header)?;
    verify_commit(&a.header, &a.commit, &validators)?;
    verify_state_proof(key, a.value.as_deref(), &a.header.state_root, &a.proof)
        .map_err(|e| VerifyError::Proof(e.to_string()))
}

/// Checks a decoded answer for `key` once the chain's validator set at its height is pinned:
/// chain id, minimum height and age first (cheap, and what a stale node fails), then the
/// certificate and the proof. On success the chain's minimum height rises to this height.
/// `min` is the chain's minimum when the request was sent.
pub(crate) fn check_answer(
    key: &[u8],
    a: &StateAnswer,
    chain: &TrustedChain,
    now_ms: u64,
    min: u64,
) -> Result<VerifiedState, VerifyError> {
    chain.check_header_since(&a.header, now_ms, min)?;
    check_certified(key, a, chain)?;
    chain.seen(a.header.height);
    Ok(VerifiedState {
        height: a.header.height,
        value: a.value.clone(),
        state_root: a.header.state_root,
        block_time_ms: a.header.time_ms,
    })
}
