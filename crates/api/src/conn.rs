//! One client connection: what it is doing (waiting for a request header, receiving a request
//! body, serving a request, idle between requests), the deadline that follows from that, and
//! the task that serves it with hyper until it ends, times out, is evicted or the gateway
//! stops. A connection in the health reserve serves one `/health` or `/ready` and closes.

use std::convert::Infallible;
use std::net::{IpAddr, SocketAddr};
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, AtomicU32, AtomicU64, Ordering};
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use axum::extract::ConnectInfo;
use axum::http::{header, Method, StatusCode};
use axum::response::IntoResponse;
use axum::Router;
use http_body_util::BodyExt;
use hyper::body::{Body, Bytes, Frame, Incoming, SizeHint};
use hyper_util::rt::TokioIo;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::TcpStream;
use tokio::sync::{watch, Notify};
use tower::ServiceExt;

use crate::problem::Problem;
use crate::server::{ConnectionLimits, ServerStats};

const NONE: u64 = u64::MAX;

/// Why a connection's deadline closes it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Expiry {
    /// No complete request header in time.
    Header,
    /// A kept-alive connection with no new request in time.
    Idle,
    /// A request body not received in full in time.
    Body,
}

/// Which slots a connection holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Pool {
    /// The connection cap less the health reserve: any request.
    General,
    /// Taken only when every general slot is busy: serves one `/health` or `/ready`.
    Reserve,
}

/// The shared state of one connection: read by the accept loop (to pick a connection to
/// evict) and by the connection's own task (for its deadline). Times are milliseconds since
/// the server's start.
pub(crate) struct Conn {
    pub id: u64,
    /// The client's address, for the per-client cap.
    pub client: IpAddr,
    pub pool: Pool,
    epoch: Instant,
    opened_ms: u64,
    in_flight: AtomicU32,
    served: AtomicBool,
    idle_since_ms: AtomicU64,
    first_byte_ms: AtomicU64,
    /// When the body of the request being served must have arrived; `NONE` when it has.
    body_until_ms: AtomicU64,
    body_timeout_ms: u64,
    /// Wakes the task to recompute its deadline after a change of state.
    wake: Notify,
    /// Tells the task to close the connection now.
    pub evict: Notify,
}

impl Conn {
    pub fn new(id: u64, epoch: Instant, client: IpAddr, pool: Pool, body_read_timeout: Duration) -> Self {
        let now = epoch.elapsed().as_millis() as u64;
        Conn {
            id,
            client,
            pool,
            epoch,
            opened_ms: now,
            in_flight: AtomicU32::new(0),
            served: AtomicBool::new(false),
            idle_since_ms: AtomicU64::new(now),
            first_byte_ms: AtomicU64::new(NONE),
            body_until_ms: AtomicU64::new(NONE),
            body_timeout_ms: millis(body_read_timeout),
            wake: Notify::new(),
            evict: Notify::new(),
        }
    }

    fn now_ms(&self) -> u64 {
        self.epoch.elapsed().as_millis() as u64
    }

    /// Not serving a request: waiting for the first request header or for the next one.
    pub fn is_idle(&self) -> bool {
        self.in_flight.load(Ordering::Acquire) == 0
    }

    /// Has delivered at least one complete request header.
    pub fn has_served(&self) -> bool {
        self.served.load(Ordering::Acquire)
    }

    /// Since when a kept-alive connection has had no request (its opening, if none yet).
    pub fn idle_since_ms(&self) -> u64 {
        self.idle_since_ms.load(Ordering::Acquire)
    }

    /// A request header is complete; a body, if the request has one, is still to come.
    fn begin_request(&self, has_body: bool) {
        self.served.store(true, Ordering::Release);
        self.first_byte_ms.store(NONE, Ordering::Release);
        // Saturates short of `NONE`, which would mean "no body pending".
        let until = if has_body { self.now_ms().saturating_add(self.body_timeout_ms).min(NONE - 1) } else { NONE };
        self.body_until_ms.store(until, Ordering::Release);
        self.in_flight.fetch_add(1, Ordering::AcqRel);
        self.wake.notify_one();
    }

    /// The request body has arrived in full, or the handler no longer reads it.
    fn body_done(&self) {
        if self.body_until_ms.swap(NONE, Ordering::AcqRel) != NONE {
            self.wake.notify_one();
        }
    }

