use std::path::PathBuf;

use clap::{Parser, Subcommand};

/// The release and the commit it was built from (`dojang --version`).
pub const VERSION: &str = concat!(env!("CARGO_PKG_VERSION"), " (commit ", env!("BUILD_GIT_COMMIT"), ")");

/// dojang: a permissioned ledger that a city and its agencies run together, and the civic
/// services on it.
#[derive(Parser)]
#[command(name = "dojang", version = VERSION, about, long_about = None)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Subcommand)]
pub enum Command {
    /// Start a one-validator development node with demo agencies and parameter tables,
    /// creating its home on first run and resuming the same chain afterwards.
    Dev {
        /// Node home directory [default: $DOJANG_HOME or ~/.dojang]
        #[arg(long)]
        home: Option<PathBuf>,
        /// Chain id used when the home is first created.
        #[arg(long, default_value = "dojang-dev")]
        chain_id: String,
        /// Where the API listens, e.g. 127.0.0.1:9090 (port 0 picks a free one) [default: the
        /// home's config.toml, 127.0.0.1:8080].
        #[arg(long)]
        api_listen: Option<std::net::SocketAddr>,
    },
    /// Create a node home: config.toml, genesis.json and keys.
    Init {
        #[arg(long)]
        home: Option<PathBuf>,
        /// The chain's id; transactions for other chains are refused.
        #[arg(long)]
        chain_id: String,
        /// This node's name (an agency's node name, e.g. "seoul-city-hall").
        #[arg(long, default_value = "seoul-city-hall")]
        moniker: String,
        /// Also create demo agency accounts (issuers, verifiers, auditor) and legal parameter tables.
        /// Without a passphrase, demo keys are written in clear (marked as demo keys).
        #[arg(long)]
        demo: bool,
        /// A file whose first line is the passphrase that encrypts the new keys (else
        /// $DOJANG_KEY_PASSPHRASE_FILE, $DOJANG_KEY_PASSPHRASE, or a prompt at a terminal).
        #[arg(long)]
        passphrase_file: Option<PathBuf>,
        /// Write the keys in clear: throwaway test chains only.
        #[arg(long)]
        insecure_clear_keys: bool,
    },
    /// Run the node whose home is given (see `dojang init`).
    Node {
        #[arg(long)]
        home: Option<PathBuf>,
        /// A file holding the passphrase of encrypted key files (else $DOJANG_KEY_PASSPHRASE_FILE,
        /// $DOJANG_KEY_PASSPHRASE, or a prompt at a terminal).
        #[arg(long)]
        passphrase_file: Option<PathBuf>,
    },
    /// Create a home that joins an existing chain (from its genesis file): a new key, the
    /// peers' addresses. The node follows as an observer until governance adds its key.
    Join {
        #[arg(long)]
        home: PathBuf,
        /// The chain's genesis.json (copy it from any node).
        #[arg(long)]
        genesis: PathBuf,
        /// This node's name (an agency's node name, e.g. "district-office-2").
        #[arg(long)]
        moniker: String,
        /// Another node's API URL, for relaying and catch-up (repeat for each peer).
        #[arg(long = "peer-api")]
        peer_api: Vec<String>,
        /// Another node's consensus address, e.g. /ip4/10.0.0.5/tcp/26656 (repeat).
        #[arg(long = "peer-p2p")]
        peer_p2p: Vec<String>,
        /// Where this node serves its API.
        #[arg(long, default_value = "127.0.0.1:8080")]
        api_listen: std::net::SocketAddr,
        /// Where this node listens for consensus peers.
        #[arg(long, default_value = "/ip4/0.0.0.0/tcp/26656")]
        p2p_listen: String,
        /// A file holding the passphrase that encrypts the new key.
        #[arg(long)]
        passphrase_file: Option<PathBuf>,
        /// Write the key in clear: throwaway test chains only.
        #[arg(long)]
        insecure_clear_keys: bool,
    },
    /// Write the homes of a local network of validators (and observers), or start one.
    Testnet(crate::testnet::TestnetArgs),
    /// Create, show or encrypt key files.
    Keys {
        #[command(subcommand)]
        command: KeysCommand,
    },
    /// Sign and submit a transaction.
    Tx {
        /// Node API URL.
        #[arg(long, env = "DOJANG_NODE", default_value = "http://127.0.0.1:8080")]
        node: String,
        #[command(flatten)]
        signer: dojang_service::keys::SignerArgs,
        /// Wait until the transaction is in a finalized block and print its receipt.
        #[arg(long)]
        wait: bool,
        /// Module name, e.g. governance.
        module: String,
        /// The message as JSON, e.g. '{"type":"grant_role","account":"dj…","role":"issuer"}'.
        msg: String,
    },
    /// Run a module's read-only query, e.g. `governance param/minimum_wage/hourly_krw as_of=2026-03-01`.
    Query {
        #[arg(long, env = "DOJANG_NODE", default_value = "http://127.0.0.1:8080")]
        node: String,
        module: String,
        path: String,
        /// Parameters as key=value.
        params: Vec<String>,
    },
    /// Read a state key with its Merkle proof; `--verify` checks proof and commit certificate
    /// against the validators in a genesis file.
    State {
        #[arg(long, env = "DOJANG_NODE", default_value = "http://127.0.0.1:8080")]
        node: String,
        /// Full state key, e.g. governance/params/minimum_wage/hourly_krw
        key: String,
        /// Verify against this genesis file's validator set.
        #[arg(long)]
        verify: Option<PathBuf>,
    },
    /// Show a finalized block (a height, or `latest`).
    Block {
        #[arg(long, env = "DOJANG_NODE", default_value = "http://127.0.0.1:8080")]
        node: String,
        height: String,
    },
    /// Show the node's chain, height and mempool.
    Status {
        #[arg(long, env = "DOJANG_NODE", default_value = "http://127.0.0.1:8080")]
        node: String,
    },
    /// Measure finalized throughput and latency against a node (or one it starts); services
    /// add their own benchmarks (`dojang bench credentials`, `dojang bench eligibility`).
    Bench(crate::bench::BenchArgs),
    /// Run a demonstration end to end (`dojang demo eligibility`, `dojang demo council`); each
    /// service adds its own.
    #[command(subcommand_required = true, arg_required_else_help = true)]
    Demo,
    /// Re-execute every stored block and check every state root (the node must be stopped).
    Verify {
        #[arg(long)]
        home: Option<PathBuf>,
    },
    /// Take a consistent copy of a running node's store (through its API, with the admin token
    /// in its home) and check it before keeping it.
    Backup {
        /// The node's home (for its admin token, genesis and API address) [default: $DOJANG_HOME or ~/.dojang].
        #[arg(long)]
        home: Option<PathBuf>,
        /// The node's API, if not the address in the home's config.
        #[arg(long)]
        node: Option<String>,
        /// A new file to write the backup to.
        #[arg(long)]
        out: PathBuf,
    },
    /// Put a backup in place of a stopped node's store after checking it is intact and of this
    /// home's chain; the node catches up from its peers when started.
    Restore {
        #[arg(long)]
        home: Option<PathBuf>,
        /// The backup file (from `dojang backup`).
        #[arg(long)]
        from: PathBuf,
        /// Replace an existing store (kept beside it as ledger.redb.before-restore).
        #[arg(long)]
        force: bool,
    },
}

