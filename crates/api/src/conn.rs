//! One client connection: what it is doing (waiting for a request header, serving a request,
//! idle between requests), the deadline that follows from that, and the task that serves it
//! with hyper until it ends, times out, is evicted or the gateway stops.

use std::convert::Infallible;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, AtomicU32, AtomicU64, Ordering};
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use axum::extract::ConnectInfo;
use axum::Router;
use http_body_util::BodyExt;
use hyper_util::rt::TokioIo;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::TcpStream;
use tokio::sync::{watch, Notify};
use tower::ServiceExt;

use crate::server::{ConnectionLimits, ServerStats};

const NONE: u64 = u64::MAX;

/// Why a connection's deadline closes it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Expiry {
    /// No complete request header in time.
    Header,
    /// A kept-alive connection with no new request in time.
    Idle,
}

/// The shared state of one connection: read by the accept loop (to pick a connection to
/// evict) and by the connection's own task (for its deadline). Times are milliseconds since
/// the server's start.
pub(crate) struct Conn {
    pub id: u64,
    epoch: Instant,
    opened_ms: u64,
    in_flight: AtomicU32,
    served: AtomicBool,
    idle_since_ms: AtomicU64,
    first_byte_ms: AtomicU64,
    /// Wakes the task to recompute its deadline after a change of state.
    wake: Notify,
    /// Tells the task to close the connection now.
    pub evict: Notify,
}

impl Conn {
    pub fn new(id: u64, epoch: Instant) -> Self {
        let now = epoch.elapsed().as_millis() as u64;
        Conn {
            id,
            epoch,
            opened_ms: now,
            in_flight: AtomicU32::new(0),
            served: AtomicBool::new(false),
            idle_since_ms: AtomicU64::new(now),
            first_byte_ms: AtomicU64::new(NONE),
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

    fn begin_request(&self) {
        self.served.store(true, Ordering::Release);
        self.first_byte_ms.store(NONE, Ordering::Release);
        self.in_flight.fetch_add(1, Ordering::AcqRel);
    }

    fn end_request(&self) {
        self.idle_since_ms.store(self.now_ms(), Ordering::Release);
        self.first_byte_ms.store(NONE, Ordering::Release);
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
    /// serves a request.
    fn deadline(&self, limits: &ConnectionLimits) -> Option<(u64, Expiry)> {
        if !self.is_idle() {
            return None;
        }
        let header = limits.header_read_timeout.as_millis() as u64;
        if !self.has_served() {
            return Some((self.opened_ms.saturating_add(header), Expiry::Header));
        }
        match self.first_byte_ms.load(Ordering::Acquire) {
            NONE => Some((
                self.idle_since_ms.load(Ordering::Acquire).saturating_add(limits.idle_timeout.as_millis() as u64),
                Expiry::Idle,
            )),
            first => Some((first.saturating_add(header), Expiry::Header)),
        }
    }

    fn instant(&self, ms: u64) -> tokio::time::Instant {
        tokio::time::Instant::from_std(self.epoch + Duration::from_millis(ms))
    }
}

/// Marks a request in flight for as long as its response is being sent.
struct InFlight(Arc<Conn>);

impl InFlight {
    fn new(conn: Arc<Conn>) -> Self {
        conn.begin_request();
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

/// The socket, reporting reads to its [`Conn`].
struct Tracked {
    inner: TcpStream,
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
pub(crate) async fn serve_connection(
    stream: TcpStream,
    remote: SocketAddr,
    conn: Arc<Conn>,
    app: Router,
    limits: ConnectionLimits,
    stats: Arc<ServerStats>,
    mut shutdown: watch::Receiver<bool>,
) {
    let io = TokioIo::new(Tracked { inner: stream, conn: conn.clone() });
    let svc_conn = conn.clone();
    let service = hyper::service::service_fn(move |mut req: hyper::Request<hyper::body::Incoming>| {
        let guard = InFlight::new(svc_conn.clone());
        req.extensions_mut().insert(ConnectInfo(remote));
        let app = app.clone();
        async move {
            let resp = app.oneshot(req).await?;
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
            .keep_alive(true)
            // Our own deadlines replace hyper's (which needs a timer and knows no idle state).
            .header_read_timeout(None)
            .serve_connection(io, service),
    );
    let end = loop {
        let deadline = conn.deadline(&limits);
        let sleep = async {
            match deadline {
                Some((ms, _)) => tokio::time::sleep_until(conn.instant(ms)).await,
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
            header_read_timeout: Duration::from_millis(100),
            idle_timeout: Duration::from_millis(1000),
            shutdown_grace: Duration::from_secs(1),
        }
    }

    #[test]
    fn deadlines_follow_the_state_of_the_connection() {
        let epoch = Instant::now() - Duration::from_secs(60);
        let c = Arc::new(Conn::new(1, epoch));
        let opened = c.opened_ms;
        assert_eq!(c.deadline(&limits()), Some((opened + 100, Expiry::Header)), "a new connection: header timeout");
        c.saw_bytes();
        assert_eq!(c.deadline(&limits()).map(|d| d.1), Some(Expiry::Header), "bytes do not extend the first header");
        assert_eq!(c.deadline(&limits()).map(|d| d.0), Some(opened + 100));
        let guard = InFlight::new(c.clone());
        assert_eq!(c.deadline(&limits()), None, "no deadline while a request is served");
        assert!(!c.is_idle() && c.has_served());
        drop(guard);
        let (at, why) = c.deadline(&limits()).unwrap();
        assert_eq!(why, Expiry::Idle, "kept alive with no new request: idle timeout");
        assert_eq!(at, c.idle_since_ms.load(Ordering::Acquire) + 1000);
        c.saw_bytes();
        let (at, why) = c.deadline(&limits()).unwrap();
        assert_eq!(why, Expiry::Header, "the next request's first byte starts its header timeout");
        assert_eq!(at, c.first_byte_ms.load(Ordering::Acquire) + 100);
    }
}
