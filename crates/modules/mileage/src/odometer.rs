//! Car mileage's evidence: kilometres driven less, from odometer readings the used-car
//! service keeps (DOMAIN.md §6, MIL-04 and MIL-06).
//!
//! Seoul paid car mileage for driving less than before, read from odometer photos. Here the
//! readings are records of the vehicle's history on the cars module, by accredited bodies
//! (the programme's own office among them). The issuing office reads them with proofs,
//! works out the reduction with [`km_driven_less`], and awards under an evidence id that is a
//! salted commitment to the vehicle and year ([`evidence_id`]): the chain keeps one award per
//! vehicle and year (MIL-04) without the VIN ever being joined to a mileage account in public
//! (docs/decisions/0024). An auditor given an award's [`Opening`] checks it against the chain
//! with [`audit`].

use dojang_types::{sha256, Date, Hash};
use serde::{Deserialize, Serialize};

use crate::msg::Evidence;

/// The evidence kind car mileage's award table prices.
pub const KIND: &str = "odometer-reduction";
/// The shortest period compared, either side: a year, less a month for booking the photo.
pub const MIN_PERIOD_DAYS: i64 = 335;
/// The longest award period: a year and a month.
pub const MAX_PERIOD_DAYS: i64 = 396;
/// An award cites the kilometres in whole steps of this many, and the month the period ended
/// in, not its day: the readings are public, and an exact pair would single out the vehicle
/// (decision 0024). The award table's tiers are whole steps.
pub const STEP_KM: u64 = 500;

/// The measure an award cites for `km` driven less: whole steps of [`STEP_KM`].
pub fn in_steps(km: u64) -> u64 {
    km - km % STEP_KM
}

/// An odometer reading of one vehicle, as its history on the cars module gives it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Reading {
    /// The record of the vehicle's history it comes from.
    pub seq: u32,
    pub on: Date,
    pub km: u64,
    /// Which odometer it was read on: readings either side of a replacement do not compare.
    pub segment: u32,
}

/// The three readings an award compares: `baseline` to `start` is the year before, `start`
/// to `end` the year awarded.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Span {
    pub baseline: Reading,
    pub start: Reading,
    pub end: Reading,
}

/// Kilometres driven less in the award period than the year before driven at the same daily
/// rate: `before_km × award_days / before_days − award_km`, rounded down, at least 0. Each
/// period must be about a year ([`MIN_PERIOD_DAYS`]..=[`MAX_PERIOD_DAYS`] for the award period,
/// at least the minimum before), on one odometer, with readings going forward.
pub fn km_driven_less(span: &Span) -> Result<u64, String> {
    let Span { baseline, start, end } = span;
    if baseline.segment != start.segment || start.segment != end.segment {
        return Err(format!(
            "MIL-04: readings {}, {} and {} are not all of one odometer (it was replaced between them)",
            baseline.seq, start.seq, end.seq
        ));
    }
    let before_days = start.on.days() - baseline.on.days();
    let award_days = end.on.days() - start.on.days();
    if before_days < MIN_PERIOD_DAYS {
        return Err(format!(
            "MIL-04: the year before runs {before_days} days ({} to {}), fewer than {MIN_PERIOD_DAYS}",
            baseline.on, start.on
        ));
    }
    if !(MIN_PERIOD_DAYS..=MAX_PERIOD_DAYS).contains(&award_days) {
        return Err(format!(
            "MIL-04: the award period runs {award_days} days ({} to {}), not {MIN_PERIOD_DAYS} to {MAX_PERIOD_DAYS}",
            start.on, end.on
        ));
    }
    if start.km < baseline.km || end.km < start.km {
        return Err(format!(
            "MIL-04: the odometer goes back ({} km, {} km, {} km): a rolled-back reading earns nothing",
            baseline.km, start.km, end.km
        ));
    }
    let before_km = u128::from(start.km - baseline.km);
    let expected = before_km * award_days as u128 / before_days as u128;
    let driven = u128::from(end.km - start.km);
    Ok(expected.saturating_sub(driven).min(u128::from(u64::MAX)) as u64)
}

