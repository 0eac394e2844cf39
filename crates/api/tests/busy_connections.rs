//! Connections that are busy, and so never closed to make room: event streams and uploads.
//! One client cannot fill the gateway with them (a per-client cap), an upload must arrive
//! within its deadline, and when every slot is busy anyway a health check still gets in
//! through the reserve kept for it.

mod common;

use std::time::Duration;

use common::server::*;
use dojang_api::{ApiSettings, ConnectionLimits};
use tokio::io::AsyncWriteExt;
use tokio::net::TcpStream;
use tokio::time::timeout;

/// An upload that announces `len` bytes and sends `sent` of them.
async fn start_upload(s: &mut TcpStream, len: usize, sent: usize) {
    let head = format!(
        "POST /v1/txs HTTP/1.1\r\nHost: test\r\nContent-Type: application/json\r\nContent-Length: {len}\r\n\r\n"
    );
    s.write_all(head.as_bytes()).await.unwrap();
    s.write_all(&vec![b' '; sent]).await.unwrap();
}

#[tokio::test]
async fn health_gets_through_when_one_client_fills_every_slot_with_streams_and_slow_uploads() {
    // Six general slots, two for health checks; one client may take all eight.
    let limits = ConnectionLimits {
        max_connections_per_client: 8,
        health_reserve: 2,
        ..limits(8, Duration::from_secs(600), Duration::from_secs(600))
    };
    let server = Running::start(limits).await;
    let mut busy = Vec::new();
    for i in 0..6 {
        let mut s = TcpStream::connect(server.addr).await.unwrap();
        if i % 2 == 0 {
            open_stream(&mut s).await;
        } else {
            // A body that never completes (within the 600 s deadline of this test).
            start_upload(&mut s, 1000, 10).await;
        }
        busy.push(s);
        let n = busy.len() as u64;
        wait_for("the server to take the connection", || server.stat(|s| &s.open) == n).await;
    }
    // The same client also holds both reserve slots with connections that send nothing.
    let mut idle = Vec::new();
    for _ in 0..2 {
        idle.push(TcpStream::connect(server.addr).await.unwrap());
    }
    wait_for("the reserve to fill", || server.stat(|s| &s.open) == 8).await;
    assert_eq!(server.stat(|s| &s.reserve_admitted), 2, "the idle ones got the reserve: every general slot is busy");

    // A fresh client (another address) still gets its health and readiness checks answered.
    for path in ["/health", "/ready"] {
        let mut s = connect_from("127.0.0.2", server.addr).await;
        s.write_all(format!("GET {path} HTTP/1.1\r\nHost: lb\r\n\r\n").as_bytes()).await.unwrap();
        let (status, head, body) = timeout(PROMPTLY, read_full_response(&mut s)).await.expect("answered at once");
        assert_eq!(status, 200, "{path}: {body}");
        assert!(body.contains(r#""status":"ok""#) || body.contains(r#""status":"ready""#), "{path}: {body}");
        assert!(head.contains("connection: close"), "a reserve slot serves one request: {head}");
        assert!(timeout(PROMPTLY, until_closed(&mut s)).await.expect("then closes").is_empty());
        wait_for("the reserve slot to be released", || server.stat(|s| &s.open) == 7).await;
    }
    // The first check closed the reserve connection waiting longest; the second found the
    // slot the first had released.
    let got = timeout(PROMPTLY, until_closed(&mut idle[0])).await.expect("the oldest idle one made room");
    assert!(got.is_empty());
    assert_eq!(server.stat(|s| &s.evicted), 1, "only an idle reserve connection was closed for room");
    assert_eq!(server.stat(|s| &s.reserve_admitted), 4);
    assert_eq!(server.stat(|s| &s.refused), 0, "no health check was turned away");
    assert!(server.stat(|s| &s.peak_open) <= 8, "never more than the cap");

    // The busy connections were left alone: the streams deliver the next block, the uploads
    // are still open and can finish.
    common::commit_next(&server.ledger.ledger);
    for s in busy.iter_mut().step_by(2) {
        next_block_event(s).await;
    }
    for s in busy.iter_mut().skip(1).step_by(2) {
        s.write_all(&[b' '; 990]).await.unwrap();
        let (status, body) = timeout(PROMPTLY, read_response(s)).await.expect("the upload is answered");
        assert_eq!(status, 400, "an empty body is not a transaction: {body}");
    }
    server.stop().await;
}

#[tokio::test]
async fn per_client_cap_closes_the_clients_own_waiting_connection_then_refuses_when_all_are_busy() {
    let limits = ConnectionLimits {
        max_connections_per_client: 3,
        ..limits(64, Duration::from_secs(600), Duration::from_secs(600))
    };
    let server = Running::start(limits).await;
    let mut half_open = Vec::new();
    for _ in 0..3 {
        half_open.push(TcpStream::connect(server.addr).await.unwrap());
    }
    wait_for("three connections", || server.stat(|s| &s.open) == 3).await;

    // A fourth from the same address closes that address's longest-waiting connection.
    let (status, _) = timeout(PROMPTLY, get(server.addr, "/health")).await.expect("served");
    assert_eq!(status, 200);
    assert_eq!(server.stat(|s| &s.evicted_per_client), 1);
    assert!(timeout(PROMPTLY, until_closed(&mut half_open[0])).await.expect("the oldest was closed").is_empty());
    wait_for("the health check's connection to close", || server.stat(|s| &s.open) == 2).await;

    // Three streams: the first fits, the next two each close one of the address's half-open ones.
    let mut streams = Vec::new();
    for _ in 0..3 {
        let mut s = TcpStream::connect(server.addr).await.unwrap();
        open_stream(&mut s).await;
        streams.push(s);
    }
    for s in &mut half_open[1..] {
        assert!(timeout(PROMPTLY, until_closed(s)).await.expect("closed for the streams").is_empty());
    }
    assert_eq!(server.stat(|s| &s.evicted_per_client), 3);

    // Now every connection of the address is busy: a fourth is closed without an answer,
    // though the server has 61 free slots; another client is served as usual.
    let mut extra = TcpStream::connect(server.addr).await.unwrap();
    let _ = extra.write_all(b"GET /health HTTP/1.1\r\nHost: test\r\n\r\n").await;
    let answered = timeout(PROMPTLY, until_closed(&mut extra)).await.expect("turned away");
    assert!(answered.is_empty(), "no answer past the per-client cap: {}", String::from_utf8_lossy(&answered));
    assert_eq!(server.stat(|s| &s.refused_per_client), 1);
    let mut other = connect_from("127.0.0.2", server.addr).await;
    other.write_all(b"GET /health HTTP/1.1\r\nHost: test\r\n\r\n").await.unwrap();
    assert_eq!(
        timeout(PROMPTLY, read_response(&mut other)).await.expect("served").0,
        200,
        "other clients are not affected"
    );
    assert_eq!((server.stat(|s| &s.refused), server.stat(|s| &s.evicted)), (0, 0), "the global cap was never reached");

    common::commit_next(&server.ledger.ledger);
    for s in &mut streams {
        next_block_event(s).await;
    }
    server.stop().await;
}

#[tokio::test]
async fn body_read_timeout_closes_a_dribbling_upload_but_not_a_slow_one_in_time() {
    let limits = ConnectionLimits {
        body_read_timeout: Duration::from_secs(1),
        ..limits(64, Duration::from_secs(600), Duration::from_secs(600))
    };
    let server = Running::start(limits).await;

    // A body of 1000 bytes, one byte every 100 ms: it would take 100 s.
    let dribbler = TcpStream::connect(server.addr).await.unwrap();
    let (mut from_server, mut to_server) = dribbler.into_split();
    let total = 1000;
    let head = format!(
        "POST /v1/txs HTTP/1.1\r\nHost: test\r\nContent-Type: application/json\r\nContent-Length: {total}\r\n\r\n"
    );
    to_server.write_all(head.as_bytes()).await.unwrap();
    let dribble = tokio::spawn(async move {
        let mut sent = 0;
        for _ in 0..total {
            if to_server.write_all(b" ").await.is_err() {
                break;
            }
            sent += 1;
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        sent
    });
    let started = tokio::time::Instant::now();
    let answered = timeout(Duration::from_secs(10), until_closed(&mut from_server)).await.expect("dribbler closed");
    let took = started.elapsed();
    assert!(answered.is_empty(), "no answer to an incomplete body: {}", String::from_utf8_lossy(&answered));
    assert!(took >= Duration::from_millis(900) && took < Duration::from_secs(5), "closed at the deadline: {took:?}");
    dribble.abort();
    let sent = dribble.await.unwrap_or(0);
    assert!(sent < total, "closed while still dribbling ({sent} of {total} bytes sent)");
    assert_eq!(server.stat(|s| &s.body_timeouts), 1);
    assert_eq!(server.stat(|s| &s.header_timeouts), 0, "the header was complete: the body deadline closed it");

    // A body in two parts, 300 ms apart, is within the deadline: it is answered.
    let mut slow = TcpStream::connect(server.addr).await.unwrap();
    start_upload(&mut slow, 20, 10).await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    slow.write_all(&[b' '; 10]).await.unwrap();
    let (status, body) = timeout(PROMPTLY, read_response(&mut slow)).await.expect("answered");
    assert_eq!(status, 400, "answered on its merits (an empty body is not a transaction): {body}");
    // A request without a body has no body deadline: a stream outlives it.
    let mut stream = TcpStream::connect(server.addr).await.unwrap();
    open_stream(&mut stream).await;
    tokio::time::sleep(Duration::from_millis(1500)).await;
    common::commit_next(&server.ledger.ledger);
    next_block_event(&mut stream).await;
    assert_eq!(server.stat(|s| &s.body_timeouts), 1, "only the dribbler timed out");
    server.stop().await;
}

#[test]
fn defaults_fit_the_node_and_leave_room_for_health_checks() {
    let s = ApiSettings::default();
    let l = ConnectionLimits::from_settings(&s);
    assert_eq!(s.max_connections_per_client, 256);
    assert_eq!(s.max_event_streams, 1024);
    assert_eq!(s.health_reserved_connections, 8);
    assert_eq!(s.body_read_timeout_ms, 60_000);
    assert!(l.health_reserve >= 1 && l.health_reserve <= l.max_connections / 2, "{l:?}");
    assert!(s.max_connections_per_client < l.max_connections, "one client cannot take the whole cap: {l:?}");
    assert_eq!(l.body_read_timeout, Duration::from_secs(60));
}
