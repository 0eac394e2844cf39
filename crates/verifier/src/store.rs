//! The office's decision store (ELIG-05): every decision with its salt, kept in an embedded
//! crash-safe database (redb) on the office's own machine, never on the ledger. Also the
//! program-scoped pseudonyms seen (duplicate detection), the anchored batches (for inclusion
//! proofs) and the lottery draw.

use std::path::Path;

use redb::{Database, ReadableDatabase, ReadableTable, TableDefinition};
use serde::{de::DeserializeOwned, Serialize};

use crate::record::{Batch, DecisionRecord};

const DECISIONS: TableDefinition<u64, &[u8]> = TableDefinition::new("decisions");
const PSEUDONYMS: TableDefinition<&str, u64> = TableDefinition::new("pseudonyms");
const BATCHES: TableDefinition<&str, &[u8]> = TableDefinition::new("batches");
const META: TableDefinition<&str, &[u8]> = TableDefinition::new("meta");

#[derive(Debug, Clone, thiserror::Error)]
#[error("decision store: {0}")]
pub struct StoreError(pub String);

fn e(x: impl std::fmt::Display) -> StoreError {
    StoreError(x.to_string())
}

fn to_json<T: Serialize>(v: &T) -> Vec<u8> {
    serde_json::to_vec(v).expect("store records serialize")
}

fn from_json<T: DeserializeOwned>(b: &[u8]) -> Result<T, StoreError> {
    serde_json::from_slice(b).map_err(e)
}

/// A new decision to record, with the pseudonym that must not have applied before.
pub struct NewDecision {
    pub pseudonym_key: String,
    pub record: DecisionRecord,
}

/// What happened to one new decision.
pub enum Recorded {
    Stored(Box<DecisionRecord>),
    /// The pseudonym already applied to this program: its earlier decision's number.
    Duplicate(u64),
}

pub struct DecisionStore {
    db: Database,
}

impl DecisionStore {
    pub fn open(path: &Path) -> Result<DecisionStore, StoreError> {
        let db = Database::create(path).map_err(e)?;
        let tx = db.begin_write().map_err(e)?;
        tx.open_table(DECISIONS).map_err(e)?;
        tx.open_table(PSEUDONYMS).map_err(e)?;
        tx.open_table(BATCHES).map_err(e)?;
        tx.open_table(META).map_err(e)?;
        tx.commit().map_err(e)?;
        Ok(DecisionStore { db })
    }

    /// Records decisions in one durable transaction (one fsync for the whole group), numbering
    /// them in order and refusing pseudonyms seen before (also within the group).
    pub fn record(&self, new: Vec<NewDecision>) -> Result<Vec<Recorded>, StoreError> {
        let tx = self.db.begin_write().map_err(e)?;
        let mut out = Vec::with_capacity(new.len());
        {
            let mut meta = tx.open_table(META).map_err(e)?;
            let mut next: u64 = match meta.get("next_seq").map_err(e)? {
                Some(v) => from_json(v.value())?,
                None => 1,
            };
            let mut decisions = tx.open_table(DECISIONS).map_err(e)?;
            let mut pseudonyms = tx.open_table(PSEUDONYMS).map_err(e)?;
            for mut n in new {
                if let Some(seq) = pseudonyms.get(n.pseudonym_key.as_str()).map_err(e)? {
                    out.push(Recorded::Duplicate(seq.value()));
                    continue;
                }
                n.record.seq = next;
                n.record.seal();
                decisions.insert(next, to_json(&n.record).as_slice()).map_err(e)?;
                pseudonyms.insert(n.pseudonym_key.as_str(), next).map_err(e)?;
                out.push(Recorded::Stored(Box::new(n.record)));
                next += 1;
            }
            meta.insert("next_seq", to_json(&next).as_slice()).map_err(e)?;
        }
        tx.commit().map_err(e)?;
        Ok(out)
    }

    pub fn decision(&self, seq: u64) -> Result<Option<DecisionRecord>, StoreError> {
        let tx = self.db.begin_read().map_err(e)?;
        let t = tx.open_table(DECISIONS).map_err(e)?;
        t.get(seq).map_err(e)?.map(|v| from_json(v.value())).transpose()
    }

    /// Decisions of `program` after `after_seq`, in order.
    pub fn decisions_after(&self, program: &str, after_seq: u64) -> Result<Vec<DecisionRecord>, StoreError> {
        let tx = self.db.begin_read().map_err(e)?;
        let t = tx.open_table(DECISIONS).map_err(e)?;
        let mut out = Vec::new();
        for row in t.range(after_seq + 1..).map_err(e)? {
            let (_, v) = row.map_err(e)?;
            let d: DecisionRecord = from_json(v.value())?;
            if d.core.program == program {
                out.push(d);
            }
        }
        Ok(out)
    }

    pub fn meta<T: DeserializeOwned>(&self, key: &str) -> Result<Option<T>, StoreError> {
        let tx = self.db.begin_read().map_err(e)?;
        let t = tx.open_table(META).map_err(e)?;
        t.get(key).map_err(e)?.map(|v| from_json(v.value())).transpose()
    }

    pub fn put_meta<T: Serialize>(&self, key: &str, value: &T) -> Result<(), StoreError> {
        self.put_metas(&[(key, serde_json::to_value(value).map_err(e)?)])
    }

    /// Several meta records in one durable write: all of them or none.
    pub fn put_metas(&self, entries: &[(&str, serde_json::Value)]) -> Result<(), StoreError> {
        let tx = self.db.begin_write().map_err(e)?;
        {
            let mut t = tx.open_table(META).map_err(e)?;
            for (key, value) in entries {
                t.insert(*key, to_json(value).as_slice()).map_err(e)?;
            }
        }
        tx.commit().map_err(e)
    }

    /// Records an anchored batch and marks its decisions with their place in it.
    pub fn put_batch(&self, batch: &Batch) -> Result<(), StoreError> {
        let tx = self.db.begin_write().map_err(e)?;
        {
            let key = format!("{}/{:012}", batch.program, batch.batch);
            tx.open_table(BATCHES).map_err(e)?.insert(key.as_str(), to_json(batch).as_slice()).map_err(e)?;
            let mut decisions = tx.open_table(DECISIONS).map_err(e)?;
            for (index, seq) in batch.seqs.iter().enumerate() {
                let stored =
                    decisions.get(*seq).map_err(e)?.map(|v| from_json::<DecisionRecord>(v.value())).transpose()?;
                if let Some(mut d) = stored {
                    d.anchored = Some((batch.batch, index as u64));
                    decisions.insert(*seq, to_json(&d).as_slice()).map_err(e)?;
                }
            }
            let mut meta = tx.open_table(META).map_err(e)?;
            let upto = batch.seqs.iter().max().copied().unwrap_or(0);
            meta.insert(format!("anchored_upto/{}", batch.program).as_str(), to_json(&upto).as_slice()).map_err(e)?;
        }
        tx.commit().map_err(e)
    }

    pub fn batch(&self, program: &str, batch: u64) -> Result<Option<Batch>, StoreError> {
        let tx = self.db.begin_read().map_err(e)?;
        let t = tx.open_table(BATCHES).map_err(e)?;
        t.get(format!("{program}/{batch:012}").as_str()).map_err(e)?.map(|v| from_json(v.value())).transpose()
    }
}
