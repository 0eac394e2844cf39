//! Car mileage's evidence, read from the used-car service: the office reads a vehicle's
//! history with proofs, compares the year awarded with the year before, and cites a salted
//! commitment to the vehicle and year ([`dojang_mileage::odometer`], docs/decisions/0024).
//! An auditor given the opening checks an award against the chain the same way.

use anyhow::{bail, Context};
use dojang_cars_service::lookup::{history_verified, ProvenHistory};
use dojang_mileage::msg::Evidence;
use dojang_mileage::odometer::{self, Opening, Reading};
use dojang_mileage::views::{EvidenceQuery, ProgrammeQuery};
use dojang_sdk::{Client, TrustedChain};
use dojang_types::Date;

/// The readings an award may compare, in date order: every odometer reading of the vehicle's
/// proven history that the council has not voided and that carries no flag (a rolled-back
/// or implausible reading earns nothing).
pub fn trusted_readings(history: &ProvenHistory) -> Vec<Reading> {
    let unflagged = |seq: u32| history.records.iter().any(|e| e.seq == seq && e.flags.is_empty());
    let mut readings: Vec<Reading> = history
        .vehicle
        .readings
        .iter()
        .filter(|r| !history.vehicle.is_voided(r.seq) && unflagged(r.seq))
        .map(|r| Reading { seq: r.seq, on: r.on, km: r.km, segment: r.segment })
        .collect();
    readings.sort_by_key(|r| (r.on, r.seq));
    readings
}

async fn readings_of(client: &Client, chain: &TrustedChain, vin: &str) -> anyhow::Result<Vec<Reading>> {
    let history = history_verified(client, chain, vin)
        .await
        .with_context(|| format!("reading the history of {vin}"))?
        .with_context(|| format!("the chain has no record of vehicle {vin}"))?;
    Ok(trusted_readings(&history))
}

/// The evidence for `vin`'s award period ending by `end_by`, from its proven history, and the
/// opening the office keeps for an auditor.
pub async fn odometer_evidence(
    client: &Client,
    chain: &TrustedChain,
    office_secret: &[u8; 32],
    vin: &str,
    end_by: Date,
) -> anyhow::Result<(Evidence, Opening)> {
    let readings = readings_of(client, chain, vin).await?;
    let span = odometer::pick_span(&readings, end_by).map_err(|e| anyhow::anyhow!("{vin}: {e}"))?;
    odometer::evidence(office_secret, vin, span).map_err(|e| anyhow::anyhow!("{vin}: {e}"))
}

/// What an auditor found for one award.
#[derive(Debug)]
pub struct Audited {
    /// The award's amount as the chain keeps it.
    pub krw: u64,
    /// What the award table in force gives for the readings (more than `krw` when the
    /// person's yearly cap cut the award).
    pub table_krw: u64,
    pub height: u64,
}

/// Checks `evidence`, awarded under `programme`, against the chain, from its opening: the
/// award is on record with a proof, the readings are the vehicle's trusted ones, and they give
/// the measure claimed and, under the table the chain holds, no less than was paid.
pub async fn audit_award(
    client: &Client,
    chain: &TrustedChain,
    programme: &str,
    evidence: &Evidence,
    opening: &Opening,
) -> anyhow::Result<Audited> {
    let used = client
        .ask_verified(&EvidenceQuery { id: evidence.id }, chain)
        .await?
        .with_context(|| format!("evidence {} was never awarded", evidence.id))?;
    if used.record.programme != programme {
        bail!("evidence {} was awarded by '{}', not '{programme}'", evidence.id, used.record.programme);
    }
    let readings = readings_of(client, chain, &opening.vin).await?;
    odometer::audit(evidence, opening, &readings).map_err(anyhow::Error::msg)?;
    let p = client
        .ask_verified(&ProgrammeQuery { id: programme.into() }, chain)
        .await?
        .with_context(|| format!("no programme '{programme}'"))?;
    let table_krw = dojang_mileage::rules::award_amount(&p.record.tables, evidence).map_err(anyhow::Error::msg)?;
    if used.record.amount > table_krw {
        bail!("the award paid {} won, more than the table gives for these readings ({table_krw})", used.record.amount);
    }
    Ok(Audited { krw: used.record.amount, table_krw, height: used.record.height })
}
