//! Read-only queries, each record with its state key so that a contractor, a worker or the
//! department can read it again with a proof: `project/<id>`, `contract/<project>/<id>`,
//! `progress/<project>/<number>`, `account/<project>/<worker>` (the commitment a worker
//! bound), `officer/<address>`, `bank/<address>`; and the
//! reconciliation of one instruction, `reconciliation/<project>/<number>`.

use dojang_ledger::{keyed_answer, query_answer, ModuleError, StateRead};
use dojang_types::{Address, Hash};
use serde_json::Value;

use crate::state::{self, Bank, Contract, LineStatus, Officer, Progress, Project};
use crate::views::Reconciliation;
use crate::NAME;

fn invalid(reason: String) -> ModuleError {
    ModuleError::InvalidMessage(reason)
}

fn address(text: &str) -> Result<Address, ModuleError> {
    text.parse().map_err(|e: String| invalid(format!("'{text}' is not an account address: {e}")))
}

fn number(text: &str) -> Result<u32, ModuleError> {
    text.parse().map_err(|_| invalid(format!("'{text}' is not a progress payment number")))
}

pub fn query(state: &dyn StateRead, path: &str, _params: &Value) -> Result<Value, ModuleError> {
    let parts: Vec<&str> = path.split('/').collect();
    match parts.as_slice() {
        ["project", id] => keyed_answer::<Project>(state, NAME, &state::project_key(id), || format!("project '{id}'")),
        ["contract", p, id] => {
            keyed_answer::<Contract>(state, NAME, &state::contract_key(p, id), || format!("contract '{id}' of '{p}'"))
        }
        ["progress", p, n] => {
            let n = number(n)?;
            keyed_answer::<Progress>(state, NAME, &state::progress_key(p, n), || format!("progress payment {n} of '{p}'"))
        }
        ["account", p, w] => {
            let w = address(w)?;
            keyed_answer::<Hash>(state, NAME, &state::bound_account_key(p, &w), || format!("an account {w} bound on '{p}'"))
        }
        ["officer", a] => {
            let a = address(a)?;
            keyed_answer::<Officer>(state, NAME, &state::officer_key(&a), || format!("an ordering officer {a}"))
        }
        ["bank", a] => {
            let a = address(a)?;
            keyed_answer::<Bank>(state, NAME, &state::bank_key(&a), || format!("a partner bank {a}"))
        }
        ["reconciliation", p, n] => {
            let n = number(n)?;
            let pr: Progress = state::read(state, &state::progress_key(p, n))?
                .ok_or_else(|| ModuleError::NotFound(format!("progress payment {n} of '{p}'")))?;
            query_answer(&reconcile(&pr))
        }
        _ => Err(ModuleError::NotFound(format!(
            "no payments query '{path}': ask project/<id>, contract/<project>/<id>, progress/<project>/<n>, reconciliation/<project>/<n>, account/<project>/<worker>, officer/<address> or bank/<address>"
        ))),
    }
}

/// Every line confirmed, or escalated: what the bank's reports leave open.
pub fn reconcile(pr: &Progress) -> Reconciliation {
    let mut r = Reconciliation { number: pr.number, lines: pr.lines.len() as u32, ..Default::default() };
    for (i, l) in pr.lines.iter().enumerate() {
        match &l.status {
            LineStatus::Confirmed { interest_krw, .. } => {
                r.confirmed += 1;
                r.confirmed_krw = r.confirmed_krw.saturating_add(l.part.krw);
                r.interest_krw = r.interest_krw.saturating_add(*interest_krw);
            }
            LineStatus::Rejected { .. } => r.escalated.push(i as u32),
            LineStatus::Pending => r.pending.push(i as u32),
        }
        if l.missed {
            r.missed.push(i as u32);
        }
    }
    r
}
