//! The used-car rules (DOMAIN.md §4, CAR-01..10) as pure functions of the records they judge.
//! The legal figures (the notice's 120 days, the 30- and 90-day windows, the kilometres a car
//! can drive in a day) come in as arguments: the handlers read them from the council's
//! parameter tables at the date of the event.

use dojang_types::{Address, Date, Hash};

use crate::msg::{Notice, Party, Record, Severity};
use crate::state::{Fact, Flag, Reading};

/// The parameter table and keys the rules' figures live under.
pub mod keys {
    pub const TABLE: &str = "cars";
    /// CAR-04: days an inspection may be old at the contract.
    pub const INSPECTION_MAX_DAYS: &str = "notice_inspection_max_days";
    /// CAR-06: days from delivery to rescind for odometer or accident facts.
    pub const RESCISSION_ODOMETER_ACCIDENT_DAYS: &str = "rescission_days_odometer_accident";
    /// CAR-06: days from delivery to rescind for undisclosed flood damage.
    pub const RESCISSION_FLOOD_DAYS: &str = "rescission_days_flood";
    /// CAR-02: kilometres a day beyond which two readings are implausible.
    pub const MAX_KM_PER_DAY: &str = "max_km_per_day";
}

/// The highest odometer reading taken: no car drives three million kilometres.
pub const MAX_KM: u64 = 3_000_000;
/// The earliest date a record may carry.
pub const EARLIEST: Date = Date { year: 1950, month: 1, day: 1 };
/// Days after delivery a dealer has to record the sale: later, and the buyer's windows would
/// have run mostly unseen.
pub const MAX_SALE_RECORDING_DAYS: i64 = 7;

/// Whether a free text (a business name, a reason) carries what looks like a resident
/// registration number or a phone number: nine or more digits in a run, spaces and dashes
/// between them ignored. The ledger keeps no such number (DESIGN.md §7).
pub fn looks_like_a_personal_number(text: &str) -> bool {
    let mut run = 0;
    for c in text.chars() {
        match c {
            '0'..='9' => {
                run += 1;
                if run >= 9 {
                    return true;
                }
            }
            '-' | ' ' | '.' if run > 0 => {}
            _ => run = 0,
        }
    }
    false
}

/// What is wrong with a record's figures, before any state is read: a reading beyond
/// [`MAX_KM`], a date before [`EARLIEST`], an odometer "replaced" by one that reads the same.
pub fn record_is_well_formed(record: &Record) -> Result<(), String> {
    if record.on() < EARLIEST {
        return Err(format!("a record dated {} is before {EARLIEST}", record.on()));
    }
    let too_far = |km: u64| km > MAX_KM;
    match record {
        Record::OdometerReplaced { old_km, new_km, .. } => {
            if too_far(*old_km) || too_far(*new_km) {
                return Err(format!("an odometer reads at most {MAX_KM} km"));
            }
            if old_km == new_km {
                return Err("CAR-01: a replaced odometer reads differently from the one it replaces".into());
            }
        }
        _ => {
            if record.km().is_some_and(too_far) {
                return Err(format!("an odometer reads at most {MAX_KM} km"));
            }
        }
    }
    Ok(())
}

/// CAR-05: whether an account accredited as `party` may attest `record`. Each fact comes from
/// the one kind of body that knows it: ownership and liens from the registration office,
/// accidents from insurers, inspections from inspectors, repairs and odometer replacements
/// from maintenance shops; an odometer reading from any of them but a dealer, who sells.
pub fn may_attest(party: Party, record: &Record) -> bool {
    use Party::*;
    match record {
        Record::Registration { .. } | Record::Transfer { .. } | Record::Lien { .. } | Record::LienReleased { .. } => {
            party == RegistrationOffice
        }
        Record::Odometer { .. } => party != Dealer,
        Record::Inspection { .. } => party == Inspector,
        Record::Accident { .. } => party == Insurer,
        Record::Repair { .. } | Record::OdometerReplaced { .. } => party == MaintenanceShop,
    }
}

