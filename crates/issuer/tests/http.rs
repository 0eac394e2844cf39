//! The issuer over HTTP on loopback: the whole pre-authorized flow, revocation publishing a
//! new anchored version, and malformed or unauthorized requests answered with OAuth errors.

use std::sync::{Arc, Mutex};

use dojang_credentials::issue::IssuerKey;
use dojang_credentials::jose::{sign_compact, Jwk};
use dojang_credentials::sdjwt::SdJwt;
use dojang_credentials::status::{token_hash, Status, StatusList};
use dojang_crypto::{Algorithm, Keypair};
use dojang_issuer::{router, Anchoring, Book, Issuer, Records, Settings};
use serde_json::{json, Map, Value};

#[derive(Default)]
struct Anchors(Mutex<Vec<(String, u64, [u8; 32])>>);

#[async_trait::async_trait]
impl Anchoring for Anchors {
    async fn anchor(&self, _did: &str, uri: &str, version: u64, hash: [u8; 32]) -> Result<u64, String> {
        self.0.lock().unwrap().push((uri.to_string(), version, hash));
        Ok(version)
    }
}

struct Running {
    url: String,
    anchors: Arc<Anchors>,
    http: reqwest::Client,
    _dir: tempfile::TempDir,
    server: tokio::task::JoinHandle<()>,
}

impl Drop for Running {
    fn drop(&mut self) {
        self.server.abort();
    }
}

const ADMIN: &str = "desk-secret-of-the-tests";

async fn start() -> Running {
    let dir = tempfile::tempdir().unwrap();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let records: Records = serde_json::from_value(json!({
        "credential_configurations": {
            "income_band": {"vct": "urn:dojang:income-band:1", "validity_days": 30},
            "career": {"vct": "urn:dojang:career:1", "validity_days": 3650, "claims_in_offer": true},
        },
        "subjects": {"S-1": {"income_band": {"income_le_65pct": true, "household_size": 3}}},
    }))
    .unwrap();
    let settings: Settings =
        serde_json::from_value(json!({"did": "did:web:income.seoul.go.kr", "kid": "k1", "public_url": url, "wallet_url": "https://wallet.example/"}))
            .unwrap();
    let key = IssuerKey { did: settings.did.clone(), kid: "k1".into(), key: Keypair::generate(Algorithm::P256) };
    let anchors = Arc::new(Anchors::default());
    let issuer = Issuer::start(settings, key, records, Book::open(dir.path()).unwrap(), anchors.clone()).await.unwrap();
    let app = router(issuer, ADMIN.into());
    let server = tokio::spawn(async move {
        axum::serve(listener, app).await.unwrap();
    });
    Running { url, anchors, http: reqwest::Client::new(), _dir: dir, server }
}

impl Running {
    async fn post(&self, path: &str, bearer: Option<&str>, body: Value) -> (u16, Value) {
        let mut req = self.http.post(format!("{}{path}", self.url)).json(&body);
        if let Some(b) = bearer {
            req = req.bearer_auth(b);
        }
        let resp = req.send().await.unwrap();
        (resp.status().as_u16(), resp.json().await.unwrap_or(Value::Null))
    }

    async fn form(&self, path: &str, form: &[(&str, &str)]) -> (u16, Value) {
        let resp = self.http.post(format!("{}{path}", self.url)).form(form).send().await.unwrap();
        (resp.status().as_u16(), resp.json().await.unwrap_or(Value::Null))
    }

    async fn offer(&self, pin: bool) -> Value {
        self.offer_of(json!({"subject": "S-1", "credential_configuration_id": "income_band", "pin": pin})).await
    }

    async fn offer_of(&self, request: Value) -> Value {
        let (s, v) = self.post("/admin/offers", Some(ADMIN), request).await;
        assert_eq!(s, 200, "{v}");
        v
    }

    async fn access_token(&self) -> String {
        let offer = self.offer(false).await;
        self.redeem(&offer).await
    }

    async fn redeem(&self, offer: &Value) -> String {
        let code = offer["credential_offer"]["grants"]["urn:ietf:params:oauth:grant-type:pre-authorized_code"]
            ["pre-authorized_code"]
            .as_str()
            .unwrap()
            .to_string();
        let (s, t) = self
            .form(
                "/token",
                &[
                    ("grant_type", "urn:ietf:params:oauth:grant-type:pre-authorized_code"),
                    ("pre-authorized_code", &code),
                ],
            )
            .await;
        assert_eq!(s, 200, "{t}");
        t["access_token"].as_str().unwrap().to_string()
    }

