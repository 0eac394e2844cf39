//! Credentials end to end against a real node: the identity registries set up by transaction,
//! an issuer service anchoring its status list, a wallet receiving over OpenID4VCI and
//! presenting, a verifier reading trust data with proofs, revocation and suspension taking
//! effect through the chain, and the wallet refusing a request beyond the registered policy.

mod common;

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use common::NodeProcess;
use dojang_credentials::issue::IssuerKey;
use dojang_credentials::{Request, TrustView as _, Verifier, VerifyError};
use dojang_crypto::{Algorithm, KeyFile, Keypair};
use dojang_issuer::{Book, ChainAnchoring, Issuer, Records, Settings};
use dojang_sdk::{Client, TrustedChain, TxBuilder, DEFAULT_MAX_AGE};
use dojang_trust::ChainTrust;
use dojang_wallet::{PresentationRequest, WalletError};
use serde_json::{json, Value};

const CHAIN: &str = "cred-test";
const ROOT: &str = "did:web:seoul.go.kr";
const AGENCY: &str = "did:web:ssis.seoul.go.kr";
const OFFICE: &str = "did:web:jobs.seoul.go.kr";
const VCT: &str = "urn:dojang:income-band:1";
const POLICY: &str = "jobs.public-works.2026";

fn now() -> u64 {
    dojang_types::wall_clock_ms() / 1000
}

async fn send(client: &Client, key: &Keypair, msg: Value) {
    send_to(client, key, "identity", msg).await
}

async fn send_to(client: &Client, key: &Keypair, module: &str, msg: Value) {
    let tx = TxBuilder::new(CHAIN, key.duplicate()).build(module, &msg);
    let s = client.submit(&tx, true).await.unwrap();
    let receipt = s.receipt.expect("final in time");
    assert_eq!(receipt["result"]["status"], "ok", "{msg}: {receipt}");
}

fn policy_query(claims: &[&str]) -> Value {
    let claims: Vec<Value> = claims.iter().map(|c| json!({"path": [c]})).collect();
    json!({"credentials": [{"id": "income", "format": "dc+sd-jwt", "meta": {"vct_values": [VCT]}, "claims": claims}]})
}

/// Root, type, agency with accreditation, office with its policy.
async fn set_up_registries(client: &Client, home: &Path, signing: &Keypair) {
    let key = |name: &str| KeyFile::load(&home.join(format!("keys/{name}.json"))).unwrap();
    let (admin, agency, office) = (key("admin"), key("social-security"), key("public-works-office"));
    let root_key = Keypair::generate(Algorithm::P256);
    send(
        client,
        &admin,
        json!({"type": "register_org", "did": ROOT, "kid": "root-1", "public_key": root_key.public_key()}),
    )
    .await;
    // Naming the trust root is the council's: the dev chain's council is the admin alone.
    let set_root = json!({"type": "propose", "reason": "the city is the trust root", "expires_at_ms": dojang_types::wall_clock_ms() + 60_000,
        "proposal": {"module": "identity", "msg": {"type": "set_root", "did": ROOT}}});
    send_to(client, &admin, "governance", set_root).await;
    let schema = dojang_types::sha256(&[b"income-band schema v1"]);
    send(client, &admin, json!({"type": "register_type", "vct": VCT, "schema_hash": schema,
        "concealable": ["income_le_65pct", "income_le_150pct", "household_size"], "thresholds": ["income_le_65pct", "income_le_150pct"]})).await;
    send(
        client,
        &agency,
        json!({"type": "register_org", "did": AGENCY, "kid": "sign-1", "public_key": signing.public_key()}),
    )
    .await;
    send(client, &admin, json!({"type": "accredit", "issuer": AGENCY, "vct": VCT})).await;
    let office_key = Keypair::generate(Algorithm::P256);
    send(
        client,
        &office,
        json!({"type": "register_org", "did": OFFICE, "kid": "o-1", "public_key": office_key.public_key()}),
    )
    .await;
    send(
        client,
        &office,
        json!({"type": "register_policy", "id": POLICY, "verifier": OFFICE,
        "legal_basis": "Framework Act on Employment Policy art. 16", "purpose": "selecting public-works workers",
        "retention_days": 365, "dcql": policy_query(&["income_le_65pct", "household_size"])}),
    )
    .await;
}

