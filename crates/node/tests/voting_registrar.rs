//! `dojang voting registrar --config registrar.toml` as an operator runs it, against a real
//! node: its RSA key from `dojang voting registrar-key` (sealed under a passphrase file), its
//! organisation and policy on chain, a poll naming both. It starts, answers a blinded message
//! with an OpenID4VP request signed by its key on chain, refuses malformed requests and
//! answers, and refuses to start with a key the poll does not name or without the passphrase
//! of its sealed key.

mod common;

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use common::net::{height, wait_height};
use common::{NodeProcess, EXE};
use dojang_crypto::{Algorithm, KeyFile, KeyProtection, Keypair};
use dojang_governance::{GovernanceMsg, Role};
use dojang_identity::IdentityMsg;
use dojang_identity_service::Registries;
use dojang_sdk::{Chain, TxBuilder};
use dojang_types::wall_clock_ms;
use dojang_voting::msg::{Eligibility, PollKind, PollSpec, Question, Revote, Trustee, VotingMsg};
use dojang_voting_service::credential::Blinding;
use dojang_voting_service::registrar::claims_needed;
use serde_json::{json, Value};

const CHAIN: &str = "registrar-test";
const POLL: &str = "mapo-budget-2027";
const DID: &str = "did:web:vote.mapo.seoul.go.kr";

/// A registrar process, killed when dropped.
struct Registrar(Child);

