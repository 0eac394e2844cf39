//! The fleet's years before the demo: each vehicle registered, owned, repaired, read by the
//! mileage programme and the insurers, inspected, every few months, and a helper that sends
//! many signed records at once and requires each to be recorded.

use std::time::Duration;

use anyhow::bail;
use dojang_cars::{CarsMsg, Record};
use dojang_sdk::Client;
use dojang_types::{Date, Hash, SignedTx};

use super::cast::{Cast, Owner};
use crate::fleet::{ordinary, vin_of, Source, KM_PER_DAY};

/// The vehicles the demo plants findings in are given this many ordinary records: the last
/// (record 11) is an insurer's reading and the one before the mileage programme's.
pub const PLANTED_RECORDS: u32 = 12;
/// The last ordinary record is this many days before today.
pub const LAST_RECORD_DAYS_AGO: i64 = 40;

/// One vehicle of the fleet and the shape of its ordinary history.
pub struct Car {
    pub n: usize,
    pub vin: String,
    pub first: Date,
    pub days_apart: u32,
    /// Ordinary records, the registration included.
    pub records: u32,
}

impl Car {
    /// Vehicle `n` of this run, VIN serial `serial`: registered between two and eight years
    /// ago, with a record every three to seven months; `planted` ones get [`PLANTED_RECORDS`].
    pub fn new(n: usize, serial: u64, today: Date, planted: bool) -> Car {
        let days_apart = 90 + (n as u32 % 5) * 30;
        let records = if planted { PLANTED_RECORDS } else { 8 + n as u32 % 8 };
        let first = today.plus_days(-LAST_RECORD_DAYS_AGO - i64::from((records - 1) * days_apart));
        Car { n, vin: vin_of(serial), first, days_apart, records }
    }

    /// The odometer at the last ordinary record.
    pub fn last_km(&self) -> u64 {
        12 + u64::from((self.records - 1) * self.days_apart) * KM_PER_DAY
    }

    /// The registration office's records and each ordinary record, signed by who knows it.
    pub fn history(&self, cast: &Cast, owner: &Owner) -> Vec<SignedTx> {
        let mut txs: Vec<SignedTx> = (0..self.records)
            .map(|r| {
                let (source, record) = ordinary(&self.vin, self.first, r, self.days_apart);
                cast.for_source(source, self.n + r as usize).tx.message(&self.attest(record))
            })
            .collect();
        let transfer = Record::Transfer { on: self.first, owner: owner.tx.key.public_key().address() };
        txs.push(cast.for_source(Source::RegistrationOffice, self.n).tx.message(&self.attest(transfer)));
        txs
    }

    pub fn attest(&self, record: Record) -> CarsMsg {
        CarsMsg::Attest { vin: self.vin.clone(), record }
    }
}

/// Sends `txs` as a load (batches, many in flight) and requires every one to be recorded; on
/// a failure, says which and why.
pub async fn all_recorded(client: &Client, url: &str, txs: &[SignedTx], what: &str) -> anyhow::Result<()> {
    let encoded: Vec<(Hash, String)> = txs.iter().map(|t| (t.id(), hex::encode(dojang_types::encode(t)))).collect();
    let sent = dojang_sdk::load::send_all(url, &encoded, 500, 6_000, Duration::from_secs(120)).await?;
    if sent.ok == txs.len() as u64 {
        return Ok(());
    }
    let mut why = Vec::new();
    for (id, _) in &encoded {
        if why.len() == 3 {
            break;
        }
        match client.tx(id).await {
            Ok(r) if r["receipt"]["result"]["status"] == "ok" => {}
            Ok(r) => why.push(format!("{id}: {}", r["receipt"]["result"])),
            Err(e) => why.push(format!("{id}: {e}")),
        }
    }
    bail!(
        "{what}: {} of {} recorded ({} refused in a block, {} refused at admission, {} not final): {}",
        sent.ok,
        txs.len(),
        sent.refused_in_block,
        sent.refused_at_admission,
        sent.not_final,
        why.join("; ")
    )
}
