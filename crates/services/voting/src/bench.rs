//! `dojang bench voting`: the figures issue 15 names, in one run.
//! - Ballots verified and finalized per second on one validator (target at least 2,000/s with
//!   5-option ballots), beside this machine's own rate of checking ballot proofs, measured in
//!   the same run, and the ratio of the two.
//! - The tally of a million ballots: their sum from the encodings, two trustees' decryption
//!   shares made and checked, and the counts (target under 60 s). The counts are compared with
//!   the plaintext count.
//! - The independent verifier's rate over every ballot: the transaction's signature, the
//!   credential and the proofs (target: at least the node's own).
//!
//! Each part prints lines for people; one JSON line at the end holds them all.

use std::time::{Duration, Instant};

use anyhow::bail;
use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine;
use blind_rsa_signatures::{KeyPair, Options, SecretKey};
use clap::Args;
use curve25519_dalek::ristretto::RistrettoPoint;
use curve25519_dalek::scalar::Scalar;
use curve25519_dalek::traits::Identity;
use dojang_ballot::dkg::election_key;
use dojang_ballot::group::G;
use dojang_ballot::tally::combine;
use dojang_ballot::{Batch, Ciphertext, Dealing, DecryptionShare, Element, EncryptedBallot, QuestionShape};
use dojang_crypto::{Algorithm, Keypair};
use dojang_governance::{GovernanceMsg, Role};
use dojang_governance_service::dev_chain::{activate, propose};
use dojang_sdk::{Chain, TxBuilder};
use dojang_service::machine::{self, Machine};
use dojang_service::node::{demo_key, start_node, WorkDir};
use dojang_types::{Hash, SignedTx};
use dojang_voting::credential::{token_verifies, RegistrarKey};
use dojang_voting::msg::{Eligibility, PollKind, PollSpec, Question, Revote, Trustee, VotingMsg};
use dojang_voting::rules::{ballot_context, poll_context};

use crate::credential::blind_signed_token;
use rand::SeedableRng;
use serde_json::{json, Value};

const POLL: &str = "bench-poll";
const BATCH: usize = 500;
const WINDOW: u64 = 6_000;
const DRAIN: Duration = Duration::from_secs(180);

#[derive(Args, Clone, Debug)]
pub struct VotingBenchArgs {
    /// Ballots to cast on a fresh one-validator chain, each from its own credential.
    #[arg(long, default_value_t = 10_000)]
    pub ballots: u64,
    /// Ballots in the tally part; the cast ballots are reused, in turn, to reach it.
    #[arg(long, default_value_t = 1_000_000)]
    pub tally: u64,
}

/// Five projects, choose up to two: a participatory budget's ballot.
fn shapes() -> Vec<QuestionShape> {
    vec![QuestionShape { options: 5, min: 0, max: 2 }]
}

fn picks(i: u64) -> Vec<u32> {
    match i % 4 {
        0 => vec![(i % 5) as u32],
        1 => vec![(i % 5) as u32, ((i + 2) % 5) as u32],
        2 => vec![],
        _ => vec![((i / 4) % 5) as u32],
    }
}

/// The poll on the chain, its trustees' secrets and the registrar's key.
struct Poll {
    key: Element,
    secrets: Vec<Scalar>,
    registrar: SecretKey,
}

async fn wait_open(chain: &Chain) -> anyhow::Result<()> {
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let p = chain.client.query("voting", &format!("poll/{POLL}"), &[]).await?;
        match p["poll"]["status"].as_str() {
            Some("open") => return Ok(()),
            Some("failed") => bail!("the benchmark's poll failed: {}", p["poll"]["failure"]),
            _ if Instant::now() > deadline => bail!("the benchmark's poll did not open within 60 s"),
            _ => tokio::time::sleep(Duration::from_millis(200)).await,
        }
    }
}

