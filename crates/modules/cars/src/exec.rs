//! The cars module's handlers: who may record what (CAR-05), each record checked against the
//! vehicle's history (CAR-01, CAR-02, CAR-08, CAR-09), sales with the notice (CAR-03, CAR-04,
//! CAR-07) and the rescission windows they open (CAR-06).

use dojang_governance::readers;
use dojang_ledger::{BlockContext, ModuleError, Permit, StateWrite, TxContext};
use dojang_types::{Address, Date, Event};

use crate::events::CarsEvent;
use crate::msg::{CarsMsg, Party, Record, SignedNotice};
use crate::rules::{self, keys};
use crate::state::{
    self, Contradiction, Entry, Flag, Mandate, PartyRecord, Reading, Sale, Suspension, Vehicle, Window, WindowKind,
    MAX_OPEN_SALES, MAX_SALES,
};
use crate::vin;

/// The longest business name or suspension reason.
pub const MAX_TEXT: usize = 200;
/// Photos one inspection may list.
pub const MAX_PHOTOS: usize = 64;
/// Liens one notice may disclose.
pub const MAX_DISCLOSED_LIENS: usize = 64;
/// The longest of a notice's two signatures (each a compact JWS).
pub const MAX_NOTICE_JWS: usize = 16 * 1024;

fn invalid(reason: impl Into<String>) -> ModuleError {
    ModuleError::InvalidMessage(reason.into())
}

pub(crate) fn refuse(reason: impl Into<String>) -> ModuleError {
    ModuleError::by_rule(reason.into())
}

pub(crate) fn event(e: CarsEvent) -> Event {
    Event::typed(&e)
}

fn text(value: &str, what: &str) -> Result<(), ModuleError> {
    if value.trim().is_empty() || value.chars().count() > MAX_TEXT || value.chars().any(char::is_control) {
        return Err(invalid(format!("{what}: 1 to {MAX_TEXT} characters, no control characters")));
    }
    if rules::looks_like_a_personal_number(value) {
        return Err(invalid(format!(
            "{what} holds nine or more digits in a run, like a resident or phone number: the ledger keeps none"
        )));
    }
    Ok(())
}

/// The stateless checks (CAR-09's VIN first) and who may send each message.
pub fn check(msg: &CarsMsg) -> Result<Permit, ModuleError> {
    if let Some(v) = msg.vin() {
        vin::check(v).map_err(|e| invalid(e.to_string()))?;
    }
    match msg {
        CarsMsg::Accredit { organisation, .. } => {
            text(organisation, "organisation (the business's public name, never a person's)")?;
            Ok(Permit::Council)
        }
        CarsMsg::Suspend { reason, .. } => {
            text(reason, "reason")?;
            Ok(Permit::Council)
        }
        CarsMsg::Reinstate { .. } => Ok(Permit::Council),
        CarsMsg::VoidRecord { reason, .. } => {
            text(reason, "reason")?;
            Ok(Permit::Council)
        }
        CarsMsg::Attest { record, .. } => {
            rules::record_is_well_formed(record).map_err(invalid)?;
            if let Record::Inspection { photos, .. } = record {
                if photos.len() > MAX_PHOTOS {
                    return Err(invalid(format!("an inspection lists at most {MAX_PHOTOS} photos")));
                }
            }
            Ok(Permit::OwnRules)
        }
        CarsMsg::RecordSale { notice: SignedNotice { dealer, inspector }, .. } => {
            if dealer.len() > MAX_NOTICE_JWS || inspector.len() > MAX_NOTICE_JWS {
                return Err(invalid(format!("each signature of the notice is at most {MAX_NOTICE_JWS} bytes")));
            }
            Ok(Permit::OwnRules)
        }
        CarsMsg::Mandate { .. } | CarsMsg::RevokeMandate { .. } => Ok(Permit::OwnRules),
    }
}

pub(crate) fn today(time_ms: u64) -> Date {
    Date::from_unix_ms_kst(time_ms)
}

fn days(state: &dyn StateWrite, key: &str, date: Date) -> Result<u32, ModuleError> {
    readers::days_in_force(state, (keys::TABLE, key), date)
}

fn count(state: &dyn StateWrite, key: &str, date: Date) -> Result<u64, ModuleError> {
    readers::count_in_force(state, (keys::TABLE, key), date)
}

