use std::sync::atomic::Ordering;

use borsh::{BorshDeserialize, BorshSerialize};
use dojang_types::{decode, encode, merkle_root, Block, BlockHeader, Commit, Hash, Receipt};
use redb::ReadTransaction;

use crate::error::{OrDb, StoreError};
use crate::state::{PreparedState, StateProof};
use crate::tables::*;
use crate::txs::{Span, TxEntry};
use crate::Store;

/// Blocks written without an fsync before one is made durable regardless: half the blocks
/// the state trie can be rolled back by, so that after a crash redb is always within reach.
const MAX_UNFLUSHED: u32 = crate::ROLLBACK_BLOCKS / 2;

fn corrupt(what: &str, e: impl std::fmt::Display) -> StoreError {
    StoreError::Corrupt(format!("{what}: {e}"))
}

/// The error for a stored block that fails its checks; names the height for the operator.
pub(crate) fn damaged_block(height: u64, why: impl std::fmt::Display) -> StoreError {
    StoreError::Corrupt(format!("block {height}: {why}"))
}

/// Decodes stored block bytes and checks them against what the header commits to.
pub(crate) fn check_block(height: u64, bytes: &[u8]) -> Result<Block, StoreError> {
    let block: Block = decode(bytes).map_err(|e| damaged_block(height, format!("does not decode: {e}")))?;
    if block.header.height != height {
        return Err(damaged_block(height, format!("the stored header says height {}", block.header.height)));
    }
    if Block::compute_txs_root(&block.txs) != block.header.txs_root {
        return Err(damaged_block(height, "its transactions do not match the header's txs_root"));
    }
    Ok(block)
}

/// Checks a block's receipts against what its header commits to: the receipts root is the Merkle
/// root over each receipt's [`Receipt::commitment_bytes`], in block order.
pub(crate) fn check_receipts(header: &BlockHeader, receipts: &[Receipt]) -> Result<(), StoreError> {
    let leaves: Vec<Vec<u8>> = receipts.iter().map(Receipt::commitment_bytes).collect();
    if merkle_root(&leaves) != header.receipts_root {
        return Err(damaged_block(header.height, "its receipts do not match the header's receipts_root"));
    }
    Ok(())
}

/// Decodes stored receipt bytes and checks them against the header.
pub(crate) fn decode_receipts(header: &BlockHeader, bytes: &[u8]) -> Result<Vec<Receipt>, StoreError> {
    let receipts: Vec<Receipt> =
        decode(bytes).map_err(|e| damaged_block(header.height, format!("its receipts do not decode: {e}")))?;
    check_receipts(header, &receipts)?;
    Ok(receipts)
}

/// Borsh-encodes `prefix || u32 count || items` (the encoding of a struct ending in a `Vec`) and
/// returns where each item lies in the result.
fn encode_list<T: BorshSerialize>(prefix: &[u8], items: &[T]) -> Result<(Vec<u8>, Vec<Span>), StoreError> {
    let too_large = || StoreError::Db("a block's encoding exceeds 4 GiB".into());
    let mut out = prefix.to_vec();
    out.extend_from_slice(&u32::try_from(items.len()).map_err(|_| too_large())?.to_le_bytes());
    let mut spans = Vec::with_capacity(items.len());
    for item in items {
        let start = out.len();
        item.serialize(&mut out).map_err(|e| StoreError::Db(e.to_string()))?;
        let offset = u32::try_from(start).map_err(|_| too_large())?;
        let len = u32::try_from(out.len() - start).map_err(|_| too_large())?;
        spans.push(Span { offset, len });
    }
    Ok((out, spans))
}

fn pending_key(height: u64, hash: &Hash) -> [u8; 40] {
    let mut k = [0u8; 40];
    k[..8].copy_from_slice(&height.to_be_bytes());
    k[8..].copy_from_slice(&hash.0);
    k
}

impl Store {
    pub(crate) fn create_tables(&self) -> Result<(), StoreError> {
        let tx = self.write()?;
        tx.open_table(META).db()?;
        tx.open_table(KEPT_PROOFS).db()?;
        tx.open_table(STATE_LATEST).db()?;
        tx.open_table(BLOCKS).db()?;
        tx.open_table(BLOCK_HASHES).db()?;
        tx.open_table(COMMITS).db()?;
        tx.open_table(RECEIPTS).db()?;
        tx.open_table(TX_INDEX).db()?;
        tx.open_table(PENDING).db()?;
        tx.open_table(EVIDENCE).db()?;
        tx.commit().db()
    }

