//! Catching up from blocks other nodes finalized. Each block is accepted only with a commit
//! certificate signed by more than two thirds of the validator set this node itself derived
//! for that height, and only after re-executing it gives the same header; so a node may fetch
//! blocks from any peer, trusted or not.

use dojang_crypto::verify_commit;
use dojang_types::{decode, Block, Commit, Evidence};

use crate::error::LedgerError;
use crate::ledger::Ledger;

impl Ledger {
    /// Applies finalized blocks in height order, starting at the next height. Blocks at or
    /// below the head are skipped. Only the last block of the batch is written with an fsync:
    /// a crash in between loses the unsynced tail, never the store's consistency, and the node
    /// fetches it again. Returns how many blocks were applied.
    pub fn apply_decided(&self, batch: &[(Vec<u8>, Commit)]) -> Result<usize, LedgerError> {
        let mut applied = 0;
        for (i, (bytes, commit)) in batch.iter().enumerate() {
            let block: Block = decode(bytes)
                .map_err(|e| LedgerError::InvalidBlock(format!("a fetched block does not decode: {e}")))?;
            let next = self.head().0 + 1;
            let height = block.header.height;
            if height < next {
                continue;
            }
            if height > next {
                return Err(LedgerError::InvalidBlock(format!(
                    "fetched block {height} does not follow height {}",
                    next - 1
                )));
            }
            verify_commit(&block.header, commit, &self.validators())
                .map_err(|e| LedgerError::InvalidBlock(format!("block {height}: {e}")))?;
            let executed = self.execute_checked(&block)?.ok_or_else(|| {
                LedgerError::InvalidBlock(format!("block {height} was already executed here; it is being decided live"))
            })?;
            let durable = i + 1 == batch.len();
            self.commit_executed(&executed, commit.clone(), durable)?;
            applied += 1;
        }
        Ok(applied)
    }

    /// Equivocation evidence at or above `from_height`, oldest first.
    pub fn evidence(&self, from_height: u64, limit: usize) -> Result<Vec<Evidence>, LedgerError> {
        Ok(self.store.evidence(from_height, limit)?)
    }
}
