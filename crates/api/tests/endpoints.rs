//! Every endpoint, in process: good requests and malformed ones. A malformed request must get
//! a 4xx problem document, never a 5xx or a panic.

mod common;

use std::sync::Arc;

use axum::body::Body;
use axum::http::{Method, Request, StatusCode};
use dojang_api::{router, ApiSettings};
use dojang_crypto::verify_state_proof as verify_proof;
use dojang_crypto::Keypair;
use dojang_ledger::{BlockApp, Ledger};
use dojang_types::{encode, Commit, Hash, TxBody};
use http_body_util::BodyExt;
use serde_json::{json, Value};
use tower::ServiceExt;

struct Node {
    ledger: Arc<Ledger>,
    app: axum::Router,
    admin: Keypair,
    /// Keeps the ledger's directory alive.
    _chain: common::TestLedger,
}

fn node(max_body: usize) -> Node {
    let chain = common::ledger();
    let settings = ApiSettings { max_body_bytes: max_body, ..Default::default() };
    let app = router(chain.ledger.clone(), settings);
    Node { ledger: chain.ledger.clone(), app, admin: chain.admin.duplicate(), _chain: chain }
}

fn now_ms() -> u64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_millis() as u64
}

fn signed(k: &Keypair, module: &str, nonce: u64) -> Vec<u8> {
    let msg = common::grant_auditor(k.public_key().address());
    encode(&k.sign_tx(TxBody {
        chain_id: "api-test".into(),
        sender: k.public_key(),
        nonce,
        expires_at_ms: now_ms() + 60_000,
        module: module.into(),
        msg: serde_json::to_vec(&msg).unwrap(),
    }))
}

async fn call(n: &Node, method: Method, uri: &str, body: Option<Vec<u8>>, ctype: &str) -> (StatusCode, String, Value) {
    let req = Request::builder()
        .method(method)
        .uri(uri)
        .header("content-type", ctype)
        .body(body.map(Body::from).unwrap_or_else(Body::empty))
        .unwrap();
    let resp = n.app.clone().oneshot(req).await.unwrap();
    let status = resp.status();
    let ctype = resp.headers().get("content-type").map(|v| v.to_str().unwrap().to_string()).unwrap_or_default();
    let bytes = resp.into_body().collect().await.unwrap().to_bytes();
    let v = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
    (status, ctype, v)
}

async fn expect_problem(n: &Node, method: Method, uri: &str, body: Option<Vec<u8>>, status: StatusCode) -> Value {
    let (got, ctype, v) = call(n, method.clone(), uri, body, "application/json").await;
    assert_eq!(got, status, "{method} {uri}: {v}");
    assert_eq!(ctype, "application/problem+json", "{method} {uri}");
    assert_eq!(v["status"], status.as_u16());
    assert!(v["detail"].as_str().is_some_and(|d| !d.is_empty()));
    v
}

fn commit_next(n: &Node) {
    common::commit_next(&n.ledger);
}

