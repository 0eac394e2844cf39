//! A vehicle's history read with one proof (CAR-10): the summary is proven against the
//! chain's validators, and its history hash proves every record the node hands over, in
//! order, flags included. What a listing site or a buyer's phone runs before showing a car.

use dojang_cars::state::{history_is_whole, Entry, Vehicle};
use dojang_cars::views::{HistoryQuery, VehicleQuery};
use dojang_sdk::{Client, ClientError, TrustedChain};

/// A history whose every record is proven.
#[derive(Debug, Clone)]
pub struct ProvenHistory {
    pub vehicle: Vehicle,
    pub records: Vec<Entry>,
    /// The height the summary was proven at.
    pub height: u64,
}

/// Reads `vin`'s history from `client` and proves it against `chain`; `None` when the proof
/// shows the chain has no record of that VIN.
pub async fn history_verified(
    client: &Client,
    chain: &TrustedChain,
    vin: &str,
) -> Result<Option<ProvenHistory>, ClientError> {
    let Some(proven) = client.ask_verified(&VehicleQuery { vin: vin.into() }, chain).await? else {
        return Ok(None);
    };
    let mut records = Vec::with_capacity(proven.record.records as usize);
    let mut after = None;
    while records.len() < proven.record.records as usize {
        let page = client.ask(&HistoryQuery { vin: vin.into(), after, limit: None }).await?;
        let Some(last) = page.records.last().map(|e| e.seq) else { break };
        records.extend(page.records);
        after = Some(last);
    }
    // The node may have added records since the proof: only the proven ones count.
    records.truncate(proven.record.records as usize);
    history_is_whole(&proven.record, &records)
        .map_err(|e| ClientError::BadAnswer(format!("the history of {vin} does not match its proven summary: {e}")))?;
    Ok(Some(ProvenHistory { vehicle: proven.record, records, height: proven.height }))
}
