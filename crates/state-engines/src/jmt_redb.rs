//! Today's engine: the node's own store, a Jellyfish Merkle Tree (SHA-256, radix 16) over redb
//! beside a flat table of latest values, each version written in one redb transaction with one
//! fsync. Driven through the store's public interface, so it measures exactly what a node does.

use std::path::{Path, PathBuf};
use std::time::Instant;

use dojang_store::Store;
use dojang_types::Hash;

use crate::engine::{Applied, Engine, EngineError, Proven};

const NAME: &str = "jmt+redb";

pub struct JmtRedb {
    store: Store,
    path: PathBuf,
    version: Option<u64>,
    root: Hash,
}

impl JmtRedb {
    /// Opens a new store file at `path` (it must not hold a chain).
    pub fn create(path: &Path) -> Result<Self, EngineError> {
        let store = Store::open(path).map_err(|e| EngineError::failed(NAME, e))?;
        Ok(JmtRedb { store, path: path.to_path_buf(), version: None, root: Hash([0; 32]) })
    }
}

impl Engine for JmtRedb {
    fn name(&self) -> &'static str {
        NAME
    }

    fn apply(&mut self, version: u64, writes: Vec<(Vec<u8>, Vec<u8>)>) -> Result<Applied, EngineError> {
        let started = Instant::now();
        let changes = writes.into_iter().map(|(k, v)| (k, Some(v))).collect();
        let prepared = self.store.prepare_state(version, changes).map_err(|e| EngineError::failed(NAME, e))?;
        let root_time = started.elapsed();
        self.store.commit_state(&prepared).map_err(|e| EngineError::failed(NAME, e))?;
        let commit_time = started.elapsed() - root_time;
        self.version = Some(version);
        self.root = prepared.root;
        Ok(Applied { root: prepared.root.0, root_time, commit_time })
    }

    fn prove(&mut self, key: &[u8], expected: &[u8]) -> Result<Proven, EngineError> {
        let version = self.version.ok_or_else(|| EngineError::failed(NAME, "nothing written yet"))?;
        let proof = self.store.prove(key, version).map_err(|e| EngineError::failed(NAME, e))?;
        // Checked against the root the engine reported when it applied the version, as a client
        // checks against a header, not against the root that came with the proof.
        dojang_crypto::verify_state_proof(key, Some(expected), &self.root, &proof.proof).map_err(|why| {
            EngineError::BadProof { engine: NAME, key: String::from_utf8_lossy(key).into_owned(), why }
        })?;
        Ok(Proven { proof_bytes: proof.proof.len() })
    }

    fn path(&self) -> &Path {
        &self.path
    }
}
