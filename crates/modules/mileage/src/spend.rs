//! Spending: redemption at approved sinks (MIL-08), payment at registered merchants and their
//! daily settlement, gifts where a programme allows them (MIL-09). Every spend takes lots first
//! in, first out (MIL-07), after the spender's lots past their last day have expired.

use std::collections::BTreeMap;

use dojang_ledger::{ModuleError, StateRead, StateWrite, TxContext};
use dojang_types::{Address, Date, Event, Hash};

use crate::books::Books;
use crate::events::{MileageEvent, Portion};
use crate::exec::{account_of, event, office_of, refuse, today};
use crate::msg::{OfficeKind, SinkKind};
use crate::rules;
use crate::state::{self, Account, Lot, Merchant, MerchantDay, Payment, Programme, Sink};

/// Lots summed per programme and year, for events.
pub(crate) fn portions(lots: &[Lot]) -> Vec<Portion> {
    let mut sums: BTreeMap<(&str, u16), u64> = BTreeMap::new();
    for l in lots {
        *sums.entry((&l.programme, l.year)).or_default() += l.remaining;
    }
    sums.into_iter().map(|((p, year), krw)| Portion { programme: p.to_string(), year, krw }).collect()
}

fn short(balance: u64, amount: u64) -> ModuleError {
    ModuleError::Rejected {
        code: "insufficient_balance".into(),
        reason: format!("the account holds {balance} won that may be spent, {amount} were asked"),
    }
}

/// Takes `amount` from the sender's lots, first in first out, as spent at a sink.
fn spend(
    ctx: &TxContext,
    state: &dyn StateRead,
    books: &mut Books,
    amount: u64,
) -> Result<(Account, Vec<Lot>), ModuleError> {
    let mut a = account_of(state, &ctx.sender)?;
    books.expire(state, &mut a, today(ctx))?;
    let taken = rules::take_fifo(&mut a.lots, amount, |_| true).map_err(|balance| short(balance, amount))?;
    books.redeem(state, &taken)?;
    Ok((a, taken))
}

fn sink_of(state: &dyn StateRead, id: &str) -> Result<Sink, ModuleError> {
    state::read(state, &state::sink_key(id))?
        .ok_or_else(|| refuse(format!("MIL-08: '{id}' is not a place the council approved for mileage")))
}

/// A sink that still takes mileage (MIL-08).
fn open_sink(state: &dyn StateRead, id: &str) -> Result<Sink, ModuleError> {
    let s = sink_of(state, id)?;
    match s.closed_at {
        Some(h) => Err(refuse(format!("MIL-08: the council closed '{id}' at height {h}: it takes no mileage"))),
        None => Ok(s),
    }
}

pub fn close_sink(ctx: &TxContext, state: &mut dyn StateWrite, id: String) -> Result<Vec<Event>, ModuleError> {
    let mut s = open_sink(state, &id)?;
    s.closed_at = Some(ctx.height);
    state::write(state, &state::sink_key(&id), &s);
    Ok(vec![event(MileageEvent::SinkClosed { sink: id })])
}

pub fn close_merchant(
    ctx: &TxContext,
    state: &mut dyn StateWrite,
    account: Address,
) -> Result<Vec<Event>, ModuleError> {
    office_of(state, &ctx.sender, OfficeKind::Finance)?;
    let mut m: Merchant = state::read(state, &state::merchant_key(&account))?
        .ok_or_else(|| refuse(format!("{account} is not a registered merchant")))?;
    if let Some(h) = m.closed_at {
        return Err(refuse(format!("{account} was closed at height {h} already")));
    }
    m.closed_at = Some(ctx.height);
    state::write(state, &state::merchant_key(&account), &m);
    Ok(vec![event(MileageEvent::MerchantClosed { merchant: account })])
}

pub fn redeem(
    ctx: &TxContext,
    state: &mut dyn StateWrite,
    sink: String,
    amount: u64,
    reference: Hash,
) -> Result<Vec<Event>, ModuleError> {
    let mut s = open_sink(state, &sink)?;
    if s.kind == SinkKind::Merchants {
        return Err(refuse(format!("MIL-08: '{sink}' takes payments to its merchants (pay), not redemptions")));
    }
    let key = state::redeemed_key(&sink, &reference);
    if state.get(key.as_bytes())?.is_some() {
        return Err(refuse(format!("MIL-08: {reference} was paid at '{sink}' already")));
    }
    let mut books = Books::default();
    let (a, taken) = spend(ctx, state, &mut books, amount)?;
    s.redeemed = s.redeemed.saturating_add(amount);
    state::write(state, &state::account_key(&ctx.sender), &a);
    state::write(state, &state::sink_key(&sink), &s);
    state::write(state, &key, &Payment { height: ctx.height, krw: amount, account: ctx.sender });
    books.close(state)?;
    Ok(vec![event(MileageEvent::Redeemed {
        sink,
        account: ctx.sender,
        reference,
        krw: amount,
        from: portions(&taken),
    })])
}

