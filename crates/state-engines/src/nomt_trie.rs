//! The challenger: NOMT, a binary Merkle trie (SHA-256 here, as the chain's other proofs) whose
//! pages live in a fixed-size on-disk hash table and whose values live in a B-tree beside it,
//! written with io_uring and made durable per commit. It keeps only the latest state: proofs
//! are against the latest root.

use std::path::{Path, PathBuf};
use std::time::Instant;

use bitvec::order::Msb0;
use bitvec::view::BitView as _;
use nomt::hasher::{Sha2Hasher, ValueHasher as _};
use nomt::trie::LeafData;
use nomt::{KeyReadWrite, Nomt, Options, SessionParams};
use sha2::{Digest, Sha256};

use crate::engine::{Applied, Engine, EngineError, Proven};

const NAME: &str = "nomt";

/// Buckets of the trie's hash table per key the state is expected to reach: measured at about
/// 0.25 pages per key for uniformly spread keys, kept under 70 % full.
const BUCKETS_PER_KEY: f64 = 0.36;

pub struct NomtTrie {
    db: Nomt<Sha2Hasher>,
    path: PathBuf,
    root: [u8; 32],
}

/// NOMT expects uniformly spread key paths: the SHA-256 of the state key.
fn key_path(key: &[u8]) -> [u8; 32] {
    Sha256::digest(key).into()
}

impl NomtTrie {
    /// Creates a database in the directory `path`, with a hash table sized for `expected_keys`
    /// (NOMT cannot grow it later), `threads` workers computing the root, and `cache_mb` of
    /// memory for cached trie pages and value leaves, half each.
    pub fn create(path: &Path, expected_keys: u64, threads: usize, cache_mb: usize) -> Result<Self, EngineError> {
        let mut o = Options::new();
        o.path(path);
        o.commit_concurrency(threads.max(1));
        o.page_cache_size((cache_mb / 2).max(1));
        o.leaf_cache_size((cache_mb / 2).max(1));
        let buckets = ((expected_keys as f64 * BUCKETS_PER_KEY) as u64).clamp(16_384, u64::from(u32::MAX));
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
        let path = key_path(key);
        let session = self.db.begin_session(SessionParams::default());
        let proof = session.prove(path).map_err(|e| EngineError::failed(NAME, format!("prove: {e:#}")))?;
        drop(session);
        let bad =
            |why: String| EngineError::BadProof { engine: NAME, key: String::from_utf8_lossy(key).into_owned(), why };
        // What a client receives and decodes: the proof's encoding is what it downloads.
        let bytes = borsh::to_vec(&proof).map_err(|e| EngineError::failed(NAME, e))?;
        let proof: nomt::proof::PathProof = borsh::from_slice(&bytes).map_err(|e| bad(format!("decode: {e}")))?;
        let bits = path.view_bits::<Msb0>();
        let verified = proof.verify::<Sha2Hasher>(bits, self.root).map_err(|e| bad(format!("{e:?}")))?;
        let leaf = LeafData { key_path: path, value_hash: Sha2Hasher::hash_value(expected) };
        // `confirm_value` errs only for a leaf off the proven path, and the leaf is built on it.
        match verified.confirm_value(&leaf) {
            Ok(true) => Ok(Proven { proof_bytes: bytes.len() }),
            _ => Err(bad("the proven leaf holds another value, or none".into())),
        }
    }

    fn path(&self) -> &Path {
        &self.path
    }

    /// The trie's hash table: NOMT's commits slow beyond 0.9 and fail near 1.
    fn occupancy(&self) -> Option<f64> {
        Some(self.db.hash_table_utilization().occupancy_rate())
    }
}