struct IssuerRunning {
    url: String,
    server: tokio::task::JoinHandle<()>,
}

impl Drop for IssuerRunning {
    fn drop(&mut self) {
        self.server.abort();
    }
}

async fn start_issuer(node: &str, home: &Path, signing: Keypair, state: &Path) -> IssuerRunning {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let settings: Settings =
        serde_json::from_value(json!({"did": AGENCY, "kid": "sign-1", "public_url": url})).unwrap();
    let records: Records = serde_json::from_value(json!({
        "credential_configurations": {"income_band": {"vct": VCT, "validity_days": 90}},
        "subjects": {"S-0001": {"income_band": {"income_le_65pct": true, "income_le_150pct": true, "household_size": 2, "monthly_income_krw": 1_450_000}}},
    }))
    .unwrap();
    let account = KeyFile::load(&home.join("keys/social-security.json")).unwrap();
    let anchoring = Arc::new(ChainAnchoring::new(node, CHAIN, account));
    let key = IssuerKey { did: AGENCY.into(), kid: "sign-1".into(), key: signing };
    let issuer = Issuer::start(settings, key, records, Book::open(state).unwrap(), anchoring).await.unwrap();
    let app = dojang_issuer::router(issuer, "desk-token-0123456789".into());
    let server = tokio::spawn(async move {
        axum::serve(listener, app).await.unwrap();
    });
    IssuerRunning { url, server }
}

