//! The mileage rules as pure functions, named for what they check and cited by rule id
//! (DOMAIN.md §6). A refusal's text starts with its rule id.

use dojang_types::Date;

use crate::msg::{Award, AwardRule, Evidence};
use crate::state::{AwardTable, Lot};

/// The most one award, payment, redemption or gift moves: more is a typing error, not a
/// mileage.
pub const MAX_AMOUNT: u64 = 100_000_000;
/// The longest a lot may live.
pub const MAX_LOT_MONTHS: u32 = 120;
/// Versions an award table may have, lines in one version, tiers in one rule.
pub const MAX_TABLES: usize = 64;
pub const MAX_AWARDS: usize = 32;
pub const MAX_TIERS: usize = 16;
/// Lots one account may hold; awards that would open more wait for older lots to go.
pub const MAX_LOTS: usize = 512;

/// An id (`eco`, `local-tax`, `meter-saving`): 1 to 32 lower-case letters, digits and dashes.
pub fn is_slug(s: &str) -> bool {
    (1..=32).contains(&s.len()) && s.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
}

/// The version of the award table in force on `day`: the latest that took effect by then.
pub fn table_in_force(tables: &[AwardTable], day: Date) -> Option<&AwardTable> {
    tables.iter().rev().find(|t| t.effective_from <= day)
}

/// MIL-06: what `evidence` earns under the table in force on its date.
pub fn award_amount(tables: &[AwardTable], evidence: &Evidence) -> Result<u64, String> {
    let table = table_in_force(tables, evidence.on)
        .ok_or_else(|| format!("MIL-06: no award table is in force on {}, the evidence's date", evidence.on))?;
    let line = table.awards.iter().find(|a| a.evidence == evidence.kind).ok_or_else(|| {
        format!(
            "MIL-06: the table in force on {} (from {}) pays nothing for '{}' evidence",
            evidence.on, table.effective_from, evidence.kind
        )
    })?;
    let amount = match &line.rule {
        AwardRule::Tiers { tiers } => tiers.iter().rev().find(|t| evidence.measure >= t.min).map_or(0, |t| t.krw),
        AwardRule::PerUnit { krw_per_unit, max_units } => krw_per_unit.saturating_mul(evidence.measure.min(*max_units)),
        AwardRule::Rate { bp } => {
            (u128::from(evidence.measure) * u128::from(*bp) / 10_000).min(u128::from(u64::MAX)) as u64
        }
    };
    if amount == 0 {
        return Err(format!(
            "MIL-06: a measure of {} earns nothing under the table in force on {}",
            evidence.measure, evidence.on
        ));
    }
    if amount > MAX_AMOUNT {
        return Err(format!("MIL-06: the table would award {amount} won, more than one award may ({MAX_AMOUNT})"));
    }
    Ok(amount)
}

/// The evidence kind a partner's conversions are priced under in a programme's table.
pub fn partner_kind(partner: &str) -> String {
    format!("points-{partner}")
}

/// MIL-02: the rate published for `kind` on `day`, in basis points: a conversion is priced
/// by a `rate` line of the table in force.
pub fn published_rate(tables: &[AwardTable], kind: &str, day: Date) -> Result<u32, String> {
    let table = table_in_force(tables, day).ok_or_else(|| format!("MIL-02: no rate is published for {day}"))?;
    match table.awards.iter().find(|a| a.evidence == kind).map(|a| &a.rule) {
        Some(AwardRule::Rate { bp }) => Ok(*bp),
        Some(_) => Err(format!("MIL-02: the table in force on {day} prices '{kind}' by tiers or units, not at a rate")),
        None => Err(format!("MIL-02: the table in force on {day} publishes no rate for '{kind}'")),
    }
}

/// MIL-02: what `points` convert to at `bp`, with no point left over: both legs must be whole,
/// so points come in steps of `10,000 / gcd(bp, 10,000)`.
pub fn converts_whole(points: u64, bp: u32) -> Result<u64, String> {
    let (mut a, mut b) = (u64::from(bp), 10_000u64);
    while b != 0 {
        (a, b) = (b, a % b);
    }
    let step = 10_000 / a.max(1);
    if !points.is_multiple_of(step) {
        return Err(format!(
            "MIL-02: at {bp} basis points, points convert in steps of {step}; {points} would leave {} over",
            points % step
        ));
    }
    Ok((u128::from(points) * u128::from(bp) / 10_000).min(u128::from(u64::MAX)) as u64)
}

