//! The mileage module's checks and handlers for the council's registries and the offices it
//! appoints: programmes with budgets and award tables, sinks, registrars and the finance
//! office, residents' accounts. Awards are in [`crate::award`], spending in [`crate::spend`].

use dojang_governance::rules::looks_like_personal_identifier;
use dojang_ledger::{ModuleError, Permit, StateRead, StateWrite, TxContext};
use dojang_types::{Address, Date, Event};

use crate::events::MileageEvent;
use crate::msg::{MileageMsg, OfficeKind};
use crate::rules::{self, is_slug, MAX_AMOUNT, MAX_LOT_MONTHS, MAX_TABLES};
use crate::state::{self, Account, AwardTable, Office, Programme, Sink};

/// The longest public name (a programme's, a sink's, an office's, a merchant's business).
pub const MAX_NAME: usize = 100;
/// The most points one conversion burns.
pub const MAX_POINTS: u64 = 1_000_000_000_000;
/// The most a programme's budget for one year may be: KRW 10 trillion.
pub const MAX_BUDGET: u64 = 10_000_000_000_000;

pub(crate) fn invalid(reason: impl Into<String>) -> ModuleError {
    ModuleError::InvalidMessage(reason.into())
}

pub(crate) fn refuse(reason: impl Into<String>) -> ModuleError {
    ModuleError::by_rule(reason.into())
}

pub(crate) fn event(e: MileageEvent) -> Event {
    Event::typed(&e)
}

/// The Korean date of a transaction's block.
pub(crate) fn today(ctx: &TxContext) -> Date {
    Date::from_unix_ms_kst(ctx.time_ms)
}

fn slug(value: &str, what: &str) -> Result<(), ModuleError> {
    if is_slug(value) {
        Ok(())
    } else {
        Err(invalid(format!("{what} '{value}' is not 1-32 lower-case letters, digits or dashes")))
    }
}

fn name(value: &str, what: &str) -> Result<(), ModuleError> {
    if value.trim().is_empty() || value.chars().count() > MAX_NAME || value.chars().any(char::is_control) {
        return Err(invalid(format!("{what}: 1 to {MAX_NAME} characters, no control characters")));
    }
    if looks_like_personal_identifier(value) {
        return Err(invalid(format!(
            "{what} holds an e-mail address or a long number (a resident, phone or account number): the ledger keeps none"
        )));
    }
    Ok(())
}

fn amount(krw: u64) -> Result<(), ModuleError> {
    if (1..=MAX_AMOUNT).contains(&krw) {
        Ok(())
    } else {
        Err(invalid(format!("an amount is 1 to {MAX_AMOUNT} won, not {krw}")))
    }
}

/// The stateless checks and who may send each message.
pub fn check(msg: &MileageMsg) -> Result<Permit, ModuleError> {
    match msg {
        MileageMsg::RegisterProgramme { id, name: n, credential, cap_per_year_krw, lot_months, .. } => {
            slug(id, "programme")?;
            name(n, "name")?;
            if credential.is_empty() || credential.len() > 200 || credential.chars().any(char::is_control) {
                return Err(invalid("credential: the credential type (vct), 1 to 200 characters"));
            }
            if !(1..=MAX_BUDGET).contains(cap_per_year_krw) {
                return Err(invalid(format!("cap_per_year_krw: 1 to {MAX_BUDGET} won")));
            }
            if !(1..=MAX_LOT_MONTHS).contains(lot_months) {
                return Err(invalid(format!("lot_months: 1 to {MAX_LOT_MONTHS}")));
            }
            Ok(Permit::Council)
        }
        MileageMsg::SetBudget { programme, year, krw } => {
            slug(programme, "programme")?;
            if !(2000..=2200).contains(year) || *krw > MAX_BUDGET {
                return Err(invalid(format!("a budget is for a year 2000-2200 and at most {MAX_BUDGET} won")));
            }
            Ok(Permit::Council)
        }
        MileageMsg::SetAwardTable { programme, awards, .. } => {
            slug(programme, "programme")?;
            rules::table_is_well_formed(awards).map_err(invalid)?;
            Ok(Permit::Council)
        }
        MileageMsg::RegisterSink { id, name: n, .. } => {
            slug(id, "sink")?;
            name(n, "name")?;
            Ok(Permit::Council)
        }
        MileageMsg::AppointOffice { name: n, .. } => {
            name(n, "name")?;
            Ok(Permit::Council)
        }
        MileageMsg::DismissOffice { .. } => Ok(Permit::Council),
        MileageMsg::RegisterAccount { .. } | MileageMsg::ReplaceAccount { .. } => Ok(Permit::OwnRules),
        MileageMsg::Enrol { programme, .. } => {
            slug(programme, "programme")?;
            Ok(Permit::OwnRules)
        }
        MileageMsg::Award { programme, evidence, .. } => {
            slug(programme, "programme")?;
            slug(&evidence.kind, "evidence kind")?;
            Ok(Permit::OwnRules)
        }
        MileageMsg::Redeem { sink, amount: krw, .. } => {
            slug(sink, "sink")?;
            amount(*krw)?;
            Ok(Permit::OwnRules)
        }
        MileageMsg::RegisterMerchant { name: n, sink, .. } => {
            name(n, "name")?;
            slug(sink, "sink")?;
            Ok(Permit::OwnRules)
        }
        MileageMsg::Pay { amount: krw, .. } | MileageMsg::Gift { amount: krw, .. } => {
            amount(*krw)?;
            Ok(Permit::OwnRules)
        }
        MileageMsg::Settle { .. } | MileageMsg::CloseMerchant { .. } => Ok(Permit::OwnRules),
        MileageMsg::SetIssuer { programme, .. } => {
            slug(programme, "programme")?;
            Ok(Permit::Council)
        }
        MileageMsg::RegisterPartner { id, name: n, programme, .. } => {
            slug(id, "partner")?;
            // Its conversions are priced as `points-<id>`, itself an evidence kind.
            if id.len() > 25 {
                return Err(invalid(format!("partner '{id}': at most 25 characters")));
            }
            name(n, "name")?;
            slug(programme, "programme")?;
            Ok(Permit::Council)
        }
        MileageMsg::Convert { partner, points, .. } => {
            slug(partner, "partner")?;
            if !(1..=MAX_POINTS).contains(points) {
                return Err(invalid(format!("points: 1 to {MAX_POINTS}")));
            }
            Ok(Permit::OwnRules)
        }
        MileageMsg::CloseSink { id } => {
            slug(id, "sink")?;
            Ok(Permit::Council)
        }
    }
}

