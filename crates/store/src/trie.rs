//! The merkleized state: a NOMT binary trie (SHA-256) in a directory beside the redb file
//! (decision 0027). It keeps the latest state only, so proofs are against the latest root.
//!
//! The trie is derived data. The latest-state table in redb holds every value and moves with
//! the blocks in one redb transaction, so whenever the trie does not give the state root of
//! redb's latest header (a crash between the two stores, a restored backup, a damaged or
//! missing trie directory), it is rolled back one block or rebuilt from that table, and the
//! rebuilt root is checked against the header before the store is used.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use dojang_crypto::{nomt_key_path, NomtProof};
use dojang_types::Hash;
use nomt::hasher::Sha2Hasher;
use nomt::{FinishedSession, KeyReadWrite, Nomt, Options, SessionParams};

use crate::error::StoreError;

/// How the state trie is sized and how much memory and how many cores it may use. Set from the
/// node's config (`[state]`); the defaults suit a node up to about a million state keys.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StateOptions {
    /// The number of state keys the chain is expected to reach. NOMT's hash table is sized for
    /// it when the trie is created and cannot grow while the node runs.
    pub expected_keys: u64,
    /// Memory for cached trie pages and value leaves together, in MiB.
    pub cache_mb: usize,
    /// Threads computing a block's state root.
    pub threads: usize,
}

impl Default for StateOptions {
    fn default() -> Self {
        StateOptions { expected_keys: 1_000_000, cache_mb: 128, threads: 2 }
    }
}

/// How full the trie's hash table is planned to be, at the pages twice the expected keys would
/// store: NOMT slows beyond 90 % and fails commits when it is full, and because the pages grow
/// in steps, a table sized for the keys alone can fill soon after a step begins (one sized for
/// 3.5 M keys would be full near 3.8 M).
const PLANNED_FILL: f64 = 0.6;

/// Leaves a page's subtree must hold for NOMT to store the page (`PAGE_ELISION_THRESHOLD` in
/// NOMT 1.0); sparser pages are rebuilt from the values when needed.
const STORED_PAGE_LEAVES: u64 = 20;

/// The fewest buckets a table gets: the root page and its 64 children always fit, with room.
const MIN_BUCKETS: u64 = 16_384;

/// Commits the trie can be rolled back by: a crash leaves it at most one block ahead of redb's
/// durable state when consensus decides blocks, and catch-up makes redb durable at least
/// every [`ROLLBACK_BLOCKS`] / 2 blocks. Further behind, the trie is rebuilt.
pub const ROLLBACK_BLOCKS: u32 = 16;

/// Keys written per commit when the trie is rebuilt from the latest-state table.
const REBUILD_BATCH: usize = 100_000;

/// The pages NOMT stores for `keys` uniformly spread key paths: a page at depth `d` (six bits
/// of path each) roots one of 64^d subtrees, each holding a Poisson share of the keys, and is
/// stored when its subtree holds at least [`STORED_PAGE_LEAVES`]. The count grows in steps:
/// about 4,200 pages from 0.5 to 2 million keys, then the fourth level fills (266,000 at 10
/// million); a table of 104,000 buckets ran out at 4.7 million keys in `dojang bench state`.
fn expected_pages(keys: u64) -> f64 {
    let n = keys as f64;
    let mut pages = 0.0;
    let mut subtrees = 1.0f64;
    while n / subtrees >= 1.0 {
        pages += subtrees * at_least(n / subtrees, STORED_PAGE_LEAVES);
        subtrees *= 64.0;
    }
    pages
}

/// The hash table's buckets for a chain expected to reach `expected_keys` state keys.
pub fn hashtable_buckets(expected_keys: u64) -> u32 {
    let buckets = (expected_pages(expected_keys.saturating_mul(2)) / PLANNED_FILL).ceil() as u64;
    buckets.clamp(MIN_BUCKETS, u64::from(u32::MAX)) as u32
}