    async fn proof(&self, k: &Keypair) -> String {
        let (_, n) = self.post("/nonce", None, json!({})).await;
        let mut h = Map::new();
        h.insert("typ".into(), json!("openid4vci-proof+jwt"));
        h.insert("jwk".into(), json!(Jwk::from_public_key(&k.public_key())));
        sign_compact(
            k,
            h,
            &json!({"aud": self.url, "iat": dojang_types::wall_clock_ms() / 1000, "nonce": n["c_nonce"]}),
        )
    }
}

#[tokio::test]
async fn batch_issuance_then_revocation_publishes_an_anchored_version() {
    let r = start().await;
    let token = r.access_token().await;
    let keys: Vec<Keypair> = (0..3).map(|_| Keypair::generate(Algorithm::P256)).collect();
    let mut proofs = vec![];
    for k in &keys {
        proofs.push(r.proof(k).await);
    }
    let (s, v) = r
        .post(
            "/credential",
            Some(&token),
            json!({"credential_configuration_id": "income_band", "proofs": {"jwt": proofs}}),
        )
        .await;
    assert_eq!(s, 200, "{v}");
    let creds = v["credentials"].as_array().unwrap();
    assert_eq!(creds.len(), 3);
    let idxs: Vec<u64> = creds
        .iter()
        .map(|c| {
            let sd = SdJwt::parse(c["credential"].as_str().unwrap()).unwrap();
            let jws = dojang_credentials::jose::Jws::parse(&sd.jwt).unwrap();
            jws.payload["status"]["status_list"]["idx"].as_u64().unwrap()
        })
        .collect();
    assert!(idxs[0] != idxs[1] && idxs[1] != idxs[2], "each copy has its own random index");
    let (s, again) = r
        .post(
            "/credential",
            Some(&token),
            json!({"credential_configuration_id": "income_band", "proofs": {"jwt": [r.proof(&keys[0]).await]}}),
        )
        .await;
    assert_eq!((s, again["error"].as_str()), (401, Some("invalid_token")), "a token is good for one batch");

    let uri = format!("{}/status/1", r.url);
    assert_eq!(r.anchors.0.lock().unwrap().len(), 1, "version 1 anchored at start");
    let (s, v) = r
        .post(
            "/admin/status",
            Some(ADMIN),
            json!({"subject": "S-1", "credential_configuration_id": "income_band", "status": "revoked"}),
        )
        .await;
    assert_eq!(s, 200, "{v}");
    assert_eq!(v["copies_changed"], 3);
    assert_eq!(v["status_list_version"], 2);
    let token = r.http.get(&uri).send().await.unwrap().text().await.unwrap();
    let (a_uri, a_version, a_hash) = r.anchors.0.lock().unwrap().last().cloned().unwrap();
    assert_eq!(
        (a_uri.as_str(), a_version, a_hash),
        (uri.as_str(), 2, token_hash(&token)),
        "the served list is the anchored one"
    );
    let list = StatusList::from_token(&token, &uri).unwrap();
    for i in idxs {
        assert_eq!(list.get(i).unwrap(), Status::Revoked);
    }
}

