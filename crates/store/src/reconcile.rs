//! Bringing the state trie to redb's latest block when the store opens. The trie commits a
//! block first and redb second, and redb may lose blocks written without an fsync, so after a
//! crash the trie can be ahead; a restored backup (redb alone) or a lost trie directory leaves
//! it behind or missing. Either way the latest-state table in redb is the truth, and the
//! header's state root checks whatever the trie becomes.

use redb::ReadableTable;
use tracing::{info, warn};

use crate::error::{OrDb, StoreError};
use crate::tables::{META, META_GENESIS_ROOT, STATE_LATEST};
use crate::trie::{Trie, ROLLBACK_BLOCKS};
use crate::{Store, TrieOpened};

/// What the trie must give: the root of the latest block, or of genesis.
enum Expected {
    /// No chain yet: the trie must be empty.
    Empty,
    Root {
        height: u64,
        root: dojang_types::Hash,
    },
    /// The latest header (or the genesis root) does not read back: the latest-block checks
    /// report it, and the trie is left as it is.
    Unknown,
}

impl Store {
    fn expected_root(&self) -> Result<Expected, StoreError> {
        let Some(height) = self.latest_height()? else { return Ok(Expected::Empty) };
        let tx = self.read()?;
        if height == 0 {
            let meta = tx.open_table(META).db()?;
            let recorded = meta.get(META_GENESIS_ROOT).db()?;
            return Ok(match recorded {
                Some(v) => {
                    let root = v
                        .value()
                        .try_into()
                        .map_err(|_| StoreError::Corrupt("the genesis state root is not 32 bytes".into()))?;
                    Expected::Root { height, root: dojang_types::Hash(root) }
                }
                // Genesis records its root in the same transaction as the height.
                None => Expected::Unknown,
            });
        }
        Ok(match Self::checked_header(&tx, height) {
            Ok(Some(header)) => Expected::Root { height, root: header.state_root },
            Ok(None) | Err(StoreError::Corrupt(_)) => Expected::Unknown,
            Err(e) => return Err(e),
        })
    }

    /// Makes the trie give the state root of redb's latest block: as it is, rolled back the
    /// blocks redb lost (a crash between the two stores), or rebuilt from the latest-state table (a
    /// restored backup, a lost or damaged trie). A rebuilt trie that still gives another
    /// root means the table itself is damaged: [`StoreError::Corrupt`].
    pub(crate) fn reconcile_trie(&mut self) -> Result<TrieOpened, StoreError> {
        let expected = self.expected_root()?;
        let trie = self.trie.take().ok_or_else(|| StoreError::Db("the store has no state trie to reconcile".into()))?;
        let root = trie.root();
        let mut back = 0;
        let (trie, why) = match expected {
            Expected::Empty if root.0 == [0; 32] => (trie, None),
            Expected::Empty => (trie, Some("the database holds no chain but the state trie is not empty".to_string())),
            Expected::Root { root: want, .. } if root == want => (trie, None),
            Expected::Root { height, root: want } => {
                while back < ROLLBACK_BLOCKS && trie.root() != want && trie.roll_back_one().is_ok() {
                    back += 1;
                }
                if trie.root() == want {
                    info!(height, blocks = back, "the state trie was ahead of the database; rolled it back");
                    (trie, None)
                } else {
                    (trie, Some(format!("the state trie's root {root} is not block {height}'s {want}")))
                }
            }
            Expected::Unknown => {
                warn!("the latest block's header does not read back; the state trie is left as it is");
                (trie, None)
            }
        };
        let Some(why) = why else {
            self.trie = Some(trie);
            return Ok(if back == 0 { TrieOpened::AsItWas } else { TrieOpened::RolledBack(back) });
        };
        warn!(reason = %why, dir = %trie.dir().display(), "rebuilding the state trie from the latest-state table");
        let started = std::time::Instant::now();
        let trie = trie.recreate()?;
        let keys = self.fill_from_latest(&trie)?;
        let rebuilt = trie.root();
        if let Expected::Root { height, root } = self.expected_root()? {
            if root != rebuilt {
                return Err(StoreError::Corrupt(format!(
                    "the latest-state table gives state root {rebuilt}, not block {height}'s {root}: it is damaged; \
                     restore a backup or start from an empty data directory and catch up from peers"
                )));
            }
        }
        info!(keys, took_ms = started.elapsed().as_millis() as u64, root = %rebuilt, "state trie rebuilt");
        self.trie = Some(trie);
        Ok(TrieOpened::Rebuilt)
    }

    fn fill_from_latest(&self, trie: &Trie) -> Result<u64, StoreError> {
        let tx = self.read()?;
        let table = tx.open_table(STATE_LATEST).db()?;
        let rows = table.iter().db()?.map(|row| {
            let (k, v) = row.db()?;
            Ok((k.value().to_vec(), v.value().to_vec()))
        });
        trie.fill(rows)
    }
}
