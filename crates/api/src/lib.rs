//! The HTTP gateway of a node. JSON in and out, errors as RFC 9457 problem details, a
//! server-sent event stream of finalized blocks, Prometheus metrics. It talks only to the
//! ledger; it knows nothing of consensus or storage engines.

mod admin;
mod blocks;
mod conn;
mod events;
mod extract;
mod fdlimit;
mod health;
mod inclusion;
mod limit;
mod metrics;
mod network;
mod node_facts;
mod openapi;
mod private;
mod problem;
mod registry;
mod relay;
mod server;
mod state;
mod throttle;
mod tls;
mod txs;

use std::net::SocketAddr;
use std::sync::Arc;

use axum::extract::DefaultBodyLimit;
use axum::http::StatusCode;
use axum::response::IntoResponse;
use axum::routing::{get, post};
use axum::Router;
use dojang_ledger::Ledger;
use serde::{Deserialize, Serialize};

pub use fdlimit::{open_file_limit, raise_open_file_limit};
pub use health::NodeStatus;
pub use network::{MAX_SYNC_BLOCKS, MAX_SYNC_BYTES};
pub use node_facts::{FactsSource, LogLine, NodeFacts, PeerFact};
pub use problem::{plain_errors_as_problems, Problem};
pub use server::{serve, ConnectionLimits, Server, ServerStats};
pub use tls::{TlsAcceptor, TlsError, TlsSettings};

/// Gateway settings (the `[api]` section of the node's config file).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ApiSettings {
    pub listen_addr: SocketAddr,
    /// Largest request body accepted; single transactions are capped lower by the ledger.
    pub max_body_bytes: usize,
    /// Requests per second per client address, and the burst allowed above it.
    pub rate_limit_per_second: u32,
    pub rate_limit_burst: u32,
    /// Longest submit-and-wait, in milliseconds.
    pub max_wait_ms: u64,
    /// Other nodes' API base URLs (`http://host:port`). Transactions submitted here are
    /// relayed to them, and a node that starts behind fetches finalized blocks from them.
    pub peers: Vec<String>,
    /// Most client connections open at once. The gateway also keeps
    /// `reserved_file_descriptors` of the process's open-file limit free (for the consensus
    /// port, the store and logs), so the real cap may be lower; the node logs it at start.
    /// At the cap a new connection still gets in: the one that has waited longest without
    /// sending a complete request header is closed to make room; if every connection is busy
    /// (event streams, uploads), it gets one of the `health_reserved_connections`.
    pub max_connections: usize,
    /// Most connections open at once from one client address, so one client cannot take the
    /// whole cap with connections that are busy and so never evicted (event streams, slow
    /// uploads). At this count a new connection from the address closes that address's
    /// connection waiting longest for a request header, or is closed if all of them are busy.
    pub max_connections_per_client: usize,
    /// Connections, out of `max_connections`, kept for health checks: taken only when every
    /// other slot is busy, they serve `GET /health` and `GET /ready` (one request, then
    /// close) and answer anything else with 503, so a load balancer's check always gets in.
    pub health_reserved_connections: usize,
    /// Open files the gateway leaves to the rest of the node (see `max_connections`).
    pub reserved_file_descriptors: usize,
    /// A connection must deliver a complete request header within this many milliseconds of
    /// opening (or of its first byte, on a kept-alive connection), or it is closed: a client
    /// that dribbles its header cannot hold a connection.
    pub header_read_timeout_ms: u64,
    /// A kept-alive connection with no request for this many milliseconds is closed.
    pub idle_timeout_ms: u64,
    /// A request body must arrive in full within this many milliseconds of its header, or the
    /// connection is closed: a client that dribbles an upload cannot hold a connection.
    pub body_read_timeout_ms: u64,
    /// Most `/v1/events` streams open at once; beyond it `/v1/events` answers 503. A stream
    /// holds its connection for as long as the client likes, so this bounds how much of the
    /// connection cap streams can take.
    pub max_event_streams: usize,
    /// `/health` answers 503 when the last finalized block is older than this. An idle chain
    /// still makes a block every `consensus.idle_block_interval_ms`, so keep this well above it.
    pub health_max_block_age_ms: u64,
    /// `[api.tls]`: serve HTTPS with this certificate and key instead of plain HTTP.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tls: Option<TlsSettings>,
}

impl Default for ApiSettings {
    fn default() -> Self {
        ApiSettings {
            listen_addr: "127.0.0.1:8080".parse().expect("valid address"),
            max_body_bytes: 16 * 1024 * 1024,
            rate_limit_per_second: 2000,
            rate_limit_burst: 4000,
            max_wait_ms: 60_000,
            peers: Vec::new(),
            max_connections: 10_000,
            max_connections_per_client: 256,
            health_reserved_connections: 8,
            reserved_file_descriptors: 1_024,
            header_read_timeout_ms: 10_000,
            idle_timeout_ms: 75_000,
            body_read_timeout_ms: 60_000,
            max_event_streams: 1_024,
            health_max_block_age_ms: 30_000,
            tls: None,
        }
    }
}

