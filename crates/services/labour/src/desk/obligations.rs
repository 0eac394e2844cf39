//! The engine's look ahead, as pure functions: what a contract owes the insurers and the worker
//! next, and when. From the terms, the weeks committed and the ledger's deadlines, on `today`:
//!
//! - LAB-08 for each insurance (reported, by the ledger's met deadline or the employer's
//!   declaration, or else a warning before the due date and a violation after);
//! - the deadlines the law sets that are not on the ledger yet and still can be (an insurance
//!   report or a month's wages due from today on), for the employer to sign;
//! - the state of each deadline on the ledger (open, near, met, met late, missed);
//! - LAB-05's forecast: the contracted shifts left this week would cross the weekly cap.

use std::collections::BTreeMap;

use dojang_labour::exec::MAX_DEADLINES;
use dojang_labour::finding::Finding;
use dojang_labour::rules::insurance::{self, Insurance};
use dojang_labour::rules::{hours, payment};
use dojang_labour::state::{Contract, Deadline};
use dojang_labour::tables::{keys, TableError, Tables};
use dojang_labour::{DeadlineKind, Terms, Week, WeekPay, WorkDay};
use dojang_types::Date;
use serde::Serialize;

/// A deadline on the ledger, as of today.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DeadlineState {
    #[serde(flatten)]
    pub kind: DeadlineKind,
    pub due: Date,
    /// `open`, `near` (within the alert days), `met`, `met_late` or `missed`.
    pub state: &'static str,
}

/// What the engine looks ahead at.
#[derive(Debug, Default)]
pub struct Obligations {
    pub findings: Vec<Finding>,
    pub deadlines: Vec<DeadlineState>,
    /// Deadlines the law sets that the ledger does not hold yet, with their due dates.
    pub to_set: Vec<(DeadlineKind, Date)>,
}

fn insurance_name(i: Insurance) -> String {
    serde_json::to_value(i).ok().and_then(|v| v.as_str().map(str::to_string)).unwrap_or_default()
}

/// The first day of each month of the contract from its start to `until`.
pub fn months(start: Date, until: Date) -> Vec<Date> {
    let mut out = Vec::new();
    let mut m = start.month_start();
    while m <= until {
        out.push(m);
        m = m.next_month();
    }
    out
}

fn state_of(d: &Deadline, today: Date, tables: &Tables) -> Result<&'static str, TableError> {
    let alert = i64::from(tables.days(keys::ALERT_DAYS_BEFORE, d.due)?);
    Ok(match (d.met_height.is_some(), d.missed) {
        (true, false) => "met",
        (true, true) => "met_late",
        (false, true) => "missed",
        // Past due, before the ledger's block that records it missed.
        (false, false) if today > d.due => "missed",
        (false, false) if today.days() >= d.due.days() - alert => "near",
        (false, false) => "open",
    })
}

/// The contracted shifts of the week of `today` from today on, as planned work days.
fn planned_rest_of_week(terms: &Terms, monday: Date, today: Date) -> Vec<WorkDay> {
    terms
        .shifts
        .iter()
        .map(|s| WorkDay {
            date: monday.plus_days(i64::from(s.weekday)),
            start: s.start,
            end: s.end,
            break_minutes: s.break_minutes,
            holiday: false,
        })
        .filter(|d| d.date >= today)
        .collect()
}

