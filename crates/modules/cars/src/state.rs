//! Records under `cars/`:
//! - `parties/<account>`: an accredited attester, its kind, business name and any suspension;
//! - `vehicles/<VIN>`: the vehicle's summary: how many records, first registration, the owner's
//!   pseudonymous account, odometer replacements and readings, active liens, open sales;
//! - `records/<VIN>/<n>`: the vehicle's n-th record (from 1), who attested it, and its flags;
//! - `sales/<VIN>/<n>`: the vehicle's n-th sale: the notice, the windows, contradictions;
//! - `mandates/<VIN>/<dealer>`: which owner lets that dealer sell the vehicle, until when;
//! - `notices/<hash>`: the sale a notice was used for.

use dojang_ledger::{read_record, write_record, ModuleError, StateRead, StateWrite};
use dojang_types::{Address, Date, Hash};
use serde::{Deserialize, Serialize};

use crate::msg::{LienKind, Notice, Party, Record};

/// Records one vehicle may have: far beyond any real car's life (a typical history holds
/// about forty), small enough that the vehicle's summary, rewritten with each record, stays
/// cheap.
pub const MAX_RECORDS: u32 = 2_000;
/// Sales one vehicle may have, and sales with a window open at once.
pub const MAX_SALES: u32 = 500;
pub const MAX_OPEN_SALES: usize = 4;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PartyRecord {
    pub party: Party,
    pub organisation: String,
    pub accredited_height: u64,
    #[serde(default)]
    pub suspended: Option<Suspension>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Suspension {
    pub reason: String,
    pub height: u64,
}

/// An odometer reading in a vehicle's summary.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Reading {
    /// The record it came from.
    pub seq: u32,
    pub on: Date,
    pub km: u64,
    /// Which odometer it was read on (CAR-01): [`crate::rules::segment_of`].
    pub segment: u32,
    /// The new odometer's first reading, recorded with its replacement.
    #[serde(default)]
    pub after_replacement: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct ActiveLien {
    pub reference: Hash,
    pub lien: LienKind,
    pub seq: u32,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Vehicle {
    pub records: u32,
    #[serde(default)]
    pub registered_on: Option<Date>,
    #[serde(default)]
    pub owner: Option<Address>,
    /// The date of the transfer that made `owner` the owner.
    #[serde(default)]
    pub owner_since: Option<Date>,
    /// Dates of registered odometer replacements, in order.
    #[serde(default)]
    pub replacements: Vec<Date>,
    #[serde(default)]
    pub readings: Vec<Reading>,
    #[serde(default)]
    pub liens: Vec<ActiveLien>,
    /// Records with at least one flag.
    #[serde(default)]
    pub flagged: u32,
    /// The latest inspection by date: a notice must cite it (CAR-03).
    #[serde(default)]
    pub last_inspection: Option<(u32, Date)>,
    #[serde(default)]
    pub sales: u32,
    /// Sales with a rescission window still open.
    #[serde(default)]
    pub open_sales: Vec<u32>,
    /// [`history_step`] over every record so far.
    #[serde(default)]
    pub history_hash: Hash,
    /// Records the council voided.
    #[serde(default)]
    pub voided: Vec<Void>,
}

impl Vehicle {
    pub fn is_voided(&self, seq: u32) -> bool {
        self.voided.iter().any(|v| v.seq == seq)
    }
}

/// What a buyer may rescind for, each with its window (CAR-06).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Fact {
    /// The odometer reading the notice gave was lower than a trusted reading before the sale.
    Odometer,
    /// An accident the notice did not disclose.
    Accident,
    /// Flood damage the notice did not disclose.
    Flood,
}

/// Why a record or a sale is flagged. A flagged record stays in the history.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "flag", rename_all = "snake_case")]
pub enum Flag {
    /// CAR-01: lower than an earlier reading, or higher than a later one, in the same segment.
    Rollback { against: u32, km: u64 },
    /// CAR-02: more kilometres per day than a car drives, against a neighbouring reading.
    Implausible { against: u32, km_per_day: u64 },
    /// CAR-02: dated before the vehicle's first registration.
    BeforeRegistration { registered_on: Date },
    /// CAR-08: a lien or seizure active at the sale that the notice did not disclose.
    UndisclosedLien { reference: Hash },
    /// CAR-06: contradicts the notice of sale `sale` inside its window.
    ContradictsNotice { sale: u32, fact: Fact },
    /// CAR-01: an odometer replacement dated before readings already on record, which it
    /// moves to the new odometer: a buyer should ask why it was recorded late.
    LateReplacement { moved: u32 },
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Entry {
    pub seq: u32,
    pub by: Address,
    pub party: Party,
    pub record: Record,
    pub height: u64,
    pub tx: Hash,
    #[serde(default)]
    pub flags: Vec<Flag>,
}

/// A record the council voided ([`crate::msg::CarsMsg::VoidRecord`]): the record itself is
/// never rewritten, so the vehicle's history hash still covers it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Void {
    pub seq: u32,
    pub reason: String,
    pub height: u64,
}

/// The vehicle's history hash after `entry`, given the hash before it: each record's exact
/// stored bytes chained in order, so one proof of the vehicle's summary proves its whole
/// history (a lookup checks forty records with one Merkle proof, not forty).
pub fn history_step(before: &Hash, entry_bytes: &[u8]) -> Hash {
    dojang_types::sha256(&[b"dojang/cars/history/v1", &before.0, &dojang_types::sha256(&[entry_bytes]).0])
}

/// Whether `records` are the vehicle's whole history, in order, as its summary's hash says.
pub fn history_is_whole(vehicle: &Vehicle, records: &[Entry]) -> Result<(), String> {
    if records.len() != vehicle.records as usize {
        return Err(format!("{} records, where the vehicle has {}", records.len(), vehicle.records));
    }
    let mut hash = Hash::default();
    for (i, entry) in records.iter().enumerate() {
        if entry.seq as usize != i + 1 {
            return Err(format!("record {} where record {} should be", entry.seq, i + 1));
        }
        let bytes = serde_json::to_vec(entry).map_err(|e| e.to_string())?;
        hash = history_step(&hash, &bytes);
    }
    if hash != vehicle.history_hash {
        return Err("the records do not hash to the vehicle's history hash: one was altered".into());
    }
    Ok(())
}

/// The owner's mandate to a dealer (CAR-07): it ends with the date, or when the vehicle
/// changes owner.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Mandate {
    pub owner: Address,
    pub until: Date,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum WindowKind {
    /// 30 days from delivery: odometer and accident facts.
    OdometerAccident,
    /// 90 days from delivery: undisclosed flood damage.
    Flood,
}

impl WindowKind {
    pub fn covers(self, fact: Fact) -> bool {
        match self {
            WindowKind::OdometerAccident => matches!(fact, Fact::Odometer | Fact::Accident),
            WindowKind::Flood => fact == Fact::Flood,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            WindowKind::OdometerAccident => "odometer_accident",
            WindowKind::Flood => "flood",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Window {
    pub kind: WindowKind,
    /// The last day the buyer may rescind.
    pub until: Date,
    pub open: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Contradiction {
    /// The contradicting record.
    pub seq: u32,
    pub fact: Fact,
    pub height: u64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Sale {
    pub number: u32,
    pub notice: Notice,
    /// SHA-256 over `dojang/cars/notice/v1` and the notice's JSON: what the buyer's copy must
    /// hash to.
    pub notice_hash: Hash,
    pub buyer: Address,
    pub contract_on: Date,
    pub delivered_on: Date,
    pub windows: Vec<Window>,
    #[serde(default)]
    pub flags: Vec<Flag>,
    #[serde(default)]
    pub contradictions: Vec<Contradiction>,
    pub height: u64,
    pub tx: Hash,
}

pub fn party_key(account: &Address) -> String {
    format!("parties/{account}")
}

pub fn vehicle_key(vin: &str) -> String {
    format!("vehicles/{vin}")
}

pub fn record_key(vin: &str, seq: u32) -> String {
    format!("records/{vin}/{seq:06}")
}

pub fn records_prefix(vin: &str) -> String {
    format!("records/{vin}/")
}

pub fn sale_key(vin: &str, number: u32) -> String {
    format!("sales/{vin}/{number:04}")
}

pub fn mandate_key(vin: &str, dealer: &Address) -> String {
    format!("mandates/{vin}/{dealer}")
}

/// A notice's hash, once a sale is recorded with it: one notice, one sale.
pub fn notice_key(hash: &Hash) -> String {
    format!("notices/{hash}")
}

/// The deadline key that closes a sale's window.
pub fn window_deadline(vin: &str, sale: u32, kind: WindowKind) -> String {
    format!("window/{vin}/{sale}/{}", kind.as_str())
}

pub fn read<T: serde::de::DeserializeOwned>(state: &dyn StateRead, key: &str) -> Result<Option<T>, ModuleError> {
    read_record(state, key.as_bytes())
}

pub fn write<T: Serialize>(state: &mut dyn StateWrite, key: &str, value: &T) {
    write_record(state, key.as_bytes(), value);
}
