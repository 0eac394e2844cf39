use dojang_types::{decode, encode, Block, Commit, Hash, Receipt};
use redb::ReadableDatabase;

use crate::error::{OrDb, StoreError};
use crate::state::PreparedState;
use crate::tables::*;
use crate::Store;

fn corrupt(what: &str, e: impl std::fmt::Display) -> StoreError {
    StoreError::Corrupt(format!("{what}: {e}"))
}

fn pending_key(height: u64, hash: &Hash) -> [u8; 40] {
    let mut k = [0u8; 40];
    k[..8].copy_from_slice(&height.to_be_bytes());
    k[8..].copy_from_slice(&hash.0);
    k
}

impl Store {
    pub(crate) fn create_tables(&self) -> Result<(), StoreError> {
        let tx = self.db.begin_write().db()?;
        tx.open_table(META).db()?;
        tx.open_table(JMT_NODES).db()?;
        tx.open_table(JMT_VALUES).db()?;
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
        let tx = self.db.begin_read().db()?;
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
        let tx = self.db.begin_read().db()?;
        let meta = tx.open_table(META).db()?;
        match meta.get(META_GENESIS).db()? {
            Some(v) => Ok(Some(Hash(v.value().try_into().map_err(|e| corrupt("genesis hash", e))?))),
            None => Ok(None),
        }
    }

    /// Writes the genesis state as version 0. Refuses if the store already holds a chain.
    pub fn commit_genesis(&self, genesis_hash: Hash, state: &PreparedState) -> Result<(), StoreError> {
        if self.latest_height()?.is_some() {
            return Err(StoreError::OutOfOrder { expected: 0, got: 0 });
        }
        let tx = self.db.begin_write().db()?;
        Self::write_state(&tx, state)?;
        {
            let mut meta = tx.open_table(META).db()?;
            meta.insert(META_HEIGHT, 0u64.to_be_bytes().as_slice()).db()?;
            meta.insert(META_GENESIS, genesis_hash.0.as_slice()).db()?;
        }
        tx.commit().db()
    }

    /// Writes a decided block with its receipts, certificate and state changes in one
    /// transaction. Blocks must arrive in height order. With `durable`, the block is on disk
    /// when this returns (one fsync); without, it becomes durable with the next durable commit
    /// and a crash before that loses it whole (catch-up uses this and re-fetches).
    pub fn commit_block(
        &self,
        block: &Block,
        receipts: &[Receipt],
        commit: &Commit,
        state: &PreparedState,
        durable: bool,
    ) -> Result<(), StoreError> {
        let height = block.header.height;
        let expected = self.latest_height()?.map_or(0, |h| h + 1);
        if height != expected || state.version != height || receipts.len() != block.txs.len() {
            return Err(StoreError::OutOfOrder { expected, got: height });
        }
        let hash = block.hash();
        let started = std::time::Instant::now();
        let mut tx = self.db.begin_write().db()?;
        if !durable {
            tx.set_durability(redb::Durability::None).map_err(|e| StoreError::Db(e.to_string()))?;
        }
        Self::write_state(&tx, state)?;
        let state_done = started.elapsed();
        {
            tx.open_table(BLOCKS).db()?.insert(height, encode(block).as_slice()).db()?;
            tx.open_table(BLOCK_HASHES).db()?.insert(hash.0.as_slice(), height).db()?;
            tx.open_table(COMMITS).db()?.insert(height, encode(commit).as_slice()).db()?;
            tx.open_table(RECEIPTS).db()?.insert(height, encode(&receipts.to_vec()).as_slice()).db()?;
            let mut index = tx.open_table(TX_INDEX).db()?;
            // Receipts are one per transaction, in block order, and carry the ids.
            for r in receipts {
                let mut loc = [0u8; 12];
                loc[..8].copy_from_slice(&height.to_be_bytes());
                loc[8..].copy_from_slice(&r.index.to_be_bytes());
                index.insert(r.tx_id.0.as_slice(), loc.as_slice()).db()?;
            }
            let mut pending = tx.open_table(PENDING).db()?;
            let upto = pending_key(height, &Hash([0xff; 32]));
            pending.retain_in(..=upto.as_slice(), |_, _| false).db()?;
            tx.open_table(META).db()?.insert(META_HEIGHT, height.to_be_bytes().as_slice()).db()?;
        }
        let blocks_done = started.elapsed();
        tx.commit().db()?;
        tracing::debug!(
            height,
            state_ms = state_done.as_millis() as u64,
            block_ms = (blocks_done - state_done).as_millis() as u64,
            fsync_ms = (started.elapsed() - blocks_done).as_millis() as u64,
            nodes = state.batch.node_batch.nodes().len(),
            "store commit"
        );
        Ok(())
    }

