use dojang_types::{decode, encode, Evidence};
use redb::ReadableTable;

use crate::error::{OrDb, StoreError};
use crate::tables::EVIDENCE;
use crate::Store;

fn key(e: &Evidence) -> Vec<u8> {
    [&e.height.to_be_bytes()[..], &e.round.to_be_bytes(), &e.validator.0, &[e.kind as u8]].concat()
}

impl Store {
    /// Keeps equivocation evidence; the same offence reported twice is kept once. Returns how
    /// many records were new.
    pub fn put_evidence(&self, records: &[Evidence]) -> Result<usize, StoreError> {
        let tx = self.write()?;
        let mut new = 0;
        {
            let mut table = tx.open_table(EVIDENCE).db()?;
            for e in records {
                let k = key(e);
                if table.get(k.as_slice()).db()?.is_none() {
                    table.insert(k.as_slice(), encode(e).as_slice()).db()?;
                    new += 1;
                }
            }
        }
        tx.commit().db()?;
        Ok(new)
    }

    /// Evidence at or above `from_height`, oldest first, at most `limit` records.
    pub fn evidence(&self, from_height: u64, limit: usize) -> Result<Vec<Evidence>, StoreError> {
        let tx = self.read()?;
        let table = tx.open_table(EVIDENCE).db()?;
        let start = from_height.to_be_bytes();
        let mut out = Vec::new();
        for row in table.range(start.as_slice()..).db()?.take(limit) {
            let (_, v) = row.db()?;
            out.push(decode(v.value()).map_err(|e| StoreError::Corrupt(format!("evidence record: {e}")))?);
        }
        Ok(out)
    }
}
