//! `dojang demo cars`: a city's used-car market on the chain (DOMAIN.md §4). The council
//! accredits four district registration offices, 64 dealers, 10 inspectors, maintenance
//! shops, insurers and the mileage programme's desks; 2,000 vehicles get years of history
//! from them; 500 are sold with the dealer's notice signed by dealer and inspector; three
//! planted odometer rollbacks are found, a flood car sold as dry is caught inside its 90-day
//! window with the buyer's evidence checked offline, and its inspector is suspended. Every
//! vehicle is then read back: exactly the planted ones are flagged. Last, the node's files
//! are searched for the owners' names and resident numbers, which only the registration
//! offices' register holds.

mod cast;
mod history;
mod planted;
mod sales;

use std::path::{Path, PathBuf};
use std::time::Instant;

use anyhow::{bail, Context};
use clap::{Args, Subcommand};
use dojang_cars::views::VehicleQuery;
use dojang_crypto::{Algorithm, Keypair};
use dojang_sdk::{Client, ClientError};
use dojang_service::node::{demo_node, WorkDir};
use dojang_service::scan::{forms, search};
use dojang_service::Run;
use dojang_types::Date;
use serde_json::{json, Value};

use crate::fleet::{vin_of, Source, SERIALS};
use crate::setup::{accredit_all, council};
use cast::{Cast, Owner};
use history::{all_recorded, Car};
use sales::{Sale, INSPECTED_DAYS_AGO};

#[derive(Subcommand)]
pub enum Demos {
    /// A used-car market: accredited attesters, vehicle histories, sales with the signed
    /// notice, planted rollbacks found, a flood car caught with the buyer's evidence.
    Cars(CarsDemoArgs),
}

#[derive(Args)]
pub struct CarsDemoArgs {
    #[arg(long, default_value_t = 2_000)]
    pub vehicles: usize,
    /// Vehicles sold by dealers (the flood car among them).
    #[arg(long, default_value_t = 500)]
    pub sales: usize,
    #[arg(long, default_value_t = 64)]
    pub dealers: usize,
    #[arg(long, default_value_t = 10)]
    pub inspectors: usize,
    /// A running node to use (a development chain with the demo agencies); without it the
    /// demo starts its own.
    #[arg(long)]
    pub node: Option<String>,
    /// The home of the node at `--node` (for the council's key, the genesis and the scan).
    #[arg(long)]
    pub home: Option<PathBuf>,
    /// Where the node, the registration office's register and the evidence are kept
    /// [default: a temporary directory].
    #[arg(long)]
    pub dir: Option<PathBuf>,
}

pub fn run(demo: Demos) -> Run {
    let Demos::Cars(args) = demo;
    Box::pin(async move {
        if !(8..=100_000).contains(&args.vehicles) || args.sales == 0 || args.sales + 4 > args.vehicles {
            bail!("give 8 to 100,000 vehicles and at least one sale, with four vehicles more than sales");
        }
        if args.dealers == 0 || args.inspectors < 2 {
            bail!("give at least one dealer and two inspectors (the last one is suspended)");
        }
        let work = WorkDir::new(args.dir.as_deref(), "dojang-cars-demo");
        std::fs::create_dir_all(work.path())?;
        let (node, url, home) = demo_node(args.node.as_deref(), args.home.as_deref(), work.path()).await?;
        let result = tokio::select! {
            r = market(&args, &url, &home, work.path()) => r,
            _ = tokio::signal::ctrl_c() => Err(anyhow::anyhow!("interrupted before the demo finished")),
        };
        if let Some(n) = node {
            n.stop().await;
        }
        println!("{}", result?);
        Ok(())
    })
}

