//! The statutory engine's deadlines, run in the first block past each: a guarantee not given
//! (PAY-05), a line falling due soon or missed (PAY-01, PAY-02), the direct payment a second
//! missed instalment or a missing guarantee triggers (PAY-06), a change order not passed
//! through (PAY-09). Each deadline is one key, so a block runs each in bounded work.

use dojang_ledger::{BlockContext, ModuleError, StateWrite};
use dojang_types::{Date, Event};

use crate::events::PaymentsEvent;
use crate::exec::{contract_of, event, make_direct};
use crate::params;
use crate::progress::{progress_of, reschedule};
use crate::rules::{self, DirectCause};
use crate::state::{self, Guarantee, LineStatus};

pub fn run(ctx: &BlockContext, state: &mut dyn StateWrite, key: &[u8]) -> Result<Vec<Event>, ModuleError> {
    let key = String::from_utf8_lossy(key).into_owned();
    let parts: Vec<&str> = key.split('/').collect();
    let today = Date::from_unix_ms_kst(ctx.time_ms);
    match parts.as_slice() {
        ["guarantee", project, contract] => guarantee_missed(state, project, contract),
        ["remind", project, number] => {
            let number: u32 = number.parse().map_err(|_| bad(&key))?;
            remind(state, project, number, today)
        }
        ["due", project, number] => {
            let number: u32 = number.parse().map_err(|_| bad(&key))?;
            missed(state, project, number, today)
        }
        ["pass", project, contract, order] => {
            let order: u32 = order.parse().map_err(|_| bad(&key))?;
            let c = contract_of(state, project, contract)?;
            Ok(c.pass_through
                .iter()
                .filter(|o| o.order == order)
                .map(|o| {
                    event(PaymentsEvent::PassThroughMissed {
                        project: project.to_string(),
                        contract: contract.to_string(),
                        order,
                        increase_krw: o.increase_krw,
                    })
                })
                .collect())
        }
        _ => Err(bad(&key)),
    }
}

/// The reminder: every open line whose reminder day has come falls due in a few days.
fn remind(state: &mut dyn StateWrite, project: &str, number: u32, today: Date) -> Result<Vec<Event>, ModuleError> {
    let mut pr = progress_of(state, project, number)?;
    // The deadline that ran is gone: the next is set from what is still open.
    pr.next_remind = None;
    let mut events = Vec::new();
    for (i, l) in pr.lines.iter_mut().enumerate() {
        if l.remind.is_some_and(|r| r <= today) {
            l.remind = None;
            if !matches!(l.status, LineStatus::Confirmed { .. }) {
                events.push(event(PaymentsEvent::PaymentDueSoon {
                    project: project.into(),
                    number,
                    line: i as u32,
                    due: l.due,
                }));
            }
        }
    }
    reschedule(state, project, &mut pr)?;
    state::write(state, &state::progress_key(project, number), &pr);
    Ok(events)
}

fn bad(key: &str) -> ModuleError {
    ModuleError::InvalidMessage(format!("no payments deadline is named '{key}'"))
}

fn guarantee_missed(state: &mut dyn StateWrite, project: &str, contract: &str) -> Result<Vec<Event>, ModuleError> {
    let mut c = contract_of(state, project, contract)?;
    let Guarantee::Due { by } = c.guarantee else { return Ok(Vec::new()) };
    c.guarantee = Guarantee::Missed { by };
    let mut events =
        vec![event(PaymentsEvent::GuaranteeMissed { project: project.into(), contract: contract.into(), by })];
    // make_direct writes the contract when it triggers direct payment; otherwise (already
    // direct for another cause) it is written here.
    match make_direct(state, project, &mut c, DirectCause::MissingGuarantee) {
        Some(triggered) => events.push(triggered),
        None => state::write(state, &state::contract_key(project, contract), &c),
    }
    Ok(events)
}

/// Lines whose due day passed unpaid: each instalment is missed for its contract, and from the
/// law's count of missed instalments the owner pays that contract directly (PAY-06).
fn missed(state: &mut dyn StateWrite, project: &str, number: u32, today: Date) -> Result<Vec<Event>, ModuleError> {
    let mut pr = progress_of(state, project, number)?;
    pr.next_due = None;
    // Read before any line is marked: a deadline's work is kept only if it succeeds, and it
    // does not run again. Without the figure the lines are still marked missed; direct
    // payment waits for the council to set it and the next miss.
    let threshold =
        params::count(state, params::DIRECT_AFTER_MISSED, today).ok().map(|t| u32::try_from(t).unwrap_or(u32::MAX));
    let mut events = Vec::new();
    let mut contracts: Vec<String> = Vec::new();
    for (i, l) in pr.lines.iter_mut().enumerate() {
        if matches!(l.status, LineStatus::Confirmed { .. }) || l.missed || l.due >= today {
            continue;
        }
        l.missed = true;
        events.push(event(PaymentsEvent::PaymentMissed {
            project: project.into(),
            number,
            line: i as u32,
            due: l.due,
            contract: l.part.contract.clone(),
        }));
        if let Some(id) = &l.part.contract {
            if !contracts.contains(id) {
                contracts.push(id.clone());
            }
        }
    }
    reschedule(state, project, &mut pr)?;
    state::write(state, &state::progress_key(project, number), &pr);
    for id in contracts {
        let mut c = contract_of(state, project, &id)?;
        // An instalment is a progress payment: two lines of one payment are one miss.
        if c.missed.contains(&number) {
            continue;
        }
        c.missed.push(number);
        state::write(state, &state::contract_key(project, &id), &c);
        let missed = c.missed.len() as u32;
        let Some(threshold) = threshold else { continue };
        if let Some(cause) = rules::direct_payment(missed, threshold, false, false, false) {
            events.extend(make_direct(state, project, &mut c, cause));
        }
    }
    Ok(events)
}
