//! HTTPS from `[api.tls]`: a client that trusts the certificate gets answers; a plain-HTTP
//! client and a stalled handshake are closed without holding the connection; certificate and
//! key files that cannot be used are refused at start with the file named.

mod common;

use std::path::Path;
use std::process::Command;
use std::sync::Arc;
use std::time::Duration;

use dojang_api::{router, serve, ApiSettings, TlsError, TlsSettings};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio_rustls::rustls::pki_types::pem::PemObject;
use tokio_rustls::rustls::pki_types::{CertificateDer, ServerName};
use tokio_rustls::rustls::{ClientConfig, RootCertStore};
use tokio_rustls::TlsConnector;

/// A self-signed P-256 certificate for localhost and 127.0.0.1, made with the openssl CLI.
fn certificate(dir: &Path, name: &str) -> TlsSettings {
    let (cert, key) = (dir.join(format!("{name}.crt")), dir.join(format!("{name}.key")));
    let out = Command::new("openssl")
        .args(["req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-days", "1"])
        .args(["-subj", "/CN=localhost", "-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1"])
        // An end-entity certificate: webpki refuses a CA certificate as a server's.
        .args(["-addext", "basicConstraints=critical,CA:FALSE", "-addext", "extendedKeyUsage=serverAuth"])
        .arg("-keyout")
        .arg(&key)
        .arg("-out")
        .arg(&cert)
        .output()
        .expect("the openssl command line tool");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    TlsSettings { cert_file: cert, key_file: key }
}

fn client(cert: &Path) -> TlsConnector {
    let mut roots = RootCertStore::empty();
    for c in CertificateDer::pem_slice_iter(&std::fs::read(cert).unwrap()) {
        roots.add(c.unwrap()).unwrap();
    }
    let provider = Arc::new(tokio_rustls::rustls::crypto::ring::default_provider());
    let config = ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_root_certificates(roots)
        .with_no_client_auth();
    TlsConnector::from(Arc::new(config))
}

#[tokio::test]
async fn https_serves_a_trusting_client_and_closes_plain_and_stalled_ones() {
    let dir = tempfile::tempdir().unwrap();
    let tls = certificate(dir.path(), "node");
    let chain = common::ledger();
    let settings = ApiSettings { header_read_timeout_ms: 500, tls: Some(tls.clone()), ..ApiSettings::default() };
    let app = router(chain.ledger.clone(), settings.clone());
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(async move {
        serve(listener, app, &settings, async move {
            let _ = stopped.await;
        })
        .await
    });

    let tcp = TcpStream::connect(addr).await.unwrap();
    let mut s = client(&tls.cert_file).connect(ServerName::try_from("localhost").unwrap(), tcp).await.unwrap();
    s.write_all(b"GET /v1/status HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n").await.unwrap();
    let mut answer = String::new();
    s.read_to_string(&mut answer).await.ok();
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
    assert!(answer.contains("\"chain_id\""), "{answer}");

    // Plain HTTP to the HTTPS port: no answer, the connection is closed.
    let mut plain = TcpStream::connect(addr).await.unwrap();
    plain.write_all(b"GET /health HTTP/1.1\r\nHost: x\r\n\r\n").await.unwrap();
    let mut buf = Vec::new();
    let _ = tokio::time::timeout(Duration::from_secs(5), plain.read_to_end(&mut buf)).await.expect("closed promptly");
    assert!(!String::from_utf8_lossy(&buf).contains("200"), "{buf:?}");

    // A client that opens and never starts the handshake is closed at the header deadline.
    let mut idle = TcpStream::connect(addr).await.unwrap();
    let mut buf = Vec::new();
    let closed = tokio::time::timeout(Duration::from_secs(5), idle.read_to_end(&mut buf)).await;
    assert!(closed.is_ok(), "a stalled handshake is closed at the header deadline");

    // The node's own HTTP client (reqwest: relay, catch-up, backup) speaks HTTPS too.
    let root = reqwest::Certificate::from_pem(&std::fs::read(&tls.cert_file).unwrap()).unwrap();
    let http = reqwest::Client::builder().add_root_certificate(root).build().unwrap();
    let status: serde_json::Value =
        http.get(format!("https://localhost:{}/v1/status", addr.port())).send().await.unwrap().json().await.unwrap();
    assert!(status["chain_id"].is_string(), "{status}");

    // A client that does not trust this certificate refuses it.
    let other = certificate(dir.path(), "other");
    let tcp = TcpStream::connect(addr).await.unwrap();
    assert!(client(&other.cert_file).connect(ServerName::try_from("localhost").unwrap(), tcp).await.is_err());

    let _ = stop.send(());
    server.await.unwrap().unwrap();
}

#[test]
fn unusable_certificate_and_key_files_are_refused_naming_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let good = certificate(dir.path(), "good");
    let other = certificate(dir.path(), "other");
    let missing = TlsSettings { cert_file: dir.path().join("nope.crt"), ..good.clone() };
    assert!(matches!(missing.acceptor(), Err(TlsError::Read { .. })));
    assert!(missing.acceptor().err().unwrap().to_string().contains("nope.crt"));
    let swapped = TlsSettings { cert_file: good.key_file.clone(), key_file: good.cert_file.clone() };
    assert!(matches!(swapped.acceptor(), Err(TlsError::NoCertificate { .. })));
    std::fs::write(dir.path().join("junk.key"), "not a key").unwrap();
    let junk = TlsSettings { key_file: dir.path().join("junk.key"), ..good.clone() };
    assert!(matches!(junk.acceptor(), Err(TlsError::NoKey { .. })));
    let mismatched = TlsSettings { key_file: other.key_file.clone(), ..good.clone() };
    assert!(matches!(mismatched.acceptor(), Err(TlsError::Config(_))), "a key of another certificate");
    assert!(good.acceptor().is_ok());
}
