//! `dojang demo payments`: a city road project paid through the partner bank (DOMAIN.md §7).
//! The council appoints the ordering department's officers and the bank; an officer registers
//! the project; the prime and three tiers of subcontractors register the tree, and one payer
//! misses its guarantee (PAY-05, so PAY-06 direct payment). 120 workers are engaged and bind
//! their accounts. Six monthly progress payments follow, the node restarting with its clock a
//! month on each time: a worker's closed account rejected and paid on the second attempt, a
//! late prime whose subcontractors' lines are missed and paid with interest past the Act's 60
//! days (PAY-03), a change
//! order passed through, or not (PAY-09). Every line is reconciled; the node's files are
//! scanned for the workers' names, resident numbers, accounts and wages.

mod months;
mod receipts;
mod site;

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use anyhow::{bail, Context};
use clap::{Args, Subcommand};
use dojang_governance::GovernanceMsg;
use dojang_governance_service::dev_chain::{activate, propose};
use dojang_payments::msg::{ContractKind, PaymentsMsg};
use dojang_payments::state::{Contract, Guarantee};
use dojang_payments::views::{ContractQuery, ReconciliationQuery};
use dojang_sdk::{Client, TxBuilder};
use dojang_service::node::{demo_key, start_home_with, start_node, StartedNode, WorkDir};
use dojang_service::scan::{forms, search};
use dojang_service::Run;
use dojang_types::{Date, Hash};

use site::{address, Site, PROJECT, PROJECT_KRW, TREE};

const MONTH_MS: u64 = 31 * 86_400_000;

#[derive(Subcommand)]
pub enum Demos {
    /// Subcontract payments: a road project, three tiers, 120 workers, six monthly payments
    /// through the partner bank with a late prime, a missed guarantee, a change order and a
    /// rejected line.
    Payments(PaymentsDemoArgs),
}

#[derive(Args)]
pub struct PaymentsDemoArgs {
    /// Where the demo's node is kept [default: a temporary directory]. The demo starts its own
    /// node: the months pass by restarting it with its clock moved on.
    #[arg(long)]
    pub dir: Option<PathBuf>,
}

pub fn run(demo: Demos) -> Run {
    let Demos::Payments(args) = demo;
    Box::pin(async move {
        let work = WorkDir::new(args.dir.as_deref(), "dojang-payments-demo");
        std::fs::create_dir_all(work.path())?;
        let node = start_node(&work.path().join("node")).await?;
        let result = project(node, work.path()).await;
        if let Err(e) = &result {
            eprintln!("the demo failed: {e:#}");
        }
        result
    })
}

async fn project(node: StartedNode, work: &Path) -> anyhow::Result<()> {
    let home = node.home.clone();
    let client = Client::new(&node.url);
    let chain_id =
        client.status().await?["chain_id"].as_str().context("the node's status has no chain id")?.to_string();
    let council = TxBuilder::new(&chain_id, demo_key(&home, "admin").context("the council's key")?);
    let trusted = dojang_sdk::TrustedChain::from_genesis_file(&home.join("genesis.json"))?;
    let mut site = Site::new(&node.url, chain_id, trusted);
    set_up(&mut site, &client, &council, &home).await?;
    let (_issuer, office) = receipts::open_office(&node.url, &home, work).await?;
    let mut node = node;
    let mut last = None;
    for month in 1..=6u32 {
        node = restart(node, u64::from(month) * MONTH_MS).await?;
        site.reconnect(&node.url);
        wait_for_clock(&mut site, u64::from(month) * MONTH_MS).await?;
        last = Some(run_month(&mut site, month).await?);
    }
    let last = last.context("no month was run")?;
    let pr = site.progress(6).await?;
    let handed = receipts::hand_out(&site, &node.url, &home, 6 * MONTH_MS, &office, &pr, &last).await?;
    let (held, written) = &handed.sample;
    if !receipts::matches(held, written)? {
        bail!("a wallet's receipt does not say what the office wrote: {held:?}");
    }
    println!(
        "Month 6: {} workers received their payment receipts in their wallets, each checked against the payroll the bank paid and each work date's minimum wage (PAY-08); one reads: {} days, {} minutes, {} won, paid on {} ({}).",
        handed.receipts, written.days_worked, written.minutes_worked, written.amount_krw, written.paid_on, written.payment
    );
    let mut tally = summary(&site).await?;
    tally["receipts"] = serde_json::json!(handed.receipts);
    let home = node.home.clone();
    node.stop().await;
    let (files, hits) = scan(&home, &site)?;
    tally["personal_data_scan"] = serde_json::json!({"node_files": files, "hits": hits});
    println!("The demo finished: every figure above was read back from the chain.");
    println!("{tally}");
    Ok(())
}

