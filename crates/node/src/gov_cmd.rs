//! `dojang gov`: the council's work from the command line: propose a change, approve or
//! reject one, show a proposal and list them, show the council.

use std::path::PathBuf;

use anyhow::Context;
use clap::{Args, Subcommand};
use dojang_governance::{GovernanceMsg, ProposedMsg};
use dojang_sdk::{Client, TxBuilder};
use serde_json::Value;

use crate::chain::attribute;
use crate::keys;

#[derive(Args)]
pub struct GovArgs {
    /// Node API URL.
    #[arg(long, env = "DOJANG_NODE", default_value = "http://127.0.0.1:8080", global = true)]
    pub node: String,
    #[command(subcommand)]
    pub command: GovCommand,
}

#[derive(Subcommand)]
pub enum GovCommand {
    /// Propose a message for the council to execute (your approval counts). E.g.
    /// `dojang gov propose --key me.json --reason "Minimum Wage Notice for 2027"
    /// '{"type":"set_param","table":"minimum_wage","key":"hourly_krw","effective_from":"2027-01-01","value":{"krw":10800},"legal_basis":"Minimum Wage Notice for 2027"}'`
    Propose {
        #[command(flatten)]
        signer: SignerArgs,
        /// The module the message is for.
        #[arg(long, default_value = "governance")]
        module: String,
        /// Why, for the public record (names statutes and agencies, never people).
        #[arg(long)]
        reason: String,
        /// How long the proposal stays open: e.g. 90s, 30m, 12h, 7d (at most 30d).
        #[arg(long, default_value = "7d", value_parser = parse_duration_ms)]
        expires_in: u64,
        /// The exact message, as JSON.
        msg: String,
    },
    /// Approve a proposal; at the threshold it executes in the same block.
    Approve {
        #[command(flatten)]
        signer: SignerArgs,
        id: u64,
    },
    /// Reject a proposal; once the threshold is out of reach it closes as rejected.
    Reject {
        #[command(flatten)]
        signer: SignerArgs,
        id: u64,
    },
    /// Show one proposal: the message, the reason, who approved and rejected, its status.
    Show { id: u64 },
    /// List proposals, newest first (or only the open ones, oldest first).
    List {
        #[arg(long)]
        open: bool,
        #[arg(long, default_value_t = 20)]
        limit: u32,
    },
    /// Show the council: members, threshold, a change staged for the next block.
    Council,
}

/// Who signs a transaction: a key file or a key in an HSM through PKCS#11.
#[derive(Args)]
pub struct SignerArgs {
    /// Key file of the sender.
    #[arg(long, required_unless_present = "pkcs11_module", conflicts_with = "pkcs11_module")]
    pub key: Option<PathBuf>,
    /// A file holding the key file's passphrase, if it is encrypted.
    #[arg(long)]
    pub passphrase_file: Option<PathBuf>,
    /// Sign with a key in an HSM: its PKCS#11 module (e.g. /usr/lib/softhsm/libsofthsm2.so).
    #[arg(long, requires_all = ["pkcs11_token", "pkcs11_key"])]
    pub pkcs11_module: Option<PathBuf>,
    /// The HSM token's label.
    #[arg(long)]
    pub pkcs11_token: Option<String>,
    /// The key's label on the token.
    #[arg(long)]
    pub pkcs11_key: Option<String>,
    /// A file holding the token's user PIN (else $DOJANG_PKCS11_PIN_FILE or $DOJANG_PKCS11_PIN).
    #[arg(long)]
    pub pkcs11_pin_file: Option<PathBuf>,
}

impl SignerArgs {
    pub fn signer(self) -> anyhow::Result<Box<dyn dojang_crypto::Signer>> {
        let pkcs11 = match (self.pkcs11_module, self.pkcs11_token, self.pkcs11_key) {
            (Some(module), Some(token), Some(key_label)) => {
                Some(dojang_pkcs11::Pkcs11Config { module, token, key_label, pin_file: self.pkcs11_pin_file })
            }
            _ => None,
        };
        keys::tx_signer(self.key.as_deref(), pkcs11, &mut keys::Passphrases::new(self.passphrase_file))
    }
}

