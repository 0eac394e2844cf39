//! Citizen-card login as a service (DOMAIN.md §5, AUTH-01..09): the login module on chain
//! (the council's registry of facilities) and the login service, an OpenID Connect provider
//! that any facility's existing web application can use with an off-the-shelf client, which
//! asks the citizen's wallet over OpenID4VP for only what the facility may see.

pub mod answer;
pub mod authorize;
mod bench;
pub mod chain;
mod demo;
pub mod http;
mod page;
pub mod provider;
mod serve;
pub mod tokens;

use std::path::PathBuf;

use clap::Subcommand;
use dojang_ledger::Router;
use dojang_login::Login;
use dojang_service::{CommandSet, Run, Service, Subcommands};

pub use provider::{LoginError, Progress, Provider, TokenError, TokenForm, TokenResponse};

pub static SERVICE: LoginService = LoginService;

pub struct LoginService;

#[derive(Subcommand)]
pub enum Commands {
    /// The city's citizen-card login service.
    Login {
        #[command(subcommand)]
        command: LoginCommand,
    },
}

#[derive(Subcommand)]
pub enum LoginCommand {
    /// Serve the OpenID Connect provider (for facilities) and OpenID4VP verifier (for wallets)
    /// from a TOML file (`[login]`: did, kid, signing_key, public_url, listen_addr, node, genesis).
    Serve {
        #[arg(long)]
        config: PathBuf,
    },
}

fn run(cmd: Commands) -> Run {
    let Commands::Login { command: LoginCommand::Serve { config } } = cmd;
    Box::pin(async move { serve::serve(&config).await })
}

static COMMANDS: Subcommands<Commands> = Subcommands::new(run);
static DEMOS: Subcommands<demo::Demos> = Subcommands::new(demo::run);

#[derive(Subcommand)]
pub enum Benches {
    /// Completed logins per second through the login service's own work (request, request
    /// object, presentation verification, ID token), with latency percentiles.
    Login(bench::LoginBenchArgs),
}

fn run_bench(b: Benches) -> Run {
    let Benches::Login(args) = b;
    Box::pin(async move { tokio::task::spawn_blocking(move || bench::run(&args)).await? })
}

static BENCHES: Subcommands<Benches> = Subcommands::new(run_bench);

impl Service for LoginService {
    fn name(&self) -> &'static str {
        dojang_login::NAME
    }

    fn register(&self, modules: Router) -> Router {
        modules.with_typed(Login)
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
