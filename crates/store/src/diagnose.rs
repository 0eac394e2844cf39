//! Finding where a damaged store is damaged, for the message that tells the operator. Slow:
//! it reads and hashes every block and reads every state key from the trie, so it runs only on
//! a file that already failed redb's check or the start-up checks.

use redb::ReadableTable;

use crate::error::{OrDb, StoreError};
use crate::integrity::Damage;
use crate::tables::STATE_LATEST;
use crate::Store;

impl Store {
    /// The lowest damaged height, checking every block (transactions against `txs_root`, hash
    /// against the hash index and certificate, transaction index and receipts), then the latest
    /// state: the trie's root against the latest header, and every key of the latest-state
    /// table against the trie's value for it. (State damage is tied to the latest height: the
    /// trie keeps no older state to trace it further back. A store opened read-only without
    /// its trie, or with a trie not at its latest block, has its state left unchecked.) `None` when nothing logical is wrong, e.g. when
    /// redb's damage is in its own bookkeeping.
    pub fn find_damage(&self) -> Result<Option<Damage>, StoreError> {
        let Some(latest) = self.latest_height()? else { return Ok(None) };
        let mut last_header = None;
        for h in 1..=latest {
            match self.check_height(h) {
                Ok(checked) => last_header = Some(checked.block.header),
                Err(d) => return Ok(Some(d)),
            }
        }
        let Some(trie) = &self.trie else { return Ok(None) };
        if let Some(header) = &last_header {
            if let Err(why) = self.check_state_root(header) {
                // Opened read-only, the trie was not brought to the latest block (after a crash
                // it may be one ahead): its values cannot be compared, and say nothing.
                return Ok(match self.db {
                    crate::Handle::ReadOnly(_) => None,
                    crate::Handle::Writable(_) => Some(Damage::at(latest, why)),
                });
            }
        }
        let tx = self.read()?;
        let table = tx.open_table(STATE_LATEST).db()?;
        for row in table.iter().db()? {
            let (k, v) = row.db()?;
            if trie.value(k.value())?.as_deref() != Some(v.value()) {
                return Ok(Some(Damage::at(
                    latest,
                    "the latest-state table disagrees with the state trie (which matches the header)",
                )));
            }
        }
        Ok(None)
    }
}
