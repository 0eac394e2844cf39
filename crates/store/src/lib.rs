//! Storage: one embedded redb file per node holding the merkleized state (a Jellyfish Merkle
//! Tree whose version is the block height), the flat latest state for fast reads, blocks,
//! commit certificates, receipts and the transaction index. Everything a block changes is
//! written in one redb transaction, so one fsync makes a block durable and a crash at any
//! instant leaves either the whole block or none of it.

mod blocks;
mod decided;
mod diagnose;
mod error;
mod evidence;
mod integrity;
mod snapshot;
mod state;
mod tables;
mod txs;

use std::path::Path;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};

use redb::{Database, ReadOnlyDatabase, ReadTransaction, ReadableDatabase, WriteTransaction};

use error::OrDb;
pub use error::StoreError;
pub use integrity::{Damage, LatestBlock, OpenCheck};
pub use snapshot::{partial_path, Snapshot};
pub use state::{PreparedState, StateProof};
pub use txs::CommittedTx;

/// Key-value pairs read in key order.
pub type Entries = Vec<(Vec<u8>, Vec<u8>)>;

/// Page cache of the database. redb's default (1 GiB) would dominate a node's memory; hot
/// pages of the state tree fit comfortably in this.
const CACHE_BYTES: usize = 128 * 1024 * 1024;

/// The node's database.
pub struct Store {
    db: Handle,
    /// The database file, where backups and operators look for it.
    path: std::path::PathBuf,
    commits: CommitTimes,
    /// A block was written without an fsync since the last durable commit ([`Store::flush`]).
    unflushed: AtomicBool,
}

/// How long the store waited on the disk: each decided block's kept certificate, each durable
/// block commit and each flush (redb's commit, which syncs the file). What an operator alerts
/// on when a disk slows down.
#[derive(Debug, Default)]
pub struct CommitTimes {
    count: AtomicU64,
    total_us: AtomicU64,
    last_us: AtomicU64,
    max_us: AtomicU64,
}

/// A reading of [`CommitTimes`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CommitTimesSnapshot {
    pub count: u64,
    pub total_us: u64,
    pub last_us: u64,
    pub max_us: u64,
}

impl CommitTimes {
    fn record(&self, took: std::time::Duration) {
        let us = u64::try_from(took.as_micros()).unwrap_or(u64::MAX);
        self.count.fetch_add(1, Ordering::Relaxed);
        self.total_us.fetch_add(us, Ordering::Relaxed);
        self.last_us.store(us, Ordering::Relaxed);
        self.max_us.fetch_max(us, Ordering::Relaxed);
    }

    pub fn read(&self) -> CommitTimesSnapshot {
        CommitTimesSnapshot {
            count: self.count.load(Ordering::Relaxed),
            total_us: self.total_us.load(Ordering::Relaxed),
            last_us: self.last_us.load(Ordering::Relaxed),
            max_us: self.max_us.load(Ordering::Relaxed),
        }
    }
}

/// A writable database, or a read-only one for diagnosing a damaged file without writing to it.
enum Handle {
    Writable(Database),
    ReadOnly(ReadOnlyDatabase),
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
        let store = Store {
            db: Handle::Writable(db),
            path: path.to_path_buf(),
            commits: CommitTimes::default(),
            unflushed: Default::default(),
        };
        store.create_tables()?;
        Ok(store)
    }

    /// The database file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Bytes the database file uses on disk now.
    pub fn file_bytes(&self) -> u64 {
        Self::disk_bytes(&self.path)
    }

    /// How long block commits have waited on the disk since the store was opened.
    pub fn commit_times(&self) -> CommitTimesSnapshot {
        self.commits.read()
    }

    fn read(&self) -> Result<ReadTransaction, StoreError> {
        let tx = match &self.db {
            Handle::Writable(db) => db.begin_read(),
            Handle::ReadOnly(db) => db.begin_read(),
        };
        tx.db()
    }

    fn write(&self) -> Result<WriteTransaction, StoreError> {
        match &self.db {
            Handle::Writable(db) => db.begin_write().db(),
            Handle::ReadOnly(_) => Err(StoreError::Db("this store was opened read-only".into())),
        }
    }

    /// Bytes used on disk by the database file (for `dojang bench` and metrics).
    pub fn disk_bytes(path: &Path) -> u64 {
        std::fs::metadata(path).map(|m| m.len()).unwrap_or(0)
    }
}