pub fn execute(ctx: &TxContext, state: &mut dyn StateWrite, msg: MileageMsg) -> Result<Vec<Event>, ModuleError> {
    match msg {
        MileageMsg::RegisterProgramme { id, name, issuer, credential, cap_per_year_krw, lot_months, gifts } => {
            if state::read::<Programme>(state, &state::programme_key(&id))?.is_some() {
                return Err(refuse(format!("programme '{id}' is registered already")));
            }
            let p = Programme {
                id: id.clone(),
                name,
                issuer,
                credential,
                cap_per_year_krw,
                lot_months,
                gifts,
                budgets: Vec::new(),
                tables: Vec::new(),
            };
            state::write(state, &state::programme_key(&id), &p);
            Ok(vec![event(MileageEvent::ProgrammeRegistered { programme: id, issuer })])
        }
        MileageMsg::SetBudget { programme, year, krw } => set_budget(state, programme, year, krw),
        MileageMsg::SetAwardTable { programme, effective_from, awards } => {
            let mut p = programme_of(state, &programme)?;
            // The first version may reach back, to price evidence gathered before the
            // programme came on chain; a later one never changes what past evidence earns.
            if !p.tables.is_empty() && effective_from < today(ctx) {
                return Err(refuse(format!(
                    "MIL-06: a new table version takes effect today ({}) or later, never in the past",
                    today(ctx)
                )));
            }
            // A version already in force has priced awards: it is never replaced.
            if p.tables.iter().any(|t| t.effective_from == effective_from && effective_from <= today(ctx)) {
                return Err(refuse(format!(
                    "MIL-06: the version from {effective_from} is in force and has priced awards; add a version from a later day"
                )));
            }
            p.tables.retain(|t| t.effective_from != effective_from);
            if p.tables.len() >= MAX_TABLES {
                return Err(refuse(format!("MIL-06: a programme keeps at most {MAX_TABLES} table versions")));
            }
            let at = p.tables.partition_point(|t| t.effective_from < effective_from);
            p.tables.insert(at, AwardTable { effective_from, awards });
            state::write(state, &state::programme_key(&programme), &p);
            Ok(vec![event(MileageEvent::AwardTableSet { programme, effective_from })])
        }
        MileageMsg::RegisterSink { id, name, kind } => {
            if state::read::<Sink>(state, &state::sink_key(&id))?.is_some() {
                return Err(refuse(format!("sink '{id}' is registered already")));
            }
            state::write(
                state,
                &state::sink_key(&id),
                &Sink { id: id.clone(), name, kind, redeemed: 0, closed_at: None },
            );
            Ok(vec![event(MileageEvent::SinkRegistered { sink: id })])
        }
        MileageMsg::AppointOffice { account, office, name } => {
            state::write(state, &state::office_key(&account), &Office { kind: office, name });
            Ok(vec![event(MileageEvent::OfficeAppointed { account, office })])
        }
        MileageMsg::DismissOffice { account } => {
            if state::read::<Office>(state, &state::office_key(&account))?.is_none() {
                return Err(refuse(format!("{account} holds no mileage office")));
            }
            state.delete(state::office_key(&account).as_bytes());
            Ok(vec![event(MileageEvent::OfficeDismissed { account })])
        }
        MileageMsg::RegisterAccount { account, pseudonym } => {
            office_of(state, &ctx.sender, OfficeKind::Registrar)?;
            if let Some(existing) = state::read::<Address>(state, &state::person_key(&pseudonym))? {
                return Err(refuse(format!(
                    "this person already has the account {existing}: one account per person in the city"
                )));
            }
            if state::read::<Account>(state, &state::account_key(&account))?.is_some() {
                return Err(refuse(format!("{account} is registered already")));
            }
            let a = Account { pseudonym, registered: today(ctx), enrolled: vec![], lots: vec![], awarded: vec![] };
            state::write(state, &state::account_key(&account), &a);
            state::write(state, &state::person_key(&pseudonym), &account);
            Ok(vec![event(MileageEvent::AccountRegistered { account })])
        }
        MileageMsg::ReplaceAccount { old, new, pseudonym } => crate::replace::replace(ctx, state, old, new, pseudonym),
        MileageMsg::Enrol { programme, account } => crate::award::enrol(ctx, state, programme, account),
        MileageMsg::Award { programme, account, evidence } => {
            crate::award::award(ctx, state, programme, account, evidence)
        }
        MileageMsg::Redeem { sink, amount, reference } => crate::spend::redeem(ctx, state, sink, amount, reference),
        MileageMsg::RegisterMerchant { account, name, sink } => {
            crate::spend::register_merchant(ctx, state, account, name, sink)
        }
        MileageMsg::Pay { merchant, amount, request } => crate::spend::pay(ctx, state, merchant, amount, request),
        MileageMsg::Gift { to, amount } => crate::spend::gift(ctx, state, to, amount),
        MileageMsg::Settle { merchant, day } => crate::spend::settle(ctx, state, merchant, day),
        MileageMsg::SetIssuer { programme, issuer } => {
            let mut p = programme_of(state, &programme)?;
            if p.issuer == issuer {
                return Err(refuse(format!("{issuer} issues '{programme}' already")));
            }
            p.issuer = issuer;
            state::write(state, &state::programme_key(&programme), &p);
            Ok(vec![event(MileageEvent::IssuerSet { programme, issuer })])
        }
        MileageMsg::RegisterPartner { id, name, operator, programme } => {
            crate::convert::register_partner(state, id, name, operator, programme)
        }
        MileageMsg::Convert { partner, account, points, receipt } => {
            crate::convert::convert(ctx, state, partner, account, points, receipt)
        }
        MileageMsg::CloseSink { id } => crate::spend::close_sink(ctx, state, id),
        MileageMsg::CloseMerchant { account } => crate::spend::close_merchant(ctx, state, account),
    }
}