    /// Height of the last finalized block; 0 after genesis; `None` before genesis.
    pub fn latest_height(&self) -> Result<Option<u64>, StoreError> {
        let tx = self.read()?;
        let meta = tx.open_table(META).db()?;
        match meta.get(META_HEIGHT).db()? {
            Some(v) => {
                let arr: [u8; 8] = v.value().try_into().map_err(|e| corrupt("height", e))?;
                Ok(Some(u64::from_be_bytes(arr)))
            }
            None => Ok(None),
        }
    }

    pub fn genesis_hash(&self) -> Result<Option<Hash>, StoreError> {
        let tx = self.read()?;
        let meta = tx.open_table(META).db()?;
        match meta.get(META_GENESIS).db()? {
            Some(v) => Ok(Some(Hash(v.value().try_into().map_err(|e| corrupt("genesis hash", e))?))),
            None => Ok(None),
        }
    }

    /// Writes the genesis state as version 0. Refuses if the store already holds a chain.
    pub fn commit_genesis(&self, genesis_hash: Hash, state: &PreparedState) -> Result<(), StoreError> {
        if self.latest_height()?.is_some() || state.version != 0 {
            return Err(StoreError::OutOfOrder { expected: 0, got: state.version });
        }
        let _held = self.state_lock.write().map_err(|_| StoreError::Db("the state lock is poisoned".into()))?;
        let kept = self.commit_trie(state)?;
        let tx = self.write()?;
        Self::write_state(&tx, state, &kept)?;
        {
            let mut meta = tx.open_table(META).db()?;
            meta.insert(META_HEIGHT, 0u64.to_be_bytes().as_slice()).db()?;
            meta.insert(META_GENESIS, genesis_hash.0.as_slice()).db()?;
            meta.insert(META_GENESIS_ROOT, state.root.0.as_slice()).db()?;
        }
        tx.commit().db()
    }

    /// Writes a decided block with its receipts, certificate and state changes in one
    /// transaction. Blocks must arrive in height order. With `durable`, the block is on disk
    /// when this returns (one fsync); without, it becomes durable with the next durable commit
    /// ([`Store::flush`]) and a crash before that loses it whole: catch-up fetches it again,
    /// and a block decided live is recovered from its kept certificate
    /// ([`Store::keep_decided`]) and its pending copy.
    pub fn commit_block(
        &self,
        block: &Block,
        receipts: &[Receipt],
        commit: &Commit,
        state: &PreparedState,
        durable: bool,
    ) -> Result<(), StoreError> {
        let started = std::time::Instant::now();
        // The trie first (durable), then redb: a crash between leaves the trie ahead, which
        // opening the store rolls back. Proofs read under this lock see both at the same block.
        let _held = self.state_lock.write().map_err(|_| StoreError::Db("the state lock is poisoned".into()))?;
        let height = block.header.height;
        let expected = self.latest_height()?.map_or(0, |h| h + 1);
        if height != expected || state.version != height || receipts.len() != block.txs.len() {
            return Err(StoreError::OutOfOrder { expected, got: height });
        }
        if state.deferred {
            return self.commit_deferred(block, receipts, commit, state);
        }
        // A block whose root was computed on the trie: any catch-up segment was finished
        // before (`prepare_state`), or the trie refuses the commit.
        self.finish_segment_locked()?;
        let kept = self.commit_trie(state)?;
        let trie_done = started.elapsed();
        // The trie can be rolled back only so far: past half its log, the block is durable.
        let durable = durable || self.unflushed.load(Ordering::Acquire) + 1 >= MAX_UNFLUSHED;
        match self.write_block(block, receipts, commit, state, &kept, durable) {
            Ok(timing) => {
                if durable {
                    // Every block committed before this one is on disk with it; commits are
                    // serialized by the state lock.
                    self.unflushed.store(0, Ordering::Release);
                }
                tracing::debug!(
                    height,
                    trie_ms = trie_done.as_millis() as u64,
                    state_ms = timing.0.as_millis() as u64,
                    block_ms = timing.1.saturating_sub(timing.0).as_millis() as u64,
                    commit_ms = started.elapsed().saturating_sub(trie_done + timing.1).as_millis() as u64,
                    durable,
                    keys = state.changed_keys(),
                    "store commit"
                );
                Ok(())
            }
            Err(e) => {
                // redb did not take the block: the trie goes back with it, so that the two
                // stores never disagree while the node runs.
                self.trie()?.roll_back_one().map_err(|r| {
                    StoreError::Tree(format!(
                        "block {height} could not be written ({e}) and the state trie could not be rolled back \
                         ({r}); stop the node: opening the store again brings the trie back"
                    ))
                })?;
                Err(e)
            }
        }
    }

