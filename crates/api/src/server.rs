//! The gateway's accept loop. It bounds what clients can hold: a connection cap sized from the
//! open-file limit (so consensus and the store keep their descriptors), a cap per client
//! address, a header read timeout, a body read timeout, an idle timeout for kept-alive
//! connections. It always accepts: at the cap it closes the connection that has waited
//! longest for a request header to make room (see [`crate::registry`]), so a flood of
//! half-open connections cannot shut out a fresh client. Connections that are busy (event
//! streams, uploads within their deadline) are never closed for room; when every slot is busy,
//! a new connection gets a slot of the small health reserve, where it is served one `/health`
//! or `/ready`: a load balancer's check always gets an answer. Hitting a cap is logged once
//! per interval with counts.

use std::future::Future;
use std::net::{IpAddr, SocketAddr};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::Router;
use tokio::net::{TcpListener, TcpStream};

use crate::tls::TlsAcceptor;
use tokio::sync::{watch, OwnedSemaphorePermit, Semaphore};
use tracing::{info, warn};

use crate::conn::{serve_connection, Conn, Pool};
use crate::fdlimit::{connection_cap, open_file_limit};
use crate::registry::{Registry, Scope};
use crate::throttle::Throttle;
use crate::ApiSettings;

/// How often hitting the connection cap (or failing to accept) is logged at most.
const REPORT_EVERY: Duration = Duration::from_secs(10);
/// Longest wait for an evicted connection to release its slot before the new one is dropped.
const EVICTION_WAIT: Duration = Duration::from_secs(1);

/// The bounds the accept loop enforces.
#[derive(Debug, Clone, Copy)]
pub struct ConnectionLimits {
    /// Connections open at once, the health reserve included (the accept loop holds one more
    /// for a moment at the cap).
    pub max_connections: usize,
    /// Connections open at once from one client address.
    pub max_connections_per_client: usize,
    /// Slots of `max_connections` taken only when every other one is busy, for one `/health`
    /// or `/ready` each. At most half the cap.
    pub health_reserve: usize,
    /// From opening (or a kept-alive connection's first byte) to a complete request header.
    pub header_read_timeout: Duration,
    /// A kept-alive connection with no request is closed after this.
    pub idle_timeout: Duration,
    /// From a complete request header to the end of its body.
    pub body_read_timeout: Duration,
    /// At shutdown, how long a request in flight (or an event stream) may go on.
    pub shutdown_grace: Duration,
}