/// The office's salt for one vehicle and year, from a secret only the office holds: the same
/// vehicle and year always give the same salt, so a second award for them carries the same
/// evidence id and MIL-04 refuses it.
pub fn salt(office_secret: &[u8; 32], vin: &str, year: u16) -> Hash {
    sha256(&[
        b"dojang/mileage/odometer/salt/v1",
        office_secret,
        &(vin.len() as u32).to_le_bytes(),
        vin.as_bytes(),
        &year.to_le_bytes(),
    ])
}

/// The evidence id of the award for `vin` in the year its period ends: a commitment that
/// names the vehicle only to whoever is given the salt.
pub fn evidence_id(salt: &Hash, vin: &str, year: u16) -> Hash {
    sha256(&[
        b"dojang/mileage/odometer/evidence/v1",
        &salt.0,
        &(vin.len() as u32).to_le_bytes(),
        vin.as_bytes(),
        &year.to_le_bytes(),
    ])
}

/// The evidence an award cites for `span` of `vin` (the month the period ended, the
/// kilometres in whole steps), and what opens it for an auditor.
pub fn evidence(office_secret: &[u8; 32], vin: &str, span: Span) -> Result<(Evidence, Opening), String> {
    let measure = in_steps(km_driven_less(&span)?);
    let year = span.end.on.year;
    let salt = salt(office_secret, vin, year);
    let on = span.end.on.month_start();
    let evidence = Evidence { kind: KIND.into(), id: evidence_id(&salt, vin, year), on, measure };
    Ok((evidence, Opening { vin: vin.into(), year, salt, span }))
}

/// What the office hands an auditor for one award: the vehicle, the salt and the readings.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Opening {
    pub vin: String,
    pub year: u16,
    pub salt: Hash,
    pub span: Span,
}

/// Whether `evidence`, as awarded, is what `opening` says, given the vehicle's readings read
/// from the chain: the id opens to the vehicle and year, the three readings are on record as
/// stated and trusted, and the measure and date are what they give.
pub fn audit(evidence: &Evidence, opening: &Opening, on_record: &[Reading]) -> Result<(), String> {
    if evidence.kind != KIND {
        return Err(format!("the award's evidence is '{}', not '{KIND}'", evidence.kind));
    }
    if evidence_id(&opening.salt, &opening.vin, opening.year) != evidence.id {
        return Err(format!("the salt and vehicle do not open evidence id {}", evidence.id));
    }
    for r in [opening.span.baseline, opening.span.start, opening.span.end] {
        if !on_record.contains(&r) {
            return Err(format!(
                "reading {} ({} km on {}) is not a trusted reading of {} on chain",
                r.seq, r.km, r.on, opening.vin
            ));
        }
    }
    if opening.year != opening.span.end.on.year || evidence.on != opening.span.end.on.month_start() {
        return Err(format!(
            "the award is dated {} for {}, the period ends {}",
            evidence.on, opening.year, opening.span.end.on
        ));
    }
    let km = in_steps(km_driven_less(&opening.span)?);
    if km != evidence.measure {
        return Err(format!("the readings give {km} km driven less, the award claimed {}", evidence.measure));
    }
    Ok(())
}

/// The readings to compare for an award period ending by `end_by`: the latest reading then,
/// the latest at least [`MIN_PERIOD_DAYS`] before it, and the latest at least as long before
/// that, all on the odometer of the last. `trusted` is the vehicle's unflagged, unvoided
/// readings in date order.
pub fn pick_span(trusted: &[Reading], end_by: Date) -> Result<Span, String> {
    let end = *trusted
        .iter()
        .rev()
        .find(|r| r.on <= end_by)
        .ok_or_else(|| format!("MIL-04: no trusted odometer reading on or before {end_by}"))?;
    let before = |r: &Reading| {
        let limit = r.on.plus_days(-MIN_PERIOD_DAYS);
        trusted.iter().rev().find(|x| x.on <= limit && x.segment == end.segment).copied()
    };
    let start =
        before(&end).ok_or_else(|| format!("MIL-04: no reading a year before {} on the same odometer", end.on))?;
    let baseline =
        before(&start).ok_or_else(|| format!("MIL-04: no reading a year before {} to compare with", start.on))?;
    Ok(Span { baseline, start, end })
}
