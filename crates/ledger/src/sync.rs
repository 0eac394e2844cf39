//! Catching up from blocks other nodes finalized. Each block is accepted only with a commit
//! certificate signed by more than two thirds of the validator set this node itself derived
//! for that height, and only after re-executing it gives the same header; so a node may fetch
//! blocks from any peer, trusted or not.

use std::sync::mpsc::sync_channel;

use dojang_crypto::{verify_commit, verify_txs};
use dojang_types::{decode, Block, Commit, Evidence, SignedTx};

use crate::error::LedgerError;
use crate::execute::Known;
use crate::ledger::{CommittedBlock, Ledger};
use crate::module::Permit;
use crate::router::Router;

impl Ledger {
    /// Applies finalized blocks in height order, starting at the next height. Blocks at or
    /// below the head are skipped. Returns how many blocks were applied.
    ///
    /// The blocks are certified, state root and all, so each one's root is not computed here:
    /// the store writes them as a catch-up segment and moves the state trie once for the
    /// whole segment, checking its root against the last header (issue 20). A segment ends
    /// at the batch's end, at a block that changes the validator set (its proof is kept at
    /// that height) and every [`dojang_store::MAX_SEGMENT_BLOCKS`]. Waiters and subscribers
    /// hear of a block once its segment holds; a segment whose root does not match is undone
    /// whole, and the head goes back with it.
    ///
    /// A block's signatures and messages need no state, so another thread decodes and checks
    /// the next blocks while one executes: on two cores the checks leave the execution's path
    /// (issue 20). Every signature is still checked, and a block whose check failed is judged
    /// by execution itself, which refuses it with the failing transaction named. The checks
    /// run before a block's certificate is verified, so a peer sending a forged certificate
    /// costs at most the checks of the two or three blocks in flight (a batch is bounded by
    /// the catch-up's byte cap) before it is refused.
    pub fn apply_decided(&self, batch: &[(Vec<u8>, Commit)]) -> Result<usize, LedgerError> {
        let mut held = Vec::new();
        let applied = self.apply_segments(batch, &mut held);
        // Whatever stopped the batch, the blocks written so far are checked and kept, or
        // undone together.
        let finished = self.store.finish_segment();
        let stored = self.store.latest_height()?.unwrap_or(0);
        if self.head().0 != stored {
            self.reload_head()?;
        }
        for committed in held {
            if committed.block.header.height <= stored {
                self.after_commit(committed);
            }
        }
        let applied = applied?;
        finished?;
        Ok(applied)
    }

    /// [`Ledger::apply_decided`]'s loop; blocks of a segment still open are left in `held`.
    fn apply_segments(
        &self,
        batch: &[(Vec<u8>, Commit)],
        held: &mut Vec<CommittedBlock>,
    ) -> Result<usize, LedgerError> {
        std::thread::scope(|scope| {
            // One block checked ahead while one waits: enough to keep execution fed, and a
            // bad batch costs at most two blocks' checks.
            let (ahead, checked) = sync_channel::<Result<(Block, Vec<Option<Known>>), LedgerError>>(1);
            let router = &self.router;
            scope.spawn(move || {
                for (bytes, _) in batch {
                    let next = decode::<Block>(bytes)
                        .map_err(|e| LedgerError::InvalidBlock(format!("a fetched block does not decode: {e}")))
                        .map(|block| {
                            let known = check_ahead(router, &block.txs);
                            (block, known)
                        });
                    let stop = next.is_err();
                    if ahead.send(next).is_err() || stop {
                        break;
                    }
                }
            });
            let mut applied = 0;
            for (_, commit) in batch {
                let (block, known) = checked.recv().map_err(|_| {
                    LedgerError::InvalidBlock("the block checks stopped before the batch's end".into())
                })??;
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
                let executed = self.execute_checked(&block, known, true)?.ok_or_else(|| {
                    LedgerError::InvalidBlock(format!(
                        "block {height} was already executed here; it is being decided live"
                    ))
                })?;
                held.push(self.write_executed(&executed, commit.clone(), false)?);
                if !self.store.segment_open() {
                    // The store ended the segment at this block, and it held.
                    for committed in held.drain(..) {
                        self.after_commit(committed);
                    }
                }
                applied += 1;
            }
            Ok(applied)
        })
    }

    /// Equivocation evidence at or above `from_height`, oldest first.
    pub fn evidence(&self, from_height: u64, limit: usize) -> Result<Vec<Evidence>, LedgerError> {
        Ok(self.store.evidence(from_height, limit)?)
    }
}

/// What can be known of a block's transactions without state: each signature (in batches)
/// and each message's check and decoding. A transaction that fails either is left unknown, so
/// execution checks it again and refuses the block with its reason.
fn check_ahead(router: &Router, txs: &[SignedTx]) -> Vec<Option<Known>> {
    let refs: Vec<&SignedTx> = txs.iter().collect();
    let signed = verify_txs(&refs);
    let items: Vec<(&SignedTx, Option<Permit>)> = txs.iter().map(|tx| (tx, None)).collect();
    signed
        .into_iter()
        .zip(router.prepare_many(&items))
        .map(|(ok, prepared)| match (ok, prepared) {
            (true, Ok((_, permit, prepared))) => Some((permit, prepared)),
            _ => None,
        })
        .collect()
}