/// P(X >= k) for X ~ Poisson(lambda), summed in log space so that large means do not underflow.
fn at_least(lambda: f64, k: u64) -> f64 {
    if lambda <= 0.0 {
        return 0.0;
    }
    let mut below = 0.0;
    let mut ln_factorial = 0.0;
    for i in 0..k {
        if i > 0 {
            ln_factorial += (i as f64).ln();
        }
        below += (-lambda + i as f64 * lambda.ln() - ln_factorial).exp();
    }
    (1.0 - below).clamp(0.0, 1.0)
}

fn trie_err(what: &str, e: impl std::fmt::Display) -> StoreError {
    StoreError::Tree(format!("{what}: {e:#}"))
}

/// The directory of the state trie of the redb file at `db` (`<db>.trie`).
pub fn trie_dir(db: &Path) -> PathBuf {
    let mut name = db.file_name().map(|n| n.to_os_string()).unwrap_or_default();
    name.push(".trie");
    db.with_file_name(name)
}

/// The state trie.
pub(crate) struct Trie {
    db: Nomt<Sha2Hasher>,
    dir: PathBuf,
    options: StateOptions,
}

/// A block's state changes applied in the trie and its root computed, not yet committed.
pub(crate) type Finished = FinishedSession;

impl Trie {
    /// Opens the trie in `dir`, creating an empty one if the directory is absent or empty.
    pub(crate) fn open(dir: &Path, options: StateOptions) -> Result<Self, StoreError> {
        if !matches!(nomt::check_iou_permissions(), nomt::IoUringPermission::Allowed) {
            return Err(StoreError::Open(
                "the state trie (NOMT) needs io_uring, which this process may not use: it needs Linux 6.0 or \
                 later, and a container's seccomp profile or the sysctl kernel.io_uring_disabled can forbid it \
                 (docs/operations.md)"
                    .into(),
            ));
        }
        let mut o = Options::new();
        o.path(dir);
        o.commit_concurrency(options.threads.max(1));
        o.page_cache_size((options.cache_mb / 2).max(1));
        o.leaf_cache_size((options.cache_mb / 2).max(1));
        o.hashtable_buckets(hashtable_buckets(options.expected_keys));
        o.rollback(true);
        o.max_rollback_log_len(ROLLBACK_BLOCKS);
        let db = Nomt::<Sha2Hasher>::open(o).map_err(|e| trie_err(&format!("opening {}", dir.display()), e))?;
        Ok(Trie { db, dir: dir.to_path_buf(), options })
    }

    /// Removes the trie in `dir` and creates an empty one there.
    pub(crate) fn recreate(self) -> Result<Self, StoreError> {
        let Trie { db, dir, options } = self;
        drop(db);
        std::fs::remove_dir_all(&dir).map_err(|e| StoreError::Io(format!("{}: {e}", dir.display())))?;
        Trie::open(&dir, options)
    }

    pub(crate) fn root(&self) -> Hash {
        Hash(self.db.root().into_inner())
    }

    /// Applies `changes` on top of the committed trie and computes the new root. Nothing is
    /// written until [`Trie::commit`].
    pub(crate) fn prepare(&self, changes: &BTreeMap<Vec<u8>, Option<Vec<u8>>>) -> Result<(Hash, Finished), StoreError> {
        let session = self.db.begin_session(SessionParams::default());
        let mut actuals: Vec<([u8; 32], KeyReadWrite)> =
            changes.iter().map(|(k, v)| (nomt_key_path(k), KeyReadWrite::Write(v.clone()))).collect();
        actuals.sort_unstable_by_key(|a| a.0);
        let finished = session.finish(actuals).map_err(|e| trie_err("computing the state root", e))?;
        Ok((Hash(finished.root().into_inner()), finished))
    }

    /// Makes a prepared change durable. Refused when another change was committed since it was
    /// prepared.
    pub(crate) fn commit(&self, finished: Finished) -> Result<(), StoreError> {
        finished.commit(&self.db).map_err(|e| trie_err("committing the state trie", e))
    }