    /// The redb side of [`Store::commit_block`]; returns when the state and the block were
    /// written, counted from the start of this write (the trie's commit came before it).
    pub(crate) fn write_block(
        &self,
        block: &Block,
        receipts: &[Receipt],
        commit: &Commit,
        state: &PreparedState,
        kept: &[StateProof],
        durable: bool,
    ) -> Result<(std::time::Duration, std::time::Duration), StoreError> {
        let started = std::time::Instant::now();
        let height = block.header.height;
        let hash = block.hash();
        let mut tx = self.write()?;
        if !durable {
            tx.set_durability(redb::Durability::None).map_err(|e| StoreError::Db(e.to_string()))?;
            // Counted before the commit, cleared only by a flush or a durable commit.
            self.unflushed.fetch_add(1, Ordering::AcqRel);
        }
        Self::write_state(&tx, state, kept)?;
        let state_done = started.elapsed();
        {
            // Encoded transaction by transaction so that the index can say where each one lies in
            // the stored bytes; the result is exactly `encode(block)`.
            let (block_bytes, tx_spans) = encode_list(&encode(&block.header), &block.txs)?;
            tx.open_table(BLOCKS).db()?.insert(height, block_bytes.as_slice()).db()?;
            tx.open_table(BLOCK_HASHES).db()?.insert(hash.0.as_slice(), height).db()?;
            tx.open_table(COMMITS).db()?.insert(height, encode(commit).as_slice()).db()?;
            tx.open_table(RECEIPTS).db()?.insert(height, encode(&receipts.to_vec()).as_slice()).db()?;
            let mut index = tx.open_table(TX_INDEX).db()?;
            // Receipts are one per transaction, in block order, and carry the ids.
            for (r, tx_span) in receipts.iter().zip(tx_spans) {
                let entry = TxEntry { height, index: r.index, tx: Some(tx_span) };
                index.insert(r.tx_id.0.as_slice(), entry.to_bytes().as_slice()).db()?;
            }
            let mut pending = tx.open_table(PENDING).db()?;
            let upto = pending_key(height, &Hash([0xff; 32]));
            pending.retain_in(..=upto.as_slice(), |_, _| false).db()?;
            tx.open_table(META).db()?.insert(META_HEIGHT, height.to_be_bytes().as_slice()).db()?;
        }
        let blocks_done = started.elapsed();
        tx.commit().db()?;
        if durable {
            self.commits.record(started.elapsed() - blocks_done);
        }
        Ok((state_done, blocks_done))
    }

    /// Keeps a proposed or received block durably until it is decided or superseded.
    pub fn put_pending(&self, block: &Block) -> Result<(), StoreError> {
        let tx = self.write()?;
        tx.open_table(PENDING)
            .db()?
            .insert(pending_key(block.header.height, &block.hash()).as_slice(), encode(block).as_slice())
            .db()?;
        tx.commit().db()
    }

    pub fn get_pending(&self, height: u64, hash: &Hash) -> Result<Option<Block>, StoreError> {
        let tx = self.read()?;
        let table = tx.open_table(PENDING).db()?;
        let Some(v) = table.get(pending_key(height, hash).as_slice()).db()? else { return Ok(None) };
        let block: Block = decode(v.value()).map_err(|e| corrupt("pending block", e))?;
        let ids_match = Block::compute_txs_root(&block.txs) == block.header.txs_root;
        if block.hash() != *hash || block.header.height != height || !ids_match {
            return Err(corrupt("pending block", format!("the block kept for height {height} is not {hash}")));
        }
        Ok(Some(block))
    }

