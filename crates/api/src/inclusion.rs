//! The Merkle trees of recent blocks' transaction ids and receipt commitments, kept so that
//! `GET /v1/txs/{id}` costs a lookup per answer instead of rebuilding both trees of a block of
//! up to 20,000 transactions for every request.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};

use dojang_ledger::Ledger;
use dojang_types::{MerkleTree, ProofStep, Receipt};

use crate::problem::Problem;

/// A leaf's path to its root, or `None` when the block has no such leaf.
pub type LeafPath = Option<Vec<ProofStep>>;

/// Blocks whose trees are kept (about 2.6 MB each for a full block).
const KEPT: usize = 8;

struct Trees {
    height: u64,
    ids: MerkleTree,
    receipts: MerkleTree,
}

/// Recently used blocks' trees, most recent last.
#[derive(Default)]
pub struct InclusionCache {
    kept: Mutex<VecDeque<Arc<Trees>>>,
}

impl InclusionCache {
    fn trees(&self, ledger: &Ledger, height: u64) -> Result<Arc<Trees>, Problem> {
        let mut kept = self.kept.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(i) = kept.iter().position(|t| t.height == height) {
            let t = kept.remove(i).expect("position is in range");
            kept.push_back(t.clone());
            return Ok(t);
        }
        drop(kept);
        let receipts = ledger.store().receipts(height)?.unwrap_or_default();
        let ids: Vec<[u8; 32]> = receipts.iter().map(|r| r.tx_id.0).collect();
        let commitments: Vec<Vec<u8>> = receipts.iter().map(Receipt::commitment_bytes).collect();
        let trees = Arc::new(Trees { height, ids: MerkleTree::new(&ids), receipts: MerkleTree::new(&commitments) });
        let mut kept = self.kept.lock().unwrap_or_else(|p| p.into_inner());
        if !kept.iter().any(|t| t.height == height) {
            if kept.len() == KEPT {
                kept.pop_front();
            }
            kept.push_back(trees.clone());
        }
        Ok(trees)
    }

    /// The paths of transaction `index` of block `height`: its id into `txs_root` and its
    /// receipt's commitment into `receipts_root`.
    pub fn paths(&self, ledger: &Ledger, height: u64, index: usize) -> Result<(LeafPath, LeafPath), Problem> {
        let trees = self.trees(ledger, height)?;
        Ok((trees.ids.proof(index), trees.receipts.proof(index)))
    }
}
