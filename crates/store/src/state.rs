//! The state: every latest value in redb's latest-state table (reads, prefix scans), and the
//! merkleized state in the NOMT trie beside it (roots and proofs, decision 0027). Both move with
//! each block; proofs are against the latest root only, except the proofs of the few keys a
//! block asks to keep ([`PreparedState::keep_proof_of`]), which stay answerable at that height.

use std::collections::BTreeMap;
use std::sync::Mutex;

use dojang_types::Hash;
use redb::WriteTransaction;

use crate::error::{OrDb, StoreError};
use crate::tables::{KEPT_PROOFS, STATE_LATEST};
use crate::trie::{Finished, Trie};
use crate::{Entries, Store};

/// The result of applying one block's state changes to the trie, not yet written: the new
/// root goes into the block header, and the changes are written when the block is committed.
pub struct PreparedState {
    pub version: u64,
    pub root: Hash,
    pub(crate) changes: BTreeMap<Vec<u8>, Option<Vec<u8>>>,
    /// The trie's side, taken by the one commit that writes it.
    pub(crate) finished: Mutex<Option<Finished>>,
    pub(crate) keep_proofs: Vec<Vec<u8>>,
    /// The root is the one the block's certified header claims, not computed yet: the trie
    /// takes these changes with the rest of a catch-up segment ([`Store::defer_state`]).
    pub(crate) deferred: bool,
}

impl PreparedState {
    /// Keeps the proof of `key` at this version once it is committed, for clients that must
    /// check it at this height later (the validator set a block changed): the trie itself
    /// proves against the latest root only.
    pub fn keep_proof_of(&mut self, key: &[u8]) {
        self.keep_proofs.push(key.to_vec());
    }

    /// The number of state keys this version writes or deletes.
    pub fn changed_keys(&self) -> usize {
        self.changes.len()
    }
}

/// A value (or its absence) with a NOMT path proof (`dojang_crypto::NomtProof`, borsh) against
/// the state root of the block at `version`.
#[derive(Debug, Clone, PartialEq, Eq, borsh::BorshSerialize, borsh::BorshDeserialize)]
pub struct StateProof {
    pub key: Vec<u8>,
    pub value: Option<Vec<u8>>,
    pub version: u64,
    pub root: Hash,
    pub proof: Vec<u8>,
}

/// `len(key)` (4, big-endian) || key || version (8, big-endian): the length keeps one key's
/// versions from running into a longer key's.
fn kept_key(key: &[u8], version: u64) -> Vec<u8> {
    let mut out = Vec::with_capacity(4 + key.len() + 8);
    out.extend_from_slice(&(key.len() as u32).to_be_bytes());
    out.extend_from_slice(key);
    out.extend_from_slice(&version.to_be_bytes());
    out
}

impl Store {
    pub(crate) fn trie(&self) -> Result<&Trie, StoreError> {
        self.trie
            .as_ref()
            .ok_or_else(|| StoreError::Db("this store was opened read-only, without its state trie".into()))
    }

    /// Computes the state root after applying `changes` on top of the latest committed state,
    /// as version `version`. Nothing is written. A catch-up segment still open is finished
    /// first, so that the trie holds the state the changes were made on.
    pub fn prepare_state(
        &self,
        version: u64,
        changes: BTreeMap<Vec<u8>, Option<Vec<u8>>>,
    ) -> Result<PreparedState, StoreError> {
        self.finish_segment()?;
        let (root, finished) = self.trie()?.prepare(&changes)?;
        Ok(PreparedState {
            version,
            root,
            changes,
            finished: Mutex::new(Some(finished)),
            keep_proofs: Vec::new(),
            deferred: false,
        })
    }

    /// Commits the trie's side of a prepared state (durably: NOMT syncs every commit) and
    /// returns the proofs it asks to keep, made against the new root before anything else
    /// can move it. The caller holds the state lock for writing.
    pub(crate) fn commit_trie(&self, prepared: &PreparedState) -> Result<Vec<StateProof>, StoreError> {
        let finished = prepared
            .finished
            .lock()
            .map_err(|_| StoreError::Tree("a thread panicked while holding a prepared state".into()))?
            .take()
            .ok_or_else(|| {
                StoreError::Tree(format!("the state of version {} was already committed", prepared.version))
            })?;
        let trie = self.trie()?;
        let started = std::time::Instant::now();
        trie.commit(finished)?;
        // NOMT syncs each commit: a wait on the disk on the decision's path.
        self.commits.record(started.elapsed());
        prepared
            .keep_proofs
            .iter()
            .map(|key| {
                let (value, proof) = trie.prove(key)?;
                Ok(StateProof {
                    key: key.clone(),
                    value,
                    version: prepared.version,
                    root: prepared.root,
                    proof: proof.encode(),
                })
            })
            .collect()
    }

