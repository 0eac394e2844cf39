//! `dojang demo mileage`: a city's integrated mileage on the chain (DOMAIN.md §6). The council
//! registers three programmes (eco-mileage, car mileage, volunteering), four sinks and the
//! offices; a registrar opens 5,000 citizens' accounts under the resident registry's
//! pseudonyms; a year of awards goes in, each citing its evidence, one attempt to award the
//! same evidence twice is refused; citizens pay local taxes, buy vouchers, donate, give
//! volunteering mileage, and pay 100 merchants by their payment requests. Then the finance
//! office's liability report is read, and the books are checked against every account. Last,
//! on a node the demo started, the chain's clock is moved on a year by restarting the node
//! with a clock offset (as the fault tests do): the lots expire by their deadlines into
//! breakage and the merchants' days are settled.

mod cars;
mod programmes;
mod year;

use std::path::{Path, PathBuf};

use anyhow::{bail, Context};
use clap::{Args, Subcommand};
use dojang_eligibility_service::demo::citizens::Citizen;
use dojang_mileage::msg::SinkKind;
use dojang_mileage::views::ProgrammeQuery;
use dojang_sdk::{Client, TxBuilder};
use dojang_service::node::{demo_node, WorkDir};
use dojang_service::scan::{forms, search};
use dojang_service::Run;
use dojang_types::Date;

use crate::setup::{open_city, Offices, ProgrammeSpec};
use dojang_crypto::{KeyFile, KeyProtection};

#[derive(Subcommand)]
pub enum Demos {
    /// Integrated mileage: three programmes, a year of evidence-bound awards, tax payments,
    /// merchants paid by QR, a duplicate evidence refused, the liability report, lots expiring.
    Mileage(MileageDemoArgs),
}

#[derive(Args)]
pub struct MileageDemoArgs {
    #[arg(long, default_value_t = 5_000)]
    pub citizens: usize,
    #[arg(long, default_value_t = 100)]
    pub merchants: usize,
    /// A running node to use (a development chain); without it the demo starts its own. The
    /// year's passing needs a node the demo started.
    #[arg(long)]
    pub node: Option<String>,
    /// The home of the node at `--node` (for the council's key).
    #[arg(long)]
    pub home: Option<PathBuf>,
    /// Where the node is kept [default: a temporary directory].
    #[arg(long)]
    pub dir: Option<PathBuf>,
}

pub const SINKS: [(&str, &str, SinkKind); 4] = [
    ("local-tax", "Local tax payment", SinkKind::LocalTax),
    ("voucher", "Onnuri gift vouchers", SinkKind::Voucher),
    ("donation", "Community chest donation", SinkKind::Donation),
    ("zeropay", "ZeroPay merchants", SinkKind::Merchants),
];

pub fn run(demo: Demos) -> Run {
    let Demos::Mileage(args) = demo;
    Box::pin(async move {
        if !(20..=100_000).contains(&args.citizens) || !(1..=10_000).contains(&args.merchants) {
            bail!("give 20 to 100,000 citizens and 1 to 10,000 merchants");
        }
        let work = WorkDir::new(args.dir.as_deref(), "dojang-mileage-demo");
        std::fs::create_dir_all(work.path())?;
        let (node, url, home) = demo_node(args.node.as_deref(), args.home.as_deref(), work.path()).await?;
        let result = city(&args, &url, &home, work.path(), node).await;
        if let Err(e) = &result {
            eprintln!("the demo failed: {e:#}");
        }
        result
    })
}

