//! The programmes' books for one change (a message or an expiry run). Every lot that is
//! added, taken or expired goes through here, and so does what each message says it did
//! (minted, redeemed, expired, gifted). Before the change is kept, each programme and year it
//! touched must still balance (MIL-01); otherwise the change is refused and nothing of it
//! stays.

use std::collections::BTreeMap;

use dojang_ledger::{ModuleError, StateRead, StateWrite};
use dojang_types::{Address, Date};

use crate::rules;
use crate::state::{self, Account, Lot, Totals};

/// What one change did to the books, applied and checked by [`Books::close`].
#[derive(Debug, Default)]
pub struct Books {
    totals: BTreeMap<(String, u16), Totals>,
    /// Change to what lots expiring in a month hold, per programme and month.
    expiring: BTreeMap<(String, Date), i128>,
    /// Accounts that gained a lot expiring on a day: the expiry run visits them.
    due: Vec<(Date, Address)>,
}

fn overflow() -> ModuleError {
    ModuleError::by_rule("MIL-01: a programme's totals would overflow".into())
}

impl Books {
    fn totals(&mut self, state: &dyn StateRead, programme: &str, year: u16) -> Result<&mut Totals, ModuleError> {
        let key = (programme.to_string(), year);
        if !self.totals.contains_key(&key) {
            let t = state::read(state, &state::totals_key(programme, year))?.unwrap_or_default();
            self.totals.insert(key.clone(), t);
        }
        Ok(self.totals.get_mut(&key).expect("inserted above"))
    }

    /// What `programme` has minted in `year`, this change included.
    pub fn minted(&mut self, state: &dyn StateRead, programme: &str, year: u16) -> Result<u64, ModuleError> {
        Ok(self.totals(state, programme, year)?.minted)
    }

    fn add(
        &mut self,
        state: &dyn StateRead,
        lot: &Lot,
        field: impl Fn(&mut Totals) -> &mut u64,
    ) -> Result<(), ModuleError> {
        let t = self.totals(state, &lot.programme, lot.year)?;
        let f = field(t);
        *f = f.checked_add(lot.remaining).ok_or_else(overflow)?;
        Ok(())
    }

    fn lot_moved(&mut self, state: &dyn StateRead, lot: &Lot, added: bool) -> Result<(), ModuleError> {
        let t = self.totals(state, &lot.programme, lot.year)?;
        t.outstanding =
            if added { t.outstanding.checked_add(lot.remaining) } else { t.outstanding.checked_sub(lot.remaining) }
                .ok_or_else(overflow)?;
        let delta = i128::from(lot.remaining);
        *self.expiring.entry((lot.programme.clone(), lot.expires.month_start())).or_default() +=
            if added { delta } else { -delta };
        Ok(())
    }

    /// A new lot for `account` (an award): minted and outstanding.
    pub fn mint(
        &mut self,
        state: &dyn StateRead,
        who: &Address,
        account: &mut Account,
        lot: Lot,
    ) -> Result<(), ModuleError> {
        self.add(state, &lot, |t| &mut t.minted)?;
        self.credit(state, who, account, lot)
    }

    /// A lot joins `account`'s: outstanding, and due to expire.
    pub fn credit(
        &mut self,
        state: &dyn StateRead,
        who: &Address,
        account: &mut Account,
        lot: Lot,
    ) -> Result<(), ModuleError> {
        self.lot_moved(state, &lot, true)?;
        if !self.due.contains(&(lot.expires, *who)) {
            self.due.push((lot.expires, *who));
        }
        rules::add_lot(&mut account.lots, lot).map_err(ModuleError::by_rule)
    }

    /// Lots taken from an account (already removed from it): no longer outstanding.
    pub fn debit(&mut self, state: &dyn StateRead, taken: &[Lot]) -> Result<(), ModuleError> {
        taken.iter().try_for_each(|lot| self.lot_moved(state, lot, false))
    }

    /// Taken lots spent at a sink (MIL-08).
    pub fn redeem(&mut self, state: &dyn StateRead, taken: &[Lot]) -> Result<(), ModuleError> {
        self.debit(state, taken)?;
        taken.iter().try_for_each(|lot| self.add(state, lot, |t| &mut t.redeemed))
    }

    /// Taken lots given away (the receiver is credited the same lots).
    pub fn gift(&mut self, state: &dyn StateRead, taken: &[Lot]) -> Result<(), ModuleError> {
        taken.iter().try_for_each(|lot| self.add(state, lot, |t| &mut t.gifted))
    }

    /// Lots of `account` whose last day is before `today` expire: breakage (MIL-07).
    pub fn expire(
        &mut self,
        state: &dyn StateRead,
        account: &mut Account,
        today: Date,
    ) -> Result<Vec<Lot>, ModuleError> {
        let gone = rules::expire_lots(&mut account.lots, today);
        self.debit(state, &gone)?;
        gone.iter().try_for_each(|lot| self.add(state, lot, |t| &mut t.expired))?;
        Ok(gone)
    }

    /// MIL-01 for every programme and year this change touched; then the change's totals,
    /// monthly expiring figures and expiry visits are written. Nothing is written unless all
    /// of it holds.
    pub fn close(self, state: &mut dyn StateWrite) -> Result<(), ModuleError> {
        for ((programme, year), t) in &self.totals {
            t.conserved().map_err(|e| ModuleError::by_rule(format!("MIL-01: {programme} {year}: {e}")))?;
        }
        let mut expiring = Vec::with_capacity(self.expiring.len());
        for ((programme, month), delta) in &self.expiring {
            let key = state::expiring_key(programme, *month);
            let now: u64 = state::read(state, &key)?.unwrap_or(0);
            let next = u64::try_from(i128::from(now) + delta).map_err(|_| {
                ModuleError::by_rule(format!(
                    "MIL-01: {programme}: lots expiring in {month} would hold less than nothing"
                ))
            })?;
            expiring.push((key, next));
        }
        for ((programme, year), t) in &self.totals {
            state::write(state, &state::totals_key(programme, *year), t);
        }
        for (key, next) in expiring {
            if next == 0 {
                state.delete(key.as_bytes());
            } else {
                state::write(state, &key, &next);
            }
        }
        for (day, who) in self.due {
            state.put(state::due_key(day, &who).as_bytes(), Vec::new());
            state.schedule(day.plus_days(1).kst_start_ms(), state::expiry_deadline(day).as_bytes())?;
        }
        Ok(())
    }
}
