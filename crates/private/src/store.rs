use std::fs;
use std::io::Write;
use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt};
use std::path::{Path, PathBuf};

use dojang_collections::rules::SALT_LEN;

/// A record's salt and payload.
pub type SaltedPayload = ([u8; SALT_LEN], Vec<u8>);

/// Marks a record file, so a stray file is never served as a payload.
const MAGIC: &[u8; 6] = b"DJPV1\n";

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("private store at {path}: {source}")]
    Io { path: PathBuf, source: std::io::Error },
    #[error("private record file {0} is damaged (wrong header or shorter than a salt); it is ignored and fetched again from another member")]
    Damaged(PathBuf),
    #[error("'{0}' is not a valid collection id or record key")]
    BadName(String),
}

/// Payloads and salts by collection and key, one file each: `<dir>/<collection>/<key>`.
#[derive(Debug, Clone)]
pub struct PrivateStore {
    dir: PathBuf,
}

fn io(path: &Path) -> impl FnOnce(std::io::Error) -> StoreError + '_ {
    move |source| StoreError::Io { path: path.to_path_buf(), source }
}

impl PrivateStore {
    /// Opens (creating) the directory. Leftover temporary files of an interrupted write are
    /// removed: a write either happened whole or not at all.
    pub fn open(dir: &Path) -> Result<Self, StoreError> {
        private_dir(dir)?;
        let store = PrivateStore { dir: dir.to_path_buf() };
        for entry in fs::read_dir(dir).map_err(io(dir))?.flatten() {
            if entry.path().is_dir() {
                for f in fs::read_dir(entry.path()).map_err(io(&entry.path()))?.flatten() {
                    if f.file_name().to_string_lossy().starts_with(".tmp-") {
                        let _ = fs::remove_file(f.path());
                    }
                }
            }
        }
        Ok(store)
    }

    fn path(&self, collection: &str, key: &str) -> Result<PathBuf, StoreError> {
        dojang_collections::rules::id_is_valid(collection).map_err(|_| StoreError::BadName(collection.into()))?;
        dojang_collections::rules::key_is_valid(key).map_err(|_| StoreError::BadName(key.into()))?;
        Ok(self.dir.join(collection).join(key))
    }

    /// Writes a record (replacing one not yet recorded on the ledger), durably.
    pub fn put(&self, collection: &str, key: &str, salt: &[u8; SALT_LEN], payload: &[u8]) -> Result<(), StoreError> {
        let path = self.path(collection, key)?;
        let dir = path.parent().expect("a record path has a collection directory").to_path_buf();
        private_dir(&dir)?;
        let tmp = dir.join(format!(".tmp-{key}-{}", rand::random::<u64>()));
        let write = || -> std::io::Result<()> {
            // Readable by the node's user only: these are people's records.
            let mut f = fs::OpenOptions::new().write(true).create_new(true).mode(0o600).open(&tmp)?;
            f.write_all(MAGIC)?;
            f.write_all(salt)?;
            f.write_all(payload)?;
            f.sync_all()?;
            fs::rename(&tmp, &path)?;
            fs::File::open(&dir)?.sync_all()
        };
        write().map_err(|e| {
            let _ = fs::remove_file(&tmp);
            StoreError::Io { path: path.clone(), source: e }
        })
    }

    /// The salt and payload of a record this node holds.
    pub fn get(&self, collection: &str, key: &str) -> Result<Option<SaltedPayload>, StoreError> {
        let path = self.path(collection, key)?;
        let bytes = match fs::read(&path) {
            Ok(b) => b,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(StoreError::Io { path, source: e }),
        };
        let body = bytes.strip_prefix(MAGIC.as_slice()).ok_or_else(|| StoreError::Damaged(path.clone()))?;
        if body.len() < SALT_LEN {
            return Err(StoreError::Damaged(path));
        }
        let (salt, payload) = body.split_at(SALT_LEN);
        Ok(Some((salt.try_into().expect("SALT_LEN bytes"), payload.to_vec())))
    }

    /// Whether a record's file is here (without reading it).
    pub fn holds(&self, collection: &str, key: &str) -> bool {
        self.path(collection, key).is_ok_and(|p| p.is_file())
    }

