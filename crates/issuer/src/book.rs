//! The issuer's durable state: its status list, the version last anchored, and which indexes
//! were given to which subject's credentials (so revoking a subject's credential revokes every
//! copy). Kept in one JSON file, replaced atomically (write, fsync, rename) on every change.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;
use dojang_credentials::status::{Status, StatusList};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Serialize, Deserialize)]
struct Stored {
    /// The list's 2-bit entries, base64.
    entries: String,
    /// Last anchored version (0: never anchored).
    version: u64,
    /// The token anchored as `version`, served verbatim.
    token: Option<String>,
    /// "subject/config" → status indexes handed out.
    issued: BTreeMap<String, Vec<u64>>,
}

/// The status book.
pub struct Book {
    path: PathBuf,
    pub list: StatusList,
    pub version: u64,
    pub token: Option<String>,
    issued: BTreeMap<String, Vec<u64>>,
    used: std::collections::HashSet<u64>,
}

fn holder_key(subject: &str, config: &str) -> String {
    format!("{subject}/{config}")
}

impl Book {
    /// Opens the book in `dir`, creating an all-valid list the first time.
    pub fn open(dir: &Path) -> std::io::Result<Book> {
        std::fs::create_dir_all(dir)?;
        let path = dir.join("status-book.json");
        if !path.exists() {
            return Ok(Book {
                path,
                list: StatusList::new(0),
                version: 0,
                token: None,
                issued: BTreeMap::new(),
                used: Default::default(),
            });
        }
        let bad = |e: String| std::io::Error::new(std::io::ErrorKind::InvalidData, format!("{}: {e}", path.display()));
        let stored: Stored = serde_json::from_slice(&std::fs::read(&path)?).map_err(|e| bad(e.to_string()))?;
        let bytes = STANDARD.decode(&stored.entries).map_err(|e| bad(e.to_string()))?;
        let list = StatusList::from_bytes(bytes).map_err(|e| bad(e.to_string()))?;
        let used = stored.issued.values().flatten().copied().collect();
        Ok(Book { path, list, version: stored.version, token: stored.token, issued: stored.issued, used })
    }

    /// A fresh random index for one credential copy of `subject`'s `config`.
    pub fn allocate(&mut self, subject: &str, config: &str) -> Option<u64> {
        let used = &self.used;
        let idx = self.list.random_free_index(&|i| used.contains(&i))?;
        self.used.insert(idx);
        self.issued.entry(holder_key(subject, config)).or_default().push(idx);
        Some(idx)
    }

    /// Sets every copy of `subject`'s `config` credential to `status`; returns how many.
    pub fn set_status(&mut self, subject: &str, config: &str, status: Status) -> usize {
        let idxs = self.issued.get(&holder_key(subject, config)).cloned().unwrap_or_default();
        for i in &idxs {
            self.list.set(*i, status).expect("allocated indexes are inside the list");
        }
        idxs.len()
    }

    pub fn save(&self) -> std::io::Result<()> {
        let stored = Stored {
            entries: STANDARD.encode(self.list.as_bytes()),
            version: self.version,
            token: self.token.clone(),
            issued: self.issued.clone(),
        };
        let tmp = self.path.with_extension("json.tmp");
        {
            use std::io::Write as _;
            let mut f = std::fs::File::create(&tmp)?;
            f.write_all(&serde_json::to_vec(&stored).expect("the book serializes"))?;
            f.sync_all()?;
        }
        std::fs::rename(&tmp, &self.path)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn allocations_and_statuses_survive_a_reopen() {
        let dir = tempfile::tempdir().unwrap();
        let mut book = Book::open(dir.path()).unwrap();
        let a = book.allocate("S-1", "income_band").unwrap();
        let b = book.allocate("S-1", "income_band").unwrap();
        assert_ne!(a, b);
        assert_eq!(book.set_status("S-1", "income_band", Status::Revoked), 2);
        assert_eq!(book.set_status("S-2", "income_band", Status::Revoked), 0);
        book.version = 3;
        book.save().unwrap();
        let again = Book::open(dir.path()).unwrap();
        assert_eq!(again.version, 3);
        assert_eq!(again.list.get(a).unwrap(), Status::Revoked);
        assert!(again.used.contains(&b));
    }

    #[test]
    fn a_damaged_book_is_an_error_not_a_fresh_list() {
        let dir = tempfile::tempdir().unwrap();
        for bad in [
            "",
            "{}",
            r#"{"entries": "!!", "version": 1, "token": null, "issued": {}}"#,
            r#"{"entries": "AAAA", "version": 1, "token": null, "issued": {}}"#,
        ] {
            std::fs::write(dir.path().join("status-book.json"), bad).unwrap();
            assert!(Book::open(dir.path()).is_err(), "{bad}");
        }
    }
}
