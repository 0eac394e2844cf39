//! A record joins a vehicle's history: the attester's accreditation (CAR-05), what the record
//! changes in the vehicle's summary (registration, odometer segments, owner, liens), its
//! odometer reading judged against the others (CAR-01, CAR-02), and any open sale whose
//! notice it contradicts (CAR-06). A record that breaks a rule of the odometer is kept and
//! flagged, never dropped: the flag is the finding.

use dojang_ledger::{ModuleError, StateWrite, TxContext};
use dojang_types::{Date, Event};

use crate::events::CarsEvent;
use crate::exec::{accredited, contradicted, event, read_odometer, refuse, today, vehicle};
use crate::msg::Record;
use crate::rules;
use crate::state::{self, ActiveLien, Contradiction, Entry, Flag, Sale, Vehicle, Void, MAX_RECORDS};

pub(crate) fn attest(
    ctx: &TxContext,
    state: &mut dyn StateWrite,
    vin: &str,
    record: Record,
) -> Result<Vec<Event>, ModuleError> {
    let me = ctx.sender;
    let p = accredited(state, &me, None)?;
    if !rules::may_attest(p.party, &record) {
        return Err(refuse(format!(
            "CAR-05: an account accredited as {:?} does not attest {} records",
            p.party,
            record.kind()
        )));
    }
    let now = today(ctx.time_ms);
    if record.on() > now {
        return Err(refuse(format!("CAR-02: a record dated {} is in the future (today is {now})", record.on())));
    }
    let mut v = vehicle(state, vin)?.unwrap_or_default();
    if v.records >= MAX_RECORDS {
        return Err(refuse(format!("CAR-09: VIN {vin} has {MAX_RECORDS} records, the most one vehicle keeps")));
    }
    let seq = v.records + 1;
    let mut flags = change_summary(state, &mut v, seq, &record, now)?;
    if !matches!(record, Record::OdometerReplaced { .. }) {
        if let Some(km) = record.km() {
            flags.extend(read_odometer(state, &mut v, seq, record.on(), km, false, now)?);
        }
    }
    let mut entry = Entry { seq, by: me, party: p.party, record, height: ctx.height, tx: ctx.tx_id, flags: vec![] };
    let mut events = Vec::new();
    for number in v.open_sales.clone() {
        let key = state::sale_key(vin, number);
        let mut sale: Sale =
            state::read(state, &key)?.ok_or_else(|| ModuleError::NotFound(format!("sale {number} of VIN {vin}")))?;
        let found = judge_against(&mut sale, &v, vin, &entry, now, ctx.height);
        if !found.is_empty() {
            let new = &sale.contradictions[sale.contradictions.len() - found.len()..];
            flags.extend(new.iter().map(|c| Flag::ContradictsNotice { sale: number, fact: c.fact }));
            state::write(state, &key, &sale);
            events.extend(found);
        }
    }
    entry.flags = flags;
    if !entry.flags.is_empty() {
        v.flagged += 1;
    }
    v.records = seq;
    events.insert(
        0,
        event(CarsEvent::Attested {
            vin: vin.into(),
            seq,
            kind: entry.record.kind().into(),
            by: me,
            flags: entry.flags.clone(),
        }),
    );
    // The record's bytes are written once, and the history hash is over exactly these.
    let bytes = serde_json::to_vec(&entry).expect("a record serializes");
    v.history_hash = state::history_step(&v.history_hash, &bytes);
    state.put(state::record_key(vin, seq).as_bytes(), bytes);
    state::write(state, &state::vehicle_key(vin), &v);
    Ok(events)
}

/// What the record changes in the vehicle's summary besides its reading; answers the flags
/// of an odometer replacement's two readings.
fn change_summary(
    state: &dyn StateWrite,
    v: &mut Vehicle,
    seq: u32,
    record: &Record,
    now: Date,
) -> Result<Vec<Flag>, ModuleError> {
    match record {
        Record::Registration { on, .. } => {
            if let Some(r) = v.registered_on {
                return Err(refuse(format!("CAR-09: this VIN's first registration is recorded already ({r})")));
            }
            v.registered_on = Some(*on);
        }
        Record::Inspection { on, .. } => {
            if v.last_inspection.is_none_or(|(_, last)| *on >= last) {
                v.last_inspection = Some((seq, *on));
            }
        }
        Record::OdometerReplaced { on, old_km, new_km } => {
            // Readings already on record after its date move to the new odometer: flagged,
            // since a replacement recorded late can hide a rollback.
            let moved = v.readings.iter().filter(|r| r.on > *on).count() as u32;
            v.replacements.push(*on);
            v.replacements.sort_unstable();
            resegment(v);
            let mut flags = read_odometer(state, v, seq, *on, *old_km, false, now)?;
            flags.extend(read_odometer(state, v, seq, *on, *new_km, true, now)?);
            if moved > 0 {
                flags.push(Flag::LateReplacement { moved });
            }
            return Ok(flags);
        }
        Record::Transfer { on, owner } => {
            // A transfer recorded late (dated before the current owner's) stays history only.
            if v.owner_since.is_none_or(|since| *on >= since) {
                v.owner = Some(*owner);
                v.owner_since = Some(*on);
            }
        }
        Record::Lien { lien, reference, .. } => {
            if v.liens.iter().any(|l| l.reference == *reference) {
                return Err(refuse(format!("CAR-08: lien {reference} is registered already")));
            }
            v.liens.push(ActiveLien { reference: *reference, lien: *lien, seq });
        }
        Record::LienReleased { reference, .. } => {
            let before = v.liens.len();
            v.liens.retain(|l| l.reference != *reference);
            if v.liens.len() == before {
                return Err(refuse(format!("CAR-08: no active lien {reference} to release")));
            }
        }
        Record::Odometer { .. } | Record::Accident { .. } | Record::Repair { .. } => {}
    }
    Ok(vec![])
}

