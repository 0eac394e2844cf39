//! Identity as a service: the registries' typed client ([`client::Registries`]), an agency's
//! credential issuer (`dojang issuer`), a citizen's wallet (`dojang wallet`) and the credential
//! benchmark (`dojang bench credentials`).

mod bench;
pub mod client;
mod issuer;
mod wallet;

use std::path::PathBuf;

use clap::Subcommand;
use dojang_identity::Identity;
use dojang_ledger::Router;
use dojang_service::{CommandSet, Run, Service, Subcommands};

pub use client::Registries;

/// Identity in the binary's list of services.
pub static SERVICE: IdentityService = IdentityService;

pub struct IdentityService;

#[derive(Subcommand)]
pub enum Commands {
    /// Run an agency's credential issuer (OpenID4VCI) from a TOML file.
    Issuer {
        #[arg(long)]
        config: PathBuf,
    },
    /// A citizen's wallet: credentials encrypted at rest, presented only within policy.
    Wallet {
        /// The wallet file.
        #[arg(long, env = "DOJANG_WALLET", default_value = "wallet.json")]
        file: PathBuf,
        /// The passphrase that encrypts the wallet.
        #[arg(long, env = "DOJANG_WALLET_PASSPHRASE", hide_env_values = true)]
        passphrase: String,
        #[command(subcommand)]
        command: wallet::WalletCommand,
    },
}

#[derive(Subcommand)]
pub enum Benches {
    /// Credential issuance and full presentation verification, in process.
    Credentials(bench::CredentialBenchArgs),
}

fn run(cmd: Commands) -> Run {
    Box::pin(async move {
        match cmd {
            Commands::Issuer { config } => issuer::issuer(&config).await,
            Commands::Wallet { file, passphrase, command } => wallet::wallet(&file, &passphrase, command).await,
        }
    })
}

fn run_bench(b: Benches) -> Run {
    let Benches::Credentials(args) = b;
    Box::pin(async move { tokio::task::spawn_blocking(move || bench::run(&args)).await? })
}

static COMMANDS: Subcommands<Commands> = Subcommands::new(run);
static BENCHES: Subcommands<Benches> = Subcommands::new(run_bench);

impl Service for IdentityService {
    fn name(&self) -> &'static str {
        dojang_identity::NAME
    }

    fn register(&self, modules: Router) -> Router {
        modules.with_typed(Identity)
    }

    fn commands(&self) -> Option<&dyn CommandSet> {
        Some(&COMMANDS)
    }

    fn benches(&self) -> Option<&dyn CommandSet> {
        Some(&BENCHES)
    }
}