impl Drop for Registrar {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// The registrar's passphrase, in a file as a service would be given it.
const PASSPHRASE: &str = "registrar passphrase 2027";

/// `dojang voting registrar-key`: sealed under the passphrase file, or in clear with
/// `--insecure-clear-key`.
fn registrar_key(dir: &Path, name: &str, sealed: bool) -> String {
    let mut cmd = Command::new(EXE);
    cmd.args(["voting", "registrar-key", "--out"]).arg(dir.join(name));
    if sealed {
        std::fs::write(dir.join("pass"), format!("{PASSPHRASE}\n")).unwrap();
        cmd.arg("--passphrase-file").arg(dir.join("pass"));
    } else {
        cmd.arg("--insecure-clear-key");
    }
    let out = cmd.env_remove("DOJANG_KEY_PASSPHRASE").env_remove("DOJANG_KEY_PASSPHRASE_FILE").output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let text = std::fs::read_to_string(dir.join(name)).unwrap();
    assert_eq!(text.contains("BEGIN"), !sealed, "a sealed key file holds no PEM");
    String::from_utf8(out.stdout).unwrap().trim().to_string()
}

fn config(dir: &Path, node: &str, rsa: &str, kid: &str) -> std::path::PathBuf {
    let path = dir.join(format!("registrar-{rsa}.toml"));
    let text = format!(
        "[registrar]\npoll = \"{POLL}\"\ndid = \"{DID}\"\nkid = \"{kid}\"\nsigning_key = \"signing.json\"\n\
         rsa_key = \"{rsa}\"\naccount_key = \"account.json\"\npublic_url = \"http://127.0.0.1\"\n\
         listen_addr = \"127.0.0.1:0\"\nnode = \"{node}\"\ngenesis = \"node/genesis.json\"\nstore = \"registrar.redb\"\n"
    );
    std::fs::write(&path, text).unwrap();
    path
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_registrar_service_starts_from_its_file_answers_requests_and_refuses_a_wrong_key() {
    let dir = tempfile::tempdir().unwrap();
    let home = dir.path().join("node");
    common::init_demo(&home, CHAIN);
    let node = NodeProcess::start(&home);
    let chain = Chain::connect(&node.url).await.unwrap();
    let admin = TxBuilder::new(CHAIN, KeyFile::load(&home.join("keys/admin.json")).unwrap());
    let at = height(&node.url).await + 5;
    let activate = GovernanceMsg::Activate { module: "voting".into(), version: None, at_height: at };
    chain.client.send(&admin, &GovernanceMsg::propose(&activate, "voting", wall_clock_ms() + 600_000)).await.unwrap();
    // The registrar's account: the poll office's, with the verifier role.
    let account = Keypair::generate(Algorithm::Ed25519);
    KeyFile::save_new(&account, &dir.path().join("account.json"), KeyProtection::ClearDemo).unwrap();
    let grant = GovernanceMsg::GrantRole { account: account.public_key().address(), role: Role::Verifier };
    chain.client.send(&admin, &GovernanceMsg::propose(&grant, "poll office", wall_clock_ms() + 600_000)).await.unwrap();
    wait_height(&node.url, at, Duration::from_secs(30)).await;

    let signing = Keypair::generate(Algorithm::P256);
    KeyFile::save_new(&signing, &dir.path().join("signing.json"), KeyProtection::ClearDemo).unwrap();
    let kid = Registries::new(&chain).ensure_org(&account, DID, &signing, "t1").await.unwrap();
    let eligibility =
        Eligibility { district: "mapo-gu".into(), min_months_resident: 3, min_age: 16, policy: format!("vote-{POLL}") };
    let claims: Vec<Value> = claims_needed(POLL, &eligibility).into_iter().map(|p| json!({"path": p})).collect();
    let policy = IdentityMsg::RegisterPolicy {
        id: eligibility.policy.clone(),
        verifier: DID.into(),
        legal_basis: "Mapo-gu Participatory Budget Ordinance".into(),
        purpose: "one voting credential per eligible resident".into(),
        dcql: json!({"credentials": [{"id": "resident", "format": "dc+sd-jwt",
            "meta": {"vct_values": ["urn:dojang:resident:1"]}, "claims": claims}]}),
        retention_days: 180,
    };
    chain.send(&account, &policy).await.unwrap();
    let spki = registrar_key(dir.path(), "rsa.sealed", true);
    let other_spki = registrar_key(dir.path(), "other.pem", false);
    assert_ne!(spki, other_spki);
    // Without a passphrase, no key is written; an existing file is never overwritten.
    let refused = Command::new(EXE)
        .args(["voting", "registrar-key", "--out"])
        .arg(dir.path().join("unsealed.pem"))
        .env_remove("DOJANG_KEY_PASSPHRASE")
        .env_remove("DOJANG_KEY_PASSPHRASE_FILE")
        .output()
        .unwrap();
    assert!(!refused.status.success() && !dir.path().join("unsealed.pem").exists());
    assert!(String::from_utf8_lossy(&refused.stderr).contains("no passphrase to seal the key with"), "{refused:?}");
    let again = Command::new(EXE)
        .args(["voting", "registrar-key", "--insecure-clear-key", "--out"])
        .arg(dir.path().join("other.pem"))
        .output()
        .unwrap();
    assert!(String::from_utf8_lossy(&again.stderr).contains("never overwritten"), "{again:?}");
    let opens_ms = wall_clock_ms() + 3_600_000;
    let spec = PollSpec {
        kind: PollKind::ParticipatoryBudget,
        title: "Mapo-gu participatory budget 2027".into(),
        questions: vec![Question { text: "Which?".into(), options: vec!["a".into(), "b".into()], min: 0, max: 1 }],
        eligibility,
        dealings_until_ms: Some(opens_ms - 60_000),
        opens_ms,
        closes_ms: opens_ms + 3_600_000,
        results_from_ms: None,
        revote: Revote::Reject,
        trustees: vec![Trustee {
            account: Keypair::generate(Algorithm::Ed25519).public_key().address(),
            transport_key: dojang_voting_service::trustee::TransportKey::generate().public(),
        }],
        threshold: 1,
        registrar: account.public_key().address(),
        registrar_key: spki.clone(),
        eligible: 100,
    };
    chain.send(&account, &VotingMsg::CreatePoll { poll: POLL.into(), spec }).await.unwrap();

    // A key the poll does not name: the service does not start, and says why.
    let out = Command::new(EXE)
        .args(["voting", "registrar", "--config"])
        .arg(config(dir.path(), &node.url, "other.pem", &kid))
        .env("DOJANG_LOG__FILTER", "error")
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("not the one the poll names"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );

    // The sealed key without its passphrase: the service does not start, and says how to give it.
    let out = Command::new(EXE)
        .args(["voting", "registrar", "--config"])
        .arg(config(dir.path(), &node.url, "rsa.sealed", &kid))
        .env("DOJANG_LOG__FILTER", "error")
        .env_remove("DOJANG_KEY_PASSPHRASE")
        .env_remove("DOJANG_KEY_PASSPHRASE_FILE")
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("DOJANG_KEY_PASSPHRASE_FILE"), "{out:?}");

    let mut child = Command::new(EXE)
        .args(["voting", "registrar", "--config"])
        .arg(config(dir.path(), &node.url, "rsa.sealed", &kid))
        .env("DOJANG_LOG__FILTER", "error")
        .env("DOJANG_KEY_PASSPHRASE_FILE", dir.path().join("pass"))
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    let process = Registrar(child);
    let line = BufReader::new(stdout).lines().next().unwrap().unwrap();
    let url = line.strip_prefix("voting registrar on ").unwrap().split(' ').next().unwrap().to_string();

    let http = reqwest::Client::new();
    let voter = Keypair::generate(Algorithm::Ed25519).public_key().address();
    let blinded = Blinding::new(&spki, POLL, &voter).unwrap().blinded_message();
    let resp = http
        .post(format!("{url}/polls/{POLL}/request"))
        .json(&json!({"blinded_message": blinded}))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    let jwt = resp.text().await.unwrap();
    let claims = dojang_verifier::open_request(&jwt, &signing.public_key(), wall_clock_ms() / 1000).unwrap();
    assert_eq!(claims.client_id, DID);
    let query = dojang_credentials::DcqlQuery::parse(&claims.dcql_query).unwrap();
    assert_eq!(query.credentials.len(), 1, "the request asks for the resident credential and nothing else");
    assert_eq!(query.credentials[0].claims.len(), 4, "district, months, age, pseudonym");

    let refused = http
        .post(format!("{url}/polls/{POLL}/request"))
        .json(&json!({"blinded_message": "AAAA"}))
        .send()
        .await
        .unwrap();
    assert_eq!(refused.status(), 400);
    let wrong_poll = http
        .post(format!("{url}/polls/other-poll/request"))
        .json(&json!({"blinded_message": blinded}))
        .send()
        .await
        .unwrap();
    assert_eq!(wrong_poll.status(), 404);
    let unknown = http.post(format!("{url}/response")).form(&[
        ("vp_token", "{}"),
        ("state", "nope"),
        ("blinded_message", "AAAA"),
    ]);
    let unknown = unknown.send().await.unwrap();
    assert_eq!(unknown.status(), 400);
    let body: Value = unknown.json().await.unwrap();
    assert!(body["error_description"].as_str().unwrap().contains("no open request"), "{body}");
    drop(process);
}