async fn city(
    args: &MileageDemoArgs,
    url: &str,
    home: &Path,
    work: &Path,
    node: Option<dojang_service::node::StartedNode>,
) -> anyhow::Result<()> {
    let client = Client::new(url);
    let chain_id =
        client.status().await?["chain_id"].as_str().context("the node's status has no chain id")?.to_string();
    let council =
        TxBuilder::new(&chain_id, dojang_service::node::demo_key(home, "admin").context("the council's key")?);
    let today = Date::from_unix_ms_kst(dojang_types::wall_clock_ms());
    let offices = Offices::new();
    let programmes = programmes::all();
    // The demo's programmes are a city of its own: a second run on the same chain would find
    // them registered to the first run's offices, whose keys it does not hold.
    if crate::setup::not_yet(client.ask(&ProgrammeQuery { id: programmes[0].id.into() }).await)?.is_some() {
        bail!(
            "this chain has the demo's programmes already (an earlier run registered them to its own offices): \
             run the demo without --node, which starts a fresh chain, or on a new dev chain"
        );
    }
    println!("The council registers eco-mileage, car mileage and volunteering, four sinks, a registrar and the finance office.");
    // The first table versions reach back 400 days: the year of evidence gathered before the
    // programmes came on chain is priced by them.
    open_city(&client, &council, &programmes, &SINKS, &offices, today, today.plus_days(-400)).await?;
    save_office_keys(work, &offices, &programmes)?;
    let mut year = year::Year::new(&client, url, &chain_id, &programmes, &offices, today, args)?;
    year.open_accounts().await?;
    year.record_cars(&council, &chain_id).await?;
    let pinned = dojang_sdk::TrustedChain::from_genesis_file(&home.join("genesis.json"))?;
    year.award_the_year(&pinned).await?;
    year.audit_a_car_award(&pinned).await?;
    year.duplicate_evidence_refused().await?;
    year.convert_card_points(&council, &chain_id).await?;
    year.spend().await?;
    year.pay_merchants().await?;
    // The month this year's eco and car lots run out: what the finance office must provide for.
    year.report(dojang_mileage::rules::lot_expiry(today, 12), &home.join("genesis.json")).await?;
    year.books_match_the_accounts().await?;
    match node {
        Some(node) => year.pass_a_year(node).await?.stop().await,
        None => println!("(The year's passing needs a node the demo started: leave out --node to see lots expire.)"),
    }
    scan(home, year.people())?;
    println!("The demo finished: every figure above was read back from the chain.");
    Ok(())
}

/// Searches the node's whole home for every citizen's name and resident number, as written,
/// as a form might normalise them and unsalted-hashed (DESIGN.md §7). A sink's name, which
/// is on chain, must be found, or the scan read nothing.
fn scan(home: &Path, people: &[Citizen]) -> anyhow::Result<()> {
    let needles: Vec<(String, Vec<u8>)> = people
        .iter()
        .flat_map(|p| {
            let (name, number) = (&p.name, &p.resident_number);
            [name.clone(), name.replace(' ', ""), number.clone(), number.replace('-', "")]
        })
        .flat_map(|text| forms(&text))
        .collect();
    let found = search(&[home.to_path_buf()], &[], &needles)?;
    let control = SINKS[2].1;
    if search(&[home.to_path_buf()], &[], &[(control.into(), control.as_bytes().to_vec())])?.hits.is_empty() {
        bail!("the scan read nothing: '{control}', which is on chain, was not found in the node's files");
    }
    println!(
        "Scan: the node's home ({} files, {} MB) searched for {} citizens' names and resident numbers: {}.",
        found.files,
        found.bytes / 1_000_000,
        people.len(),
        if found.hits.is_empty() { "none found".to_string() } else { format!("{} FOUND", found.hits.len()) }
    );
    if !found.hits.is_empty() {
        bail!("personal data in the node's files: {:?}", found.hits.iter().take(5).collect::<Vec<_>>());
    }
    Ok(())
}

/// The offices' keys as clear demo key files in `<work>/offices/` (`registrar`, `finance` and
/// one per programme's issuer), so a script or a page's test can act as an office on the
/// demo's chain. They are this run's keys: a file left by an earlier run is replaced.
fn save_office_keys(work: &Path, offices: &Offices, programmes: &[ProgrammeSpec]) -> anyhow::Result<()> {
    let dir = work.join("offices");
    let named = [("registrar", &offices.registrar), ("finance", &offices.finance)]
        .into_iter()
        .chain(programmes.iter().map(|p| (p.id, &p.issuer)));
    for (name, k) in named {
        // Only this demo's own file names are replaced; nothing else in the directory is touched.
        let file = dir.join(format!("{name}.json"));
        if file.exists() {
            std::fs::remove_file(&file).with_context(|| format!("replacing the last run's {}", file.display()))?;
        }
        KeyFile::save_new(k, &file, KeyProtection::ClearDemo)?;
    }
    println!("The offices' keys (clear demo key files, for scripts and tests): {}", dir.display());
    Ok(())
}
