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

    async fn get(&self, path: &str) -> (u16, Value) {
        let (s, v, _) = self.call(reqwest::Method::GET, path, None).await;
        (s, v)
    }

    /// Signs the message the desk answered as `key` and relays it through the desk.
    async fn sign_and_send(&self, key: &Keypair, sign: &Value) -> (u16, Value) {
        let tx =
            TxBuilder::new(CHAIN, key.duplicate()).try_build(sign["module"].as_str().unwrap(), &sign["msg"]).unwrap();
        self.post("/labour/v1/txs", json!({"tx": hex::encode(dojang_types::encode(&tx))})).await
    }
}

fn filled_draft(template: &Value) -> Value {
    let mut d = template.clone();
    d["start"] = json!("2026-03-02");
    d["end"] = json!("2026-08-31");
    d["workplace"] = json!("Cafe, Mapo-gu, Seoul");
    d["duties"] = json!("serving and cleaning");
    d["wage_krw"] = json!(10_320);
    d["workplace_employees"] = json!(4);
    d["worker_birth_date"] = json!("2001-05-05");
    d
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_outside_app_drafts_registers_and_checks_a_contract_through_the_desk() {
    let dir = tempfile::tempdir().unwrap();
    let home = dir.path().join("node");
    let out = Command::new(EXE)
        .args(["init", "--insecure-clear-keys", "--demo", "--chain-id", CHAIN, "--home"])
        .arg(&home)
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
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

    // The council switches both modules on and defines the collection.
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
    let other_employer = Keypair::generate(Algorithm::Ed25519);
    let worker = Keypair::generate(Algorithm::Ed25519);
    let (e_addr, w_addr) = (employer.public_key().address().to_string(), worker.public_key().address().to_string());
    let federation = TxBuilder::new(CHAIN, key("employment-insurance"));
    let vouch = dojang_labour::LabourMsg::VouchEmployer { employer: employer.public_key().address() };
    client.send(&federation, &vouch).await.unwrap();

    // The operator configures two apps: the federation's contract app, and one with a tiny quota.
    let (token, app_lines) = new_client("federation-app", &[&e_addr], 600);
    let (slow_token, slow_lines) = new_client("slow-app", &[&e_addr], 2);
    let desk_toml = dir.path().join("desk.toml");
    std::fs::write(
        &desk_toml,
        format!(
            "[desk]\nlisten_addr = \"127.0.0.1:0\"\nnode = \"{}\"\nmember_key = \"node/keys/member.json\"\nstore = \"desk.redb\"\n\n{app_lines}\n\n{slow_lines}\n",
            node.url
        ),
    )
    .unwrap();
    // A desk whose key is not the member organisation's stops at start and says why.
    let outsider_key = dir.path().join("outsider.json");
    KeyFile::save_new(&Keypair::generate(Algorithm::Ed25519), &outsider_key, KeyProtection::Clear).unwrap();
    let wrong_toml = dir.path().join("wrong.toml");
    let text = std::fs::read_to_string(&desk_toml).unwrap();
    std::fs::write(&wrong_toml, text.replace("node/keys/member.json", "outsider.json")).unwrap();
    let out = Command::new(EXE).args(["labour", "desk", "--config"]).arg(&wrong_toml).output().unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("is not a member of collection"), "{out:?}");
    let desk = start_desk(&desk_toml);
    let http = reqwest::Client::new();
    let app = App { http: http.clone(), base: desk.url.clone(), token };

    // Without a token, or with a wrong one: 401 with the scheme to use.
    let anon = App { http: http.clone(), base: desk.url.clone(), token: "djl_wrong".into() };
    let (s, _, h) = anon.call(reqwest::Method::GET, "/labour/v1/templates", None).await;
    assert_eq!(s, 401);
    assert!(h["www-authenticate"].to_str().unwrap().starts_with("Bearer"));
    let r = http.get(format!("{}/openapi.json", desk.url)).send().await.unwrap();
    let openapi: Value = r.json().await.unwrap();
    assert!(openapi["paths"]["/labour/v1/contracts"]["post"].is_object(), "the API is described");

    // Templates, and LAB-01 on an unfilled one: every missing item, in both languages.
    let (s, t) = app.get("/labour/v1/templates").await;
    assert_eq!(s, 200);
    let template =
        t["templates"].as_array().unwrap().iter().find(|t| t["id"] == "part-time-weekdays").unwrap()["draft"].clone();
    let (s, verdict) = app.post("/labour/v1/lint", template.clone()).await;
    assert_eq!(s, 200);
    assert_eq!(verdict["complete"], false);
    let items: Vec<&str> =
        verdict["problems"].as_array().unwrap().iter().map(|p| p["item"].as_str().unwrap()).collect();
    assert_eq!(items, ["period", "workplace", "duties", "wage_amount", "workplace_employees", "worker_birth_date"]);
    assert!(verdict["problems"][0]["ko"].as_str().unwrap().contains("계약 기간"));
    let parties = json!({"employer_name": EMPLOYER_NAME, "worker_name": WORKER_NAME});
    let new = |terms: Value, employer: &str| json!({"employer": employer, "worker": w_addr, "parties": parties, "terms": terms});
    let (s, p) = app.post("/labour/v1/contracts", new(template.clone(), &e_addr)).await;
    assert_eq!(s, 422, "{p}");
    assert!(
        p["detail"].as_str().unwrap().contains("LAB-01") && p["detail"].as_str().unwrap().contains("근무 장소"),
        "{p}"
    );

    // Malformed requests: refused with what was wrong, and nothing stored.
    assert_eq!(app.post("/labour/v1/lint", json!({"wage_krw": "ten"})).await.0, 400);
    assert_eq!(app.post("/labour/v1/lint", json!({"salary": 1})).await.0, 400);
    let (s, _, _) = app.call(reqwest::Method::DELETE, "/labour/v1/lint", None).await;
    assert_eq!(s, 405);
    assert_eq!(app.get("/labour/v1/contracts/not-an-id").await.0, 404);
    assert_eq!(app.get(&format!("/labour/v1/contracts/{}", "ab".repeat(16))).await.0, 404);
    let other = other_employer.public_key().address().to_string();
    assert_eq!(app.post("/labour/v1/contracts", new(filled_draft(&template), &other)).await.0, 403);
    let mut nameless = new(filled_draft(&template), &e_addr);
    nameless["parties"]["worker_name"] = json!(" ");
    assert_eq!(app.post("/labour/v1/contracts", nameless).await.0, 422);

    // A complete draft: stored in the collection, the registration for the employer to sign.
    let (s, stored) = app.post("/labour/v1/contracts", new(filled_draft(&template), &e_addr)).await;
    assert_eq!(s, 201, "{stored}");
    let id = stored["contract"].as_str().unwrap().to_string();
    assert_eq!(stored["sign"]["msg"]["type"], "register");
    assert_eq!(stored["sign"]["msg"]["commitment"], stored["commitment"]);
    // A registration that does not commit to the stored document is not relayed.
    let mut forged = stored["sign"].clone();
    forged["msg"]["commitment"] = json!("00".repeat(32));
    let (s, p) = app.sign_and_send(&employer, &forged).await;
    assert_eq!((s, p["type"].as_str().unwrap().ends_with("not-the-stored-document")), (422, true), "{p}");
    // Nor one signed by someone who is not a party.
    assert_eq!(app.sign_and_send(&other_employer, &stored["sign"]).await.0, 403);
    let (s, receipt) = app.sign_and_send(&employer, &stored["sign"]).await;
    assert_eq!((s, &receipt["result"]["status"]), (200, &json!("ok")), "{receipt}");
    // The worker signs version 1 (the receipt of their copy), relayed by the same app.
    let sign = json!({"module": "labour", "msg": {"type": "sign", "contract": id, "version": 1, "commitment": stored["commitment"]}});
    let (s, receipt) = app.sign_and_send(&worker, &sign).await;
    assert_eq!((s, &receipt["result"]["status"]), (200, &json!("ok")), "{receipt}");

    let (s, c) = app.get(&format!("/labour/v1/contracts/{id}")).await;
    assert_eq!(s, 200, "{c}");
    assert_eq!(c["versions"][0]["parties"]["worker_name"], WORKER_NAME);
    assert_eq!(c["versions"][0]["terms"]["wage_krw"], 10_320);
    assert!(c["ledger"]["versions"][0]["signed_height"].as_u64().is_some(), "{c}");
    // Another app cannot see it.
    let slow = App { http: http.clone(), base: desk.url.clone(), token: slow_token };
    assert_eq!(slow.get(&format!("/labour/v1/contracts/{id}")).await.0, 404);

    // A week paid 9,000 KRW an hour, below 2026's 10,320: stored, committed, found (LAB-02).
    let days: Vec<Value> = (0..5)
        .map(|i| json!({"date": format!("2026-03-0{}", 2 + i), "start": 600, "end": 930, "break_minutes": 30}))
        .collect();
    let week = json!({"monday": "2026-03-02", "days": days, "pay": {"base_krw": 5 * 5 * 9_000}});
    let bad_week = json!({"week": {"monday": "2026-03-03", "days": [], "pay": {"base_krw": 0}}});
    let (s, p) = app.post(&format!("/labour/v1/contracts/{id}/timesheets"), bad_week).await;
    assert_eq!(s, 422, "a week must start on a Monday: {p}");
    let (s, ts) = app.post(&format!("/labour/v1/contracts/{id}/timesheets"), json!({"week": week})).await;
    assert_eq!(s, 201, "{ts}");
    let (s, receipt) = app.sign_and_send(&employer, &ts["sign"]).await;
    assert_eq!((s, &receipt["result"]["status"]), (200, &json!("ok")), "{receipt}");
    let (s, again) = app.post(&format!("/labour/v1/contracts/{id}/timesheets"), json!({"week": week})).await;
    assert_eq!(s, 409, "a week on the ledger is not replaced: {again}");
    let (s, report) = app.get(&format!("/labour/v1/contracts/{id}/findings")).await;
    assert_eq!(s, 200, "{report}");
    assert_eq!((report["terms_version"].as_u64(), report["terms_signed"].as_bool()), (Some(1), Some(true)));
    let lab02 = report["findings"].as_array().unwrap().iter().find(|f| f["rule"] == "LAB-02").expect("LAB-02 found");
    assert_eq!(lab02["owed_krw"], 25 * (10_320 - 9_000), "{lab02}");
    assert!(report["owed_krw"].as_u64().unwrap() >= 25 * 1_320);

    // Rate limits are per app: the slow app's third request in a minute waits.
    // (It used one of its two a minute above.)
    assert_eq!(slow.get("/labour/v1/templates").await.0, 200);
    let (s, p, h) = slow.call(reqwest::Method::GET, "/labour/v1/templates", None).await;
    assert_eq!(s, 429, "{p}");
    assert!(h["retry-after"].to_str().unwrap().parse::<u64>().unwrap() >= 1);
    assert_eq!(app.get("/labour/v1/templates").await.0, 200, "the other app is not slowed");

    // No name and no wage in the ledger's store, the desk's index or anywhere on chain.
    drop(desk);
    for file in [home.join("data").join("ledger.redb"), dir.path().join("desk.redb")] {
        let bytes = std::fs::read(&file).unwrap();
        for needle in [WORKER_NAME.as_bytes(), EMPLOYER_NAME.as_bytes(), b"Cafe, Mapo-gu"] {
            assert!(
                !bytes.windows(needle.len()).any(|w| w == needle),
                "{} holds {:?}",
                file.display(),
                String::from_utf8_lossy(needle)
            );
        }
    }
    node.stop();
}