#[tokio::test]
async fn malformed_requests_get_4xx_problems() {
    let n = node(64 * 1024);
    let bad = StatusCode::BAD_REQUEST;
    expect_problem(&n, Method::POST, "/v1/txs", Some(b"{not json".to_vec()), bad).await;
    expect_problem(&n, Method::POST, "/v1/txs", Some(br#"{"tx": "zz"}"#.to_vec()), bad).await;
    expect_problem(&n, Method::POST, "/v1/txs", Some(br#"{"tx": "00", "extra": 1}"#.to_vec()), bad).await;
    let v = expect_problem(&n, Method::POST, "/v1/txs", Some(br#"{"tx": "0102"}"#.to_vec()), bad).await;
    assert!(v["type"].as_str().unwrap().ends_with("malformed-transaction"));

    let mut tampered = signed(&n.admin, "governance", 1);
    let last = tampered.len() - 1;
    tampered[last] ^= 1;
    let body = serde_json::to_vec(&json!({"tx": hex::encode(&tampered)})).unwrap();
    let v = expect_problem(&n, Method::POST, "/v1/txs", Some(body), bad).await;
    assert!(v["type"].as_str().unwrap().ends_with("bad-signature"));

    let body = serde_json::to_vec(&json!({"tx": hex::encode(signed(&n.admin, "no_such_module", 1))})).unwrap();
    let v = expect_problem(&n, Method::POST, "/v1/txs", Some(body), bad).await;
    assert!(v["type"].as_str().unwrap().ends_with("unknown-module"));

    let k = &n.admin;
    let invalid = encode(&k.sign_tx(TxBody {
        chain_id: "api-test".into(),
        sender: k.public_key(),
        nonce: 1,
        expires_at_ms: now_ms() + 60_000,
        module: "governance".into(),
        msg: br#"{"type": "grant_role"}"#.to_vec(),
    }));
    let body = serde_json::to_vec(&json!({"tx": hex::encode(invalid)})).unwrap();
    let v = expect_problem(&n, Method::POST, "/v1/txs", Some(body), bad).await;
    assert!(v["type"].as_str().unwrap().ends_with("invalid-message"), "{v}");

    expect_problem(&n, Method::POST, "/v1/txs", Some(vec![b'a'; 100 * 1024]), StatusCode::PAYLOAD_TOO_LARGE).await;
    expect_problem(&n, Method::POST, "/v1/txs/batch", Some(br#"{"txs": []}"#.to_vec()), bad).await;
    expect_problem(&n, Method::POST, "/v1/txs/batch", Some(b"[]".to_vec()), bad).await;
    expect_problem(&n, Method::GET, "/v1/txs/nothex", None, bad).await;
    expect_problem(&n, Method::GET, &format!("/v1/txs/{}", Hash::default()), None, StatusCode::NOT_FOUND).await;
    expect_problem(&n, Method::GET, "/v1/blocks/abc", None, bad).await;
    expect_problem(&n, Method::GET, "/v1/blocks/-1", None, bad).await;
    expect_problem(&n, Method::GET, "/v1/blocks/99", None, StatusCode::NOT_FOUND).await;
    expect_problem(&n, Method::GET, "/v1/blocks/latest", None, StatusCode::NOT_FOUND).await;
    expect_problem(&n, Method::GET, "/v1/blocks/by-hash/xyz", None, bad).await;
    expect_problem(&n, Method::GET, "/v1/state", None, bad).await;
    expect_problem(&n, Method::GET, "/v1/state?key_hex=zz", None, bad).await;
    expect_problem(&n, Method::GET, "/v1/state?key=a&height=999", None, StatusCode::NOT_FOUND).await;
    expect_problem(&n, Method::GET, "/v1/state?key=a&height=x", None, bad).await;
    expect_problem(&n, Method::GET, "/v1/query/nomodule/x", None, StatusCode::NOT_FOUND).await;
    expect_problem(&n, Method::POST, "/v1/txs?wait=maybe", Some(b"{}".to_vec()), bad).await;
    expect_problem(&n, Method::GET, "/v1/query/governance/account/notanaddress", None, bad).await;
    expect_problem(&n, Method::GET, "/v1/query/governance/param/a/b?as_of=yesterday", None, StatusCode::NOT_FOUND)
        .await;
    expect_problem(&n, Method::GET, "/nope", None, StatusCode::NOT_FOUND).await;
    expect_problem(&n, Method::DELETE, "/v1/txs", None, StatusCode::METHOD_NOT_ALLOWED).await;
}

#[tokio::test]
async fn submit_commit_read_with_proof() {
    let n = node(16 * 1024 * 1024);
    let tx = signed(&n.admin, "governance", 7);
    let (status, _, v) = call(&n, Method::POST, "/v1/txs", Some(tx.clone()), "application/octet-stream").await;
    assert_eq!(status, StatusCode::ACCEPTED, "{v}");
    let id = v["id"].as_str().unwrap().to_string();
    let v = expect_problem(
        &n,
        Method::POST,
        "/v1/txs",
        Some(serde_json::to_vec(&json!({"tx": hex::encode(&tx)})).unwrap()),
        StatusCode::CONFLICT,
    )
    .await;
    assert!(v["type"].as_str().unwrap().ends_with("duplicate"));
    commit_next(&n);

    let (status, _, v) = call(&n, Method::GET, &format!("/v1/txs/{id}"), None, "").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(v["receipt"]["result"]["status"], "ok", "{v}");
    let v = expect_problem(&n, Method::POST, "/v1/txs", Some(tx), StatusCode::BAD_REQUEST).await;
    assert!(v["detail"].as_str().unwrap().contains("expected JSON"), "octet-stream needs its content type");

    let key = format!("governance/accounts/{}", n.admin.public_key().address());
    let (status, _, v) = call(&n, Method::GET, &format!("/v1/state?key={key}"), None, "").await;
    assert_eq!(status, StatusCode::OK, "{v}");
    assert_eq!(v["exists"], true);
    let root: Hash = v["header"]["state_root"].as_str().unwrap().parse().unwrap();
    let value = hex::decode(v["value_hex"].as_str().unwrap()).unwrap();
    let proof = hex::decode(v["proof_hex"].as_str().unwrap()).unwrap();
    verify_proof(key.as_bytes(), Some(&value), &root, &proof).unwrap();
    assert!(v["value"]["roles"]["auditor"].is_object());
    // The latest state is all a node keeps: its height may be named, an older one is gone.
    let latest = v["height"].as_u64().unwrap();
    assert_eq!(v["header"]["height"], latest);
    let (status, _, at) = call(&n, Method::GET, &format!("/v1/state?key={key}&height={latest}"), None, "").await;
    assert_eq!((status, &at["proof_hex"]), (StatusCode::OK, &v["proof_hex"]), "{at}");
    let gone =
        expect_problem(&n, Method::GET, &format!("/v1/state?key={key}&height={}", latest - 1), None, StatusCode::GONE)
            .await;
    assert!(gone["type"].as_str().unwrap().ends_with("state-not-kept"), "{gone}");
    assert!(gone["detail"].as_str().unwrap().contains("latest state only"), "{gone}");

    let (status, _, v) = call(&n, Method::GET, "/v1/blocks/1", None, "").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(v["block"]["header"]["height"], 1);
    let (status, _, v) =
        call(&n, Method::GET, &format!("/v1/blocks/by-hash/{}", v["hash"].as_str().unwrap()), None, "").await;
    assert_eq!(status, StatusCode::OK, "{v}");

    // The same signed bytes twice (two signings could straddle a millisecond of expiry).
    let twice = hex::encode(signed(&n.admin, "governance", 8));
    let batch = json!({"txs": [twice, "zz", twice]});
    let (status, _, v) =
        call(&n, Method::POST, "/v1/txs/batch", Some(serde_json::to_vec(&batch).unwrap()), "application/json").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(v["accepted"], 1, "{v}");
    assert!(v["results"][1]["error"]["status"] == 400);
    assert!(v["results"][2]["error"]["status"] == 409);

    // The network endpoints: the validator set with its proof, blocks for catch-up, evidence.
    let (status, _, v) = call(&n, Method::GET, "/v1/validators?height=1", None, "").await;
    assert_eq!(status, StatusCode::OK, "{v}");
    assert_eq!(v["validators"].as_array().unwrap().len(), 1);
    assert_eq!(v["proof"]["version"], 0);
    // The set never changed: every height's set is proven where genesis set it, with the
    // same proof kept then.
    let (status, _, v2) = call(&n, Method::GET, "/v1/validators?height=2", None, "").await;
    assert_eq!(
        (status, &v2["proof"]["version"], &v2["proof"]["proof_hex"]),
        (StatusCode::OK, &json!(0), &v["proof"]["proof_hex"])
    );
    let req = Request::builder().uri("/v1/sync/blocks?from=1").body(Body::empty()).unwrap();
    let bytes = n.app.clone().oneshot(req).await.unwrap().into_body().collect().await.unwrap().to_bytes();
    let blocks: Vec<(Vec<u8>, Commit)> = dojang_types::decode(&bytes).unwrap();
    assert_eq!(blocks.len(), 1);
    assert_eq!(blocks[0].1.height, 1);
    let (status, _, v) = call(&n, Method::GET, "/v1/evidence", None, "").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(v["count"], 0);
    for bad in [
        "/v1/validators?height=abc",
        "/v1/validators?height=-1",
        "/v1/validators?bogus=1",
        "/v1/sync/blocks",
        "/v1/sync/blocks?from=0",
        "/v1/sync/blocks?from=x",
        "/v1/sync/blocks?from=1&max=lots",
        "/v1/evidence?limit=many",
    ] {
        expect_problem(&n, Method::GET, bad, None, StatusCode::BAD_REQUEST).await;
    }
    expect_problem(&n, Method::GET, "/v1/validators?height=99", None, StatusCode::NOT_FOUND).await;

    for path in ["/health", "/v1/status", "/openapi.json", "/v1/query/governance/role/admin"] {
        let (status, _, v) = call(&n, Method::GET, path, None, "").await;
        assert_eq!(status, StatusCode::OK, "{path}: {v}");
    }
    let req = Request::builder().uri("/metrics").body(Body::empty()).unwrap();
    let resp = n.app.clone().oneshot(req).await.unwrap();
    let text = String::from_utf8(resp.into_body().collect().await.unwrap().to_bytes().to_vec()).unwrap();
    assert!(text.contains("dojang_height 1"), "{text}");
    assert!(text.contains("dojang_mempool_size 1"), "{text}");
}

#[tokio::test]
async fn submit_and_wait_returns_the_receipt() {
    let n = node(1024 * 1024);
    let tx = signed(&n.admin, "governance", 3);
    let ledger = n.ledger.clone();
    let producer = tokio::spawn(async move {
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
        let h = ledger.next_height();
        let b = ledger.propose(h, Default::default(), std::time::Duration::from_secs(1)).unwrap();
        ledger.commit(h, &b.hash(), Commit { height: h, round: 0, block_hash: b.hash(), signatures: vec![] }).unwrap();
    });
    let body = serde_json::to_vec(&json!({"tx": hex::encode(&tx)})).unwrap();
    let (status, _, v) =
        call(&n, Method::POST, "/v1/txs?wait=true&timeout_ms=5000", Some(body), "application/json").await;
    producer.await.unwrap();
    assert_eq!(status, StatusCode::OK, "{v}");
    assert_eq!(v["committed"], true);
    assert_eq!(v["receipt"]["height"], 1);

    let tx = signed(&n.admin, "governance", 4);
    let body = serde_json::to_vec(&json!({"tx": hex::encode(&tx)})).unwrap();
    let (status, _, v) =
        call(&n, Method::POST, "/v1/txs?wait=true&timeout_ms=50", Some(body), "application/json").await;
    assert_eq!(status, StatusCode::ACCEPTED, "not final in time: still admitted, {v}");
}

#[tokio::test]
async fn event_stream_delivers_finalized_blocks() {
    let n = node(1024 * 1024);
    let req = Request::builder().uri("/v1/events").body(Body::empty()).unwrap();
    let resp = n.app.clone().oneshot(req).await.unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    assert!(resp.headers()["content-type"].to_str().unwrap().starts_with("text/event-stream"));
    let body = serde_json::to_vec(&json!({"tx": hex::encode(signed(&n.admin, "governance", 11))})).unwrap();
    let (status, _, v) = call(&n, Method::POST, "/v1/txs", Some(body), "application/json").await;
    assert_eq!(status, StatusCode::ACCEPTED);
    let id = v["id"].as_str().unwrap().to_string();
    commit_next(&n);
    let mut body = resp.into_body();
    let frame = tokio::time::timeout(std::time::Duration::from_secs(5), body.frame()).await.unwrap().unwrap().unwrap();
    let text = String::from_utf8(frame.into_data().unwrap().to_vec()).unwrap();
    assert!(text.starts_with("event: block"), "{text}");
    assert!(text.contains(&id), "the block event carries the receipt: {text}");
}

#[tokio::test]
async fn undecodable_repeated_and_overlong_inputs_are_refused() {
    let n = node(64 * 1024);
    commit_next(&n);
    let bad = StatusCode::BAD_REQUEST;
    let long_key = "a".repeat(1025);
    for uri in [
        // Invalid UTF-8 once decoded: axum's default would have read U+FFFD and answered 200.
        "/v1/state?key=%FF",
        "/v1/state?key=governance%2Faccounts%2F%C3",
        "/v1/state?key%FF=a",
        // Malformed escapes: axum's default would have passed them through as text.
        "/v1/state?key=50%",
        "/v1/state?key=%zz",
        // A repeated parameter: axum's default would have kept one of the values.
        "/v1/state?key=a&key=b",
        "/v1/validators?height=1&height=2",
        // Overlong and overflowing values.
        &format!("/v1/state?key={long_key}"),
        "/v1/state?key=a&height=99999999999999999999999",
        "/v1/blocks/99999999999999999999999",
        "/v1/blocks/+1",
        // In a path.
        "/v1/blocks/%FF",
        "/v1/txs/%FF",
        "/v1/blocks/by-hash/%zz",
        "/v1/query/governance/role/%FF",
        "/v1/query/gov%FFernance/role/admin",
        // In a query string of any route, and of a module query.
        "/health?%FF",
        "/v1/query/governance/role/admin?x=%FF",
        "/v1/query/governance/role/admin?x=1&x=2",
    ] {
        let v = expect_problem(&n, Method::GET, uri, None, bad).await;
        let kind = v["type"].as_str().unwrap();
        assert!(kind.contains("malformed"), "{uri}: {v}");
    }
    let v = expect_problem(&n, Method::POST, "/v1/txs?wait=true&bogus=1", Some(b"{}".to_vec()), bad).await;
    assert!(v["detail"].as_str().unwrap().contains("bogus"), "an unknown parameter is named: {v}");
    // The same requests, well-formed, are answered.
    for uri in ["/v1/state?key=a", "/v1/state?key=%ED%95%9C+x", "/v1/blocks/1", "/v1/query/governance/role/admin"] {
        let (status, _, v) = call(&n, Method::GET, uri, None, "").await;
        assert_eq!(status, StatusCode::OK, "{uri}: {v}");
    }
}

#[tokio::test]
async fn a_transaction_comes_with_its_bytes_and_paths_into_the_header_roots() {
    let n = node(16 * 1024 * 1024);
    let first = signed(&n.admin, "governance", 21);
    let second = signed(&n.admin, "governance", 22);
    let mut ids = Vec::new();
    for tx in [&first, &second] {
        let (status, _, v) = call(&n, Method::POST, "/v1/txs", Some(tx.clone()), "application/octet-stream").await;
        assert_eq!(status, StatusCode::ACCEPTED, "{v}");
        ids.push(v["id"].as_str().unwrap().to_string());
    }
    commit_next(&n);
    let (_, _, block) = call(&n, Method::GET, "/v1/blocks/1", None, "").await;
    let header = &block["block"]["header"];
    let listed: Vec<Hash> = serde_json::from_value(block["tx_ids"].clone()).unwrap();
    assert_eq!(listed.iter().map(Hash::to_string).collect::<Vec<_>>(), ids, "the block lists its ids in order");
    assert_eq!(dojang_types::Block::txs_root_of(&listed).to_string(), header["txs_root"].as_str().unwrap());
    for (id, bytes) in ids.iter().zip([&first, &second]) {
        let (status, _, v) = call(&n, Method::GET, &format!("/v1/txs/{id}"), None, "").await;
        assert_eq!(status, StatusCode::OK, "{v}");
        assert_eq!(v["tx_hex"], hex::encode(bytes), "the exact bytes submitted");
        assert_eq!(v["inclusion"]["height"], 1);
        let tx_path: Vec<dojang_types::ProofStep> = serde_json::from_value(v["inclusion"]["tx_proof"].clone()).unwrap();
        let id_hash: Hash = id.parse().unwrap();
        let root = dojang_types::merkle_root_from_proof(&id_hash.0, &tx_path);
        assert_eq!(root.to_string(), header["txs_root"].as_str().unwrap());
        let receipt: dojang_types::Receipt = serde_json::from_value(v["receipt"].clone()).unwrap();
        let receipt_path: Vec<dojang_types::ProofStep> =
            serde_json::from_value(v["inclusion"]["receipt_proof"].clone()).unwrap();
        let root = dojang_types::merkle_root_from_proof(&receipt.commitment_bytes(), &receipt_path);
        assert_eq!(root.to_string(), header["receipts_root"].as_str().unwrap());
    }
}

#[tokio::test]
async fn state_keys_are_listed_by_prefix_in_pages_and_bad_pages_are_refused() {
    let n = node(16 * 1024 * 1024);
    let (status, _, v) = call(&n, Method::GET, "/v1/state/keys?prefix=governance/&limit=1", None, "").await;
    assert_eq!(status, StatusCode::OK, "{v}");
    let first = v["keys"][0]["key"].as_str().unwrap().to_string();
    assert!(first.starts_with("governance/"), "{v}");
    assert_eq!(v["keys"][0]["key_hex"], hex::encode(&first));
    assert_eq!(v["next_after"], first.as_str(), "a full page says where to continue");
    let (_, _, all) = call(&n, Method::GET, "/v1/state/keys?prefix=governance/&limit=200", None, "").await;
    let all: Vec<&str> = all["keys"].as_array().unwrap().iter().map(|k| k["key"].as_str().unwrap()).collect();
    assert!(all.len() >= 2, "{all:?}");
    assert!(all.windows(2).all(|w| w[0] < w[1]), "key order");
    let (_, _, next) =
        call(&n, Method::GET, &format!("/v1/state/keys?prefix=governance/&after={first}&limit=200"), None, "").await;
    assert_eq!(next["keys"][0]["key"], all[1]);
    assert_eq!(next["next_after"], Value::Null, "a short page is the last");
    assert_eq!(next["next_after_hex"], Value::Null);
    let (_, _, by_hex) = call(
        &n,
        Method::GET,
        &format!("/v1/state/keys?prefix=governance/&after_hex={}&limit=1", hex::encode(&first)),
        None,
        "",
    )
    .await;
    assert_eq!(by_hex["keys"][0]["key"], all[1], "after_hex continues like after");
    assert_eq!(by_hex["next_after_hex"], hex::encode(all[1]));
    let long = "a".repeat(1025);
    for bad in [
        "/v1/state/keys",
        "/v1/state/keys?prefix=a&limit=0",
        "/v1/state/keys?prefix=a&limit=201",
        "/v1/state/keys?prefix=a&limit=x",
        "/v1/state/keys?prefix=a&bogus=1",
        "/v1/state/keys?prefix=a&after=x&after_hex=78",
        "/v1/state/keys?prefix=a&after_hex=zz",
        &format!("/v1/state/keys?prefix={long}"),
        &format!("/v1/state/keys?prefix=a&after={long}"),
    ] {
        expect_problem(&n, Method::GET, bad, None, StatusCode::BAD_REQUEST).await;
    }
}
