//! `dojang login serve`: the city's login service from a TOML file (`[login]`), its key
//! checked against the organisation's key on chain before it serves.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use anyhow::{bail, Context};
use dojang_credentials::TrustView as _;
use dojang_crypto::KeyFile;
use dojang_service::settings::{load_toml, relative};
use dojang_trust::ChainTrust;
use serde::Deserialize;

use crate::chain::ProvenChain;
use crate::http::{router, Service};
use crate::tokens::Signer;
use crate::Provider;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct LoginFile {
    login: LoginSection,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct LoginSection {
    /// The login service's organisation on chain and the key id it signs with.
    did: String,
    kid: String,
    /// The P-256 key registered as `<did>#<kid>`: signs wallet requests and ID tokens.
    signing_key: PathBuf,
    /// The issuer URL facilities configure (discovery at `<public_url>/.well-known/...`).
    public_url: String,
    listen_addr: SocketAddr,
    node: String,
    /// The chain's genesis file: its chain id and validators are pinned from it.
    genesis: PathBuf,
    /// The oldest a block may be for a read from it to count, in seconds.
    #[serde(default = "default_max_age")]
    max_header_age_s: u64,
    /// How long issuer keys, status lists and policies are used before being read again, in
    /// seconds (AUTH-02: a revocation reaches logins within this).
    #[serde(default = "default_trust_ttl")]
    trust_ttl_s: u64,
    /// The city's web wallet, linked from the login page.
    #[serde(default)]
    wallet_url: Option<String>,
}

fn default_max_age() -> u64 {
    dojang_sdk::DEFAULT_MAX_AGE.as_secs()
}

fn default_trust_ttl() -> u64 {
    30
}

/// Builds the service from its file: the key is checked against the chain first.
pub async fn build(config: &Path) -> anyhow::Result<(Arc<Service<Arc<ChainTrust>>>, SocketAddr)> {
    let file: LoginFile = load_toml(config)?;
    let l = file.login;
    let base = config.parent().unwrap_or(Path::new("."));
    let key = KeyFile::load(&relative(base, &l.signing_key))?;
    if key.algorithm() != dojang_crypto::Algorithm::P256 {
        bail!("{} must hold a P-256 key (ID tokens are ES256)", l.signing_key.display());
    }
    let genesis = dojang_ledger::Genesis::load(&relative(base, &l.genesis))?;
    let chain = dojang_sdk::TrustedChain::new(
        &genesis.chain_id,
        genesis.validator_set(),
        Duration::from_secs(l.max_header_age_s.max(1)),
    );
    let trust = ChainTrust::new(&l.node, chain, Duration::from_secs(l.trust_ttl_s.clamp(1, 3600)));
    trust.load_org(&l.did).await?;
    let registered =
        trust.issuer_key(&l.did, &l.kid)?.with_context(|| format!("{}#{} is not registered on chain", l.did, l.kid))?;
    if registered.public_key != key.public_key() {
        bail!("the signing key is not the key registered on chain as {}#{}", l.did, l.kid);
    }
    let provider = Provider::new(&l.public_url, &l.did, Signer { key, kid: l.kid.clone() }, trust.clone());
    let service = Service { provider, chain: Arc::new(ProvenChain::new(trust)), wallet_url: l.wallet_url };
    Ok((Arc::new(service), l.listen_addr))
}

pub async fn serve(config: &Path) -> anyhow::Result<()> {
    let (service, addr) = build(config).await?;
    let listener = tokio::net::TcpListener::bind(addr).await.with_context(|| format!("cannot listen on {addr}"))?;
    println!(
        "login service {} on http://{} (issuer {})",
        service.provider.did,
        listener.local_addr()?,
        service.provider.issuer
    );
    axum::serve(listener, router(service))
        .with_graceful_shutdown(async {
            let _ = tokio::signal::ctrl_c().await;
        })
        .await?;
    Ok(())
}
