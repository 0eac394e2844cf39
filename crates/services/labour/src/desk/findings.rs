//! The compliance engine over one contract as the desk holds it: the terms in force (the last
//! version the worker signed on the ledger), every week's timesheet from the collection, and
//! the legal tables the council set, through the pure rules of `dojang-labour`. Each week is
//! judged with up to three weeks before it (LAB-03 averages four). One set of terms applies
//! to every week: the ledger records when a version was signed, not from which day it applies.

use dojang_labour::finding::{Finding, Severity};
use dojang_labour::rules::payment::{self, FINAL_PAY_LAW};
use dojang_labour::rules::{self, leave};
use dojang_labour::state::Contract;
use dojang_labour::tables::{TableError, Tables};
use dojang_labour::timesheet::Payment;
use dojang_labour::{DeadlineKind, LabourMsg, Week};
use dojang_types::Date;
use futures::stream::{self, StreamExt, TryStreamExt};
use serde::Serialize;
use serde_json::{json, Value};

use super::book::Entry;
use super::chain::{ChainError, ChainSide, FETCH_AT_ONCE};
use super::documents::{ContractVersion, PaymentRecord, Timesheet};
use super::obligations::{self, DeadlineState};

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
    /// The contract's deadlines on the ledger, as of today.
    pub deadlines: Vec<DeadlineState>,
    /// LAB-11: the day until which the contract's records must be kept (its end, or today for a
    /// running contract, plus the retention years).
    pub keep_records_until: Date,
    /// Deadlines the law sets that are not on the ledger yet: each with the message for the
    /// employer to sign.
    pub to_put_on_chain: Vec<Value>,
    /// The wage payments on record. With none, LAB-09's payment checks do not run: the desk
    /// cannot tell a wage unpaid from one the app never recorded.
    pub payments: usize,
    /// LAB-12: the paid annual leave earned by today (none at a workplace below the threshold
    /// or under 15 hours a week), for the worker to see what they are owed.
    pub annual_leave_earned: LeaveEarned,
}

#[derive(Debug, Serialize)]
pub struct LeaveEarned {
    pub days: u32,
    /// What those days are worth for this contract's hours, in minutes.
    pub minutes: u32,
}

impl Report {
    /// What to warn both parties of now: warnings before a violation, and deadlines near or
    /// missed.
    pub fn alerts(&self) -> Vec<Value> {
        let deadlines: Vec<&DeadlineState> =
            self.deadlines.iter().filter(|d| d.state == "near" || d.state == "missed").collect();
        // A warning about a deadline the ledger holds is said once, as the ledger's deadline:
        // the same month's wages (from its last day) or the final pay (LSA art. 36), due the
        // same day.
        let on_ledger = |f: &Finding| {
            deadlines.iter().any(|d| {
                d.due == f.until
                    && match &d.kind {
                        DeadlineKind::WagePayment { month_end } => f.rule == "LAB-09" && f.from == *month_end,
                        DeadlineKind::FinalPay => f.rule == "LAB-09" && f.law == FINAL_PAY_LAW,
                        DeadlineKind::InsuranceReport { .. } => false,
                    }
            })
        };
        let mut out: Vec<Value> = self
            .findings
            .iter()
            .filter(|f| f.severity == Severity::Warning && !on_ledger(f))
            .map(|f| json!({"rule": f.rule, "from": f.from, "until": f.until, "en": f.en, "ko": f.ko}))
            .collect();
        out.extend(deadlines.iter().map(|d| json!({"deadline": d, "rule": deadline_rule(&d.kind)})));
        out
    }
}

fn deadline_rule(kind: &DeadlineKind) -> &'static str {
    match kind {
        DeadlineKind::InsuranceReport { .. } => "LAB-08",
        DeadlineKind::WagePayment { .. } | DeadlineKind::FinalPay => "LAB-09",
    }
}

/// The weeks, in date order, that LAB-03 averages with `weeks[i]`: those starting up to
/// three weeks before it.
fn window(weeks: &[Week], i: usize) -> &[Week] {
    let first = weeks[..i].iter().position(|w| weeks[i].monday.days() - w.monday.days() <= 21).unwrap_or(i);
    &weeks[first..=i]
}

/// A contract's version in force, as the desk stored it.
pub struct InForce {
    pub version: u32,
    /// Whether the worker signed it on the ledger (while none is signed, version 1 applies).
    pub signed: bool,
    pub doc: ContractVersion,
}

