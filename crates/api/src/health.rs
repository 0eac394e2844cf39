//! `/health` (is this node live?) and `/ready` (should a load balancer send it traffic?).
//! A node is live when it finalizes blocks: an idle chain still makes an empty block every
//! idle interval, so a last block older than the staleness window means consensus is stuck
//! or this node is cut off. A node that is catching up from peers is live but not ready.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use dojang_types::wall_clock_ms as now_ms;
use serde_json::json;

use crate::problem::Problem;
use crate::AppState;

/// What the node tells the gateway about itself beyond the ledger. Cheap to clone; the node
/// keeps one and sets it as it goes through its phases.
#[derive(Clone, Debug, Default)]
pub struct NodeStatus {
    inner: Arc<Inner>,
}

#[derive(Debug, Default)]
struct Inner {
    catching_up: AtomicBool,
    /// The secret `/v1/admin/*` requires as a bearer token (kept in the node's home, readable
    /// by its operator only); without one those endpoints do not exist.
    admin_token: std::sync::OnceLock<String>,
    facts: std::sync::OnceLock<Facts>,
    /// (version, commit) of the running binary.
    build: std::sync::OnceLock<(String, String)>,
    /// The height catch-up is fetching up to (0 when not catching up).
    catch_up_target: std::sync::atomic::AtomicU64,
}

impl NodeStatus {
    /// A node that is not catching up.
    pub fn new() -> Self {
        NodeStatus::default()
    }

    /// Marks the node as fetching finalized blocks from peers (or done with it).
    pub fn set_catching_up(&self, on: bool) {
        self.inner.catching_up.store(on, Ordering::Release);
    }

    pub fn catching_up(&self) -> bool {
        self.inner.catching_up.load(Ordering::Acquire)
    }

    /// Where `/metrics` and `/v1/node` read consensus, peers and warnings from. Set once.
    pub fn set_facts(&self, source: crate::node_facts::FactsSource) {
        let _ = self.inner.facts.set(Facts(source));
    }

    pub(crate) fn facts(&self) -> crate::node_facts::NodeFacts {
        self.inner.facts.get().map(|f| (f.0)()).unwrap_or_default()
    }

    /// The running binary's version and the commit it was built from. Set once.
    pub fn set_build(&self, version: &str, commit: &str) {
        let _ = self.inner.build.set((version.to_string(), commit.to_string()));
    }

    pub(crate) fn build(&self) -> (String, String) {
        self.inner.build.get().cloned().unwrap_or_else(|| (env!("CARGO_PKG_VERSION").into(), "unknown".into()))
    }

    /// The height catch-up fetches up to; 0 once done.
    pub fn set_catch_up_target(&self, height: u64) {
        self.inner.catch_up_target.store(height, Ordering::Release);
    }

    pub(crate) fn catch_up_target(&self) -> u64 {
        self.inner.catch_up_target.load(Ordering::Acquire)
    }

    /// Enables the operator's endpoints (`/v1/admin/*`) for holders of `token`. Set once.
    pub fn set_admin_token(&self, token: String) {
        let _ = self.inner.admin_token.set(token);
    }

    pub(crate) fn admin_token(&self) -> Option<&str> {
        self.inner.admin_token.get().map(String::as_str)
    }
}

/// The node's source of facts; shown by name only when the status is debug-printed.
struct Facts(crate::node_facts::FactsSource);

impl std::fmt::Debug for Facts {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Facts(..)")
    }
}

/// The head of the chain as `/health` and `/ready` describe it.
struct Head {
    height: u64,
    age_ms: u64,
}

fn head(s: &AppState) -> Head {
    let (height, _, time_ms) = s.ledger.head();
    Head { height, age_ms: now_ms().saturating_sub(time_ms) }
}

/// Why the node is stale, if it is.
fn staleness(s: &AppState, h: &Head) -> Option<String> {
    let max = s.settings.health_max_block_age_ms;
    (h.age_ms > max).then(|| {
        format!(
            "last finalized block (height {}) {} s ago; more than {} s: consensus is stuck or this node is cut off from the validators",
            h.height,
            h.age_ms / 1000,
            max.div_ceil(1000)
        )
    })
}

/// `GET /health`: 200 `ok` while blocks keep coming, 200 `catching_up` while the node fetches
/// blocks from peers, 503 with the reason when the last block is older than
/// `health_max_block_age_ms`.
pub async fn health(State(s): State<AppState>) -> Response {
    let h = head(&s);
    if s.status.catching_up() {
        return Json(json!({ "status": "catching_up", "height": h.height, "last_block_age_ms": h.age_ms }))
            .into_response();
    }
    if let Some(why) = staleness(&s, &h) {
        return Problem::new(StatusCode::SERVICE_UNAVAILABLE, "stale", why).into_response();
    }
    Json(json!({ "status": "ok", "height": h.height, "last_block_age_ms": h.age_ms })).into_response()
}

/// `GET /ready`: 200 when this node can serve reads and take transactions: its ledger is open,
/// it is not catching up, its blocks are recent and its mempool has room. 503 with the reason
/// otherwise, so a load balancer sends clients elsewhere.
pub async fn ready(State(s): State<AppState>) -> Response {
    let h = head(&s);
    let not_ready = |why: String| Problem::new(StatusCode::SERVICE_UNAVAILABLE, "not-ready", why).into_response();
    if s.status.catching_up() {
        return not_ready(format!("catching up with peers (at height {})", h.height));
    }
    if let Some(why) = staleness(&s, &h) {
        return not_ready(why);
    }
    let waiting = s.ledger.mempool_len();
    let capacity = s.ledger.mempool_capacity();
    if waiting >= capacity {
        return not_ready(format!("mempool full ({waiting} of {capacity} transactions waiting)"));
    }
    Json(json!({ "status": "ready", "height": h.height, "last_block_age_ms": h.age_ms, "mempool_size": waiting }))
        .into_response()
}
