//! One month of the road project: the employers' payroll (each worker's days, hours and wage,
//! checked against each work date's minimum wage, PAY-08), the prime's split (PAY-07, PAY-11),
//! two officers' approval, the bank paying the file, and the reconciliation.

use std::collections::BTreeMap;

use anyhow::Context;
use dojang_labour::tables::keys::MINIMUM_WAGE;
use dojang_labour::Tables;
use dojang_payments::msg::{Method, Part, PartKind, PaymentsMsg};
use dojang_payments::receipt::Day;
use dojang_payments::rules::pays_minimum_wage;
use dojang_types::{Address, Date, Hash};

use super::site::{Site, CREWS, PROJECT};
use crate::bank::file::{lines_commitment, WorkerCredit};
use crate::instruction::{reconcile, Payroll};

/// Each contract's share of a month's progress besides its crew's wages, by contract id; the
/// prime's own material.
pub const MONTHLY: [(&str, PartKind, u64); 6] = [
    ("sub-a", PartKind::Subcontract, 80_000_000),
    ("sub-b", PartKind::Subcontract, 40_000_000),
    ("sub-c", PartKind::Subcontract, 10_000_000),
    ("sub-p", PartKind::Subcontract, 100_000_000),
    ("equip", PartKind::Equipment, 20_000_000),
    ("mat", PartKind::Material, 1_125_000),
];
pub const PRIME_MATERIAL: u64 = 60_000_000;
/// The mutual-aid contribution per worker-day in the demo chain's tables (PAY-11).
pub const MUTUAL_AID_DAILY: u64 = 6_500;

/// A month's split as the prime submits it, and what the employers keep off chain.
pub struct Month {
    pub parts: Vec<Part>,
    pub payroll: Payroll,
    pub worker_days: u64,
    /// Each worker's days, as the employers' offices recorded them.
    pub attendance: BTreeMap<Address, Vec<Day>>,
}

/// The month's split and payroll: per crew a labour line with each worker's wage, the
/// contracts' shares, the prime's own material, and mutual aid for the worker-days.
pub fn split(site: &Site, month: u32, received: Date) -> anyhow::Result<Month> {
    // The tables the demo chain was started with, read once for every worker's days.
    let params: Vec<dojang_governance::msg::GenesisParam> =
        dojang_service::demo_params().into_iter().map(serde_json::from_value).collect::<Result<_, _>>()?;
    let tables = Tables::new(params.into_iter().map(|p| (p.table, p.key, p.effective_from, p.value)));
    let minimum_wage = |day: Date| tables.krw(MINIMUM_WAGE, day).map_err(|e| e.to_string());
    let mut parts = Vec::new();
    let mut payroll = Payroll::default();
    let mut worker_days = 0;
    let mut attendance = BTreeMap::new();
    for crew in CREWS {
        let mut credits = Vec::new();
        for (i, w) in site.workers.iter().enumerate().filter(|(_, w)| w.crew == crew) {
            let days = 18 + (i as u64 + u64::from(month)) % 5;
            let work: Vec<(Date, u32)> = (0..days).map(|d| (received.plus_days(-(d as i64) - 1), 8 * 60)).collect();
            let krw = days * 8 * w.hourly;
            pays_minimum_wage(krw, &work, minimum_wage).map_err(anyhow::Error::msg)?;
            worker_days += days;
            attendance.insert(w.address(), work.iter().map(|&(date, minutes)| Day { date, minutes }).collect());
            credits.push(WorkerCredit { worker: w.address(), krw, account: w.account.clone() });
        }
        let salt = Hash(rand::random());
        let wages: Vec<(Address, u64)> = credits.iter().map(|c| (c.worker, c.krw)).collect();
        payroll.labour.insert(parts.len() as u32, (credits, salt));
        parts.push(Part {
            contract: crew.map(str::to_string),
            kind: PartKind::Labour,
            krw: wages.iter().map(|(_, k)| k).sum(),
            method: Method::Transfer,
            workers: wages.iter().map(|(w, _)| *w).collect(),
            lines: Some(lines_commitment(&salt, &wages)),
            worker_days: None,
        });
    }
    for (contract, kind, krw) in MONTHLY {
        parts.push(Part {
            contract: Some(contract.into()),
            kind,
            krw,
            method: Method::Transfer,
            workers: vec![],
            lines: None,
            worker_days: None,
        });
    }
    parts.push(Part {
        contract: None,
        kind: PartKind::Material,
        krw: PRIME_MATERIAL,
        method: Method::Transfer,
        workers: vec![],
        lines: None,
        worker_days: None,
    });
    parts.push(Part {
        contract: None,
        kind: PartKind::MutualAid,
        krw: worker_days * MUTUAL_AID_DAILY,
        method: Method::Transfer,
        workers: vec![],
        lines: None,
        worker_days: Some(worker_days),
    });
    Ok(Month { parts, payroll, worker_days, attendance })
}

/// The prime submits month `number`'s split for work received on `received`; both officers
/// approve it.
pub async fn submit_and_approve(site: &Site, number: u32, received: Date, parts: Vec<Part>) -> anyhow::Result<u64> {
    let approved_krw = parts.iter().map(|p| p.krw).sum();
    let submit = PaymentsMsg::SubmitProgress { project: PROJECT.into(), number, approved_krw, received, parts };
    site.must(&site.prime, &submit, &format!("the prime's split for month {number}")).await?;
    for o in &site.officers {
        let approve = PaymentsMsg::Approve { project: PROJECT.into(), number };
        site.must(o, &approve, &format!("an officer's approval of month {number}")).await?;
    }
    Ok(approved_krw)
}

/// The month's reconciliation, printed: every line confirmed or escalated.
pub async fn report(site: &Site, number: u32) -> anyhow::Result<(usize, usize, u64)> {
    let pr = site.progress(number).await.context("reading the month back")?;
    let r = reconcile(&pr, &site.answers);
    if !r.open.is_empty() {
        anyhow::bail!("month {number}: lines {:?} are neither confirmed nor escalated", r.open);
    }
    let interest: u64 = pr
        .lines
        .iter()
        .map(|l| match l.status {
            dojang_payments::state::LineStatus::Confirmed { interest_krw, .. } => interest_krw,
            _ => 0,
        })
        .sum();
    Ok((r.confirmed.len(), r.escalated.len(), interest))
}
