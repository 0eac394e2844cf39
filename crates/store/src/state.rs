use std::collections::BTreeMap;

use dojang_types::Hash;
use jmt::storage::{LeafNode, Node, NodeKey, TreeReader, TreeUpdateBatch};
use jmt::{JellyfishMerkleTree, KeyHash, OwnedValue, Version};
use redb::{ReadOnlyTable, WriteTransaction};
use sha2::Sha256;

use crate::error::{OrDb, StoreError};
use crate::tables::{JMT_NODES, JMT_VALUES, STATE_LATEST};
use crate::{Entries, Store};

type Tree<'a, R> = JellyfishMerkleTree<'a, R, Sha256>;

/// The result of applying one block's state changes to the tree, not yet written: the new
/// root goes into the block header, and the batch is written when the block is committed.
pub struct PreparedState {
    pub version: u64,
    pub root: Hash,
    pub(crate) changes: BTreeMap<Vec<u8>, Option<Vec<u8>>>,
    pub(crate) batch: TreeUpdateBatch,
}

/// A value (or its absence) with a Jellyfish Merkle proof against the state root of a block.
#[derive(Debug, Clone)]
pub struct StateProof {
    pub key: Vec<u8>,
    pub value: Option<Vec<u8>>,
    pub version: u64,
    pub root: Hash,
    /// borsh(jmt::proof::SparseMerkleProof<Sha256>)
    pub proof: Vec<u8>,
}

struct Reader {
    nodes: ReadOnlyTable<&'static [u8], &'static [u8]>,
    values: ReadOnlyTable<&'static [u8], &'static [u8]>,
}

impl TreeReader for Reader {
    fn get_node_option(&self, node_key: &NodeKey) -> anyhow::Result<Option<Node>> {
        let key = node_key_bytes(node_key)?;
        match self.nodes.get(key.as_slice())? {
            Some(bytes) => Ok(Some(borsh::from_slice(bytes.value())?)),
            None => Ok(None),
        }
    }

    fn get_value_option(&self, max_version: Version, key_hash: KeyHash) -> anyhow::Result<Option<OwnedValue>> {
        let lo = value_key(&key_hash, 0);
        let hi = value_key(&key_hash, max_version);
        let mut range = self.values.range(lo.as_slice()..=hi.as_slice())?;
        match range.next_back() {
            Some(entry) => {
                let (_, v) = entry?;
                Ok(decode_value(v.value()))
            }
            None => Ok(None),
        }
    }

    fn get_rightmost_leaf(&self) -> anyhow::Result<Option<(NodeKey, LeafNode)>> {
        anyhow::bail!("restoring the state tree from chunks is not supported by this store")
    }
}

/// Tree nodes are keyed by version (big-endian) first, so the nodes a block creates form one
/// contiguous run in the B-tree instead of thousands of scattered inserts.
fn node_key_bytes(key: &NodeKey) -> Result<Vec<u8>, StoreError> {
    let mut out = key.version().to_be_bytes().to_vec();
    borsh::to_writer(&mut out, key).map_err(|e| StoreError::Tree(e.to_string()))?;
    Ok(out)
}

fn value_key(key_hash: &KeyHash, version: Version) -> [u8; 40] {
    let mut out = [0u8; 40];
    out[..32].copy_from_slice(&key_hash.0);
    out[32..].copy_from_slice(&version.to_be_bytes());
    out
}

fn decode_value(v: &[u8]) -> Option<Vec<u8>> {
    match v.split_first() {
        Some((1, rest)) => Some(rest.to_vec()),
        _ => None,
    }
}

impl Store {
    fn reader(&self) -> Result<Reader, StoreError> {
        let tx = self.read()?;
        Ok(Reader { nodes: tx.open_table(JMT_NODES).db()?, values: tx.open_table(JMT_VALUES).db()? })
    }

    /// Computes the state root after applying `changes` on top of the latest committed state,
    /// as tree version `version`. Nothing is written.
    pub fn prepare_state(
        &self,
        version: u64,
        changes: BTreeMap<Vec<u8>, Option<Vec<u8>>>,
    ) -> Result<PreparedState, StoreError> {
        let reader = self.reader()?;
        let tree: Tree<'_, Reader> = JellyfishMerkleTree::new(&reader);
        let set: Vec<(KeyHash, Option<OwnedValue>)> =
            changes.iter().map(|(k, v)| (KeyHash::with::<Sha256>(k), v.clone())).collect();
        let (root, batch) = tree.put_value_set(set, version).map_err(|e| StoreError::Tree(e.to_string()))?;
        Ok(PreparedState { version, root: Hash(root.0), changes, batch })
    }