/// CAR-01: which odometer a reading dated `on` was read on: the count of replacements dated
/// before it. A reading on a replacement's day is the old odometer's (a garage records the
/// visit's reading before the swap), except the new odometer's first reading, recorded with
/// the replacement itself (`after_replacement`).
pub fn segment_of(replacements: &[Date], on: Date, after_replacement: bool) -> u32 {
    let before = replacements.iter().filter(|r| **r < on).count();
    let same_day = if after_replacement { replacements.iter().filter(|r| **r == on).count() } else { 0 };
    (before + same_day) as u32
}

/// CAR-01 and CAR-02: what is wrong with a new reading against the vehicle's readings in the
/// same segment, in any order of arrival: lower than an earlier reading or higher than a later
/// one is a rollback; more than `max_km_per_day` a day from the nearest reading either side is
/// implausible; a date before the first registration is impossible. Empty when the reading
/// fits. Readings of the same day are not ordered against each other.
pub fn odometer_flags(
    segment: &[Reading],
    on: Date,
    km: u64,
    max_km_per_day: u64,
    registered_on: Option<Date>,
) -> Vec<Flag> {
    let mut flags = Vec::new();
    if let Some(r) = registered_on.filter(|r| on < *r) {
        flags.push(Flag::BeforeRegistration { registered_on: r });
    }
    let earlier_higher = segment.iter().filter(|r| r.on < on && r.km > km).max_by_key(|r| (r.km, r.seq));
    let later_lower = segment.iter().filter(|r| r.on > on && r.km < km).min_by_key(|r| (r.km, r.seq));
    for r in earlier_higher.into_iter().chain(later_lower) {
        flags.push(Flag::Rollback { against: r.seq, km: r.km });
    }
    let rate = |a: &Reading| {
        let days = (a.on.days() - on.days()).unsigned_abs().max(1);
        a.km.abs_diff(km) / days
    };
    let before = segment.iter().filter(|r| r.on < on && r.km <= km).max_by_key(|r| (r.on, r.km));
    let after = segment.iter().filter(|r| r.on > on && r.km >= km).min_by_key(|r| (r.on, r.km));
    for r in before.into_iter().chain(after) {
        let km_per_day = rate(r);
        if km_per_day > max_km_per_day {
            flags.push(Flag::Implausible { against: r.seq, km_per_day });
        }
    }
    flags
}

/// CAR-03: the notice is the one for this sale: for this vehicle, by this dealer, handed over
/// on or before the contract day.
pub fn notice_fits_sale(notice: &Notice, vin: &str, dealer: &Address, contract_on: Date) -> Result<(), String> {
    if notice.vin != vin {
        return Err(format!("CAR-03: the notice is for VIN {}, the sale for {vin}", notice.vin));
    }
    if notice.dealer != *dealer {
        return Err(format!("CAR-03: the notice is the dealer {}'s, the sale is recorded by {dealer}", notice.dealer));
    }
    if notice.issued_on < notice.inspected_on {
        return Err(format!(
            "CAR-03: the notice was issued on {}, before its inspection of {}",
            notice.issued_on, notice.inspected_on
        ));
    }
    if notice.issued_on > contract_on {
        return Err(format!(
            "CAR-03: the notice was issued on {}, after the contract of {contract_on}: the buyer must have it before signing",
            notice.issued_on
        ));
    }
    Ok(())
}

/// CAR-04: the inspection the notice rests on is at most `max_days` old on the contract day
/// (and not after it).
pub fn inspection_is_fresh(inspected_on: Date, contract_on: Date, max_days: u32) -> Result<(), String> {
    let age = contract_on.days() - inspected_on.days();
    if age < 0 {
        return Err(format!("CAR-04: the inspection of {inspected_on} is after the contract of {contract_on}"));
    }
    if age > i64::from(max_days) {
        return Err(format!(
            "CAR-04: the inspection of {inspected_on} is {age} days old at the contract of {contract_on}; at most {max_days}"
        ));
    }
    Ok(())
}

/// CAR-03: the notice gives the latest inspection on record before the contract, not an
/// older, cleaner one.
pub fn notice_cites_latest_inspection(
    notice: &Notice,
    latest: Option<(u32, Date)>,
    contract_on: Date,
) -> Result<(), String> {
    match latest {
        Some((seq, on)) if on <= contract_on && seq != notice.inspection => Err(format!(
            "CAR-03: the notice gives inspection {}, but inspection {seq} of {on} is the latest before the contract",
            notice.inspection
        )),
        _ => Ok(()),
    }
}

