//! The anonymous grievance channel against a real node: a worker with a contract in force gets
//! one blind-signed token per contract and quarter and files one report about the employer; the
//! centre keeps the report without anything that names the worker or the contract, and cannot
//! match it to the token it issued; a second token, a second report, a forged or misdirected
//! token, a worker signing for another's contract, an unsigned request, are all refused.

mod common;

use std::time::Duration;

use common::net::{height, wait_height};
use common::NodeProcess;
use dojang_crypto::{Algorithm, KeyFile, Keypair};
use dojang_governance::GovernanceMsg;
use dojang_labour::LabourMsg;
use dojang_labour_service::desk::{new_token, ClientEntry};
use dojang_labour_service::grievance::{worker, Centre};
use dojang_sdk::{Client, TxBuilder};
use dojang_types::{sha256, wall_clock_ms, Date};
use serde_json::{json, Value};

const CHAIN: &str = "grievance-test";

/// Registers a contract of `employer` with `worker`, signed by the worker unless `unsigned`.
async fn register(client: &Client, employer: &Keypair, worker: &Keypair, n: u8) -> String {
    let contract = register_unsigned(client, employer, worker, n).await;
    let sign = LabourMsg::Sign { contract: contract.clone(), version: 1, commitment: sha256(&[&[n], b"commitment"]) };
    client.send(&TxBuilder::new(CHAIN, worker.duplicate()), &sign).await.unwrap();
    contract
}

