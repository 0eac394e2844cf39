//! Voting as a service (DOMAIN.md §3): the voting module on chain; the poll's registrar
//! (`dojang voting registrar`), which checks eligibility by credential and blind-signs voting
//! keys; `dojang voting verify`, which anyone runs to recompute a poll from the chain's data;
//! and `dojang bench voting`.

mod bench;
pub mod credential;
mod demo;
pub mod registrar;
mod registrar_cmd;
pub mod registrar_http;
pub mod trustee;
pub mod verify;
pub mod verify_read;

pub use registrar_cmd::load_poll;

use std::path::PathBuf;

use clap::Subcommand;
use dojang_ledger::Router;
use dojang_service::keys::SignerArgs;
use dojang_service::{CommandSet, Run, Service, Subcommands};
use dojang_voting::Voting;

/// Voting in the binary's list of services.
pub static SERVICE: VotingService = VotingService;

pub struct VotingService;

#[derive(Subcommand)]
pub enum Commands {
    /// Citizen voting: the independent verifier.
    #[command(subcommand)]
    Voting(VotingCommand),
}

#[derive(Subcommand)]
pub enum VotingCommand {
    /// Recompute a poll from chain data alone: every dealing, ballot proof, credential and
    /// decryption share, the election key, the encrypted totals and the result, each record
    /// read with its proof against the validators the genesis file names and each ballot in
    /// its certified block. Exits with status 1 if anything does not match what the chain says.
    Verify {
        poll: String,
        #[arg(long, default_value = "http://127.0.0.1:8080")]
        node: String,
        /// The chain's genesis file, as the city publishes it: the validators every answer is
        /// checked against (never the set the node reports).
        #[arg(long)]
        genesis: PathBuf,
        /// Print only the report's JSON line.
        #[arg(long)]
        json: bool,
    },
    /// Run one poll's registrar (OpenID4VP verifier and blind signer) from a TOML file.
    Registrar {
        #[arg(long)]
        config: PathBuf,
    },
    /// Make a registrar's RSA key and print the public key for the poll's `registrar_key`. The
    /// key is sealed under the passphrase (as account keys are, docs/operations.md) from
    /// `--passphrase-file`, `DOJANG_KEY_PASSPHRASE_FILE` or `DOJANG_KEY_PASSPHRASE`.
    RegistrarKey {
        #[arg(long)]
        out: PathBuf,
        /// A file whose first line is the passphrase.
        #[arg(long)]
        passphrase_file: Option<PathBuf>,
        /// Write the key in clear PEM (owner-only) without a passphrase: throwaway test chains
        /// only.
        #[arg(long)]
        insecure_clear_key: bool,
    },
    /// A trustee's steps: transport key, dealing, checking the others' dealings, decryption
    /// share.
    #[command(subcommand)]
    Trustee(TrusteeCommand),
}

/// Where a trustee acts: its account (file or HSM), its transport key, the poll and the node.
#[derive(clap::Args)]
pub struct TrusteeArgs {
    #[command(flatten)]
    signer: SignerArgs,
    /// The transport key file from `dojang voting trustee transport-key`.
    #[arg(long)]
    transport: PathBuf,
    #[arg(long, default_value = "http://127.0.0.1:8080")]
    node: String,
    /// The chain's genesis file: the poll, the dealings and the totals are read with proofs
    /// against its validators, never taken on the node's word.
    #[arg(long)]
    genesis: PathBuf,
    poll: String,
}

#[derive(Subcommand)]
pub enum TrusteeCommand {
    /// Make a transport key (owner-only file) and print its public key for the poll's
    /// `trustees[].transport_key`.
    TransportKey {
        #[arg(long)]
        out: PathBuf,
    },
    /// Post this trustee's dealing (before the poll's `dealings_until_ms`).
    Deal(TrusteeArgs),
    /// Open every other dealing's share sealed to this trustee, and complain about each bad one
    /// (before the poll opens).
    Check(TrusteeArgs),
    /// Post this trustee's decryption share of the closed poll's totals.
    Share(TrusteeArgs),
}

enum Step {
    Deal,
    Check,
    Share,
}

async fn trustee(cmd: TrusteeCommand) -> anyhow::Result<()> {
    let (args, step) = match cmd {
        TrusteeCommand::TransportKey { out } => {
            let key = trustee::TransportKey::generate();
            key.save(&out)?;
            println!("{}", serde_json::to_string(&key.public())?.trim_matches('"'));
            return Ok(());
        }
        TrusteeCommand::Deal(a) => (a, Step::Deal),
        TrusteeCommand::Check(a) => (a, Step::Check),
        TrusteeCommand::Share(a) => (a, Step::Share),
    };
    let transport = trustee::TransportKey::load(&args.transport)?;
    let chain = dojang_sdk::Chain::connect(&args.node).await?;
    let pinned = dojang_sdk::TrustedChain::from_genesis_file(&args.genesis)?;
    let trust = dojang_trust::ChainTrust::new(&args.node, pinned, std::time::Duration::from_secs(30));
    let t = trustee::Trustee {
        chain: &chain,
        trust: &trust,
        signer: args.signer.signer()?.into(),
        poll: &args.poll,
        transport: &transport,
    };
    match step {
        Step::Deal => println!("trustee {} dealt for poll {}", t.deal().await?, args.poll),
        Step::Check => match t.check_dealings().await?.as_slice() {
            [] => println!("every dealing's share for this trustee opens and matches its commitments"),
            bad => println!("complained about the dealings of trustees {bad:?}"),
        },
        Step::Share => println!("trustee {} posted its decryption share for poll {}", t.post_share().await?, args.poll),
    }
    Ok(())
}

fn run(cmd: Commands) -> Run {
    let Commands::Voting(cmd) = cmd;
    Box::pin(async move {
        match cmd {
            VotingCommand::Verify { poll, node, genesis, json } => {
                let genesis = dojang_ledger::Genesis::load(&genesis)?;
                let client = dojang_sdk::Client::new(&node);
                let report = verify::verify_poll(&client, &genesis.chain_id, genesis.validator_set(), &poll).await?;
                if !json {
                    report.print();
                }
                println!("{}", serde_json::to_string(&report)?);
                if !report.problems.is_empty() {
                    std::process::exit(1);
                }
                Ok(())
            }
            VotingCommand::Registrar { config } => registrar_cmd::serve(&config).await,
            VotingCommand::RegistrarKey { out, passphrase_file, insecure_clear_key } => {
                registrar_cmd::new_key(&out, passphrase_file.as_deref(), insecure_clear_key)
            }
            VotingCommand::Trustee(cmd) => trustee(cmd).await,
        }
    })
}

static COMMANDS: Subcommands<Commands> = Subcommands::new(run);

#[derive(Subcommand)]
pub enum Benches {
    /// Ballots verified and finalized per second on one validator, the tally of a million
    /// ballots, and the independent verifier's rate.
    Voting(bench::VotingBenchArgs),
}

fn run_bench(b: Benches) -> Run {
    let Benches::Voting(args) = b;
    Box::pin(bench::run(args))
}

static BENCHES: Subcommands<Benches> = Subcommands::new(run_bench);

static DEMOS: Subcommands<demo::Demos> = Subcommands::new(demo::run);

impl Service for VotingService {
    fn name(&self) -> &'static str {
        dojang_voting::NAME
    }

    fn register(&self, modules: Router) -> Router {
        modules.with_typed(Voting::default())
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
