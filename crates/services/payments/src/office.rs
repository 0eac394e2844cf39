//! `dojang payments receipts`: the payments office's command. Once the bank has confirmed a
//! progress payment's labour lines, the office runs it with the employers' payroll file: it
//! reads the payment with a proof against the chain's genesis, checks every line's payroll
//! and each worker's days (`receipts::line_receipts`, PAY-08 on the council's minimum wage of
//! each work date), then has its credential issuer offer every receipt, and prints one JSON
//! line per worker with the offer to hand them (the link, its QR code, the PIN). Nothing is
//! offered unless every line holds.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use anyhow::Context;
use clap::Args;
use dojang_governance::views::ParamQuery;
use dojang_governance::ParamValue;
use dojang_labour::tables::keys::MINIMUM_WAGE;
use dojang_payments::receipt::{Day, Receipt};
use dojang_payments::views::ProgressQuery;
use dojang_sdk::{Client, TrustedChain};
use dojang_types::{Address, Date, Hash};
use serde::Deserialize;
use serde_json::json;

use crate::receipts::{line_receipts, ReceiptOffice};

#[derive(Args, Debug)]
pub struct ReceiptsArgs {
    /// The node the chain is read from.
    #[arg(long, env = "DOJANG_NODE", default_value = "http://127.0.0.1:8080")]
    pub node: String,
    /// The chain's genesis file: every read is checked against the validators it names.
    #[arg(long)]
    pub genesis: PathBuf,
    /// The project and the progress payment whose labour lines the bank confirmed.
    #[arg(long)]
    pub project: String,
    #[arg(long)]
    pub number: u32,
    /// The employers' payroll and attendance for the payment's labour lines (JSON, as
    /// docs/modules/payments.md shows).
    #[arg(long)]
    pub payroll: PathBuf,
    /// The office's credential issuer (`dojang issuer`).
    #[arg(long)]
    pub issuer: String,
    /// Its credential configuration for receipts (claims with each offer).
    #[arg(long, default_value = "receipt")]
    pub configuration: String,
    /// The issuer's admin token (from the environment, never the command line).
    #[arg(long, env = "DOJANG_ISSUER_ADMIN_TOKEN", hide_env_values = true)]
    pub admin_token: String,
}

/// One labour line of the payroll file: the salt of its `lines` commitment, each worker's
/// amount, and each worker's days.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PayrollLine {
    pub line: u32,
    pub salt: Hash,
    pub wages: Vec<Wage>,
    pub attendance: BTreeMap<Address, Vec<Day>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Wage {
    pub worker: Address,
    pub krw: u64,
}

/// The employers' payroll file for one progress payment.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PayrollFile {
    pub lines: Vec<PayrollLine>,
}

/// The most a payroll file may hold: a city project's month is far below it.
pub const MAX_PAYROLL_BYTES: u64 = 32 * 1024 * 1024;

impl PayrollFile {
    /// Decodes a payroll file, saying where it is malformed.
    pub fn parse(bytes: &[u8]) -> Result<PayrollFile, String> {
        let file: PayrollFile =
            serde_json::from_slice(bytes).map_err(|e| format!("the payroll file is malformed: {e}"))?;
        if file.lines.is_empty() {
            return Err("the payroll file lists no labour line".into());
        }
        let mut seen = std::collections::BTreeSet::new();
        for l in &file.lines {
            if !seen.insert(l.line) {
                return Err(format!("the payroll file lists line {} twice", l.line));
            }
            if l.wages.is_empty() {
                return Err(format!("line {} pays no worker", l.line));
            }
        }
        Ok(file)
    }

    pub fn load(path: &Path) -> anyhow::Result<PayrollFile> {
        let len = std::fs::metadata(path).with_context(|| format!("reading {}", path.display()))?.len();
        anyhow::ensure!(
            len <= MAX_PAYROLL_BYTES,
            "{} is {len} bytes; a payroll file is at most {MAX_PAYROLL_BYTES}",
            path.display()
        );
        let bytes = std::fs::read(path).with_context(|| format!("reading {}", path.display()))?;
        PayrollFile::parse(&bytes).map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))
    }
}

/// Runs the command.
pub async fn receipts(args: ReceiptsArgs) -> anyhow::Result<()> {
    let payroll = PayrollFile::load(&args.payroll)?;
    let office = ReceiptOffice::new(&args.issuer, &args.admin_token, &args.configuration)
        .map_err(|e| anyhow::anyhow!("--issuer and its admin token: {e}"))?;
    let trusted = TrustedChain::from_genesis_file(&args.genesis)?;
    let client = Client::new(&args.node);
    let q = ProgressQuery { project: args.project.clone(), number: args.number };
    let pr = client
        .ask_verified(&q, &trusted)
        .await?
        .with_context(|| format!("the chain has no progress payment {} of project {}", args.number, args.project))?
        .record;
    let days = payroll.lines.iter().flat_map(|l| l.attendance.values().flatten());
    let minimum = minimum_wages(&client, days.map(|d| d.date)).await?;
    let minimum_on = |d: Date| minimum.get(&d).copied().ok_or_else(|| format!("no minimum wage read for {d}"));
    let mut written: Vec<(Address, Receipt)> = Vec::new();
    for l in &payroll.lines {
        let wages: Vec<(Address, u64)> = l.wages.iter().map(|w| (w.worker, w.krw)).collect();
        written.extend(line_receipts(&args.project, &pr, l.line, (&wages, &l.salt), &l.attendance, minimum_on)?);
    }
    for (worker, r) in &written {
        let offer =
            office.offer(worker, r).await.with_context(|| format!("offering {worker}'s receipt for {}", r.payment))?;
        let line = json!({"worker": worker, "payment": r.payment, "amount_krw": r.amount_krw,
            "credential_offer_uri": offer.credential_offer_uri, "tx_code": offer.tx_code,
            "wallet_link": offer.wallet_link});
        println!("{line}");
    }
    eprintln!("{} receipts offered for payment {} of {}", written.len(), args.number, args.project);
    Ok(())
}

/// The hourly minimum wage in force on each of `dates`, from the council's table.
pub(crate) async fn minimum_wages(
    client: &Client,
    dates: impl Iterator<Item = Date>,
) -> anyhow::Result<BTreeMap<Date, u64>> {
    let (table, key) = MINIMUM_WAGE;
    let mut wages = BTreeMap::new();
    for date in dates {
        if let std::collections::btree_map::Entry::Vacant(e) = wages.entry(date) {
            let q = ParamQuery { table: table.into(), key: key.into(), as_of: date };
            match client.ask(&q).await?.version.value {
                ParamValue::Krw(krw) => e.insert(krw),
                other => anyhow::bail!("the minimum wage in force on {date} is not an amount: {other:?}"),
            };
        }
    }
    Ok(wages)
}
