//! `dojang private`: a member agency's and an auditor's tools for private collections
//! (docs/modules/collections.md): store a payload on the member's node and record it, fetch one
//! back checked against the ledger, and check a payload and salt someone shows you against the
//! commitment on the ledger.

use std::io::Write;
use std::path::PathBuf;

use anyhow::{bail, Context};
use clap::{Args, Subcommand};
use dojang_collections::commitment;
use dojang_collections::rules::SALT_LEN;
use dojang_collections::views::RecordQuery;
use dojang_private::PrivateClient;
use dojang_sdk::{Chain, Client};
use dojang_service::keys::SignerArgs;
use dojang_service::Run;

#[derive(Subcommand)]
pub enum Commands {
    /// Private collections: store a payload on your organisation's node and record it, fetch
    /// one as a member, or check a payload and salt against the ledger (an auditor).
    Private(PrivateArgs),
}

pub fn run(cmd: Commands) -> Run {
    let Commands::Private(args) = cmd;
    Box::pin(private(args))
}

#[derive(Args)]
pub struct PrivateArgs {
    /// Node API URL (for `store` and `fetch`: a node of your organisation, or another member's).
    #[arg(long, env = "DOJANG_NODE", default_value = "http://127.0.0.1:8080", global = true)]
    pub node: String,
    #[command(subcommand)]
    pub command: PrivateCommand,
}

#[derive(Subcommand)]
pub enum PrivateCommand {
    /// Store a payload (a file) on your organisation's node and record its commitment; prints
    /// the record key the node drew (keep it with your case file).
    Store {
        #[command(flatten)]
        signer: SignerArgs,
        #[arg(long)]
        collection: String,
        /// The payload, e.g. a contract as JSON (at most 256 KiB).
        file: PathBuf,
    },
    /// Fetch a record as a member, checked against the ledger's commitment; the payload goes
    /// to --out (or standard output).
    Fetch {
        #[command(flatten)]
        signer: SignerArgs,
        #[arg(long)]
        collection: String,
        /// The record key (as `store` printed it).
        #[arg(value_name = "RECORD_KEY")]
        record: String,
        #[arg(long)]
        out: Option<PathBuf>,
        /// Also print the salt, to show an auditor the record (with the payload).
        #[arg(long)]
        show_salt: bool,
    },
    /// An auditor's check: does this payload with this salt match the commitment on the ledger?
    Verify {
        #[arg(long)]
        collection: String,
        /// The record key.
        #[arg(value_name = "RECORD_KEY")]
        record: String,
        /// The salt the member showed you (64 hex digits).
        #[arg(long)]
        salt: String,
        /// The payload the member showed you.
        payload_file: PathBuf,
    },
}

/// The ledger's record: its commitment, and a line saying who recorded it when.
async fn ledger_record(client: &Client, collection: &str, key: &str) -> anyhow::Result<(String, String)> {
    let r = client
        .ask(&RecordQuery { collection: collection.into(), key: key.into() })
        .await
        .with_context(|| format!("the ledger has no record '{collection}/{key}'"))?;
    let mut about = format!("recorded at height {} by {}", r.record.height, r.record.recorded_by);
    if let Some(p) = &r.record.purged {
        about.push_str(&format!("; purged at height {} ({})", p.height, p.reason));
    }
    Ok((r.record.commitment.to_string(), about))
}

async fn private(args: PrivateArgs) -> anyhow::Result<()> {
    let client = Client::new(&args.node);
    match args.command {
        PrivateCommand::Store { signer, collection, file } => {
            let payload = std::fs::read(&file).with_context(|| format!("cannot read {}", file.display()))?;
            let chain = Chain::connect(&args.node).await?;
            let signer = signer.signer()?;
            let stored =
                PrivateClient::new(&args.node, &chain.chain_id).store(signer.as_ref(), &collection, &payload).await?;
            let receipt = chain.send_signed(signer, &stored.record).await?;
            println!("key {}", stored.key);
            println!("commitment {} recorded at height {}", stored.commitment, receipt["height"]);
        }
        PrivateCommand::Fetch { signer, collection, record: key, out, show_salt } => {
            let chain = Chain::connect(&args.node).await?;
            let signer = signer.signer()?;
            let fetched =
                PrivateClient::new(&args.node, &chain.chain_id).fetch(signer.as_ref(), &collection, &key).await?;
            let (on_ledger, about) = ledger_record(&client, &collection, &key).await?;
            let c = commitment(&collection, &key, &fetched.salt, &fetched.payload);
            if c.to_string() != on_ledger {
                bail!("the node's answer does not match the ledger's commitment: do not use it, and tell the node's operator");
            }
            match out {
                Some(path) => std::fs::write(&path, &fetched.payload)
                    .with_context(|| format!("cannot write {}", path.display()))?,
                None => std::io::stdout().write_all(&fetched.payload)?,
            }
            eprintln!("matches the ledger's commitment, {about}");
            if show_salt {
                eprintln!("salt {}", hex::encode(fetched.salt));
            }
        }
        PrivateCommand::Verify { collection, record: key, salt, payload_file } => {
            let salt: [u8; SALT_LEN] = hex::decode(salt.trim())
                .ok()
                .and_then(|b| b.try_into().ok())
                .context("the salt must be 64 hex digits")?;
            let payload =
                std::fs::read(&payload_file).with_context(|| format!("cannot read {}", payload_file.display()))?;
            let (on_ledger, about) = ledger_record(&client, &collection, &key).await?;
            if commitment(&collection, &key, &salt, &payload).to_string() != on_ledger {
                bail!("this payload and salt do NOT match the commitment on the ledger ({about})");
            }
            println!("this payload and salt match the commitment on the ledger, {about}");
        }
    }
    Ok(())
}