async fn admin_post(issuer: &IssuerRunning, path: &str, body: Value) -> Value {
    let resp = reqwest::Client::new()
        .post(format!("{}{path}", issuer.url))
        .bearer_auth("desk-token-0123456789")
        .json(&body)
        .send()
        .await
        .unwrap();
    assert!(resp.status().is_success(), "{path}: {}", resp.status());
    resp.json().await.unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn issue_present_verify_revoke_through_the_chain() {
    let dir = tempfile::tempdir().unwrap();
    let home = dir.path().join("node");
    let out = std::process::Command::new(common::EXE)
        .args(["init", "--demo", "--chain-id", CHAIN, "--home"])
        .arg(&home)
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let node = NodeProcess::start(&home);
    let client = Client::new(&node.url);
    let signing = Keypair::generate(Algorithm::P256);
    set_up_registries(&client, &home, &signing).await;
    let issuer = start_issuer(&node.url, &home, signing, &dir.path().join("issuer")).await;

    // The desk makes an offer; the wallet receives three single-use copies.
    let offer = admin_post(
        &issuer,
        "/admin/offers",
        json!({"subject": "S-0001", "credential_configuration_id": "income_band", "pin": true}),
    )
    .await;
    let uri = offer["credential_offer_uri"].as_str().unwrap();
    // Wallet and verifier read trust data from the chain with proofs, pinned from the genesis.
    let genesis = dojang_ledger::Genesis::load(&home.join("genesis.json")).unwrap();
    let pinned = || TrustedChain::new(CHAIN, genesis.validator_set(), DEFAULT_MAX_AGE);
    let wallet_trust = ChainTrust::new(&node.url, pinned(), Duration::from_secs(30));
    let mut wallet = dojang_wallet::Contents::default();
    let no_pin = dojang_wallet::receive(uri, None, 3, now(), &wallet_trust).await;
    assert!(matches!(no_pin, Err(WalletError::Offer(_))), "PIN required");
    let cred = dojang_wallet::receive(uri, offer["tx_code"].as_str(), 3, now(), &wallet_trust).await.unwrap();
    assert_eq!(cred.copies.len(), 3);
    assert_eq!(cred.issuer, AGENCY, "the issuer as the chain names it");
    wallet.credentials.push(cred);

    let trust = ChainTrust::new(&node.url, pinned(), Duration::from_secs(30));
    let verifier = Verifier::new(trust.clone(), 300);
    trust.load_policy(POLICY).await.unwrap();
    let policy = trust.policy(POLICY).unwrap().unwrap();

    let ask = |nonce: String, claims: &[&str]| PresentationRequest {
        client_id: OFFICE.into(),
        nonce,
        policy: POLICY.into(),
        dcql_query: policy_query(claims),
        response_uri: None,
        transaction_data: Vec::new(),
    };
    let present = |wallet: &mut dojang_wallet::Contents, req: &PresentationRequest| {
        let q = dojang_wallet::check_request(req, Some(&policy)).unwrap();
        let vp = dojang_wallet::answer(wallet, req, &policy, &q, now()).unwrap();
        vp["income"][0].as_str().unwrap().to_string()
    };

    let req = ask(verifier.nonce(now()), &["income_le_65pct", "household_size"]);
    let p = present(&mut wallet, &req);
    trust.prepare(&p, POLICY).await.unwrap();
    let request = Request { nonce: req.nonce.clone(), audience: OFFICE.into(), policy_id: POLICY.into() };
    let v = verifier.verify(&p, &request, now()).unwrap();
    assert_eq!(v.claims["income_le_65pct"], true);
    assert!(!v.claims.contains_key("monthly_income_krw"), "the income itself never reaches the verifier");
    assert_eq!(v.status_version, 1);
    assert_eq!(verifier.verify(&p, &request, now()).unwrap_err(), VerifyError::Replayed);
    assert_eq!(wallet.history.len(), 1);

    // Asking beyond the policy: the wallet refuses before anything is disclosed.
    let greedy = ask(verifier.nonce(now()), &["income_le_65pct", "monthly_income_krw"]);
    let err = dojang_wallet::check_request(&greedy, Some(&policy)).unwrap_err();
    assert!(matches!(err, WalletError::Refused(ref m) if m.contains("monthly_income_krw")), "{err}");
    let impostor = PresentationRequest {
        client_id: "did:web:evil.example.kr".into(),
        ..ask(verifier.nonce(now()), &["income_le_65pct"])
    };
    assert!(matches!(dojang_wallet::check_request(&impostor, Some(&policy)), Err(WalletError::Refused(_))));

    // Suspension of the accreditation after issuance, through the chain.
    let admin = KeyFile::load(&home.join("keys/admin.json")).unwrap();
    send(&client, &admin, json!({"type": "suspend_accreditation", "issuer": AGENCY, "vct": VCT})).await;
    trust.invalidate();
    let req = ask(verifier.nonce(now()), &["income_le_65pct", "household_size"]);
    let p = present(&mut wallet, &req);
    trust.prepare(&p, POLICY).await.unwrap();
    let request = Request { nonce: req.nonce.clone(), audience: OFFICE.into(), policy_id: POLICY.into() };
    let err = verifier.verify(&p, &request, now()).unwrap_err();
    assert!(matches!(err, VerifyError::IssuerSuspended { .. }), "{err}");
    send(&client, &admin, json!({"type": "reinstate_accreditation", "issuer": AGENCY, "vct": VCT})).await;

    // Revocation: the issuer publishes version 2, anchored; the verifier sees it.
    let r = admin_post(
        &issuer,
        "/admin/status",
        json!({"subject": "S-0001", "credential_configuration_id": "income_band", "status": "revoked"}),
    )
    .await;
    assert_eq!(r["status_list_version"], 2);
    trust.invalidate();
    let req = ask(verifier.nonce(now()), &["income_le_65pct", "household_size"]);
    let p = present(&mut wallet, &req);
    trust.prepare(&p, POLICY).await.unwrap();
    let request = Request { nonce: req.nonce.clone(), audience: OFFICE.into(), policy_id: POLICY.into() };
    assert!(matches!(verifier.verify(&p, &request, now()).unwrap_err(), VerifyError::Revoked { .. }));

    // No copies left: the wallet says so instead of reusing one.
    let req = ask(verifier.nonce(now()), &["income_le_65pct"]);
    let q = dojang_wallet::check_request(&req, Some(&policy)).unwrap();
    assert!(matches!(dojang_wallet::answer(&mut wallet, &req, &policy, &q, now()), Err(WalletError::NoCredential(_))));
    node.stop();
}