#[derive(Subcommand)]
pub enum KeysCommand {
    /// Generate a key and write it, encrypted under a passphrase, to a file readable only by
    /// its owner.
    New {
        #[arg(long)]
        out: PathBuf,
        /// ed25519 or p256.
        #[arg(long, default_value = "ed25519")]
        algorithm: String,
        /// A file whose first line is the passphrase (else $DOJANG_KEY_PASSPHRASE_FILE,
        /// $DOJANG_KEY_PASSPHRASE, or a prompt at a terminal).
        #[arg(long)]
        passphrase_file: Option<PathBuf>,
        /// Write the key in clear: throwaway test chains only.
        #[arg(long)]
        insecure_clear_keys: bool,
    },
    /// Print a key file's public key, address and whether it is encrypted (never the secret).
    Show { file: PathBuf },
    /// Encrypt a clear key file in place (written beside it, then renamed over it; owner-only).
    Encrypt {
        file: PathBuf,
        /// A file whose first line is the new passphrase.
        #[arg(long)]
        passphrase_file: Option<PathBuf>,
    },
}

/// The whole command line: the node's own commands and every service's.
pub fn command_line() -> clap::Command {
    crate::services::command_line(<Cli as clap::CommandFactory>::command())
}

#[cfg(test)]
mod tests {
    use super::command_line;

