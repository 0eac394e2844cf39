//! The challenger: NOMT, a binary Merkle trie (SHA-256 here, as the chain's other proofs) whose
//! pages live in a fixed-size on-disk hash table and whose values live in a B-tree beside it,
//! written with io_uring and made durable per commit. It keeps only the latest state: proofs
//! are against the latest root.

use std::path::{Path, PathBuf};
use std::time::Instant;

use dojang_crypto::{nomt_key_path as key_path, verify_nomt_state_proof, NomtProof};
use dojang_types::Hash;
use nomt::hasher::Sha2Hasher;
use nomt::{KeyReadWrite, Nomt, Options, SessionParams};

use crate::engine::{Applied, Engine, EngineError, Proven};

const NAME: &str = "nomt";

/// How full the trie's hash table is planned to be, at the pages twice the expected keys would
/// store: NOMT slows beyond 90 % and fails commits when it is full, and because the pages grow
/// in steps, a table sized for the keys alone can fill soon after a step begins (one sized for
/// 3.5 M keys would be full near 3.8 M).
const PLANNED_FILL: f64 = 0.6;

/// Leaves a page's subtree must hold for NOMT to store the page (`PAGE_ELISION_THRESHOLD` in
/// NOMT 1.0); sparser pages are rebuilt from the values when needed.
const STORED_PAGE_LEAVES: u64 = 20;

/// The pages NOMT stores for `keys` uniformly spread key paths: a page at depth `d` (six bits
/// of path each) roots one of 64^d subtrees, each holding a Poisson share of the keys, and is
/// stored when its subtree holds at least [`STORED_PAGE_LEAVES`] (NOMT also always keeps the
/// root page and its 64 children, which the 16,384-bucket minimum covers). The count grows in
/// steps: about 4,200 pages from 0.5 to 2 million keys, then the fourth level fills (266,000
/// at 10 million); a table of 104,000 buckets (0.01 per key of 10.4 million) ran out at 4.7
/// million.
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

pub struct NomtTrie {
    db: Nomt<Sha2Hasher>,
    path: PathBuf,
    root: [u8; 32],
}

impl NomtTrie {
    /// Creates a database in the directory `path`, with a hash table sized for `expected_keys`
    /// ([`expected_pages`] of twice as many at 60 % full; growing it later means taking the
    /// database offline), `threads` workers computing the root, and `cache_mb` of
    /// memory for cached trie pages and value leaves, half each.
    pub fn create(path: &Path, expected_keys: u64, threads: usize, cache_mb: usize) -> Result<Self, EngineError> {
        let mut o = Options::new();
        o.path(path);
        o.commit_concurrency(threads.max(1));
        o.page_cache_size((cache_mb / 2).max(1));
        o.leaf_cache_size((cache_mb / 2).max(1));
        if !matches!(nomt::check_iou_permissions(), nomt::IoUringPermission::Allowed) {
            return Err(EngineError::failed(
                NAME,
                "io_uring is not available to this process (NOMT needs it on Linux 6.0 or later; \
                 a container's seccomp profile or kernel.io_uring_disabled can forbid it)",
            ));
        }
        let buckets = (expected_pages(expected_keys.saturating_mul(2)) / PLANNED_FILL).ceil() as u64;
        let buckets = buckets.clamp(16_384, u64::from(u32::MAX));
        o.hashtable_buckets(buckets as u32);
        // The same layout in every run, so that runs compare.
        o.bitbox_seed([7; 16]);
        // A node recovering from a crash between its two stores rolls the trie back one block
        // (decision 0027), so the rollback log is kept and its cost measured.
        o.rollback(true);
        o.max_rollback_log_len(8);
        let db = Nomt::<Sha2Hasher>::open(o).map_err(|e| EngineError::failed(NAME, format!("open: {e:#}")))?;
        let root = db.root().into_inner();
        Ok(NomtTrie { db, path: path.to_path_buf(), root })
    }

    /// The latest root, which a header would carry.
    pub fn root(&self) -> Hash {
        Hash(self.root)
    }

    /// The path to where `key`'s leaf is, or would be, against the latest root, in the form a
    /// node serves (decision 0027, step 2).
    pub fn proof(&self, key: &[u8]) -> Result<NomtProof, EngineError> {
        let session = self.db.begin_session(SessionParams::default());
        let proof = session.prove(key_path(key)).map_err(|e| EngineError::failed(NAME, format!("prove: {e:#}")))?;
        Ok(NomtProof::from_path_proof(&proof))
    }
}

impl Engine for NomtTrie {
    fn name(&self) -> &'static str {
        NAME
    }

    fn apply(&mut self, _version: u64, writes: Vec<(Vec<u8>, Vec<u8>)>) -> Result<Applied, EngineError> {
        let started = Instant::now();
        let session = self.db.begin_session(SessionParams::default());
        let mut actuals: Vec<([u8; 32], KeyReadWrite)> =
            writes.into_iter().map(|(k, v)| (key_path(&k), KeyReadWrite::Write(Some(v)))).collect();
        actuals.sort_unstable_by_key(|a| a.0);
        let finished = session.finish(actuals).map_err(|e| EngineError::failed(NAME, format!("root: {e:#}")))?;
        let root = finished.root().into_inner();
        let root_time = started.elapsed();
        finished.commit(&self.db).map_err(|e| EngineError::failed(NAME, format!("commit: {e:#}")))?;
        let commit_time = started.elapsed() - root_time;
        self.root = root;
        Ok(Applied { root, root_time, commit_time })
    }

    fn prove(&mut self, key: &[u8], expected: &[u8]) -> Result<Proven, EngineError> {
        // What a client downloads and checks: the node's wire form, checked as the SDKs do.
        let bytes = self.proof(key)?.encode();
        verify_nomt_state_proof(key, Some(expected), &self.root(), &bytes).map_err(|e| EngineError::BadProof {
            engine: NAME,
            key: String::from_utf8_lossy(key).into_owned(),
            why: e.to_string(),
        })?;
        Ok(Proven { proof_bytes: bytes.len() })
    }

    fn path(&self) -> &Path {
        &self.path
    }

    /// The trie's hash table: NOMT's commits slow beyond 0.9 and fail near 1.
    fn occupancy(&self) -> Option<f64> {
        Some(self.db.hash_table_utilization().occupancy_rate())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The estimate follows the steps the bench measured: about 4,180 buckets occupied at 1.4 M
    /// keys, flat from 0.5 to 2 M keys, then the fourth level filling, so that 104,000 buckets
    /// ran out at 4.7 M keys and 10.4 M keys filled 60 % of 443,750.
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
}
