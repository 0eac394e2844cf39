//! A poll on a real node, then `dojang voting verify` from outside: three trustees deal, the
//! poll opens, three voters with the registrar's blind signatures vote (one of them twice,
//! the last ballot counting), the poll closes, two trustees decrypt; the verifier recomputes
//! the key, every ballot, the totals and the result, and finds them equal. Behind a proxy
//! that alters one element of the node's answers, it reports what no longer matches. A poll
//! that does not exist is an error. And the benchmark at a small size.

mod common;

use std::process::Command;
use std::time::{Duration, Instant};

use blind_rsa_signatures::{KeyPair, Options};
use common::net::{height, wait_height};
use common::{NodeProcess, EXE};
use curve25519_dalek::scalar::Scalar;
use dojang_ballot::dkg::election_key;
use dojang_ballot::group::G;
use dojang_ballot::{Ciphertext, Dealing, DecryptionShare, Element, EncryptedBallot};
use dojang_crypto::{Algorithm, KeyFile, Keypair};
use dojang_governance::{GovernanceMsg, Role};
use dojang_sdk::{Client, TxBuilder};
use dojang_types::wall_clock_ms;
use dojang_types::TxStatus;
use dojang_voting::msg::{Eligibility, PollKind, PollSpec, Question, Revote, Trustee, VotingMsg};
use dojang_voting::rules::{ballot_context, poll_context};
use dojang_voting_service::credential::blind_signed_token;
use dojang_voting_service::verify::{check, verify_poll};
use dojang_voting_service::verify_read::{PollData, ProvenReader};
use serde_json::Value;

const CHAIN: &str = "voting-test";
const POLL: &str = "mapo-budget-2026";

async fn send(client: &Client, key: &Keypair, msg: &VotingMsg) -> Value {
    client.send(&TxBuilder::new(CHAIN, key.duplicate()), msg).await.unwrap_or_else(|e| panic!("{msg:?}: {e}"))
}

async fn status(client: &Client) -> String {
    let p = client.query("voting", &format!("poll/{POLL}"), &[]).await.unwrap();
    p["poll"]["status"].as_str().unwrap().to_string()
}

