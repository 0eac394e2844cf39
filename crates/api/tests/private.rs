//! `PUT`/`GET /v1/private/{collection}/{key}` on a member's node: names, signatures, sizes and
//! membership are checked, each refusal is a problem document saying what was wrong, and a
//! stored payload is answered only once recorded and never after it is purged.

mod common;

use std::sync::Arc;

use axum::body::Body;
use axum::http::{Request, StatusCode};
use dojang_api::{gateway, ApiSettings, NodeStatus};
use dojang_collections::Collections;
use dojang_crypto::{Algorithm, Keypair};
use dojang_ledger::{LedgerConfig, Router};
use dojang_private::{request, PrivateStore, Vault, MAX_PAYLOAD_BYTES};
use dojang_types::{encode, wall_clock_ms, TxBody};
use http_body_util::BodyExt;
use serde_json::{json, Value};
use tower::ServiceExt;

const C: &str = "labour-contracts";

struct Node {
    app: axum::Router,
    t: common::TestLedger,
    member: Keypair,
    other: Keypair,
    _dir: tempfile::TempDir,
}

fn send(t: &common::TestLedger, k: &Keypair, module: &str, msg: Value) {
    let tx = k.sign_tx(TxBody {
        chain_id: "api-test".into(),
        sender: k.public_key(),
        nonce: rand::random(),
        expires_at_ms: wall_clock_ms() + 60_000,
        module: module.into(),
        msg: serde_json::to_vec(&msg).unwrap(),
    });
    let id = t.ledger.submit(&encode(&tx)).unwrap();
    common::commit_next(&t.ledger);
    let (receipt, _) = t.ledger.receipt(&id).unwrap().unwrap();
    assert_eq!(receipt.result, dojang_types::TxStatus::Ok, "{msg}");
}

fn node() -> Node {
    let t = common::ledger_with_modules(LedgerConfig::default(), Router::new().with_typed(Collections));
    let (member, other) = (Keypair::generate(Algorithm::Ed25519), Keypair::generate(Algorithm::P256));
    let define = json!({"type": "define", "id": C, "members": [member.public_key().address(), other.public_key().address()],
                        "erasure_approvals": 2, "retention_days": 30});
    let admin = t.admin.duplicate();
    send(
        &t,
        &admin,
        "governance",
        json!({"type": "propose", "reason": "api test", "expires_at_ms": wall_clock_ms() + 60_000,
                                          "proposal": {"module": "collections", "msg": define}}),
    );
    let dir = tempfile::tempdir().unwrap();
    let vault =
        Vault::new(PrivateStore::open(dir.path()).unwrap(), t.ledger.clone(), Some(Arc::new(member.duplicate())), &[]);
    let app = gateway(t.ledger.clone(), ApiSettings::default(), NodeStatus::new(), Some(Arc::new(vault)));
    Node { app, t, member, other, _dir: dir }
}

/// Sends a request signed by `key` (with the time given, or now), or unsigned.
async fn call(
    app: &axum::Router,
    method: &str,
    uri: &str,
    key: Option<&Keypair>,
    time: Option<u64>,
    body: &[u8],
) -> (StatusCode, String, Value) {
    let mut req = Request::builder().method(method).uri(uri);
    if let Some(k) = key {
        for (name, value) in request::sign(k, method, uri, body, time.unwrap_or_else(wall_clock_ms)).unwrap() {
            req = req.header(name, value);
        }
    }
    let resp = app.clone().oneshot(req.body(Body::from(body.to_vec())).unwrap()).await.unwrap();
    let status = resp.status();
    let ctype = resp.headers().get("content-type").map(|v| v.to_str().unwrap().to_string()).unwrap_or_default();
    let bytes = resp.into_body().collect().await.unwrap().to_bytes();
    (status, ctype, serde_json::from_slice(&bytes).unwrap_or(Value::Null))
}

fn problem(v: &Value, ctype: &str, code: &str) {
    assert_eq!(ctype, "application/problem+json", "{v}");
    assert!(v["type"].as_str().unwrap_or_default().ends_with(&format!("/{code}")), "expected {code}: {v}");
    assert!(!v["detail"].as_str().unwrap_or_default().is_empty(), "{v}");
}

