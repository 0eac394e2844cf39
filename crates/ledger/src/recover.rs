//! The pipelined block cycle (decision 0029): a decided block is written without waiting for
//! the disk, its certificate kept durably first, and the disk's wait taken beside the next
//! block's execution. After a crash in between, the block is recovered here from its
//! certificate and its pending copy, before consensus asks for the next height.

use dojang_crypto::verify_commit;
use dojang_store::StoreError;
use tracing::{info, warn};

use crate::error::LedgerError;
use crate::ledger::Ledger;

impl Ledger {
    /// The height this node decided (its kept certificate's) when its store ends below it:
    /// its consensus log may already be past that height, so it must not run consensus until
    /// it has caught up to it from peers, or it could sign twice for one height.
    pub fn unrecovered_decision(&self) -> Result<Option<u64>, LedgerError> {
        let kept = self.store.decided_commit()?.map(|c| c.height);
        Ok(kept.filter(|&h| h > self.head().0))
    }

    /// Runs `work` (a block's execution) while the blocks written without an fsync are made
    /// durable on another thread. A failed flush fails the block: the disk is in trouble.
    pub(crate) fn beside_flush<T>(&self, work: impl FnOnce() -> Result<T, LedgerError>) -> Result<T, LedgerError> {
        if !self.store.needs_flush() {
            return work();
        }
        std::thread::scope(|scope| {
            let flushing = scope.spawn(|| self.store.flush());
            let out = work();
            flushing.join().map_err(|_| StoreError::Io("the thread flushing the store panicked".into()))??;
            out
        })
    }

    /// Re-applies the block decided just before a crash, if its write did not reach the disk:
    /// its certificate is the one kept last, one height above the store's, and the block is
    /// in the pending table. Nothing to do after a clean stop.
    pub(crate) fn recover_decided(&self) -> Result<(), LedgerError> {
        let Some(commit) = self.store.decided_commit()? else { return Ok(()) };
        let head = self.head().0;
        if commit.height <= head {
            return Ok(());
        }
        // In the two cases below the store cannot be brought to the kept height here (a backup
        // restored beside a newer certificate, say): the node must catch up from peers before
        // it runs consensus ([`Ledger::unrecovered_decision`]).
        if commit.height > head + 1 {
            warn!(height = commit.height, store = head, "this node decided a height above its store's next");
            return Ok(());
        }
        let Some(block) = self.store.get_pending(commit.height, &commit.block_hash)? else {
            warn!(height = commit.height, "the block decided before the node stopped is not kept here");
            return Ok(());
        };
        verify_commit(&block.header, &commit, &self.validators()).map_err(|e| {
            StoreError::Corrupt(format!(
                "the kept certificate of block {} does not finalize it ({e}): the file {} is damaged or not this \
                 chain's; remove it only once the chain has moved past that height, and start the node with \
                 api.peers so that it catches up",
                commit.height,
                self.store.decided_path().display()
            ))
        })?;
        let executed = self
            .execute_checked(&block, Vec::new(), false)?
            .ok_or_else(|| LedgerError::InvalidBlock("the block to recover was already executed".into()))?;
        self.commit_executed(&executed, commit, true)?;
        info!(height = block.header.height, "recovered the block decided before the node stopped");
        Ok(())
    }
}
