//! Voting as a service (DOMAIN.md §3): the voting module on chain, and `dojang voting verify`,
//! which anyone runs to recompute a poll from the chain's data, and `dojang bench voting`. The
//! registrar, the trustees' commands and the demo come next (docs/modules/voting.md).

mod bench;
pub mod credential;
pub mod verify;

use clap::Subcommand;
use dojang_ledger::Router;
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
    /// decryption share, the election key, the encrypted totals and the result. Exits with
    /// status 1 if anything does not match what the chain says.
    Verify {
        poll: String,
        #[arg(long, default_value = "http://127.0.0.1:8080")]
        node: String,
        /// Print only the report's JSON line.
        #[arg(long)]
        json: bool,
    },
}

fn run(cmd: Commands) -> Run {
    let Commands::Voting(cmd) = cmd;
    Box::pin(async move {
        match cmd {
            VotingCommand::Verify { poll, node, json } => {
                let report = verify::verify_poll(&dojang_sdk::Client::new(&node), &poll).await?;
                if !json {
                    report.print();
                }
                println!("{}", serde_json::to_string(&report)?);
                if !report.problems.is_empty() {
                    std::process::exit(1);
                }
                Ok(())
            }
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

impl Service for VotingService {
    fn name(&self) -> &'static str {
        dojang_voting::NAME
    }

    fn register(&self, modules: Router) -> Router {
        modules.with_typed(Voting)
    }

    fn commands(&self) -> Option<&dyn CommandSet> {
        Some(&COMMANDS)
    }

    fn benches(&self) -> Option<&dyn CommandSet> {
        Some(&BENCHES)
    }
}
