//! The compliance engine over one contract as the desk holds it: the terms in force (the last
//! version the worker signed on the ledger), every week's timesheet from the collection, and
//! the legal tables the council set, through the pure rules of `dojang-labour`. Each week is
//! judged with up to three weeks before it (LAB-03 averages four).

use dojang_labour::finding::Finding;
use dojang_labour::rules::{self, payment};
use dojang_labour::tables::TableError;
use dojang_labour::Week;
use serde::Serialize;

use super::book::Entry;
use super::chain::{ChainError, ChainSide};
use super::documents::{ContractVersion, Timesheet};

#[derive(Debug, thiserror::Error)]
pub enum FindingsError {
    #[error(transparent)]
    Chain(#[from] ChainError),
    #[error(transparent)]
    Tables(#[from] TableError),
    /// A payload in the collection is not what the desk stored (a bug or a damaged store).
    #[error("a stored document cannot be read: {0}")]
    Stored(String),
}

/// What the engine found for a contract.
#[derive(Debug, Serialize)]
pub struct Report {
    pub contract: String,
    /// The version whose terms were applied.
    pub terms_version: u32,
    /// Whether the worker has signed that version on the ledger.
    pub terms_signed: bool,
    pub weeks: usize,
    pub findings: Vec<Finding>,
    /// What the worker is owed in total by the findings.
    pub owed_krw: u64,
}

/// The weeks, in date order, that LAB-03 averages with `weeks[i]`: those starting up to
/// three weeks before it.
fn window(weeks: &[Week], i: usize) -> &[Week] {
    let first = weeks[..i].iter().position(|w| weeks[i].monday.days() - w.monday.days() <= 21).unwrap_or(i);
    &weeks[first..=i]
}

pub async fn run(chain: &ChainSide, id: &str, e: &Entry) -> Result<Report, FindingsError> {
    let on_chain = chain.contract(id).await?;
    let signed = on_chain.as_ref().and_then(|c| c.versions.iter().rposition(|v| v.signed_height.is_some()));
    let applied = signed
        .and_then(|i| e.versions.get(i))
        .or(e.versions.last())
        .ok_or_else(|| FindingsError::Stored(format!("contract {id} has no version")))?;
    let terms = ContractVersion::decode(&chain.fetch(&applied.key).await?).map_err(FindingsError::Stored)?.terms;
    let tables = chain.tables().await?;
    let mut weeks = Vec::with_capacity(e.weeks.len());
    for w in e.weeks.values() {
        weeks.push(Timesheet::decode(&chain.fetch(&w.key).await?).map_err(FindingsError::Stored)?.week);
    }
    let mut findings = payment::minor_documents(&terms, &tables)?;
    for i in 0..weeks.len() {
        findings.extend(rules::week(&terms, window(&weeks, i), &tables)?);
    }
    let owed_krw = findings.iter().map(|f| f.owed_krw).sum();
    Ok(Report {
        contract: id.to_string(),
        terms_version: applied.version,
        terms_signed: signed.is_some(),
        weeks: weeks.len(),
        findings,
        owed_krw,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use dojang_labour::WeekPay;

    fn week(monday: &str) -> Week {
        Week {
            monday: monday.parse().unwrap(),
            days: vec![],
            pay: WeekPay::default(),
            all_contracted_days_worked: true,
        }
    }

    #[test]
    fn the_window_holds_the_three_weeks_before_and_not_older_ones() {
        let weeks: Vec<Week> =
            ["2026-03-02", "2026-03-09", "2026-03-16", "2026-03-23", "2026-03-30", "2026-04-27"].map(week).to_vec();
        let mondays = |ws: &[Week]| ws.iter().map(|w| w.monday.to_string()).collect::<Vec<_>>();
        assert_eq!(mondays(window(&weeks, 0)), ["2026-03-02"]);
        assert_eq!(mondays(window(&weeks, 3)), ["2026-03-02", "2026-03-09", "2026-03-16", "2026-03-23"]);
        assert_eq!(mondays(window(&weeks, 4)), ["2026-03-09", "2026-03-16", "2026-03-23", "2026-03-30"]);
        assert_eq!(mondays(window(&weeks, 5)), ["2026-04-27"], "a gap of weeks starts a new average");
    }
}