/// What is wrong with an award table's lines, before it is stored: a kind named twice, tiers
/// not rising, an amount of nothing or beyond [`MAX_AMOUNT`].
pub fn table_is_well_formed(awards: &[Award]) -> Result<(), String> {
    if awards.is_empty() || awards.len() > MAX_AWARDS {
        return Err(format!("an award table has 1 to {MAX_AWARDS} lines"));
    }
    for (i, a) in awards.iter().enumerate() {
        if !is_slug(&a.evidence) {
            return Err(format!("evidence kind '{}' is not 1-32 lower-case letters, digits or dashes", a.evidence));
        }
        if awards[..i].iter().any(|b| b.evidence == a.evidence) {
            return Err(format!("evidence kind '{}' has two lines", a.evidence));
        }
        let bounded = |krw: u64| (1..=MAX_AMOUNT).contains(&krw);
        match &a.rule {
            AwardRule::Tiers { tiers } => {
                if tiers.is_empty() || tiers.len() > MAX_TIERS {
                    return Err(format!("'{}': 1 to {MAX_TIERS} tiers", a.evidence));
                }
                if tiers.windows(2).any(|w| w[0].min >= w[1].min) {
                    return Err(format!("'{}': tiers must rise by their minimum", a.evidence));
                }
                if !tiers.iter().all(|t| bounded(t.krw)) {
                    return Err(format!("'{}': each tier pays 1 to {MAX_AMOUNT} won", a.evidence));
                }
            }
            AwardRule::PerUnit { krw_per_unit, max_units } => {
                if !bounded(*krw_per_unit)
                    || *max_units == 0
                    || krw_per_unit.checked_mul(*max_units).is_none_or(|m| m > MAX_AMOUNT)
                {
                    return Err(format!(
                        "'{}': 1 to {MAX_AMOUNT} won a unit, at least one unit, and at most {MAX_AMOUNT} won in all",
                        a.evidence
                    ));
                }
            }
            AwardRule::Rate { bp } => {
                if *bp == 0 || *bp > 1_000_000 {
                    return Err(format!("'{}': a rate of 1 to 1,000,000 basis points", a.evidence));
                }
            }
        }
    }
    Ok(())
}

/// MIL-03: an award of `amount` fits what is left of the year's budget.
pub fn within_budget(budget: Option<u64>, minted: u64, amount: u64, year: u16) -> Result<(), String> {
    let Some(budget) = budget else {
        return Err(format!("MIL-03: the programme has no budget for {year}"));
    };
    let left = budget.saturating_sub(minted);
    if amount > left {
        return Err(format!("MIL-03: the {year} budget has {left} won left, the award is {amount}"));
    }
    Ok(())
}

/// MIL-07: how much of `amount` the per-person yearly cap lets through (the rest is not
/// awarded); nothing at all is a refusal.
pub fn capped(cap: u64, awarded: u64, amount: u64) -> Result<u64, String> {
    let room = cap.saturating_sub(awarded);
    if room == 0 {
        return Err(format!("MIL-07: the account has had this year's cap of {cap} won from this programme"));
    }
    Ok(amount.min(room))
}

/// MIL-07: the last day a lot awarded on `day` may be spent: the end of the month
/// `lot_months` after the award's.
pub fn lot_expiry(day: Date, lot_months: u32) -> Date {
    let mut month = day.month_start();
    for _ in 0..lot_months {
        month = month.next_month();
    }
    month.month_end()
}

/// Adds `lot` to `lots`, into the lot of the same programme, year and expiry if there is
/// one, else at the back (last in).
pub fn add_lot(lots: &mut Vec<Lot>, lot: Lot) -> Result<(), String> {
    if let Some(same) =
        lots.iter_mut().find(|l| l.programme == lot.programme && l.year == lot.year && l.expires == lot.expires)
    {
        same.remaining = same.remaining.checked_add(lot.remaining).ok_or("MIL-01: a lot would overflow")?;
        return Ok(());
    }
    if lots.len() >= MAX_LOTS {
        return Err(format!("the account holds {MAX_LOTS} lots, the most it may; spend or wait for older ones"));
    }
    lots.push(lot);
    Ok(())
}

/// MIL-07: takes `amount` from the lots `may_take` allows, first in first out, and says what
/// came from which lot; emptied lots leave. Nothing is taken if they hold too little.
pub fn take_fifo(lots: &mut Vec<Lot>, amount: u64, may_take: impl Fn(&Lot) -> bool) -> Result<Vec<Lot>, u64> {
    let available: u64 = lots.iter().filter(|l| may_take(l)).map(|l| l.remaining).sum();
    if available < amount {
        return Err(available);
    }
    let mut left = amount;
    let mut taken = Vec::new();
    for lot in lots.iter_mut().filter(|l| may_take(l)) {
        if left == 0 {
            break;
        }
        let t = lot.remaining.min(left);
        lot.remaining -= t;
        left -= t;
        taken.push(Lot { remaining: t, ..lot.clone() });
    }
    lots.retain(|l| l.remaining > 0);
    Ok(taken)
}

/// MIL-07: removes the lots whose last day is before `today` and returns them.
pub fn expire_lots(lots: &mut Vec<Lot>, today: Date) -> Vec<Lot> {
    let (gone, kept): (Vec<Lot>, Vec<Lot>) = lots.drain(..).partition(|l| l.expires < today);
    *lots = kept;
    gone
}