async fn market(args: &CarsDemoArgs, url: &str, home: &Path, dir: &Path) -> anyhow::Result<Value> {
    let started = Instant::now();
    let client = Client::new(url);
    let genesis = dojang_ledger::Genesis::load(&home.join("genesis.json"))?;
    let chain_id = genesis.chain_id.clone();
    let council = council(home, &chain_id)?;
    let today = Date::from_unix_ms_kst(dojang_types::wall_clock_ms());

    let bodies = cast::bodies(args.dealers, args.inspectors);
    println!("== the council accredits {} bodies (CAR-05)", bodies.len());
    accredit_all(&client, &council, &bodies).await?;
    let cast = Cast::new(&chain_id, bodies);
    let owners = cast::owners(args.vehicles, &chain_id);

    // The last four vehicles carry the planted findings; the flood car is sold.
    let n = args.vehicles;
    let planted = |i: usize| i + 4 >= n;
    let series = free_series(&client, n as u64).await?;
    let cars: Vec<Car> = (0..n).map(|i| Car::new(i, series + i as u64, today, planted(i))).collect();
    let vins: Vec<&str> = cars.iter().map(|c| c.vin.as_str()).collect();
    let register = cast::write_register(dir, &vins, &owners)?;
    println!("  the registration offices keep their owners' register off the chain: {}", register.display());
    let (flood_car, rollback_cars) = (&cars[n - 1], [&cars[n - 2], &cars[n - 3], &cars[n - 4]]);

    println!("== {} vehicles' histories, years of records from every kind of body", n);
    let txs: Vec<_> = cars.iter().zip(&owners).flat_map(|(c, o)| c.history(&cast, o)).collect();
    let records = txs.len();
    all_recorded(&client, url, &txs, "the vehicles' histories").await?;
    println!("  {records} records in {:.1} s", started.elapsed().as_secs_f64());

    println!("== {} sales: mandate, inspection, the notice signed by dealer and inspector, delivery", args.sales);
    let flood_inspector = cast.inspectors.last().context("inspectors")?;
    let sold: Vec<Sale> = cars[..args.sales - 1]
        .iter()
        .chain([flood_car])
        .map(|car| Sale {
            car,
            dealer: &cast.dealers[car.n % cast.dealers.len()],
            inspector: if car.n == flood_car.n {
                flood_inspector
            } else {
                &cast.inspectors[car.n % (cast.inspectors.len() - 1)]
            },
            buyer: Keypair::generate(Algorithm::Ed25519).public_key().address(),
        })
        .collect();
    let prepared: Vec<_> =
        sold.iter().flat_map(|s| [s.mandate(&owners[s.car.n], today), s.inspection(today)]).collect();
    all_recorded(&client, url, &prepared, "the owners' mandates and the inspections").await?;
    let mut recorded = Vec::with_capacity(sold.len());
    for s in &sold {
        let v = client.ask(&VehicleQuery { vin: s.car.vin.clone() }).await?.record;
        match v.last_inspection {
            Some((seq, on)) if on == today.plus_days(-INSPECTED_DAYS_AGO) => recorded.push(s.record(seq, today)),
            other => bail!("{}'s latest inspection is {other:?}, not the one just recorded", s.car.vin),
        }
    }
    all_recorded(&client, url, &recorded, "the sales").await?;
    let transfers: Vec<_> =
        sold.iter().map(|s| s.transfer(cast.for_source(Source::RegistrationOffice, s.car.n), today)).collect();
    all_recorded(&client, url, &transfers, "the transfers to the buyers").await?;
    println!("  {} sales recorded, each opening a 30-day and a 90-day rescission window (CAR-06)", sold.len());

    println!("== three planted odometer rollbacks (CAR-01, CAR-02)");
    let rollbacks = planted::rollbacks(&client, url, &cast, rollback_cars, today).await?;
    println!("== a flood car sold as dry (CAR-06)");
    let flood_sale = sold.last().context("the flood car is sold")?;
    let validators = genesis.validator_set();
    let flood = planted::flood(&client, &cast, flood_sale, (&chain_id, &validators), dir, today).await?;
    println!("== the council suspends the flood car's inspector (CAR-05)");
    let suspended = planted::suspend(&client, &council, &cast, &flood_car.vin, &cars[0], today).await?;

    println!("== every vehicle read back: exactly the planted ones are flagged");
    let expected: Vec<&str> = rollback_cars.iter().chain([&flood_car]).map(|c| c.vin.as_str()).collect();
    let flagged = flagged_vehicles(&client, &cars).await?;
    let mut want: Vec<&str> = expected.clone();
    want.sort_unstable();
    if flagged != want {
        bail!("flagged vehicles {flagged:?}, where the demo planted findings in {want:?}");
    }
    println!("  {} of {} vehicles flagged: {}", flagged.len(), n, flagged.join(", "));

    let scan = scan(home, &owners, &cars[0].vin)?;
    Ok(json!({
        "demo": "cars",
        "bodies": {"dealers": cast.dealers.len(), "inspectors": cast.inspectors.len(), "maintenance_shops": cast.shops.len(),
                   "insurers": cast.insurers.len(), "registration_offices": cast.offices.len(),
                   "mileage_programme_desks": cast.mileage.len()},
        "vehicles": n,
        "records": records,
        "sales": sold.len(),
        "rollbacks": rollbacks,
        "flood": flood,
        "suspended": suspended,
        "flagged": flagged,
        "scan": scan,
        "register": register.display().to_string(),
        "seconds": started.elapsed().as_secs_f64(),
    }))
}