async fn wait_status(client: &Client, want: &str) {
    let deadline = Instant::now() + Duration::from_secs(60);
    while status(client).await != want {
        assert!(Instant::now() < deadline, "the poll did not become {want}");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

type Tamper = Box<dyn Fn(&mut Value) + Send + Sync>;

/// One element of what the verifier read altered at a time, with the words of the problem it
/// must report.
fn tampered(data: &PollData) -> Vec<((&'static str, PollData), &'static str)> {
    let other = Element::new(Scalar::from(7u64) * G);
    let edit = |what: &'static str, change: &dyn Fn(&mut PollData)| {
        let mut d = data.clone();
        change(&mut d);
        (what, d)
    };
    // The index in `board` of a ballot whose voting key has another ballot on the board.
    let revoter = |d: &PollData| {
        let voter = |i: usize| d.board[i].sent.as_ref().ok().map(|(_, tx)| tx.tx.body.sender_address());
        (0..d.board.len())
            .find(|&i| voter(i).is_some() && (0..d.board.len()).any(|j| j != i && voter(j) == voter(i)))
            .unwrap()
    };
    vec![
        (edit("the election key", &|d| d.poll.key = Some(other)), "election key"),
        (edit("the published result", &|d| d.poll.result.as_mut().unwrap()[0][2] = 2), "published result"),
        (edit("an encrypted total", &|d| d.tally.totals.swap(0, 1)), "encrypted totals"),
        (edit("the number of voters", &|d| d.tally.voters = 4), "encrypted totals"),
        (edit("the credentials issued", &|d| d.tally.issued = 2), "VOTE-10"),
        (edit("a verification key", &|d| d.poll.verification_keys.swap(0, 1)), "verification key"),
        (edit("a dealing", &|d| d.dealings.get_mut(&2).unwrap().commitments.swap(0, 1)), "dealing 2"),
        (edit("a decryption share", &|d| d.shares.get_mut(&3).unwrap().parts.swap(0, 2)), "trustee 3"),
        (
            edit("the board's replaced mark", &|d| {
                let i = revoter(d);
                d.board[i].sent.as_mut().unwrap().0.replaced ^= true;
            }),
            "the board marks it",
        ),
        (
            edit("a ballot cast after the close", &|d| {
                let closes = d.poll.spec.closes_ms;
                d.board[0].sent.as_mut().unwrap().1.block_time_ms = closes;
            }),
            "VOTE-03",
        ),
        (
            edit("the order of a re-voter's ballots", &|d| {
                let i = revoter(d);
                let voter = d.board[i].sent.as_ref().unwrap().1.tx.body.sender_address();
                for b in d.board.iter_mut() {
                    let (_, tx) = b.sent.as_mut().unwrap();
                    if tx.tx.body.sender_address() == voter {
                        tx.height = u64::MAX - tx.height;
                    }
                }
            }),
            "the board marks it",
        ),
        (
            edit("another ballot's transaction under a tracking code", &|d| {
                let tx = d.board[1].sent.as_ref().unwrap().1.clone();
                d.board[0].sent.as_mut().unwrap().1 = tx;
            }),
            "tracking code is not the ballot's",
        ),
        (
            edit("a failed transaction", &|d| {
                d.board[0].sent.as_mut().unwrap().1.receipt.result =
                    TxStatus::Failed { code: "refused".into(), reason: "x".into() };
            }),
            "its transaction failed",
        ),
    ]
}

/// A proxy in front of the node that alters the JSON of every answer whose path (with its
/// query) starts with `path`, and passes everything else through as it is.
async fn tampering_proxy(upstream: String, path: String, tamper: Tamper) -> (String, tokio::sync::oneshot::Sender<()>) {
    use axum::extract::State;
    use axum::http::{StatusCode, Uri};
    use std::sync::Arc;
    type Shared = Arc<(String, String, Tamper, reqwest::Client)>;
    async fn forward(State(s): State<Shared>, uri: Uri) -> (StatusCode, axum::Json<Value>) {
        let (upstream, path, tamper, http) = &*s;
        let target = format!("{upstream}{}", uri.path_and_query().map(|p| p.as_str()).unwrap_or("/"));
        let resp = http.get(&target).send().await.unwrap();
        let status = StatusCode::from_u16(resp.status().as_u16()).unwrap();
        let mut body: Value = resp.json().await.unwrap();
        if status.is_success() && uri.path_and_query().is_some_and(|p| p.as_str().starts_with(path.as_str())) {
            tamper(&mut body);
        }
        (status, axum::Json(body))
    }
    let state: Shared = Arc::new((upstream, path, tamper, reqwest::Client::new()));
    let app = axum::Router::new().fallback(forward).with_state(state);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    tokio::spawn(async move {
        let _ = axum::serve(listener, app)
            .with_graceful_shutdown(async {
                let _ = stopped.await;
            })
            .await;
    });
    (url, stop)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_independent_verifier_recomputes_a_poll_and_finds_it_equal() {
    let dir = tempfile::tempdir().unwrap();
    let home = dir.path().join("node");
    common::init_demo(&home, CHAIN);
    let node = NodeProcess::start(&home);
    let client = Client::new(&node.url);
    let admin = TxBuilder::new(CHAIN, KeyFile::load(&home.join("keys/admin.json")).unwrap());
    let at = height(&node.url).await + 5;
    let activate = GovernanceMsg::Activate { module: "voting".into(), version: None, at_height: at };
    client.send(&admin, &GovernanceMsg::propose(&activate, "voting", wall_clock_ms() + 600_000)).await.unwrap();
    let office = Keypair::generate(Algorithm::Ed25519);
    let grant = GovernanceMsg::GrantRole { account: office.public_key().address(), role: Role::Verifier };
    client.send(&admin, &GovernanceMsg::propose(&grant, "poll office", wall_clock_ms() + 600_000)).await.unwrap();
    wait_height(&node.url, at, Duration::from_secs(30)).await;

    let mut rng = rand::thread_rng();
    let trustees: Vec<Keypair> = (0..3).map(|_| Keypair::generate(Algorithm::Ed25519)).collect();
    let transport: Vec<Scalar> = (0..3).map(|_| Scalar::random(&mut rng)).collect();
    let registrar = Keypair::generate(Algorithm::Ed25519);
    let rsa = KeyPair::generate(&mut rng, 2048).unwrap();
    let spki = {
        use base64::Engine;
        base64::engine::general_purpose::STANDARD.encode(rsa.pk.to_spki(Some(&Options::default())).unwrap())
    };
    let opens_ms = wall_clock_ms() + 6_000;
    let spec = PollSpec {
        kind: PollKind::ParticipatoryBudget,
        title: "마포구 주민참여예산 2026".into(),
        questions: vec![Question {
            text: "Which projects? (up to 2)".into(),
            options: ["park lighting", "library hours", "bike lanes"].map(String::from).to_vec(),
            min: 0,
            max: 2,
        }],
        eligibility: Eligibility {
            district: "mapo-gu".into(),
            min_months_resident: 6,
            min_age: 16,
            policy: "vote-mapo".into(),
        },
        dealings_until_ms: Some(opens_ms - 2_000),
        opens_ms,
        closes_ms: opens_ms + 8_000,
        results_from_ms: None,
        revote: Revote::LastCounts,
        trustees: trustees
            .iter()
            .zip(&transport)
            .map(|(t, x)| Trustee { account: t.public_key().address(), transport_key: Element::new(x * G) })
            .collect(),
        threshold: 2,
        registrar: registrar.public_key().address(),
        registrar_key: spki,
        eligible: 5,
    };
    send(&client, &office, &VotingMsg::CreatePoll { poll: POLL.into(), spec }).await;
    let ctx = poll_context(POLL);
    let t: Vec<(u32, Element)> =
        transport.iter().enumerate().map(|(i, x)| (i as u32 + 1, Element::new(x * G))).collect();
    let mut dealings = Vec::new();
    for (i, trustee) in trustees.iter().enumerate() {
        let (d, _) = Dealing::deal(&ctx, i as u32 + 1, 2, &t, &mut rng).unwrap();
        send(&client, trustee, &VotingMsg::Deal { poll: POLL.into(), dealing: d.clone() }).await;
        dealings.push(d);
    }
    let secrets: Vec<Scalar> =
        (0..3).map(|j| dealings.iter().map(|d| d.open(&ctx, j as u32 + 1, &transport[j]).unwrap()).sum()).collect();
    wait_status(&client, "open").await;
    let key = election_key(&dealings.iter().collect::<Vec<_>>());
    send(&client, &registrar, &VotingMsg::RecordIssued { poll: POLL.into(), issued: 3 }).await;

    let voters: Vec<Keypair> = (0..3).map(|_| Keypair::generate(Algorithm::Ed25519)).collect();
    let shapes = vec![dojang_ballot::QuestionShape { options: 3, min: 0, max: 2 }];
    for (v, picks) in [(0, vec![0, 1]), (1, vec![1]), (2, vec![]), (0, vec![2])] {
        let voter = &voters[v];
        let addr = voter.public_key().address();
        let (ballot, _) =
            EncryptedBallot::encrypt(&ballot_context(POLL, &addr), &key, &shapes, &[picks], &mut rng).unwrap();
        let msg = VotingMsg::Cast {
            poll: POLL.into(),
            voter: addr,
            key,
            shapes: shapes.clone(),
            token: blind_signed_token(&rsa.sk, POLL, &addr).unwrap(),
            ballot,
        };
        send(&client, voter, &msg).await;
    }
    wait_status(&client, "closed").await;
    let tally = client.query("voting", &format!("tally/{POLL}"), &[]).await.unwrap();
    let totals: Vec<Ciphertext> = serde_json::from_value(tally["tally"]["totals"].clone()).unwrap();
    for j in [1u32, 3] {
        let share = DecryptionShare::make(&ctx, j, &secrets[j as usize - 1], &totals, &mut rng);
        send(&client, &trustees[j as usize - 1], &VotingMsg::DecryptShare { poll: POLL.into(), share }).await;
    }
    assert_eq!(status(&client).await, "tallied");

    let genesis_file = home.join("genesis.json");
    let genesis_arg = genesis_file.to_str().unwrap();
    let out = Command::new(EXE)
        .args(["voting", "verify", POLL, "--node", &node.url, "--genesis", genesis_arg])
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{stdout}\n{}", String::from_utf8_lossy(&out.stderr));
    let report: Value = serde_json::from_str(stdout.lines().last().unwrap()).unwrap();
    assert_eq!(report["problems"], serde_json::json!([]), "{report}");
    assert_eq!(report["ballots_on_board"], 4);
    assert_eq!(report["ballots_verified"], 4);
    assert_eq!(report["voters_counted"], 3);
    assert_eq!((report["dealings_standing"].as_u64(), report["shares_valid"].as_u64()), (Some(3), Some(2)));
    assert_eq!((report["key_matches"].as_bool(), report["totals_match"].as_bool()), (Some(true), Some(true)));
    // Voter 0's second ballot (option 2) replaced its first (options 0 and 1).
    assert_eq!(report["result"], serde_json::json!([[0, 1, 1]]));
    assert_eq!(report["result_matches"], true);
    assert!(stdout.contains("verified: everything recomputed matches the chain"), "{stdout}");

    assert!(report["blocks_checked"].as_u64().is_some_and(|b| (1..=4).contains(&b)), "{report}");
    assert!(stdout.contains("blocks' certificates checked"), "{stdout}");

    // What it read, each part proven; every element altered there is named.
    let genesis = dojang_ledger::Genesis::load(&genesis_file).unwrap();
    let read = || ProvenReader::new(&client, CHAIN, genesis.validator_set()).poll(POLL);
    let data = read().await.unwrap();
    assert_eq!(check(&data).unwrap().problems, Vec::<String>::new());
    for ((what, data), named) in tampered(&data) {
        let problems = check(&data).unwrap().problems;
        assert!(problems.iter().any(|p| p.contains(named)), "{what}: {problems:?}");
    }

    // Behind a proxy that alters one answer of the node, the proof that no longer holds is
    // named: a record fails the whole read, a ballot's part is a problem of that ballot.
    let validators = genesis.validator_set();
    let through = |url: String| {
        let validators = validators.clone();
        async move { verify_poll(&Client::new(&url), CHAIN, validators, POLL).await }
    };
    let state_of = |key: String| format!("/v1/state?key={}", dojang_types::percent_encode(&key));
    let flip_value: fn(&mut Value) = |v| {
        let t = v["value_hex"].as_str().unwrap().to_string();
        v["value_hex"] = Value::String(format!("{}{}", &t[..t.len() - 2], if t.ends_with("7d") { "20" } else { "7d" }));
    };
    let (url, stop) =
        tampering_proxy(node.url.clone(), state_of(format!("voting/polls/{POLL}")), Box::new(flip_value)).await;
    let err = through(url).await.unwrap_err();
    let _ = stop.send(());
    assert!(format!("{err:#}").contains(&format!("reading voting/polls/{POLL}")), "{err:#}");
    assert!(format!("{err:#}").contains("proof"), "{err:#}");
    let proxied: Vec<(&str, String, Tamper, &str)> = vec![
        (
            "a board entry",
            state_of(format!("voting/board/{POLL}/")),
            Box::new(flip_value),
            "the state proof does not check",
        ),
        (
            "a ballot's transaction",
            "/v1/txs/".to_string(),
            Box::new(|v| {
                let t = v["tx_hex"].as_str().unwrap();
                let flipped = if t.ends_with('0') { "1" } else { "0" };
                v["tx_hex"] = Value::String(format!("{}{flipped}", &t[..t.len() - 1]));
            }),
            "signature is not its sender's",
        ),
        (
            "a block's time",
            "/v1/blocks/".to_string(),
            Box::new(|v| {
                v["block"]["header"]["time_ms"] = (v["block"]["header"]["time_ms"].as_u64().unwrap() + 1).into()
            }),
            "its block",
        ),
        (
            "the listing of the board",
            "/v1/state/keys".to_string(),
            Box::new(|v| {
                v["keys"].as_array_mut().unwrap().remove(0);
            }),
            "encrypted totals",
        ),
    ];
    for (what, path, tamper, named) in proxied {
        let (url, stop) = tampering_proxy(node.url.clone(), path, tamper).await;
        let report = through(url).await.unwrap();
        let _ = stop.send(());
        assert!(report.problems.iter().any(|p| p.contains(named)), "{what}: {:?}", report.problems);
    }

    let missing = Command::new(EXE)
        .args(["voting", "verify", "no-such-poll", "--node", &node.url, "--genesis", genesis_arg])
        .output()
        .unwrap();
    assert!(!missing.status.success());
    assert!(String::from_utf8_lossy(&missing.stderr).contains("no poll 'no-such-poll'"), "{missing:?}");
}

/// `dojang bench voting` at a small size: every ballot is final and accepted, the tally's
/// counts equal the plaintext count, and the JSON line carries each figure beside the
/// machine's own rate of checking ballot proofs.
#[test]
fn the_voting_bench_finalizes_every_ballot_and_tallies_right() {
    let out = Command::new(EXE)
        .args(["bench", "voting", "--ballots", "40", "--tally", "1000"])
        .env("DOJANG_LOG__FILTER", "error")
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{stdout}\n{}", String::from_utf8_lossy(&out.stderr));
    let v: Value = serde_json::from_str(stdout.lines().last().unwrap()).unwrap();
    assert_eq!((v["finalized_ok"].as_u64(), v["refused_in_block"].as_u64()), (Some(40), Some(0)), "{v}");
    assert_eq!((v["refused_at_admission"].as_u64(), v["not_final"].as_u64()), (Some(0), Some(0)), "{v}");
    assert_eq!((v["tally_ballots"].as_u64(), v["tally_counts_right"].as_bool()), (Some(1000), Some(true)), "{v}");
    for figure in ["finalized_per_s", "ballot_proofs_per_s", "ratio_to_proofs", "verifier_per_s", "tally_seconds"] {
        assert!(v[figure].as_f64().is_some_and(|x| x > 0.0), "{figure}: {v}");
    }
    for line in ["ballots finalized/s", "ballots' proofs/s", "independent verifier", "tally of 1000 ballots"] {
        assert!(stdout.contains(line), "{line}: {stdout}");
    }
}