/// Creates the poll, has three trustees deal, waits for the opening and records `ballots`
/// credentials issued.
async fn setup(chain: &Chain, home: &std::path::Path, ballots: u64) -> anyhow::Result<Poll> {
    let admin = TxBuilder::new(chain.chain_id.clone(), demo_key(home, "admin")?);
    activate(&chain.client, &admin, &["voting"]).await?;
    let office = Keypair::generate(Algorithm::Ed25519);
    let grant = GovernanceMsg::GrantRole { account: office.public_key().address(), role: Role::Verifier };
    propose(
        &chain.client,
        &admin,
        GovernanceMsg::propose(&grant, "the poll office", dojang_types::wall_clock_ms() + 600_000),
    )
    .await?;
    let mut rng = rand::rngs::StdRng::from_entropy();
    let trustees: Vec<Keypair> = (0..3).map(|_| Keypair::generate(Algorithm::Ed25519)).collect();
    let transport: Vec<Scalar> = (0..3).map(|_| Scalar::random(&mut rng)).collect();
    let registrar = Keypair::generate(Algorithm::Ed25519);
    let rsa = KeyPair::generate(&mut rng, 2048)?;
    let opens_ms = dojang_types::wall_clock_ms() + 6_000;
    let spec = PollSpec {
        kind: PollKind::ParticipatoryBudget,
        title: "Benchmark: five projects, choose up to two".into(),
        questions: vec![Question {
            text: "Which projects?".into(),
            options: (1..=5).map(|n| format!("project {n}")).collect(),
            min: 0,
            max: 2,
        }],
        eligibility: Eligibility {
            district: "seoul".into(),
            min_months_resident: 0,
            min_age: 16,
            policy: "vote-bench".into(),
        },
        dealings_until_ms: Some(opens_ms - 2_000),
        opens_ms,
        closes_ms: opens_ms + 3_600_000,
        results_from_ms: None,
        revote: Revote::Reject,
        trustees: trustees
            .iter()
            .zip(&transport)
            .map(|(t, x)| Trustee { account: t.public_key().address(), transport_key: Element::new(x * G) })
            .collect(),
        threshold: 2,
        registrar: registrar.public_key().address(),
        registrar_key: B64.encode(rsa.pk.to_spki(Some(&Options::default()))?),
        eligible: ballots.max(1),
    };
    chain.send(&office, &VotingMsg::CreatePoll { poll: POLL.into(), spec }).await?;
    let ctx = poll_context(POLL);
    let keys: Vec<(u32, Element)> =
        transport.iter().enumerate().map(|(i, x)| (i as u32 + 1, Element::new(x * G))).collect();
    let mut dealings = Vec::new();
    for (i, trustee) in trustees.iter().enumerate() {
        let (d, _) = Dealing::deal(&ctx, i as u32 + 1, 2, &keys, &mut rng)?;
        chain.send(trustee, &VotingMsg::Deal { poll: POLL.into(), dealing: d.clone() }).await?;
        dealings.push(d);
    }
    let secrets = (0..3)
        .map(|j| dealings.iter().map(|d| d.open(&ctx, j as u32 + 1, &transport[j])).sum::<Result<Scalar, _>>())
        .collect::<Result<Vec<_>, _>>()?;
    wait_open(chain).await?;
    chain.send(&registrar, &VotingMsg::RecordIssued { poll: POLL.into(), issued: ballots }).await?;
    Ok(Poll { key: election_key(&dealings.iter().collect::<Vec<_>>()), secrets, registrar: rsa.sk })
}

/// Voter `i`'s key, from a public seed: never give such an account anything on a real chain.
fn voter_key(run: u64, i: u64) -> Keypair {
    let mut seed = [0u8; 32];
    seed[..8].copy_from_slice(&i.to_le_bytes());
    seed[8..16].copy_from_slice(&run.to_le_bytes());
    Keypair::ed25519_from_seed(seed)
}

/// Makes ballot `i`: its credential, its encryption and proofs, its signed transaction.
fn cast_tx(chain_id: &str, poll: &Poll, run: u64, i: u64) -> anyhow::Result<SignedTx> {
    let voter = voter_key(run, i);
    let addr = voter.public_key().address();
    let (ballot, _) = EncryptedBallot::encrypt(
        &ballot_context(POLL, &addr),
        &poll.key,
        &shapes(),
        &[picks(i)],
        &mut rand::thread_rng(),
    )?;
    let msg = VotingMsg::Cast {
        poll: POLL.into(),
        voter: addr,
        key: poll.key,
        shapes: shapes(),
        token: blind_signed_token(&poll.registrar, POLL, &voter.public_key().address())?,
        ballot,
    };
    Ok(TxBuilder::new(chain_id, voter).message_with(&msg, i, dojang_types::wall_clock_ms() + 900_000))
}

/// Splits `0..n` into one range per core, runs `work` on each in its own thread, and answers
/// the results in order.
fn per_core<R: Send>(
    n: u64,
    work: impl Fn(std::ops::Range<u64>) -> anyhow::Result<R> + Sync,
) -> anyhow::Result<Vec<R>> {
    let cores = std::thread::available_parallelism().map(|c| c.get() as u64).unwrap_or(1);
    let per = n.div_ceil(cores).max(1);
    std::thread::scope(|s| {
        let handles: Vec<_> = (0..cores)
            .map(|c| {
                let work = &work;
                s.spawn(move || work((c * per).min(n)..((c + 1) * per).min(n)))
            })
            .collect();
        handles.into_iter().map(|h| h.join().map_err(|_| anyhow::anyhow!("a worker thread panicked"))?).collect()
    })
}