/// CAR-05: the account's accreditation, if it is accredited as `party` (any, when `None`) and
/// not suspended.
pub(crate) fn accredited(
    state: &dyn StateWrite,
    account: &Address,
    as_party: Option<Party>,
) -> Result<PartyRecord, ModuleError> {
    let p: PartyRecord = state::read(state, &state::party_key(account))?
        .ok_or_else(|| refuse(format!("CAR-05: {account} is not accredited by the council")))?;
    if let Some(s) = &p.suspended {
        return Err(refuse(format!("CAR-05: {account} is suspended (since height {}: {})", s.height, s.reason)));
    }
    if let Some(want) = as_party.filter(|w| *w != p.party) {
        return Err(refuse(format!("CAR-05: {account} is accredited as {:?}, not {want:?}", p.party)));
    }
    Ok(p)
}

pub(crate) fn vehicle(state: &dyn StateWrite, vin: &str) -> Result<Option<Vehicle>, ModuleError> {
    state::read(state, &state::vehicle_key(vin))
}

pub fn execute(ctx: &TxContext, state: &mut dyn StateWrite, msg: CarsMsg) -> Result<Vec<Event>, ModuleError> {
    let me = ctx.sender;
    match msg {
        CarsMsg::Accredit { account, party, organisation } => {
            if let Some(p) = state::read::<PartyRecord>(state, &state::party_key(&account))? {
                return Err(refuse(format!("CAR-05: {account} is accredited already, as {:?}", p.party)));
            }
            let record = PartyRecord { party, organisation, accredited_height: ctx.height, suspended: None };
            state::write(state, &state::party_key(&account), &record);
            Ok(vec![event(CarsEvent::Accredited { account, party })])
        }
        CarsMsg::Suspend { account, reason } => {
            let mut p = accredited(state, &account, None)?;
            p.suspended = Some(Suspension { reason, height: ctx.height });
            state::write(state, &state::party_key(&account), &p);
            Ok(vec![event(CarsEvent::Suspended { account })])
        }
        CarsMsg::Reinstate { account } => {
            let key = state::party_key(&account);
            let mut p: PartyRecord =
                state::read(state, &key)?.ok_or_else(|| refuse(format!("CAR-05: {account} is not accredited")))?;
            if p.suspended.take().is_none() {
                return Err(refuse(format!("CAR-05: {account} is not suspended")));
            }
            state::write(state, &key, &p);
            Ok(vec![event(CarsEvent::Reinstated { account })])
        }
        CarsMsg::Attest { vin, record } => crate::attest::attest(ctx, state, &vin, record),
        CarsMsg::VoidRecord { vin, seq, reason } => crate::attest::void(ctx, state, &vin, seq, reason),
        CarsMsg::Mandate { vin, dealer, until } => {
            let v = vehicle(state, &vin)?.unwrap_or_default();
            if v.owner != Some(me) {
                return Err(refuse(format!("CAR-07: only the registered owner of {vin} mandates a dealer to sell it")));
            }
            accredited(state, &dealer, Some(Party::Dealer))?;
            if until < today(ctx.time_ms) {
                return Err(refuse(format!("CAR-07: a mandate until {until} has ended already")));
            }
            state::write(state, &state::mandate_key(&vin, &dealer), &Mandate { owner: me, until });
            Ok(vec![event(CarsEvent::MandateGiven { vin, dealer, until })])
        }
        CarsMsg::RevokeMandate { vin, dealer } => {
            let v = vehicle(state, &vin)?.unwrap_or_default();
            if v.owner != Some(me) {
                return Err(refuse(format!("CAR-07: only the registered owner of {vin} revokes a mandate")));
            }
            let key = state::mandate_key(&vin, &dealer);
            if state::read::<Mandate>(state, &key)?.is_none() {
                return Err(ModuleError::NotFound(format!("a mandate of {vin} to {dealer}")));
            }
            state.delete(key.as_bytes());
            Ok(vec![event(CarsEvent::MandateRevoked { vin, dealer })])
        }
        CarsMsg::RecordSale { vin, notice, buyer, contract_on, delivered_on } => {
            record_sale(ctx, state, &vin, &notice, buyer, contract_on, delivered_on)
        }
    }
}