#[tokio::test]
async fn claims_sent_with_an_offer_are_the_credentials_claims_and_are_checked() {
    let r = start().await;
    let claims = json!({"employer": "Cafe Hangang", "period_start": "2026-03-02", "months_of_service": 4});
    let offer =
        r.offer_of(json!({"subject": "contract-1", "credential_configuration_id": "career", "claims": claims})).await;
    let token = r.redeem(&offer).await;
    let k = Keypair::generate(Algorithm::P256);
    let (s, v) = r
        .post(
            "/credential",
            Some(&token),
            json!({"credential_configuration_id": "career", "proofs": {"jwt": [r.proof(&k).await]}}),
        )
        .await;
    assert_eq!(s, 200, "{v}");
    let sd = SdJwt::parse(v["credentials"][0]["credential"].as_str().unwrap()).unwrap();
    let jws = dojang_credentials::jose::Jws::parse(&sd.jwt).unwrap();
    assert_eq!(jws.payload["vct"], "urn:dojang:career:1");
    let disclosed = dojang_credentials::sdjwt::disclose(&jws.payload, &sd.disclosures).unwrap();
    for (name, value) in claims.as_object().unwrap() {
        assert_eq!(&disclosed.claims[name], value, "{name}");
        assert!(jws.payload.get(name).is_none(), "{name} is concealable, not in the clear");
    }

    let bad: Vec<(Value, u16, &str)> = vec![
        (json!({"subject": "c", "credential_configuration_id": "career"}), 400, "needs the claims"),
        (json!({"subject": "c", "credential_configuration_id": "career", "claims": {}}), 400, "send 1 to"),
        (json!({"subject": "c", "credential_configuration_id": "career", "claims": {"iss": "x"}}), 400, "reserved"),
        (
            json!({"subject": "c", "credential_configuration_id": "career", "claims": {"_sd": ["x"]}}),
            400,
            "'_sd' is reserved",
        ),
        (
            json!({"subject": "c", "credential_configuration_id": "career", "claims": {"a": [{"_sd": 1}]}}),
            400,
            "'_sd' is reserved",
        ),
        (
            json!({"subject": "c", "credential_configuration_id": "career", "claims": {"a": [{"...": "x"}]}}),
            400,
            "'...' is reserved",
        ),
        (
            json!({"subject": "c", "credential_configuration_id": "career", "claims": {"a": "x".repeat(9000)}}),
            400,
            "longer than",
        ),
        (json!({"subject": "", "credential_configuration_id": "career", "claims": {"a": 1}}), 400, "subject"),
        (json!({"subject": "c", "credential_configuration_id": "career", "claims": [1]}), 400, "invalid type"),
        (
            json!({"subject": "S-1", "credential_configuration_id": "income_band", "claims": {"a": 1}}),
            400,
            "send no claims",
        ),
        (
            json!({"subject": "S-1", "credential_configuration_id": "nothing", "claims": {"a": 1}}),
            404,
            "no credential configuration",
        ),
    ];
    for (body, status, says) in bad {
        let (s, v) = r.post("/admin/offers", Some(ADMIN), body.clone()).await;
        assert_eq!(s, status, "{body}: {v}");
        assert!(v["error_description"].as_str().unwrap_or_default().contains(says), "{body}: {v}");
    }
}

#[tokio::test]
async fn offers_come_with_a_link_to_the_web_wallet_and_its_qr_code() {
    let r = start().await;
    let offer = r.offer(false).await;
    let uri = offer["credential_offer_uri"].as_str().unwrap();
    let link = offer["wallet_link"].as_str().unwrap();
    assert_eq!(link, format!("https://wallet.example/#/wallet/offer/{}", dojang_types::percent_encode(uri)));
    let svg = offer["qr_svg"].as_str().unwrap();
    assert!(svg.contains("<svg") && svg.trim_end().ends_with("</svg>"), "{svg}");
    assert_eq!(svg, &dojang_credentials::links::qr_svg(link).unwrap(), "the QR code holds the wallet link");
}

#[tokio::test]
async fn pin_protected_offers_and_single_use_codes() {
    let r = start().await;
    let offer = r.offer(true).await;
    let pin = offer["tx_code"].as_str().unwrap().to_string();
    let code = offer["credential_offer"]["grants"]["urn:ietf:params:oauth:grant-type:pre-authorized_code"]
        ["pre-authorized_code"]
        .as_str()
        .unwrap()
        .to_string();
    let grant = "urn:ietf:params:oauth:grant-type:pre-authorized_code";
    let (s, v) =
        r.form("/token", &[("grant_type", grant), ("pre-authorized_code", &code), ("tx_code", "000000x")]).await;
    assert_eq!((s, v["error"].as_str()), (400, Some("invalid_grant")));
    let (s, _) = r.form("/token", &[("grant_type", grant), ("pre-authorized_code", &code), ("tx_code", &pin)]).await;
    assert_eq!(s, 400, "a failed PIN voids the offer");
    let offer = r.offer(true).await;
    assert!(offer["credential_offer_uri"]
        .as_str()
        .unwrap()
        .starts_with("openid-credential-offer://?credential_offer="));
}