    /// Writes a prepared state's values and its kept proofs into an open write transaction.
    pub(crate) fn write_state(
        tx: &WriteTransaction,
        prepared: &PreparedState,
        kept: &[StateProof],
    ) -> Result<(), StoreError> {
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
        Self::write_kept(tx, kept)
    }

    /// Writes proofs kept at their version ([`PreparedState::keep_proof_of`]).
    pub(crate) fn write_kept(tx: &WriteTransaction, kept: &[StateProof]) -> Result<(), StoreError> {
        let mut proofs = tx.open_table(KEPT_PROOFS).db()?;
        for p in kept {
            let bytes = borsh::to_vec(p).map_err(|e| StoreError::Db(e.to_string()))?;
            proofs.insert(kept_key(&p.key, p.version).as_slice(), bytes.as_slice()).db()?;
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

    /// The state root of the latest block the trie holds (or of genesis, before block 1): the
    /// latest block, except while catch-up writes a segment, whose blocks the trie takes at
    /// its end.
    pub fn latest_state_root(&self) -> Result<(u64, Hash), StoreError> {
        let _held = self.state_lock.read().map_err(|_| StoreError::Db("the state lock is poisoned".into()))?;
        Ok((self.trie_height()?, self.trie()?.root()))
    }

    /// The state root at `version`, which must be the latest block's: the trie keeps no older
    /// state ([`StoreError::NotKept`]).
    pub fn state_root(&self, version: u64) -> Result<Hash, StoreError> {
        let (latest, root) = self.latest_state_root()?;
        if version != latest {
            return Err(StoreError::NotKept { version, latest });
        }
        Ok(root)
    }

    /// The latest value of `key` with a proof against the state root of the latest block the
    /// trie holds; `version` says which block that is (the latest, but during a catch-up
    /// segment). The trie keeps no older versions (decision 0027).
    pub fn prove(&self, key: &[u8]) -> Result<StateProof, StoreError> {
        let _held = self.state_lock.read().map_err(|_| StoreError::Db("the state lock is poisoned".into()))?;
        let version = self.trie_height()?;
        let trie = self.trie()?;
        let (value, proof) = trie.prove(key)?;
        Ok(StateProof { key: key.to_vec(), value, version, root: trie.root(), proof: proof.encode() })
    }

    /// The proof of `key` kept at the highest version at most `at_most` (see
    /// [`PreparedState::keep_proof_of`]), if any was kept.
    pub fn kept_proof(&self, key: &[u8], at_most: u64) -> Result<Option<StateProof>, StoreError> {
        let tx = self.read()?;
        let table = tx.open_table(KEPT_PROOFS).db()?;
        let (lo, hi) = (kept_key(key, 0), kept_key(key, at_most));
        let Some(row) = table.range(lo.as_slice()..=hi.as_slice()).db()?.next_back() else { return Ok(None) };
        let (_, v) = row.db()?;
        let proof: StateProof = borsh::from_slice(v.value())
            .map_err(|e| StoreError::Corrupt(format!("a kept state proof does not decode: {e}")))?;
        if proof.key != key || proof.version > at_most {
            return Err(StoreError::Corrupt(format!(
                "the proof kept under {} is for another key or version",
                hex_key(key)
            )));
        }
        Ok(Some(proof))
    }

    /// How full the trie's hash table is (0 to 1): an operator grows it before 0.8.
    pub fn state_table_occupancy(&self) -> Option<f64> {
        self.trie.as_ref().map(Trie::occupancy)
    }
}

fn hex_key(key: &[u8]) -> String {
    String::from_utf8(key.to_vec()).unwrap_or_else(|_| key.iter().map(|b| format!("{b:02x}")).collect())
}