    fn end_request(&self) {
        self.idle_since_ms.store(self.now_ms(), Ordering::Release);
        self.first_byte_ms.store(NONE, Ordering::Release);
        self.body_until_ms.store(NONE, Ordering::Release);
        self.in_flight.fetch_sub(1, Ordering::AcqRel);
        self.wake.notify_one();
    }

    /// Bytes arrived. On a kept-alive connection between requests, they start the header
    /// read timeout of the next request.
    fn saw_bytes(&self) {
        if self.is_idle()
            && self.has_served()
            && self.first_byte_ms.compare_exchange(NONE, self.now_ms(), Ordering::AcqRel, Ordering::Acquire).is_ok()
        {
            self.wake.notify_one();
        }
    }

    /// When this connection is to be closed unless something changes; `None` while it
    /// serves a request whose body has arrived (an event stream, a submit-and-wait: those
    /// are bounded by the caps on streams and on the wait).
    fn deadline(&self, limits: &ConnectionLimits) -> Option<(u64, Expiry)> {
        if !self.is_idle() {
            return match self.body_until_ms.load(Ordering::Acquire) {
                NONE => None,
                until => Some((until, Expiry::Body)),
            };
        }
        let header = millis(limits.header_read_timeout);
        if !self.has_served() {
            return Some((self.opened_ms.saturating_add(header), Expiry::Header));
        }
        match self.first_byte_ms.load(Ordering::Acquire) {
            NONE => Some((
                self.idle_since_ms.load(Ordering::Acquire).saturating_add(millis(limits.idle_timeout)),
                Expiry::Idle,
            )),
            first => Some((first.saturating_add(header), Expiry::Header)),
        }
    }

    /// The instant `ms` after the server's start; `None` if the clock cannot represent it
    /// (a timeout setting of hundreds of years means no deadline, not a panic).
    fn instant(&self, ms: u64) -> Option<tokio::time::Instant> {
        self.epoch.checked_add(Duration::from_millis(ms)).map(tokio::time::Instant::from_std)
    }

    #[cfg(test)]
    pub(crate) fn served_and_idle_since(&self, ms: u64) {
        self.served.store(true, Ordering::Release);
        self.idle_since_ms.store(ms, Ordering::Release);
    }

    #[cfg(test)]
    pub(crate) fn serving(&self) {
        self.begin_request(false);
    }
}

/// A duration in whole milliseconds, saturating (a `Duration` holds more than `u64` ms).
fn millis(d: Duration) -> u64 {
    u64::try_from(d.as_millis()).unwrap_or(u64::MAX)
}

/// Marks a request in flight for as long as its response is being sent.
struct InFlight(Arc<Conn>);

impl InFlight {
    fn new(conn: Arc<Conn>, has_body: bool) -> Self {
        conn.begin_request(has_body);
        InFlight(conn)
    }

    /// Keeps the guard alive inside the response body; does nothing else.
    fn hold(&self) {}
}

impl Drop for InFlight {
    fn drop(&mut self) {
        self.0.end_request();
    }
}

/// A request body, reporting to its [`Conn`] when it has arrived in full (or is dropped
/// unread, after which hyper does not wait for the rest), which ends the body deadline.
struct Upload {
    inner: Incoming,
    conn: Arc<Conn>,
}

impl Body for Upload {
    type Data = Bytes;
    type Error = hyper::Error;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Self::Data>, Self::Error>>> {
        let poll = Pin::new(&mut self.inner).poll_frame(cx);
        if matches!(poll, Poll::Ready(None | Some(Err(_)))) || self.inner.is_end_stream() {
            self.conn.body_done();
        }
        poll
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.inner.size_hint()
    }
}

impl Drop for Upload {
    fn drop(&mut self) {
        self.conn.body_done();
    }
}

/// What a connection of the health reserve serves.
fn health_check(req: &hyper::Request<Incoming>) -> bool {
    (req.method() == Method::GET || req.method() == Method::HEAD) && matches!(req.uri().path(), "/health" | "/ready")
}

/// The answer to anything but a health check on a connection of the health reserve.
fn at_capacity() -> axum::response::Response {
    let problem = Problem::new(
        StatusCode::SERVICE_UNAVAILABLE,
        "at-capacity",
        "every connection this node allows is busy (event streams, uploads); only /health and /ready are served now; retry in a few seconds or use another node",
    );
    ([(header::RETRY_AFTER, "5")], problem).into_response()
}

