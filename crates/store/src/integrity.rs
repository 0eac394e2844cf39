//! Checks a node runs on its store before it trusts it: redb's own check of every page, then
//! the latest block against everything that refers to it. A node that starts on a damaged
//! store would serve, sync and build on data no validator signed.

use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use dojang_types::{decode, Block, Commit, Hash, SignedTx};
use redb::{Database, DatabaseError, ReadableTable, StorageError};

use crate::blocks::decode_receipts;
use crate::error::{OrDb, StoreError};
use crate::tables::{BLOCKS, COMMITS, RECEIPTS, TX_INDEX};
use crate::txs::{span, TxEntry};
use crate::{Handle, StateOptions, Store, CACHE_BYTES};

/// Where a store is damaged: the lowest height found damaged, when the damage can be tied to
/// one, and what was wrong.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{}", match .height { Some(h) => format!("damaged at height {h}: {}", .what), None => format!("damaged: {}", .what) })]
pub struct Damage {
    pub height: Option<u64>,
    pub what: String,
}

impl Damage {
    pub fn at(height: u64, what: impl std::fmt::Display) -> Self {
        Damage { height: Some(height), what: what.to_string() }
    }

    pub fn untied(what: impl std::fmt::Display) -> Self {
        Damage { height: None, what: what.to_string() }
    }
}

/// What redb's whole-file check did when the store was opened.
#[derive(Debug, Clone, Copy)]
pub struct OpenCheck {
    /// How long the check took; it reads every page of the file.
    pub elapsed: Duration,
    /// The last commit was incomplete or damaged and redb went back to the one before it.
    /// After a crash this is expected; the node fetches the lost block again.
    pub rolled_back: bool,
}

/// The latest block and its certificate, as checked by [`Store::check_latest`]. The
/// certificate's signatures need the validator set, which the ledger checks.
#[derive(Debug, Clone)]
pub struct LatestBlock {
    pub block: Block,
    pub commit: Commit,
}

/// The text of a store error without the "stored data is corrupt" prefix, which a damage
/// message already says.
pub(crate) fn reason(e: StoreError) -> String {
    match e {
        StoreError::Corrupt(why) => why,
        other => other.to_string(),
    }
}

fn open_error(path: &Path, e: DatabaseError) -> StoreError {
    match e {
        DatabaseError::Storage(StorageError::Corrupted(why)) => {
            StoreError::Corrupt(format!("{}: redb's integrity check failed: {why}", path.display()))
        }
        other => StoreError::Open(format!("{}: {other}", path.display())),
    }
}

