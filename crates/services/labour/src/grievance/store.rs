//! The labour rights centre's store (a redb file on its own machine): a blind-signing key per
//! employer and quarter, which contracts got their token for which quarter, the nullifiers of
//! tokens spent, and the reports. Nothing links a report to a token's issuance: the blind
//! signature is all the two share, and the centre never saw the token it signed.

use std::path::Path;

use blind_rsa_signatures::{KeyPair, Options, PublicKey, SecretKey};
use redb::{Database, ReadableDatabase, ReadableTable, TableDefinition};
use serde::{Deserialize, Serialize};

const KEYS: TableDefinition<&str, &[u8]> = TableDefinition::new("keys");
const ISSUED: TableDefinition<&str, u64> = TableDefinition::new("issued");
const SPENT: TableDefinition<&[u8], u64> = TableDefinition::new("spent");
const REPORTS: TableDefinition<u64, &[u8]> = TableDefinition::new("reports");

/// RSA modulus size of the blind-signing keys (RFC 9474 asks for at least 2048 bits).
pub const KEY_BITS: usize = 2048;

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("the centre's store: {0}")]
    Db(String),
    #[error("blind signature key: {0}")]
    Key(String),
}

fn e(x: impl std::fmt::Display) -> StoreError {
    StoreError::Db(x.to_string())
}

/// A report as the centre keeps it: the employer, the quarter, what was written, the day.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Report {
    pub id: u64,
    pub employer: String,
    pub period: String,
    pub text: String,
    pub filed_on: String,
}

pub struct Store {
    db: Database,
}

fn slot(a: &str, b: &str) -> String {
    format!("{a}|{b}")
}

impl Store {
    pub fn open(path: &Path) -> Result<Store, StoreError> {
        let db = Database::create(path).map_err(e)?;
        let tx = db.begin_write().map_err(e)?;
        tx.open_table(KEYS).map_err(e)?;
        tx.open_table(ISSUED).map_err(e)?;
        tx.open_table(SPENT).map_err(e)?;
        tx.open_table(REPORTS).map_err(e)?;
        tx.commit().map_err(e)?;
        Ok(Store { db })
    }

    /// The signing key of `employer` for `period`, if one was made.
    pub fn key(&self, employer: &str, period: &str) -> Result<Option<SecretKey>, StoreError> {
        let tx = self.db.begin_read().map_err(e)?;
        let table = tx.open_table(KEYS).map_err(e)?;
        let Some(der) = table.get(slot(employer, period).as_str()).map_err(e)? else { return Ok(None) };
        SecretKey::from_der(der.value()).map(Some).map_err(|x| StoreError::Key(x.to_string()))
    }

    /// The key of `employer` for `period`, made now if there is none (the caller holds the
    /// centre's issuing lock, so two are never made for one slot).
    pub fn key_or_new(&self, employer: &str, period: &str) -> Result<SecretKey, StoreError> {
        if let Some(k) = self.key(employer, period)? {
            return Ok(k);
        }
        let kp = KeyPair::generate(&mut rand::thread_rng(), KEY_BITS).map_err(|x| StoreError::Key(x.to_string()))?;
        let der = kp.sk.to_der().map_err(|x| StoreError::Key(x.to_string()))?;
        let tx = self.db.begin_write().map_err(e)?;
        tx.open_table(KEYS).map_err(e)?.insert(slot(employer, period).as_str(), der.as_slice()).map_err(e)?;
        tx.commit().map_err(e)?;
        Ok(kp.sk)
    }

    /// Records that `contract` got its token for `period`; false if it had one already.
    pub fn issue_once(&self, contract: &str, period: &str, at_ms: u64) -> Result<bool, StoreError> {
        let tx = self.db.begin_write().map_err(e)?;
        let fresh = {
            let mut table = tx.open_table(ISSUED).map_err(e)?;
            let k = slot(contract, period);
            let seen = table.get(k.as_str()).map_err(e)?.is_some();
            if !seen {
                table.insert(k.as_str(), at_ms).map_err(e)?;
            }
            !seen
        };
        tx.commit().map_err(e)?;
        Ok(fresh)
    }

    /// Stores a report whose token's nullifier was not spent: its number, or `None` if spent.
    pub fn file(&self, nullifier: &[u8], mut report: Report) -> Result<Option<u64>, StoreError> {
        let tx = self.db.begin_write().map_err(e)?;
        let id = {
            let mut spent = tx.open_table(SPENT).map_err(e)?;
            if spent.get(nullifier).map_err(e)?.is_some() {
                return Ok(None);
            }
            let mut reports = tx.open_table(REPORTS).map_err(e)?;
            let id = reports.last().map_err(e)?.map(|(k, _)| k.value() + 1).unwrap_or(1);
            report.id = id;
            let bytes = serde_json::to_vec(&report).map_err(e)?;
            reports.insert(id, bytes.as_slice()).map_err(e)?;
            spent.insert(nullifier, id).map_err(e)?;
            id
        };
        tx.commit().map_err(e)?;
        Ok(Some(id))
    }

    /// Every report, oldest first.
    pub fn reports(&self) -> Result<Vec<Report>, StoreError> {
        let tx = self.db.begin_read().map_err(e)?;
        let table = tx.open_table(REPORTS).map_err(e)?;
        let mut out = Vec::new();
        for row in table.iter().map_err(e)? {
            let (_, v) = row.map_err(e)?;
            out.push(serde_json::from_slice(v.value()).map_err(e)?);
        }
        Ok(out)
    }
}

/// The public half of a key, as published (SubjectPublicKeyInfo, DER, RSASSA-PSS).
pub fn public_spki(sk: &SecretKey) -> Result<Vec<u8>, StoreError> {
    let pk = sk.public_key().map_err(|x| StoreError::Key(x.to_string()))?;
    pk.to_spki(Some(&Options::default())).map_err(|x| StoreError::Key(x.to_string()))
}

/// A published key read back.
pub fn from_spki(spki: &[u8]) -> Result<PublicKey, StoreError> {
    PublicKey::from_spki(spki, Some(&Options::default())).map_err(|x| StoreError::Key(x.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_token_once_per_contract_and_quarter_and_a_nullifier_spent_once() {
        let dir = tempfile::tempdir().unwrap();
        let s = Store::open(&dir.path().join("centre.redb")).unwrap();
        assert!(s.issue_once("c1", "2026-Q4", 1).unwrap());
        assert!(!s.issue_once("c1", "2026-Q4", 2).unwrap());
        assert!(s.issue_once("c1", "2027-Q1", 3).unwrap());
        let r = |text: &str| Report {
            id: 0,
            employer: "e".into(),
            period: "2026-Q4".into(),
            text: text.into(),
            filed_on: "2026-11-30".into(),
        };
        assert_eq!(s.file(b"n1", r("first")).unwrap(), Some(1));
        assert_eq!(s.file(b"n1", r("again")).unwrap(), None);
        assert_eq!(s.file(b"n2", r("second")).unwrap(), Some(2));
        let texts: Vec<String> = s.reports().unwrap().into_iter().map(|r| r.text).collect();
        assert_eq!(texts, ["first", "second"]);
    }
}
