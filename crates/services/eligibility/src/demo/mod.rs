//! `dojang demo eligibility`: the service the city asked for first, end to end.
//! Three agencies issue credentials to synthetic citizens, two program offices register their
//! programs, everyone applies from their wallet, decisions are anchored, the lottery is drawn,
//! and a summary shows what each program saw: one bit per condition, never an income.

pub mod apply;
pub mod citizens;
pub mod setup;

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::Context;
use clap::{Args, Subcommand};
use dojang_eligibility::views::BatchQuery;
use dojang_eligibility::{EligibilityMsg, Outcome};
use dojang_trust::ChainTrust;
use dojang_types::RecordQuery as _;
use dojang_verifier::{ApplyError, Receipt};
use serde_json::json;

use dojang_sdk::Chain;
use dojang_service::node::{demo_key, demo_node, WorkDir};
use dojang_service::Run;

#[derive(Subcommand)]
pub enum Demos {
    /// Paperless eligibility checks, end to end.
    Eligibility(EligibilityArgs),
}

#[derive(Args)]
pub struct EligibilityArgs {
    /// A running node (e.g. from `dojang dev`); without it a fresh one is started.
    #[arg(long)]
    pub node: Option<String>,
    /// That node's home, for the demo agencies' keys [default: $DOJANG_HOME or ~/.dojang].
    #[arg(long)]
    pub home: Option<PathBuf>,
    /// Synthetic citizens.
    #[arg(long, default_value_t = 300)]
    pub citizens: usize,
    /// Where the agencies and offices keep their stores [default: a temporary directory].
    #[arg(long)]
    pub dir: Option<PathBuf>,
    /// Also write the synthetic citizens' personal data here (for checking the ledger holds none).
    #[arg(long)]
    pub personal_data_out: Option<PathBuf>,
}

fn now_ms() -> u64 {
    dojang_types::wall_clock_ms()
}

pub fn run(demo: Demos) -> Run {
    let Demos::Eligibility(args) = demo;
    Box::pin(async move {
        let work = WorkDir::new(args.dir.as_deref(), "dojang-demo");
        std::fs::create_dir_all(work.path())?;
        let (started, url, home) = demo_node(args.node.as_deref(), args.home.as_deref(), work.path()).await?;
        let result = eligibility(&args, &url, &home, work.path()).await;
        if let Some(s) = started {
            s.stop().await;
        }
        result
    })
}

#[derive(Default)]
struct Tally {
    eligible: usize,
    manual: usize,
    not_eligible: BTreeMap<String, usize>,
    refused: BTreeMap<String, usize>,
    seqs: Vec<u64>,
}

fn tally(t: &mut Tally, results: &[Result<Receipt, ApplyError>]) {
    for r in results {
        match r {
            Ok(rc) => {
                t.seqs.push(rc.decision.seq);
                match &rc.decision.outcome {
                    Outcome::Eligible => t.eligible += 1,
                    Outcome::ManualReview { .. } => t.manual += 1,
                    Outcome::NotEligible { failed } => {
                        for f in failed {
                            *t.not_eligible.entry(format!("{} ({})", f.id, f.reason)).or_default() += 1;
                        }
                    }
                }
            }
            Err(e) => {
                let kind = match e {
                    ApplyError::Duplicate(_) => "duplicate application".to_string(),
                    ApplyError::Presentation { error, .. } => format!("presentation refused: {error}"),
                    other => other.to_string(),
                };
                *t.refused.entry(kind).or_default() += 1;
            }
        }
    }
}

