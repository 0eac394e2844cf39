//! The desk's own index (an embedded redb file on the desk's machine): for each contract it
//! drafted, which app made it, the parties' accounts, and the collection keys of its versions
//! and timesheets. No names and no terms: those are only in the collection's payloads, so a
//! purge there leaves nothing personal here.

use std::collections::BTreeMap;
use std::path::Path;

use dojang_types::{Address, Date, Hash};
use redb::{Database, ReadableDatabase, ReadableTable, TableDefinition};
use serde::{Deserialize, Serialize};

const CONTRACTS: TableDefinition<&str, &[u8]> = TableDefinition::new("contracts");

#[derive(Debug, Clone, thiserror::Error)]
#[error("the desk's index: {0}")]
pub struct BookError(String);

fn e(x: impl std::fmt::Display) -> BookError {
    BookError(x.to_string())
}

/// One version's payload in the collection.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct VersionRef {
    pub version: u32,
    pub key: String,
    pub commitment: Hash,
    /// The end this version sets (a date, as on the ledger; not personal).
    pub ends: Option<Date>,
}

/// One record's payload in the collection: a week's timesheet, or a payment.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WeekRef {
    pub key: String,
    pub commitment: Hash,
}

/// What the desk knows of a contract it drafted.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Entry {
    /// The app that drafted it; only that app reads or changes it through the desk.
    pub client: String,
    pub employer: Address,
    pub worker: Address,
    /// The first day, as registered on the ledger.
    pub starts: Date,
    pub versions: Vec<VersionRef>,
    #[serde(default)]
    pub weeks: BTreeMap<Date, WeekRef>,
    /// The insurance reports the employer declares filed (insurance → the day filed), until
    /// the labour office records them met on the ledger.
    #[serde(default)]
    pub declared: BTreeMap<String, Date>,
    /// The wage payments the employer recorded (LAB-09), in the order recorded.
    #[serde(default)]
    pub payments: Vec<WeekRef>,
}

pub struct Book {
    db: Database,
}

impl Book {
    pub fn open(path: &Path) -> Result<Book, BookError> {
        let db = Database::create(path).map_err(e)?;
        let tx = db.begin_write().map_err(e)?;
        tx.open_table(CONTRACTS).map_err(e)?;
        tx.commit().map_err(e)?;
        Ok(Book { db })
    }

    pub fn get(&self, contract: &str) -> Result<Option<Entry>, BookError> {
        let tx = self.db.begin_read().map_err(e)?;
        let table = tx.open_table(CONTRACTS).map_err(e)?;
        match table.get(contract).map_err(e)? {
            Some(v) => serde_json::from_slice(v.value()).map(Some).map_err(e),
            None => Ok(None),
        }
    }

    /// Every contract of the index, in id order.
    pub fn all(&self) -> Result<Vec<(String, Entry)>, BookError> {
        let tx = self.db.begin_read().map_err(e)?;
        let table = tx.open_table(CONTRACTS).map_err(e)?;
        let mut out = Vec::new();
        for row in table.iter().map_err(e)? {
            let (k, v) = row.map_err(e)?;
            out.push((k.value().to_string(), serde_json::from_slice(v.value()).map_err(e)?));
        }
        Ok(out)
    }

    /// Writes an entry durably (redb commits with an fsync before this returns).
    pub fn put(&self, contract: &str, entry: &Entry) -> Result<(), BookError> {
        let bytes = serde_json::to_vec(entry).map_err(e)?;
        let tx = self.db.begin_write().map_err(e)?;
        tx.open_table(CONTRACTS).map_err(e)?.insert(contract, bytes.as_slice()).map_err(e)?;
        tx.commit().map_err(e)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_entry_survives_reopening() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("desk.redb");
        let a: Address = "dj38c05b9fd30d7976bebe65fa2720e862c2bde26c".parse().unwrap();
        let entry = Entry {
            client: "app".into(),
            employer: a,
            worker: a,
            starts: "2026-03-02".parse().unwrap(),
            versions: vec![VersionRef { version: 1, key: "ab".repeat(16), commitment: Hash([7; 32]), ends: None }],
            declared: BTreeMap::from([("employment".to_string(), "2026-03-20".parse().unwrap())]),
            weeks: BTreeMap::from([(
                "2026-03-02".parse().unwrap(),
                WeekRef { key: "cd".repeat(16), commitment: Hash([8; 32]) },
            )]),
            payments: vec![WeekRef { key: "ef".repeat(16), commitment: Hash([9; 32]) }],
        };
        Book::open(&path).unwrap().put("c1", &entry).unwrap();
        let book = Book::open(&path).unwrap();
        assert_eq!(book.get("c1").unwrap(), Some(entry.clone()));
        assert_eq!(book.get("c2").unwrap(), None);
        assert_eq!(book.all().unwrap(), vec![("c1".to_string(), entry)]);
    }
}
