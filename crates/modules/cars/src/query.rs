//! Read-only queries, each with a proof through the node's API:
//! - `history/<VIN>`: the vehicle's summary, its records in order (at most `limit`, default
//!   and most 500, after record `after`), and its sales with their windows (CAR-10);
//! - `vehicle/<VIN>`, `record/<VIN>/<n>`, `sale/<VIN>/<n>`, `party/<account>`: one record
//!   and its state key, to read it again with a proof ([`crate::views`]).

use dojang_ledger::{
    decode_record, json_bytes, keyed_answer, query_answer, query_number, Entries, ModuleError, StateRead,
};
use dojang_types::Address;
use serde::de::IgnoredAny;
use serde_json::Value;

use crate::state::{self, Entry, PartyRecord, Sale, Vehicle};
use crate::views::History;
use crate::vin;
use crate::NAME;

/// The most records one history answer holds.
pub const MAX_PAGE: usize = 500;

fn number(text: &str, what: &str) -> Result<u32, ModuleError> {
    text.parse().map_err(|_| ModuleError::InvalidMessage(format!("'{text}' is not a {what} number")))
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
            keyed_answer::<Vehicle>(state, NAME, &state::vehicle_key(v), || format!("a history for VIN {v} (no record names it)"))
        }
        ["record", v, n] => {
            checked_vin(v)?;
            let seq = number(n, "record")?;
            keyed_answer::<Entry>(state, NAME, &state::record_key(v, seq), || format!("record {n} of VIN {v}"))
        }
        ["sale", v, n] => {
            checked_vin(v)?;
            let number = number(n, "sale")?;
            keyed_answer::<Sale>(state, NAME, &state::sale_key(v, number), || format!("sale {n} of VIN {v}"))
        }
        ["party", a] => {
            let account: Address = a.parse().map_err(|e: String| ModuleError::InvalidMessage(e))?;
            keyed_answer::<PartyRecord>(state, NAME, &state::party_key(&account), || format!("an accreditation of {a}"))
        }
        _ => Err(ModuleError::InvalidMessage(format!(
            "unknown cars query '{path}' (history/<VIN>, vehicle/<VIN>, record/<VIN>/<n>, sale/<VIN>/<n>, party/<account>)"
        ))),
    }
}

/// [`query`]'s answer written as JSON. A history, the page every buyer and listing site reads,
/// copies its summary's, records' and sales' stored JSON as they are stored: no record is
/// decoded into a type and a `Value` only to be written again. Each is still checked to be one
/// whole JSON value, so a damaged store gives an error, never a malformed answer.
pub fn query_json(state: &dyn StateRead, path: &str, params: &Value) -> Result<Vec<u8>, ModuleError> {
    match path.strip_prefix("history/") {
        Some(v) if !v.contains('/') => {
            checked_vin(v)?;
            history_json(state, v, params)
        }
        _ => query(state, path, params).map(|answer| json_bytes(&answer)),
    }
}

/// A vehicle's summary as stored, decoded; `NotFound` when no record names the VIN.
fn stored_vehicle(state: &dyn StateRead, v: &str) -> Result<(Vec<u8>, Vehicle), ModuleError> {
    let key = state::vehicle_key(v);
    let bytes = state
        .get(key.as_bytes())?
        .ok_or_else(|| ModuleError::NotFound(format!("a history for VIN {v} (no record names it)")))?;
    let vehicle = decode_record(&bytes, &key)?;
    Ok((bytes, vehicle))
}

/// One page of `v`'s records as `(key, stored JSON)`, by the `limit` and `after` parameters,
/// and how many the page could hold.
fn records_page(state: &dyn StateRead, v: &str, params: &Value) -> Result<(Entries, usize), ModuleError> {
    let limit = query_number(params, "limit")?.map_or(MAX_PAGE, |l| (l as usize).clamp(1, MAX_PAGE));
    let after =
        query_number(params, "after")?.map(|a| state::record_key(v, a.min(u64::from(u32::MAX)) as u32).into_bytes());
    Ok((state.scan(state::records_prefix(v).as_bytes(), after.as_deref(), limit)?, limit))
}

/// Appends a stored record to `out` once it is checked to be one whole JSON value.
fn push_stored(out: &mut Vec<u8>, bytes: &[u8], key: &[u8]) -> Result<(), ModuleError> {
    decode_record::<IgnoredAny>(bytes, &String::from_utf8_lossy(key))?;
    out.extend_from_slice(bytes);
    Ok(())
}

