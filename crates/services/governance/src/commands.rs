//! `dojang gov`: the council's work from the command line: propose a change, approve or
//! reject one, show a proposal and list them, show the council.

use anyhow::Context;
use clap::{Args, Subcommand};
use dojang_governance::{GovernanceMsg, ProposedMsg};
use dojang_sdk::Chain;
use dojang_service::keys::SignerArgs;
use dojang_service::Run;
use serde_json::Value;

use crate::client::{Council, Proposed};

#[derive(Subcommand)]
pub enum Commands {
    /// The council's work: propose, approve, reject, show and list proposals, show the council.
    Gov(GovArgs),
}

pub fn run(cmd: Commands) -> Run {
    let Commands::Gov(args) = cmd;
    Box::pin(gov(args))
}

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

async fn gov(args: GovArgs) -> anyhow::Result<()> {
    let chain = Chain::connect(&args.node).await?;
    let council = Council::new(&chain);
    match args.command {
        GovCommand::Propose { signer, module, reason, expires_in, msg } => {
            let msg: Value = serde_json::from_str(&msg).context("the proposed message is not valid JSON")?;
            let expires_at_ms = dojang_types::wall_clock_ms() + expires_in;
            let propose = GovernanceMsg::Propose { proposal: ProposedMsg { module, msg }, reason, expires_at_ms };
            vote(&council, signer, propose).await
        }
        GovCommand::Approve { signer, id } => vote(&council, signer, GovernanceMsg::Approve { id }).await,
        GovCommand::Reject { signer, id } => vote(&council, signer, GovernanceMsg::Reject { id }).await,
        GovCommand::Show { id } => print(&council.proposal(id).await?),
        GovCommand::List { open, limit } => {
            let list = council.proposals(open, limit).await?;
            if list.proposals.is_empty() {
                println!("no proposals");
            }
            for p in list.proposals {
                println!(
                    "#{:<5} {:<9} approvals {:<2} rejections {:<2} {} {}  \"{}\"",
                    p.id,
                    p.status,
                    p.approvals.len(),
                    p.rejections.len(),
                    p.proposal.module,
                    p.proposal.msg["type"].as_str().unwrap_or("?"),
                    p.reason,
                );
            }
            Ok(())
        }
        GovCommand::Council => print(&council.council().await?),
    }
}

/// Signs and sends a governance message, waits for it to be final, and says what became of
/// the proposal.
async fn vote(council: &Council<'_>, signer: SignerArgs, msg: GovernanceMsg) -> anyhow::Result<()> {
    let (proposed, receipt) = council.vote(signer.signer()?, &msg).await?;
    let outcome = match proposed {
        Proposed::Executed(_) => "reached the threshold and executed",
        Proposed::Failed(_) => {
            "reached the threshold; its message was refused when it executed (see `dojang gov show`)"
        }
        Proposed::Rejected(_) => "is rejected: the threshold can no longer be reached",
        Proposed::Open(_) => "is open, waiting for more approvals",
    };
    println!(
        "proposal {} {outcome} (block {}, transaction {})",
        proposed.id(),
        receipt["height"],
        receipt["tx_id"].as_str().unwrap_or_default()
    );
    Ok(())
}

fn print<T: serde::Serialize>(v: &T) -> anyhow::Result<()> {
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
