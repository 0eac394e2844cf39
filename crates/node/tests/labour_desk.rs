//! The labour desk driven as an outside app would: plain HTTP and JSON with a bearer token,
//! transactions signed on the app's side. A demo node serves the member organisation of the
//! labour collection; the council switches on the collections and labour modules, defines the
//! collection, the federation (an issuer) vouches for the employer. The app drafts, is told
//! what is missing in Korean and English, stores and registers a contract, the worker signs,
//! a week under the minimum wage is stored and committed, and the findings say what is owed.
//! Names and wages stay off the ledger and out of the desk's index.

mod common;

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

use common::net::{height, wait_height};
use common::{NodeProcess, EXE};
use dojang_collections::CollectionsMsg;
use dojang_crypto::{Algorithm, KeyFile, KeyProtection, Keypair};
use dojang_governance::GovernanceMsg;
use dojang_sdk::{Client, TxBuilder};
use dojang_types::wall_clock_ms;
use serde_json::{json, Value};

const CHAIN: &str = "desk-test";
const WORKER_NAME: &str = "DESKTEST 김민수";
const EMPLOYER_NAME: &str = "카페 DESKTEST";
const WORKPLACE: &str = "Cafe DESKTEST, Mapo-gu, Seoul";
const WAGE: u64 = 10_987;

/// The desk process; killed when dropped.
struct DeskProcess {
    child: Child,
    url: String,
}

impl Drop for DeskProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The desk's config: the apps' lines after `[desk]`.
fn write_desk_config(path: &Path, node: &str, apps: &[&str]) {
    let text = format!(
        "[desk]\nlisten_addr = \"127.0.0.1:0\"\nnode = \"{node}\"\nmember_key = \"node/keys/member.json\"\nstore = \"desk.redb\"\n\n{}\n",
        apps.join("\n\n")
    );
    std::fs::write(path, text).unwrap();
}

fn start_desk(config: &Path) -> DeskProcess {
    let mut child = Command::new(EXE)
        .args(["labour", "desk", "--config"])
        .arg(config)
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            if let Some(rest) = line.strip_prefix("labour desk on ") {
                let _ = tx.send(rest.split_whitespace().next().unwrap_or_default().to_string());
            }
        }
    });
    let url = rx.recv_timeout(Duration::from_secs(30)).unwrap_or_else(|_| {
        let _ = child.kill();
        panic!("the desk did not start");
    });
    DeskProcess { child, url }
}

/// `dojang labour new-client`: the token (from the comment line) and the config lines.
fn new_client(id: &str, employers: &[&str], per_minute: u32) -> (String, String) {
    let out = Command::new(EXE).args(["labour", "new-client", "--id", id]).output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let text = String::from_utf8(out.stdout).unwrap();
    let token = text.lines().find_map(|l| l.strip_prefix("# token: ")).unwrap().to_string();
    let list: Vec<String> = employers.iter().map(|e| format!("\"{e}\"")).collect();
    let lines = text
        .lines()
        .filter(|l| !l.starts_with('#'))
        .map(|l| match l {
            "employers = []" => format!("employers = [{}]", list.join(", ")),
            "per_minute = 120" => format!("per_minute = {per_minute}"),
            other => other.to_string(),
        })
        .collect::<Vec<_>>()
        .join("\n");
    (token, lines)
}

async fn govern<M: dojang_types::ModuleMessage>(client: &Client, admin: &Keypair, msg: &M, why: &str) {
    let r = client
        .send(&TxBuilder::new(CHAIN, admin.duplicate()), &GovernanceMsg::propose(msg, why, wall_clock_ms() + 600_000))
        .await
        .unwrap();
    assert!(r["events"].as_array().unwrap().iter().any(|e| e["kind"] == "proposal_executed"), "{why}: {r}");
}

struct App {
    http: reqwest::Client,
    base: String,
    token: String,
}

impl App {
    async fn call(
        &self,
        method: reqwest::Method,
        path: &str,
        body: Option<Value>,
    ) -> (u16, Value, reqwest::header::HeaderMap) {
        let mut req = self.http.request(method, format!("{}{path}", self.base)).bearer_auth(&self.token);
        if let Some(b) = body {
            req = req.json(&b);
        }
        let resp = req.send().await.unwrap();
        let (status, headers) = (resp.status().as_u16(), resp.headers().clone());
        let ctype = headers.get("content-type").map(|v| v.to_str().unwrap().to_string()).unwrap_or_default();
        let v: Value = resp.json().await.unwrap_or(Value::Null);
        if status >= 400 {
            assert_eq!(ctype, "application/problem+json", "{path}: {v}");
            assert_eq!(v["status"], status, "{path}: {v}");
        }
        (status, v, headers)
    }

    async fn post(&self, path: &str, body: Value) -> (u16, Value) {
        let (s, v, _) = self.call(reqwest::Method::POST, path, Some(body)).await;
        (s, v)
    }