/// Puts every reading on the odometer its date says, after the replacements changed.
pub(crate) fn resegment(v: &mut Vehicle) {
    let replacements = v.replacements.clone();
    for r in v.readings.iter_mut() {
        r.segment = rules::segment_of(&replacements, r.on, r.after_replacement);
    }
}

/// CAR-06: the facts `entry` contradicts in `sale`'s notice, each only while its window is
/// open on `now` and once; each is recorded on the sale, with its event.
pub(crate) fn judge_against(
    sale: &mut Sale,
    v: &Vehicle,
    vin: &str,
    entry: &Entry,
    now: Date,
    height: u64,
) -> Vec<Event> {
    if v.is_voided(entry.seq) {
        return vec![];
    }
    let facts = rules::contradictions_for(&sale.notice, sale.contract_on, &entry.record, &v.replacements);
    let mut events = Vec::new();
    for fact in facts {
        let in_window = sale.windows.iter().any(|w| w.open && w.kind.covers(fact) && now <= w.until);
        let known = sale.contradictions.iter().any(|c| c.seq == entry.seq && c.fact == fact);
        if in_window && !known {
            events.push(contradicted(sale, vin, Contradiction { seq: entry.seq, fact, height }));
        }
    }
    events
}

/// The council voids record `seq` (see [`crate::msg::CarsMsg::VoidRecord`]): what it changed
/// in the vehicle's summary is undone (its readings, a replacement's segment, a registration,
/// an active lien, the owner it made), and open sales no longer count it against a notice.
pub(crate) fn void(
    ctx: &TxContext,
    state: &mut dyn StateWrite,
    vin: &str,
    seq: u32,
    reason: String,
) -> Result<Vec<Event>, ModuleError> {
    let entry: Entry = state::read(state, &state::record_key(vin, seq))?
        .ok_or_else(|| ModuleError::NotFound(format!("record {seq} of VIN {vin}")))?;
    let mut v = vehicle(state, vin)?.ok_or_else(|| ModuleError::NotFound(format!("a history for VIN {vin}")))?;
    if v.is_voided(seq) {
        return Err(refuse(format!("record {seq} of VIN {vin} is voided already")));
    }
    v.readings.retain(|r| r.seq != seq);
    match &entry.record {
        Record::Registration { on, .. } if v.registered_on == Some(*on) => v.registered_on = None,
        Record::OdometerReplaced { on, .. } => {
            if let Some(i) = v.replacements.iter().position(|d| d == on) {
                v.replacements.remove(i);
            }
            resegment(&mut v);
        }
        Record::Transfer { owner, on } if v.owner == Some(*owner) && v.owner_since == Some(*on) => {
            // The owner it made is not known any more; the office records the right one.
            v.owner = None;
            v.owner_since = None;
        }
        Record::Lien { reference, .. } => v.liens.retain(|l| l.reference != *reference),
        Record::Inspection { .. } if v.last_inspection.is_some_and(|(s, _)| s == seq) => v.last_inspection = None,
        _ => {}
    }
    for number in v.open_sales.clone() {
        let sale_key = state::sale_key(vin, number);
        let mut sale: Sale = state::read(state, &sale_key)?
            .ok_or_else(|| ModuleError::NotFound(format!("sale {number} of VIN {vin}")))?;
        let before = sale.contradictions.len();
        sale.contradictions.retain(|c| c.seq != seq);
        if sale.contradictions.len() != before {
            state::write(state, &sale_key, &sale);
        }
    }
    v.voided.push(Void { seq, reason, height: ctx.height });
    state::write(state, &state::vehicle_key(vin), &v);
    Ok(vec![event(CarsEvent::Voided { vin: vin.into(), seq, height: ctx.height })])
}