async fn register_unsigned(client: &Client, employer: &Keypair, worker: &Keypair, n: u8) -> String {
    let contract = hex::encode(sha256(&[&[n], b"grievance-test"]).0)[..32].to_string();
    let starts = Date::from_unix_ms_kst(wall_clock_ms()).plus_days(-30);
    let msg = LabourMsg::Register {
        contract: contract.clone(),
        worker: worker.public_key().address(),
        commitment: sha256(&[&[n], b"commitment"]),
        starts,
        ends: None,
    };
    client.send(&TxBuilder::new(CHAIN, employer.duplicate()), &msg).await.unwrap();
    contract
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_worker_files_one_anonymous_report_per_contract_and_quarter() {
    let dir = tempfile::tempdir().unwrap();
    let home = dir.path().join("node");
    common::init_demo(&home, CHAIN);
    let node = NodeProcess::start(&home);
    let client = Client::new(&node.url);
    let key = |name: &str| KeyFile::load(&home.join("keys").join(format!("{name}.json"))).unwrap();
    let at = height(&node.url).await + 5;
    let activate = GovernanceMsg::Activate { module: "labour".into(), version: None, at_height: at };
    let proposal = GovernanceMsg::propose(&activate, "labour", wall_clock_ms() + 600_000);
    client.send(&TxBuilder::new(CHAIN, key("admin")), &proposal).await.unwrap();
    wait_height(&node.url, at, Duration::from_secs(30)).await;
    let (employer, other_employer) = (Keypair::generate(Algorithm::P256), Keypair::generate(Algorithm::P256));
    let federation = TxBuilder::new(CHAIN, key("employment-insurance"));
    for e in [&employer, &other_employer] {
        client.send(&federation, &LabourMsg::VouchEmployer { employer: e.public_key().address() }).await.unwrap();
    }
    let (a, b, c) = (
        Keypair::generate(Algorithm::Ed25519),
        Keypair::generate(Algorithm::Ed25519),
        Keypair::generate(Algorithm::Ed25519),
    );
    let contract_a = register(&client, &employer, &a, 1).await;
    let contract_b = register(&client, &employer, &b, 2).await;
    let contract_c = register(&client, &other_employer, &c, 3).await;

    let (staff_token, staff_hash) = new_token();
    let staff = ClientEntry { id: "centre-staff".into(), token_sha256: staff_hash, employers: vec![], per_minute: 600 };
    let store = dir.path().join("centre.redb");
    let centre = Centre::open(&node.url, &store, &[staff]).await.unwrap();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let serving = tokio::spawn(dojang_labour_service::grievance::serve(centre, listener, async {
        let _ = stopped.await;
    }));

    // Worker A gets this quarter's token for the contract, once.
    let token = worker::obtain_token(&url, CHAIN, &a, &contract_a).await.unwrap();
    assert_eq!(token.employer, employer.public_key().address().to_string());
    let again = worker::obtain_token(&url, CHAIN, &a, &contract_a).await.unwrap_err().to_string();
    assert!(again.contains("409") && again.contains("one report per job per quarter"), "{again}");
    // Not for another worker's contract, nor unsigned, nor for a contract not on the ledger.
    let other = worker::obtain_token(&url, CHAIN, &b, &contract_a).await.unwrap_err().to_string();
    assert!(other.contains("403"), "{other}");
    let http = reqwest::Client::new();
    let unsigned =
        http.post(format!("{url}/grievance/v1/keys")).json(&json!({"contract": contract_a})).send().await.unwrap();
    assert_eq!(unsigned.status().as_u16(), 401);
    let missing = worker::obtain_token(&url, CHAIN, &a, &"ab".repeat(16)).await.unwrap_err().to_string();
    assert!(missing.contains("404"), "{missing}");
    // A registration the worker never signed is the employer's word alone: no token.
    let d = Keypair::generate(Algorithm::Ed25519);
    let unsigned = register_unsigned(&client, &employer, &d, 4).await;
    let refused = worker::obtain_token(&url, CHAIN, &d, &unsigned).await.unwrap_err().to_string();
    assert!(refused.contains("422") && refused.contains("not signed"), "{refused}");
    // The same job registered again under a new id gets no second token.
    let again_a = register(&client, &employer, &a, 5).await;
    let second = worker::obtain_token(&url, CHAIN, &a, &again_a).await.unwrap_err().to_string();
    assert!(second.contains("409"), "{second}");

    // Malformed requests are refused with what was wrong, before anything is signed or stored.
    let post = |path: &str, body: Vec<u8>| {
        let (http, url) = (http.clone(), url.clone());
        let path = path.to_string();
        async move {
            let r = http
                .post(format!("{url}{path}"))
                .header("content-type", "application/json")
                .body(body)
                .send()
                .await
                .unwrap();
            let status = r.status().as_u16();
            let ctype = r.headers()["content-type"].to_str().unwrap().to_string();
            assert_eq!(ctype, "application/problem+json", "{path} answered {status}");
            status
        }
    };
    let token_body = |blinded: &str| serde_json::to_vec(&json!({"contract": contract_a, "blinded": blinded})).unwrap();
    assert_eq!(post("/grievance/v1/tokens", token_body("not base64!")).await, 400);
    assert_eq!(post("/grievance/v1/tokens", token_body("AAAA")).await, 400, "a blinded message of the wrong length");
    assert_eq!(post("/grievance/v1/tokens", b"{\"contract\": 1}".to_vec()).await, 400);
    assert_eq!(post("/grievance/v1/reports", b"{".to_vec()).await, 400);
    assert_eq!(post("/grievance/v1/reports", vec![b' '; 70 * 1024]).await, 413);
    assert_eq!(http.get(format!("{url}/grievance/v1/keys/x/y")).send().await.unwrap().status().as_u16(), 404);

    // A report's text and token fields are checked before the token is spent.
    let mut filing = serde_json::to_value(&token).unwrap();
    filing["text"] = json!(" ");
    assert_eq!(post("/grievance/v1/reports", serde_json::to_vec(&filing).unwrap()).await, 422, "no text");
    filing["text"] = json!("x".repeat(4_001));
    assert_eq!(post("/grievance/v1/reports", serde_json::to_vec(&filing).unwrap()).await, 422, "too long");
    filing["text"] = json!("ok");
    filing["randomizer"] = json!("AAAA");
    assert_eq!(post("/grievance/v1/reports", serde_json::to_vec(&filing).unwrap()).await, 400, "randomizer");
    filing["randomizer"] = json!(token.randomizer);
    filing["period"] = json!("1999-Q1");
    assert_eq!(post("/grievance/v1/reports", serde_json::to_vec(&filing).unwrap()).await, 422, "no key");

    // One report with it; the token is then spent.
    let text = "Paid 9,000 KRW an hour since September; no payslips.";
    assert!(worker::file_report(&url, &token, text).await.unwrap() > 0);
    let spent = worker::file_report(&url, &token, "again").await.unwrap_err().to_string();
    assert!(spent.contains("409") && spent.contains("used"), "{spent}");
    // A forged token, or one of another employer filed against this one, does not pass.
    let mut forged = token.clone();
    forged.message = {
        use base64::Engine;
        base64::engine::general_purpose::STANDARD.encode([7u8; 32])
    };
    assert!(worker::file_report(&url, &forged, "forged").await.unwrap_err().to_string().contains("422"));
    let token_c = worker::obtain_token(&url, CHAIN, &c, &contract_c).await.unwrap();
    let mut misdirected = token_c.clone();
    misdirected.employer = token.employer.clone();
    assert!(worker::file_report(&url, &misdirected, "elsewhere").await.unwrap_err().to_string().contains("422"));
    assert!(worker::file_report(&url, &token_c, "Unpaid overtime.").await.unwrap() > 0);
    // Worker B of the same employer has a token of its own.
    let token_b = worker::obtain_token(&url, CHAIN, &b, &contract_b).await.unwrap();
    assert!(worker::file_report(&url, &token_b, "No break on long days.").await.unwrap() > 0);

    // The staff read the reports: employer, quarter, text, day; nothing of the worker or contract.
    let unauth = http.get(format!("{url}/grievance/v1/reports")).send().await.unwrap();
    assert_eq!(unauth.status().as_u16(), 401);
    let reports: Value = http
        .get(format!("{url}/grievance/v1/reports"))
        .bearer_auth(&staff_token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let list = reports["reports"].as_array().unwrap();
    assert_eq!(list.len(), 3);
    let ids: Vec<u64> = list.iter().map(|r| r["id"].as_u64().unwrap()).collect();
    assert!(ids.iter().all(|id| *id < 1 << 53) && ids[0] != ids[1], "random report numbers: {ids:?}");
    let first = list.iter().find(|r| r["text"] == text).expect("the first report");
    assert_eq!(first["employer"], json!(token.employer));
    let fields: Vec<&str> = first.as_object().unwrap().keys().map(String::as_str).collect();
    assert_eq!(fields, ["employer", "filed_on", "id", "period", "text"]);
    let dump = reports.to_string();
    for trace in [contract_a.clone(), a.public_key().address().to_string(), b.public_key().address().to_string()] {
        assert!(!dump.contains(&trace), "a report names {trace}");
    }

    // The centre's store holds neither the token nor its signature: it cannot match a report to
    // the issuance (it signed a blinded message it never saw unblinded).
    let _ = stop.send(());
    serving.await.unwrap().unwrap();
    let bytes = std::fs::read(&store).unwrap();
    use base64::Engine;
    for secret in [&token.message, &token.signature, &token_b.message] {
        let raw = base64::engine::general_purpose::STANDARD.decode(secret).unwrap();
        assert!(!bytes.windows(raw.len()).any(|w| w == raw.as_slice()), "the store holds a token's bytes");
    }
    node.stop();
}