    /// Writes a prepared state into an open write transaction.
    pub(crate) fn write_state(tx: &WriteTransaction, prepared: &PreparedState) -> Result<(), StoreError> {
        let mut nodes = tx.open_table(JMT_NODES).db()?;
        for (key, node) in prepared.batch.node_batch.nodes() {
            let k = node_key_bytes(key)?;
            let v = borsh::to_vec(node).map_err(|e| StoreError::Tree(e.to_string()))?;
            nodes.insert(k.as_slice(), v.as_slice()).db()?;
        }
        let mut values = tx.open_table(JMT_VALUES).db()?;
        for ((version, key_hash), value) in prepared.batch.node_batch.values() {
            let stored = match value {
                Some(v) => [&[1u8][..], v].concat(),
                None => vec![0u8],
            };
            values.insert(value_key(key_hash, *version).as_slice(), stored.as_slice()).db()?;
        }
        let mut latest = tx.open_table(STATE_LATEST).db()?;
        for (key, value) in &prepared.changes {
            match value {
                Some(v) => {
                    latest.insert(key.as_slice(), v.as_slice()).db()?;
                }
                None => {
                    latest.remove(key.as_slice()).db()?;
                }
            }
        }
        Ok(())
    }

    /// The latest committed value of a state key.
    pub fn get_state(&self, key: &[u8]) -> Result<Option<Vec<u8>>, StoreError> {
        let tx = self.read()?;
        let table = tx.open_table(STATE_LATEST).db()?;
        Ok(table.get(key).db()?.map(|v| v.value().to_vec()))
    }

    /// Up to `limit` latest entries whose key starts with `prefix`, in key order, starting
    /// after `start_after` when given.
    pub fn scan_prefix(&self, prefix: &[u8], start_after: Option<&[u8]>, limit: usize) -> Result<Entries, StoreError> {
        let tx = self.read()?;
        let table = tx.open_table(STATE_LATEST).db()?;
        let mut out = Vec::new();
        for entry in table.range(prefix..).db()? {
            let (k, v) = entry.db()?;
            let key = k.value();
            if !key.starts_with(prefix) || out.len() >= limit {
                break;
            }
            if start_after.is_some_and(|s| key <= s) {
                continue;
            }
            out.push((key.to_vec(), v.value().to_vec()));
        }
        Ok(out)
    }

    /// The state root at a version (block height).
    pub fn state_root(&self, version: u64) -> Result<Hash, StoreError> {
        let reader = self.reader()?;
        let tree: Tree<'_, Reader> = JellyfishMerkleTree::new(&reader);
        let root = tree.get_root_hash(version).map_err(|e| StoreError::Tree(e.to_string()))?;
        Ok(Hash(root.0))
    }

    /// The value of `key` at `version` with a proof against that version's state root.
    pub fn prove(&self, key: &[u8], version: u64) -> Result<StateProof, StoreError> {
        let reader = self.reader()?;
        let tree: Tree<'_, Reader> = JellyfishMerkleTree::new(&reader);
        let (value, proof) =
            tree.get_with_proof(KeyHash::with::<Sha256>(key), version).map_err(|e| StoreError::Tree(e.to_string()))?;
        let root = tree.get_root_hash(version).map_err(|e| StoreError::Tree(e.to_string()))?;
        let proof = borsh::to_vec(&proof).map_err(|e| StoreError::Tree(e.to_string()))?;
        Ok(StateProof { key: key.to_vec(), value, version, root: Hash(root.0), proof })
    }
}

impl Store {
    /// The value of `key` at `version`, read through the state tree and proven against `root`
    /// (a header's state root), so that a damaged node or value anywhere on its path is an error.
    pub(crate) fn proven_value(&self, key: &[u8], version: u64, root: &Hash) -> Result<Option<Vec<u8>>, String> {
        let reader = self.reader().map_err(|e| e.to_string())?;
        let tree: Tree<'_, Reader> = JellyfishMerkleTree::new(&reader);
        let key_hash = KeyHash::with::<Sha256>(key);
        let (value, proof) = tree.get_with_proof(key_hash, version).map_err(|e| e.to_string())?;
        proof.verify(jmt::RootHash(root.0), key_hash, value.as_ref()).map_err(|e| e.to_string())?;
        Ok(value)
    }
}
