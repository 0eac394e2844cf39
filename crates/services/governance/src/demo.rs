//! `dojang demo council`: a council of five agencies changes a legal figure, 3 of 5. The
//! development chain's council of one (its admin) first enlarges the council by its own
//! proposal; a single member then cannot change anything alone, two approvals change
//! nothing, the third executes the change in its block, later approvals are refused; at the
//! end the council hands the chain back to its admin so the dev chain stays usable.

use std::path::{Path, PathBuf};

use anyhow::{bail, Context};
use clap::{Args, Subcommand};
use dojang_crypto::Keypair;
use dojang_governance::{CouncilSpec, GovernanceMsg, ParamValue};
use dojang_sdk::{Chain, TxBuilder};
use dojang_service::node::{demo_key, demo_node, WorkDir};
use dojang_service::Run;
use dojang_types::{Address, Date};

use crate::client::{Council, Proposed};

#[derive(Subcommand)]
pub enum Demos {
    /// A council of five agencies changes a legal parameter, 3 of 5.
    Council(CouncilArgs),
}

#[derive(Args)]
pub struct CouncilArgs {
    /// A running development node (e.g. from `dojang dev`); without it a fresh one is started.
    #[arg(long)]
    pub node: Option<String>,
    /// That node's home, for the demo agencies' keys [default: $DOJANG_HOME or ~/.dojang].
    #[arg(long)]
    pub home: Option<PathBuf>,
}

pub fn run(demo: Demos) -> Run {
    let Demos::Council(args) = demo;
    Box::pin(async move {
        let work = WorkDir::new(None, "dojang-council");
        let (started, url, home) = demo_node(args.node.as_deref(), args.home.as_deref(), work.path()).await?;
        let result = council_demo(&url, &home).await;
        if let Some(s) = started {
            s.stop().await;
        }
        result
    })
}

/// The five member agencies (demo key names); the first is the chain's admin.
const MEMBERS: [&str; 5] = ["admin", "resident-registry", "social-security", "employment-insurance", "audit-office"];

/// The figure the council changes, and to what.
const TABLE: &str = "minimum_wage";
const KEY: &str = "hourly_krw";
const EFFECTIVE: (u16, u8, u8) = (2027, 1, 1);
const PROPOSED_KRW: u64 = 10_800;

async fn council_demo(url: &str, home: &Path) -> anyhow::Result<()> {
    let chain = Chain::connect(url).await?;
    let gov = Council::new(&chain);
    let keys: Vec<Keypair> = MEMBERS.iter().map(|n| demo_key(home, n)).collect::<anyhow::Result<_>>()?;
    let name = |i: usize| MEMBERS[i];
    let addresses: Vec<_> = keys.iter().map(|k| k.public_key().address()).collect();

    let council = gov.council().await?;
    println!("1. The council today: {} member(s), threshold {}", council.members.len(), council.threshold);
    if council.members != addresses[..1] {
        bail!("this demo starts from a development chain whose council is its admin alone (`dojang dev`)");
    }
    let five = council_of(&addresses, 3);
    gov.propose(&keys[0], &five, "five agencies govern the platform together").await?;
    wait_next_block(&chain).await?;
    let council = gov.council().await?;
    println!(
        "   the admin's proposal enlarged it to {} agencies, threshold {} (in force from the next block)",
        council.members.len(),
        council.threshold
    );

    let (y, m, d) = EFFECTIVE;
    let set = GovernanceMsg::SetParam {
        table: TABLE.into(),
        key: KEY.into(),
        effective_from: Date::new(y, m, d).map_err(anyhow::Error::msg)?,
        value: ParamValue::Krw(PROPOSED_KRW),
        legal_basis: "Minimum Wage Notice for 2027 (demo figure)".into(),
    };
    let mid_year = Date::new(2027, 6, 1).map_err(anyhow::Error::msg)?;
    let in_force = || async {
        let v = gov.param(TABLE, KEY, mid_year).await?;
        anyhow::Ok(serde_json::to_string(&v.version.value)?)
    };
    println!("2. {TABLE}/{KEY} in force on 2027-06-01: {}", in_force().await?);

    let direct = TxBuilder::new(&chain.chain_id, keys[0].duplicate()).message(&set);
    match chain.client.submit(&direct, true).await {
        Err(e) => println!("3. the admin sending set_param alone is refused at admission (expected): {e}"),
        Ok(_) => bail!("a single admin changed a parameter without the council"),
    }

    let proposed = gov.propose(&keys[1], &set, "Minimum Wage Notice for 2027").await?;
    let Proposed::Open(id) = proposed else { bail!("one member's proposal executed without the council") };
    println!("4. {} proposes it: proposal {id}, 1 approval of 3", name(1));
    gov.approve(&keys[2], id).await?;
    println!("   {} approves: 2 of 3; in force on 2027-06-01: {}", name(2), in_force().await?);
    let again = gov.approve(&keys[2], id).await;
    println!("   {} approves again: {}", name(2), refusal(again)?);
    if gov.approve(&keys[4], id).await? != Proposed::Executed(id) {
        bail!("the third approval did not execute proposal {id}");
    }
    println!("5. {} approves: 3 of 3, executed in this block; in force on 2027-06-01: {}", name(4), in_force().await?);
    let late = gov.approve(&keys[3], id).await;
    println!("   {} approves after that: {}", name(3), refusal(late)?);

    let show = gov.proposal(id).await?;
    println!(
        "6. proposal {id} is {}, approved by {} members, queryable at /v1/query/governance/proposal/{id}",
        show.status,
        show.approvals.len()
    );

    // Hand the chain back to its admin, by the council's own rule: 3 of 5.
    let one = council_of(&addresses[..1], 1);
    let Proposed::Open(back) = gov.propose(&keys[0], &one, "the demo ends: the admin alone again").await? else {
        bail!("one member changed the council alone");
    };
    gov.approve(&keys[1], back).await?;
    if gov.approve(&keys[2], back).await? != Proposed::Executed(back) {
        bail!("the third approval did not hand the chain back (proposal {back})");
    }
    wait_next_block(&chain).await?;
    println!("7. the council (3 of 5) hands the dev chain back to its admin: proposal {back} executed");
    Ok(())
}

/// Replaces the council with these members and threshold.
fn council_of(members: &[Address], threshold: u32) -> GovernanceMsg {
    GovernanceMsg::SetCouncil { council: CouncilSpec { members: members.to_vec(), threshold } }
}

/// The reason of a refusal the demo expects.
fn refusal(result: Result<Proposed, dojang_sdk::ClientError>) -> anyhow::Result<String> {
    match result {
        Err(e) => Ok(format!("refused, as expected ({e})")),
        Ok(_) => bail!("an approval that should have been refused was accepted"),
    }
}

/// Waits until one more block is final, so a council change staged for the next block is in
/// force.
async fn wait_next_block(chain: &Chain) -> anyhow::Result<()> {
    let start = chain.client.status().await?["height"].as_u64().context("status has no height")?;
    for _ in 0..200 {
        let h = chain.client.status().await?["height"].as_u64().unwrap_or(start);
        if h > start {
            return Ok(());
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    bail!("no new block within 10 s")
}