/// CAR-03: what the notice says of the inspection is what the inspector recorded on chain.
pub fn notice_matches_inspection(notice: &Notice, by: &Address, record: &Record) -> Result<(), String> {
    let Record::Inspection { on, km, flood, accident, grade, photos, .. } = record else {
        return Err(format!("CAR-03: record {} of the vehicle is not an inspection", notice.inspection));
    };
    if *by != notice.inspector {
        return Err(format!(
            "CAR-03: inspection {} was recorded by {by}, the notice names {}",
            notice.inspection, notice.inspector
        ));
    }
    let differs = [
        (*on != notice.inspected_on, "date"),
        (*km != notice.km, "odometer"),
        (*flood != notice.flood, "flood finding"),
        (*accident != notice.accident, "accident finding"),
        (*grade != notice.grade, "grade"),
        (*photos != notice.photos, "photos"),
    ];
    match differs.iter().find(|(d, _)| *d) {
        Some((_, what)) => {
            Err(format!("CAR-03: the notice's {what} differs from inspection {} on chain", notice.inspection))
        }
        None => Ok(()),
    }
}

/// CAR-07: the seller is the registered owner, or the owner has mandated the dealer through
/// the contract day.
pub fn seller_may_sell(
    owner: Option<Address>,
    dealer: &Address,
    mandate_until: Option<Date>,
    contract_on: Date,
) -> Result<(), String> {
    if owner == Some(*dealer) {
        return Ok(());
    }
    match (owner, mandate_until) {
        (None, _) => {
            Err("CAR-07: the vehicle has no registered owner on chain; the registration office records one first"
                .into())
        }
        (Some(_), Some(until)) if until >= contract_on => Ok(()),
        (Some(_), Some(until)) => {
            Err(format!("CAR-07: the owner's mandate to {dealer} ended on {until}, before the contract"))
        }
        (Some(_), None) => {
            Err(format!("CAR-07: {dealer} neither owns the vehicle nor holds the owner's mandate to sell it"))
        }
    }
}

/// CAR-08: the liens active at the sale that the notice does not disclose.
pub fn undisclosed_liens(active: &[Hash], disclosed: &[Hash]) -> Vec<Hash> {
    active.iter().filter(|l| !disclosed.contains(l)).copied().collect()
}

/// CAR-06: the facts of the notice a later trusted record contradicts. Only what was true
/// before the sale can make the notice wrong:
/// - an accident with structural damage (major or total loss) or a flood, dated on or before
///   the contract, that the notice denied;
/// - an inspection on or before the contract that found either;
/// - a reading dated on or before the notice's inspection, in its odometer segment, higher
///   than the notice's (the car was driven after the inspection, so later readings are not
///   compared).
pub fn contradictions(notice: &Notice, contract_on: Date, record: &Record, same_segment: bool) -> Vec<Fact> {
    if record.on() > contract_on {
        return vec![];
    }
    let mut facts = Vec::new();
    let (accident, flood) = match record {
        Record::Accident { severity, flood, .. } => (*severity != Severity::Minor, *flood),
        Record::Inspection { flood, accident, .. } => (*accident, *flood),
        _ => (false, false),
    };
    if accident && !notice.accident {
        facts.push(Fact::Accident);
    }
    if flood && !notice.flood {
        facts.push(Fact::Flood);
    }
    if let Some(km) = record.km() {
        if same_segment && record.on() <= notice.inspected_on && km > notice.km {
            facts.push(Fact::Odometer);
        }
    }
    facts
}

/// CAR-06 for a vehicle: [`contradictions`], the record's reading compared only if it is on
/// the odometer the notice's inspection read (by the vehicle's replacements).
pub fn contradictions_for(notice: &Notice, contract_on: Date, record: &Record, replacements: &[Date]) -> Vec<Fact> {
    let same_segment = record.km().is_some()
        && segment_of(replacements, record.on(), false) == segment_of(replacements, notice.inspected_on, false);
    contradictions(notice, contract_on, record, same_segment)
}

/// CAR-06: the last day of a window that opens at delivery.
pub fn window_until(delivered_on: Date, days: u32) -> Date {
    delivered_on.plus_days(i64::from(days))
}
