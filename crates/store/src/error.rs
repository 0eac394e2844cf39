/// A storage failure. None of these are caused by user input: they mean the disk or the
/// database file is in trouble, and the operator should look at the node's disk and logs.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("cannot open the database: {0}")]
    Open(String),
    #[error("filesystem error: {0}")]
    Io(String),
    #[error("database error: {0}")]
    Db(String),
    #[error("stored data is corrupt: {0}")]
    Corrupt(String),
    #[error("state trie error: {0}")]
    Tree(String),
    #[error("the state at block {version} is not kept: the state trie holds the latest block's ({latest}) only")]
    NotKept { version: u64, latest: u64 },
    #[error(
        "blocks {from} to {to} re-executed here give state root {computed}, but block {to}'s certified header says \
         {claimed}: this node's software or state differs from the validators'; nothing of those blocks was kept"
    )]
    SegmentMismatch { from: u64, to: u64, computed: dojang_types::Hash, claimed: dojang_types::Hash },
    #[error("block {got} does not follow the stored chain (expected height {expected})")]
    OutOfOrder { expected: u64, got: u64 },
}

/// Converts any redb error into a [`StoreError::Db`].
pub(crate) trait OrDb<T> {
    fn db(self) -> Result<T, StoreError>;
}

impl<T, E: Into<redb::Error>> OrDb<T> for Result<T, E> {
    fn db(self) -> Result<T, StoreError> {
        self.map_err(|e| StoreError::Db(e.into().to_string()))
    }
}