    async fn post_raw(&self, path: &str, body: Vec<u8>) -> (u16, Value) {
        let resp = self
            .http
            .post(format!("{}{path}", self.base))
            .bearer_auth(&self.token)
            .header("content-type", "application/json")
            .body(body)
            .send()
            .await
            .unwrap();
        let status = resp.status().as_u16();
        let ctype = resp.headers().get("content-type").map(|v| v.to_str().unwrap().to_string()).unwrap_or_default();
        assert_eq!(ctype, "application/problem+json", "{path}: {status}");
        (status, resp.json().await.unwrap())
    }

    async fn get(&self, path: &str) -> (u16, Value) {
        let (s, v, _) = self.call(reqwest::Method::GET, path, None).await;
        (s, v)
    }

    /// A party's own request, signed with their account, forwarded by the app.
    async fn post_signed(&self, path: &str, body: Value, key: &Keypair) -> (u16, Value) {
        let bytes = serde_json::to_vec(&body).unwrap();
        let signed = dojang_private::request::Signed {
            chain_id: CHAIN,
            method: "POST",
            path,
            time_ms: wall_clock_ms(),
            body: &bytes,
            reply_key: None,
        };
        let mut req = self
            .http
            .post(format!("{}{path}", self.base))
            .bearer_auth(&self.token)
            .header("content-type", "application/json");
        for (name, value) in signed.sign(key).unwrap() {
            req = req.header(name, value);
        }
        let resp = req.body(bytes).send().await.unwrap();
        let status = resp.status().as_u16();
        (status, resp.json().await.unwrap_or(Value::Null))
    }

    /// Signs the message the desk answered as `key` and relays it through the desk.
    async fn sign_and_send(&self, key: &Keypair, sign: &Value) -> (u16, Value) {
        self.send_on(CHAIN, key, sign).await
    }

    async fn send_on(&self, chain: &str, key: &Keypair, sign: &Value) -> (u16, Value) {
        let tx =
            TxBuilder::new(chain, key.duplicate()).try_build(sign["module"].as_str().unwrap(), &sign["msg"]).unwrap();
        self.post("/labour/v1/txs", json!({"tx": hex::encode(dojang_types::encode(&tx))})).await
    }

    /// Relays and expects the ledger to accept it.
    async fn accepted(&self, key: &Keypair, sign: &Value) {
        let (s, receipt) = self.sign_and_send(key, sign).await;
        assert_eq!((s, &receipt["result"]["status"]), (200, &json!("ok")), "{sign}: {receipt}");
    }
}

/// A template filled in; the wage is one no legal table holds, so it can be searched for.
fn filled_draft(template: &Value) -> Value {
    let mut d = template.clone();
    d["start"] = json!("2026-03-02");
    d["end"] = json!("2026-08-31");
    d["workplace"] = json!(WORKPLACE);
    d["duties"] = json!("serving and cleaning");
    d["wage_krw"] = json!(WAGE);
    d["workplace_employees"] = json!(4);
    d["worker_birth_date"] = json!("2001-05-05");
    d
}

/// A demo node serving the member organisation, with both modules on, the collection defined
/// and the employer vouched for by the federation.
struct World {
    dir: tempfile::TempDir,
    home: std::path::PathBuf,
    node: NodeProcess,
    employer: Keypair,
    stranger: Keypair,
    worker: Keypair,
}

impl World {
    async fn new() -> World {
        let dir = tempfile::tempdir().unwrap();
        let home = dir.path().join("node");
        common::init_demo(&home, CHAIN);
        let member = Keypair::generate(Algorithm::Ed25519);
        KeyFile::save_new(&member, &home.join("keys").join("member.json"), KeyProtection::Clear).unwrap();
        let config = home.join("config.toml");
        let mut doc: toml::Table = std::fs::read_to_string(&config).unwrap().parse().unwrap();
        let mut private = toml::Table::new();
        private.insert("member_key".into(), "keys/member.json".into());
        doc.insert("private".into(), toml::Value::Table(private));
        std::fs::write(&config, toml::to_string(&doc).unwrap()).unwrap();
        let node = NodeProcess::start(&home);
        let client = Client::new(&node.url);
        let key = |name: &str| KeyFile::load(&home.join("keys").join(format!("{name}.json"))).unwrap();
        let admin = key("admin");
        let mut at = 0;
        for module in ["collections", "labour"] {
            at = height(&node.url).await + 5;
            let activate = GovernanceMsg::Activate { module: module.into(), version: None, at_height: at };
            govern(&client, &admin, &activate, &format!("{module} from this release")).await;
        }
        wait_height(&node.url, at, Duration::from_secs(30)).await;
        let define = CollectionsMsg::Define {
            id: "labour-contracts".into(),
            members: vec![member.public_key().address()],
            erasure_approvals: 1,
            retention_days: 1095,
        };
        govern(&client, &admin, &define, "part-time contracts").await;
        let employer = Keypair::generate(Algorithm::P256);
        let federation = TxBuilder::new(CHAIN, key("employment-insurance"));
        let vouch = dojang_labour::LabourMsg::VouchEmployer { employer: employer.public_key().address() };
        client.send(&federation, &vouch).await.unwrap();
        let (stranger, worker) = (Keypair::generate(Algorithm::Ed25519), Keypair::generate(Algorithm::Ed25519));
        World { dir, home, node, employer, stranger, worker }
    }

