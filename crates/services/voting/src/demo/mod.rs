//! `dojang demo voting`: a district's participatory-budget vote end to end (DOMAIN.md §3).
//! The council switches voting on; the resident registry issues resident credentials; the
//! poll office creates the poll with three trustees (any two decrypt); the trustees deal and
//! check each other's dealings; every resident's wallet registers with the registrar over
//! OpenID4VP and gets a blind-signed voting key, and the three who may not vote are refused;
//! ballots are encrypted on the voters' devices, one is audited first, some voters vote
//! again; at the close two trustees post decryption shares while the third stays away; the
//! result is compared with the plaintext count, the independent verifier recomputes the poll,
//! and the node's files and the registrar's store are searched for what must not be there.

mod ballots;
mod people;
mod register;
mod scan;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{bail, Context};
use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine;
use blind_rsa_signatures::{KeyPair, Options};
use clap::{Args, Subcommand};
use dojang_crypto::{Algorithm, KeyFile, KeyProtection, Keypair, Signer};
use dojang_eligibility_service::demo::setup::Stage;
use dojang_governance::{GovernanceMsg, Role};
use dojang_governance_service::dev_chain::{activate, propose};
use dojang_sdk::{Chain, TxBuilder};
use dojang_service::node::{demo_key, demo_node, WorkDir};
use dojang_service::Run;
use dojang_trust::ChainTrust;
use dojang_types::{wall_clock_ms, Hash};
use dojang_verifier::{DecisionStore, Office};
use dojang_voting::msg::{Eligibility, PollKind, PollSpec, Question, Revote, Trustee as PollTrustee, VotingMsg};
use dojang_voting::state::{Poll, Status};
use serde_json::{json, Value};

use crate::registrar::Registrar;
use crate::registrar_cmd::{load_poll, ChainPrepare};
use crate::registrar_http::{router, RegistrarService};
use crate::trustee::{TransportKey, Trustee};
use ballots::Voter;
use register::Registered;

#[derive(Subcommand)]
pub enum Demos {
    /// A district's participatory-budget vote: credentials, registration, secret ballots,
    /// the trustees' tally and the independent verification.
    Voting(VotingDemoArgs),
}

#[derive(Args)]
pub struct VotingDemoArgs {
    /// Eligible residents of the district, each issued a resident credential.
    #[arg(long, default_value_t = 2_000)]
    pub residents: usize,
    /// A running node to use (a development chain with the demo agencies); without it the
    /// demo starts its own.
    #[arg(long)]
    pub node: Option<String>,
    /// The home of the node at `--node` (for the demo keys and the scan).
    #[arg(long)]
    pub home: Option<PathBuf>,
    /// Where the node, the registry and the registrar keep their files [default: a temporary
    /// directory]. Give the same directory twice to run a second poll on the same chain.
    #[arg(long)]
    pub dir: Option<PathBuf>,
    /// Set the poll up, open for an hour, and keep the node, the registry and the registrar
    /// running for a browser until Ctrl-C (or SIGTERM): prints one JSON line with the links
    /// that receive a resident's credential into the web wallet and open the poll's page.
    #[arg(long)]
    pub stay: bool,
}

pub fn run(demo: Demos) -> Run {
    let Demos::Voting(args) = demo;
    Box::pin(async move {
        if !(20..=100_000).contains(&args.residents) {
            bail!("give 20 to 100,000 residents");
        }
        let work = WorkDir::new(args.dir.as_deref(), "dojang-voting-demo");
        std::fs::create_dir_all(work.path())?;
        let (node, url, home) = demo_node(args.node.as_deref(), args.home.as_deref(), work.path()).await?;
        // Ctrl-C or SIGTERM at any step ends the demo here, so the node it started is stopped.
        let mut term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())?;
        let stopped = || {
            if args.stay {
                Ok(json!({"stopped": "the node, the registry and the registrar"}))
            } else {
                Err(anyhow::anyhow!("interrupted before the demo finished"))
            }
        };
        let result = tokio::select! {
            r = voting(&args, &url, &home, work.path()) => r,
            _ = tokio::signal::ctrl_c() => stopped(),
            _ = term.recv() => stopped(),
        };
        if let Some(n) = node {
            n.stop().await;
        }
        println!("{}", result?);
        Ok(())
    })
}

