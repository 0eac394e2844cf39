//! What the demo plants and must find:
//! - three odometer rollbacks (CAR-01): a garage's reading 40,000 km below the last one; one
//!   hidden across two sources (the mileage programme's readings go up among themselves, but
//!   its new one is below the insurer's earlier reading); and one recorded out of order (a
//!   reading dated before a later, lower one arrives last);
//! - a flood car sold as dry: the insurer's flood claim arrives inside the 90-day window
//!   (CAR-06), the sale is contradicted and the buyer's evidence package is made and checked
//!   offline;
//! - the inspector who signed the flood car's clean inspection is suspended by the council,
//!   and its next inspection is refused (CAR-05).

use std::path::Path;

use anyhow::{bail, Context};
use dojang_cars::msg::Severity;
use dojang_cars::state::{Fact, Flag};
use dojang_cars::views::{HistoryQuery, SaleQuery};
use dojang_cars::{CarsMsg, Record};
use dojang_governance::GovernanceMsg;
use dojang_governance_service::dev_chain::propose;
use dojang_sdk::{Client, ClientError, TxBuilder};
use dojang_types::{Date, Validator};
use serde_json::{json, Value};

use super::cast::Cast;
use super::history::{all_recorded, Car};
use super::sales::Sale;
use crate::evidence;
use crate::fleet::{document, KM_PER_DAY};

/// The day the planted readings are dated, and the out-of-order one.
const PLANTED_DAYS_AGO: i64 = 20;
const LATE_DAYS_AGO: i64 = 30;

/// Plants the three rollbacks and answers, for each, the VIN and the flagged record.
pub async fn rollbacks(
    client: &Client,
    url: &str,
    cast: &Cast,
    cars: [&Car; 3],
    today: Date,
) -> anyhow::Result<Vec<Value>> {
    let [plain, hidden, late] = cars;
    let on = today.plus_days(-PLANTED_DAYS_AGO);
    let shop = &cast.shops[0];
    let rolled = Record::Repair { on, km: plain.last_km() - 40_000, work: document(&plain.vin, "work", 99) };
    // Above the mileage programme's own last reading (record 10), below the insurer's (11).
    let between = hidden.last_km() - u64::from(hidden.days_apart) * KM_PER_DAY / 2;
    let first = vec![
        shop.tx.message(&plain.attest(rolled)),
        cast.mileage[0].tx.message(&hidden.attest(Record::Odometer { on, km: between })),
        shop.tx.message(&late.attest(Record::Repair {
            on,
            km: late.last_km() + 700,
            work: document(&late.vin, "work", 99),
        })),
    ];
    all_recorded(client, url, &first, "the planted readings").await?;
    // The reading from before the clocking reaches the chain last.
    let before = Record::Odometer { on: today.plus_days(-LATE_DAYS_AGO), km: late.last_km() + 8_000 };
    all_recorded(client, url, &[cast.mileage[0].tx.message(&late.attest(before))], "the late reading").await?;

    let mut found = Vec::new();
    for (car, what) in [
        (plain, "a garage's reading 40,000 km below the last"),
        (hidden, "hidden across two sources: the mileage programme's readings rise, but not above the insurer's"),
        (late, "recorded out of order: an earlier, higher reading arrives after a later, lower one"),
    ] {
        let flagged = flagged_records(client, &car.vin).await?;
        let Some((seq, by, flags)) =
            flagged.iter().find(|(_, _, f)| f.iter().any(|f| matches!(f, Flag::Rollback { .. })))
        else {
            bail!("the rollback planted in {} ({what}) was not flagged", car.vin);
        };
        println!("  rollback found: {} record {seq} by {by}: {what}; flags {}", car.vin, serde_json::to_string(flags)?);
        found.push(json!({"vin": car.vin, "record": seq, "by": by, "what": what, "flags": flags}));
    }
    Ok(found)
}

/// The records of `vin` with a flag: their number, attester and flags.
pub async fn flagged_records(client: &Client, vin: &str) -> Result<Vec<(u32, String, Vec<Flag>)>, ClientError> {
    let mut out = Vec::new();
    let mut after = None;
    loop {
        let page = client.ask(&HistoryQuery { vin: vin.into(), after, limit: None }).await?;
        for e in &page.records {
            if !e.flags.is_empty() {
                out.push((e.seq, e.by.to_string(), e.flags.clone()));
            }
        }
        match page.next_after {
            Some(n) => after = Some(n),
            None => return Ok(out),
        }
    }
}

/// The flood car: sold as dry, then the insurer's flood claim from before the sale arrives.
/// Answers what the buyer's evidence package proves, checked offline.
pub async fn flood(
    client: &Client,
    cast: &Cast,
    sale: &Sale<'_>,
    chain: (&str, &[Validator]),
    dir: &Path,
    today: Date,
) -> anyhow::Result<Value> {
    let car = sale.car;
    let claim = Record::Accident { on: today.plus_days(-150), km: None, severity: Severity::Minor, flood: true };
    client.send(&cast.insurers[0].tx, &car.attest(claim)).await?;
    let recorded = client.ask(&SaleQuery { vin: car.vin.clone(), number: 1 }).await?.record;
    if !recorded.contradictions.iter().any(|c| c.fact == Fact::Flood) {
        bail!("the insurer's flood claim did not contradict the flood car's notice: {:?}", recorded.contradictions);
    }
    let (chain_id, validators) = chain;
    let package = evidence::build(client, chain_id, validators, &car.vin, 1).await?;
    let file = dir.join(format!("evidence-{}-sale-1.json", car.vin));
    std::fs::write(&file, serde_json::to_vec_pretty(&package)?)
        .with_context(|| format!("writing {}", file.display()))?;
    // Checked as a court would: from the file and the genesis alone.
    let report = evidence::check(&package, chain_id, validators)?;
    println!(
        "  flood car {} sold as dry on {}; the insurer's flood claim of {} contradicts the notice inside the 90-day window",
        car.vin,
        today.plus_days(-super::sales::DELIVERED_DAYS_AGO),
        today.plus_days(-150)
    );
    println!("  the buyer's evidence package: {} (checked offline against the genesis: it stands)", file.display());
    Ok(json!({"vin": car.vin, "sale": 1, "evidence": file.display().to_string(), "report": report}))
}

/// The council suspends the flood car's inspector; its next inspection is refused.
pub async fn suspend(
    client: &Client,
    council: &TxBuilder,
    cast: &Cast,
    flood_vin: &str,
    other: &Car,
    today: Date,
) -> anyhow::Result<Value> {
    let inspector = cast.inspectors.last().context("the demo has inspectors")?;
    let reason = format!("certified flood-damaged {flood_vin} as dry");
    let suspend = CarsMsg::Suspend { account: inspector.address(), reason: reason.clone() };
    propose(client, council, GovernanceMsg::propose(&suspend, &reason, dojang_types::wall_clock_ms() + 600_000))
        .await?;
    let attempt = other.attest(Record::Odometer { on: today, km: other.last_km() + 40 * KM_PER_DAY });
    match client.send(&inspector.tx, &attempt).await {
        Err(ClientError::Refused { code, reason: why, .. }) if code == "CAR-05" => {
            println!("  {} suspended ({reason}); its next record is refused: {why}", inspector.organisation);
            Ok(json!({"inspector": inspector.address(), "organisation": inspector.organisation,
                      "reason": reason, "refused": {"code": code, "reason": why}}))
        }
        Err(e) => bail!("the suspended inspector's record was refused for another reason: {e}"),
        Ok(r) => bail!("the suspended inspector's record was accepted: {r}"),
    }
}
