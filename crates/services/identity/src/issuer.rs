//! `dojang issuer`: an agency's OpenID4VCI issuer service, run from its settings file.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use anyhow::{bail, Context};
use dojang_credentials::issue::IssuerKey;
use dojang_crypto::KeyFile;
use dojang_issuer::{Book, ChainAnchoring, Issuer, Records, Settings};
use serde::Deserialize;
use tracing::info;

use dojang_service::settings::{load_toml, relative};

/// `issuer.toml`: `[issuer]` is what the issuer is, `[service]` where it runs and what it uses.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct IssuerFile {
    issuer: Settings,
    service: ServiceSection,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ServiceSection {
    listen_addr: SocketAddr,
    /// The P-256 key registered on chain under `issuer.kid` (a `dojang keys new --algorithm p256` file).
    signing_key: PathBuf,
    /// The account that controls the organisation on chain (signs the status list anchors).
    account_key: PathBuf,
    /// The agency's records (see the issuer crate's `records` module for the shape).
    records: PathBuf,
    /// Where the status book is kept.
    state_dir: PathBuf,
    node: String,
    chain_id: String,
    /// Guards `/admin/...`; set it through `DOJANG_SERVICE__ADMIN_TOKEN` rather than the file.
    admin_token: String,
}

/// Runs the issuer service described by `config` until Ctrl-C.
pub async fn issuer(config: &Path) -> anyhow::Result<()> {
    let file: IssuerFile = load_toml(config)?;
    let base = config.parent().unwrap_or(Path::new("."));
    let s = &file.service;
    if s.admin_token.len() < 16 {
        bail!("service.admin_token must be at least 16 characters (set DOJANG_SERVICE__ADMIN_TOKEN)");
    }
    let signing = KeyFile::load(&relative(base, &s.signing_key))?;
    if signing.algorithm() != dojang_crypto::Algorithm::P256 {
        bail!("{} must hold a P-256 key (credentials are ES256)", s.signing_key.display());
    }
    let account = KeyFile::load(&relative(base, &s.account_key))?;
    let records = Records::load(&relative(base, &s.records))?;
    let book = Book::open(&relative(base, &s.state_dir)).context("cannot open the status book")?;
    let key = IssuerKey { did: file.issuer.did.clone(), kid: file.issuer.kid.clone(), key: signing };
    let anchoring = Arc::new(ChainAnchoring::new(&s.node, &s.chain_id, account));
    let issuer = Issuer::start(file.issuer, key, records, book, anchoring)
        .await
        .map_err(|e| anyhow::anyhow!("cannot publish the first status list version: {e}"))?;
    let listener = tokio::net::TcpListener::bind(s.listen_addr)
        .await
        .with_context(|| format!("cannot listen on {}", s.listen_addr))?;
    println!("issuer {} on http://{}", issuer.did(), listener.local_addr()?);
    info!(did = issuer.did(), "issuer serving");
    axum::serve(listener, dojang_issuer::router(issuer, s.admin_token.clone()))
        .with_graceful_shutdown(async {
            let _ = tokio::signal::ctrl_c().await;
        })
        .await?;
    Ok(())
}