async fn set_up(site: &mut Site, client: &Client, council: &TxBuilder, home: &Path) -> anyhow::Result<()> {
    activate(client, council, &[dojang_payments::NAME]).await?;
    let expires = dojang_types::wall_clock_ms() + 600_000;
    receipts::grant_office(client, council, home, expires).await?;
    let mut appointments: Vec<(PaymentsMsg, &str)> = site
        .officers
        .iter()
        .map(|o| {
            let msg =
                PaymentsMsg::AppointOfficer { account: address(o), department: "Infrastructure Headquarters".into() };
            (msg, "an ordering officer")
        })
        .collect();
    appointments.push((
        PaymentsMsg::AppointBank { account: address(&site.bank_key), name: "Seoul partner bank".into() },
        "the partner bank",
    ));
    for (msg, why) in appointments {
        propose(client, council, GovernanceMsg::propose(&msg, why, expires)).await?;
    }
    site.read_clock().await?;
    let today = Date::from_unix_ms_kst(site.chain_now);
    let register = PaymentsMsg::RegisterProject {
        id: PROJECT.into(),
        name: "Road 17 widening".into(),
        prime: address(&site.prime),
        amount_krw: PROJECT_KRW,
        signed: today,
    };
    site.must(&site.officers[0], &register, "registering the project").await?;
    for (id, parent, kind, amount_krw, _) in TREE {
        let kind = match kind {
            "subcontract" => ContractKind::Subcontract,
            "equipment" => ContractKind::Equipment,
            _ => ContractKind::Material,
        };
        let msg = PaymentsMsg::RegisterContract {
            project: PROJECT.into(),
            id: id.into(),
            parent: parent.map(str::to_string),
            contractor: address(&site.contractors[id]),
            kind,
            amount_krw,
            signed: today,
            agreed_days: 30,
        };
        site.must(site.payer(id), &msg, &format!("registering contract {id}")).await?;
    }
    for (id, _, _, amount_krw, gives) in TREE {
        if gives && amount_krw > 10_000_000 {
            let msg = PaymentsMsg::GiveGuarantee {
                project: PROJECT.into(),
                contract: id.into(),
                reference: Hash(rand::random()),
            };
            site.must(site.payer(id), &msg, &format!("the guarantee for {id}")).await?;
        }
    }
    site.bank.dedicate(address(&site.prime), "301-0017-000001");
    for (n, (id, ..)) in TREE.iter().enumerate() {
        site.bank.dedicate(address(&site.contractors[id]), &format!("301-0017-{:06}", n + 2));
    }
    for w in &site.workers {
        let employer = match w.crew {
            None => &site.prime,
            Some(c) => &site.contractors[c],
        };
        let msg = PaymentsMsg::EngageWorker {
            project: PROJECT.into(),
            contract: w.crew.map(str::to_string),
            worker: w.address(),
        };
        site.must(employer, &msg, "engaging a worker").await?;
    }
    site.bind_accounts().await?;
    println!(
        "Project {PROJECT} ({PROJECT_KRW} won) registered by the ordering department: the prime, {} contracts in three tiers, {} workers engaged, each with an account bound by their own signature (a salted commitment; the number is at the bank only).",
        TREE.len(),
        site.workers.len()
    );
    println!("sub-c's payer gave no payment guarantee: it falls due in 30 days (PAY-05).");
    Ok(())
}

async fn restart(node: StartedNode, offset_ms: u64) -> anyhow::Result<StartedNode> {
    let home = node.home.clone();
    node.stop().await;
    start_home_with(&home, &[("DOJANG_LEDGER__FAULT_CLOCK_OFFSET_MS", offset_ms.to_string())]).await
}