/// CAR-03, CAR-04, CAR-05, CAR-07, CAR-08: the sale is recorded only with a notice that
/// stands; its windows open at delivery (CAR-06), and what the history already holds against
/// the notice counts at once.
fn record_sale(
    ctx: &TxContext,
    state: &mut dyn StateWrite,
    vin: &str,
    signed: &SignedNotice,
    buyer: Address,
    contract_on: Date,
    delivered_on: Date,
) -> Result<Vec<Event>, ModuleError> {
    let me = ctx.sender;
    accredited(state, &me, Some(Party::Dealer))?;
    let (notice, notice_hash) = crate::notice::open(signed).map_err(|e| refuse(e.to_string()))?;
    rules::notice_fits_sale(&notice, vin, &me, contract_on).map_err(refuse)?;
    if notice.liens.len() > MAX_DISCLOSED_LIENS {
        return Err(invalid(format!("a notice discloses at most {MAX_DISCLOSED_LIENS} liens")));
    }
    let now = today(ctx.time_ms);
    if delivered_on < contract_on || delivered_on > now || delivered_on < now.plus_days(-rules::MAX_SALE_RECORDING_DAYS)
    {
        return Err(refuse(format!(
            "CAR-06: delivery ({delivered_on}) is on or after the contract ({contract_on}), not after today ({now}), \
             and recorded within {} days",
            rules::MAX_SALE_RECORDING_DAYS
        )));
    }
    if state::read::<String>(state, &state::notice_key(&notice_hash))?.is_some() {
        return Err(refuse("CAR-03: this notice was used for a sale already; each sale has its own"));
    }
    accredited(state, &notice.inspector, Some(Party::Inspector))?;
    let mut v = vehicle(state, vin)?.ok_or_else(|| ModuleError::NotFound(format!("a history for VIN {vin}")))?;
    if v.sales >= MAX_SALES || v.open_sales.len() >= MAX_OPEN_SALES {
        return Err(refuse(format!(
            "CAR-03: VIN {vin} has {} sales, {} with a window open; at most {MAX_SALES} and {MAX_OPEN_SALES}",
            v.sales,
            v.open_sales.len()
        )));
    }
    rules::notice_cites_latest_inspection(&notice, v.last_inspection, contract_on).map_err(refuse)?;
    let inspection: Entry = state::read(state, &state::record_key(vin, notice.inspection))?
        .ok_or_else(|| refuse(format!("CAR-03: VIN {vin} has no record {}", notice.inspection)))?;
    if v.is_voided(notice.inspection) {
        return Err(refuse(format!("CAR-03: inspection {} was voided by the council", notice.inspection)));
    }
    rules::notice_matches_inspection(&notice, &inspection.by, &inspection.record).map_err(refuse)?;
    let max_age = days(state, keys::INSPECTION_MAX_DAYS, contract_on)?;
    rules::inspection_is_fresh(notice.inspected_on, contract_on, max_age).map_err(refuse)?;
    // A mandate from an earlier owner ended with their ownership.
    let mandate: Option<Mandate> = state::read(state, &state::mandate_key(vin, &me))?;
    let until = mandate.filter(|m| Some(m.owner) == v.owner).map(|m| m.until);
    rules::seller_may_sell(v.owner, &me, until, contract_on).map_err(refuse)?;

    let active: Vec<_> = v.liens.iter().map(|l| l.reference).collect();
    let flags: Vec<Flag> = rules::undisclosed_liens(&active, &notice.liens)
        .into_iter()
        .map(|reference| Flag::UndisclosedLien { reference })
        .collect();
    let number = v.sales + 1;
    let mut windows = Vec::new();
    for (kind, key) in [
        (WindowKind::OdometerAccident, keys::RESCISSION_ODOMETER_ACCIDENT_DAYS),
        (WindowKind::Flood, keys::RESCISSION_FLOOD_DAYS),
    ] {
        let until = rules::window_until(delivered_on, days(state, key, delivered_on)?);
        let open = until >= now;
        if open {
            state.schedule(until.plus_days(1).kst_start_ms(), state::window_deadline(vin, number, kind).as_bytes())?;
        }
        windows.push(Window { kind, until, open });
    }
    let mut sale = Sale {
        number,
        notice,
        notice_hash,
        buyer,
        contract_on,
        delivered_on,
        windows,
        flags,
        contradictions: vec![],
        height: ctx.height,
        tx: ctx.tx_id,
    };
    let mut events = vec![event(CarsEvent::Sold {
        vin: vin.into(),
        sale: number,
        dealer: me,
        odometer_accident_until: sale.windows[0].until,
        flood_until: sale.windows[1].until,
        flags: sale.flags.clone(),
    })];
    // What the history holds already against the notice counts as a later record would.
    let mut after: Option<Vec<u8>> = None;
    let prefix = state::records_prefix(vin);
    loop {
        let page = state.scan(prefix.as_bytes(), after.as_deref(), 500)?;
        let Some((last, _)) = page.last() else { break };
        after = Some(last.clone());
        for (key, bytes) in &page {
            let entry: Entry = dojang_ledger::decode_record(bytes, &String::from_utf8_lossy(key))?;
            events.extend(crate::attest::judge_against(&mut sale, &v, vin, &entry, now, ctx.height));
        }
    }
    v.sales = number;
    if sale.windows.iter().any(|w| w.open) {
        v.open_sales.push(number);
    }
    state::write(state, &state::notice_key(&sale.notice_hash), &state::sale_key(vin, number));
    state::write(state, &state::sale_key(vin, number), &sale);
    state::write(state, &state::vehicle_key(vin), &v);
    Ok(events)
}

