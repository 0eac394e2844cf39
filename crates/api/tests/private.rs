//! `POST /v1/private/{collection}` and `GET /v1/private/{collection}/{key}` on a member's
//! node: names, signatures, reply keys, sizes and membership are checked, each refusal is a
//! problem document saying what was wrong, and a payload is answered only once recorded, only
//! sealed to the requester, and never after its purge.

mod common;

use std::sync::Arc;

use axum::body::Body;
use axum::http::{Request, StatusCode};
use base64::Engine;
use dojang_api::{gateway, ApiSettings, NodeStatus};
use dojang_collections::Collections;
use dojang_crypto::{Algorithm, Keypair};
use dojang_ledger::{BlockApp, LedgerConfig, Router};
use dojang_private::reply::{ReplyKey, Sealed};
use dojang_private::request::{self, Signed};
use dojang_private::{PrivateStore, Vault, MAX_PAYLOAD_BYTES};
use dojang_types::{encode, wall_clock_ms, TxBody};
use http_body_util::BodyExt;
use serde_json::{json, Value};
use tower::ServiceExt;

const C: &str = "labour-contracts";

struct Node {
    app: axum::Router,
    vault: Arc<Vault>,
    t: common::TestLedger,
    member: Keypair,
    other: Keypair,
    dir: tempfile::TempDir,
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

/// The council (the admin alone) passes `msg`.
fn council(t: &common::TestLedger, module: &str, msg: Value) {
    let admin = t.admin.duplicate();
    send(
        t,
        &admin,
        "governance",
        json!({"type": "propose", "reason": "api test", "expires_at_ms": wall_clock_ms() + 60_000,
                                         "proposal": {"module": module, "msg": msg}}),
    );
}

fn node() -> Node {
    let t = common::ledger_with_modules(LedgerConfig::default(), Router::new().with_typed(Collections));
    council(
        &t,
        "governance",
        json!({"type": "activate", "module": "collections", "at_height": t.ledger.next_height() + 1}),
    );
    common::commit_next(&t.ledger);
    let (member, other) = (Keypair::generate(Algorithm::Ed25519), Keypair::generate(Algorithm::P256));
    council(
        &t,
        "collections",
        json!({"type": "define", "id": C, "members": [member.public_key().address(), other.public_key().address()],
                                      "erasure_approvals": 2, "retention_days": 30}),
    );
    let dir = tempfile::tempdir().unwrap();
    let vault = Arc::new(Vault::new(
        PrivateStore::open(dir.path()).unwrap(),
        t.ledger.clone(),
        Some(Arc::new(member.duplicate())),
        &[],
    ));
    let app = gateway(t.ledger.clone(), ApiSettings::default(), NodeStatus::new(), Some(vault.clone()));
    Node { app, vault, t, member, other, dir }
}

struct Answer {
    status: StatusCode,
    ctype: String,
    body: Value,
}

/// Sends a request; `sign` gives the signer, the chain id and time it signs for, and the reply
/// key it signs (or none: unsigned).
async fn call(
    app: &axum::Router,
    method: &str,
    uri: &str,
    sign: Option<(&Keypair, &str, u64, Option<&str>)>,
    body: &[u8],
) -> Answer {
    let mut req = Request::builder().method(method).uri(uri);
    if let Some((k, chain_id, time_ms, reply_key)) = sign {
        let signed = Signed { chain_id, method, path: uri, time_ms, body, reply_key };
        for (name, value) in signed.sign(k).unwrap() {
            req = req.header(name, value);
        }
    }
    let resp = app.clone().oneshot(req.body(Body::from(body.to_vec())).unwrap()).await.unwrap();
    let status = resp.status();
    let ctype = resp.headers().get("content-type").map(|v| v.to_str().unwrap().to_string()).unwrap_or_default();
    let bytes = resp.into_body().collect().await.unwrap().to_bytes();
    Answer { status, ctype, body: serde_json::from_slice(&bytes).unwrap_or(Value::Null) }
}

fn now(k: &Keypair) -> Option<(&Keypair, &'static str, u64, Option<&'static str>)> {
    Some((k, "api-test", wall_clock_ms(), None))
}

fn problem(a: &Answer, status: StatusCode, code: &str) {
    assert_eq!(a.status, status, "{}", a.body);
    assert_eq!(a.ctype, "application/problem+json", "{}", a.body);
    assert!(a.body["type"].as_str().unwrap_or_default().ends_with(&format!("/{code}")), "expected {code}: {}", a.body);
    assert!(!a.body["detail"].as_str().unwrap_or_default().is_empty(), "{}", a.body);
}

/// Fetches a record as `k`, with a fresh reply key, and opens it: (commitment, salt, payload).
async fn fetch(app: &axum::Router, k: &Keypair, key: &str) -> Result<(Value, Vec<u8>, Vec<u8>), Answer> {
    let reply = ReplyKey::generate().unwrap();
    let hex_key = reply.public_hex();
    let a = call(
        app,
        "GET",
        &format!("/v1/private/{C}/{key}"),
        Some((k, "api-test", wall_clock_ms(), Some(&hex_key))),
        b"",
    )
    .await;
    if a.status != StatusCode::OK {
        return Err(a);
    }
    let sealed: Sealed = serde_json::from_value(a.body["sealed"].clone()).unwrap();
    assert!(!a.body.to_string().contains("Kim Minsu"), "nothing readable in the answer itself");
    let inner: Value = serde_json::from_slice(&reply.open(&sealed).unwrap()).unwrap();
    let payload = base64::engine::general_purpose::STANDARD.decode(inner["payload_base64"].as_str().unwrap()).unwrap();
    Ok((a.body["commitment"].clone(), hex::decode(inner["salt"].as_str().unwrap()).unwrap(), payload))
}

#[tokio::test]
async fn malformed_unsigned_foreign_and_oversized_requests_are_refused_with_a_reason() {
    let n = node();
    let create = format!("/v1/private/{C}");
    let m = now(&n.member);
    for bad_uri in ["/v1/private/Labour".to_string(), "/v1/private/..".to_string(), "/v1/private/.hidden".to_string()] {
        problem(&call(&n.app, "POST", &bad_uri, m, b"{}").await, StatusCode::BAD_REQUEST, "invalid-name");
    }
    for bad_key in ["contract-17", "worker-900101-1234567", "0123456789ABCDEF0123456789ABCDEF", "../../../ledger.redb"]
    {
        let a = call(&n.app, "GET", &format!("/v1/private/{C}/{bad_key}"), m, b"").await;
        assert!(a.status == StatusCode::BAD_REQUEST || a.status == StatusCode::NOT_FOUND, "{bad_key}: {}", a.body);
    }
    problem(&call(&n.app, "POST", &create, None, b"{}").await, StatusCode::UNAUTHORIZED, "unsigned-request");
    let stale =
        call(&n.app, "POST", &create, Some((&n.member, "api-test", wall_clock_ms() - 120_000, None)), b"{}").await;
    problem(&stale, StatusCode::UNAUTHORIZED, "unsigned-request");
    assert!(stale.body["detail"].as_str().unwrap().contains("clock"));
    let foreign_chain =
        call(&n.app, "POST", &create, Some((&n.member, "other-chain", wall_clock_ms(), None)), b"{}").await;
    problem(&foreign_chain, StatusCode::UNAUTHORIZED, "unsigned-request");
    // Signed for another body: refused.
    let mut req = Request::builder().method("POST").uri(&create);
    let signed = Signed {
        chain_id: "api-test",
        method: "POST",
        path: &create,
        time_ms: wall_clock_ms(),
        body: b"other",
        reply_key: None,
    };
    for (name, value) in signed.sign(&n.member).unwrap() {
        req = req.header(name, value);
    }
    assert_eq!(
        n.app.clone().oneshot(req.body(Body::from("{}")).unwrap()).await.unwrap().status(),
        StatusCode::UNAUTHORIZED
    );
    let garbled = Request::builder()
        .method("POST")
        .uri(&create)
        .header(request::KEY_HEADER, "ed25519:zz")
        .header(request::TIME_HEADER, "now")
        .header(request::SIGNATURE_HEADER, "00")
        .body(Body::from("{}"))
        .unwrap();
    assert_eq!(n.app.clone().oneshot(garbled).await.unwrap().status(), StatusCode::UNAUTHORIZED);

    let outsider = Keypair::generate(Algorithm::Ed25519);
    problem(&call(&n.app, "POST", &create, now(&outsider), b"{}").await, StatusCode::FORBIDDEN, "not-a-member");
    problem(&call(&n.app, "POST", "/v1/private/no-such", m, b"{}").await, StatusCode::NOT_FOUND, "not-found");
    problem(&call(&n.app, "POST", &create, m, b"").await, StatusCode::BAD_REQUEST, "empty-payload");
    let big = vec![b'x'; MAX_PAYLOAD_BYTES + 1];
    problem(&call(&n.app, "POST", &create, m, &big).await, StatusCode::PAYLOAD_TOO_LARGE, "payload-too-large");
    // A GET must carry a reply key, and a well-formed one.
    let key = "0123456789abcdef0123456789abcdef";
    problem(
        &call(&n.app, "GET", &format!("/v1/private/{C}/{key}"), m, b"").await,
        StatusCode::BAD_REQUEST,
        "reply-key-required",
    );

    // A node without a member key keeps nothing.
    let bare = gateway(n.t.ledger.clone(), ApiSettings::default(), NodeStatus::new(), None);
    problem(&call(&bare, "POST", &create, m, b"{}").await, StatusCode::NOT_FOUND, "no-private-collections");
}

#[tokio::test]
async fn a_payload_is_answered_once_recorded_sealed_to_members_and_never_after_its_purge() {
    let n = node();
    let payload = br#"{"worker": "Kim Minsu", "wage_krw": 10320}"#;
    let stored = call(&n.app, "POST", &format!("/v1/private/{C}"), now(&n.member), payload).await;
    assert_eq!(stored.status, StatusCode::CREATED, "{}", stored.body);
    let key = stored.body["key"].as_str().unwrap().to_string();
    assert!(dojang_collections::rules::key_is_valid(&key).is_ok(), "the node drew a key: {key}");
    let again = call(&n.app, "POST", &format!("/v1/private/{C}"), now(&n.member), payload).await;
    assert_ne!(again.body["key"], stored.body["key"], "each payload gets its own key");
    let not_yet = fetch(&n.app, &n.member, &key).await.expect_err("not recorded yet");
    problem(&not_yet, StatusCode::NOT_FOUND, "not-found");

    send(&n.t, &n.member, "collections", stored.body["record"].clone());
    for reader in [&n.member, &n.other] {
        let (commitment, salt, got) = fetch(&n.app, reader, &key).await.unwrap_or_else(|a| panic!("{}", a.body));
        assert_eq!(commitment, stored.body["commitment"]);
        assert_eq!(got, payload);
        let salt: [u8; 32] = salt.try_into().unwrap();
        let c = dojang_collections::commitment(C, &key, &salt, payload);
        assert_eq!(
            json!(c),
            stored.body["commitment"],
            "an auditor shown payload and salt finds the ledger's commitment"
        );
    }

    let erase = json!({"type": "request_erasure", "collection": C, "key": key});
    send(&n.t, &n.member, "collections", erase.clone());
    send(&n.t, &n.other, "collections", erase);
    let gone = fetch(&n.app, &n.member, &key).await.expect_err("purged");
    problem(&gone, StatusCode::GONE, "purged");
    // The node deletes the file when it settles with the ledger.
    n.vault.reconcile().await.unwrap();
    assert!(!n.dir.path().join(C).join(&key).exists(), "payload and salt are deleted");
    assert!(
        n.dir.path().join(C).join(again.body["key"].as_str().unwrap()).exists(),
        "an unrecorded payload waits its hour"
    );
}