/// Runs `work` on each of `0..n`, on all cores, and answers the results in order.
pub(crate) fn on_all_cores<T: Send>(n: u64, work: impl Fn(u64) -> anyhow::Result<T> + Sync) -> anyhow::Result<Vec<T>> {
    Ok(per_core(n, |range| range.map(&work).collect::<anyhow::Result<Vec<T>>>())?.into_iter().flatten().collect())
}

/// A transaction's ballot, decoded and checked as a verifier does: the signature, the
/// credential, the proofs (into `batch`).
fn check_tx(tx: &SignedTx, spec_key: &RegistrarKey, batch: &mut Batch) -> anyhow::Result<Vec<Ciphertext>> {
    if !dojang_crypto::verify_txs(&[tx])[0] {
        bail!("a ballot's signature does not verify");
    }
    let VotingMsg::Cast { voter, key, shapes, token, ballot, .. } = serde_json::from_slice(&tx.body.msg)? else {
        bail!("not a ballot");
    };
    token_verifies(spec_key, POLL, &voter, &token).map_err(anyhow::Error::msg)?;
    ballot.check(&ballot_context(POLL, &voter), &key, &shapes, batch)?;
    Ok(ballot.answers.iter().flat_map(|a| a.choices.iter().copied()).collect())
}

/// Checks every transaction's ballot on all cores, a batch per thread; answers ballots/s.
fn verify_all(txs: &[SignedTx], pk: &RegistrarKey) -> anyhow::Result<f64> {
    let started = Instant::now();
    per_core(txs.len() as u64, |range| {
        let mut batch = Batch::new();
        for tx in &txs[range.start as usize..range.end as usize] {
            check_tx(tx, pk, &mut batch)?;
        }
        if !batch.holds() {
            bail!("a ballot's proofs do not hold");
        }
        Ok(())
    })?;
    Ok(txs.len() as f64 / started.elapsed().as_secs_f64())
}

/// The machine's own rate: the ballots' proofs alone, already decoded, a batch per core.
fn proofs_rate(txs: &[SignedTx]) -> anyhow::Result<f64> {
    let ballots: Vec<(Vec<u8>, Element, EncryptedBallot)> = txs
        .iter()
        .map(|tx| match serde_json::from_slice(&tx.body.msg)? {
            VotingMsg::Cast { voter, key, ballot, .. } => Ok((ballot_context(POLL, &voter), key, ballot)),
            _ => bail!("not a ballot"),
        })
        .collect::<anyhow::Result<_>>()?;
    let started = Instant::now();
    let holds = per_core(ballots.len() as u64, |range| {
        let mut batch = Batch::new();
        let part = &ballots[range.start as usize..range.end as usize];
        Ok(part.iter().all(|(ctx, key, b)| b.check(ctx, key, &shapes(), &mut batch).is_ok()) && batch.holds())
    })?;
    if !holds.into_iter().all(|h| h) {
        bail!("a ballot's proofs do not hold");
    }
    Ok(ballots.len() as f64 / started.elapsed().as_secs_f64())
}

/// The sum of `tally` ballots from their encodings (the cast ballots in turn), two trustees'
/// shares made and checked, the counts; answers seconds and whether the counts are right.
fn tally(txs: &[SignedTx], poll: &Poll, tally: u64) -> anyhow::Result<(f64, f64, bool)> {
    let encodings: Vec<Vec<[u8; 32]>> = txs
        .iter()
        .map(|tx| match serde_json::from_slice(&tx.body.msg)? {
            VotingMsg::Cast { ballot, .. } => {
                Ok(ballot.answers[0].choices.iter().flat_map(|c| [*c.alpha.bytes(), *c.beta.bytes()]).collect())
            }
            _ => bail!("not a ballot"),
        })
        .collect::<anyhow::Result<_>>()?;
    let n = encodings.len() as u64;
    let started = Instant::now();
    let parts = per_core(tally, |range| {
        let mut sums = vec![RistrettoPoint::identity(); 10];
        for i in range {
            for (sum, b) in sums.iter_mut().zip(&encodings[(i % n) as usize]) {
                *sum += Element::from_bytes(b)?.point();
            }
        }
        Ok(sums)
    })?;
    let mut sums = vec![RistrettoPoint::identity(); 10];
    for part in &parts {
        for (s, p) in sums.iter_mut().zip(part) {
            *s += p;
        }
    }
    let totals: Vec<Ciphertext> =
        sums.chunks(2).map(|ab| Ciphertext { alpha: Element::new(ab[0]), beta: Element::new(ab[1]) }).collect();
    let summed = started.elapsed().as_secs_f64();
    let ctx = poll_context(POLL);
    let mut rng = rand::thread_rng();
    let shares: Vec<DecryptionShare> = [1u32, 3]
        .iter()
        .map(|&j| DecryptionShare::make(&ctx, j, &poll.secrets[j as usize - 1], &totals, &mut rng))
        .collect();
    for (s, j) in shares.iter().zip([1u32, 3]) {
        s.verify(&ctx, &Element::new(poll.secrets[j as usize - 1] * G), &totals)?;
    }
    let counts = combine(&totals, &shares.iter().collect::<Vec<_>>(), 2, tally)?;
    let seconds = started.elapsed().as_secs_f64();
    let mut reference = [0u64; 5];
    for i in 0..tally {
        for p in picks(i % n) {
            reference[p as usize] += 1;
        }
    }
    Ok((seconds, summed, counts == reference))
}

