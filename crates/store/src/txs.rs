//! The transaction index: where each committed transaction lies in its stored block, so that
//! it can be served without decoding the block's other transactions.

use dojang_types::{decode, Hash, Receipt, SignedTx};

use crate::blocks::{damaged_block, decode_receipts};
use crate::error::{OrDb, StoreError};
use crate::tables::{BLOCKS, RECEIPTS, TX_INDEX};
use crate::Store;

/// Where an item lies inside a stored value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Span {
    pub offset: u32,
    pub len: u32,
}

/// One `TX_INDEX` value. Stores written before spans were recorded hold only height and index
/// (12 bytes); those entries are still read, by decoding the whole block.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct TxEntry {
    pub height: u64,
    pub index: u32,
    /// The transaction's span in the stored block.
    pub tx: Option<Span>,
}

const OLD_LEN: usize = 12;
const LEN: usize = 20;

impl TxEntry {
    pub fn to_bytes(self) -> Vec<u8> {
        let mut out = Vec::with_capacity(LEN);
        out.extend_from_slice(&self.height.to_be_bytes());
        out.extend_from_slice(&self.index.to_be_bytes());
        if let Some(t) = self.tx {
            out.extend_from_slice(&t.offset.to_be_bytes());
            out.extend_from_slice(&t.len.to_be_bytes());
        }
        out
    }

    pub fn from_bytes(b: &[u8]) -> Result<Self, StoreError> {
        if b.len() != OLD_LEN && b.len() != LEN {
            return Err(StoreError::Corrupt(format!("tx index entry is {} bytes, not {OLD_LEN} or {LEN}", b.len())));
        }
        let u32_at = |i: usize| u32::from_be_bytes([b[i], b[i + 1], b[i + 2], b[i + 3]]);
        let height = u64::from_be_bytes([b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7]]);
        let tx = (b.len() == LEN).then(|| Span { offset: u32_at(12), len: u32_at(16) });
        Ok(TxEntry { height, index: u32_at(8), tx })
    }
}

/// A committed transaction with its receipt and place, each checked before it is returned.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CommittedTx {
    pub height: u64,
    pub index: u32,
    pub tx: SignedTx,
    pub receipt: Receipt,
}

pub(crate) fn span(bytes: &[u8], at: Span) -> Option<&[u8]> {
    let start = at.offset as usize;
    bytes.get(start..start.checked_add(at.len as usize)?)
}

impl Store {
    fn tx_entry(&self, id: &Hash) -> Result<Option<TxEntry>, StoreError> {
        let tx = self.read()?;
        let table = tx.open_table(TX_INDEX).db()?;
        let entry = table.get(id.0.as_slice()).db()?;
        entry.map(|v| TxEntry::from_bytes(v.value())).transpose()
    }

    /// A committed transaction and its receipt, read from where the index says they lie
    /// without decoding the block's other transactions. The transaction must hash to `id`; the
    /// receipt must name it and its place, and the block's receipts must give its header's
    /// `receipts_root` (no per-receipt proof is stored, so the block's receipt list is decoded
    /// and hashed; its header is decoded alone and checked against the hash index). Anything
    /// else is [`StoreError::Corrupt`] naming the height.
    pub fn committed_tx(&self, id: &Hash) -> Result<Option<CommittedTx>, StoreError> {
        let Some(entry) = self.tx_entry(id)? else { return Ok(None) };
        let (height, index) = (entry.height, entry.index);
        let (tx, receipts) = match entry.tx {
            Some(tx_span) => {
                let read = self.read()?;
                let tx = {
                    let blocks = read.open_table(BLOCKS).db()?;
                    let block = blocks.get(height).db()?.ok_or_else(|| damaged_block(height, "is missing"))?;
                    let tx_bytes =
                        span(block.value(), tx_span).ok_or_else(|| damaged_block(height, "is shorter than indexed"))?;
                    decode::<SignedTx>(tx_bytes)
                        .map_err(|e| damaged_block(height, format!("transaction {index} does not decode: {e}")))?
                };
                Self::check_tx_id(&tx, id, height, index)?;
                let header = Self::checked_header(&read, height)?.ok_or_else(|| damaged_block(height, "is missing"))?;
                let stored = read.open_table(RECEIPTS).db()?;
                let stored = stored.get(height).db()?.ok_or_else(|| damaged_block(height, "has no receipts"))?;
                (tx, decode_receipts(&header, stored.value())?)
            }
            None => {
                let block = self.block(height)?.ok_or_else(|| damaged_block(height, "is missing"))?;
                let tx = block.txs.into_iter().nth(index as usize);
                let tx = tx.ok_or_else(|| damaged_block(height, format!("has no transaction {index}")))?;
                Self::check_tx_id(&tx, id, height, index)?;
                (tx, self.receipts(height)?.ok_or_else(|| damaged_block(height, "has no receipts"))?)
            }
        };
        let receipt = receipts.into_iter().nth(index as usize);
        let receipt = receipt.ok_or_else(|| damaged_block(height, format!("has no receipt {index}")))?;
        if receipt.tx_id != *id || receipt.height != height || receipt.index != index {
            return Err(damaged_block(height, format!("receipt {index} is not the receipt of {id}")));
        }
        Ok(Some(CommittedTx { height, index, tx, receipt }))
    }

    fn check_tx_id(tx: &SignedTx, id: &Hash, height: u64, index: u32) -> Result<(), StoreError> {
        if tx.id() != *id {
            return Err(damaged_block(height, format!("transaction {index} is not {id}")));
        }
        Ok(())
    }

    /// Which of these transaction ids are already committed (the replay guard), one read
    /// transaction for the lot.
    pub fn committed_among(&self, ids: &[Hash]) -> Result<Vec<bool>, StoreError> {
        let tx = self.read()?;
        let table = tx.open_table(TX_INDEX).db()?;
        ids.iter().map(|id| Ok(table.get(id.0.as_slice()).db()?.is_some())).collect()
    }
}
