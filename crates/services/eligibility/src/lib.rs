//! Eligibility as a service: a program office's verifier (`dojang verifier`), which decides
//! applications from wallets' presentations and anchors the decisions; the end-to-end
//! demonstration (`dojang demo eligibility`); the office's benchmark (`dojang bench
//! eligibility`).

mod bench;
pub mod demo;
pub mod office;

use std::path::PathBuf;

use clap::Subcommand;
use dojang_eligibility::Eligibility;
use dojang_ledger::Router;
use dojang_service::{CommandSet, Run, Service, Subcommands};

/// Eligibility in the binary's list of services.
pub static SERVICE: EligibilityService = EligibilityService;

pub struct EligibilityService;

#[derive(Subcommand)]
pub enum Commands {
    /// Run a program office's verifier (OpenID4VP direct_post) and its staff console from a
    /// TOML file.
    #[command(args_conflicts_with_subcommands = true)]
    Verifier {
        #[arg(long)]
        config: Option<PathBuf>,
        #[command(subcommand)]
        command: Option<VerifierCommand>,
    },
}

#[derive(Subcommand)]
pub enum VerifierCommand {
    /// Read a staff password (first line of standard input) and print its Argon2id hash for
    /// `[[office.staff]]` in the verifier's config.
    HashPassword,
}

#[derive(Subcommand)]
pub enum Benches {
    /// Eligibility applications end to end (request to receipt), in process.
    Eligibility(bench::EligibilityBenchArgs),
}

fn run(cmd: Commands) -> Run {
    let Commands::Verifier { config, command } = cmd;
    Box::pin(async move {
        match (command, config) {
            (Some(VerifierCommand::HashPassword), _) => office::hash_password(),
            (None, Some(config)) => office::verifier(&config).await,
            (None, None) => anyhow::bail!("give the office's config: dojang verifier --config <verifier.toml>"),
        }
    })
}

fn run_bench(b: Benches) -> Run {
    let Benches::Eligibility(args) = b;
    Box::pin(async move { tokio::task::spawn_blocking(move || bench::run(&args)).await? })
}

static COMMANDS: Subcommands<Commands> = Subcommands::new(run);
static DEMOS: Subcommands<demo::Demos> = Subcommands::new(demo::run);
static BENCHES: Subcommands<Benches> = Subcommands::new(run_bench);

impl Service for EligibilityService {
    fn name(&self) -> &'static str {
        dojang_eligibility::NAME
    }

    fn register(&self, modules: Router) -> Router {
        modules.with_typed(Eligibility)
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
