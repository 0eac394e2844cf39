//! The login service over HTTP, with malformed input at every endpoint: each refusal says what
//! was wrong, nothing is redirected to an address the facility did not register, and a whole
//! login still completes afterwards.

mod common;

use std::sync::Arc;

use common::*;
use dojang_login::RelyingParty;
use dojang_login_service::http::{router, ChainView, Service};
use dojang_wallet::{answer, check_login_request};
use serde_json::{json, Value};

struct Facilities(Vec<RelyingParty>);

#[async_trait::async_trait]
impl ChainView for Facilities {
    async fn facility(&self, id: &str) -> Result<Option<RelyingParty>, String> {
        Ok(self.0.iter().find(|f| f.registration.id == id).cloned())
    }
    async fn prepare_policy(&self, _: &str) -> Result<(), String> {
        Ok(())
    }
    async fn prepare(&self, _: &str, _: &str) -> Result<(), String> {
        Ok(())
    }
}

/// The city's login service on a free loopback port, its keys and status list valid around
/// the wall clock the HTTP face runs on.
async fn serve() -> (String, City, tokio::task::JoinHandle<()>) {
    let c = city_at(dojang_types::wall_clock_ms() / 1000);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let provider = c.provider_at(&url);
    let service = Arc::new(Service { provider, chain: Arc::new(Facilities(c.facilities.clone())), wallet_url: None });
    let server = tokio::spawn(async move {
        let _ = axum::serve(listener, router(service)).await;
    });
    (url, c, server)
}

fn http() -> reqwest::Client {
    reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap()
}

fn authorize_url(base: &str, pairs: &[(&str, &str)]) -> String {
    dojang_login_service::authorize::with_query(&format!("{base}/authorize"), pairs)
}

fn good(challenge: &str) -> Vec<(&'static str, String)> {
    vec![
        ("response_type", "code".into()),
        ("client_id", "library".into()),
        ("redirect_uri", "https://library.seoul.go.kr/cb".into()),
        ("scope", "openid".into()),
        ("state", "st".into()),
        ("nonce", "nn".into()),
        ("code_challenge", challenge.into()),
        ("code_challenge_method", "S256".into()),
    ]
}