/// The district's poll office: an account kept in the node's home, given the verifier role
/// by the council once.
async fn poll_office(chain: &Chain, council: &TxBuilder<Keypair>, home: &Path) -> anyhow::Result<Keypair> {
    let path = home.join("keys").join("mapo-poll-office.json");
    if !path.exists() {
        KeyFile::save_new(&Keypair::generate(Algorithm::Ed25519), &path, KeyProtection::ClearDemo)?;
    }
    let office = KeyFile::load(&path)?;
    let address = office.public_key().address();
    let account = chain.client.query("governance", &format!("account/{address}"), &[]).await?;
    if account["roles"].get(Role::Verifier.as_str()).is_none() {
        let grant = GovernanceMsg::GrantRole { account: address, role: Role::Verifier };
        let expires = wall_clock_ms() + 600_000;
        propose(&chain.client, council, GovernanceMsg::propose(&grant, "Mapo-gu's poll office", expires)).await?;
    }
    Ok(office)
}

async fn poll_record(chain: &Chain, poll: &str) -> anyhow::Result<Poll> {
    let v = chain.client.query("voting", &format!("poll/{poll}"), &[]).await?;
    serde_json::from_value(v["poll"].clone()).context("the node's poll record")
}

/// Waits until the poll reaches `status` (the chain's deadlines move it), up to `within`.
async fn wait_for(chain: &Chain, poll: &str, status: Status, within: Duration) -> anyhow::Result<Poll> {
    let deadline = Instant::now() + within;
    loop {
        let p = poll_record(chain, poll).await?;
        if p.status == status {
            return Ok(p);
        }
        if p.status == Status::Failed {
            bail!("the poll failed: {}", p.failure.unwrap_or_default());
        }
        if Instant::now() > deadline {
            bail!("the poll is {:?}, not {status:?}, after {} s", p.status, within.as_secs());
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
}

fn spec(
    residents: usize,
    office: &Keypair,
    trustees: &[(Keypair, TransportKey)],
    registrar_key: String,
    poll: &str,
    window_ms: u64,
) -> PollSpec {
    let now = wall_clock_ms();
    let opens_ms = now + 8_000;
    PollSpec {
        kind: PollKind::ParticipatoryBudget,
        title: "마포구 주민참여예산 2027: five projects, choose up to two".into(),
        questions: vec![Question {
            text: "Which projects should Mapo-gu fund in 2027? (up to two)".into(),
            options: vec![
                "Mangwon market roof".into(),
                "Hangang park lighting".into(),
                "Library evening hours".into(),
                "Gyeongui line forest bike lanes".into(),
                "Seniors' centre in Seogyo-dong".into(),
            ],
            min: 0,
            max: 2,
        }],
        eligibility: Eligibility {
            district: people::DISTRICT.into(),
            min_months_resident: people::MIN_MONTHS,
            min_age: people::MIN_AGE,
            policy: format!("vote-{poll}"),
        },
        dealings_until_ms: Some(opens_ms - 3_000),
        opens_ms,
        closes_ms: opens_ms + window_ms,
        results_from_ms: None,
        revote: Revote::LastCounts,
        trustees: trustees
            .iter()
            .map(|(k, t)| PollTrustee { account: k.public_key().address(), transport_key: t.public() })
            .collect(),
        threshold: 2,
        registrar: office.public_key().address(),
        registrar_key,
        eligible: residents as u64,
    }
}

async fn voting(args: &VotingDemoArgs, url: &str, home: &Path, dir: &Path) -> anyhow::Result<Value> {
    let started = Instant::now();
    let chain = Chain::connect(url).await?;
    let run = format!("r{}", wall_clock_ms() / 1000 % 10_000_000);
    let poll = format!("mapo-budget-{run}");
    let genesis = dojang_ledger::Genesis::load(&home.join("genesis.json"))?;
    let pinned = dojang_sdk::TrustedChain::new(&genesis.chain_id, genesis.validator_set(), dojang_sdk::DEFAULT_MAX_AGE);
    let trust = ChainTrust::new(url, pinned, Duration::from_secs(60));
    println!("dojang voting demo on chain '{}' at {url}: poll {poll}", chain.chain_id);

    let council = TxBuilder::new(&chain.chain_id, demo_key(home, "admin")?);
    activate(&chain.client, &council, &["voting"]).await?;
    let office = poll_office(&chain, &council, home).await?;

    // The people and their resident credentials.
    let (residents, ineligible) = people::people(args.residents);
    let mut everyone: Vec<_> = residents.iter().collect();
    everyone.extend(ineligible.iter().map(|i| &i.citizen));
    let stage = Stage { chain: &chain, node: url, home, dir, run: &run };
    let t = Instant::now();
    let (registry, pseudonyms) = register::registry(&stage, &everyone, &poll).await?;
    let wallets = register::wallets(&registry, &everyone, 1, &trust).await?;
    let again_wallet = register::wallets(&registry, &everyone[..1], 1, &trust).await?;
    println!(
        "the resident registry issued {} resident credentials over OpenID4VCI in {:.1} s",
        wallets.len() + 1,
        t.elapsed().as_secs_f64()
    );

    // The registrar's organisation and policy, the trustees, the poll.
    let rsa = KeyPair::generate(&mut rand::thread_rng(), 2048)?;
    let registrar_key = B64.encode(rsa.pk.to_spki(Some(&Options::default()))?);
    let trustees: Vec<(Keypair, TransportKey)> =
        (0..3).map(|_| (Keypair::generate(Algorithm::Ed25519), TransportKey::generate())).collect();
    let window_ms = if args.stay { 3_600_000 } else { 20_000 + residents.len() as u64 * 12 };
    let spec = spec(residents.len(), &office, &trustees, registrar_key.clone(), &poll, window_ms);
    let (kid, signing) = register::registrar_org(&stage, &office, &poll, &spec.eligibility).await?;
    chain.send(&office, &VotingMsg::CreatePoll { poll: poll.clone(), spec: spec.clone() }).await?;
    let trustee = |i: usize| Trustee {
        chain: &chain,
        trust: &trust,
        signer: Arc::new(trustees[i].0.duplicate()) as Arc<dyn Signer>,
        poll: &poll,
        transport: &trustees[i].1,
    };
    for i in 0..3 {
        trustee(i).deal().await?;
    }
    let mut complaints = Vec::new();
    for i in 0..3 {
        complaints.extend(trustee(i).check_dealings().await?);
    }
    println!(
        "poll created with 3 trustees (any 2 decrypt); each dealt, and each checked the others' shares: {} complaints",
        complaints.len()
    );

    // Registration: the registrar's HTTP service, and every wallet.
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let registrar_url = format!("http://{}", listener.local_addr()?);
    let store_path = dir.join(format!("registrar-{poll}.redb"));
    let store = DecisionStore::open(&store_path)?;
    let response_uri = format!("{registrar_url}/response");
    let (p, policy) = load_poll(&trust, &poll).await?;
    let v_office = Office::new(register::REGISTRAR_DID, &kid, signing, &response_uri, trust.clone(), store);
    let registrar = Registrar::new(&poll, &p.spec, policy, v_office, rsa.sk)?;
    let service = Arc::new(RegistrarService { registrar, prepare: Some(Arc::new(ChainPrepare(trust.clone()))) });
    let app = router(service.clone());
    let server = tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    if args.stay {
        return stay(&chain, url, &poll, &registrar_url, &registry, &residents[0].subject, service, office).await;
    }
    let t = Instant::now();
    let (results, _) = register::register_all(&registrar_url, &poll, &registrar_key, wallets, &trust, 8).await?;
    let (again, _) = register::register_all(&registrar_url, &poll, &registrar_key, again_wallet, &trust, 1).await?;
    let issued = service.registrar.issued().map_err(anyhow::Error::msg)?;
    server.abort();
    let mut voters = Vec::new();
    let mut refused: BTreeMap<String, usize> = BTreeMap::new();
    for (i, r) in results.into_iter().enumerate() {
        match (r, i.checked_sub(residents.len()).map(|k| &ineligible[k])) {
            (Registered::Issued(issued), None) => {
                let (key, token) = *issued;
                voters.push(Voter { key, token })
            }
            (Registered::Refused(why), Some(person)) if why.contains(person.why) => {
                *refused.entry(person.why.to_string()).or_default() += 1
            }
            (Registered::Issued(..), Some(person)) => {
                bail!("the registrar issued a credential to someone {}", person.why)
            }
            (Registered::Refused(why), person) => {
                bail!("registration {i} was refused for the wrong reason: {why} (expected {:?})", person.map(|p| p.why))
            }
        }
    }
    let second = match again.as_slice() {
        [Registered::Refused(why)] if why.contains("already received") => why.clone(),
        _ => bail!("a second registration by the same resident was not refused"),
    };
    println!(
        "registrar: {} voting credentials issued in {:.1} s; refused: {}; a second registration by one resident: refused ({second})",
        voters.len(),
        t.elapsed().as_secs_f64(),
        refused.iter().map(|(why, n)| format!("{n} {why}")).collect::<Vec<_>>().join(", ")
    );
    if issued != voters.len() as u64 {
        bail!("the registrar counts {issued} credentials issued, the wallets received {}", voters.len());
    }
    chain.send(&office, &VotingMsg::RecordIssued { poll: poll.clone(), issued }).await?;

    // Casting.
    let p = wait_for(&chain, &poll, Status::Open, Duration::from_secs(60)).await?;
    let key = p.key.context("an open poll has its election key")?;
    let shapes = p.spec.shapes();
    ballots::audit_one(&poll, &key, &shapes, &voters[0], &ballots::picks(0, 0))?;
    let revoters: Vec<usize> = (0..voters.len()).filter(|i| i % 10 == 5).collect();
    let t = Instant::now();
    let voters = Arc::new(voters);
    let first = cast_round(&chain, url, &poll, &key, &shapes, &voters, (0..voters.len()).collect(), 0).await?;
    let second = cast_round(&chain, url, &poll, &key, &shapes, &voters, revoters.clone(), 1).await?;
    println!(
        "{} ballots cast and {} cast again (last counts) in {:.1} s; voter 0 audited a ballot first and threw it away",
        first.len(),
        second.len(),
        t.elapsed().as_secs_f64()
    );
    let board = chain.client.query("voting", &format!("board/{poll}/{}", first[0]), &[]).await?;
    println!("voter 0 finds its tracking code {} on the board at height {}", first[0], board["ballot"]["height"]);

    // The tally: trustees 1 and 3 post shares; trustee 2 is absent.
    let until_close = Duration::from_millis(p.spec.closes_ms.saturating_sub(wall_clock_ms()) + 60_000);
    wait_for(&chain, &poll, Status::Closed, until_close).await?;
    for i in [0, 2] {
        trustee(i).post_share().await?;
    }
    let p = wait_for(&chain, &poll, Status::Tallied, Duration::from_secs(30)).await?;
    let result = p.result.clone().context("a tallied poll has its result")?;
    let last: Vec<Vec<u32>> =
        (0..voters.len()).map(|i| ballots::picks(i, usize::from(revoters.binary_search(&i).is_ok()))).collect();
    let reference = ballots::reference_counts(p.spec.questions[0].options.len(), &last);
    if result != [reference.clone()] {
        bail!("the published result {result:?} differs from the plaintext count {reference:?}");
    }
    for (option, n) in p.spec.questions[0].options.iter().zip(&reference) {
        println!("  {n:>6}  {option}");
    }
    println!("result published with trustees 1 and 3 (trustee 2 absent); it equals the plaintext count");

    let report = crate::verify::verify_poll(&chain.client, &genesis.chain_id, genesis.validator_set(), &poll).await?;
    report.print();
    if !report.problems.is_empty() {
        bail!("the independent verifier found problems: {:?}", report.problems);
    }

    let voting_keys: Vec<_> = voters.iter().map(|v| (v.key.public_key().address(), v.token.clone())).collect();
    let found = scan::scan(&poll, home, &store_path, &everyone, &pseudonyms, &voting_keys)?;
    Ok(json!({
        "poll": poll,
        "residents": residents.len(),
        "credentials_issued": voters.len(),
        "refused": refused,
        "second_registration_refused": true,
        "complaints": complaints.len(),
        "ballots": first.len(),
        "revotes": second.len(),
        "audited": 1,
        "result": result,
        "reference": reference,
        "shares_from": [1, 3],
        "verified": {"ballots": report.ballots_verified, "shares_valid": report.shares_valid, "problems": report.problems.len()},
        "personal_data_scan": found,
        "personal_data_hits": found["hits"].as_array().map_or(0, Vec::len),
        "seconds": started.elapsed().as_secs_f64(),
    }))
}

/// `--stay`: the poll open, the registrar counting on chain each second, one resident's
/// credential offered for the web wallet; serves until Ctrl-C or SIGTERM.
#[allow(clippy::too_many_arguments)]
async fn stay(
    chain: &Chain,
    url: &str,
    poll: &str,
    registrar_url: &str,
    registry: &dojang_eligibility_service::demo::setup::Agency,
    subject: &str,
    service: Arc<RegistrarService<Arc<ChainTrust>>>,
    office: Keypair,
) -> anyhow::Result<Value> {
    wait_for(chain, poll, Status::Open, Duration::from_secs(60)).await?;
    let counting = tokio::spawn(crate::registrar_cmd::record_every(service, url.to_string(), office, 1));
    let (offer, pin) = register::offer(registry, subject).await?;
    let enc = dojang_types::percent_encode;
    println!(
        "{}",
        json!({
            "stay": true, "node": url, "poll": poll, "registrar": registrar_url, "offer": offer, "pin": pin,
            "wallet": format!("{url}/#/wallet/offer/{}", enc(&offer)),
            "vote": format!("{url}/#/vote/{poll}/{}", enc(registrar_url)),
        })
    );
    // Serves until the demo is interrupted (see `run`), which stops the node.
    let _counting = counting;
    std::future::pending::<anyhow::Result<Value>>().await
}

/// Casts round `round` for the voters at `who` (encrypted on all cores, then sent), waits for
/// every ballot, and answers their tracking codes.
#[allow(clippy::too_many_arguments)]
async fn cast_round(
    chain: &Chain,
    url: &str,
    poll: &str,
    key: &dojang_ballot::Element,
    shapes: &[dojang_ballot::QuestionShape],
    voters: &Arc<Vec<Voter>>,
    who: Vec<usize>,
    round: usize,
) -> anyhow::Result<Vec<Hash>> {
    let (cid, poll_, key_, shapes_, voters_) =
        (chain.chain_id.clone(), poll.to_string(), *key, shapes.to_vec(), voters.clone());
    let made = tokio::task::spawn_blocking(move || {
        crate::bench::on_all_cores(who.len() as u64, |n| {
            let i = who[n as usize];
            ballots::cast_tx(&cid, &poll_, &key_, &shapes_, &voters_[i], &ballots::picks(i, round), round as u64)
        })
    })
    .await??;
    let encoded: Vec<(Hash, String)> =
        made.iter().map(|(t, _)| (t.id(), hex::encode(dojang_types::encode(t)))).collect();
    let sent = dojang_sdk::load::send_all(url, &encoded, 200, 2_000, Duration::from_secs(120)).await?;
    if sent.ok != made.len() as u64 {
        bail!(
            "{} of {} ballots were accepted ({} refused in a block, {} at admission, {} not final)",
            sent.ok,
            made.len(),
            sent.refused_in_block,
            sent.refused_at_admission,
            sent.not_final
        );
    }
    Ok(made.into_iter().map(|(_, code)| code).collect())
}