/// The first block of `n` VIN serials no earlier run recorded (blocks are probed at their first
/// and last VIN), so a second run on the same chain gets vehicles of its own.
async fn free_series(client: &Client, n: u64) -> anyhow::Result<u64> {
    let recorded = |serial: u64| async move {
        match client.ask(&VehicleQuery { vin: vin_of(serial) }).await {
            Ok(_) => Ok(true),
            Err(ClientError::Problem { status: 404, .. }) => Ok(false),
            Err(e) => Err(e),
        }
    };
    let mut start = 0;
    while start + n < SERIALS {
        if !recorded(start).await? && !recorded(start + n - 1).await? {
            return Ok(start);
        }
        start += n;
    }
    bail!("the demo's VIN series ({SERIALS} serials) is used up on this chain; run it on a fresh one")
}

/// The VINs (sorted) whose summary counts a flagged record.
async fn flagged_vehicles(client: &Client, cars: &[Car]) -> anyhow::Result<Vec<String>> {
    let mut flagged = Vec::new();
    for car in cars {
        if client.ask(&VehicleQuery { vin: car.vin.clone() }).await?.record.flagged > 0 {
            flagged.push(car.vin.clone());
        }
    }
    flagged.sort_unstable();
    Ok(flagged)
}

/// Searches the node's whole home for every owner's name and resident number, as written and
/// unsalted-hashed (DESIGN.md §7). A control VIN must be found, or the scan read nothing.
fn scan(home: &Path, owners: &[Owner], control_vin: &str) -> anyhow::Result<Value> {
    // Each as written, and as a form might normalise it: the number without its hyphen, the
    // name without spaces.
    let needles: Vec<(String, Vec<u8>)> = owners
        .iter()
        .flat_map(|o| {
            let (name, number) = (&o.person.name, &o.person.resident_number);
            [name.clone(), name.replace(' ', ""), number.clone(), number.replace('-', "")]
        })
        .flat_map(|text| forms(&text))
        .collect();
    let found = search(&[home.to_path_buf()], &[], &needles)?;
    let control = search(&[home.to_path_buf()], &[], &[(control_vin.into(), control_vin.as_bytes().to_vec())])?;
    if control.hits.is_empty() {
        bail!("the scan read nothing: VIN {control_vin}, which is on chain, was not found in the node's files");
    }
    println!(
        "== scan: the node's home ({} files, {} MB) searched for {} owners' names and resident numbers: {}",
        found.files,
        found.bytes / 1_000_000,
        owners.len(),
        if found.hits.is_empty() { "none found".to_string() } else { format!("{} FOUND", found.hits.len()) }
    );
    if !found.hits.is_empty() {
        bail!("personal data in the node's files: {:?}", found.hits.iter().take(5).collect::<Vec<_>>());
    }
    Ok(json!({"files": found.files, "bytes": found.bytes, "owners": owners.len(), "found": 0}))
}
