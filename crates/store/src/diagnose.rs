//! Finding where a damaged store is damaged, for the message that tells the operator. Slow:
//! it reads and hashes every block and proves every state key, so it runs only on a file that
//! already failed redb's check or the start-up checks.

use dojang_types::Hash;
use redb::ReadableTable;

use crate::error::{OrDb, StoreError};
use crate::integrity::Damage;
use crate::tables::STATE_LATEST;
use crate::Store;

impl Store {
    /// The lowest damaged height, checking every block (transactions against `txs_root`, hash
    /// against the hash index and certificate, transaction index and receipts, state root)
    /// and every key of the latest state (proven through the tree against the headers' state
    /// roots; a key that fails is traced back to the first height whose proof fails). `None`
    /// when nothing logical is wrong, e.g. when redb's damage is in its own bookkeeping.
    pub fn find_damage(&self) -> Result<Option<Damage>, StoreError> {
        let Some(latest) = self.latest_height()? else { return Ok(None) };
        let mut roots: Vec<Hash> = Vec::new();
        let mut found = None;
        for h in 1..=latest {
            match self.check_height(h) {
                Ok(checked) => roots.push(checked.block.header.state_root),
                Err(d) => {
                    found = Some(d);
                    break;
                }
            }
        }
        // roots[v - 1] is the header's state root at version v, for every intact height.
        let limit = roots.len() as u64;
        if limit == 0 {
            return Ok(found);
        }
        let root_at = |v: u64| roots[(v - 1) as usize];
        let tx = self.read()?;
        let table = tx.open_table(STATE_LATEST).db()?;
        let mut state_damage: Option<Damage> = None;
        for row in table.iter().db()? {
            let (k, v) = row.db()?;
            let key = k.value();
            let damaged_at = match self.proven_value(key, limit, &root_at(limit)) {
                Ok(value) if limit == latest && value.as_deref() != Some(v.value()) => Some(Damage::at(
                    latest,
                    "the latest-state table disagrees with the state tree (which matches the header)",
                )),
                Ok(_) => None,
                Err(why) => {
                    let first = self.first_failing_version(key, limit, &root_at);
                    Some(Damage::at(first, format!("the state tree does not prove a key against the header: {why}")))
                }
            };
            if let Some(d) = damaged_at {
                if state_damage.as_ref().is_none_or(|s| d.height < s.height) {
                    state_damage = Some(d);
                }
            }
        }
        Ok(match (found, state_damage) {
            (Some(b), Some(s)) if s.height < b.height => Some(s),
            (Some(b), _) => Some(b),
            (None, s) => s,
        })
    }

    /// The first version at which the proof of `key` fails; the damaged node or value was
    /// written at that height (it stays on the key's path from then on).
    fn first_failing_version(&self, key: &[u8], fails_at: u64, root_at: &dyn Fn(u64) -> Hash) -> u64 {
        let (mut lo, mut hi) = (1, fails_at);
        while lo < hi {
            let mid = lo + (hi - lo) / 2;
            if self.proven_value(key, mid, &root_at(mid)).is_err() {
                hi = mid;
            } else {
                lo = mid + 1;
            }
        }
        lo
    }
}