    /// Deletes a record's file (payload and salt together). Returns whether it was there.
    pub fn delete(&self, collection: &str, key: &str) -> Result<bool, StoreError> {
        let path = self.path(collection, key)?;
        match fs::remove_file(&path) {
            Ok(()) => {
                if let Some(dir) = path.parent() {
                    let _ = fs::File::open(dir).and_then(|d| d.sync_all());
                }
                Ok(true)
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(false),
            Err(e) => Err(StoreError::Io { path, source: e }),
        }
    }

    /// The keys held in a collection with the age of each file, in key order.
    pub fn keys(&self, collection: &str) -> Result<Vec<(String, std::time::Duration)>, StoreError> {
        dojang_collections::rules::id_is_valid(collection).map_err(|_| StoreError::BadName(collection.into()))?;
        let dir = self.dir.join(collection);
        let entries = match fs::read_dir(&dir) {
            Ok(e) => e,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
            Err(e) => return Err(StoreError::Io { path: dir, source: e }),
        };
        // Only files named like record keys: anything else (a temporary file, a stray copy) is
        // neither served nor deleted.
        let mut keys: Vec<(String, std::time::Duration)> = entries
            .flatten()
            .filter_map(|e| {
                let name = e.file_name().to_string_lossy().to_string();
                let age = e.metadata().ok()?.modified().ok()?.elapsed().unwrap_or_default();
                dojang_collections::rules::key_is_valid(&name).is_ok().then_some((name, age))
            })
            .collect();
        keys.sort();
        Ok(keys)
    }
}

/// Creates a directory (and its parents) readable by the node's user only.
fn private_dir(dir: &Path) -> Result<(), StoreError> {
    fs::DirBuilder::new().recursive(true).mode(0o700).create(dir).map_err(io(dir))
}

#[cfg(test)]
mod tests {
    use super::*;

    const K1: &str = "0123456789abcdef0123456789abcde1";
    const K2: &str = "0123456789abcdef0123456789abcde2";
    const K3: &str = "0123456789abcdef0123456789abcde3";

    #[test]
    fn records_round_trip_survive_reopen_and_are_gone_after_delete() {
        let dir = tempfile::tempdir().unwrap();
        let store = PrivateStore::open(dir.path()).unwrap();
        let salt = [9u8; SALT_LEN];
        store.put("labour", K1, &salt, b"{\"wage\": 10320}").unwrap();
        use std::os::unix::fs::PermissionsExt;
        let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode(&dir.path().join("labour").join(K1)), 0o600, "only the node's user reads a record");
        assert_eq!(mode(&dir.path().join("labour")), 0o700);
        let store = PrivateStore::open(dir.path()).unwrap();
        assert_eq!(store.get("labour", K1).unwrap(), Some((salt, b"{\"wage\": 10320}".to_vec())));
        assert_eq!(store.keys("labour").unwrap().iter().map(|(k, _)| k.as_str()).collect::<Vec<_>>(), [K1]);
        assert!(store.delete("labour", K1).unwrap());
        assert!(!store.delete("labour", K1).unwrap());
        assert_eq!(store.get("labour", K1).unwrap(), None);
        // Nothing of it is left in any file under the directory.
        for entry in walk(dir.path()) {
            let bytes = std::fs::read(&entry).unwrap();
            assert!(!bytes.windows(5).any(|w| w == b"10320"), "{}", entry.display());
        }
    }

    #[test]
    fn damaged_files_stray_temporaries_and_bad_names_are_refused() {
        let dir = tempfile::tempdir().unwrap();
        let store = PrivateStore::open(dir.path()).unwrap();
        std::fs::create_dir_all(dir.path().join("labour")).unwrap();
        std::fs::write(dir.path().join("labour").join("stray"), b"not a record").unwrap();
        assert!(store.keys("labour").unwrap().is_empty(), "a stray file is not a record");
        std::fs::write(dir.path().join("labour").join(K2), b"not a record").unwrap();
        assert!(matches!(store.get("labour", K2), Err(StoreError::Damaged(_))));
        std::fs::write(dir.path().join("labour").join(K3), b"DJPV1\nshort").unwrap();
        assert!(matches!(store.get("labour", K3), Err(StoreError::Damaged(_))));
        std::fs::write(dir.path().join("labour").join(".tmp-c-4-1"), b"half").unwrap();
        PrivateStore::open(dir.path()).unwrap();
        assert!(!dir.path().join("labour").join(".tmp-c-4-1").exists(), "an interrupted write is cleared");
        for (c, k) in [
            ("../etc", K1),
            ("..", K1),
            (".", K1),
            ("labour", "../../x"),
            ("labour", "Kim"),
            ("", K1),
            ("labour", ".tmp-x"),
        ] {
            assert!(matches!(store.get(c, k), Err(StoreError::BadName(_))), "{c}/{k}");
            assert!(matches!(store.put(c, k, &[0; SALT_LEN], b"x"), Err(StoreError::BadName(_))), "{c}/{k}");
        }
    }

    fn walk(dir: &Path) -> Vec<PathBuf> {
        let mut out = Vec::new();
        for e in std::fs::read_dir(dir).unwrap().flatten() {
            if e.path().is_dir() {
                out.extend(walk(&e.path()));
            } else {
                out.push(e.path());
            }
        }
        out
    }
}