pub fn register_merchant(
    ctx: &TxContext,
    state: &mut dyn StateWrite,
    account: Address,
    name: String,
    sink: String,
) -> Result<Vec<Event>, ModuleError> {
    office_of(state, &ctx.sender, OfficeKind::Finance)?;
    if open_sink(state, &sink)?.kind != SinkKind::Merchants {
        return Err(refuse(format!("MIL-08: '{sink}' is not a sink of merchants")));
    }
    if state::read::<Merchant>(state, &state::merchant_key(&account))?.is_some() {
        return Err(refuse(format!("{account} is a registered merchant already")));
    }
    let m = Merchant { name, sink: sink.clone(), registered: today(ctx), paid_krw: 0, settled_krw: 0, closed_at: None };
    state::write(state, &state::merchant_key(&account), &m);
    Ok(vec![event(MileageEvent::MerchantRegistered { merchant: account, sink })])
}

pub fn pay(
    ctx: &TxContext,
    state: &mut dyn StateWrite,
    merchant: Address,
    amount: u64,
    request: Hash,
) -> Result<Vec<Event>, ModuleError> {
    let mut m: Merchant = state::read(state, &state::merchant_key(&merchant))?
        .ok_or_else(|| refuse(format!("MIL-08: {merchant} is not a merchant registered to take mileage")))?;
    if let Some(h) = m.closed_at {
        return Err(refuse(format!("MIL-08: the finance office closed {merchant} at height {h}: it takes no mileage")));
    }
    if merchant == ctx.sender {
        return Err(refuse("MIL-08: a merchant cannot pay itself (mileage is not cashed out)"));
    }
    let key = state::request_key(&merchant, &request);
    if state.get(key.as_bytes())?.is_some() {
        return Err(refuse(format!("payment request {request} of {merchant} was paid already")));
    }
    let mut books = Books::default();
    let (a, taken) = spend(ctx, state, &mut books, amount)?;
    let day = today(ctx);
    let day_key = state::merchant_day_key(&merchant, day);
    let mut takings: MerchantDay = state::read(state, &day_key)?.unwrap_or_default();
    takings.payments = takings.payments.saturating_add(1);
    takings.krw = takings.krw.saturating_add(amount);
    m.paid_krw = m.paid_krw.saturating_add(amount);
    let mut s = open_sink(state, &m.sink)?;
    s.redeemed = s.redeemed.saturating_add(amount);
    state::write(state, &state::account_key(&ctx.sender), &a);
    state::write(state, &day_key, &takings);
    state::write(state, &state::merchant_key(&merchant), &m);
    state::write(state, &state::sink_key(&m.sink), &s);
    state::write(state, &key, &Payment { height: ctx.height, krw: amount, account: ctx.sender });
    books.close(state)?;
    Ok(vec![event(MileageEvent::Paid { merchant, account: ctx.sender, request, krw: amount, from: portions(&taken) })])
}

pub fn gift(ctx: &TxContext, state: &mut dyn StateWrite, to: Address, amount: u64) -> Result<Vec<Event>, ModuleError> {
    if to == ctx.sender {
        return Err(refuse("MIL-09: a gift goes to another account"));
    }
    let day = today(ctx);
    let mut books = Books::default();
    let mut from = account_of(state, &ctx.sender)?;
    let mut receiver = account_of(state, &to)?;
    books.expire(state, &mut from, day)?;
    books.expire(state, &mut receiver, day)?;
    let mut giftable = BTreeMap::new();
    for lot in &from.lots {
        if !giftable.contains_key(&lot.programme) {
            let p: Option<Programme> = state::read(state, &state::programme_key(&lot.programme))?;
            giftable.insert(lot.programme.clone(), p.is_some_and(|p| p.gifts));
        }
    }
    let balance = from.balance();
    let taken =
        rules::take_fifo(&mut from.lots, amount, |l| giftable.get(&l.programme) == Some(&true)).map_err(|may| {
            if balance >= amount {
                refuse(format!("MIL-09: only {may} won of the balance comes from programmes that allow gifts"))
            } else {
                short(balance, amount)
            }
        })?;
    books.debit(state, &taken)?;
    books.gift(state, &taken)?;
    for lot in &taken {
        books.credit(state, &to, &mut receiver, lot.clone())?;
    }
    state::write(state, &state::account_key(&ctx.sender), &from);
    state::write(state, &state::account_key(&to), &receiver);
    books.close(state)?;
    Ok(vec![event(MileageEvent::Gifted { from: ctx.sender, to, krw: amount, portions: portions(&taken) })])
}

pub fn settle(
    ctx: &TxContext,
    state: &mut dyn StateWrite,
    merchant: Address,
    day: Date,
) -> Result<Vec<Event>, ModuleError> {
    office_of(state, &ctx.sender, OfficeKind::Finance)?;
    let mut m: Merchant = state::read(state, &state::merchant_key(&merchant))?
        .ok_or_else(|| refuse(format!("{merchant} is not a registered merchant")))?;
    if day >= today(ctx) {
        return Err(refuse(format!("{day} is not over yet: a day is settled after it ends")));
    }
    let key = state::merchant_day_key(&merchant, day);
    let mut takings: MerchantDay =
        state::read(state, &key)?.ok_or_else(|| refuse(format!("{merchant} took no payment on {day}")))?;
    if let Some(h) = takings.settled_at {
        return Err(refuse(format!("{merchant}'s takings of {day} were settled at height {h}")));
    }
    takings.settled_at = Some(ctx.height);
    m.settled_krw = m.settled_krw.saturating_add(takings.krw);
    state::write(state, &key, &takings);
    state::write(state, &state::merchant_key(&merchant), &m);
    Ok(vec![event(MileageEvent::Settled { merchant, day, payments: takings.payments, krw: takings.krw })])
}
