//! The labour rights centre's store (a redb file on its own machine): a blind-signing key per
//! employer and quarter, which contracts got their token for which quarter, the nullifiers of
//! tokens spent, and the reports. Nothing links a report to a token's issuance: the blind
//! signature is all the two share, and the centre never saw the token it signed.

use std::path::Path;

use blind_rsa_signatures::{KeyPair, Options, PublicKey, SecretKey};
use redb::{Database, ReadableDatabase, ReadableTable, TableDefinition};
use serde::{Deserialize, Serialize};

const KEYS: TableDefinition<&str, &[u8]> = TableDefinition::new("keys");
const ISSUED: TableDefinition<&str, &[u8]> = TableDefinition::new("issued");
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

/// What issuing a token for a job and quarter found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Issued {
    Fresh,
    /// The same blinded message as before: sign it again.
    Retry,
    /// Another token was issued for this job and quarter.
    Taken,
}

/// A report number: random, at most 2^53 so every JSON reader keeps it exact.
fn random_id() -> u64 {
    (rand::random::<u64>() >> 11).max(1)
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

    /// Keeps `sk` as the key of `employer` for `period`.
    pub fn put_key(&self, employer: &str, period: &str, sk: &SecretKey) -> Result<(), StoreError> {
        let der = sk.to_der().map_err(|x| StoreError::Key(x.to_string()))?;
        let tx = self.db.begin_write().map_err(e)?;
        tx.open_table(KEYS).map_err(e)?.insert(slot(employer, period).as_str(), der.as_slice()).map_err(e)?;
        tx.commit().map_err(e)
    }

    /// Records that the job `slot` (employer and worker) got its token for `period`, for the
    /// blinded message whose hash is `blinded`. The same blinded message again is a retry (the
    /// answer was lost); another one is a second token, refused. Nothing else is kept: no time,
    /// no contract, nothing to match against a report.
    pub fn issue_once(&self, slot: &str, period: &str, blinded: &[u8; 32]) -> Result<Issued, StoreError> {
        let tx = self.db.begin_write().map_err(e)?;
        let outcome = {
            let mut table = tx.open_table(ISSUED).map_err(e)?;
            let k = format!("{slot}|{period}");
            let before = table.get(k.as_str()).map_err(e)?.map(|v| v.value().to_vec());
            match before {
                Some(b) if b == blinded => Issued::Retry,
                Some(_) => Issued::Taken,
                None => {
                    table.insert(k.as_str(), blinded.as_slice()).map_err(e)?;
                    Issued::Fresh
                }
            }
        };
        tx.commit().map_err(e)?;
        Ok(outcome)
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
            // A random number, not a count: the order of filing says nothing to match on.
            let mut id = random_id();
            while reports.get(id).map_err(e)?.is_some() {
                id = random_id();
            }
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

/// A fresh blind-signing key.
pub fn new_key() -> Result<SecretKey, StoreError> {
    KeyPair::generate(&mut rand::thread_rng(), KEY_BITS).map(|kp| kp.sk).map_err(|x| StoreError::Key(x.to_string()))
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
    fn a_token_once_per_job_and_quarter_a_retry_signed_again_and_a_nullifier_spent_once() {
        let dir = tempfile::tempdir().unwrap();
        let s = Store::open(&dir.path().join("centre.redb")).unwrap();
        assert_eq!(s.issue_once("e|w", "2026-Q4", &[1; 32]).unwrap(), Issued::Fresh);
        assert_eq!(s.issue_once("e|w", "2026-Q4", &[1; 32]).unwrap(), Issued::Retry);
        assert_eq!(s.issue_once("e|w", "2026-Q4", &[2; 32]).unwrap(), Issued::Taken);
        assert_eq!(s.issue_once("e|w", "2027-Q1", &[2; 32]).unwrap(), Issued::Fresh);
        let r = |text: &str| Report {
            id: 0,
            employer: "e".into(),
            period: "2026-Q4".into(),
            text: text.into(),
            filed_on: "2026-11-30".into(),
        };
        let first = s.file(b"n1", r("first")).unwrap().unwrap();
        assert_eq!(s.file(b"n1", r("again")).unwrap(), None);
        let second = s.file(b"n2", r("second")).unwrap().unwrap();
        assert!(first != second && first < 1 << 53 && second < 1 << 53);
        let mut texts: Vec<String> = s.reports().unwrap().into_iter().map(|r| r.text).collect();
        texts.sort();
        assert_eq!(texts, ["first", "second"]);
    }
}