/// The socket, reporting reads to its [`Conn`].
struct Tracked {
    inner: crate::tls::Stream,
    conn: Arc<Conn>,
}

impl AsyncRead for Tracked {
    fn poll_read(mut self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &mut ReadBuf<'_>) -> Poll<std::io::Result<()>> {
        let before = buf.filled().len();
        let poll = Pin::new(&mut self.inner).poll_read(cx, buf);
        if matches!(poll, Poll::Ready(Ok(()))) && buf.filled().len() > before {
            self.conn.saw_bytes();
        }
        poll
    }
}

impl AsyncWrite for Tracked {
    fn poll_write(mut self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &[u8]) -> Poll<std::io::Result<usize>> {
        Pin::new(&mut self.inner).poll_write(cx, buf)
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.inner).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.inner).poll_shutdown(cx)
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[std::io::IoSlice<'_>],
    ) -> Poll<std::io::Result<usize>> {
        Pin::new(&mut self.inner).poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        self.inner.is_write_vectored()
    }
}

/// How a connection ended.
enum End {
    Done,
    Evicted,
    Expired(Expiry),
    Shutdown,
}

/// Serves one connection until it ends. The socket is closed when this returns.
#[allow(clippy::too_many_arguments)]
pub(crate) async fn serve_connection(
    stream: TcpStream,
    remote: SocketAddr,
    conn: Arc<Conn>,
    app: Router,
    limits: ConnectionLimits,
    stats: Arc<ServerStats>,
    mut shutdown: watch::Receiver<bool>,
    tls: Option<crate::tls::TlsAcceptor>,
) {
    let stream = match tls {
        None => crate::tls::Stream::Plain(stream),
        // The handshake must finish within the header deadline, like a request header.
        Some(acceptor) => match tokio::time::timeout(limits.header_read_timeout, acceptor.accept(stream)).await {
            Ok(Ok(s)) => crate::tls::Stream::Tls(Box::new(s)),
            _ => {
                stats.tls_failed.fetch_add(1, Ordering::Relaxed);
                return;
            }
        },
    };
    let io = TokioIo::new(Tracked { inner: stream, conn: conn.clone() });
    let svc_conn = conn.clone();
    let svc_stats = stats.clone();
    let reserve = conn.pool == Pool::Reserve;
    let service = hyper::service::service_fn(move |mut req: hyper::Request<Incoming>| {
        let guard = InFlight::new(svc_conn.clone(), !req.body().is_end_stream());
        let turned_away = reserve && !health_check(&req);
        if turned_away {
            svc_stats.reserve_turned_away.fetch_add(1, Ordering::Relaxed);
        }
        req.extensions_mut().insert(ConnectInfo(remote));
        let upload = svc_conn.clone();
        let req = req.map(move |inner| Upload { inner, conn: upload });
        let app = app.clone();
        async move {
            let mut resp = if turned_away { at_capacity() } else { app.oneshot(req).await? };
            // The wrapper below hides the body's length from hyper: state it (as axum's
            // routes do) so a client need not read a chunked answer.
            if let Some(len) = resp.body().size_hint().exact() {
                resp.headers_mut().entry(header::CONTENT_LENGTH).or_insert(len.into());
            }
            Ok::<_, Infallible>(resp.map(|body| {
                axum::body::Body::new(body.map_frame(move |frame| {
                    guard.hold();
                    frame
                }))
            }))
        }
    });
    let mut http = Box::pin(
        hyper::server::conn::http1::Builder::new()
            // A reserve connection answers one request and closes, to free its slot at once.
            .keep_alive(!reserve)
            // Our own deadlines replace hyper's (which needs a timer and knows no idle state).
            .header_read_timeout(None)
            .serve_connection(io, service),
    );
    let end = loop {
        let deadline = conn.deadline(&limits).and_then(|(ms, _)| conn.instant(ms));
        let sleep = async {
            match deadline {
                Some(at) => tokio::time::sleep_until(at).await,
                None => std::future::pending().await,
            }
        };
        tokio::select! {
            _ = http.as_mut() => break End::Done,
            _ = conn.evict.notified() => break End::Evicted,
            _ = conn.wake.notified() => continue,
            _ = shutdown.wait_for(|stop| *stop) => break End::Shutdown,
            _ = sleep => {
                if let Some((ms, why)) = conn.deadline(&limits) {
                    if conn.now_ms() >= ms {
                        break End::Expired(why);
                    }
                }
            }
        }
    };
    match end {
        End::Expired(Expiry::Header) => {
            stats.header_timeouts.fetch_add(1, Ordering::Relaxed);
        }
        End::Expired(Expiry::Idle) => {
            stats.idle_timeouts.fetch_add(1, Ordering::Relaxed);
        }
        End::Expired(Expiry::Body) => {
            stats.body_timeouts.fetch_add(1, Ordering::Relaxed);
        }
        End::Shutdown => {
            // Let a request in flight finish; a stream (events) is cut after the grace period.
            http.as_mut().graceful_shutdown();
            let _ = tokio::time::timeout(limits.shutdown_grace, http.as_mut()).await;
        }
        End::Done | End::Evicted => {}
    }
    drop(http);
}