#[tokio::test]
async fn malformed_and_unauthorized_requests() {
    let r = start().await;
    let cases: Vec<(&str, Option<&str>, Value, u16, &str)> = vec![
        (
            "/admin/offers",
            None,
            json!({"subject": "S-1", "credential_configuration_id": "income_band"}),
            401,
            "invalid_token",
        ),
        (
            "/admin/offers",
            Some("guess"),
            json!({"subject": "S-1", "credential_configuration_id": "income_band"}),
            401,
            "invalid_token",
        ),
        (
            "/admin/offers",
            Some(ADMIN),
            json!({"subject": "S-404", "credential_configuration_id": "income_band"}),
            404,
            "not_found",
        ),
        ("/admin/offers", Some(ADMIN), json!({"subj": 1}), 400, "invalid_request"),
        (
            "/admin/status",
            Some(ADMIN),
            json!({"subject": "S-1", "credential_configuration_id": "income_band", "status": "gone"}),
            400,
            "invalid_request",
        ),
        (
            "/admin/status",
            Some(ADMIN),
            json!({"subject": "S-1", "credential_configuration_id": "income_band", "status": "revoked"}),
            404,
            "not_found",
        ),
        ("/credential", None, json!({}), 401, "invalid_token"),
        (
            "/credential",
            Some("made-up"),
            json!({"credential_configuration_id": "income_band", "proofs": {"jwt": ["x"]}}),
            401,
            "invalid_token",
        ),
        (
            "/credential",
            Some("made-up"),
            json!({"credential_configuration_id": "nope", "proofs": {"jwt": []}}),
            400,
            "unknown_credential_configuration",
        ),
        ("/credential", Some("made-up"), json!({"proofs": 1}), 400, "invalid_credential_request"),
    ];
    for (path, bearer, body, status, code) in cases {
        let (s, v) = r.post(path, bearer, body.clone()).await;
        assert_eq!((s, v["error"].as_str().unwrap_or_default()), (status, code), "{path} {body}: {v}");
    }
    let (s, v) = r.form("/token", &[("grant_type", "password")]).await;
    assert_eq!((s, v["error"].as_str()), (400, Some("unsupported_grant_type")));
    let (s, v) = r.form("/token", &[("grant_type", "urn:ietf:params:oauth:grant-type:pre-authorized_code")]).await;
    assert_eq!((s, v["error"].as_str()), (400, Some("invalid_request")));
    let (s, v) = r.post("/token", None, json!({"not": "a form"})).await;
    assert_eq!((s, v["error"].as_str()), (400, Some("invalid_request")));

    // Proofs: wrong typ, wrong audience, replayed nonce, garbage.
    let k = Keypair::generate(Algorithm::P256);
    let good = r.proof(&k).await;
    let mut h = Map::new();
    h.insert("typ".into(), json!("JWT"));
    h.insert("jwk".into(), json!(Jwk::from_public_key(&k.public_key())));
    let wrong_typ = sign_compact(&k, h, &json!({"aud": r.url}));
    let mut h = Map::new();
    h.insert("typ".into(), json!("openid4vci-proof+jwt"));
    h.insert("jwk".into(), json!(Jwk::from_public_key(&k.public_key())));
    let wrong_aud = sign_compact(
        &k,
        h,
        &json!({"aud": "https://elsewhere", "iat": dojang_types::wall_clock_ms() / 1000, "nonce": "x"}),
    );
    for (proof, code) in
        [(wrong_typ, "invalid_proof"), (wrong_aud, "invalid_proof"), ("garbage".to_string(), "invalid_proof")]
    {
        let token = r.access_token().await;
        let (s, v) = r
            .post(
                "/credential",
                Some(&token),
                json!({"credential_configuration_id": "income_band", "proofs": {"jwt": [proof]}}),
            )
            .await;
        assert_eq!((s, v["error"].as_str().unwrap_or_default()), (400, code), "{v}");
    }
    let token = r.access_token().await;
    let (s, _) = r
        .post(
            "/credential",
            Some(&token),
            json!({"credential_configuration_id": "income_band", "proofs": {"jwt": [good.clone()]}}),
        )
        .await;
    assert_eq!(s, 200);
    let token = r.access_token().await;
    let (s, v) = r
        .post(
            "/credential",
            Some(&token),
            json!({"credential_configuration_id": "income_band", "proofs": {"jwt": [good]}}),
        )
        .await;
    assert_eq!((s, v["error"].as_str()), (400, Some("invalid_nonce")), "a proof's nonce is single use");

    let resp = r.http.get(format!("{}/status/other", r.url)).send().await.unwrap();
    assert_eq!(resp.status().as_u16(), 404);
    let meta: Value = r
        .http
        .get(format!("{}/.well-known/openid-credential-issuer", r.url))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(meta["credential_configurations_supported"]["income_band"]["format"], "dc+sd-jwt");
}

