//! The pipelined block cycle's durability (issue 20, decision 0029). A decided block is
//! written without waiting for the disk, and the wait (redb's page flush and fsync) runs
//! beside the execution of the next block. What makes the block durable at once is smaller:
//! its certificate, in a file of its own beside the database. The block itself is already
//! durable in the pending table (kept before this node voted for it), so after a crash the
//! node re-executes the block from the two and reaches the same state.

use std::io::Write;
use std::path::PathBuf;
use std::sync::atomic::Ordering;

use dojang_types::{decode, encode, Commit};

use crate::error::{OrDb, StoreError};
use crate::Store;

impl Store {
    /// Where the latest decided block's certificate is kept: `<database>.decided`.
    pub fn decided_path(&self) -> PathBuf {
        let mut name = self.path.clone().into_os_string();
        name.push(".decided");
        PathBuf::from(name)
    }

    /// Keeps the certificate of a decided block durably (written beside the database, synced,
    /// then renamed over the previous one), before the block is written without an fsync.
    /// Its height is also how far this node has gone: consensus must not run below it.
    pub fn keep_decided(&self, commit: &Commit) -> Result<(), StoreError> {
        let started = std::time::Instant::now();
        let path = self.decided_path();
        let tmp = path.with_extension("decided.tmp");
        let io = |what: &str, e: std::io::Error| StoreError::Io(format!("{what} {}: {e}", tmp.display()));
        let mut file = std::fs::File::create(&tmp).map_err(|e| io("cannot create", e))?;
        file.write_all(&encode(commit)).map_err(|e| io("cannot write", e))?;
        file.sync_all().map_err(|e| io("cannot sync", e))?;
        std::fs::rename(&tmp, &path).map_err(|e| io("cannot rename", e))?;
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            // The rename is durable only once the directory is.
            let dir = std::fs::File::open(dir).map_err(|e| StoreError::Io(format!("{}: {e}", dir.display())))?;
            dir.sync_all().map_err(|e| StoreError::Io(format!("cannot sync the store's directory: {e}")))?;
        }
        // The decision's one wait on the disk now: what an operator watching disk waits sees.
        self.commits.record(started.elapsed());
        tracing::debug!(height = commit.height, keep_us = started.elapsed().as_micros() as u64, "certificate kept");
        Ok(())
    }

    /// The certificate [`Store::keep_decided`] kept last, if any. A file that does not decode
    /// is a damaged store, and the node does not start: without it, nothing says how far
    /// this node's consensus log may have gone.
    pub fn decided_commit(&self) -> Result<Option<Commit>, StoreError> {
        let path = self.decided_path();
        let bytes = match std::fs::read(&path) {
            Ok(b) => b,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(StoreError::Io(format!("{}: {e}", path.display()))),
        };
        decode(&bytes).map(Some).map_err(|e| {
            StoreError::Corrupt(format!(
                "{} does not decode ({e}); it records the last height this node decided, so remove it only \
                 once the chain has moved past that height (as for a lost data/wal), and start the node with \
                 api.peers so that it catches up",
                path.display()
            ))
        })
    }

    /// Whether a block written without an fsync waits for [`Store::flush`].
    pub fn needs_flush(&self) -> bool {
        self.unflushed.load(Ordering::Acquire) > 0
    }

    /// Makes every block written without an fsync durable: one empty durable commit, which
    /// redb makes write out everything committed before it. Run beside the next block's
    /// execution; does nothing when nothing waits. (Closing the database persists such
    /// blocks as well, so a clean stop leaves nothing to recover.)
    /// A catch-up segment still open is finished instead: its end is a durable commit.
    pub fn flush(&self) -> Result<(), StoreError> {
        if self.segment_open() {
            return self.finish_segment();
        }
        self.flush_redb()
    }

    /// [`Store::flush`] of redb alone.
    pub(crate) fn flush_redb(&self) -> Result<(), StoreError> {
        let waiting = self.unflushed.swap(0, Ordering::AcqRel);
        if waiting == 0 {
            return Ok(());
        }
        let started = std::time::Instant::now();
        let done = self.write().and_then(|tx| tx.commit().db());
        if done.is_err() {
            self.unflushed.fetch_add(waiting, Ordering::AcqRel);
        }
        done?;
        self.commits.record(started.elapsed());
        tracing::debug!(flush_ms = started.elapsed().as_millis() as u64, "store flushed");
        Ok(())
    }
}