/// The version the worker last signed on the ledger, or version 1 while none is signed, read
/// from the collection.
pub async fn in_force(chain: &ChainSide, id: &str, e: &Entry, on_chain: &Contract) -> Result<InForce, FindingsError> {
    let signed = on_chain.versions.iter().rposition(|v| v.signed_height.is_some());
    let applied = e
        .versions
        .get(signed.unwrap_or(0))
        .ok_or_else(|| FindingsError::Stored(format!("contract {id} has no version")))?;
    let doc = ContractVersion::decode(&chain.fetch(&applied.key).await?).map_err(FindingsError::Stored)?;
    Ok(InForce { version: applied.version, signed: signed.is_some(), doc })
}

/// The findings over the weeks committed on the ledger (a week stored but never committed, or
/// committed with another document, is left out) under the terms the worker last signed, or
/// version 1's while none is signed.
pub async fn run(
    chain: &ChainSide,
    id: &str,
    e: &Entry,
    on_chain: &Contract,
    today: Date,
    tables: &Tables,
) -> Result<Report, FindingsError> {
    let InForce { version: terms_version, signed: terms_signed, doc } = in_force(chain, id, e, on_chain).await?;
    let terms = doc.terms;
    let weeks: Vec<Option<Week>> = stream::iter(e.weeks.clone())
        .map(|(monday, w)| async move {
            if chain.timesheet(id, monday).await? != Some(w.commitment) {
                return Ok(None);
            }
            let doc = Timesheet::decode(&chain.fetch(&w.key).await?).map_err(FindingsError::Stored)?;
            Ok::<_, FindingsError>(Some(doc.week))
        })
        .buffered(FETCH_AT_ONCE)
        .try_collect()
        .await?;
    let weeks: Vec<Week> = weeks.into_iter().flatten().collect();
    let payments: Vec<Payment> = stream::iter(e.payments.clone())
        .map(|r| async move {
            let doc = PaymentRecord::decode(&chain.fetch(&r.key).await?).map_err(FindingsError::Stored)?;
            Ok::<_, FindingsError>(doc.payment)
        })
        .buffered(FETCH_AT_ONCE)
        .try_collect()
        .await?;
    let mut findings = payment::minor_documents(&terms, tables)?;
    if !payments.is_empty() {
        // The end is the ledger's: a termination ends the contract before its terms say.
        let ending = dojang_labour::Terms { end: on_chain.ends, ..terms.clone() };
        findings.extend(payment::payments(&ending, &payments, today, tables)?);
    }
    for i in 0..weeks.len() {
        findings.extend(rules::week(&terms, window(&weeks, i), tables)?);
    }
    let ahead = obligations::assess(&terms, &weeks, on_chain, &e.declared, today, tables)?;
    findings.extend(ahead.findings);
    let owed_krw = findings.iter().map(|f| f.owed_krw).sum();
    let to_put_on_chain = ahead
        .to_set
        .into_iter()
        .map(|(deadline, due)| {
            let msg = LabourMsg::SetDeadline { contract: id.to_string(), deadline, due };
            json!({"due": due, "sign": super::api::sign(&msg)})
        })
        .collect();
    Ok(Report {
        contract: id.to_string(),
        terms_version,
        terms_signed,
        weeks: weeks.len(),
        findings,
        owed_krw,
        deadlines: ahead.deadlines,
        keep_records_until: payment::keep_records_until(&terms, today, tables)?,
        to_put_on_chain,
        payments: payments.len(),
        annual_leave_earned: {
            // Leave stops accruing when the contract ends.
            let as_of = on_chain.ends.map_or(today, |end| end.min(today));
            let earned = leave::entitlement(&terms, as_of, tables)?;
            LeaveEarned { days: earned.days, minutes: earned.minutes }
        },
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
    fn a_warning_about_a_deadline_on_the_ledger_is_alerted_once_and_others_stay() {
        let d = |s: &str| -> Date { s.parse().unwrap() };
        let warn = |until: &str| Finding::new("LAB-09", Severity::Warning, d("2026-11-21"), d(until), FINAL_PAY_LAW);
        let report = Report {
            contract: "c".into(),
            terms_version: 1,
            terms_signed: true,
            weeks: 0,
            findings: vec![warn("2026-12-05"), warn("2026-12-10")],
            owed_krw: 0,
            deadlines: vec![DeadlineState { kind: DeadlineKind::FinalPay, due: d("2026-12-05"), state: "near" }],
            keep_records_until: d("2029-11-21"),
            to_put_on_chain: vec![],
            payments: 1,
            annual_leave_earned: LeaveEarned { days: 0, minutes: 0 },
        };
        let alerts = report.alerts();
        assert_eq!(alerts.len(), 2, "{alerts:?}");
        assert_eq!(alerts[0]["until"], "2026-12-10", "the warning the ledger does not hold stays");
        assert_eq!(alerts[1]["deadline"]["due"], "2026-12-05", "the ledger's deadline, once");
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
