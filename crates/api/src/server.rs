//! The gateway's accept loop. It bounds what clients can hold: a connection cap sized from the
//! open-file limit (so consensus and the store keep their descriptors), a header read
//! timeout, an idle timeout for kept-alive connections. It always accepts: at the cap it
//! closes the connection that has waited longest for a request header to make room, so a
//! flood of half-open connections cannot shut out a fresh client (a load balancer's health
//! check, an agency's application). Hitting the cap is logged once per interval with counts.

use std::collections::BTreeMap;
use std::future::Future;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::Router;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{watch, OwnedSemaphorePermit, Semaphore};
use tracing::{info, warn};

use crate::conn::{serve_connection, Conn};
use crate::fdlimit::{connection_cap, open_file_limit};
use crate::throttle::Throttle;
use crate::ApiSettings;

/// How often hitting the connection cap (or failing to accept) is logged at most.
const REPORT_EVERY: Duration = Duration::from_secs(10);
/// Longest wait for an evicted connection to release its slot before the new one is dropped.
const EVICTION_WAIT: Duration = Duration::from_secs(1);

/// The bounds the accept loop enforces.
#[derive(Debug, Clone, Copy)]
pub struct ConnectionLimits {
    /// Connections open at once (the accept loop holds one more for a moment at the cap).
    pub max_connections: usize,
    /// From opening (or a kept-alive connection's first byte) to a complete request header.
    pub header_read_timeout: Duration,
    /// A kept-alive connection with no request is closed after this.
    pub idle_timeout: Duration,
    /// At shutdown, how long a request in flight (or an event stream) may go on.
    pub shutdown_grace: Duration,
}

impl ConnectionLimits {
    /// The settings' bounds, with the cap lowered to fit this process's open-file limit
    /// (read now: raise it first with [`crate::raise_open_file_limit`]).
    pub fn from_settings(s: &ApiSettings) -> Self {
        ConnectionLimits {
            max_connections: connection_cap(s.max_connections, s.reserved_file_descriptors, open_file_limit()),
            header_read_timeout: Duration::from_millis(s.header_read_timeout_ms.max(1)),
            idle_timeout: Duration::from_millis(s.idle_timeout_ms.max(1)),
            shutdown_grace: Duration::from_secs(5),
        }
    }
}

/// Counters of the accept loop, for tests and operators.
#[derive(Debug, Default)]
pub struct ServerStats {
    /// Connections accepted (including those closed at once for lack of room).
    pub accepted: AtomicU64,
    /// Connections open now.
    pub open: AtomicU64,
    /// The most connections ever open at once.
    pub peak_open: AtomicU64,
    /// Connections closed at the cap to make room (they had no request in flight).
    pub evicted: AtomicU64,
    /// New connections closed at the cap because every open one was serving a request.
    pub refused: AtomicU64,
    /// Connections closed for not delivering a request header in time.
    pub header_timeouts: AtomicU64,
    /// Kept-alive connections closed for being idle.
    pub idle_timeouts: AtomicU64,
}

/// The gateway's HTTP server: a listener, the routes and the bounds.
pub struct Server {
    listener: TcpListener,
    app: Router,
    limits: ConnectionLimits,
    stats: Arc<ServerStats>,
}

/// Serves `app` on `listener` with the bounds of `settings` until `shutdown` resolves.
pub async fn serve(
    listener: TcpListener,
    app: Router,
    settings: &ApiSettings,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    Server::new(listener, app, ConnectionLimits::from_settings(settings)).run(shutdown).await
}

/// The open connections, oldest first, for picking one to evict.
type Registry = Mutex<BTreeMap<u64, Arc<Conn>>>;

impl Server {
    pub fn new(listener: TcpListener, app: Router, limits: ConnectionLimits) -> Self {
        Server { listener, app, limits, stats: Arc::new(ServerStats::default()) }
    }

    /// The counters, live while the server runs.
    pub fn stats(&self) -> Arc<ServerStats> {
        self.stats.clone()
    }