    /// The canonical encoding of a finalized block, as stored, after checking it against the
    /// chain's commitments (see [`Store::block`]): a damaged block is never handed out.
    pub fn block_bytes(&self, height: u64) -> Result<Option<Vec<u8>>, StoreError> {
        Ok(self.checked_block(height)?.map(|(_, bytes)| bytes))
    }

    /// A finalized block, checked before it is returned: its transactions must give the
    /// header's `txs_root`, and the header's hash must be the one indexed for this height. The
    /// block hash covers only the header, so both checks are needed. A block that fails is
    /// [`StoreError::Corrupt`] naming the height, so that no caller serves or syncs it.
    pub fn block(&self, height: u64) -> Result<Option<Block>, StoreError> {
        Ok(self.checked_block(height)?.map(|(block, _)| block))
    }

    pub(crate) fn checked_block(&self, height: u64) -> Result<Option<(Block, Vec<u8>)>, StoreError> {
        let tx = self.read()?;
        let Some(bytes) = tx.open_table(BLOCKS).db()?.get(height).db()?.map(|v| v.value().to_vec()) else {
            return Ok(None);
        };
        let block = check_block(height, &bytes)?;
        let indexed = tx.open_table(BLOCK_HASHES).db()?.get(block.hash().0.as_slice()).db()?.map(|v| v.value());
        if indexed != Some(height) {
            return Err(damaged_block(height, "its header hash is not the one indexed for this height"));
        }
        Ok(Some((block, bytes)))
    }

    /// The header of the block stored at `height`, decoded from the front of the stored block
    /// (its encoding starts with the header) and checked: its hash must be the one indexed for
    /// this height. The transactions are not decoded.
    pub(crate) fn checked_header(tx: &ReadTransaction, height: u64) -> Result<Option<BlockHeader>, StoreError> {
        let blocks = tx.open_table(BLOCKS).db()?;
        let Some(stored) = blocks.get(height).db()? else { return Ok(None) };
        let header = BlockHeader::deserialize(&mut stored.value())
            .map_err(|e| damaged_block(height, format!("its header does not decode: {e}")))?;
        let indexed = tx.open_table(BLOCK_HASHES).db()?.get(header.hash().0.as_slice()).db()?.map(|v| v.value());
        if header.height != height || indexed != Some(height) {
            return Err(damaged_block(height, "its header hash is not the one indexed for this height"));
        }
        Ok(Some(header))
    }

    pub fn height_of(&self, hash: &Hash) -> Result<Option<u64>, StoreError> {
        let tx = self.read()?;
        let table = tx.open_table(BLOCK_HASHES).db()?;
        Ok(table.get(hash.0.as_slice()).db()?.map(|v| v.value()))
    }

    /// The certificate of the block at `height`, checked to name that height and the block whose
    /// hash is indexed for it (the one [`Store::block`] serves), or [`StoreError::Corrupt`]
    /// naming the height. The signatures need the validator set, which the ledger checks.
    pub fn commit(&self, height: u64) -> Result<Option<Commit>, StoreError> {
        let tx = self.read()?;
        let table = tx.open_table(COMMITS).db()?;
        let Some(stored) = table.get(height).db()? else { return Ok(None) };
        let commit: Commit = decode(stored.value())
            .map_err(|e| damaged_block(height, format!("its certificate does not decode: {e}")))?;
        let named = tx.open_table(BLOCK_HASHES).db()?.get(commit.block_hash.0.as_slice()).db()?.map(|v| v.value());
        if commit.height != height || named != Some(height) {
            return Err(damaged_block(height, "its certificate is for another block"));
        }
        Ok(Some(commit))
    }

    /// The receipts of the block at `height`, checked against its header's `receipts_root`
    /// (and the header against the hash index), or [`StoreError::Corrupt`] naming the height.
    pub fn receipts(&self, height: u64) -> Result<Option<Vec<Receipt>>, StoreError> {
        let tx = self.read()?;
        let table = tx.open_table(RECEIPTS).db()?;
        let Some(stored) = table.get(height).db()? else { return Ok(None) };
        let header =
            Self::checked_header(&tx, height)?.ok_or_else(|| damaged_block(height, "has receipts but no block"))?;
        decode_receipts(&header, stored.value()).map(Some)
    }
}