impl ConnectionLimits {
    /// The settings' bounds, with the cap lowered to fit this process's open-file limit
    /// (read now: raise it first with [`crate::raise_open_file_limit`]).
    pub fn from_settings(s: &ApiSettings) -> Self {
        ConnectionLimits {
            max_connections: connection_cap(s.max_connections, s.reserved_file_descriptors, open_file_limit()),
            max_connections_per_client: s.max_connections_per_client.max(1),
            health_reserve: s.health_reserved_connections,
            header_read_timeout: Duration::from_millis(s.header_read_timeout_ms.max(1)),
            idle_timeout: Duration::from_millis(s.idle_timeout_ms.max(1)),
            body_read_timeout: Duration::from_millis(s.body_read_timeout_ms.max(1)),
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
    /// New connections closed at the cap because every open one, the health reserve's
    /// included, was serving a request.
    pub refused: AtomicU64,
    /// Connections closed to make room for a newer one from the same client address at its cap.
    pub evicted_per_client: AtomicU64,
    /// New connections closed because their client address was at its cap with every one of
    /// its connections serving a request.
    pub refused_per_client: AtomicU64,
    /// Connections given a slot of the health reserve (every other slot was busy).
    pub reserve_admitted: AtomicU64,
    /// Requests other than `/health` and `/ready` on a reserve connection (answered 503).
    pub reserve_turned_away: AtomicU64,
    /// HTTPS connections closed because the TLS handshake failed or did not finish in time.
    pub tls_failed: AtomicU64,
    /// Connections closed for not delivering a request header in time.
    pub header_timeouts: AtomicU64,
    /// Kept-alive connections closed for being idle.
    pub idle_timeouts: AtomicU64,
    /// Connections closed for not delivering a request body in time.
    pub body_timeouts: AtomicU64,
}

/// The gateway's HTTP server: a listener, the routes and the bounds.
pub struct Server {
    listener: TcpListener,
    app: Router,
    limits: ConnectionLimits,
    stats: Arc<ServerStats>,
    tls: Option<TlsAcceptor>,
}

/// Serves `app` on `listener` with the bounds of `settings` until `shutdown` resolves, over
/// HTTPS when `settings.tls` names a certificate and key (refused at once if they do not load).
pub async fn serve(
    listener: TcpListener,
    app: Router,
    settings: &ApiSettings,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let mut server = Server::new(listener, app, ConnectionLimits::from_settings(settings));
    if let Some(tls) = &settings.tls {
        server = server.with_tls(tls.acceptor().map_err(std::io::Error::other)?);
    }
    server.run(shutdown).await
}

impl Server {
    pub fn new(listener: TcpListener, app: Router, limits: ConnectionLimits) -> Self {
        Server { listener, app, limits, stats: Arc::new(ServerStats::default()), tls: None }
    }

    /// Serves HTTPS with `acceptor` instead of plain HTTP.
    pub fn with_tls(mut self, acceptor: TlsAcceptor) -> Self {
        self.tls = Some(acceptor);
        self
    }

    /// The counters, live while the server runs.
    pub fn stats(&self) -> Arc<ServerStats> {
        self.stats.clone()
    }

    /// Accepts and serves until `shutdown` resolves, then lets requests in flight finish
    /// (for at most the grace period) and returns.
    pub async fn run(self, shutdown: impl Future<Output = ()> + Send + 'static) -> std::io::Result<()> {
        let Server { listener, app, limits, stats, tls } = self;
        let cap = limits.max_connections.max(1);
        let reserve = limits.health_reserve.min(cap / 2);
        info!(
            addr = %listener.local_addr()?,
            https = tls.is_some(),
            max_connections = cap,
            max_connections_per_client = limits.max_connections_per_client,
            health_reserve = reserve,
            open_file_limit = open_file_limit().map(|l| l.to_string()).unwrap_or_else(|| "none".into()),
            header_read_timeout_ms = limits.header_read_timeout.as_millis() as u64,
            body_read_timeout_ms = limits.body_read_timeout.as_millis() as u64,
            idle_timeout_ms = limits.idle_timeout.as_millis() as u64,
            "API serving"
        );
        let gate = Arc::new(Gate {
            general: Arc::new(Semaphore::new(cap - reserve)),
            reserve: Arc::new(Semaphore::new(reserve)),
            per_client: limits.max_connections_per_client.max(1),
            registry: Mutex::new(Registry::default()),
            stats: stats.clone(),
        });
        let (stop_tx, stop_rx) = watch::channel(false);
        let epoch = Instant::now();
        let at_cap = Throttle::new(REPORT_EVERY);
        let at_client_cap = Throttle::new(REPORT_EVERY);
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
                    if let Some(n) = at_client_cap.flush() {
                        log_client_cap(n, gate.per_client, &stats);
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
            let admission = gate.admit(remote.ip()).await;
            if admission.at_cap {
                if let Some(n) = at_cap.hit() {
                    log_cap(n, cap, &stats);
                }
            }
            if admission.at_client_cap {
                if let Some(n) = at_client_cap.hit() {
                    log_client_cap(n, gate.per_client, &stats);
                }
            }
            let Some((slot, pool)) = admission.slot else {
                drop(stream);
                continue;
            };
            next_id += 1;
            let conn = Arc::new(Conn::new(next_id, epoch, remote.ip(), pool, limits.body_read_timeout));
            spawn_connection(stream, remote, conn, slot, &app, limits, &gate, &stop_rx, tls.clone());
        }
        drop(listener);
        let _ = stop_tx.send(true);
        // Every connection holds a slot until its socket is closed.
        let wait_all = async {
            let general = u32::try_from(cap - reserve).unwrap_or(u32::MAX);
            let _ = gate.general.acquire_many(general).await;
            let _ = gate.reserve.acquire_many(u32::try_from(reserve).unwrap_or(u32::MAX)).await;
        };
        let _ = tokio::time::timeout(limits.shutdown_grace + Duration::from_secs(1), wait_all).await;
        Ok(())
    }
}

fn log_cap(events: u64, cap: usize, stats: &ServerStats) {
    warn!(
        max_connections = cap,
        events,
        evicted_total = stats.evicted.load(Ordering::Relaxed),
        refused_total = stats.refused.load(Ordering::Relaxed),
        reserve_admitted_total = stats.reserve_admitted.load(Ordering::Relaxed),
        "API connection cap reached {events} times in the last {} s: closed the connections waiting longest for a request header to make room, or used the health reserve when all were busy (many clients, a flood of half-open connections, or many event streams and uploads)",
        REPORT_EVERY.as_secs()
    );
}

fn log_client_cap(events: u64, per_client: usize, stats: &ServerStats) {
    warn!(
        max_connections_per_client = per_client,
        events,
        evicted_total = stats.evicted_per_client.load(Ordering::Relaxed),
        refused_total = stats.refused_per_client.load(Ordering::Relaxed),
        "API clients reached their connection cap {events} times in the last {} s (one address opening many connections: a misbehaving client, or many clients behind one proxy, which may need a higher api.max_connections_per_client)",
        REPORT_EVERY.as_secs()
    );
}

/// Decides which new connections get a slot: the two pools of slots, the open connections and
/// the per-client cap.
struct Gate {
    /// The cap less the health reserve.
    general: Arc<Semaphore>,
    reserve: Arc<Semaphore>,
    per_client: usize,
    registry: Mutex<Registry>,
    stats: Arc<ServerStats>,
}

/// What became of a new connection.
struct Admission {
    slot: Option<(OwnedSemaphorePermit, Pool)>,
    /// The connection cap was reached (room made, the reserve used, or refused).
    at_cap: bool,
    /// Its client address was at its cap.
    at_client_cap: bool,
}

impl Gate {
    fn registry(&self) -> std::sync::MutexGuard<'_, Registry> {
        self.registry.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Closes `scope`'s connection that has waited longest for a header; its pool, if any.
    fn evict(&self, scope: Scope) -> Option<Pool> {
        let victim = self.registry().take_victim(scope)?;
        victim.evict.notify_one();
        let counter =
            if matches!(scope, Scope::Client(_)) { &self.stats.evicted_per_client } else { &self.stats.evicted };
        counter.fetch_add(1, Ordering::Relaxed);
        Some(victim.pool)
    }

    /// A slot for a new connection from `client`, in this order: under the client's cap
    /// (closing its own longest-waiting connection if at it, or refusing it if all of its
    /// connections are busy); a free general slot; one freed by closing the longest-waiting
    /// general connection; a reserve slot, free or freed the same way. `None` when all are busy.
    async fn admit(&self, client: IpAddr) -> Admission {
        let mut admission = Admission { slot: None, at_cap: false, at_client_cap: false };
        let mut freed = None;
        if self.registry().of_client(client) >= self.per_client {
            admission.at_client_cap = true;
            freed = self.evict(Scope::Client(client));
            if freed.is_none() {
                self.stats.refused_per_client.fetch_add(1, Ordering::Relaxed);
                return admission;
            }
        }
        if let Ok(slot) = self.general.clone().try_acquire_owned() {
            admission.slot = Some((slot, Pool::General));
            return admission;
        }
        // The client's own connection, just closed, frees a general slot: no one else's is needed.
        if freed == Some(Pool::General) {
            if let Some(slot) = wait_for_slot(&self.general).await {
                admission.slot = Some((slot, Pool::General));
                return admission;
            }
        }
        admission.at_cap = true;
        if self.evict(Scope::Pool(Pool::General)).is_some() {
            if let Some(slot) = wait_for_slot(&self.general).await {
                admission.slot = Some((slot, Pool::General));
                return admission;
            }
        }
        // Every general slot is busy: the health reserve.
        let slot = match self.reserve.clone().try_acquire_owned() {
            Ok(slot) => Some(slot),
            Err(_) if self.evict(Scope::Pool(Pool::Reserve)).is_some() => wait_for_slot(&self.reserve).await,
            Err(_) => None,
        };
        match slot {
            Some(slot) => {
                self.stats.reserve_admitted.fetch_add(1, Ordering::Relaxed);
                admission.slot = Some((slot, Pool::Reserve));
            }
            None => {
                self.stats.refused.fetch_add(1, Ordering::Relaxed);
            }
        }
        admission
    }
}

/// The slot an evicted connection releases once its socket is closed (at once, normally).
async fn wait_for_slot(pool: &Arc<Semaphore>) -> Option<OwnedSemaphorePermit> {
    tokio::time::timeout(EVICTION_WAIT, pool.clone().acquire_owned()).await.ok()?.ok()
}

#[allow(clippy::too_many_arguments)]
fn spawn_connection(
    stream: TcpStream,
    remote: SocketAddr,
    conn: Arc<Conn>,
    slot: OwnedSemaphorePermit,
    app: &Router,
    limits: ConnectionLimits,
    gate: &Arc<Gate>,
    stop: &watch::Receiver<bool>,
    tls: Option<TlsAcceptor>,
) {
    let _ = stream.set_nodelay(true);
    let id = conn.id;
    gate.registry().insert(conn.clone());
    let stats = &gate.stats;
    let open = stats.open.fetch_add(1, Ordering::Relaxed) + 1;
    stats.peak_open.fetch_max(open, Ordering::Relaxed);
    let (app, gate, stop) = (app.clone(), gate.clone(), stop.clone());
    tokio::spawn(async move {
        serve_connection(stream, remote, conn, app, limits, gate.stats.clone(), stop, tls).await;
        gate.registry().remove(id);
        gate.stats.open.fetch_sub(1, Ordering::Relaxed);
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