    fn addr(k: &Keypair) -> String {
        k.public_key().address().to_string()
    }

    fn new_contract(&self, terms: Value, employer: &str) -> Value {
        json!({
            "employer": employer,
            "worker": Self::addr(&self.worker),
            "parties": {"employer_name": EMPLOYER_NAME, "worker_name": WORKER_NAME},
            "terms": terms,
        })
    }
}

/// Status list versions "anchored" in memory: the desk test's issuer needs no organisation on
/// chain (the demo runs an accredited one).
struct NoChain;

#[async_trait::async_trait]
impl dojang_issuer::Anchoring for NoChain {
    async fn anchor(&self, _did: &str, _uri: &str, version: u64, _hash: [u8; 32]) -> Result<u64, String> {
        Ok(version)
    }
}

const ISSUER_ADMIN: &str = "career-issuer-admin-token";

/// The federation's credential issuer, with a career configuration whose claims come with
/// each offer; served until the handle is aborted.
async fn career_issuer(dir: &Path) -> (String, tokio::task::JoinHandle<()>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let records: dojang_issuer::Records = serde_json::from_value(json!({
        "credential_configurations": {"career": {"vct": "urn:dojang:career:1", "validity_days": 3650, "claims_in_offer": true}},
        "subjects": {},
    }))
    .unwrap();
    let settings: dojang_issuer::Settings =
        serde_json::from_value(json!({"did": "did:web:sbiz.seoul.kr", "kid": "k1", "public_url": url})).unwrap();
    let key = dojang_credentials::issue::IssuerKey {
        did: settings.did.clone(),
        kid: "k1".into(),
        key: Keypair::generate(Algorithm::P256),
    };
    let book = dojang_issuer::Book::open(&dir.join("issuer")).unwrap();
    let issuer =
        dojang_issuer::Issuer::start(settings, key, records, book, std::sync::Arc::new(NoChain)).await.unwrap();
    let app = dojang_issuer::router(issuer, ISSUER_ADMIN.into());
    (url, tokio::spawn(async move { axum::serve(listener, app).await.unwrap() }))
}

