//! A gateway on a real socket, and raw HTTP/1.1 over TCP, for the connection-bound tests.

use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use dojang_api::{router, ApiSettings, ConnectionLimits, Server, ServerStats};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpSocket, TcpStream};
use tokio::sync::oneshot;
use tokio::time::timeout;

/// Upper bound for anything that should happen "at once"; only a liveness bound.
pub const PROMPTLY: Duration = Duration::from_secs(5);

pub struct Running {
    pub addr: SocketAddr,
    pub stats: Arc<ServerStats>,
    stop: Option<oneshot::Sender<()>>,
    task: tokio::task::JoinHandle<std::io::Result<()>>,
    pub ledger: super::TestLedger,
}

impl Running {
    pub async fn start(limits: ConnectionLimits) -> Running {
        Self::start_with(limits, ApiSettings::default()).await
    }

    /// Serves with `settings` for the routes (any block age counts as live: reachability is
    /// under test, not staleness) and `limits` for the connections.
    pub async fn start_with(limits: ConnectionLimits, settings: ApiSettings) -> Running {
        let ledger = super::ledger();
        let settings = ApiSettings { health_max_block_age_ms: u64::MAX / 2, ..settings };
        let app = router(ledger.ledger.clone(), settings);
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let server = Server::new(listener, app, limits);
        let stats = server.stats();
        let (stop, stopped) = oneshot::channel::<()>();
        let task = tokio::spawn(server.run(async move {
            let _ = stopped.await;
        }));
        Running { addr, stats, stop: Some(stop), task, ledger }
    }

    pub fn stat(&self, pick: impl Fn(&ServerStats) -> &AtomicU64) -> u64 {
        pick(&self.stats).load(Ordering::Relaxed)
    }

    pub async fn stop(mut self) {
        let _ = self.stop.take().map(|s| s.send(()));
        timeout(Duration::from_secs(15), &mut self.task).await.expect("the server stops").unwrap().unwrap();
    }
}

/// Bounds with the given cap and timeouts; no per-client cap, no health reserve, no body
/// deadline to speak of (tests that need them set them).
pub fn limits(max_connections: usize, header_read_timeout: Duration, idle_timeout: Duration) -> ConnectionLimits {
    ConnectionLimits {
        max_connections,
        max_connections_per_client: usize::MAX,
        health_reserve: 0,
        header_read_timeout,
        idle_timeout,
        body_read_timeout: Duration::from_secs(600),
        shutdown_grace: Duration::from_secs(1),
    }
}

/// Reads one HTTP/1.1 response with a Content-Length body from a kept-alive connection:
/// status, head (lower-cased) and body.
pub async fn read_full_response(s: &mut TcpStream) -> (u16, String, String) {
    let mut buf = Vec::new();
    let mut chunk = [0u8; 4096];
    loop {
        let n = s.read(&mut chunk).await.unwrap();
        assert!(n > 0, "connection closed before a full response: {}", String::from_utf8_lossy(&buf));
        buf.extend_from_slice(&chunk[..n]);
        let text = String::from_utf8_lossy(&buf).to_string();
        let Some(end) = text.find("\r\n\r\n") else { continue };
        let head = text[..end].to_ascii_lowercase();
        let len: usize = head
            .lines()
            .find_map(|l| l.strip_prefix("content-length:"))
            .map(|v| v.trim().parse().unwrap())
            .unwrap_or(0);
        if buf.len() >= end + 4 + len {
            let status = text[9..12].parse().unwrap();
            return (status, head, text[end + 4..end + 4 + len].to_string());
        }
    }
}

/// [`read_full_response`] without the head.
pub async fn read_response(s: &mut TcpStream) -> (u16, String) {
    let (status, _, body) = read_full_response(s).await;
    (status, body)
}

/// A fresh client's `GET`: connect, ask, read the answer.
pub async fn get(addr: SocketAddr, path: &str) -> (u16, String) {
    let mut s = TcpStream::connect(addr).await.unwrap();
    s.write_all(format!("GET {path} HTTP/1.1\r\nHost: test\r\n\r\n").as_bytes()).await.unwrap();
    read_response(&mut s).await
}

/// A connection from the loopback address `source` (a client other than 127.0.0.1).
pub async fn connect_from(source: &str, addr: SocketAddr) -> TcpStream {
    let socket = TcpSocket::new_v4().unwrap();
    socket.bind(format!("{source}:0").parse().unwrap()).unwrap();
    socket.connect(addr).await.unwrap()
}

/// Opens `/v1/events` and waits for its `200`.
pub async fn open_stream(s: &mut TcpStream) {
    s.write_all(b"GET /v1/events HTTP/1.1\r\nHost: test\r\n\r\n").await.unwrap();
    let mut head = [0u8; 12];
    timeout(PROMPTLY, s.read_exact(&mut head)).await.expect("the stream is answered").unwrap();
    assert_eq!(&head, b"HTTP/1.1 200", "the stream is opened");
}

/// Reads from an event stream until it delivers a `block` event.
pub async fn next_block_event(s: &mut TcpStream) {
    let mut got = Vec::new();
    let mut chunk = [0u8; 4096];
    timeout(PROMPTLY, async {
        while !String::from_utf8_lossy(&got).contains("event: block") {
            let n = s.read(&mut chunk).await.unwrap();
            assert!(n > 0, "the stream was closed");
            got.extend_from_slice(&chunk[..n]);
        }
    })
    .await
    .expect("the stream delivers the block");
}

/// Waits until the server closes `s`; returns what it sent before closing.
pub async fn until_closed(s: &mut (impl AsyncReadExt + Unpin)) -> Vec<u8> {
    let mut got = Vec::new();
    let mut chunk = [0u8; 1024];
    loop {
        match s.read(&mut chunk).await {
            Ok(0) | Err(_) => return got,
            Ok(n) => got.extend_from_slice(&chunk[..n]),
        }
    }
}

pub async fn wait_for(what: &str, cond: impl Fn() -> bool) {
    timeout(PROMPTLY, async {
        while !cond() {
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    })
    .await
    .unwrap_or_else(|_| panic!("timed out waiting for {what}"));
}
