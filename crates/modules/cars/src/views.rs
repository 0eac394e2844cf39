//! The cars queries a client can ask, each with the type of its answer. The one-record
//! queries name the state key they live under, so a client (a buyer's evidence, a listing
//! site) can read them again with a proof against the chain's validators.

use dojang_types::{record_query, ModuleQuery};
use serde::{Deserialize, Serialize};

use crate::state::{self, Entry, PartyRecord, Sale, Vehicle};
use crate::NAME;

/// A vehicle's history as a page (CAR-10): its summary, records in order, sales.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct History {
    pub vin: String,
    pub vehicle: Vehicle,
    pub records: Vec<Entry>,
    pub sales: Vec<Sale>,
    /// Where the next page starts (`after`), when this one is full.
    pub next_after: Option<u32>,
}

/// `history/<VIN>`: up to `limit` records after record `after`.
pub struct HistoryQuery {
    pub vin: String,
    pub after: Option<u32>,
    pub limit: Option<u32>,
}

impl ModuleQuery for HistoryQuery {
    const MODULE: &'static str = NAME;
    type Answer = History;
    fn path(&self) -> String {
        format!("history/{}", self.vin)
    }
    fn params(&self) -> Vec<(&'static str, String)> {
        let mut p = Vec::new();
        if let Some(a) = self.after {
            p.push(("after", a.to_string()));
        }
        if let Some(l) = self.limit {
            p.push(("limit", l.to_string()));
        }
        p
    }
}

record_query!(
    /// `vehicle/<VIN>`: the vehicle's summary.
    VehicleQuery { vin: String } => Vehicle, format!("vehicle/{vin}"), state::vehicle_key(vin)
);
record_query!(
    /// `record/<VIN>/<n>`: the vehicle's n-th record.
    RecordOfQuery { vin: String, seq: u32 } => Entry, format!("record/{vin}/{seq}"), state::record_key(vin, *seq)
);
record_query!(
    /// `sale/<VIN>/<n>`: the vehicle's n-th sale.
    SaleQuery { vin: String, number: u32 } => Sale, format!("sale/{vin}/{number}"), state::sale_key(vin, *number)
);
record_query!(
    /// `party/<account>`: an attester's accreditation.
    PartyQuery { account: dojang_types::Address } => PartyRecord, format!("party/{account}"), state::party_key(account)
);