#[cfg(test)]
mod tests {
    use super::*;

    fn limits() -> ConnectionLimits {
        ConnectionLimits {
            max_connections: 16,
            max_connections_per_client: 16,
            health_reserve: 2,
            header_read_timeout: Duration::from_millis(100),
            idle_timeout: Duration::from_millis(1000),
            body_read_timeout: Duration::from_millis(500),
            shutdown_grace: Duration::from_secs(1),
        }
    }

    fn conn(epoch: Instant) -> Arc<Conn> {
        Arc::new(Conn::new(1, epoch, "127.0.0.1".parse().unwrap(), Pool::General, limits().body_read_timeout))
    }

    #[test]
    fn deadlines_follow_the_state_of_the_connection() {
        let epoch = Instant::now() - Duration::from_secs(60);
        let c = conn(epoch);
        let opened = c.opened_ms;
        assert_eq!(c.deadline(&limits()), Some((opened + 100, Expiry::Header)), "a new connection: header timeout");
        c.saw_bytes();
        assert_eq!(c.deadline(&limits()).map(|d| d.1), Some(Expiry::Header), "bytes do not extend the first header");
        assert_eq!(c.deadline(&limits()).map(|d| d.0), Some(opened + 100));
        let guard = InFlight::new(c.clone(), false);
        assert_eq!(c.deadline(&limits()), None, "no deadline while a request without a body is served");
        assert!(!c.is_idle() && c.has_served());
        drop(guard);
        let (at, why) = c.deadline(&limits()).unwrap();
        assert_eq!(why, Expiry::Idle, "kept alive with no new request: idle timeout");
        assert_eq!(at, c.idle_since_ms.load(Ordering::Acquire) + 1000);
        c.saw_bytes();
        let (at, why) = c.deadline(&limits()).unwrap();
        assert_eq!(why, Expiry::Header, "the next request's first byte starts its header timeout");
        assert_eq!(at, c.first_byte_ms.load(Ordering::Acquire) + 100);

        let guard = InFlight::new(c.clone(), true);
        let (at, why) = c.deadline(&limits()).unwrap();
        assert_eq!(why, Expiry::Body, "a request with a body: the body deadline");
        assert!(at >= c.idle_since_ms() + 500 && at <= c.now_ms() + 500, "{at}");
        c.body_done();
        assert_eq!(c.deadline(&limits()), None, "the body arrived: no deadline while the answer is made");
        drop(guard);
        assert_eq!(c.deadline(&limits()).map(|d| d.1), Some(Expiry::Idle));
    }

    #[test]
    fn huge_timeouts_mean_no_deadline_not_a_panic() {
        let c = conn(Instant::now());
        let huge = ConnectionLimits {
            header_read_timeout: Duration::MAX,
            idle_timeout: Duration::MAX,
            body_read_timeout: Duration::MAX,
            ..limits()
        };
        let (ms, _) = c.deadline(&huge).unwrap();
        assert_eq!(ms, u64::MAX, "saturates");
        // Whatever the platform's clock can represent, this neither panics nor comes early.
        if let Some(at) = c.instant(ms) {
            assert!(at > tokio::time::Instant::now() + Duration::from_secs(100 * 365 * 24 * 3600));
        }
        let big = Arc::new(Conn::new(2, Instant::now(), "127.0.0.1".parse().unwrap(), Pool::General, Duration::MAX));
        big.begin_request(true);
        assert_eq!(big.deadline(&huge).map(|d| d.0), Some(u64::MAX - 1), "the body deadline saturates too");
    }
}
