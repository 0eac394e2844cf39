//! Storage: one embedded redb file per node holding the merkleized state (a Jellyfish Merkle
//! Tree whose version is the block height), the flat latest state for fast reads, blocks,
//! commit certificates, receipts and the transaction index. Everything a block changes is
//! written in one redb transaction, so one fsync makes a block durable and a crash at any
//! instant leaves either the whole block or none of it.

mod blocks;
mod error;
mod evidence;
mod state;
mod tables;

use std::path::Path;

use redb::Database;

pub use error::StoreError;
pub use state::{PreparedState, StateProof};

/// Key-value pairs read in key order.
pub type Entries = Vec<(Vec<u8>, Vec<u8>)>;

/// Page cache of the database. redb's default (1 GiB) would dominate a node's memory; hot
/// pages of the state tree fit comfortably in this.
const CACHE_BYTES: usize = 128 * 1024 * 1024;

/// The node's database.
pub struct Store {
    db: Database,
}

impl Store {
    /// Opens (or creates) the database file, creating every table so readers never race a
    /// missing table.
    pub fn open(path: &Path) -> Result<Self, StoreError> {
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir).map_err(|e| StoreError::Io(format!("{}: {e}", dir.display())))?;
        }
        let db = Database::builder()
            .set_cache_size(CACHE_BYTES)
            .create(path)
            .map_err(|e| StoreError::Open(format!("{}: {e}", path.display())))?;
        let store = Store { db };
        store.create_tables()?;
        Ok(store)
    }

    /// Bytes used on disk by the database file (for `dojang bench` and metrics).
    pub fn disk_bytes(path: &Path) -> u64 {
        std::fs::metadata(path).map(|m| m.len()).unwrap_or(0)
    }
}