    /// Every command and subcommand, the services' included, is well formed (unique argument
    /// names, valid defaults): clap checks this only when a command is used, so a broken one
    /// would fail in the field.
    #[test]
    fn every_command_and_subcommand_is_well_formed() {
        command_line().debug_assert();
    }

    /// The services' commands, demos and benchmarks are where the README and the docs say.
    #[test]
    fn service_commands_demos_and_benches_are_on_the_command_line() {
        let cli = command_line();
        for name in ["gov", "private", "issuer", "verifier", "wallet", "labour", "node", "dev", "tx", "query"] {
            assert!(cli.find_subcommand(name).is_some(), "dojang {name}");
        }
        let sub =
            |parent: &str, name: &str| cli.find_subcommand(parent).and_then(|p| p.find_subcommand(name)).is_some();
        assert!(sub("demo", "eligibility") && sub("demo", "council"));
        assert!(
            sub("labour", "desk") && sub("labour", "lint") && sub("labour", "template") && sub("labour", "new-client")
        );
        assert!(sub("bench", "eligibility") && sub("bench", "credentials") && sub("bench", "labour"));
        let m = command_line().try_get_matches_from(["dojang", "gov", "show", "7"]).unwrap();
        assert!(crate::services::chosen(&m).unwrap().is_some(), "gov is a service command");
        let m = command_line().try_get_matches_from(["dojang", "status"]).unwrap();
        assert!(crate::services::chosen(&m).unwrap().is_none(), "status is the node's own");
        let m = command_line().try_get_matches_from(["dojang", "bench", "--duration", "1"]).unwrap();
        assert!(crate::services::chosen(&m).unwrap().is_none(), "the ledger bench is the node's own");
        let m = command_line().try_get_matches_from(["dojang", "bench", "state", "--keys", "1000,2000"]).unwrap();
        assert!(crate::services::chosen(&m).unwrap().is_none(), "the state bench is the node's own");
        let cli = <super::Cli as clap::FromArgMatches>::from_arg_matches(&m).unwrap();
        let super::Command::Bench(bench) = cli.command else { panic!("bench parses as the bench") };
        let Some(crate::bench::NodeBench::State(state)) = bench.what else { panic!("state parses as the state bench") };
        assert_eq!(state.keys, vec![1000, 2000]);
        assert!(command_line().try_get_matches_from(["dojang", "bench", "state", "--insert-percent", "101"]).is_err());
        assert!(command_line().try_get_matches_from(["dojang", "bench", "state", "--engines", "rocks"]).is_err());
        assert!(command_line().try_get_matches_from(["dojang", "demo"]).is_err(), "a demo must be named");
        let version = command_line().render_version();
        assert!(version.starts_with(&format!("dojang {} (commit ", env!("CARGO_PKG_VERSION"))), "{version}");
        assert!(version.trim_end().ends_with(')') && !version.contains("commit )"), "{version}");
    }
}