    /// Accepts and serves until `shutdown` resolves, then lets requests in flight finish
    /// (for at most the grace period) and returns.
    pub async fn run(self, shutdown: impl Future<Output = ()> + Send + 'static) -> std::io::Result<()> {
        let Server { listener, app, limits, stats } = self;
        let cap = limits.max_connections.max(1);
        info!(
            addr = %listener.local_addr()?,
            max_connections = cap,
            open_file_limit = open_file_limit().map(|l| l.to_string()).unwrap_or_else(|| "none".into()),
            header_read_timeout_ms = limits.header_read_timeout.as_millis() as u64,
            idle_timeout_ms = limits.idle_timeout.as_millis() as u64,
            "API serving"
        );
        let slots = Arc::new(Semaphore::new(cap));
        let registry: Arc<Registry> = Arc::new(Mutex::new(BTreeMap::new()));
        let (stop_tx, stop_rx) = watch::channel(false);
        let epoch = Instant::now();
        let at_cap = Throttle::new(REPORT_EVERY);
        let accept_errors = Throttle::new(REPORT_EVERY);
        let mut report = tokio::time::interval(REPORT_EVERY);
        let mut next_id = 0u64;
        tokio::pin!(shutdown);
        loop {
            let (stream, remote) = tokio::select! {
                _ = &mut shutdown => break,
                _ = report.tick() => {
                    if let Some(n) = at_cap.flush() {
                        log_cap(n, cap, &stats);
                    }
                    continue;
                }
                accepted = listener.accept() => match accepted {
                    Ok(a) => a,
                    Err(e) => {
                        if !is_connection_error(&e) {
                            if let Some(n) = accept_errors.hit() {
                                warn!(error = %e, failures = n, "API cannot accept connections (is the open-file limit too low?); retrying");
                            }
                            tokio::time::sleep(Duration::from_millis(50)).await;
                        }
                        continue;
                    }
                },
            };
            stats.accepted.fetch_add(1, Ordering::Relaxed);
            let (slot, was_at_cap) = take_slot(&slots, &registry, &stats).await;
            if was_at_cap {
                if let Some(n) = at_cap.hit() {
                    log_cap(n, cap, &stats);
                }
            }
            let Some(slot) = slot else {
                drop(stream);
                continue;
            };
            next_id += 1;
            spawn_connection(stream, remote, next_id, epoch, slot, &app, limits, &stats, &registry, &stop_rx);
        }
        drop(listener);
        let _ = stop_tx.send(true);
        // Every connection holds a slot until its socket is closed.
        let all = u32::try_from(cap).unwrap_or(u32::MAX);
        let _ = tokio::time::timeout(limits.shutdown_grace + Duration::from_secs(1), slots.acquire_many(all)).await;
        Ok(())
    }
}

fn log_cap(events: u64, cap: usize, stats: &ServerStats) {
    warn!(
        max_connections = cap,
        events,
        evicted_total = stats.evicted.load(Ordering::Relaxed),
        refused_total = stats.refused.load(Ordering::Relaxed),
        "API connection cap reached {events} times in the last {} s: closed the connections waiting longest for a request header to make room (many clients, or a flood of half-open connections)",
        REPORT_EVERY.as_secs()
    );
}

/// A slot for a new connection: a free one, or one freed by evicting the connection that
/// has waited longest for a request header (one that never sent a request first, then an
/// idle kept-alive one). `None` when every open connection is serving a request. The flag
/// says whether the cap was reached.
async fn take_slot(
    slots: &Arc<Semaphore>,
    registry: &Registry,
    stats: &ServerStats,
) -> (Option<OwnedSemaphorePermit>, bool) {
    if let Ok(slot) = slots.clone().try_acquire_owned() {
        return (Some(slot), false);
    }
    let victim = {
        let mut reg = registry.lock().unwrap_or_else(|p| p.into_inner());
        let pick = reg
            .values()
            .find(|c| c.is_idle() && !c.has_served())
            .or_else(|| reg.values().find(|c| c.is_idle()))
            .map(|c| c.id);
        pick.and_then(|id| reg.remove(&id))
    };
    let Some(victim) = victim else {
        stats.refused.fetch_add(1, Ordering::Relaxed);
        return (None, true);
    };
    victim.evict.notify_one();
    stats.evicted.fetch_add(1, Ordering::Relaxed);
    match tokio::time::timeout(EVICTION_WAIT, slots.clone().acquire_owned()).await {
        Ok(Ok(slot)) => (Some(slot), true),
        _ => {
            stats.refused.fetch_add(1, Ordering::Relaxed);
            (None, true)
        }
    }
}

#[allow(clippy::too_many_arguments)]
fn spawn_connection(
    stream: TcpStream,
    remote: SocketAddr,
    id: u64,
    epoch: Instant,
    slot: OwnedSemaphorePermit,
    app: &Router,
    limits: ConnectionLimits,
    stats: &Arc<ServerStats>,
    registry: &Arc<Registry>,
    stop: &watch::Receiver<bool>,
) {
    let _ = stream.set_nodelay(true);
    let conn = Arc::new(Conn::new(id, epoch));
    registry.lock().unwrap_or_else(|p| p.into_inner()).insert(id, conn.clone());
    let open = stats.open.fetch_add(1, Ordering::Relaxed) + 1;
    stats.peak_open.fetch_max(open, Ordering::Relaxed);
    let (app, stats, registry, stop) = (app.clone(), stats.clone(), registry.clone(), stop.clone());
    tokio::spawn(async move {
        serve_connection(stream, remote, conn, app, limits, stats.clone(), stop).await;
        registry.lock().unwrap_or_else(|p| p.into_inner()).remove(&id);
        stats.open.fetch_sub(1, Ordering::Relaxed);
        // The socket is closed by now; only then is the slot free.
        drop(slot);
    });
}

/// Errors about one connection (it went away before we took it), not about the listener.
fn is_connection_error(e: &std::io::Error) -> bool {
    matches!(
        e.kind(),
        std::io::ErrorKind::ConnectionRefused
            | std::io::ErrorKind::ConnectionAborted
            | std::io::ErrorKind::ConnectionReset
    )
}