impl Store {
    /// Opens the database after redb has verified the checksum of every page of the file (and
    /// rebuilt its allocator state). This reads the whole file, so start-up takes as long as
    /// reading it; in return a flipped bit anywhere in a live page is found before the node
    /// uses the file, where a plain open trusts a file that was closed cleanly. A damaged file
    /// is [`StoreError::Corrupt`].
    /// `state` sizes a state trie created now ([`Store::open_with`]).
    pub fn open_checked(path: &Path, state: StateOptions) -> Result<(Self, OpenCheck), StoreError> {
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir).map_err(|e| StoreError::Io(format!("{}: {e}", dir.display())))?;
        }
        let started = Instant::now();
        let rolled_back = Arc::new(AtomicBool::new(false));
        let seen = rolled_back.clone();
        let db = Database::builder()
            .set_cache_size(CACHE_BYTES)
            .set_check_integrity_on_open(true)
            // redb reports progress 0.3 only when the latest commit failed its checksums and it
            // falls back to the previous one.
            .set_repair_callback(move |session| {
                if (0.25..0.35).contains(&session.progress()) {
                    seen.store(true, Ordering::Relaxed);
                }
            })
            .create(path)
            .map_err(|e| open_error(path, e))?;
        let store = Store::with_trie(Handle::Writable(db), path, state)?;
        let check = OpenCheck { elapsed: started.elapsed(), rolled_back: rolled_back.load(Ordering::Relaxed) };
        Ok((store, check))
    }

    /// Opens the database read-only, without redb's check, to find where a file redb refused is
    /// damaged. Nothing is written to it. Its state trie is opened beside it when there is one
    /// (the trie is derived data, and opening it may finish its own last write), so the latest
    /// state can be checked too. Reading a damaged file this way may panic inside redb.
    pub fn open_read_only(path: &Path) -> Result<Self, StoreError> {
        let db =
            redb::Builder::new().set_cache_size(CACHE_BYTES).open_read_only(path).map_err(|e| open_error(path, e))?;
        Ok(Store {
            db: Handle::ReadOnly(db),
            path: path.to_path_buf(),
            commits: Default::default(),
            unflushed: Default::default(),
            trie_opened: crate::TrieOpened::AsItWas,
            // Never a new, empty one: only a trie already there says anything about the state.
            trie: Some(crate::trie_dir(path))
                .filter(|dir| dir.exists())
                .and_then(|dir| crate::trie::Trie::open(&dir, StateOptions::default()).ok()),
            state_lock: Default::default(),
            segment: Default::default(),
        })
    }

    /// Whether the store has its state trie (one opened read-only may not): without it,
    /// [`Store::find_damage`] checks no state.
    pub fn has_state_trie(&self) -> bool {
        self.trie.is_some()
    }

    /// Checks the latest block against everything that refers to it: its transactions against
    /// the header's `txs_root`, its hash against the hash index and its certificate, its state
    /// root against the state trie's, the transaction index and receipts of its
    /// transactions, and that no block or certificate lies beyond the recorded height. `None`
    /// before the first block.
    pub fn check_latest(&self) -> Result<Option<LatestBlock>, Damage> {
        let store_err = |h: u64| move |e: StoreError| Damage::at(h, reason(e));
        let Some(height) = self.latest_height().map_err(|e| Damage::untied(format!("the recorded height: {e}")))?
        else {
            return Ok(None);
        };
        let tx = self.read().map_err(store_err(height))?;
        let last_key = |def| -> Result<Option<u64>, StoreError> {
            let table = tx.open_table(def).db()?;
            let last = table.last().db()?;
            Ok(last.map(|(k, _)| k.value()))
        };
        for (name, def) in [("block", BLOCKS), ("certificate", COMMITS), ("receipt list", RECEIPTS)] {
            let last = last_key(def).map_err(store_err(height))?;
            if last.unwrap_or(0) != height {
                let found = last.map_or("none".to_string(), |h| h.to_string());
                return Err(Damage::at(
                    height,
                    format!("the recorded height is {height} but the last stored {name} is at {found}"),
                ));
            }
        }
        if height == 0 {
            let meta = tx.open_table(crate::tables::META).db().map_err(store_err(0))?;
            let recorded = meta.get(crate::tables::META_GENESIS_ROOT).db().map_err(store_err(0))?;
            let genesis_root = recorded.map(|v| v.value().to_vec());
            let trie_root = self.trie.as_ref().map(|t| t.root().0.to_vec());
            if let (Some(recorded), Some(trie)) = (&genesis_root, trie_root) {
                if *recorded != trie {
                    return Err(Damage::at(0, "the state trie's root is not the genesis state's"));
                }
            }
            if genesis_root.is_none() {
                return Err(Damage::at(0, "the genesis state root is not recorded"));
            }
            return Ok(None);
        }
        drop(tx);
        let latest = self.check_height(height)?;
        self.check_state_root(&latest.block.header).map_err(|e| Damage::at(height, e))?;
        Ok(Some(latest))
    }

    /// The trie's root against the latest header's (skipped in a store opened without its
    /// trie). Opening the store already brought the trie to this root or refused; this catches
    /// a trie damaged since.
    pub(crate) fn check_state_root(&self, header: &dojang_types::BlockHeader) -> Result<(), String> {
        let Some(trie) = &self.trie else { return Ok(()) };
        let root = trie.root();
        if root != header.state_root {
            return Err(format!("the state trie's root {root} is not the header's {}", header.state_root));
        }
        Ok(())
    }

    /// Everything stored for one height, as [`Store::check_latest`] and [`Store::find_damage`]
    /// check it: the block against its header's `txs_root` and the hash index, its certificate
    /// naming it, its transactions indexed at their places, and its receipts against the
    /// header's `receipts_root`. (The state root is checked at the latest height only: the trie
    /// keeps no older state.)
    pub(crate) fn check_height(&self, height: u64) -> Result<LatestBlock, Damage> {
        let at = |e: StoreError| Damage::at(height, reason(e));
        let (block, bytes) =
            self.checked_block(height).map_err(at)?.ok_or_else(|| Damage::at(height, "the block is missing"))?;
        let commit =
            self.commit(height).map_err(at)?.ok_or_else(|| Damage::at(height, "the certificate is missing"))?;
        if commit.block_hash != block.hash() {
            return Err(Damage::at(height, "the certificate is for another block"));
        }
        self.check_txs_indexed(&block, &bytes).map_err(|e| Damage::at(height, e))?;
        Ok(LatestBlock { block, commit })
    }

    /// Every transaction of a block is indexed at its place, with a span that leads to it in the
    /// stored bytes (`block_bytes` is the block as stored), and the receipts give the header's
    /// `receipts_root`.
    pub(crate) fn check_txs_indexed(&self, block: &Block, block_bytes: &[u8]) -> Result<(), String> {
        let height = block.header.height;
        let tx = self.read().map_err(|e| e.to_string())?;
        let receipts = tx.open_table(RECEIPTS).db().map_err(|e| e.to_string())?;
        let stored = receipts.get(height).db().map_err(|e| e.to_string())?.ok_or("the receipts are missing")?;
        let list = decode_receipts(&block.header, stored.value()).map_err(reason)?;
        if list.len() != block.txs.len() {
            return Err(format!("{} receipts for {} transactions", list.len(), block.txs.len()));
        }
        let index = tx.open_table(TX_INDEX).db().map_err(|e| e.to_string())?;
        for (i, (t, receipt)) in block.txs.iter().zip(&list).enumerate() {
            let id: Hash = t.id();
            let not_indexed = || format!("transaction {i} ({id}) is not indexed at its place");
            let entry = index.get(id.0.as_slice()).db().map_err(|e| e.to_string())?.ok_or_else(not_indexed)?;
            let entry = TxEntry::from_bytes(entry.value()).map_err(|e| e.to_string())?;
            if (entry.height, entry.index) != (height, i as u32) || receipt.tx_id != id {
                return Err(not_indexed());
            }
            if let Some(tx_span) = entry.tx {
                let tx_ok =
                    span(block_bytes, tx_span).and_then(|b| decode::<SignedTx>(b).ok()).is_some_and(|d| d == *t);
                if !tx_ok {
                    return Err(format!("the index entry of transaction {i} ({id}) points elsewhere"));
                }
            }
        }
        Ok(())
    }
}
