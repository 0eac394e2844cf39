//! The city's side of a payment: the instruction file for an approved progress payment, built
//! from the chain's lines and the employers' payroll (per-worker credits, off chain), and the
//! reconciliation of the bank's answers with the chain: every line confirmed, or escalated.

use std::collections::BTreeMap;

use dojang_payments::msg::{Outcome, PartKind};
use dojang_payments::state::{LineStatus, Progress};
use dojang_types::{Date, Hash};

use crate::bank::file::{end_to_end_id, Credit, Creditor, InstructionFile, LineAnswer, WorkerCredit};

/// A labour line's per-worker credits and the salt of its `lines` commitment: what the
/// employer hands the bank and never the chain.
#[derive(Debug, Clone, Default)]
pub struct Payroll {
    pub labour: BTreeMap<u32, (Vec<WorkerCredit>, Hash)>,
}

/// The file for `lines` of an instructed progress payment (all of them when `None`), to be
/// executed on `on`.
pub fn build(
    project: &str,
    pr: &Progress,
    payroll: &Payroll,
    lines: Option<&[u32]>,
    on: Date,
) -> Result<InstructionFile, String> {
    let mut credits = Vec::new();
    for (i, line) in pr.lines.iter().enumerate() {
        let i = i as u32;
        if lines.is_some_and(|only| !only.contains(&i)) {
            continue;
        }
        let creditor = match line.part.kind {
            PartKind::Labour => {
                let (credits, salt) = payroll
                    .labour
                    .get(&i)
                    .ok_or_else(|| format!("line {i} is labour and the payroll has no credits for it"))?;
                Creditor::Workers { credits: credits.clone(), lines_salt: *salt }
            }
            PartKind::MutualAid => Creditor::MutualAidFund,
            _ => Creditor::Contractor { address: line.payee },
        };
        credits.push(Credit {
            line: i,
            attempt: line.attempt,
            end_to_end_id: end_to_end_id(&pr.instruction, i, line.attempt),
            krw: line.part.krw,
            creditor,
            direct: line.direct,
        });
    }
    Ok(InstructionFile {
        instruction: pr.instruction,
        project: project.into(),
        number: pr.number,
        requested_execution: on,
        credits,
    })
}

/// How the bank's answers and the chain agree.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Reconciled {
    pub confirmed: Vec<u32>,
    /// Rejected by the bank and on chain: escalated to the prime and the department.
    pub escalated: Vec<(u32, String)>,
    /// Lines where the bank and the chain disagree, or the bank has not answered: the
    /// operator must look.
    pub open: Vec<u32>,
}

/// Every line confirmed (the bank paid it and the chain says so, with the same value date) or
/// escalated (the bank rejected it and the chain shows the rejection); anything else is open.
pub fn reconcile(pr: &Progress, answers: &[LineAnswer]) -> Reconciled {
    let mut r = Reconciled::default();
    for (i, line) in pr.lines.iter().enumerate() {
        let i = i as u32;
        let answer = answers.iter().rev().find(|a| a.line == i && a.instruction == pr.instruction);
        match (answer.map(|a| &a.outcome), &line.status) {
            (Some(Outcome::Confirmed { value_date }), LineStatus::Confirmed { value_date: on_chain, .. })
                if value_date == on_chain =>
            {
                r.confirmed.push(i)
            }
            (Some(Outcome::Rejected { code }), LineStatus::Rejected { code: on_chain }) if code == on_chain => {
                r.escalated.push((i, code.clone()))
            }
            _ => r.open.push(i),
        }
    }
    r
}
