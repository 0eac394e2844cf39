//! The challenger: NOMT, a binary Merkle trie (SHA-256 here, as the chain's other proofs) whose
//! pages live in a fixed-size on-disk hash table and whose values live in a B-tree beside it,
//! written with io_uring and made durable per commit. It keeps only the latest state: proofs
//! are against the latest root.

use std::path::{Path, PathBuf};
use std::time::Instant;

use dojang_crypto::{nomt_key_path as key_path, verify_state_proof, NomtProof};
use dojang_types::Hash;
use nomt::hasher::Sha2Hasher;
use nomt::{KeyReadWrite, Nomt, Options, SessionParams};

use crate::engine::{Applied, Engine, EngineError, Proven};

const NAME: &str = "nomt";

pub struct NomtTrie {
    db: Nomt<Sha2Hasher>,
    path: PathBuf,
    root: [u8; 32],
}

impl NomtTrie {
    /// Creates a database in the directory `path`, with a hash table sized for `expected_keys`
    /// as the node's store sizes it ([`dojang_store::hashtable_buckets`]; growing it later
    /// means taking the database offline), `threads` workers computing the root, and `cache_mb` of
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
        o.hashtable_buckets(dojang_store::hashtable_buckets(expected_keys));
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
        verify_state_proof(key, Some(expected), &self.root(), &bytes).map_err(|e| EngineError::BadProof {
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