/// Shared by every handler.
#[derive(Clone)]
pub struct AppState {
    pub ledger: Arc<Ledger>,
    pub settings: ApiSettings,
    pub metrics: Arc<metrics::Metrics>,
    /// Recent blocks' Merkle trees, for transaction inclusion paths.
    pub inclusion: Arc<inclusion::InclusionCache>,
    pub relay: Option<Arc<relay::Relay>>,
    /// What the node says about itself (catching up, mempool capacity) for `/health` and `/ready`.
    pub status: NodeStatus,
    /// One permit per open `/v1/events` stream (`max_event_streams` in all).
    pub event_streams: Arc<tokio::sync::Semaphore>,
    /// The payloads of private collections this node's organisation belongs to, if any.
    pub vault: Option<Arc<dojang_private::Vault>>,
}

/// The gateway's routes, ready to serve. Also used by tests without a socket. The node
/// status never says catching up; a node uses [`router_with_status`].
pub fn router(ledger: Arc<Ledger>, settings: ApiSettings) -> Router {
    router_with_status(ledger, settings, NodeStatus::new())
}

/// The gateway's routes, with a [`NodeStatus`] the node keeps up to date (so `/health` and
/// `/ready` can tell a node that is catching up).
pub fn router_with_status(ledger: Arc<Ledger>, settings: ApiSettings, status: NodeStatus) -> Router {
    gateway(ledger, settings, status, None)
}

/// The node's routes, with the vault of private collections when the node keeps one.
pub fn gateway(
    ledger: Arc<Ledger>,
    settings: ApiSettings,
    status: NodeStatus,
    vault: Option<Arc<dojang_private::Vault>>,
) -> Router {
    let metrics = metrics::Metrics::start(&ledger);
    let limiter = Arc::new(limit::RateLimiter::new(settings.rate_limit_per_second, settings.rate_limit_burst));
    let body_limit = settings.max_body_bytes;
    let relay = relay::Relay::start(&settings.peers);
    let event_streams =
        Arc::new(tokio::sync::Semaphore::new(settings.max_event_streams.min(tokio::sync::Semaphore::MAX_PERMITS)));
    let inclusion = Arc::new(inclusion::InclusionCache::default());
    let state = AppState { ledger, settings, metrics, inclusion, relay, status, event_streams, vault };
    Router::new()
        .route("/health", get(health::health))
        .route("/ready", get(health::ready))
        .route("/metrics", get(metrics::prometheus))
        .route("/openapi.json", get(openapi::document))
        .route("/v1/status", get(blocks::status))
        .route("/v1/txs", post(txs::submit))
        .route("/v1/txs/batch", post(txs::submit_batch))
        .route("/v1/txs/{id}", get(txs::get_tx))
        .route("/v1/blocks/latest", get(blocks::latest))
        .route("/v1/blocks/{height}", get(blocks::by_height))
        .route("/v1/blocks/by-hash/{hash}", get(blocks::by_hash))
        .route("/v1/state", get(state::read))
        .route("/v1/state/keys", get(state::keys))
        .route("/v1/query/{module}/{*path}", get(state::query))
        .route("/v1/events", get(events::stream))
        .route("/v1/validators", get(network::validators))
        .route("/v1/sync/blocks", get(network::sync_blocks))
        .route("/v1/evidence", get(network::evidence))
        .route("/v1/admin/snapshot", get(admin::snapshot))
        .route("/v1/node", get(admin::node))
        .route("/v1/private/{collection}", post(private::create))
        .route("/v1/private/{collection}/{key}", get(private::get))
        .fallback(not_found)
        .method_not_allowed_fallback(method_not_allowed)
        .layer(DefaultBodyLimit::max(body_limit))
        .layer(axum::middleware::from_fn(extract::strict_uri))
        .layer(axum::middleware::from_fn(problem::plain_errors_as_problems))
        .layer(axum::middleware::from_fn_with_state(limiter, limit::rate_limit))
        .with_state(state)
}

async fn not_found() -> impl IntoResponse {
    Problem::not_found("no such endpoint; see /openapi.json for the API")
}

async fn method_not_allowed() -> impl IntoResponse {
    Problem::new(
        StatusCode::METHOD_NOT_ALLOWED,
        "method-not-allowed",
        "this endpoint does not accept that method; see /openapi.json",
    )
}