#[tokio::test]
async fn wallet_endpoints_answer_any_origin_and_the_desk_does_not() {
    let r = start().await;
    let preflight = |path: &str| {
        r.http
            .request(reqwest::Method::OPTIONS, format!("{}{path}", r.url))
            .header("origin", "https://wallet.example")
            .header("access-control-request-method", "POST")
            .header("access-control-request-headers", "authorization, content-type")
    };
    for path in ["/token", "/nonce", "/credential"] {
        let resp = preflight(path).send().await.unwrap();
        assert!(resp.status().is_success(), "{path}: {}", resp.status());
        let h = resp.headers();
        assert_eq!(h["access-control-allow-origin"], "*", "{path}");
        let headers = h["access-control-allow-headers"].to_str().unwrap().to_lowercase();
        assert!(headers.contains("authorization") && headers.contains("content-type"), "{path}: {headers}");
    }
    let meta = r
        .http
        .get(format!("{}/.well-known/openid-credential-issuer", r.url))
        .header("origin", "https://wallet.example")
        .send()
        .await
        .unwrap();
    assert_eq!(meta.headers()["access-control-allow-origin"], "*");
    // The desk gives a page elsewhere nothing to read.
    let desk = preflight("/admin/offers").send().await.unwrap();
    assert!(desk.headers().get("access-control-allow-origin").is_none(), "{:?}", desk.headers());
    let (status, _) = r
        .post("/admin/offers", Some(ADMIN), json!({"subject": "S-1", "credential_configuration_id": "income_band"}))
        .await;
    assert_eq!(status, 200, "the desk still works for its own callers");
}

#[tokio::test]
async fn the_offer_client_gets_an_offer_and_tells_a_refusal_from_an_outage() {
    use dojang_issuer::{OfferClient, OfferError};
    let r = start().await;
    let claims: Map<String, Value> =
        serde_json::from_value(json!({"employer": "Mapo Bakery", "months_of_service": 7})).unwrap();
    let client = OfferClient::new(&r.url, ADMIN, "career").unwrap();
    let offer = client.offer("contract-1", claims.clone()).await.unwrap();
    assert!(offer.credential_offer_uri.starts_with("openid-credential-offer://"), "{}", offer.credential_offer_uri);
    assert_eq!(offer.credential_offer["credential_configuration_ids"], json!(["career"]));
    let pin = offer.tx_code.unwrap();
    assert!(pin.len() == 6 && pin.chars().all(|c| c.is_ascii_digit()), "{pin}");
    // Refusals: retrying will not help, and the reason is the issuer's.
    let wrong_token = OfferClient::new(&r.url, "not-the-desk-token", "career").unwrap();
    assert!(matches!(wrong_token.offer("contract-1", claims.clone()).await, Err(OfferError::Refused(_))));
    let from_records = OfferClient::new(&r.url, ADMIN, "income_band").unwrap();
    match from_records.offer("S-1", claims.clone()).await {
        Err(OfferError::Refused(why)) => assert!(why.contains("send no claims"), "{why}"),
        other => panic!("expected a refusal, got {other:?}"),
    }
    match client.offer("", claims.clone()).await {
        Err(OfferError::Refused(why)) => assert!(why.contains("subject"), "{why}"),
        other => panic!("expected a refusal, got {other:?}"),
    }
    // An issuer that is not there: a passing fault.
    let gone = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        format!("http://{}", l.local_addr().unwrap())
    };
    let down = OfferClient::new(&gone, ADMIN, "career").unwrap();
    assert!(matches!(down.offer("contract-1", claims.clone()).await, Err(OfferError::Unavailable(_))));
    // Something else at the address: a refusal without JSON is a refusal, a 200 without an
    // offer is malformed.
    for (status, body, refusal) in [(404u16, "not here", true), (200, "hello", false), (200, "{\"x\": 1}", false)] {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let app = axum::Router::new().route(
            "/admin/offers",
            axum::routing::post(move || async move { (axum::http::StatusCode::from_u16(status).unwrap(), body) }),
        );
        let server = tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
        let other = OfferClient::new(&url, ADMIN, "career").unwrap();
        match (other.offer("contract-1", claims.clone()).await, refusal) {
            (Err(OfferError::Refused(why)), true) => assert!(why.contains("404"), "{why}"),
            (Err(OfferError::Malformed(_)), false) => {}
            (other, _) => panic!("HTTP {status} {body}: {other:?}"),
        }
        server.abort();
    }
    // Settings that cannot work are refused before any request.
    assert!(OfferClient::new("ftp://issuer", ADMIN, "career").is_err());
    assert!(OfferClient::new(&r.url, "short", "career").is_err());
    assert!(OfferClient::new(&r.url, ADMIN, "").is_err());
}
