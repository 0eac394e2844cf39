use dojang_store::StoreError;
use dojang_types::Hash;

/// Failures of the ledger itself (not of a user's transaction, which gets a failed receipt).
#[derive(Debug, thiserror::Error)]
pub enum LedgerError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("invalid block: {0}")]
    InvalidBlock(String),
    #[error("block {0} is unknown: it was never proposed to or received by this node")]
    UnknownBlock(Hash),
    #[error("genesis is invalid: {0}")]
    Genesis(String),
    #[error("the store holds chain with genesis {stored}, but the genesis file hashes to {file}: wrong home directory or genesis file")]
    GenesisMismatch { stored: Hash, file: Hash },
}
