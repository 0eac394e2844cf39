//! The statutory engine's deadlines, run in the first block past each: a guarantee not given
//! (PAY-05), a line falling due soon or missed (PAY-01, PAY-02), the direct payment a second
//! missed instalment or a missing guarantee triggers (PAY-06), a change order not passed
//! through (PAY-09). Each deadline is one key, so a block runs each in bounded work.

use dojang_ledger::{BlockContext, ModuleError, StateWrite};
use dojang_types::Event;

use crate::events::PaymentsEvent;
use crate::exec::{contract_of, event, make_direct};
use crate::params;
use crate::progress::progress_of;
use crate::rules::{self, DirectCause};
use crate::state::{self, Guarantee, LineStatus};

pub fn run(_ctx: &BlockContext, state: &mut dyn StateWrite, key: &[u8]) -> Result<Vec<Event>, ModuleError> {
    let key = String::from_utf8_lossy(key).into_owned();
    let parts: Vec<&str> = key.split('/').collect();
    match parts.as_slice() {
        ["guarantee", project, contract] => guarantee_missed(state, project, contract),
        ["remind", project, number, line] => {
            let (number, line) = numbers(number, line)?;
            let pr = progress_of(state, project, number)?;
            let l = pr.lines.get(line as usize).ok_or_else(|| bad(&key))?;
            if matches!(l.status, LineStatus::Confirmed { .. }) {
                return Ok(Vec::new());
            }
            Ok(vec![event(PaymentsEvent::PaymentDueSoon { project: project.to_string(), number, line, due: l.due })])
        }
        ["due", project, number, line] => {
            let (number, line) = numbers(number, line)?;
            missed(state, project, number, line)
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

fn bad(key: &str) -> ModuleError {
    ModuleError::InvalidMessage(format!("no payments deadline is named '{key}'"))
}

fn numbers(number: &str, line: &str) -> Result<(u32, u32), ModuleError> {
    let n = number.parse().map_err(|_| bad(number))?;
    let l = line.parse().map_err(|_| bad(line))?;
    Ok((n, l))
}

fn guarantee_missed(state: &mut dyn StateWrite, project: &str, contract: &str) -> Result<Vec<Event>, ModuleError> {
    let mut c = contract_of(state, project, contract)?;
    let Guarantee::Due { by } = c.guarantee else { return Ok(Vec::new()) };
    c.guarantee = Guarantee::Missed { by };
    state::write(state, &state::contract_key(project, contract), &c);
    let mut events =
        vec![event(PaymentsEvent::GuaranteeMissed { project: project.into(), contract: contract.into(), by })];
    events.extend(make_direct(state, project, &mut c, DirectCause::MissingGuarantee));
    Ok(events)
}

/// A line's due day passed unpaid: the instalment is missed for its contract, and from the
/// law's count of missed instalments the owner pays that contract directly (PAY-06).
fn missed(state: &mut dyn StateWrite, project: &str, number: u32, line: u32) -> Result<Vec<Event>, ModuleError> {
    let mut pr = progress_of(state, project, number)?;
    let Some(l) = pr.lines.get_mut(line as usize) else { return Ok(Vec::new()) };
    if matches!(l.status, LineStatus::Confirmed { .. }) || l.missed {
        return Ok(Vec::new());
    }
    l.missed = true;
    let (due, contract) = (l.due, l.part.contract.clone());
    state::write(state, &state::progress_key(project, number), &pr);
    let mut events = vec![event(PaymentsEvent::PaymentMissed {
        project: project.into(),
        number,
        line,
        due,
        contract: contract.clone(),
    })];
    if let Some(id) = contract {
        let mut c = contract_of(state, project, &id)?;
        // An instalment is a progress payment: two lines of one payment are one miss.
        if c.missed.contains(&number) {
            return Ok(events);
        }
        c.missed.push(number);
        state::write(state, &state::contract_key(project, &id), &c);
        let threshold = params::count(state, params::DIRECT_AFTER_MISSED, due)?;
        let threshold = u32::try_from(threshold).unwrap_or(u32::MAX);
        let missed = c.missed.len() as u32;
        if let Some(cause) = rules::direct_payment(missed, threshold, false, false, false) {
            events.extend(make_direct(state, project, &mut c, cause));
        }
    }
    Ok(events)
}