/// The obligations of a contract on `today`: `weeks` are those committed on the ledger,
/// `declared` the insurance reports the employer declares filed (insurance → date).
pub fn assess(
    terms: &Terms,
    weeks: &[Week],
    c: &Contract,
    declared: &BTreeMap<String, Date>,
    today: Date,
    tables: &Tables,
) -> Result<Obligations, TableError> {
    let until = c.ends.map_or(today, |e| e.min(today));
    let months = months(c.starts, until);
    let on_chain = |kind: &DeadlineKind| c.deadlines.iter().find(|d| d.kind == *kind);
    let required = insurance::first_required(terms, weeks, &months, tables)?;
    let mut reported: Vec<(Insurance, Date)> = Vec::new();
    for ins in Insurance::ALL {
        let name = insurance_name(ins);
        let kind = DeadlineKind::InsuranceReport { insurance: name.clone() };
        let legal_due = match required.iter().find(|(i, _)| *i == ins) {
            Some((_, month)) => Some(insurance::report_due(terms, ins, *month, tables)?),
            None => None,
        };
        // Met on the ledger: by its due date if not missed; if missed, the day it was met is
        // not on the ledger, so it counts as late against the law's due date.
        let met = on_chain(&kind).filter(|d| d.met_height.is_some()).map(|d| {
            if d.missed {
                legal_due.unwrap_or(d.due).max(d.due).plus_days(1)
            } else {
                d.due
            }
        });
        if let Some(date) = met.or_else(|| declared.get(&name).copied()) {
            reported.push((ins, date));
        }
    }
    let mut out = Obligations {
        findings: insurance::reports(terms, weeks, &months, &reported, today, tables)?,
        ..Obligations::default()
    };
    let room = |out: &Obligations| c.deadlines.len() + out.to_set.len() < MAX_DEADLINES;
    for (ins, month) in required {
        let kind = DeadlineKind::InsuranceReport { insurance: insurance_name(ins) };
        let due = insurance::report_due(terms, ins, month, tables)?;
        let done = reported.iter().any(|(i, _)| *i == ins);
        if on_chain(&kind).is_none() && !done && due >= today && room(&out) {
            out.to_set.push((kind, due));
        }
    }
    // The last month ended within the contract: its wages are due on the payment day after.
    if let Some(last) = months.iter().rev().map(Date::month_end).find(|end| *end < today && *end >= c.starts) {
        let kind = DeadlineKind::WagePayment { month_end: last };
        let due = payment::pay_day_after(last, terms.payment_day);
        if on_chain(&kind).is_none() && due >= today && room(&out) {
            out.to_set.push((kind, due));
        }
    }
    for d in &c.deadlines {
        out.deadlines.push(DeadlineState { kind: d.kind.clone(), due: d.due, state: state_of(d, today, tables)? });
    }
    let monday = today.plus_days(-i64::from(today.weekday()));
    // A terminated contract is still worked until its end (the notice period).
    if c.ends.is_none_or(|e| e >= today) && today >= c.starts {
        let worked = weeks.iter().find(|w| w.monday == monday).cloned().unwrap_or(Week {
            monday,
            days: vec![],
            pay: WeekPay::default(),
            all_contracted_days_worked: true,
        });
        let planned: Vec<WorkDay> = planned_rest_of_week(terms, monday, today)
            .into_iter()
            .filter(|p| !worked.days.iter().any(|d| d.date == p.date) && c.ends.is_none_or(|e| p.date <= e))
            .collect();
        out.findings.extend(hours::cap_forecast(terms, &worked, &planned, today, tables)?);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use dojang_labour::terms::{lint, PaymentMethod, Shift, WageBasis};
    use dojang_labour::Draft;
    use dojang_types::Address;

    fn d(s: &str) -> Date {
        s.parse().unwrap()
    }

    /// Weekday shifts of `minutes` worked (with the break the law asks), from 2 March 2026.
    fn terms(minutes: u16) -> Terms {
        let break_minutes = if minutes > 480 { 60 } else { 30 };
        lint(&Draft {
            start: Some(d("2026-03-02")),
            end: Some(d("2026-12-31")),
            workplace: Some("cafe".into()),
            duties: Some("serving".into()),
            shifts: Some(
                (0..5)
                    .map(|weekday| Shift { weekday, start: 540, end: 540 + minutes + break_minutes, break_minutes })
                    .collect(),
            ),
            weekly_holiday: Some(6),
            wage_krw: Some(10_320),
            wage_basis: Some(WageBasis::Hourly),
            wage_components: Some(vec!["base".into()]),
            wage_calculation: Some("hourly".into()),
            payment_day: Some(10),
            payment_method: Some(PaymentMethod::OwnAccount),
            annual_leave: Some("by law".into()),
            part_time: Some(true),
            workplace_employees: Some(4),
            worker_birth_date: Some(d("1999-01-01")),
            ..Draft::default()
        })
        .unwrap()
    }

    fn contract(deadlines: Vec<Deadline>) -> Contract {
        let a: Address = "dj38c05b9fd30d7976bebe65fa2720e862c2bde26c".parse().unwrap();
        Contract {
            employer: a,
            worker: a,
            starts: d("2026-03-02"),
            ends: Some(d("2026-12-31")),
            versions: vec![],
            terminated: false,
            deadlines,
        }
    }

    fn deadline(insurance: &str, due: &str, met: bool, missed: bool) -> Deadline {
        Deadline {
            kind: DeadlineKind::InsuranceReport { insurance: insurance.into() },
            due: d(due),
            met_height: met.then_some(7),
            missed,
        }
    }

    fn rules_of(o: &Obligations) -> Vec<(String, String)> {
        o.findings.iter().map(|f| (f.rule.to_string(), format!("{:?}", f.severity))).collect()
    }

    #[test]
    fn the_months_of_a_contract() {
        assert_eq!(months(d("2026-03-02"), d("2026-05-10")), [d("2026-03-01"), d("2026-04-01"), d("2026-05-01")]);
        assert_eq!(months(d("2026-12-30"), d("2027-01-01")), [d("2026-12-01"), d("2027-01-01")]);
        assert!(months(d("2026-03-02"), d("2026-02-27")).is_empty());
    }

    /// 25 h a week: all four insurances from March. On 10 April health (due 16 March, 14 days
    /// after the start) is overdue, employment is declared filed, the accident and pension
    /// reports are due on 15 April (within the 5 alert days), and March's wages on 10 April.
    #[test]
    fn reports_due_declared_overdue_and_the_deadlines_to_put_on_chain() {
        let t = crate::setup::demo_tables().unwrap();
        let declared = BTreeMap::from([("employment".to_string(), d("2026-04-01"))]);
        let o = assess(&terms(300), &[], &contract(vec![]), &declared, d("2026-04-10"), &t).unwrap();
        let lab08: Vec<(String, String)> = rules_of(&o).into_iter().filter(|(r, _)| r == "LAB-08").collect();
        assert_eq!(lab08.len(), 3, "{:?}", o.findings);
        assert_eq!(lab08.iter().filter(|(_, s)| s == "Violation").count(), 1, "health is overdue");
        let health = o.findings.iter().find(|f| f.severity == dojang_labour::finding::Severity::Violation).unwrap();
        assert_eq!(health.until, d("2026-03-16"));
        let to_set: Vec<(String, Date)> =
            o.to_set.iter().map(|(k, due)| (serde_json::to_value(k).unwrap().to_string(), *due)).collect();
        assert_eq!(
            to_set,
            [
                (r#"{"insurance":"industrial_accident","kind":"insurance_report"}"#.to_string(), d("2026-04-15")),
                (r#"{"insurance":"pension","kind":"insurance_report"}"#.to_string(), d("2026-04-15")),
                (r#"{"kind":"wage_payment","month_end":"2026-03-31"}"#.to_string(), d("2026-04-10")),
            ]
        );
    }

    #[test]
    fn deadlines_on_the_ledger_are_open_near_met_or_missed_and_met_ones_count_as_reported() {
        let t = crate::setup::demo_tables().unwrap();
        let c = contract(vec![
            deadline("industrial_accident", "2026-04-15", false, false),
            deadline("pension", "2026-05-15", false, false),
            deadline("employment", "2026-04-15", true, false),
            deadline("health", "2026-03-16", false, true),
        ]);
        let o = assess(&terms(300), &[], &c, &BTreeMap::new(), d("2026-04-10"), &t).unwrap();
        let states: Vec<&str> = o.deadlines.iter().map(|s| s.state).collect();
        assert_eq!(states, ["near", "open", "met", "missed"]);
        assert!(o.to_set.iter().all(|(k, _)| matches!(k, DeadlineKind::WagePayment { .. })), "{:?}", o.to_set);
        let rules = rules_of(&o);
        assert_eq!(rules.iter().filter(|(r, _)| r == "LAB-08").count(), 3, "employment was met: {rules:?}");
    }

    /// A report met only after its deadline was missed counts as filed late against the law's
    /// due date, whatever due date the ledger held; a deadline past due is missed even before
    /// the ledger's block records it.
    #[test]
    fn a_report_met_after_its_deadline_was_missed_is_late_and_a_past_due_deadline_is_missed() {
        let t = crate::setup::demo_tables().unwrap();
        let c = contract(vec![
            deadline("employment", "2026-03-20", true, true),
            deadline("pension", "2026-04-15", false, false),
        ]);
        let o = assess(&terms(300), &[], &c, &BTreeMap::new(), d("2026-04-20"), &t).unwrap();
        let late = o.findings.iter().find(|f| f.en.starts_with("employment insurance was reported on"));
        assert!(late.is_some_and(|f| f.en.contains("2026-04-16")), "{:?}", o.findings);
        assert_eq!(o.deadlines[1].state, "missed");
    }

    /// 10 h a day Monday to Friday is 50 h; two 14-hour days already worked this week bring the
    /// Friday shift past 52 h, two days ahead of Wednesday: a warning now, nothing the day before.
    #[test]
    fn the_weekly_cap_is_forecast_two_days_ahead() {
        let t = crate::setup::demo_tables().unwrap();
        let day = |date: &str| WorkDay { date: d(date), start: 480, end: 480 + 900, break_minutes: 60, holiday: false };
        let worked = Week {
            monday: d("2026-04-06"),
            days: vec![day("2026-04-06"), day("2026-04-07")],
            pay: WeekPay::default(),
            all_contracted_days_worked: true,
        };
        let c = contract(vec![]);
        let none = BTreeMap::new();
        let o = assess(&terms(600), std::slice::from_ref(&worked), &c, &none, d("2026-04-08"), &t).unwrap();
        let cap = o.findings.iter().find(|f| f.rule == "LAB-05").expect("a LAB-05 warning");
        assert_eq!((cap.from, format!("{:?}", cap.severity)), (d("2026-04-10"), "Warning".to_string()));
        let o = assess(&terms(600), std::slice::from_ref(&worked), &c, &none, d("2026-04-07"), &t).unwrap();
        assert!(o.findings.iter().all(|f| f.rule != "LAB-05"), "three days ahead: {:?}", o.findings);
    }
}