/// `90s`, `30m`, `12h`, `7d` as milliseconds.
pub fn parse_duration_ms(s: &str) -> Result<u64, String> {
    let split = s.char_indices().last().map_or(0, |(i, _)| i);
    let (n, unit) = s.split_at(split);
    let n: u64 = n.parse().map_err(|_| format!("'{s}' is not a duration like 90s, 30m, 12h or 7d"))?;
    let ms = match unit {
        "s" => 1_000,
        "m" => 60_000,
        "h" => 3_600_000,
        "d" => 86_400_000,
        _ => return Err(format!("'{s}' is not a duration like 90s, 30m, 12h or 7d")),
    };
    n.checked_mul(ms).filter(|&v| v > 0).ok_or_else(|| format!("'{s}' is not a positive duration"))
}

pub async fn run(args: GovArgs) -> anyhow::Result<()> {
    let client = Client::new(&args.node);
    match args.command {
        GovCommand::Propose { signer, module, reason, expires_in, msg } => {
            let msg: Value = serde_json::from_str(&msg).context("the proposed message is not valid JSON")?;
            let expires_at_ms = dojang_types::wall_clock_ms() + expires_in;
            let propose = GovernanceMsg::Propose { proposal: ProposedMsg { module, msg }, reason, expires_at_ms };
            vote(&client, signer, propose).await
        }
        GovCommand::Approve { signer, id } => vote(&client, signer, GovernanceMsg::Approve { id }).await,
        GovCommand::Reject { signer, id } => vote(&client, signer, GovernanceMsg::Reject { id }).await,
        GovCommand::Show { id } => print(&client.query("governance", &format!("proposal/{id}"), &[]).await?),
        GovCommand::List { open, limit } => {
            let limit = limit.to_string();
            let mut params = vec![("limit", limit.as_str())];
            if open {
                params.push(("open", "true"));
            }
            let list = client.query("governance", "proposals", &params).await?;
            let rows = list["proposals"].as_array().cloned().unwrap_or_default();
            if rows.is_empty() {
                println!("no proposals");
            }
            for p in rows {
                println!(
                    "#{:<5} {:<9} approvals {:<2} rejections {:<2} {} {}  \"{}\"",
                    p["id"],
                    p["status"].as_str().unwrap_or("?"),
                    p["approvals"].as_object().map_or(0, |a| a.len()),
                    p["rejections"].as_object().map_or(0, |a| a.len()),
                    p["proposal"]["module"].as_str().unwrap_or("?"),
                    p["proposal"]["msg"]["type"].as_str().unwrap_or("?"),
                    p["reason"].as_str().unwrap_or(""),
                );
            }
            Ok(())
        }
        GovCommand::Council => print(&client.query("governance", "council", &[]).await?),
    }
}

/// Signs and sends a governance message, waits for it to be final, and says what became of
/// the proposal.
async fn vote(client: &Client, signer: SignerArgs, msg: GovernanceMsg) -> anyhow::Result<()> {
    let chain_id = client.status().await?["chain_id"].as_str().context("node status has no chain_id")?.to_string();
    let builder = TxBuilder::new(chain_id, signer.signer()?);
    let receipt = client.send(&builder, &msg).await?;
    let events = receipt["events"].as_array().cloned().unwrap_or_default();
    let id = events
        .iter()
        .filter(|e| e["module"] == "governance")
        .find_map(|e| attribute(e, "id"))
        .context("the receipt names no proposal")?;
    let kinds: Vec<&str> = events.iter().filter_map(|e| e["kind"].as_str()).collect();
    let outcome = if kinds.contains(&"proposal_executed") {
        "reached the threshold and executed"
    } else if kinds.contains(&"proposal_failed") {
        "reached the threshold; its message was refused when it executed (see `dojang gov show`)"
    } else if kinds.contains(&"proposal_rejected") {
        "is rejected: the threshold can no longer be reached"
    } else {
        "is open, waiting for more approvals"
    };
    println!(
        "proposal {id} {outcome} (block {}, transaction {})",
        receipt["height"],
        receipt["tx_id"].as_str().unwrap_or_default()
    );
    Ok(())
}

fn print(v: &Value) -> anyhow::Result<()> {
    println!("{}", serde_json::to_string_pretty(v)?);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::parse_duration_ms;

    #[test]
    fn durations_parse_with_units_and_refuse_the_rest() {
        assert_eq!(parse_duration_ms("90s"), Ok(90_000));
        assert_eq!(parse_duration_ms("30m"), Ok(1_800_000));
        assert_eq!(parse_duration_ms("12h"), Ok(43_200_000));
        assert_eq!(parse_duration_ms("7d"), Ok(604_800_000));
        for bad in ["", "7", "d", "7w", "-1d", "0s", "1.5h", "99999999999999999d", "한d", "d한", "1한"] {
            assert!(parse_duration_ms(bad).is_err(), "{bad}");
        }
    }
}
