use std::path::PathBuf;

use clap::{Parser, Subcommand};

/// dojang: a permissioned ledger that a city and its agencies run together, and the civic
/// services on it.
#[derive(Parser)]
#[command(name = "dojang", version, about, long_about = None)]
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
        signer: crate::gov_cmd::SignerArgs,
        /// Wait until the transaction is in a finalized block and print its receipt.
        #[arg(long)]
        wait: bool,
        /// Module name, e.g. governance.
        module: String,
        /// The message as JSON, e.g. '{"type":"grant_role","account":"dj…","role":"issuer"}'.
        msg: String,
    },
    /// The council's work: propose, approve, reject, show and list proposals, show the council.
    Gov(crate::gov_cmd::GovArgs),
    /// Private collections: store a payload on your organisation's node and record it, fetch
    /// one as a member, or check a payload and salt against the ledger (an auditor).
    Private(crate::private_cmd::PrivateArgs),
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
    /// Measure finalized throughput and latency against a node (or one it starts), or
    /// credential issuance and verification (`dojang bench credentials`).
    Bench(crate::bench::BenchArgs),
    /// Run a demonstration end to end (`dojang demo eligibility`).
    Demo {
        #[command(subcommand)]
        what: crate::demo::DemoCommand,
    },
    /// Run an agency's credential issuer (OpenID4VCI) from a TOML file.
    Issuer {
        #[arg(long)]
        config: PathBuf,
    },
    /// Run a program office's verifier (OpenID4VP direct_post) from a TOML file.
    Verifier {
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
        command: crate::credential_cmds::WalletCommand,
    },
    /// Re-execute every stored block and check every state root (the node must be stopped).
    Verify {
        #[arg(long)]
        home: Option<PathBuf>,
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

#[cfg(test)]
mod tests {
    use clap::CommandFactory;

    /// Every command and subcommand is well formed (unique argument names, valid defaults):
    /// clap checks this only when a command is used, so a broken one would fail in the field.
    #[test]
    fn every_command_and_subcommand_is_well_formed() {
        super::Cli::command().debug_assert();
    }
}
