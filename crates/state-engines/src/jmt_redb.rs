//! The engine the node used before decision 0027: a Jellyfish Merkle Tree (SHA-256, radix 16)
//! over redb beside a flat table of latest values, each version written in one redb transaction
//! with one fsync, every version kept. The layout is the one the node's store had (tree nodes
//! keyed version first, so that a version's nodes form one run in the B-tree), kept here so that
//! the comparison stays measurable on one workload whenever either side changes.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Instant;

use jmt::storage::{LeafNode, Node, NodeKey, TreeReader};
use jmt::{JellyfishMerkleTree, KeyHash, OwnedValue, RootHash, Version};
use redb::{Database, ReadOnlyTable, ReadableDatabase, TableDefinition};
use sha2::Sha256;

use crate::engine::{Applied, Engine, EngineError, Proven};

const NAME: &str = "jmt+redb";

const NODES: TableDefinition<&[u8], &[u8]> = TableDefinition::new("jmt_nodes");
/// key hash (32) || version (8, big-endian) -> 0x00 for a deletion or 0x01 || bytes.
const VALUES: TableDefinition<&[u8], &[u8]> = TableDefinition::new("jmt_values");
const LATEST: TableDefinition<&[u8], &[u8]> = TableDefinition::new("state_latest");

/// The page cache the node's store gave redb.
const CACHE_BYTES: usize = 128 * 1024 * 1024;

fn failed(e: impl std::fmt::Display) -> EngineError {
    EngineError::failed(NAME, e)
}

struct Reader {
    nodes: ReadOnlyTable<&'static [u8], &'static [u8]>,
    values: ReadOnlyTable<&'static [u8], &'static [u8]>,
}

impl TreeReader for Reader {
    fn get_node_option(&self, node_key: &NodeKey) -> anyhow::Result<Option<Node>> {
        match self.nodes.get(node_key_bytes(node_key)?.as_slice())? {
            Some(bytes) => Ok(Some(borsh::from_slice(bytes.value())?)),
            None => Ok(None),
        }
    }

    fn get_value_option(&self, max_version: Version, key_hash: KeyHash) -> anyhow::Result<Option<OwnedValue>> {
        let (lo, hi) = (value_key(&key_hash, 0), value_key(&key_hash, max_version));
        match self.values.range(lo.as_slice()..=hi.as_slice())?.next_back() {
            Some(entry) => Ok(match entry?.1.value().split_first() {
                Some((1, rest)) => Some(rest.to_vec()),
                _ => None,
            }),
            None => Ok(None),
        }
    }

    fn get_rightmost_leaf(&self) -> anyhow::Result<Option<(NodeKey, LeafNode)>> {
        anyhow::bail!("restoring from chunks is not part of the benchmark")
    }
}

fn node_key_bytes(key: &NodeKey) -> anyhow::Result<Vec<u8>> {
    let mut out = key.version().to_be_bytes().to_vec();
    borsh::to_writer(&mut out, key)?;
    Ok(out)
}

fn value_key(key_hash: &KeyHash, version: Version) -> [u8; 40] {
    let mut out = [0u8; 40];
    out[..32].copy_from_slice(&key_hash.0);
    out[32..].copy_from_slice(&version.to_be_bytes());
    out
}

pub struct JmtRedb {
    db: Database,
    path: PathBuf,
    version: Option<u64>,
    root: [u8; 32],
}

impl JmtRedb {
    /// Creates a new database file at `path`.
    pub fn create(path: &Path) -> Result<Self, EngineError> {
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir).map_err(failed)?;
        }
        let db = Database::builder().set_cache_size(CACHE_BYTES).create(path).map_err(failed)?;
        let tx = db.begin_write().map_err(failed)?;
        for table in [NODES, VALUES, LATEST] {
            tx.open_table(table).map_err(failed)?;
        }
        tx.commit().map_err(failed)?;
        Ok(JmtRedb { db, path: path.to_path_buf(), version: None, root: [0; 32] })
    }

    fn reader(&self) -> Result<Reader, EngineError> {
        let tx = self.db.begin_read().map_err(failed)?;
        Ok(Reader { nodes: tx.open_table(NODES).map_err(failed)?, values: tx.open_table(VALUES).map_err(failed)? })
    }

    fn write(&self, changes: &BTreeMap<Vec<u8>, Vec<u8>>, batch: &jmt::storage::TreeUpdateBatch) -> anyhow::Result<()> {
        let tx = self.db.begin_write()?;
        {
            let mut nodes = tx.open_table(NODES)?;
            for (key, node) in batch.node_batch.nodes() {
                nodes.insert(node_key_bytes(key)?.as_slice(), borsh::to_vec(node)?.as_slice())?;
            }
            let mut values = tx.open_table(VALUES)?;
            for ((v, key_hash), value) in batch.node_batch.values() {
                let stored = match value {
                    Some(bytes) => [&[1u8][..], bytes].concat(),
                    None => vec![0u8],
                };
                values.insert(value_key(key_hash, *v).as_slice(), stored.as_slice())?;
            }
            let mut latest = tx.open_table(LATEST)?;
            for (k, v) in changes {
                latest.insert(k.as_slice(), v.as_slice())?;
            }
        }
        tx.commit()?;
        Ok(())
    }
}

impl Engine for JmtRedb {
    fn name(&self) -> &'static str {
        NAME
    }

    fn apply(&mut self, version: u64, writes: Vec<(Vec<u8>, Vec<u8>)>) -> Result<Applied, EngineError> {
        let started = Instant::now();
        let changes: BTreeMap<Vec<u8>, Vec<u8>> = writes.into_iter().collect();
        let reader = self.reader()?;
        let tree: JellyfishMerkleTree<'_, Reader, Sha256> = JellyfishMerkleTree::new(&reader);
        let set = changes.iter().map(|(k, v)| (KeyHash::with::<Sha256>(k), Some(v.clone())));
        let (root, batch) = tree.put_value_set(set, version).map_err(failed)?;
        let root_time = started.elapsed();
        self.write(&changes, &batch).map_err(failed)?;
        let commit_time = started.elapsed() - root_time;
        self.version = Some(version);
        self.root = root.0;
        Ok(Applied { root: root.0, root_time, commit_time })
    }

    fn prove(&mut self, key: &[u8], expected: &[u8]) -> Result<Proven, EngineError> {
        let version = self.version.ok_or_else(|| failed("nothing written yet"))?;
        let reader = self.reader()?;
        let tree: JellyfishMerkleTree<'_, Reader, Sha256> = JellyfishMerkleTree::new(&reader);
        let key_hash = KeyHash::with::<Sha256>(key);
        let (_, proof) = tree.get_with_proof(key_hash, version).map_err(failed)?;
        let bytes = borsh::to_vec(&proof).map_err(failed)?;
        // What a client would download and check, against the root reported when the version
        // was applied (as a client checks against a header).
        let received: jmt::proof::SparseMerkleProof<Sha256> = borsh::from_slice(&bytes).map_err(failed)?;
        received.verify(RootHash(self.root), key_hash, Some(expected)).map_err(|e| EngineError::BadProof {
            engine: NAME,
            key: String::from_utf8_lossy(key).into_owned(),
            why: e.to_string(),
        })?;
        Ok(Proven { proof_bytes: bytes.len() })
    }

    fn path(&self) -> &Path {
        &self.path
    }
}
