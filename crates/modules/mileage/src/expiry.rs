//! Lots expire by a scheduled deadline (MIL-07): at the start of the day after a lot's last
//! day, the accounts holding lots of that day are visited, at most [`ACCOUNTS_PER_RUN`] per
//! block, and what those lots still hold becomes breakage. Spending also expires the
//! spender's stale lots first, so a late run never lets a stale lot be spent.

use dojang_ledger::{BlockContext, ModuleError, StateWrite};
use dojang_types::{Address, Date, Event};

use crate::books::Books;
use crate::events::MileageEvent;
use crate::exec::event;
use crate::spend::portions;
use crate::state::{self, Account};

/// Accounts one expiry run visits; the rest wait for the next block.
pub const ACCOUNTS_PER_RUN: usize = 500;

/// The day an `expire/<day>` deadline key names.
fn day_of(key: &[u8]) -> Option<Date> {
    std::str::from_utf8(key).ok()?.strip_prefix("expire/")?.parse().ok()
}

pub fn run(ctx: &BlockContext, state: &mut dyn StateWrite, key: &[u8]) -> Result<Vec<Event>, ModuleError> {
    let Some(day) = day_of(key) else {
        return Err(ModuleError::InvalidMessage(format!(
            "unknown mileage deadline '{}'",
            String::from_utf8_lossy(key)
        )));
    };
    let today = Date::from_unix_ms_kst(ctx.time_ms);
    let due = state.scan(state::due_prefix(day).as_bytes(), None, ACCOUNTS_PER_RUN)?;
    let mut gone = Vec::new();
    let mut held_back = 0u32;
    for (k, _) in &due {
        state.delete(k);
        let Some(who) =
            std::str::from_utf8(&k[state::due_prefix(day).len()..]).ok().and_then(|a| a.parse::<Address>().ok())
        else {
            continue;
        };
        let Some(mut account) = state::read::<Account>(state, &state::account_key(&who))? else { continue };
        // Each account's expiry is checked against the books on its own: one that would not
        // balance keeps its lots (spending expires them later) and holds back no other.
        let mut books = Books::default();
        let expired = books.expire(state, &mut account, today)?;
        if expired.is_empty() {
            continue;
        }
        match books.close(state) {
            Ok(()) => {
                state::write(state, &state::account_key(&who), &account);
                gone.extend(expired);
            }
            Err(ModuleError::Rejected { .. }) => held_back += 1,
            Err(e) => return Err(e),
        }
    }
    if due.len() == ACCOUNTS_PER_RUN {
        state.schedule(ctx.time_ms + 1, key)?;
    }
    Ok(vec![event(MileageEvent::Expired { day, accounts: due.len() as u32, held_back, portions: portions(&gone) })])
}