/// Waits for a block stamped with the moved clock.
async fn wait_for_clock(site: &mut Site, offset_ms: u64) -> anyhow::Result<()> {
    let target = dojang_types::wall_clock_ms() + offset_ms - 60_000;
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        site.read_clock().await?;
        if site.chain_now >= target {
            site.trusted.set_clock_ahead(offset_ms);
            return Ok(());
        }
        if Instant::now() > deadline {
            bail!("the restarted node made no block with its clock moved on within 60 s");
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

async fn contract(site: &Site, id: &str) -> anyhow::Result<Contract> {
    Ok(site.client.ask(&ContractQuery { project: PROJECT.into(), id: id.into() }).await?.record)
}

async fn run_month(site: &mut Site, month: u32) -> anyhow::Result<months::Month> {
    let today = Date::from_unix_ms_kst(site.chain_now);
    if month == 1 {
        let c = contract(site, "sub-c").await?;
        site.expect(
            matches!(c.guarantee, Guarantee::Missed { .. }) && c.direct.is_some(),
            "sub-c's missed guarantee was not recorded",
        )?;
        println!("Day 31: sub-c's guarantee was missed (PAY-05); the owner pays sub-c directly from now on (PAY-06).");
    }
    // In month 3 the prime sends its split 75 days after the work was received: the
    // subcontractors' due days (30 agreed) have passed, and so have the Act's 60 days, after
    // which interest runs.
    let received = if month == 3 { today.plus_days(-75) } else { today };
    let mut m = months::split(site, month, received)?;
    let (parts, worker_days) = (std::mem::take(&mut m.parts), m.worker_days);
    let rejected_worker = 40;
    if month == 2 {
        let number = site.workers[rejected_worker].account.number.clone();
        site.bank.close_account(&number);
    }
    let approved = months::submit_and_approve(site, month, received, parts).await?;
    if month == 3 {
        wait_missed(site, month).await?;
    }
    let answers = site.pay(month, &m.payroll, None, 1).await?;
    if month == 2 {
        let line = answers
            .iter()
            .find(|a| matches!(a.outcome, dojang_payments::msg::Outcome::Rejected { .. }))
            .map(|a| a.line)
            .context("the closed account's line was not rejected")?;
        println!("Month 2: the bank rejected line {line} (a worker's account was closed): escalated to the prime and the department.");
        site.rebind(rejected_worker).await?;
        let worker = site.workers[rejected_worker].address();
        let account = site.workers[rejected_worker].account.clone();
        for (credits, _) in m.payroll.labour.values_mut() {
            for c in credits.iter_mut().filter(|c| c.worker == worker) {
                c.account = account.clone();
            }
        }
        site.must(
            &site.prime,
            &PaymentsMsg::Resend { project: PROJECT.into(), number: month, line },
            "resending the line",
        )
        .await?;
        site.pay(month, &m.payroll, Some(&[line]), 2).await?;
        println!("Month 2: the worker bound a new account, the prime sent the line again, and the bank paid it on the second attempt.");
    }
    if month == 4 {
        change_order(site, today).await?;
    }
    if month == 5 {
        let mat = contract(site, "mat").await?;
        let owed = mat.pass_through.first().context("mat's change-order share should still be owed")?;
        site.expect(owed.by < today, "mat's change-order share should be past its day")?;
        println!(
            "Month 5: the material contract's share of the change order ({} won) was due by {} and is still owed (PAY-09, reported missed).",
            owed.increase_krw, owed.by
        );
    }
    let (confirmed, escalated, interest) = months::report(site, month).await?;
    println!(
        "Month {month}: {approved} won approved by two officers ({worker_days} worker-days); {confirmed} lines confirmed{}{}.",
        if escalated > 0 { format!(", {escalated} escalated") } else { String::new() },
        if interest > 0 { format!(", {interest} won of late interest (PAY-03)") } else { String::new() }
    );
    Ok(m)
}

/// Waits until the month's subcontractor lines are recorded missed.
async fn wait_missed(site: &Site, month: u32) -> anyhow::Result<()> {
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let pr = site.progress(month).await?;
        let subs: Vec<_> = pr.lines.iter().filter(|l| l.part.contract.is_some()).collect();
        if subs.iter().all(|l| l.missed) {
            println!("Month 3: the prime's split came 75 days after the work was received; {} subcontractor lines were past due and recorded missed.", subs.len());
            return Ok(());
        }
        if Instant::now() > deadline {
            bail!("the late lines of month {month} were not recorded missed within 60 s");
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

async fn change_order(site: &Site, today: Date) -> anyhow::Result<()> {
    let increase_krw = PROJECT_KRW / 20;
    let order = PaymentsMsg::ChangeOrder { project: PROJECT.into(), increase_krw, on: today };
    site.must(&site.officers[1], &order, "the change order").await?;
    let mut raised = Vec::new();
    for id in ["sub-a", "sub-p", "equip"] {
        let owed: u64 = contract(site, id).await?.pass_through.iter().map(|p| p.increase_krw).sum();
        let amend = PaymentsMsg::AmendContract { project: PROJECT.into(), contract: id.into(), increase_krw: owed };
        site.must(&site.prime, &amend, &format!("raising {id}")).await?;
        raised.push(format!("{id} +{owed}"));
    }
    println!(
        "Month 4: a change order adds {increase_krw} won (5 %); the prime passes it through in the same ratio: {} (PAY-09); the material contract's share is left owed.",
        raised.join(", ")
    );
    Ok(())
}

/// The contracts as the chain has them after six months, printed; and the figures as one JSON
/// line (the last line of the output) for scripts and tests.
async fn summary(site: &Site) -> anyhow::Result<serde_json::Value> {
    println!("  {:<8} {:>13} {:>13} {:>9} {:>7}  direct payment", "contract", "amount", "paid", "interest", "missed");
    let mut contracts = serde_json::Map::new();
    for (id, ..) in TREE {
        let c = contract(site, id).await?;
        contracts.insert(
            id.into(),
            serde_json::json!({"paid_krw": c.paid_krw, "interest_krw": c.interest_krw, "missed": c.missed,
                "direct": c.direct, "pass_through_owed_krw": c.pass_through.iter().map(|p| p.increase_krw).sum::<u64>()}),
        );
        println!(
            "  {:<8} {:>13} {:>13} {:>9} {:>7}  {}",
            id,
            c.amount_krw,
            c.paid_krw,
            c.interest_krw,
            c.missed.len(),
            c.direct.map_or("-".to_string(), |d| format!("{d:?}"))
        );
    }
    let (mut lines, mut confirmed, mut open) = (0, 0, 0);
    for number in 1..=6u32 {
        let r = site.client.ask(&ReconciliationQuery { project: PROJECT.into(), number }).await?;
        lines += r.lines;
        confirmed += r.confirmed;
        open += r.escalated.len() + r.pending.len();
    }
    let rejected =
        site.answers.iter().filter(|a| matches!(a.outcome, dojang_payments::msg::Outcome::Rejected { .. })).count();
    Ok(serde_json::json!({"project": PROJECT, "workers": site.workers.len(), "months": 6, "lines": lines,
        "confirmed": confirmed, "open": open, "bank_rejections": rejected, "contracts": contracts}))
}

/// Searches the node's whole home for the workers' names, resident numbers, bank account
/// numbers and wages (DESIGN.md §7). The project's id, which is on chain, must be found, or
/// the scan read nothing.
fn scan(home: &Path, site: &Site) -> anyhow::Result<(usize, usize)> {
    let mut needles: Vec<(String, Vec<u8>)> = Vec::new();
    for w in &site.workers {
        for text in [
            w.person.name.clone(),
            w.person.name.replace(' ', ""),
            w.person.resident_number.clone(),
            w.account.number.clone(),
        ] {
            needles.extend(forms(&text));
        }
        // A month's wage, whatever the month's days (18 to 22 of 8 hours).
        for days in 18..=22u64 {
            let wage = (days * 8 * w.hourly).to_string();
            needles.push((format!("a wage of {wage}"), wage.into_bytes()));
        }
    }
    let found = search(&[home.to_path_buf()], &[], &needles)?;
    if search(&[home.to_path_buf()], &[], &[(PROJECT.into(), PROJECT.as_bytes().to_vec())])?.hits.is_empty() {
        bail!("the scan read nothing: '{PROJECT}', which is on chain, was not found in the node's files");
    }
    println!(
        "Scan: the node's home ({} files, {} MB) searched for {} workers' names, resident numbers, account numbers and wages: {}.",
        found.files,
        found.bytes / 1_000_000,
        site.workers.len(),
        if found.hits.is_empty() { "none found".to_string() } else { format!("{} FOUND", found.hits.len()) }
    );
    if !found.hits.is_empty() {
        bail!("personal data in the node's files: {:?}", found.hits.iter().take(5).collect::<Vec<_>>());
    }
    Ok((found.files, found.hits.len()))
}
