//! A lost key: the registrar moves the person's one account to their new key. The person is
//! known by the same pseudonym as when the account was opened (docs/decisions/0023), so the
//! one-account-per-person rule holds across the move. The lots move as they are, through the
//! books like a gift: outstanding and the monthly expiring figures are unchanged, and the new
//! address is due for each lot's expiry run.

use dojang_ledger::{ModuleError, StateWrite, TxContext};
use dojang_types::{Address, Event, Hash};

use crate::books::Books;
use crate::events::MileageEvent;
use crate::exec::{account_of, event, office_of, refuse, today};
use crate::msg::OfficeKind;
use crate::spend::portions;
use crate::state::{self, Account};

pub fn replace(
    ctx: &TxContext,
    state: &mut dyn StateWrite,
    old: Address,
    new: Address,
    pseudonym: Hash,
) -> Result<Vec<Event>, ModuleError> {
    office_of(state, &ctx.sender, OfficeKind::Registrar)?;
    if old == new {
        return Err(refuse("the new key's address is the old one's: give the address of the person's new key"));
    }
    let mut a = account_of(state, &old)?;
    // The person at the desk must be the account's holder: the same registry token.
    let holder = state::read::<Address>(state, &state::person_key(&pseudonym))?;
    if a.pseudonym != pseudonym || holder != Some(old) {
        return Err(refuse(format!(
            "{old} is not the account of the person this pseudonym names: the registry token shown is not its holder's"
        )));
    }
    if state::read::<Account>(state, &state::account_key(&new))?.is_some() {
        return Err(refuse(format!("{new} is registered already: the new key must not hold an account")));
    }
    let mut books = Books::default();
    // Stale lots expire where they are; the rest move.
    books.expire(state, &mut a, today(ctx))?;
    let lots = std::mem::take(&mut a.lots);
    books.debit(state, &lots)?;
    let mut moved = Account { lots: Vec::new(), ..a };
    for lot in lots.iter().cloned() {
        books.credit(state, &new, &mut moved, lot)?;
    }
    books.close(state)?;
    state.delete(state::account_key(&old).as_bytes());
    state::write(state, &state::account_key(&new), &moved);
    state::write(state, &state::person_key(&pseudonym), &new);
    Ok(vec![event(MileageEvent::AccountReplaced { old, new, moved: portions(&lots) })])
}
