//! `dojang payments receipts`: the payments office's command. Once the bank has confirmed a
//! progress payment's labour lines, the office runs it with the employers' payroll file: it
//! reads the payment and the council's minimum wage table with proofs against the chain's
//! genesis, checks every line's payroll and each worker's days (`receipts::line_receipts`,
//! PAY-08 on the minimum wage of each work date), then has its credential issuer offer every
//! receipt, and prints one JSON line per worker with the offer to hand them (the link and the
//! PIN). Nothing is offered unless every line holds. The output is personal data (who was
//! paid on which line, and their PINs): hand it over, do not keep it.

use std::collections::BTreeMap;
use std::io::Read as _;
use std::path::{Path, PathBuf};

use anyhow::Context;
use clap::Args;
use dojang_governance::rules::version_in_force;
use dojang_governance::state::{param_key, ParamHistory};
use dojang_governance::ParamValue;
use dojang_labour::tables::keys::MINIMUM_WAGE;
use dojang_payments::views::ProgressQuery;
use dojang_sdk::{Client, TrustedChain};
use dojang_types::Date;
use serde::Deserialize;
use serde_json::json;

use crate::receipts::{payment_receipts, PayrollLine, ReceiptOffice};

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
    /// The issuer's admin token: set it in the environment, which keeps it out of the shell's
    /// history and the process list.
    #[arg(long, env = "DOJANG_ISSUER_ADMIN_TOKEN", hide_env_values = true)]
    pub admin_token: String,
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
            l.check()?;
        }
        Ok(file)
    }

    /// Reads and decodes the file at `path`, never more than [`MAX_PAYROLL_BYTES`] of it (a
    /// pipe has no length to check first).
    pub fn load(path: &Path) -> anyhow::Result<PayrollFile> {
        let file = std::fs::File::open(path).with_context(|| format!("reading {}", path.display()))?;
        let mut bytes = Vec::new();
        file.take(MAX_PAYROLL_BYTES + 1)
            .read_to_end(&mut bytes)
            .with_context(|| format!("reading {}", path.display()))?;
        anyhow::ensure!(
            bytes.len() as u64 <= MAX_PAYROLL_BYTES,
            "{} is over {MAX_PAYROLL_BYTES} bytes, more than any payroll",
            path.display()
        );
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
    let minimum = minimum_wages(&client, &trusted, days.map(|d| d.date)).await?;
    let minimum_on = |d: Date| minimum.get(&d).copied().ok_or_else(|| format!("no minimum wage read for {d}"));
    let written = payment_receipts(&args.project, &pr, &payroll.lines, minimum_on)?;
    for (worker, r) in &written {
        let offer =
            office.offer(worker, r).await.with_context(|| format!("offering {worker}'s receipt for {}", r.payment))?;
        let line = json!({"worker": worker, "payment": r.payment,
            "credential_offer_uri": offer.credential_offer_uri, "tx_code": offer.tx_code,
            "wallet_link": offer.wallet_link});
        println!("{line}");
    }
    eprintln!("{} receipts offered for payment {} of {}", written.len(), args.number, args.project);
    Ok(())
}

/// The hourly minimum wage in force on each of `dates`: the council's table, read with a
/// proof against `trusted`, its version picked for each date here.
pub(crate) async fn minimum_wages(
    client: &Client,
    trusted: &TrustedChain,
    dates: impl Iterator<Item = Date>,
) -> anyhow::Result<BTreeMap<Date, u64>> {
    let (table, key) = MINIMUM_WAGE;
    let state_key = format!("{}/{}", dojang_governance::NAME, String::from_utf8_lossy(&param_key(table, key)));
    let read = client.read_verified(&state_key, trusted).await?;
    let bytes = read.value.with_context(|| format!("the council has set no {table}/{key}"))?;
    let history: ParamHistory = serde_json::from_slice(&bytes)
        .with_context(|| format!("the proven {state_key} is not a parameter's history"))?;
    let mut wages = BTreeMap::new();
    for date in dates {
        let version =
            version_in_force(&history, date).with_context(|| format!("no minimum wage is in force on {date}"))?;
        match version.value {
            ParamValue::Krw(krw) => wages.insert(date, krw),
            other => anyhow::bail!("the minimum wage in force on {date} is not an amount: {other:?}"),
        };
    }
    Ok(wages)
}
