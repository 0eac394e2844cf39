//! Storage: one embedded redb file per node holding blocks, commit certificates, receipts, the
//! transaction index and every latest state value, and beside it the merkleized state in a
//! NOMT trie (decision 0027) that gives each block's state root and proves values against the
//! latest one. Everything a block changes in redb is written in one redb transaction, so a
//! crash at any instant leaves either the whole block or none of it there; the trie commits
//! first and is brought back to redb's latest block when the store opens.

mod blocks;
mod decided;
mod diagnose;
mod error;
mod evidence;
mod integrity;
mod reconcile;
mod segment;
mod snapshot;
mod state;
mod tables;
mod trie;
mod txs;

use std::path::Path;
use std::sync::atomic::{AtomicU32, AtomicU64, Ordering};
use std::sync::RwLock;

use redb::{Database, ReadOnlyDatabase, ReadTransaction, ReadableDatabase, TableHandle, WriteTransaction};

use error::OrDb;
pub use error::StoreError;
pub use integrity::{Damage, LatestBlock, OpenCheck};
pub use segment::MAX_SEGMENT_BLOCKS;
pub use snapshot::{partial_path, Snapshot};
pub use state::{PreparedState, StateProof};
pub use trie::{hashtable_buckets, trie_dir, StateOptions, ROLLBACK_BLOCKS};
pub use txs::CommittedTx;

/// Key-value pairs read in key order.
pub type Entries = Vec<(Vec<u8>, Vec<u8>)>;

/// Page cache of the database. redb's default (1 GiB) would dominate a node's memory; the
/// state trie has a cache of its own ([`StateOptions::cache_mb`]).
const CACHE_BYTES: usize = 64 * 1024 * 1024;

/// The node's database.
pub struct Store {
    db: Handle,
    /// The database file, where backups and operators look for it.
    path: std::path::PathBuf,
    commits: CommitTimes,
    /// Blocks written without an fsync since the last durable commit ([`Store::flush`]).
    unflushed: AtomicU32,
    /// The merkleized state; `None` in a store opened read-only to diagnose it.
    trie: Option<trie::Trie>,
    /// Held for writing while a block moves both the trie and redb, so that a proof and the
    /// height it is for are read from the same block.
    state_lock: RwLock<()>,
    /// What opening the store had to do to the trie.
    trie_opened: TrieOpened,
    /// Catch-up's run of blocks written to redb whose state the trie does not hold yet.
    segment: std::sync::Mutex<Option<segment::Segment>>,
}

/// What opening a store did to its state trie to bring it to the latest block.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TrieOpened {
    /// It was at the latest block (or the store was opened read-only).
    AsItWas,
    /// It was ahead (a crash between the two stores) and was rolled back this many blocks.
    RolledBack(u32),
    /// It was missing, behind or damaged, and was rebuilt from the latest-state table.
    Rebuilt,
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

/// A clean stop persists blocks written without an fsync (redb does so on close), so an
/// open catch-up segment is finished first: otherwise the trie would be behind redb and
/// rebuilt at the next start.
impl Drop for Store {
    fn drop(&mut self) {
        if let Err(e) = self.finish_segment() {
            tracing::warn!(error = %e, "the catch-up segment could not be finished at close");
        }
    }
}

impl Store {
    /// Opens (or creates) the database file and its state trie with the default
    /// [`StateOptions`] (see [`Store::open_with`]).
    pub fn open(path: &Path) -> Result<Self, StoreError> {
        Self::open_with(path, StateOptions::default())
    }

    /// Opens (or creates) the database file, creating every table so readers never race a
    /// missing table, and its state trie ([`trie_dir`]), which is brought to the database's
    /// latest block (see [`Store::reconcile_trie`]). `state` sizes a trie created now.
    pub fn open_with(path: &Path, state: StateOptions) -> Result<Self, StoreError> {
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir).map_err(|e| StoreError::Io(format!("{}: {e}", dir.display())))?;
        }
        let db = Database::builder()
            .set_cache_size(CACHE_BYTES)
            .create(path)
            .map_err(|e| StoreError::Open(format!("{}: {e}", path.display())))?;
        Self::with_trie(Handle::Writable(db), path, state)
    }

    fn with_trie(db: Handle, path: &Path, state: StateOptions) -> Result<Self, StoreError> {
        let mut store = Store {
            db,
            path: path.to_path_buf(),
            commits: CommitTimes::default(),
            unflushed: Default::default(),
            trie: None,
            state_lock: RwLock::new(()),
            trie_opened: TrieOpened::AsItWas,
            segment: Default::default(),
        };
        store.refuse_jmt_chain()?;
        store.create_tables()?;
        store.trie = Some(trie::Trie::open(&trie_dir(path), state)?);
        store.trie_opened = store.reconcile_trie()?;
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

    /// What opening the store did to its state trie.
    pub fn trie_opened(&self) -> TrieOpened {
        self.trie_opened
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

    /// A store written before the state moved to NOMT holds a chain whose headers carry jmt
    /// state roots, which no NOMT trie reproduces: it cannot be opened, only replaced.
    fn refuse_jmt_chain(&self) -> Result<(), StoreError> {
        let tx = self.read()?;
        let jmt = tx.list_tables().db()?.any(|t| tables::JMT_TABLES.contains(&t.name()));
        if jmt {
            return Err(StoreError::Open(format!(
                "{} holds a chain written before the state moved to NOMT (decision 0027): its headers carry \
                 Jellyfish Merkle roots, which this version cannot reproduce. Start this node from an empty \
                 data directory on a chain begun by this version (for `dojang dev`, remove ~/.dojang)",
                self.path.display()
            )));
        }
        Ok(())
    }

    /// Bytes used on disk by the database file and its state trie (for `dojang bench` and
    /// metrics).
    pub fn disk_bytes(path: &Path) -> u64 {
        let file = std::fs::metadata(path).map(|m| m.len()).unwrap_or(0);
        file + dir_bytes(&trie_dir(path))
    }
}

/// Bytes the files in `dir` take on disk (allocated blocks: NOMT's hash table is preallocated).
fn dir_bytes(dir: &Path) -> u64 {
    use std::os::unix::fs::MetadataExt;
    let Ok(entries) = std::fs::read_dir(dir) else { return 0 };
    entries.filter_map(Result::ok).filter_map(|e| e.metadata().ok()).map(|m| m.blocks() * 512).sum()
}
