//! Labour as a service (DOMAIN.md §2): the labour module on chain (the contract registry,
//! CON-01..07) and, off chain, the labour desk (`dojang labour desk`: contracts and timesheets
//! for employers' apps, kept in the private collection, with the compliance engine's findings),
//! the offline linter and templates (`dojang labour lint`, `dojang labour template`), the
//! end-to-end demonstration (`dojang demo labour`), and the
//! benchmark (`dojang bench labour`) of how fast a city's part-timers' weeks are re-checked.

mod bench;
mod demo;
pub mod desk;
pub mod grievance;
mod setup;

use std::path::PathBuf;

use clap::Subcommand;
use dojang_labour::Labour;
use dojang_ledger::Router;
use dojang_service::{CommandSet, Run, Service, Subcommands};

/// Labour in the binary's list of services.
pub static SERVICE: LabourService = LabourService;

pub struct LabourService;

#[derive(Subcommand)]
pub enum Commands {
    /// Part-time workers' contracts: the desk for employers' apps, the LAB-01 linter, templates.
    #[command(subcommand)]
    Labour(LabourCommand),
}

#[derive(Subcommand)]
pub enum LabourCommand {
    /// Run the labour desk (the HTTP API for employers' apps) from a TOML file.
    Desk {
        #[arg(long)]
        config: PathBuf,
    },
    /// Print a new app token and the `[[desk.clients]]` lines with its hash.
    NewClient {
        /// A name for the app (in logs and the config).
        #[arg(long)]
        id: String,
    },
    /// Print a contract template as a draft to fill in (without an id: list the templates).
    Template { id: Option<String> },
    /// Run the labour rights centre's anonymous grievance channel from a TOML file.
    Centre {
        #[arg(long)]
        config: PathBuf,
    },
    /// Check a draft (JSON) against LAB-01 and list what it lacks, in Korean and English;
    /// exits with status 1 if anything is missing.
    Lint { draft: PathBuf },
}

fn run(cmd: Commands) -> Run {
    let Commands::Labour(cmd) = cmd;
    Box::pin(async move {
        match cmd {
            LabourCommand::Desk { config } => desk::run(&config).await,
            LabourCommand::Centre { config } => grievance::run(&config).await,
            LabourCommand::NewClient { id } => desk::new_client(&id),
            LabourCommand::Template { id: None } => {
                for t in desk::templates() {
                    println!("{}\t{} / {}", t.id, t.en, t.ko);
                }
                Ok(())
            }
            LabourCommand::Template { id: Some(id) } => {
                let t = desk::templates()
                    .into_iter()
                    .find(|t| t.id == id)
                    .ok_or_else(|| anyhow::anyhow!("no template '{id}'; `dojang labour template` lists them"))?;
                println!("{}", serde_json::to_string_pretty(&t.draft)?);
                Ok(())
            }
            LabourCommand::Lint { draft } => {
                if desk::lint_file(&draft)? {
                    Ok(())
                } else {
                    std::process::exit(1)
                }
            }
        }
    })
}

static COMMANDS: Subcommands<Commands> = Subcommands::new(run);
static DEMOS: Subcommands<demo::Demos> = Subcommands::new(demo::run);

#[derive(Subcommand)]
pub enum Benches {
    /// Contract registrations finalized per second on one validator, and worker-weeks
    /// re-checked against every weekly rule per second.
    Labour(bench::LabourBenchArgs),
}

fn run_bench(b: Benches) -> Run {
    let Benches::Labour(args) = b;
    Box::pin(bench::run(args))
}

static BENCHES: Subcommands<Benches> = Subcommands::new(run_bench);

impl Service for LabourService {
    fn name(&self) -> &'static str {
        dojang_labour::NAME
    }

    fn register(&self, modules: Router) -> Router {
        modules.with_typed(Labour)
    }

    fn commands(&self) -> Option<&dyn CommandSet> {
        Some(&COMMANDS)
    }

    fn demos(&self) -> Option<&dyn CommandSet> {
        Some(&DEMOS)
    }

    fn benches(&self) -> Option<&dyn CommandSet> {
        Some(&BENCHES)
    }
}
