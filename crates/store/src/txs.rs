//! The transaction index: where each committed transaction and its receipt lie, so that one
//! of them can be served without decoding the block it is in.

use dojang_types::{decode, Hash, Receipt, SignedTx};

use crate::blocks::damaged_block;
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
    /// The transaction's span in the stored block and the receipt's in the stored receipts.
    pub tx: Option<(Span, Span)>,
}

const OLD_LEN: usize = 12;
const LEN: usize = 28;

impl TxEntry {
    pub fn to_bytes(self) -> Vec<u8> {
        let mut out = Vec::with_capacity(LEN);
        out.extend_from_slice(&self.height.to_be_bytes());
        out.extend_from_slice(&self.index.to_be_bytes());
        if let Some((t, r)) = self.tx {
            for n in [t.offset, t.len, r.offset, r.len] {
                out.extend_from_slice(&n.to_be_bytes());
            }
        }
        out
    }

    pub fn from_bytes(b: &[u8]) -> Result<Self, StoreError> {
        if b.len() != OLD_LEN && b.len() != LEN {
            return Err(StoreError::Corrupt(format!("tx index entry is {} bytes, not {OLD_LEN} or {LEN}", b.len())));
        }
        let u32_at = |i: usize| u32::from_be_bytes([b[i], b[i + 1], b[i + 2], b[i + 3]]);
        let height = u64::from_be_bytes([b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7]]);
        let tx = (b.len() == LEN)
            .then(|| (Span { offset: u32_at(12), len: u32_at(16) }, Span { offset: u32_at(20), len: u32_at(24) }));
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
    /// Where a committed transaction is: (height, index in block).
    pub fn tx_location(&self, id: &Hash) -> Result<Option<(u64, u32)>, StoreError> {
        Ok(self.tx_entry(id)?.map(|e| (e.height, e.index)))
    }

    fn tx_entry(&self, id: &Hash) -> Result<Option<TxEntry>, StoreError> {
        let tx = self.read()?;
        let table = tx.open_table(TX_INDEX).db()?;
        let entry = table.get(id.0.as_slice()).db()?;
        entry.map(|v| TxEntry::from_bytes(v.value())).transpose()
    }

    /// A committed transaction and its receipt, read from where the index says they lie
    /// without decoding the rest of the block. The transaction must hash to `id` and the
    /// receipt must name it and its place, or this is [`StoreError::Corrupt`] naming the height.
    pub fn committed_tx(&self, id: &Hash) -> Result<Option<CommittedTx>, StoreError> {
        let Some(entry) = self.tx_entry(id)? else { return Ok(None) };
        let (height, index) = (entry.height, entry.index);
        let (tx, receipt) = match entry.tx {
            Some((tx_span, receipt_span)) => {
                let read = self.read()?;
                let blocks = read.open_table(BLOCKS).db()?;
                let block = blocks.get(height).db()?.ok_or_else(|| damaged_block(height, "is missing"))?;
                let tx_bytes =
                    span(block.value(), tx_span).ok_or_else(|| damaged_block(height, "is shorter than indexed"))?;
                let tx: SignedTx = decode(tx_bytes)
                    .map_err(|e| damaged_block(height, format!("transaction {index} does not decode: {e}")))?;
                let receipts = read.open_table(RECEIPTS).db()?;
                let stored = receipts.get(height).db()?.ok_or_else(|| damaged_block(height, "has no receipts"))?;
                let receipt_bytes = span(stored.value(), receipt_span)
                    .ok_or_else(|| damaged_block(height, "receipts are shorter than indexed"))?;
                let receipt: Receipt = decode(receipt_bytes)
                    .map_err(|e| damaged_block(height, format!("receipt {index} does not decode: {e}")))?;
                (tx, receipt)
            }
            None => {
                let block = self.block(height)?.ok_or_else(|| damaged_block(height, "is missing"))?;
                let tx = block.txs.into_iter().nth(index as usize);
                let receipt = self.receipts(height)?.and_then(|r| r.into_iter().nth(index as usize));
                match (tx, receipt) {
                    (Some(t), Some(r)) => (t, r),
                    _ => return Err(damaged_block(height, format!("has no transaction {index} with a receipt"))),
                }
            }
        };
        if tx.id() != *id {
            return Err(damaged_block(height, format!("transaction {index} is not {id}")));
        }
        if receipt.tx_id != *id || receipt.height != height || receipt.index != index {
            return Err(damaged_block(height, format!("receipt {index} is not the receipt of {id}")));
        }
        Ok(Some(CommittedTx { height, index, tx, receipt }))
    }

    /// Which of these transaction ids are already committed (the replay guard), one read
    /// transaction for the lot.
    pub fn committed_among(&self, ids: &[Hash]) -> Result<Vec<bool>, StoreError> {
        let tx = self.read()?;
        let table = tx.open_table(TX_INDEX).db()?;
        ids.iter().map(|id| Ok(table.get(id.0.as_slice()).db()?.is_some())).collect()
    }
}
