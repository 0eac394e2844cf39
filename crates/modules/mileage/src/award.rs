//! Enrolment and awards: only a programme's issuer mints (MIL-03), for an enrolled account
//! (MIL-05), citing evidence never awarded before (MIL-04), at the amount of the table in
//! force on the evidence's date (MIL-06), within the year's budget (MIL-03) and the person's
//! yearly cap (MIL-07), as a lot that expires (MIL-07).

use dojang_ledger::{ModuleError, StateWrite, TxContext};
use dojang_types::{Address, Date, Event};

use crate::books::Books;
use crate::events::MileageEvent;
use crate::exec::{account_of, event, programme_of, refuse, today};
use crate::msg::Evidence;
use crate::rules;
use crate::state::{self, Lot, Programme, Used};

/// MIL-03: only the programme's own issuing office acts for it.
fn issuer_only(p: &Programme, sender: &Address, what: &str) -> Result<(), ModuleError> {
    if p.issuer != *sender {
        return Err(refuse(format!("MIL-03: only {}, the issuer of '{}', {what}", p.issuer, p.id)));
    }
    Ok(())
}

pub fn enrol(
    ctx: &TxContext,
    state: &mut dyn StateWrite,
    programme: String,
    account: Address,
) -> Result<Vec<Event>, ModuleError> {
    let p = programme_of(state, &programme)?;
    issuer_only(&p, &ctx.sender, "enrols accounts in it")?;
    let mut a = account_of(state, &account)?;
    if a.enrolled.contains(&programme) {
        return Err(refuse(format!("{account} is enrolled in '{programme}' already")));
    }
    a.enrolled.push(programme.clone());
    state::write(state, &state::account_key(&account), &a);
    Ok(vec![event(MileageEvent::Enrolled { programme, account })])
}

pub fn award(
    ctx: &TxContext,
    state: &mut dyn StateWrite,
    programme: String,
    account: Address,
    evidence: Evidence,
) -> Result<Vec<Event>, ModuleError> {
    let p = programme_of(state, &programme)?;
    issuer_only(&p, &ctx.sender, "awards it")?;
    let id = evidence.id;
    let m = mint_for(ctx, state, &p, &account, &evidence, Clip::ToCap)?;
    Ok(vec![event(MileageEvent::Awarded {
        programme,
        account,
        evidence: id,
        krw: m.krw,
        table_krw: m.table_krw,
        expires: m.expires,
    })])
}

/// What an award over the person's yearly cap does (MIL-07).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Clip {
    /// Pays up to the cap.
    ToCap,
    /// Is refused: a conversion pays in full or not at all (MIL-02).
    Never,
}

pub(crate) struct Minted {
    pub krw: u64,
    pub table_krw: u64,
    pub expires: Date,
}

/// Mints for `evidence` into `account` under `p`: enrolled (MIL-05), evidence not used before
/// (MIL-04), at the table in force on its date (MIL-06), within the cap (MIL-07) and the
/// year's budget (MIL-03), as a lot that expires; the books are checked (MIL-01).
pub(crate) fn mint_for(
    ctx: &TxContext,
    state: &mut dyn StateWrite,
    p: &Programme,
    account: &Address,
    evidence: &Evidence,
    clip: Clip,
) -> Result<Minted, ModuleError> {
    let programme = &p.id;
    let mut a = account_of(state, account)?;
    if !a.enrolled.contains(programme) {
        return Err(refuse(format!(
            "MIL-05: {account} is not enrolled in '{programme}' (its issuer enrols an account after checking its {} credential)",
            p.credential
        )));
    }
    let day = today(ctx);
    if evidence.on > day {
        return Err(refuse(format!("MIL-04: the evidence is dated {}, after today ({day})", evidence.on)));
    }
    if let Some(used) = state::read::<Used>(state, &state::evidence_key(&evidence.id))? {
        return Err(refuse(format!(
            "MIL-04: evidence {} was awarded already, by '{}' at height {}",
            evidence.id, used.programme, used.height
        )));
    }
    let table_krw = rules::award_amount(&p.tables, evidence).map_err(refuse)?;
    let year = day.year;
    let awarded = a.awarded.iter().find(|(q, y, _)| q == programme && *y == year).map_or(0, |(_, _, k)| *k);
    let krw = rules::capped(p.cap_per_year_krw, awarded, table_krw).map_err(refuse)?;
    if clip == Clip::Never && krw < table_krw {
        return Err(refuse(format!(
            "MIL-02: the conversion would mint {table_krw} won, over what {account} may still receive from '{programme}' this year ({krw}); a conversion is whole or nothing"
        )));
    }
    let mut books = Books::default();
    let minted = books.minted(state, programme, year)?;
    let budget = p.budgets.iter().find(|(y, _)| *y == year).map(|(_, b)| *b);
    rules::within_budget(budget, minted, krw, year).map_err(refuse)?;
    // Lots past their day go first, so the award does not sit beside them.
    books.expire(state, &mut a, day)?;
    let expires = rules::lot_expiry(day, p.lot_months);
    books.mint(state, account, &mut a, Lot { programme: programme.clone(), year, expires, remaining: krw })?;
    a.awarded.retain(|(_, y, _)| *y >= year.saturating_sub(1));
    match a.awarded.iter_mut().find(|(q, y, _)| q == programme && *y == year) {
        Some(entry) => entry.2 = entry.2.saturating_add(krw),
        None => a.awarded.push((programme.clone(), year, krw)),
    }
    state::write(state, &state::account_key(account), &a);
    state::write(
        state,
        &state::evidence_key(&evidence.id),
        &Used { programme: programme.clone(), amount: krw, height: ctx.height },
    );
    books.close(state)?;
    Ok(Minted { krw, table_krw, expires })
}
