//! Read-only queries, each with a proof through the node's API:
//! - `history/<VIN>`: the vehicle's summary, its records in order (at most `limit`, default
//!   and most 500, after record `after`), and its sales with their windows (CAR-10);
//! - `vehicle/<VIN>`, `record/<VIN>/<n>`, `sale/<VIN>/<n>`, `party/<account>`: one record
//!   and its state key, to read it again with a proof ([`crate::views`]).

use dojang_ledger::{decode_record, query_answer, query_number, ModuleError, StateRead};
use dojang_types::{Address, KeyedRecord};
use serde_json::Value;

use crate::state::{self, Entry, PartyRecord, Sale, Vehicle};
use crate::views::History;
use crate::vin;

/// The most records one history answer holds.
pub const MAX_PAGE: usize = 500;

fn number(text: &str, what: &str) -> Result<u32, ModuleError> {
    text.parse().map_err(|_| ModuleError::InvalidMessage(format!("'{text}' is not a {what} number")))
}

/// One record with its full state key, or `NotFound` with `missing`'s words.
fn keyed<T: serde::de::DeserializeOwned + serde::Serialize>(
    state: &dyn StateRead,
    key: String,
    missing: impl FnOnce() -> String,
) -> Result<Value, ModuleError> {
    let record: T = state::read(state, &key)?.ok_or_else(|| ModuleError::NotFound(missing()))?;
    query_answer(&KeyedRecord { key: format!("{}/{key}", crate::NAME), record })
}

fn checked_vin(v: &str) -> Result<(), ModuleError> {
    vin::check(v).map_err(|e| ModuleError::InvalidMessage(e.to_string()))
}

pub fn query(state: &dyn StateRead, path: &str, params: &Value) -> Result<Value, ModuleError> {
    let parts: Vec<&str> = path.split('/').collect();
    match parts.as_slice() {
        ["history", v] => {
            checked_vin(v)?;
            history(state, v, params)
        }
        ["vehicle", v] => {
            checked_vin(v)?;
            keyed::<Vehicle>(state, state::vehicle_key(v), || format!("a history for VIN {v} (no record names it)"))
        }
        ["record", v, n] => {
            checked_vin(v)?;
            let seq = number(n, "record")?;
            keyed::<Entry>(state, state::record_key(v, seq), || format!("record {n} of VIN {v}"))
        }
        ["sale", v, n] => {
            checked_vin(v)?;
            let number = number(n, "sale")?;
            keyed::<Sale>(state, state::sale_key(v, number), || format!("sale {n} of VIN {v}"))
        }
        ["party", a] => {
            let account: Address = a.parse().map_err(|e: String| ModuleError::InvalidMessage(e))?;
            keyed::<PartyRecord>(state, state::party_key(&account), || format!("an accreditation of {a}"))
        }
        _ => Err(ModuleError::InvalidMessage(format!(
            "unknown cars query '{path}' (history/<VIN>, vehicle/<VIN>, record/<VIN>/<n>, sale/<VIN>/<n>, party/<account>)"
        ))),
    }
}

fn history(state: &dyn StateRead, v: &str, params: &Value) -> Result<Value, ModuleError> {
    let vehicle: Vehicle = state::read(state, &state::vehicle_key(v))?
        .ok_or_else(|| ModuleError::NotFound(format!("a history for VIN {v} (no record names it)")))?;
    let limit = query_number(params, "limit")?.map_or(MAX_PAGE, |l| (l as usize).clamp(1, MAX_PAGE));
    let after =
        query_number(params, "after")?.map(|a| state::record_key(v, a.min(u64::from(u32::MAX)) as u32).into_bytes());
    let page = state.scan(state::records_prefix(v).as_bytes(), after.as_deref(), limit)?;
    let records = page
        .iter()
        .map(|(k, b)| decode_record::<Entry>(b, &String::from_utf8_lossy(k)))
        .collect::<Result<Vec<_>, _>>()?;
    let mut sales = Vec::new();
    for n in 1..=vehicle.sales {
        if let Some(s) = state::read::<Sale>(state, &state::sale_key(v, n))? {
            sales.push(s);
        }
    }
    let next_after = (records.len() == limit).then(|| records.last().map(|e| e.seq)).flatten();
    query_answer(&History { vin: v.to_string(), vehicle, records, sales, next_after })
}