/// A sale's window closes: a contradiction found after it no longer gives a right to rescind.
pub fn on_deadline(_ctx: &BlockContext, state: &mut dyn StateWrite, key: &[u8]) -> Result<Vec<Event>, ModuleError> {
    let text = std::str::from_utf8(key).map_err(|_| invalid("a cars deadline key is not text"))?;
    let malformed = || invalid(format!("cars deadline key '{text}' is malformed"));
    let ["window", vin, sale, kind] = text.split('/').collect::<Vec<_>>()[..] else { return Err(malformed()) };
    let number: u32 = sale.parse().map_err(|_| malformed())?;
    let kind = [WindowKind::OdometerAccident, WindowKind::Flood]
        .into_iter()
        .find(|k| k.as_str() == kind)
        .ok_or_else(malformed)?;
    let sale_key = state::sale_key(vin, number);
    let mut sale: Sale =
        state::read(state, &sale_key)?.ok_or_else(|| ModuleError::NotFound(format!("sale {number} of VIN {vin}")))?;
    for w in sale.windows.iter_mut().filter(|w| w.kind == kind) {
        w.open = false;
    }
    if sale.windows.iter().all(|w| !w.open) {
        let mut v = vehicle(state, vin)?.ok_or_else(|| ModuleError::NotFound(format!("a history for VIN {vin}")))?;
        v.open_sales.retain(|n| *n != number);
        state::write(state, &state::vehicle_key(vin), &v);
    }
    state::write(state, &sale_key, &sale);
    Ok(vec![event(CarsEvent::WindowClosed { vin: vin.into(), sale: number, window: kind })])
}

/// A new record's odometer reading, checked against the readings of its segment (CAR-01,
/// CAR-02) and added to them. The daily limit is the one in force when the record is made
/// (`today`): it is the city's test of plausibility, not a law of the reading's day, and a
/// history imported from years back is judged by it too.
pub(crate) fn read_odometer(
    state: &dyn StateWrite,
    v: &mut Vehicle,
    seq: u32,
    on: Date,
    km: u64,
    after_replacement: bool,
    today: Date,
) -> Result<Vec<Flag>, ModuleError> {
    let max = count(state, keys::MAX_KM_PER_DAY, today)?;
    let segment = rules::segment_of(&v.replacements, on, after_replacement);
    let same: Vec<Reading> = v.readings.iter().filter(|r| r.segment == segment).copied().collect();
    let flags = rules::odometer_flags(&same, on, km, max, v.registered_on);
    v.readings.push(Reading { seq, on, km, segment, after_replacement });
    Ok(flags)
}

/// A contradiction recorded on the sale, with its event.
pub(crate) fn contradicted(sale: &mut Sale, vin: &str, c: Contradiction) -> Event {
    sale.contradictions.push(c);
    event(CarsEvent::NoticeContradicted { vin: vin.into(), sale: sale.number, seq: c.seq, fact: c.fact })
}