#[tokio::test]
async fn malformed_unsigned_foreign_and_oversized_requests_are_refused_with_a_reason() {
    let n = node();
    let uri = format!("/v1/private/{C}/contract-1");
    let m = Some(&n.member);
    for (bad_uri, what) in [
        ("/v1/private/Labour/contract-1".to_string(), "capital letters"),
        (format!("/v1/private/{C}/worker-900101123456"), "a resident number"),
        (format!("/v1/private/{C}/{}", "k".repeat(96)), "a key too long"),
    ] {
        let (s, ct, v) = call(&n.app, "GET", &bad_uri, m, None, b"").await;
        assert_eq!(s, StatusCode::BAD_REQUEST, "{what}: {v}");
        problem(&v, &ct, "invalid-name");
    }
    let (s, ct, v) = call(&n.app, "PUT", &uri, None, None, b"{}").await;
    assert_eq!(s, StatusCode::UNAUTHORIZED);
    problem(&v, &ct, "unsigned-request");
    let (s, ct, v) = call(&n.app, "PUT", &uri, m, Some(wall_clock_ms() - 120_000), b"{}").await;
    assert_eq!(s, StatusCode::UNAUTHORIZED);
    problem(&v, &ct, "unsigned-request");
    assert!(v["detail"].as_str().unwrap().contains("clock"), "{v}");
    // Signed for another body or path: refused.
    let mut req = Request::builder().method("PUT").uri(&uri);
    for (name, value) in request::sign(&n.member, "PUT", &uri, b"other", wall_clock_ms()).unwrap() {
        req = req.header(name, value);
    }
    let resp = n.app.clone().oneshot(req.body(Body::from("{}")).unwrap()).await.unwrap();
    assert_eq!(resp.status(), StatusCode::UNAUTHORIZED);
    let garbled = Request::builder()
        .method("GET")
        .uri(&uri)
        .header(request::KEY_HEADER, "ed25519:zz")
        .header(request::TIME_HEADER, "now")
        .header(request::SIGNATURE_HEADER, "00")
        .body(Body::empty())
        .unwrap();
    assert_eq!(n.app.clone().oneshot(garbled).await.unwrap().status(), StatusCode::UNAUTHORIZED);

    let outsider = Keypair::generate(Algorithm::Ed25519);
    let (s, ct, v) = call(&n.app, "PUT", &uri, Some(&outsider), None, b"{}").await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    problem(&v, &ct, "not-a-member");
    let (s, ct, v) = call(&n.app, "GET", "/v1/private/no-such/contract-1", m, None, b"").await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    problem(&v, &ct, "not-found");
    let (s, ct, v) = call(&n.app, "PUT", &uri, m, None, b"").await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    problem(&v, &ct, "empty-payload");
    let big = vec![b'x'; MAX_PAYLOAD_BYTES + 1];
    let (s, ct, v) = call(&n.app, "PUT", &uri, m, None, &big).await;
    assert_eq!(s, StatusCode::PAYLOAD_TOO_LARGE);
    problem(&v, &ct, "payload-too-large");

    // A node without a member key keeps nothing.
    let bare = gateway(n.t.ledger.clone(), ApiSettings::default(), NodeStatus::new(), None);
    let (s, ct, v) = call(&bare, "GET", &uri, m, None, b"").await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    problem(&v, &ct, "no-private-collections");
}

#[tokio::test]
async fn a_payload_is_answered_once_recorded_to_members_and_never_after_its_purge() {
    let n = node();
    let uri = format!("/v1/private/{C}/contract-1");
    let payload = br#"{"worker": "Kim Minsu", "wage_krw": 10320}"#;
    let (s, _, stored) = call(&n.app, "PUT", &uri, Some(&n.member), None, payload).await;
    assert_eq!(s, StatusCode::CREATED, "{stored}");
    // The same payload again: the same commitment (the salt is kept until it is recorded).
    let (_, _, again) = call(&n.app, "PUT", &uri, Some(&n.member), None, payload).await;
    assert_eq!(again["commitment"], stored["commitment"]);
    let (s, ct, v) = call(&n.app, "GET", &uri, Some(&n.member), None, b"").await;
    assert_eq!(s, StatusCode::NOT_FOUND, "not recorded yet: {v}");
    problem(&v, &ct, "not-found");

    send(&n.t, &n.member, "collections", stored["record"].clone());
    for reader in [&n.member, &n.other] {
        let (s, _, v) = call(&n.app, "GET", &uri, Some(reader), None, b"").await;
        assert_eq!(s, StatusCode::OK, "{v}");
        assert_eq!(v["commitment"], stored["commitment"]);
        use base64::Engine;
        let got = base64::engine::general_purpose::STANDARD.decode(v["payload_base64"].as_str().unwrap()).unwrap();
        assert_eq!(got, payload);
        let salt: [u8; 32] = hex::decode(v["salt"].as_str().unwrap()).unwrap().try_into().unwrap();
        let c = dojang_collections::commitment(C, "contract-1", &salt, payload);
        assert_eq!(json!(c), stored["commitment"], "an auditor shown payload and salt finds the ledger's commitment");
    }
    let (s, ct, v) = call(&n.app, "PUT", &uri, Some(&n.member), None, b"{\"changed\": true}").await;
    assert_eq!(s, StatusCode::CONFLICT);
    problem(&v, &ct, "already-recorded");

    let erase = json!({"type": "request_erasure", "collection": C, "key": "contract-1"});
    send(&n.t, &n.member, "collections", erase.clone());
    send(&n.t, &n.other, "collections", erase);
    let (s, ct, v) = call(&n.app, "GET", &uri, Some(&n.member), None, b"").await;
    assert_eq!(s, StatusCode::GONE, "{v}");
    problem(&v, &ct, "purged");
}