/// Redeems an offer (pre-authorized code and PIN) at the issuer, as a wallet does; the
/// credential's claims that were concealable (each of them disclosed).
async fn redeem(http: &reqwest::Client, issuer: &str, offer: &Value) -> serde_json::Map<String, Value> {
    let code = offer["credential_offer"]["grants"]["urn:ietf:params:oauth:grant-type:pre-authorized_code"]
        ["pre-authorized_code"]
        .as_str()
        .unwrap();
    let form = [
        ("grant_type", "urn:ietf:params:oauth:grant-type:pre-authorized_code"),
        ("pre-authorized_code", code),
        ("tx_code", offer["tx_code"].as_str().unwrap()),
    ];
    let token: Value = http.post(format!("{issuer}/token")).form(&form).send().await.unwrap().json().await.unwrap();
    let nonce: Value = http.post(format!("{issuer}/nonce")).send().await.unwrap().json().await.unwrap();
    let holder = Keypair::generate(Algorithm::P256);
    let mut header = serde_json::Map::new();
    header.insert("typ".into(), json!("openid4vci-proof+jwt"));
    header.insert("jwk".into(), json!(dojang_credentials::jose::Jwk::from_public_key(&holder.public_key())));
    let proof = dojang_credentials::jose::sign_compact(
        &holder,
        header,
        &json!({"aud": issuer, "iat": wall_clock_ms() / 1000, "nonce": nonce["c_nonce"]}),
    );
    let resp: Value = http
        .post(format!("{issuer}/credential"))
        .bearer_auth(token["access_token"].as_str().unwrap())
        .json(&json!({"credential_configuration_id": "career", "proofs": {"jwt": [proof]}}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let sd = dojang_credentials::sdjwt::SdJwt::parse(resp["credentials"][0]["credential"].as_str().unwrap()).unwrap();
    let jws = dojang_credentials::jose::Jws::parse(&sd.jwt).unwrap();
    assert_eq!(jws.payload["vct"], "urn:dojang:career:1");
    let mut all = dojang_credentials::sdjwt::disclose(&jws.payload, &sd.disclosures).unwrap().claims;
    all.retain(|name, _| !jws.payload.contains_key(name));
    all
}

fn week(monday: &str, days: usize, paid_per_hour: u64) -> Value {
    let m: dojang_types::Date = monday.parse().unwrap();
    let days: Vec<Value> = (0..days)
        .map(|i| json!({"date": m.plus_days(i as i64), "start": 600, "end": 930, "break_minutes": 30}))
        .collect();
    let n = days.len() as u64;
    json!({"week": {"monday": monday, "days": days, "pay": {"base_krw": n * 5 * paid_per_hour}}})
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_outside_app_drafts_registers_amends_and_checks_contracts_through_the_desk() {
    let w = World::new().await;
    let (e_addr, w_addr) = (World::addr(&w.employer), World::addr(&w.worker));

    // The operator configures three apps: the federation's contract app, another app for the
    // same employer, and one with a quota of one request a minute.
    let (token, app_lines) = new_client("federation-app", &[&e_addr], 600);
    let (other_token, other_lines) = new_client("other-app", &[&e_addr], 600);
    let (slow_token, slow_lines) = new_client("slow-app", &[&e_addr], 1);
    let desk_toml = w.dir.path().join("desk.toml");
    let (issuer_url, issuer) = career_issuer(w.dir.path()).await;
    let career_lines = format!("[desk.career]\nissuer_url = \"{issuer_url}\"\nadmin_token = \"{ISSUER_ADMIN}\"");
    write_desk_config(&desk_toml, &w.node.url, &[&app_lines, &other_lines, &slow_lines, &career_lines]);

    // A desk whose key is not the member organisation's stops at start and says why.
    let outsider_key = w.dir.path().join("outsider.json");
    KeyFile::save_new(&Keypair::generate(Algorithm::Ed25519), &outsider_key, KeyProtection::Clear).unwrap();
    let wrong_toml = w.dir.path().join("wrong.toml");
    let text = std::fs::read_to_string(&desk_toml).unwrap();
    std::fs::write(&wrong_toml, text.replace("node/keys/member.json", "outsider.json")).unwrap();
    let out = Command::new(EXE).args(["labour", "desk", "--config"]).arg(&wrong_toml).output().unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("is not a member of collection"), "{out:?}");

    let desk = start_desk(&desk_toml);
    let http = reqwest::Client::new();
    let as_app = |token: &str| App { http: http.clone(), base: desk.url.clone(), token: token.to_string() };
    let (app, other, slow) = (as_app(&token), as_app(&other_token), as_app(&slow_token));

    // Without a token, or with a wrong one: 401 with the scheme to use. The API is described.
    let (s, _, h) = as_app("djl_wrong").call(reqwest::Method::GET, "/labour/v1/templates", None).await;
    assert_eq!(s, 401);
    assert!(h["www-authenticate"].to_str().unwrap().starts_with("Bearer"));
    let openapi: Value = http.get(format!("{}/openapi.json", desk.url)).send().await.unwrap().json().await.unwrap();
    assert!(openapi["paths"]["/labour/v1/contracts"]["post"].is_object());

    // Templates, and LAB-01 on an unfilled one: every missing item, in both languages.
    let (s, t) = app.get("/labour/v1/templates").await;
    assert_eq!(s, 200);
    let template =
        t["templates"].as_array().unwrap().iter().find(|t| t["id"] == "part-time-weekdays").unwrap()["draft"].clone();
    let (s, verdict) = app.post("/labour/v1/lint", template.clone()).await;
    assert_eq!((s, &verdict["complete"]), (200, &json!(false)));
    let items: Vec<&str> =
        verdict["problems"].as_array().unwrap().iter().map(|p| p["item"].as_str().unwrap()).collect();
    assert_eq!(items, ["period", "workplace", "duties", "wage_amount", "workplace_employees", "worker_birth_date"]);
    assert!(verdict["problems"][0]["ko"].as_str().unwrap().contains("계약 기간"));
    let (s, p) = app.post("/labour/v1/contracts", w.new_contract(template.clone(), &e_addr)).await;
    assert_eq!(s, 422, "{p}");
    let detail = p["detail"].as_str().unwrap();
    assert!(detail.contains("LAB-01") && detail.contains("근무 장소") && detail.contains("place of work"), "{p}");

    // Malformed requests: refused with what was wrong.
    assert_eq!(app.post("/labour/v1/lint", json!({"wage_krw": "ten"})).await.0, 400);
    assert_eq!(app.post("/labour/v1/lint", json!({"salary": 1})).await.0, 400);
    assert_eq!(app.post_raw("/labour/v1/lint", b"{\"start\": ".to_vec()).await.0, 400);
    assert_eq!(app.post_raw("/labour/v1/lint", vec![b' '; 70 * 1024]).await.0, 413);
    assert_eq!(app.call(reqwest::Method::DELETE, "/labour/v1/lint", None).await.0, 405);
    assert_eq!(app.get("/labour/v1/nothing-here").await.0, 404);
    assert_eq!(app.get("/labour/v1/contracts/not-an-id").await.0, 404);
    assert_eq!(app.get(&format!("/labour/v1/contracts/{}", "ab".repeat(16))).await.0, 404);
    for bad in [json!({"tx": "zz"}), json!({"tx": "00ff"}), json!({"transaction": "00"})] {
        assert_eq!(app.post("/labour/v1/txs", bad.clone()).await.0, 400, "{bad}");
    }
    let stranger = World::addr(&w.stranger);
    assert_eq!(app.post("/labour/v1/contracts", w.new_contract(filled_draft(&template), &stranger)).await.0, 403);
    let mut nameless = w.new_contract(filled_draft(&template), &e_addr);
    nameless["parties"]["worker_name"] = json!(" ");
    assert_eq!(app.post("/labour/v1/contracts", nameless).await.0, 422);

    // A complete draft: stored in the collection, the registration for the employer to sign.
    let (s, stored) = app.post("/labour/v1/contracts", w.new_contract(filled_draft(&template), &e_addr)).await;
    assert_eq!(s, 201, "{stored}");
    let id = stored["contract"].as_str().unwrap().to_string();
    let register = stored["sign"].clone();
    assert_eq!((&register["msg"]["type"], &register["msg"]["commitment"]), (&json!("register"), &stored["commitment"]));
    // Before it is registered there is nothing to amend, no week to store, no finding.
    let contract = |tail: &str| format!("/labour/v1/contracts/{id}{tail}");
    assert_eq!(app.post(&contract("/versions"), json!({"terms": filled_draft(&template)})).await.0, 409);
    assert_eq!(app.post(&contract("/timesheets"), week("2026-03-02", 5, WAGE)).await.0, 409);
    assert_eq!(app.get(&contract("/findings")).await.0, 409);
    // What the relay refuses: another commitment, another worker, a message of another
    // module or chain, the federation's message, a signer who is not the party.
    let mut forged = register.clone();
    forged["msg"]["commitment"] = json!("00".repeat(32));
    let (s, p) = app.sign_and_send(&w.employer, &forged).await;
    assert_eq!((s, p["type"].as_str().unwrap().ends_with("not-the-stored-document")), (422, true), "{p}");
    let mut other_worker = register.clone();
    other_worker["msg"]["worker"] = json!(stranger);
    assert_eq!(app.sign_and_send(&w.employer, &other_worker).await.0, 422);
    let anchor =
        json!({"module": "anchor", "msg": {"type": "anchor", "namespace": "x", "root": "00".repeat(32), "leaves": 1}});
    assert_eq!(app.sign_and_send(&w.employer, &anchor).await.0, 422);
    assert_eq!(app.send_on("another-chain", &w.employer, &register).await.0, 422);
    let vouch = json!({"module": "labour", "msg": {"type": "vouch_employer", "employer": stranger}});
    assert_eq!(app.sign_and_send(&w.employer, &vouch).await.0, 422);
    assert_eq!(app.sign_and_send(&w.stranger, &register).await.0, 403);
    assert_eq!(app.sign_and_send(&w.worker, &register).await.0, 403, "the worker does not register");
    // Another app, even for the same employer, does not see or touch this contract.
    assert_eq!(other.get(&contract("")).await.0, 404);
    assert_eq!(other.get(&contract("/findings")).await.0, 404);
    assert_eq!(other.post(&contract("/timesheets"), week("2026-03-02", 5, WAGE)).await.0, 404);
    assert_eq!(other.sign_and_send(&w.employer, &register).await.0, 404);

    app.accepted(&w.employer, &register).await;
    // The worker signs version 1 (the receipt of their copy); the employer cannot for them.
    let sign = |v: u32, c: &Value| json!({"module": "labour", "msg": {"type": "sign", "contract": id, "version": v, "commitment": c}});
    assert_eq!(app.sign_and_send(&w.employer, &sign(1, &stored["commitment"])).await.0, 403);
    app.accepted(&w.worker, &sign(1, &stored["commitment"])).await;

    // An amendment: stored, replaced while pending, then registered and signed.
    let mut v2 = filled_draft(&template);
    v2["duties"] = json!("serving, cleaning and the till");
    let (s, pending) = app.post(&contract("/versions"), json!({"terms": v2})).await;
    assert_eq!((s, &pending["version"]), (201, &json!(2)), "{pending}");
    v2["end"] = json!("2026-07-31");
    let (s, amended) = app.post(&contract("/versions"), json!({"terms": v2, "parties": null})).await;
    assert_eq!((s, &amended["version"]), (201, &json!(2)), "a pending version is replaced: {amended}");
    assert_eq!(app.sign_and_send(&w.employer, &pending["sign"]).await.0, 422, "the replaced version is not relayed");
    app.accepted(&w.employer, &amended["sign"]).await;
    app.accepted(&w.worker, &sign(2, &amended["commitment"])).await;
    let (s, c) = app.get(&contract("")).await;
    assert_eq!(s, 200, "{c}");
    assert_eq!(c["versions"][0]["parties"]["worker_name"], WORKER_NAME);
    assert_eq!(c["versions"][1]["terms"]["duties"], "serving, cleaning and the till");
    assert_eq!(c["versions"][1]["parties"]["employer_name"], EMPLOYER_NAME, "kept from version 1");
    assert_eq!((c["ledger"]["versions"].as_array().unwrap().len(), &c["ledger_agrees"]), (2, &json!(true)));
    assert_eq!(c["ledger"]["ends"], "2026-07-31");
    // The worker's copy: each version's exact bytes and salt give the ledger's commitment.
    let (s, copy) = app.get(&contract("/copy")).await;
    assert_eq!(
        (s, &copy["kind"], &copy["worker"]),
        (200, &json!("dojang/labour/worker-copy/v1"), &json!(w_addr)),
        "{copy}"
    );
    for (i, v) in copy["versions"].as_array().unwrap().iter().enumerate() {
        use base64::Engine as _;
        let payload = base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(v["payload"].as_str().unwrap()).unwrap();
        let salt: [u8; 32] = hex::decode(v["salt"].as_str().unwrap()).unwrap().try_into().unwrap();
        let recomputed =
            dojang_collections::rules::commitment("labour-contracts", v["key"].as_str().unwrap(), &salt, &payload);
        assert_eq!(json!(recomputed), c["ledger"]["versions"][i]["commitment"], "version {}", i + 1);
        assert!(String::from_utf8(payload).unwrap().contains(WORKER_NAME));
    }
    assert_eq!(copy["versions"].as_array().unwrap().len(), 2);
    assert_eq!(other.get(&contract("/copy")).await.0, 404, "another app gets no copy");

    // Weeks: outside the contract or in the future refused; a week paid 9,000 KRW an hour,
    // below 2026's 10,320, stored, committed and found (LAB-02); a recorded week kept.
    let (s, p) = app
        .post(&contract("/timesheets"), json!({"week": {"monday": "2026-03-03", "days": [], "pay": {"base_krw": 0}}}))
        .await;
    assert_eq!(s, 422, "a week starts on a Monday: {p}");
    assert_eq!(app.post(&contract("/timesheets"), week("2026-02-23", 5, WAGE)).await.0, 422);
    assert_eq!(app.post(&contract("/timesheets"), week("2026-08-03", 5, WAGE)).await.0, 422, "after the amended end");
    let (s, ts) = app.post(&contract("/timesheets"), week("2026-03-02", 5, 9_000)).await;
    assert_eq!(s, 201, "{ts}");
    app.accepted(&w.employer, &ts["sign"]).await;
    assert_eq!(app.post(&contract("/timesheets"), week("2026-03-02", 5, WAGE)).await.0, 409);
    let (s, stored_only) = app.post(&contract("/timesheets"), week("2026-03-09", 5, 1)).await;
    assert_eq!(s, 201, "{stored_only}");
    // The copy carries both stored weeks, each provable: the one on the ledger and the one not.
    let (_, copy) = app.get(&contract("/copy")).await;
    let weeks = copy["weeks"].as_array().unwrap();
    let mondays: Vec<&str> = weeks.iter().map(|w| w["monday"].as_str().unwrap()).collect();
    assert_eq!(mondays, ["2026-03-02", "2026-03-09"], "{copy}");
    for (w, sent) in weeks.iter().zip([&ts, &stored_only]) {
        use base64::Engine as _;
        let payload = base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(w["payload"].as_str().unwrap()).unwrap();
        let salt: [u8; 32] = hex::decode(w["salt"].as_str().unwrap()).unwrap().try_into().unwrap();
        let recomputed =
            dojang_collections::rules::commitment("labour-contracts", w["key"].as_str().unwrap(), &salt, &payload);
        assert_eq!(json!(recomputed), sent["sign"]["msg"]["commitment"], "{w}");
    }
    let (s, report) = app.get(&contract("/findings")).await;
    assert_eq!(s, 200, "{report}");
    assert_eq!(
        (&report["terms_version"], &report["terms_signed"], &report["weeks"]),
        (&json!(2), &json!(true), &json!(1)),
        "only the week on the ledger counts: {report}"
    );
    let lab02: Vec<&Value> = report["findings"].as_array().unwrap().iter().filter(|f| f["rule"] == "LAB-02").collect();
    assert!(lab02.iter().any(|f| f["owed_krw"] == 25 * (10_320 - 9_000)), "{report}");
    // No weekly holiday allowance was paid either: 25 h a week earns 5 h at the contract's wage.
    let lab03 = report["findings"].as_array().unwrap().iter().find(|f| f["rule"] == "LAB-03").expect("LAB-03");
    assert_eq!(lab03["owed_krw"], 5 * WAGE, "{lab03}");
    assert_eq!(report["owed_krw"], 25 * (10_320 - 9_000) + 5 * WAGE, "{report}");
    // LAB-11: the records are kept three years past the amended end.
    assert_eq!(report["keep_records_until"], "2029-07-31", "{report}");

    // Insurance (LAB-08): every report is long overdue for a contract from March; declaring
    // one filed in time takes it off the list. A date to come or an unknown insurance is refused.
    let lab08 = |r: &Value| r["findings"].as_array().unwrap().iter().filter(|f| f["rule"] == "LAB-08").count();
    assert_eq!(lab08(&report), 4, "{report}");
    let declare = |insurance: &str, on: &str| json!({"insurance": insurance, "reported_on": on});
    assert_eq!(app.post(&contract("/reports"), declare("dental", "2026-03-10")).await.0, 422);
    assert_eq!(app.post(&contract("/reports"), declare("employment", "2099-01-01")).await.0, 422);
    assert_eq!(other.post(&contract("/reports"), declare("employment", "2026-03-10")).await.0, 404);
    let (s, declared) = app.post(&contract("/reports"), declare("employment", "2026-03-10")).await;
    assert_eq!((s, &declared["declared"]["employment"]), (200, &json!("2026-03-10")), "{declared}");
    let (_, report) = app.get(&contract("/findings")).await;
    assert_eq!(lab08(&report), 3, "{report}");
    // LAB-12: four employees is below the threshold for paid annual leave, so none is earned.
    assert_eq!(report["annual_leave_earned"], json!({"days": 0, "minutes": 0}), "{report}");

    // LAB-09 from the payments on record: none yet, so the payment checks do not run.
    let lab09 = |r: &Value| -> Vec<Value> {
        r["findings"].as_array().unwrap().iter().filter(|f| f["rule"] == "LAB-09").cloned().collect()
    };
    assert_eq!((report["payments"].as_u64(), lab09(&report).len()), (Some(0), 0), "{report}");
    let paid = |date: &str, covers: &str, amount: u64| json!({"payment": {"date": date, "amount_krw": amount, "covers_until": covers, "payslip": false, "to_own_account": true}});
    assert_eq!(app.post(&contract("/payments"), paid("2026-04-10", "2026-03-31", 0)).await.0, 422, "no amount");
    assert_eq!(app.post(&contract("/payments"), paid("2099-04-10", "2026-03-31", 1)).await.0, 422, "not made yet");
    assert_eq!(app.post(&contract("/payments"), paid("2026-04-10", "2026-02-28", 1)).await.0, 422, "before the start");
    assert_eq!(app.post(&contract("/payments"), paid("2026-08-10", "2026-08-31", 1)).await.0, 422, "after the end");
    assert_eq!(app.post(&contract("/payments"), json!({"payment": {"date": "2026-04-10"}})).await.0, 400);
    assert_eq!(app.post(&contract("/payments"), json!({"pay": 1})).await.0, 400);
    assert_eq!(other.post(&contract("/payments"), paid("2026-04-10", "2026-03-31", 1)).await.0, 404);
    // March's wages paid on 10 April, on time, but with no payslip: a violation of art. 48(2);
    // April to June never paid, and the final pay (due 14 days after 31 July) neither.
    let (s, rec) = app.post(&contract("/payments"), paid("2026-04-10", "2026-03-31", 25 * 4 * WAGE)).await;
    assert_eq!((s, &rec["payments"]), (201, &json!(1)), "{rec}");
    let (_, report) = app.get(&contract("/findings")).await;
    let found = lab09(&report);
    let says = |f: &Value| format!("{} {} {}", f["law"], f["until"], f["en"]);
    assert!(found.iter().any(|f| says(f).contains("art. 48(2)") && says(f).contains("payslip")), "{report}");
    for until in ["2026-04-30", "2026-05-31", "2026-06-30"] {
        assert!(found.iter().any(|f| f["from"] == until && says(f).contains("unpaid")), "{until} unpaid: {report}");
    }
    assert!(found.iter().any(|f| says(f).contains("art. 36") && f["until"] == "2026-08-14"), "the final pay: {report}");
    assert!(!found.iter().any(|f| f["from"] == "2026-03-31" && says(f).contains("unpaid")), "March was paid: {report}");
    assert_eq!((report["payments"].as_u64(), found.len()), (Some(1), 5), "{report}");

    // A deadline on the ledger (July's wages, due in three days): near, so an alert for the app.
    let today = dojang_types::Date::from_unix_ms_kst(dojang_types::wall_clock_ms());
    let due = today.plus_days(3);
    let pay = json!({"module": "labour", "msg": {"type": "set_deadline", "contract": id,
        "deadline": {"kind": "wage_payment", "month_end": "2026-07-31"}, "due": due}});
    assert_eq!(app.sign_and_send(&w.worker, &pay).await.0, 403, "the employer sets deadlines");
    app.accepted(&w.employer, &pay).await;
    let (_, report) = app.get(&contract("/findings")).await;
    let deadlines = report["deadlines"].as_array().unwrap();
    assert_eq!(
        (deadlines.len(), &deadlines[0]["state"], &deadlines[0]["due"]),
        (1, &json!("near"), &json!(due)),
        "{report}"
    );
    let (s, alerts) = app.get("/labour/v1/alerts").await;
    assert_eq!(s, 200, "{alerts}");
    let mine = alerts["contracts"].as_array().unwrap();
    assert_eq!((mine.len(), &mine[0]["contract"]), (1, &json!(id)), "{alerts}");
    assert!(mine[0]["alerts"].as_array().unwrap().iter().any(|a| a["rule"] == "LAB-09"), "{alerts}");
    assert_eq!(other.get("/labour/v1/alerts").await.1["contracts"], json!([]), "another app sees none of them");

    // Career certificates (LSA art. 39): for the contract that ended on 31 July, on the worker's
    // own request, written from the terms the worker last signed (version 2, not the pending
    // version 3), offered by the federation's issuer, every claim as the credential carries it.
    let mut v3 = filled_draft(&template);
    v3["duties"] = json!("cooking");
    v3["end"] = json!("2026-07-31");
    let (s, pending3) = app.post(&contract("/versions"), json!({"terms": v3})).await;
    assert_eq!(s, 201, "{pending3}");
    app.accepted(&w.employer, &pending3["sign"]).await;
    let cert_path = contract("/career-certificate");
    let (s, p) = app.post(&cert_path, json!({})).await;
    assert_eq!(
        (s, p["type"].as_str().unwrap().ends_with("worker-unsigned")),
        (401, true),
        "the app alone cannot ask: {p}"
    );
    let (s, p) = app.post_signed(&cert_path, json!({}), &w.employer).await;
    assert_eq!((s, p["type"].as_str().unwrap().ends_with("not-the-worker")), (403, true), "nor the employer: {p}");
    let (s, cert) = app.post_signed(&cert_path, json!({}), &w.worker).await;
    assert_eq!(s, 201, "{cert}");
    let today = dojang_types::Date::from_unix_ms_kst(wall_clock_ms());
    let expected = json!({
        "employer": EMPLOYER_NAME, "employer_account": e_addr, "period_start": "2026-03-02",
        "period_end": "2026-07-31", "registered_on": today, "months_of_service": 4,
        "duties": "serving, cleaning and the till", "weekly_hours_band": "15_to_29h", "weekly_hours_15_or_more": true,
    });
    assert_eq!(cert["claims"], expected, "{cert}");
    assert!(cert["offer"]["credential_offer_uri"].as_str().unwrap().starts_with("openid-credential-offer://"));
    assert!(cert["offer"]["qr_svg"].as_str().unwrap().contains("<svg"), "{cert}");
    let claims = redeem(&http, &issuer_url, &cert["offer"]).await;
    assert_eq!(Value::Object(claims), expected, "the credential carries what the desk wrote, each concealable");
    // Another app's request, or an unknown contract: not found.
    assert_eq!(other.post_signed(&cert_path, json!({}), &w.worker).await.0, 404);
    let unknown = format!("/labour/v1/contracts/{}/career-certificate", "ab".repeat(16));
    assert_eq!(app.post_signed(&unknown, json!({}), &w.worker).await.0, 404);
    // A contract registered but not ended (it runs to the end of 2027): not yet, and why. One
    // that ended but the worker never signed was never in force.
    let mut later = filled_draft(&template);
    later["end"] = json!("2027-12-31");
    for (terms, says, when) in
        [(later, "not-ended", "2027-12-31"), (filled_draft(&template), "never-signed", "never signed")]
    {
        let (s, made) = app.post("/labour/v1/contracts", w.new_contract(terms, &e_addr)).await;
        assert_eq!(s, 201, "{made}");
        app.accepted(&w.employer, &made["sign"]).await;
        let path = format!("/labour/v1/contracts/{}/career-certificate", made["contract"].as_str().unwrap());
        let (s, p) = app.post_signed(&path, json!({}), &w.worker).await;
        assert_eq!((s, p["type"].as_str().unwrap().ends_with(says)), (409, true), "{p}");
        assert!(p["detail"].as_str().unwrap().contains(when), "{p}");
    }
    // The issuer down: the app is told to retry, nothing half made.
    issuer.abort();
    let (s, p) = app.post_signed(&cert_path, json!({}), &w.worker).await;
    assert_eq!((s, p["type"].as_str().unwrap().ends_with("issuer-unavailable")), (503, true), "{p}");

    // Quotas are per app: the slow app's second request in a minute waits, the others don't.
    assert_eq!(slow.get(&contract("")).await.0, 404);
    let (s, p, h) = slow.call(reqwest::Method::GET, "/labour/v1/templates", None).await;
    assert_eq!(s, 429, "{p}");
    assert!(h["retry-after"].to_str().unwrap().parse::<u64>().unwrap() >= 1);
    assert_eq!(app.get("/labour/v1/templates").await.0, 200);

    // The index survives a restart; an employer taken off the app's list is out of its reach.
    drop(desk);
    let without = app_lines.replace(&format!("\"{e_addr}\""), "");
    write_desk_config(&desk_toml, &w.node.url, &[&without, &other_lines, &slow_lines]);
    let desk = start_desk(&desk_toml);
    let app = App { base: desk.url.clone(), ..app };
    assert_eq!(app.get(&contract("")).await.0, 404);
    drop(desk);
    // A desk without [desk.career] offers no certificates, and says so.
    write_desk_config(&desk_toml, &w.node.url, &[&app_lines, &other_lines, &slow_lines]);
    let desk = start_desk(&desk_toml);
    let app = App { base: desk.url.clone(), ..app };
    let (s, p) = app.post_signed(&contract("/career-certificate"), json!({}), &w.worker).await;
    assert_eq!((s, p["type"].as_str().unwrap().ends_with("no-career-issuer")), (501, true), "{p}");
    drop(desk);
    write_desk_config(&desk_toml, &w.node.url, &[&app_lines, &other_lines, &slow_lines]);
    let desk = start_desk(&desk_toml);
    let app = App { base: desk.url.clone(), ..app };
    assert_eq!(app.get(&contract("")).await.0, 200);
    drop(desk);

    // No name, workplace or wage in the ledger's store or the desk's index.
    // The wage as the contract's JSON writes it: its bare digits also turn up by chance in the
    // ledger's timestamps and heights.
    let wage = format!("\"wage_krw\":{WAGE}");
    for file in [w.home.join("data").join("ledger.redb"), w.dir.path().join("desk.redb")] {
        let bytes = std::fs::read(&file).unwrap();
        for needle in [WORKER_NAME, EMPLOYER_NAME, WORKPLACE, &wage, "wage_krw"] {
            let n = needle.as_bytes();
            assert!(!bytes.windows(n.len()).any(|x| x == n), "{} holds {needle}", file.display());
        }
    }
    let _ = w_addr;
    w.node.stop();
}