    /// Keeps a proposed or received block durably until it is decided or superseded.
    pub fn put_pending(&self, block: &Block) -> Result<(), StoreError> {
        let tx = self.db.begin_write().db()?;
        tx.open_table(PENDING)
            .db()?
            .insert(pending_key(block.header.height, &block.hash()).as_slice(), encode(block).as_slice())
            .db()?;
        tx.commit().db()
    }

    pub fn get_pending(&self, height: u64, hash: &Hash) -> Result<Option<Block>, StoreError> {
        let tx = self.db.begin_read().db()?;
        let table = tx.open_table(PENDING).db()?;
        match table.get(pending_key(height, hash).as_slice()).db()? {
            Some(v) => Ok(Some(decode(v.value()).map_err(|e| corrupt("pending block", e))?)),
            None => Ok(None),
        }
    }

    /// The canonical encoding of a finalized block, as stored.
    pub fn block_bytes(&self, height: u64) -> Result<Option<Vec<u8>>, StoreError> {
        let tx = self.db.begin_read().db()?;
        let table = tx.open_table(BLOCKS).db()?;
        Ok(table.get(height).db()?.map(|v| v.value().to_vec()))
    }

    pub fn block(&self, height: u64) -> Result<Option<Block>, StoreError> {
        self.block_bytes(height)?.map(|b| decode(&b).map_err(|e| corrupt("block", e))).transpose()
    }

    pub fn height_of(&self, hash: &Hash) -> Result<Option<u64>, StoreError> {
        let tx = self.db.begin_read().db()?;
        let table = tx.open_table(BLOCK_HASHES).db()?;
        Ok(table.get(hash.0.as_slice()).db()?.map(|v| v.value()))
    }

    pub fn commit(&self, height: u64) -> Result<Option<Commit>, StoreError> {
        let tx = self.db.begin_read().db()?;
        let table = tx.open_table(COMMITS).db()?;
        table.get(height).db()?.map(|v| decode(v.value()).map_err(|e| corrupt("commit", e))).transpose()
    }

    pub fn receipts(&self, height: u64) -> Result<Option<Vec<Receipt>>, StoreError> {
        let tx = self.db.begin_read().db()?;
        let table = tx.open_table(RECEIPTS).db()?;
        table.get(height).db()?.map(|v| decode(v.value()).map_err(|e| corrupt("receipts", e))).transpose()
    }

    /// Where a committed transaction is: (height, index in block).
    pub fn tx_location(&self, id: &Hash) -> Result<Option<(u64, u32)>, StoreError> {
        let tx = self.db.begin_read().db()?;
        let table = tx.open_table(TX_INDEX).db()?;
        match table.get(id.0.as_slice()).db()? {
            Some(v) => {
                let b = v.value();
                if b.len() != 12 {
                    return Err(corrupt("tx index", "entry is not 12 bytes"));
                }
                let h = u64::from_be_bytes(b[..8].try_into().map_err(|e| corrupt("tx index", e))?);
                let i = u32::from_be_bytes(b[8..].try_into().map_err(|e| corrupt("tx index", e))?);
                Ok(Some((h, i)))
            }
            None => Ok(None),
        }
    }

    /// Which of these transaction ids are already committed (the replay guard), one read
    /// transaction for the lot.
    pub fn committed_among(&self, ids: &[Hash]) -> Result<Vec<bool>, StoreError> {
        let tx = self.db.begin_read().db()?;
        let table = tx.open_table(TX_INDEX).db()?;
        ids.iter().map(|id| Ok(table.get(id.0.as_slice()).db()?.is_some())).collect()
    }
}