    /// The value of `key` and the path proving it (or its absence) against the latest root.
    pub(crate) fn prove(&self, key: &[u8]) -> Result<(Option<Vec<u8>>, NomtProof), StoreError> {
        let session = self.db.begin_session(SessionParams::default());
        let path = nomt_key_path(key);
        let proof = session.prove(path).map_err(|e| trie_err("proving a state key", e))?;
        let value = session.read(path).map_err(|e| trie_err("reading a state key", e))?;
        Ok((value, NomtProof::from_path_proof(&proof)))
    }

    /// The value of `key` in the latest state, read from the trie itself.
    pub(crate) fn value(&self, key: &[u8]) -> Result<Option<Vec<u8>>, StoreError> {
        let session = self.db.begin_session(SessionParams::default());
        session.read(nomt_key_path(key)).map_err(|e| trie_err("reading a state key", e))
    }

    /// Undoes the last committed block.
    pub(crate) fn roll_back_one(&self) -> Result<(), StoreError> {
        self.db.rollback(1).map_err(|e| trie_err("rolling the state trie back", e))
    }

    /// Writes `entries` (every key of a state, in any order) into this empty trie.
    pub(crate) fn fill(
        &self,
        entries: impl Iterator<Item = Result<(Vec<u8>, Vec<u8>), StoreError>>,
    ) -> Result<u64, StoreError> {
        let mut batch = BTreeMap::new();
        let mut written = 0u64;
        for entry in entries {
            let (k, v) = entry?;
            batch.insert(k, Some(v));
            if batch.len() == REBUILD_BATCH {
                written += batch.len() as u64;
                let (_, finished) = self.prepare(&std::mem::take(&mut batch))?;
                self.commit(finished)?;
            }
        }
        if !batch.is_empty() {
            written += batch.len() as u64;
            let (_, finished) = self.prepare(&batch)?;
            self.commit(finished)?;
        }
        Ok(written)
    }

    /// How full the hash table sized at creation is (0 to 1); NOMT's commits slow beyond 0.9
    /// and fail when it is full.
    pub(crate) fn occupancy(&self) -> f64 {
        self.db.hash_table_utilization().occupancy_rate()
    }

    pub(crate) fn dir(&self) -> &Path {
        &self.dir
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The estimate follows the steps the state bench measured: about 4,180 buckets occupied at
    /// 1.4 M keys, flat from 0.5 to 2 M keys, then the fourth level filling, so that 104,000
    /// buckets ran out at 4.7 M keys and 10.4 M keys filled 60 % of 443,750.
    #[test]
    fn stored_pages_grow_in_steps_as_measured() {
        let at = |keys: u64| expected_pages(keys);
        assert!((4_150.0..4_300.0).contains(&at(1_400_000)), "{}", at(1_400_000));
        assert!((at(2_000_000) - at(500_000)).abs() < 50.0, "a flat step: {} {}", at(500_000), at(2_000_000));
        assert!(at(4_000_000) > 9.0 * at(2_000_000), "then a step up: {}", at(4_000_000));
        assert!((90_000.0..104_000.0).contains(&at(4_700_000)), "{}: near the 104,000 that ran out", at(4_700_000));
        assert!((0.59..0.61).contains(&(at(10_400_000) / 443_750.0)), "{}", at(10_400_000));
        assert!((260_000.0..275_000.0).contains(&at(10_000_000)), "{}", at(10_000_000));
        assert_eq!(at(0), 0.0);
        assert!((1.0..66.0).contains(&at(2_000)), "the root page and some of its 64 children: {}", at(2_000));
        assert!((at_least(1e9, 20) - 1.0).abs() < 1e-12 && at_least(1e-3, 20) < 1e-12);
        assert_eq!(at_least(0.0, 20), 0.0);
    }

    #[test]
    fn tables_are_sized_from_twice_the_expected_keys_with_a_floor() {
        assert_eq!(hashtable_buckets(0), MIN_BUCKETS as u32);
        assert_eq!(hashtable_buckets(1_000_000), MIN_BUCKETS as u32, "4,200 pages fit the floor");
        let ten_million = hashtable_buckets(10_000_000) as f64;
        assert!((ten_million * PLANNED_FILL - expected_pages(20_000_000)).abs() < 1.0, "{ten_million}");
    }
}