fn set_budget(state: &mut dyn StateWrite, programme: String, year: u16, krw: u64) -> Result<Vec<Event>, ModuleError> {
    let mut p = programme_of(state, &programme)?;
    let minted = state::read::<state::Totals>(state, &state::totals_key(&programme, year))?.map_or(0, |t| t.minted);
    if krw < minted {
        return Err(refuse(format!(
            "MIL-03: {programme} has minted {minted} won in {year} already; the budget cannot be less"
        )));
    }
    p.budgets.retain(|(y, _)| *y != year);
    let at = p.budgets.partition_point(|(y, _)| *y < year);
    p.budgets.insert(at, (year, krw));
    state::write(state, &state::programme_key(&programme), &p);
    Ok(vec![event(MileageEvent::BudgetSet { programme, year, krw })])
}

pub(crate) fn programme_of(state: &dyn StateRead, id: &str) -> Result<Programme, ModuleError> {
    state::read(state, &state::programme_key(id))?.ok_or_else(|| refuse(format!("no programme '{id}' is registered")))
}

pub(crate) fn account_of(state: &dyn StateRead, a: &Address) -> Result<Account, ModuleError> {
    state::read(state, &state::account_key(a))?
        .ok_or_else(|| refuse(format!("{a} is not a registered mileage account (a registrar opens one per person)")))
}

/// The sender holds `kind` of office, or the refusal says which it needs.
pub(crate) fn office_of(state: &dyn StateRead, who: &Address, kind: OfficeKind) -> Result<Office, ModuleError> {
    match state::read::<Office>(state, &state::office_key(who))? {
        Some(o) if o.kind == kind => Ok(o),
        _ => Err(ModuleError::Unauthorized(format!(
            "{who} is not a mileage {} office the council appointed",
            match kind {
                OfficeKind::Registrar => "registrar",
                OfficeKind::Finance => "finance",
            }
        ))),
    }
}
