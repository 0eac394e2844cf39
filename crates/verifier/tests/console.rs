//! The office's console over HTTP: closed to anyone without a staff log-in, wrong passwords
//! and malformed forms refused, a forged cross-site post refused; for staff, the programs,
//! decisions by outcome and reason, the appeal replay of a decision against the rule set and
//! the anchored root read from the chain, and the lottery draw once the seed is on chain.

mod common;

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use dojang_credentials::Standing;
use dojang_credentials::StatusList;
use dojang_types::sha256;
use dojang_verifier::console::{self, Console, Proven, ProvenRead};
use dojang_verifier::staff::{hash_password, Staff, StaffAccount};
use dojang_verifier::*;
use serde_json::{json, Value};

use common::*;

/// The chain as the console sees it: records the test sets, each "proven" at height 7.
struct FakeChain(Arc<Mutex<HashMap<String, Value>>>);

#[async_trait::async_trait]
impl ProvenRead for FakeChain {
    async fn read(&self, key: &str) -> Result<Proven, String> {
        Ok(Proven { value: self.0.lock().unwrap().get(key).cloned(), height: 7 })
    }
}

const PASSWORD: &str = "the officer's long password";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn staff_only_console_with_decisions_replay_and_draw() {
    let dir = tempfile::tempdir().unwrap();
    let w = world(&StatusList::new(0), Standing::Active);
    let (o, k) = office(&w, "a", &dir);
    let p = program("a", rules("reject", "manual_review"), 1);
    let apps = vec![
        answer(&o, &k, &p, &person(&w, 1, "t1", true, true)),
        answer(&o, &k, &p, &person(&w, 2, "t2", true, false)),
    ];
    let receipts = o.decide(&p, apps, now());
    assert!(receipts.iter().all(Result::is_ok));
    let u = o.unanchored("a").unwrap().unwrap();
    o.anchored(&Batch {
        program: "a".into(),
        batch: 1,
        root: u.root,
        seqs: u.seqs,
        leaves: u.leaves.clone(),
        anchored_height: 5,
    })
    .unwrap();
    let seed = sha256(&[b"seed"]);
    let records = Arc::new(Mutex::new(HashMap::from([
        (
            "eligibility/programs/a".to_string(),
            json!({"id": "a", "office": office_did("a"), "name": "n", "policy": "a", "window_opens_ms": 0, "window_closes_ms": 1,
                   "quota": 1, "seed_commitment": sha256(&[&seed.0]), "seed": seed, "ruleset_versions": 1, "batches": 1, "registered_height": 1}),
        ),
        (
            "eligibility/batches/a/000000000001".to_string(),
            json!({"program": "a", "batch": 1, "root": u.root, "leaves": u.leaves.len(), "height": 5, "time_ms": 0}),
        ),
        (
            "eligibility/rulesets/a/000001".to_string(),
            json!({"program": "a", "version": 1, "rules": p.rules, "height": 2, "time_ms": 0}),
        ),
    ])));
    let chain = FakeChain(records.clone());
    let service = Arc::new(http::Service {
        office: o,
        programs: [("a".to_string(), p.clone())].into(),
        prepare: None,
        wallet_url: None,
    });
    let staff =
        Staff::new(&[StaffAccount { user: "kim".into(), password_hash: hash_password(PASSWORD).unwrap() }]).unwrap();
    let c =
        Console { service: service.clone(), staff, chain: Arc::new(chain), public_url: "https://apply.example".into() };
    let app = http::router(service).merge(console::router(Arc::new(c)));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let server = tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    let web = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();
    let location = |r: &reqwest::Response| r.headers().get("location").map(|v| v.to_str().unwrap().to_string());

    // The program's public page: what it is for, and how to apply (a link and its QR code).
    let r = web.get(format!("{url}/programs/a")).send().await.unwrap();
    assert_eq!(r.status(), 200);
    let html = r.text().await.unwrap();
    // (The office's public address is https://x: its response URI is https://x/response.)
    let request_uri = dojang_types::percent_encode("https://x/programs/a/request");
    let link = format!(
        "openid4vp://?client_id={}&amp;request_uri={request_uri}",
        dojang_types::percent_encode(&office_did("a"))
    );
    assert!(html.contains(&link), "{html}");
    assert!(html.contains("<svg") && !html.contains("<?xml"), "the QR code inline: {html}");
    assert!(html.contains("Apply with your wallet"));
    assert_eq!(web.get(format!("{url}/programs/nope")).send().await.unwrap().status(), 404);
    assert!(web
        .get(format!("{url}/programs/a?lang=ko"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap()
        .contains("지갑으로 신청하기"));

    // Closed without a session: every page sends the browser to log in.
    for path in ["/console/programs", "/console/programs/a", "/console/programs/a/decisions/1"] {
        let r = web.get(format!("{url}{path}")).send().await.unwrap();
        assert_eq!(location(&r).as_deref(), Some("/console/login"), "{path}");
    }
    let r = web.get(format!("{url}/console/programs")).header("cookie", "dojang_console=forged").send().await.unwrap();
    assert_eq!(location(&r).as_deref(), Some("/console/login"));
    let r = web.post(format!("{url}/console/programs/a/draw")).send().await.unwrap();
    assert_eq!(location(&r).as_deref(), Some("/console/login"), "no draw without a session");

    // Wrong passwords, unknown users and malformed forms get no session.
    let r =
        web.post(format!("{url}/console/login")).form(&[("user", "kim"), ("password", "wrong")]).send().await.unwrap();
    assert_eq!(r.status(), 401);
    assert!(r.headers().get_all("set-cookie").iter().all(|c| !c.to_str().unwrap().starts_with("dojang_console=")));
    assert!(r.text().await.unwrap().contains("Wrong user or password"));
    let r =
        web.post(format!("{url}/console/login")).form(&[("user", "lee"), ("password", PASSWORD)]).send().await.unwrap();
    assert_eq!(r.status(), 401);
    let r = web.post(format!("{url}/console/login")).form(&[("user", "kim")]).send().await.unwrap();
    assert_eq!(r.status(), 400);
    let r = web.post(format!("{url}/console/login")).body("\u{0}\u{1}garbage").send().await.unwrap();
    assert_eq!(r.status(), 400);
    let r = web
        .post(format!("{url}/console/login"))
        .header("origin", "https://evil.example")
        .form(&[("user", "kim"), ("password", PASSWORD)])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 403, "a log-in form posted from another site");

    // The right password opens a session (HttpOnly, SameSite=Strict).
    let r =
        web.post(format!("{url}/console/login")).form(&[("user", "kim"), ("password", PASSWORD)]).send().await.unwrap();
    assert_eq!(location(&r).as_deref(), Some("/console/programs"));
    let set = r
        .headers()
        .get_all("set-cookie")
        .iter()
        .map(|c| c.to_str().unwrap().to_string())
        .find(|c| c.starts_with("dojang_console="))
        .unwrap();
    assert!(set.contains("HttpOnly") && set.contains("SameSite=Strict"), "{set}");
    let session = set.split(';').next().unwrap().to_string();
    let get = |path: &str| web.get(format!("{url}{path}")).header("cookie", session.clone()).send();

    let r = get("/console/programs").await.unwrap();
    assert_eq!(r.status(), 200);
    assert!(r.headers()["content-security-policy"].to_str().unwrap().contains("default-src 'none'"));
    let html = r.text().await.unwrap();
    assert!(html.contains("kim") && html.contains("/console/programs/a"), "{html}");
    assert!(html.contains("2 (1 / 1 / 0)"), "two decisions: one eligible, one not: {html}");
    assert!(html.contains("2 / 2"), "both anchored: {html}");
    assert!(html.contains("verified at block 7"), "{html}");

    let html = get("/console/programs/a").await.unwrap().text().await.unwrap();
    assert!(html.contains("income_le_65pct</a>: 1"), "the not-eligible reason counted: {html}");
    assert!(html.contains("The lottery seed is revealed on chain"), "{html}");
    let eligible_only = get("/console/programs/a?outcome=eligible").await.unwrap().text().await.unwrap();
    assert!(eligible_only.contains("decisions/1\"") && !eligible_only.contains("decisions/2\""), "{eligible_only}");
    let by_reason = get("/console/programs/a?reason=income_le_65pct").await.unwrap().text().await.unwrap();
    assert!(!by_reason.contains("decisions/1\"") && by_reason.contains("decisions/2\""), "{by_reason}");
    let ko = get("/console/programs/a?lang=ko").await.unwrap().text().await.unwrap();
    assert!(ko.contains("lang=\"ko\"") && ko.contains("사유별"), "Korean on request");

    let html = get("/console/programs/a/decisions/2").await.unwrap().text().await.unwrap();
    assert!(html.contains("the stored decision hashes to its leaf"), "{html}");
    assert!(html.contains("its leaf is under the root anchored on chain"), "{html}");
    assert!(html.contains("the replay reaches the recorded outcome"), "{html}");
    assert!(html.contains("income above 65% of the median"), "the rule's reason shown: {html}");
    // What the chain says is escaped, never markup; a rule set that does not lead to the
    // recorded outcome is shown as disagreeing.
    let mut rules = serde_json::to_value(&p.rules).unwrap();
    rules["conditions"][1]["reason"] = json!("<script>alert(1)</script>");
    let key = "eligibility/rulesets/a/000001".to_string();
    records
        .lock()
        .unwrap()
        .insert(key.clone(), json!({"program": "a", "version": 1, "rules": rules.clone(), "height": 2, "time_ms": 0}));
    let html = get("/console/programs/a/decisions/2").await.unwrap().text().await.unwrap();
    assert!(html.contains("&lt;script&gt;alert(1)&lt;/script&gt;") && !html.contains("<script>"), "{html}");
    let conditions = rules["conditions"].as_array_mut().unwrap();
    conditions.swap(0, 1);
    records
        .lock()
        .unwrap()
        .insert(key, json!({"program": "a", "version": 1, "rules": rules, "height": 2, "time_ms": 0}));
    let html = get("/console/programs/a/decisions/2").await.unwrap().text().await.unwrap();
    assert!(html.contains("the replay disagrees") && !html.contains("the replay reaches"), "{html}");

    assert_eq!(get("/console/programs/a/decisions/x").await.unwrap().status(), 400);
    assert_eq!(get("/console/programs/a/decisions/99").await.unwrap().status(), 404);
    assert_eq!(get("/console/programs/b").await.unwrap().status(), 404);

    // The draw: refused from another site, done for staff, and shown.
    let forged = web
        .post(format!("{url}/console/programs/a/draw"))
        .header("cookie", session.clone())
        .header("origin", "https://evil.example")
        .send()
        .await
        .unwrap();
    assert_eq!(forged.status(), 403);
    let cross_site = web
        .post(format!("{url}/console/programs/a/draw"))
        .header("cookie", session.clone())
        .header("sec-fetch-site", "cross-site")
        .send()
        .await
        .unwrap();
    assert_eq!(cross_site.status(), 403, "a cross-site post without Origin");
    let behind_proxy = web
        .post(format!("{url}/console/programs/a/draw"))
        .header("cookie", session.clone())
        .header("origin", "https://apply.example")
        .send()
        .await
        .unwrap();
    assert_eq!(location(&behind_proxy).as_deref(), Some("/console/programs/a"), "the public origin is accepted");
    let r = web.post(format!("{url}/console/programs/a/draw")).header("cookie", session.clone()).send().await.unwrap();
    assert_eq!(location(&r).as_deref(), Some("/console/programs/a"));
    let html = get("/console/programs/a").await.unwrap().text().await.unwrap();
    assert!(html.contains("Selected, in rank order: 1<"), "the one eligible applicant drawn: {html}");

    // Repeated wrong passwords lock the name, even against the right password; the open
    // session stays.
    for _ in 0..5 {
        let r = web
            .post(format!("{url}/console/login"))
            .form(&[("user", "kim"), ("password", "guess")])
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 401);
    }
    let r =
        web.post(format!("{url}/console/login")).form(&[("user", "kim"), ("password", PASSWORD)]).send().await.unwrap();
    assert_eq!(r.status(), 429);
    assert!(r.text().await.unwrap().contains("Too many failed log-ins"));
    assert_eq!(get("/console/programs").await.unwrap().status(), 200);

    // Log-out ends the session.
    let r = web.post(format!("{url}/console/logout")).header("cookie", session.clone()).send().await.unwrap();
    assert_eq!(location(&r).as_deref(), Some("/console/login"));
    assert_eq!(location(&get("/console/programs").await.unwrap()).as_deref(), Some("/console/login"));
    server.abort();
}