/// The same answer as [`history`], field for field, from the stored bytes.
fn history_json(state: &dyn StateRead, v: &str, params: &Value) -> Result<Vec<u8>, ModuleError> {
    let (vehicle_bytes, vehicle) = stored_vehicle(state, v)?;
    let (page, limit) = records_page(state, v, params)?;
    let mut out = Vec::with_capacity(vehicle_bytes.len() + page.iter().map(|(_, b)| b.len() + 1).sum::<usize>() + 256);
    out.extend_from_slice(b"{\"vin\":");
    out.extend_from_slice(&json_bytes(&Value::from(v)));
    out.extend_from_slice(b",\"vehicle\":");
    out.extend_from_slice(&vehicle_bytes);
    out.extend_from_slice(b",\"records\":[");
    for (i, (key, bytes)) in page.iter().enumerate() {
        if i > 0 {
            out.push(b',');
        }
        push_stored(&mut out, bytes, key)?;
    }
    out.extend_from_slice(b"],\"sales\":[");
    let mut first = true;
    for n in 1..=vehicle.sales {
        let key = state::sale_key(v, n);
        if let Some(bytes) = state.get(key.as_bytes())? {
            if !first {
                out.push(b',');
            }
            first = false;
            push_stored(&mut out, &bytes, key.as_bytes())?;
        }
    }
    out.extend_from_slice(b"],\"next_after\":");
    match page.last().filter(|_| page.len() == limit) {
        Some((key, bytes)) => {
            let seq = decode_record::<Entry>(bytes, &String::from_utf8_lossy(key))?.seq;
            out.extend_from_slice(seq.to_string().as_bytes());
        }
        None => out.extend_from_slice(b"null"),
    }
    out.push(b'}');
    Ok(out)
}

fn history(state: &dyn StateRead, v: &str, params: &Value) -> Result<Value, ModuleError> {
    let (_, vehicle) = stored_vehicle(state, v)?;
    let (page, limit) = records_page(state, v, params)?;
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

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use dojang_ledger::StoreError;
    use serde_json::json;

    use super::*;

    /// A module's state as plain stored bytes, to damage at will.
    struct Stored(BTreeMap<Vec<u8>, Vec<u8>>);

    impl StateRead for Stored {
        fn get(&self, key: &[u8]) -> Result<Option<Vec<u8>>, StoreError> {
            Ok(self.0.get(key).cloned())
        }
        fn scan(
            &self,
            prefix: &[u8],
            after: Option<&[u8]>,
            limit: usize,
        ) -> Result<Vec<(Vec<u8>, Vec<u8>)>, StoreError> {
            Ok(self
                .0
                .range(prefix.to_vec()..)
                .take_while(|(k, _)| k.starts_with(prefix))
                .filter(|(k, _)| after.is_none_or(|a| k.as_slice() > a))
                .take(limit)
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect())
        }
        fn read_module(&self, _: &str, _: &[u8]) -> Result<Option<Vec<u8>>, StoreError> {
            Ok(None)
        }
    }

    const VIN: &str = "1HGCM82633A004352";

    fn stored(second_record: &[u8]) -> Stored {
        let vehicle = Vehicle { records: 2, ..Vehicle::default() };
        let mut m = BTreeMap::new();
        m.insert(state::vehicle_key(VIN).into_bytes(), serde_json::to_vec(&vehicle).unwrap());
        m.insert(state::record_key(VIN, 1).into_bytes(), br#"{"seq":1}"#.to_vec());
        m.insert(state::record_key(VIN, 2).into_bytes(), second_record.to_vec());
        Stored(m)
    }

    #[test]
    fn a_damaged_stored_record_is_an_error_naming_it_never_a_malformed_answer() {
        let path = format!("history/{VIN}");
        let whole = query_json(&stored(br#"{"seq":2}"#), &path, &json!({})).expect("intact records are copied");
        let answer: Value = serde_json::from_slice(&whole).expect("the answer is JSON");
        assert_eq!(answer["records"], json!([{"seq": 1}, {"seq": 2}]));
        assert_eq!(answer["next_after"], Value::Null);
        for damaged in [&br#"{"seq":2"#[..], b"", br#"{"seq":2}]"#, br#"{"seq":2} {"seq":3}"#] {
            let e = query_json(&stored(damaged), &path, &json!({})).unwrap_err();
            assert!(
                matches!(&e, ModuleError::Storage(StoreError::Corrupt(m)) if m.contains(&state::record_key(VIN, 2))),
                "{}: {e}",
                String::from_utf8_lossy(damaged)
            );
        }
    }
}