async fn eligibility(
    args: &EligibilityArgs,
    url: &str,
    home: &std::path::Path,
    dir: &std::path::Path,
) -> anyhow::Result<()> {
    let started = Instant::now();
    let chain = Chain::connect(url).await?;
    let run = format!("r{}", now_ms() / 1000 % 10_000_000);
    // The demo trusts the genesis in the node's home, never the node's report of its validators.
    let pinned = dojang_sdk::TrustedChain::from_genesis_file(&home.join("genesis.json"))?;
    let trust = ChainTrust::new(url, pinned, Duration::from_secs(60));
    println!("dojang eligibility demo on chain '{}' at {url} (run {run})", chain.chain_id);

    let people = citizens::generate(args.citizens.max(10), 2026);
    if let Some(p) = &args.personal_data_out {
        std::fs::write(p, serde_json::to_vec_pretty(&people)?)
            .with_context(|| format!("cannot write {}", p.display()))?;
    }
    let window_ms = 15_000 + people.len() as u64 * 30;
    let stage = setup::Stage { chain: &chain, node: url, home, dir, run: &run };
    let offices = setup::offices(&stage, &trust, window_ms, setup::program_specs(&run).into()).await?;
    let programs: Vec<String> = offices.iter().map(|o| o.program.id.clone()).collect();
    println!(
        "registered programs {} and {} (window {} s), their policies and rule sets",
        programs[0],
        programs[1],
        window_ms / 1000
    );
    let mut secret = [0u8; 32];
    rand::RngCore::fill_bytes(&mut rand::thread_rng(), &mut secret);
    let agencies = setup::agencies(&stage, &people, &programs, &secret).await?;
    let subjects: Vec<String> = people.iter().map(|c| c.subject.clone()).collect();
    let t = Instant::now();
    let mut wallets = apply::receive_all(&agencies, &subjects, 3, &trust).await?;
    println!(
        "{} agencies issued {} credentials (3 single-use copies each) over OpenID4VCI in {:.1} s",
        agencies.len(),
        subjects.len() * agencies.len(),
        t.elapsed().as_secs_f64()
    );

    // The social security agency revokes one citizen's income credential before they apply.
    let revoked = &subjects[3];
    let v = apply::set_status(&agencies[1], revoked, "revoked").await?;
    println!("social security revoked {revoked}'s income credential (status list version {v}, anchored)");

    let offices: Vec<Arc<setup::ProgramOffice>> = offices.into_iter().map(Arc::new).collect();
    let mut tallies = Vec::new();
    for po in &offices {
        let t0 = Instant::now();
        let results = apply::apply_all(po, &trust, &mut wallets).await?;
        let mut t = Tally::default();
        tally(&mut t, &results);
        println!("{}: {} applications decided in {:.1} s", po.label, results.len(), t0.elapsed().as_secs_f64());
        tallies.push((t, results));
    }

    // A second application by the same person, and a presentation replayed to another program.
    let pw = &offices[0];
    let jwt = pw.office.request(&pw.program, now_ms() / 1000)?;
    let again = apply::answer(pw, &trust, &mut wallets[5], &jwt).await?;
    let dup = apply::decide(pw, vec![again.clone()]).await?;
    tally(&mut tallies[0].0, &dup);
    let yt = &offices[1];
    let jwt = yt.office.request(&yt.program, now_ms() / 1000)?;
    let claims_state = dojang_verifier::open_request(&jwt, &office_key(&trust, &jwt).await?, now_ms() / 1000)
        .map_err(anyhow::Error::msg)?
        .state;
    let replay = dojang_verifier::Application { state: claims_state, vp_token: again.vp_token };
    let replayed = apply::decide(yt, vec![replay]).await?;
    tally(&mut tallies[1].0, &replayed);

    // The wallet refuses a request beyond the registered policy.
    let greedy = dojang_wallet::PresentationRequest {
        client_id: "did:web:youth.seoul.go.kr".into(),
        nonce: "n".into(),
        policy: yt.program.policy.id.clone(),
        dcql_query: json!({"credentials": [{"id": "income", "format": "dc+sd-jwt", "meta": {"vct_values": ["urn:dojang:income-band:1"]},
            "claims": [{"path": ["income_le_150pct"]}, {"path": ["income_le_50pct"]}]}]}),
        response_uri: None,
        transaction_data: Vec::new(),
    };
    let refusal = dojang_wallet::check_request(&greedy, Some(&yt.program.policy))
        .err()
        .map(|e| e.to_string())
        .unwrap_or_default();

    // Anchor each office's decisions.
    let mut anchors = Vec::new();
    for (i, po) in offices.iter().enumerate() {
        let account = demo_key(home, setup::program_specs(&run)[i].account)?;
        let a = crate::office::anchor_once(&po.office, &chain, &account, &po.program.id)
            .await?
            .context("nothing to anchor")?;
        anchors.push(a);
    }

    // The window closes; each office reveals its seed and draws.
    let closes = offices.iter().map(|o| o.program.window_closes_ms).max().unwrap_or(0);
    if now_ms() < closes + 1_500 {
        let wait = closes + 1_500 - now_ms();
        println!(
            "waiting {:.0} s for the application windows to close before the lottery seeds may be revealed",
            wait as f64 / 1000.0
        );
        tokio::time::sleep(Duration::from_millis(wait)).await;
    }
    let mut draws = Vec::new();
    for (i, po) in offices.iter().enumerate() {
        let account = demo_key(home, setup::program_specs(&run)[i].account)?;
        chain.send(&account, &EligibilityMsg::RevealSeed { program: po.program.id.clone(), seed: po.seed }).await?;
        draws.push(po.office.draw(&po.program, &po.seed)?);
    }

    summary(&offices, &tallies, &anchors, &draws, &refusal);

    // A receipt, verified against the root on chain (read with a proof).
    let seq = tallies[0].0.seqs.first().copied().context("no decisions")?;
    let receipt = offices[0].office.receipt(seq)?.context("no receipt")?;
    let inc = receipt.inclusion.as_ref().context("not anchored")?;
    let key = BatchQuery { program: offices[0].program.id.clone(), batch: inc.batch }.state_key();
    let on_chain: dojang_eligibility::state::BatchRecord =
        trust.read_state(&key).await?.context("batch not on chain")?;
    receipt.verify(&on_chain.root).map_err(anyhow::Error::msg)?;
    println!(
        "\nA receipt, checked against batch {} anchored at height {} (read with a Merkle proof):",
        inc.batch, on_chain.height
    );
    println!(
        "{}",
        serde_json::to_string_pretty(
            &json!({"decision": receipt.decision, "leaf": receipt.leaf, "root": inc.root, "proof_steps": inc.proof.len()})
        )?
    );
    println!("\ndone in {:.1} s; the chain holds organisations, policies, programs, rule sets, seeds and Merkle roots, nothing about a person", started.elapsed().as_secs_f64());
    Ok(())
}

