//! Catch-up in segments. A node catching up re-executes blocks that validators already
//! certified, header and state root included. Computing and committing the trie for each of
//! them cost more than executing them (issue 20), so during catch-up a run of blocks is
//! written to redb one by one, without an fsync, while their state changes gather here; the
//! trie then takes the whole run in one commit, and its root must be the one the run's last
//! certified header claims.
//!
//! If it is not, this node's execution differs from the validators' (other software, damaged
//! state): redb goes back to the savepoint taken where the segment began, and the trie was
//! never moved, so nothing of the run is kept.
//!
//! Crash safety is the same as block by block: the segment begins at a durable commit and
//! nothing in it is made durable before the trie's commit, so after a crash the trie is
//! either where redb is or one commit ahead, which opening the store rolls back
//! (`reconcile`).

use std::collections::BTreeMap;
use std::sync::Mutex;

use dojang_types::{Block, Commit, Hash, Receipt};

use crate::error::{OrDb, StoreError};
use crate::state::{PreparedState, StateProof};
use crate::Store;

/// The most blocks one segment holds: what a mismatch throws away, and how long redb keeps
/// the pages the savepoint holds.
pub const MAX_SEGMENT_BLOCKS: u64 = 256;

/// Blocks in redb whose state the trie does not hold yet.
pub(crate) struct Segment {
    /// redb as it was before the segment's first block (a durable commit).
    savepoint: redb::Savepoint,
    /// The segment's state changes, later blocks' over earlier ones'.
    changes: BTreeMap<Vec<u8>, Option<Vec<u8>>>,
    from: u64,
    to: u64,
    /// The state root block `to`'s certified header claims.
    claimed: Hash,
}

impl Store {
    /// A block's state whose root is not computed here but taken from the block's certified
    /// header: the store checks it when the catch-up segment the block joins ends. Only for
    /// blocks a commit certificate already finalized.
    pub fn defer_state(
        &self,
        version: u64,
        changes: BTreeMap<Vec<u8>, Option<Vec<u8>>>,
        claimed: Hash,
    ) -> PreparedState {
        PreparedState {
            version,
            root: claimed,
            changes,
            finished: Mutex::new(None),
            keep_proofs: Vec::new(),
            deferred: true,
        }
    }

    /// The height of the latest block whose state the trie holds.
    pub(crate) fn trie_height(&self) -> Result<u64, StoreError> {
        if let Some(open) = &*self.segment_slot()? {
            return Ok(open.from - 1);
        }
        self.latest_height()?.ok_or_else(|| StoreError::Db("the store holds no chain yet".into()))
    }

    /// Whether catch-up has blocks in redb that the trie does not hold yet.
    pub fn segment_open(&self) -> bool {
        self.segment_slot().map(|s| s.is_some()).unwrap_or(false)
    }

    fn segment_slot(&self) -> Result<std::sync::MutexGuard<'_, Option<Segment>>, StoreError> {
        self.segment.lock().map_err(|_| StoreError::Db("a thread panicked while holding the catch-up segment".into()))
    }

    /// Writes a block whose state was deferred ([`Store::defer_state`]) into redb and adds
    /// its changes to the open segment, opening one if needed. The segment ends here when
    /// the block asks for proofs to be kept (they are made against its root) or the segment
    /// is full. The caller holds the state lock for writing and checked the height.
    pub(crate) fn commit_deferred(
        &self,
        block: &Block,
        receipts: &[Receipt],
        commit: &Commit,
        state: &PreparedState,
    ) -> Result<(), StoreError> {
        let height = block.header.height;
        let mut slot = self.segment_slot()?;
        if slot.is_none() {
            // The savepoint must be a state on disk: a crash inside the segment returns there.
            self.flush_redb()?;
            let tx = self.write()?;
            let savepoint = tx.ephemeral_savepoint().map_err(|e| StoreError::Db(format!("taking a savepoint: {e}")))?;
            tx.abort().db()?;
            *slot =
                Some(Segment { savepoint, changes: BTreeMap::new(), from: height, to: height, claimed: state.root });
        }
        let open = slot.as_mut().ok_or_else(|| StoreError::Db("the catch-up segment vanished".into()))?;
        self.write_block(block, receipts, commit, state, &[], false)?;
        open.changes.extend(state.changes.iter().map(|(k, v)| (k.clone(), v.clone())));
        open.to = height;
        open.claimed = state.root;
        if !state.keep_proofs.is_empty() || open.to + 1 - open.from >= MAX_SEGMENT_BLOCKS {
            let open = slot.take().ok_or_else(|| StoreError::Db("the catch-up segment vanished".into()))?;
            drop(slot);
            self.end_segment(open, &state.keep_proofs)?;
        }
        Ok(())
    }

    /// Moves the trie over the open catch-up segment, if any, checks its root against the
    /// segment's last header and makes the segment durable; on a mismatch, undoes the
    /// segment and says so ([`StoreError::SegmentMismatch`]).
    pub fn finish_segment(&self) -> Result<(), StoreError> {
        if !self.segment_open() {
            return Ok(());
        }
        let _held = self.state_lock.write().map_err(|_| StoreError::Db("the state lock is poisoned".into()))?;
        self.finish_segment_locked()
    }

    /// [`Store::finish_segment`] for a caller that holds the state lock for writing.
    pub(crate) fn finish_segment_locked(&self) -> Result<(), StoreError> {
        let Some(open) = self.segment_slot()?.take() else { return Ok(()) };
        self.end_segment(open, &[])
    }

    fn end_segment(&self, open: Segment, keep: &[Vec<u8>]) -> Result<(), StoreError> {
        let started = std::time::Instant::now();
        let Segment { savepoint, changes, from, to, claimed } = open;
        let trie = self.trie()?;
        let moved = trie.prepare(&changes).and_then(|(computed, finished)| {
            if computed != claimed {
                return Err(StoreError::SegmentMismatch { from, to, computed, claimed });
            }
            trie.commit(finished)
        });
        if let Err(e) = moved {
            self.undo_segment(&savepoint)?;
            return Err(e);
        }
        let trie_done = started.elapsed();
        let durable = keep
            .iter()
            .map(|key| {
                let (value, proof) = trie.prove(key)?;
                Ok(StateProof { key: key.clone(), value, version: to, root: claimed, proof: proof.encode() })
            })
            .collect::<Result<Vec<_>, StoreError>>()
            .and_then(|kept| {
                let tx = self.write()?;
                Self::write_kept(&tx, &kept)?;
                tx.commit().db()
            });
        if let Err(e) = durable {
            // redb did not take the segment's end: the trie goes back with it.
            trie.roll_back_one()?;
            self.undo_segment(&savepoint)?;
            return Err(e);
        }
        self.unflushed.store(0, std::sync::atomic::Ordering::Release);
        self.commits.record(started.elapsed());
        tracing::debug!(
            from,
            to,
            keys = changes.len(),
            trie_ms = trie_done.as_millis() as u64,
            commit_ms = (started.elapsed() - trie_done).as_millis() as u64,
            "catch-up segment committed"
        );
        Ok(())
    }

    /// Returns redb to where the segment began, durably.
    fn undo_segment(&self, savepoint: &redb::Savepoint) -> Result<(), StoreError> {
        let mut tx = self.write()?;
        tx.restore_savepoint(savepoint)
            .map_err(|e| StoreError::Db(format!("restoring the segment's savepoint: {e}")))?;
        tx.commit().db()?;
        self.unflushed.store(0, std::sync::atomic::Ordering::Release);
        Ok(())
    }
}