fn pairs<'a>(v: &'a [(&'static str, String)]) -> Vec<(&'static str, &'a str)> {
    v.iter().map(|(k, v)| (*k, v.as_str())).collect()
}

#[tokio::test]
async fn every_endpoint_refuses_malformed_input_and_a_login_still_completes() {
    let (base, c, server) = serve().await;
    let h = http();
    let now = dojang_types::wall_clock_ms() / 1000;

    let meta: Value =
        h.get(format!("{base}/.well-known/openid-configuration")).send().await.unwrap().json().await.unwrap();
    assert_eq!(meta["issuer"], base.as_str());
    assert_eq!(meta["token_endpoint"], format!("{base}/token"));
    let jwks: Value = h.get(format!("{base}/jwks")).send().await.unwrap().json().await.unwrap();
    assert_eq!((jwks["keys"][0]["kty"].as_str(), jwks["keys"][0]["crv"].as_str()), (Some("EC"), Some("P-256")));

    // /authorize: shown to the citizen when there is nowhere trustworthy to send it.
    let (verifier, challenge) = pkce("http-test");
    for (i, edit) in [
        ("client_id", "nowhere"),
        ("client_id", "Not An Id!"),
        ("redirect_uri", "https://evil.example/cb"),
        ("state", "\u{1}"),
    ]
    .iter()
    .enumerate()
    {
        let mut p = good(&challenge);
        p.retain(|(k, _)| k != &edit.0);
        p.push((edit.0, edit.1.into()));
        let r = h.get(authorize_url(&base, &pairs(&p))).send().await.unwrap();
        assert_eq!(r.status(), 400, "case {i}");
        assert!(r.headers().get("location").is_none(), "case {i}: never redirected");
        assert!(r.text().await.unwrap().contains("id=\"problem\""), "case {i}: the page says why");
    }
    let twice = format!("{}&client_id=library", authorize_url(&base, &pairs(&good(&challenge))));
    assert_eq!(h.get(twice).send().await.unwrap().status(), 400, "a parameter twice");
    // ... and sent back to the facility with the error otherwise.
    let mut p = good(&challenge);
    p.retain(|(k, _)| *k != "code_challenge");
    let r = h.get(authorize_url(&base, &pairs(&p))).send().await.unwrap();
    assert_eq!(r.status(), 303);
    let back = r.headers()["location"].to_str().unwrap().to_string();
    assert!(back.starts_with("https://library.seoul.go.kr/cb?error=invalid_request&error_description="), "{back}");
    assert_eq!(query_param(&back, "state").as_deref(), Some("st"));

    // The login pages and the wallet's endpoints, for a login that does not exist.
    for path in ["/login/nope", "/login/nope/status", "/login/nope/request"] {
        assert_eq!(h.get(format!("{base}{path}")).send().await.unwrap().status(), 404, "{path}");
    }

    // A real login: the page, its JSON, the request.
    let r = h.get(authorize_url(&base, &pairs(&good(&challenge)))).send().await.unwrap();
    assert_eq!(r.status(), 303);
    let page = format!("{base}{}", r.headers()["location"].to_str().unwrap());
    let set = r.headers()["set-cookie"].to_str().unwrap().to_string();
    assert!(set.contains("HttpOnly") && set.contains("SameSite=Lax") && set.contains("Path=/login/"), "{set}");
    let cookie = set.split(';').next().unwrap().to_string();
    // Only the browser that started the login follows it: not whoever learns its id.
    assert_eq!(h.get(&page).send().await.unwrap().status(), 403);
    assert_eq!(h.get(format!("{page}/status")).send().await.unwrap().status(), 403);
    let forged = h.get(format!("{page}/status")).header("cookie", "dojang_login=guess").send().await.unwrap();
    assert_eq!(forged.status(), 403);
    let html = h.get(&page).header("cookie", &cookie).send().await.unwrap().text().await.unwrap();
    assert!(html.contains("Mapo Library") && html.contains("openid4vp://"), "{html}");
    let info: Value = h
        .get(&page)
        .header("accept", "application/json")
        .header("cookie", &cookie)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(info["progress"]["status"], "waiting");
    let request_uri = info["request_uri"].as_str().unwrap().to_string();
    let response_uri = request_uri.replace("/request", "/response");
    let r = h.get(&request_uri).send().await.unwrap();
    assert_eq!(r.headers()["content-type"], "application/oauth-authz-req+jwt");
    let jwt = r.text().await.unwrap();

    // The answer, malformed every way a form can be.
    let bad_answers: Vec<reqwest::RequestBuilder> = vec![
        h.post(&response_uri).body("vp_token=%ZZ"),
        h.post(&response_uri).json(&json!({"vp_token": {}, "state": "x"})),
        h.post(&response_uri).form(&[("state", "x")]),
        h.post(&response_uri).form(&[("vp_token", "[1,2]"), ("state", "x")]),
        h.post(&response_uri).form(&[("vp_token", "not json"), ("state", "x")]),
        h.post(&response_uri).form(&[("vp_token", "{}"), ("state", "another login")]),
        h.post(&response_uri).form(&[("vp_token", r#"{"resident": ["not an sd-jwt"]}"#), ("state", "x")]),
    ];
    for (i, b) in bad_answers.into_iter().enumerate() {
        let r = b.send().await.unwrap();
        let status = r.status().as_u16();
        let body: Value = r.json().await.unwrap_or_default();
        assert_eq!(status, 400, "case {i}: {body}");
        assert_eq!(body["error"], "invalid_request", "case {i}: {body}");
        assert!(!body["error_description"].as_str().unwrap_or_default().is_empty(), "case {i}");
    }

    // A presentation that is not one, under the right state: refused, and the login stays open.
    let state = request_uri.rsplit('/').nth(1).unwrap().to_string();
    let garbage = [("vp_token", r#"{"resident": ["not.an.sd-jwt~"]}"#.to_string()), ("state", state)];
    let r = h.post(&response_uri).form(&garbage).send().await.unwrap();
    assert_eq!(r.status(), 400);
    let body: Value = r.json().await.unwrap();
    assert!(body["redirect_uri"].is_null(), "not ended: {body}");
    let status: Value =
        h.get(format!("{page}/status")).header("cookie", &cookie).send().await.unwrap().json().await.unwrap();
    assert_eq!(status["status"], "waiting");
    let too_many: serde_json::Map<String, Value> = (0..5).map(|i| (format!("q{i}"), json!(["x"]))).collect();
    let r = h
        .post(&response_uri)
        .form(&[("vp_token", Value::Object(too_many).to_string()), ("state", "x".into())])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 400, "at most four presentations");

    // The wallet's real answer still completes the login.
    let mut kim = c.citizen("kim", 0, 1, "substantial");
    let login = check_login_request(&jwt, &c.snapshot, Some(c.facility("library").clone()), now).unwrap();
    let r = &login.request;
    let vp = answer(&mut kim.wallet, &r.request, &r.policy, &r.query, now).unwrap();
    let form = [("vp_token", vp.to_string()), ("state", r.state.clone())];
    let done: Value = h.post(&response_uri).form(&form).send().await.unwrap().json().await.unwrap();
    let callback = done["redirect_uri"].as_str().unwrap_or_else(|| panic!("{done}")).to_string();
    let replay = h.post(&response_uri).form(&form).send().await.unwrap();
    assert_eq!(replay.status(), 404, "the login is over; the same answer again is refused");
    let status: Value =
        h.get(format!("{page}/status")).header("cookie", &cookie).send().await.unwrap().json().await.unwrap();
    assert_eq!(status["status"], "done");
    assert_eq!(status["redirect"].as_str(), Some(callback.as_str()), "a low login continues in the starting browser");

    // /token: malformed forms, then the right one once.
    let code = query_param(&callback, "code").unwrap();
    let token_form = |code: &str, verifier: &str| {
        vec![
            ("grant_type", "authorization_code".to_string()),
            ("code", code.to_string()),
            ("redirect_uri", "https://library.seoul.go.kr/cb".into()),
            ("client_id", "library".into()),
            ("code_verifier", verifier.to_string()),
        ]
    };
    for (i, (b, error)) in [
        (h.post(format!("{base}/token")).json(&json!({"grant_type": "authorization_code"})), "invalid_request"),
        (h.post(format!("{base}/token")).form(&[("grant_type", "client_credentials")]), "unsupported_grant_type"),
        (h.post(format!("{base}/token")).form(&[("grant_type", "authorization_code")]), "invalid_request"),
        (h.post(format!("{base}/token")).form(&token_form(&code, &"w".repeat(43))), "invalid_grant"),
    ]
    .into_iter()
    .enumerate()
    {
        let r = b.send().await.unwrap();
        assert_eq!(r.status(), 400, "case {i}");
        assert_eq!(r.headers()["cache-control"], "no-store");
        let body: Value = r.json().await.unwrap();
        assert_eq!(body["error"], error, "case {i}: {body}");
    }
    let tokens: Value =
        h.post(format!("{base}/token")).form(&token_form(&code, &verifier)).send().await.unwrap().json().await.unwrap();
    let access = tokens["access_token"].as_str().unwrap_or_else(|| panic!("{tokens}")).to_string();

    // /userinfo: without a token, with a wrong one, with the right one.
    let r = h.get(format!("{base}/userinfo")).send().await.unwrap();
    assert_eq!(r.status(), 401);
    assert!(r.headers()["www-authenticate"].to_str().unwrap().starts_with("Bearer error=\"invalid_request\""));
    let r = h.get(format!("{base}/userinfo")).bearer_auth("forged").send().await.unwrap();
    assert_eq!(r.status(), 401);
    let info: Value =
        h.post(format!("{base}/userinfo")).bearer_auth(&access).send().await.unwrap().json().await.unwrap();
    assert_eq!(info["resident_of_seoul"], true);
    let status: Value =
        h.get(format!("{page}/status")).header("cookie", &cookie).send().await.unwrap().json().await.unwrap();
    assert_eq!(status, json!({"status": "finished"}), "once exchanged, the page shows no code");
    server.abort();
}
