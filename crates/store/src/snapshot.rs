//! Backups of a live store: every table copied inside one read transaction, so the copy is the
//! store exactly as of one committed block while the node keeps finalizing blocks. The state
//! trie is not copied: it is derived from the latest-state table, and a store opened from the
//! copy rebuilds it and checks it against the latest header. The copy is
//! written beside the destination and renamed into place only when complete and synced, so an
//! interrupted backup never leaves a file that looks whole.

use std::fs::File;
use std::path::{Path, PathBuf};

use redb::{Database, Key, ReadTransaction, ReadableTable, TableDefinition, Value, WriteTransaction};

use crate::error::OrDb;
use crate::tables::*;
use crate::{Store, StoreError, CACHE_BYTES};

/// What a snapshot holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Snapshot {
    /// The last finalized block in the copy.
    pub height: u64,
    /// Size of the written file.
    pub bytes: u64,
}

fn copy<K: Key + 'static, V: Value + 'static>(
    from: &ReadTransaction,
    to: &WriteTransaction,
    table: TableDefinition<K, V>,
) -> Result<(), StoreError> {
    let source = from.open_table(table).db()?;
    let mut target = to.open_table(table).db()?;
    for row in source.iter().db()? {
        let (k, v) = row.db()?;
        target.insert(k.value(), v.value()).db()?;
    }
    Ok(())
}

fn io(path: &Path, e: std::io::Error) -> StoreError {
    StoreError::Io(format!("{}: {e}", path.display()))
}

/// The file a copy bound for `out` is written to before it is complete (`out` + `.partial`).
pub fn partial_path(out: &Path) -> PathBuf {
    let mut name = out.file_name().map(|n| n.to_os_string()).unwrap_or_default();
    name.push(".partial");
    out.with_file_name(name)
}

impl Store {
    /// Writes a consistent copy of this store to `out`, which must not exist yet.
    pub fn snapshot_to(&self, out: &Path) -> Result<Snapshot, StoreError> {
        if out.exists() {
            return Err(StoreError::Io(format!("{} already exists; choose a new file for the backup", out.display())));
        }
        let tmp = partial_path(out);
        // A leftover from an interrupted backup is ours to replace.
        if tmp.exists() {
            std::fs::remove_file(&tmp).map_err(|e| io(&tmp, e))?;
        }
        let result = self.write_snapshot(&tmp);
        if result.is_err() {
            let _ = std::fs::remove_file(&tmp);
        }
        let height = result?;
        File::open(&tmp).and_then(|f| f.sync_all()).map_err(|e| io(&tmp, e))?;
        std::fs::rename(&tmp, out).map_err(|e| io(out, e))?;
        if let Some(dir) = out.parent().filter(|d| !d.as_os_str().is_empty()) {
            File::open(dir).and_then(|d| d.sync_all()).map_err(|e| io(dir, e))?;
        }
        let bytes = std::fs::metadata(out).map_err(|e| io(out, e))?.len();
        Ok(Snapshot { height, bytes })
    }

    fn write_snapshot(&self, tmp: &Path) -> Result<u64, StoreError> {
        let read = self.read()?;
        let height = {
            let meta = read.open_table(META).db()?;
            let h = meta.get(META_HEIGHT).db()?;
            h.map(|v| v.value().try_into().map(u64::from_be_bytes))
                .transpose()
                .map_err(|_| StoreError::Corrupt("the recorded height is not 8 bytes".into()))?
                .unwrap_or(0)
        };
        let db = Database::builder()
            .set_cache_size(CACHE_BYTES / 4)
            .create(tmp)
            .map_err(|e| StoreError::Open(format!("{}: {e}", tmp.display())))?;
        let write = db.begin_write().db()?;
        copy(&read, &write, META)?;
        copy(&read, &write, KEPT_PROOFS)?;
        copy(&read, &write, STATE_LATEST)?;
        copy(&read, &write, BLOCKS)?;
        copy(&read, &write, BLOCK_HASHES)?;
        copy(&read, &write, COMMITS)?;
        copy(&read, &write, RECEIPTS)?;
        copy(&read, &write, TX_INDEX)?;
        copy(&read, &write, PENDING)?;
        copy(&read, &write, EVIDENCE)?;
        write.commit().db()?;
        Ok(height)
    }
}