async fn office_key(trust: &Arc<ChainTrust>, jwt: &str) -> anyhow::Result<dojang_types::PublicKey> {
    use dojang_credentials::TrustView as _;
    let (did, kid) = dojang_verifier::request_kid(jwt).context("no kid")?;
    trust.load_org(&did).await?;
    Ok(trust.issuer_key(&did, &kid)?.context("office key not on chain")?.public_key)
}

fn summary(
    offices: &[Arc<setup::ProgramOffice>],
    tallies: &[(Tally, Vec<Result<Receipt, ApplyError>>)],
    anchors: &[crate::office::Anchored],
    draws: &[Vec<u64>],
    refusal: &str,
) {
    for (i, po) in offices.iter().enumerate() {
        let (t, results) = &tallies[i];
        println!(
            "\n== {} ({}; policy {}, rule set v{}, quota {})",
            po.label, po.program.id, po.program.policy.id, po.program.ruleset_version, po.program.quota
        );
        println!(
            "   eligible {}, manual review {}, not eligible {}",
            t.eligible,
            t.manual,
            t.seqs.len() - t.eligible - t.manual
        );
        for (reason, n) in &t.not_eligible {
            println!("     {n:>4}  failed {reason}");
        }
        for (reason, n) in &t.refused {
            println!("     {n:>4}  no decision (expected: the demo's revoked, duplicate and replayed cases): {reason}");
        }
        let saw: std::collections::BTreeSet<String> =
            results.iter().flatten().flat_map(|r| r.decision.disclosed.iter().cloned()).collect();
        println!("   what the program saw (claim paths; values are booleans, a household size and a program token):");
        println!("     {}", saw.into_iter().collect::<Vec<_>>().join(", "));
        let crate::office::Anchored { batch, root, height, decisions: n } = &anchors[i];
        println!("   anchored {n} decisions as batch {batch} at height {height}, root {root}");
        println!(
            "   lottery: seed revealed on chain; {} of {} eligible selected (first: {:?})",
            draws[i].len(),
            t.eligible,
            draws[i].iter().take(5).collect::<Vec<_>>()
        );
    }
    println!("\nA request asking the youth allowance for more than its policy (refused by the wallet, as expected): {refusal}");
}
