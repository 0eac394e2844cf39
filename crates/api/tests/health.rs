//! `/health` and `/ready` tell a live node from a stale one, and a node catching up or with a
//! full mempool from one a load balancer should send clients to.

mod common;

use axum::body::Body;
use axum::http::{Request, StatusCode};
use dojang_api::{router_with_status, ApiSettings, NodeStatus};
use dojang_ledger::{LedgerConfig, MempoolConfig};
use dojang_types::{encode, TxBody};
use http_body_util::BodyExt;
use serde_json::Value;
use tower::ServiceExt;

async fn get(app: &axum::Router, uri: &str) -> (StatusCode, String, Value) {
    let resp = app.clone().oneshot(Request::builder().uri(uri).body(Body::empty()).unwrap()).await.unwrap();
    let status = resp.status();
    let ctype = resp.headers().get("content-type").map(|v| v.to_str().unwrap().to_string()).unwrap_or_default();
    let bytes = resp.into_body().collect().await.unwrap().to_bytes();
    (status, ctype, serde_json::from_slice(&bytes).unwrap_or(Value::Null))
}

#[tokio::test]
async fn a_node_without_recent_blocks_is_stale_until_one_is_finalized() {
    let node = common::ledger();
    let settings = ApiSettings { health_max_block_age_ms: 30_000, ..Default::default() };
    let app = router_with_status(node.ledger.clone(), settings, NodeStatus::new());
    // The test genesis is from 2023: the chain's last "block" is far older than 30 s.
    for path in ["/health", "/ready"] {
        let (status, ctype, v) = get(&app, path).await;
        assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE, "{path}: {v}");
        assert_eq!(ctype, "application/problem+json", "{path}");
        let detail = v["detail"].as_str().unwrap();
        assert!(detail.contains("s ago; more than 30 s"), "{path} says why: {detail}");
    }
    common::commit_next(&node.ledger);
    let (status, _, v) = get(&app, "/health").await;
    assert_eq!(status, StatusCode::OK, "{v}");
    assert_eq!(v["status"], "ok");
    assert_eq!(v["height"], 1);
    let (status, _, v) = get(&app, "/ready").await;
    assert_eq!(status, StatusCode::OK, "{v}");
    assert_eq!(v["status"], "ready");
}

#[tokio::test]
async fn a_node_catching_up_is_live_but_not_ready() {
    let node = common::ledger();
    let status = NodeStatus::new();
    let app = router_with_status(node.ledger.clone(), ApiSettings::default(), status.clone());
    status.set_catching_up(true);
    // Catching up explains old blocks: live, and saying so.
    let (code, _, v) = get(&app, "/health").await;
    assert_eq!(code, StatusCode::OK, "{v}");
    assert_eq!(v["status"], "catching_up");
    let (code, _, v) = get(&app, "/ready").await;
    assert_eq!(code, StatusCode::SERVICE_UNAVAILABLE, "{v}");
    assert!(v["detail"].as_str().unwrap().contains("catching up"), "{v}");
    status.set_catching_up(false);
    common::commit_next(&node.ledger);
    assert_eq!(get(&app, "/ready").await.0, StatusCode::OK);
}

#[tokio::test]
async fn a_full_mempool_is_not_ready() {
    let one = MempoolConfig { max_txs: 1, ..Default::default() };
    let node = common::ledger_with(LedgerConfig { mempool: one, ..Default::default() });
    let app = router_with_status(node.ledger.clone(), ApiSettings::default(), NodeStatus::new());
    common::commit_next(&node.ledger);
    assert_eq!(get(&app, "/ready").await.0, StatusCode::OK);
    let k = &node.admin;
    let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_millis() as u64;
    let tx = encode(&k.sign_tx(TxBody {
        chain_id: "api-test".into(),
        sender: k.public_key(),
        nonce: 1,
        expires_at_ms: now + 60_000,
        module: "governance".into(),
        msg: serde_json::to_vec(&common::grant_auditor(k.public_key().address())).unwrap(),
    }));
    node.ledger.submit(&tx).unwrap();
    let (code, ctype, v) = get(&app, "/ready").await;
    assert_eq!(code, StatusCode::SERVICE_UNAVAILABLE, "{v}");
    assert_eq!(ctype, "application/problem+json");
    assert!(v["detail"].as_str().unwrap().contains("mempool full (1 of 1"), "{v}");
    let (code, _, v) = get(&app, "/health").await;
    assert_eq!(code, StatusCode::OK, "a full mempool is busy, not dead: {v}");
}