pub async fn run(args: VotingBenchArgs) -> anyhow::Result<()> {
    if args.ballots == 0 {
        bail!("cast at least one ballot (--ballots)");
    }
    let machine = tokio::task::spawn_blocking(machine::measure).await?;
    let work = WorkDir::new(None, "dojang-voting-bench");
    let node = start_node(&work.path().join("node")).await?;
    let result = measure(&node.url, &node.home, &args, &machine).await;
    node.stop().await;
    println!("{}", result?);
    Ok(())
}

async fn measure(
    url: &str,
    home: &std::path::Path,
    args: &VotingBenchArgs,
    machine: &Machine,
) -> anyhow::Result<Value> {
    let chain = Chain::connect(url).await?;
    eprintln!("setting up the poll: the council, three trustees dealing, the opening (not measured)...");
    let poll = setup(&chain, home, args.ballots).await?;
    eprintln!("making {} ballots with their credentials (not measured)...", args.ballots);
    let run: u64 = rand::random();
    let (cid, count) = (chain.chain_id.clone(), args.ballots);
    let (txs, poll) = tokio::task::spawn_blocking(move || {
        on_all_cores(count, |i| cast_tx(&cid, &poll, run, i)).map(|txs| (txs, poll))
    })
    .await??;
    let encoded: Vec<(Hash, String)> = txs.iter().map(|t| (t.id(), hex::encode(dojang_types::encode(t)))).collect();

    eprintln!("sending the ballots and following them to finality (measured)...");
    let sent = dojang_sdk::load::send_all(url, &encoded, BATCH, WINDOW, DRAIN).await?;
    let per_s = sent.ok as f64 / sent.seconds;
    let (txs, proofs_per_s) = tokio::task::spawn_blocking(move || proofs_rate(&txs).map(|r| (txs, r))).await??;
    let ratio = per_s / proofs_per_s;
    println!(
        "ballots finalized/s {per_s:>9.0}  ({} of {} 5-option ballots in {:.2} s; target >= 2,000/s)",
        sent.ok, args.ballots, sent.seconds
    );
    println!(
        "  refused by the module {}, at admission {}, not final within the wait {}",
        sent.refused_in_block, sent.refused_at_admission, sent.not_final
    );
    println!("  this machine checks {proofs_per_s:.0} ballots' proofs/s (batched, {} cores); finalized/s is {ratio:.2} of that", machine.cores);

    let pk = RegistrarKey::from_public(&poll.registrar.public_key()?).map_err(anyhow::Error::msg)?;
    let (txs, verifier_per_s) = tokio::task::spawn_blocking(move || verify_all(&txs, &pk).map(|r| (txs, r))).await??;
    println!(
        "independent verifier: {verifier_per_s:.0} ballots/s (signature, credential, proofs; target: at least the node's {per_s:.0}/s)"
    );
    let target = args.tally;
    let (tally_s, sum_s, right) = tokio::task::spawn_blocking(move || tally(&txs, &poll, target)).await??;
    println!(
        "tally of {target} ballots: {tally_s:.1} s (the sum from the encodings {sum_s:.1} s; two trustees' shares with proofs and the counts {:.2} s; target < 60 s); counts equal the plaintext count: {right}",
        tally_s - sum_s
    );
    if !right {
        bail!("the tally's counts differ from the plaintext count");
    }
    Ok(json!({
        "bench": "voting",
        "ballots": args.ballots,
        "finalized_ok": sent.ok,
        "refused_in_block": sent.refused_in_block,
        "refused_at_admission": sent.refused_at_admission,
        "not_final": sent.not_final,
        "seconds": sent.seconds,
        "finalized_per_s": per_s,
        "ballot_proofs_per_s": proofs_per_s,
        "ratio_to_proofs": ratio,
        "verifier_per_s": verifier_per_s,
        "tally_ballots": target,
        "tally_seconds": tally_s,
        "tally_sum_seconds": sum_s,
        "tally_counts_right": right,
        "ed25519_batched_all_cores": machine.ed25519_batched_all_cores,
        "cores": machine.cores,
    }))
}
