use dojang_crypto::{verify_commit, verify_state_proof, CommitError};
use dojang_types::{BlockHeader, Commit, Hash, Validator};
use serde_json::Value;

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
    #[error(transparent)]
    Commit(#[from] CommitError),
    #[error("genesis state (height 0) has no header to check; wait for block 1")]
    NoHeader,
}

fn field<T: serde::de::DeserializeOwned>(v: &Value, name: &str) -> Result<T, VerifyError> {
    serde_json::from_value(v[name].clone()).map_err(|e| VerifyError::Malformed(format!("{name}: {e}")))
}

/// Checks a `/v1/state` answer for `key`.
pub(crate) fn verify_read(key: &[u8], v: &Value, validators: &[Validator]) -> Result<VerifiedState, VerifyError> {
    let height: u64 = field(v, "height")?;
    if height == 0 {
        return Err(VerifyError::NoHeader);
    }
    let header: BlockHeader = field(v, "header")?;
    let commit: Commit = field(v, "commit")?;
    verify_commit(&header, &commit, validators)?;
    let value = match v["value_hex"].as_str() {
        Some(h) => Some(hex::decode(h).map_err(|e| VerifyError::Malformed(format!("value_hex: {e}")))?),
        None => None,
    };
    let proof = hex::decode(v["proof_hex"].as_str().unwrap_or_default())
        .map_err(|e| VerifyError::Malformed(format!("proof_hex: {e}")))?;
    verify_state_proof(key, value.as_deref(), &header.state_root, &proof).map_err(VerifyError::Proof)?;
    Ok(VerifiedState { height, value, state_root: header.state_root })
}
