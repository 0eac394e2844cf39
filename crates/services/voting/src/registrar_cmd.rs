//! `dojang voting registrar --config registrar.toml`: one poll's registrar as a service, and
//! `dojang voting registrar-key`, which makes its RSA key.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use anyhow::{bail, Context};
use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine;
use blind_rsa_signatures::{KeyPair, Options, SecretKey};
use dojang_credentials::TrustView as _;
use dojang_crypto::KeyFile;
use dojang_sdk::Chain;
use dojang_service::settings::{load_toml, relative};
use dojang_trust::ChainTrust;
use dojang_verifier::{http::Prepare, DecisionStore, Office};
use dojang_voting::msg::VotingMsg;
use dojang_voting::state::Poll;
use serde::Deserialize;

use crate::registrar::Registrar;
use crate::registrar_http::{router, RegistrarService};

/// `registrar.toml`: `[registrar]`.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RegistrarFile {
    registrar: Section,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Section {
    poll: String,
    /// The registrar's organisation on chain, and the key id its requests are signed with.
    did: String,
    kid: String,
    /// The P-256 key registered as `<did>#<kid>`.
    signing_key: PathBuf,
    /// The RSA key (PEM) whose public half the poll names as `registrar_key`.
    rsa_key: PathBuf,
    /// The account the poll names as `registrar`: posts the count of credentials issued.
    account_key: PathBuf,
    /// Where wallets reach this service (the response URI is `<public_url>/response`).
    public_url: String,
    listen_addr: SocketAddr,
    node: String,
    /// The chain's genesis: its chain id and validators are pinned; reads are proof-checked.
    genesis: PathBuf,
    /// The decision store (redb): one decision per person's poll pseudonym, no voting key.
    store: PathBuf,
    /// Seconds between posts of the issued count, when it changed.
    #[serde(default = "default_record_interval")]
    record_interval_s: u64,
    #[serde(default = "default_max_pending")]
    max_pending: usize,
}

fn default_record_interval() -> u64 {
    10
}

fn default_max_pending() -> usize {
    dojang_verifier::DEFAULT_MAX_PENDING
}

pub(crate) struct ChainPrepare(pub(crate) Arc<ChainTrust>);

#[async_trait::async_trait]
impl Prepare for ChainPrepare {
    async fn prepare(&self, presentation: &str, policy: &str) -> Result<(), String> {
        self.0.prepare(presentation, policy).await.map_err(|e| e.to_string())
    }
}

/// A poll and its policy, read from the chain with proofs.
pub async fn load_poll(trust: &Arc<ChainTrust>, poll: &str) -> anyhow::Result<(Poll, dojang_credentials::Policy)> {
    let p: Poll = trust
        .read_state(&format!("voting/polls/{poll}"))
        .await?
        .with_context(|| format!("there is no poll '{poll}' on chain"))?;
    trust.load_policy(&p.spec.eligibility.policy).await?;
    let policy = trust
        .policy(&p.spec.eligibility.policy)?
        .with_context(|| format!("the poll's policy '{}' is not registered", p.spec.eligibility.policy))?;
    Ok((p, policy))
}

pub async fn serve(config: &Path) -> anyhow::Result<()> {
    let file: RegistrarFile = load_toml(config)?;
    let r = file.registrar;
    let base = config.parent().unwrap_or(Path::new("."));
    let signing = KeyFile::load(&relative(base, &r.signing_key))?;
    if signing.algorithm() != dojang_crypto::Algorithm::P256 {
        bail!("{} must hold a P-256 key", r.signing_key.display());
    }
    let rsa = load_key(&relative(base, &r.rsa_key))?;
    let account = KeyFile::load(&relative(base, &r.account_key))?;
    let pinned = dojang_sdk::TrustedChain::from_genesis_file(&relative(base, &r.genesis))?;
    let trust = ChainTrust::new(&r.node, pinned, Duration::from_secs(30));
    trust.load_org(&r.did).await?;
    let registered =
        trust.issuer_key(&r.did, &r.kid)?.with_context(|| format!("{}#{} is not registered on chain", r.did, r.kid))?;
    if registered.public_key != signing.public_key() {
        bail!("the signing key is not the key registered on chain as {}#{}", r.did, r.kid);
    }
    let (poll, policy) = load_poll(&trust, &r.poll).await?;
    if poll.spec.registrar != account.public_key().address() {
        bail!(
            "the poll names registrar account {}, not the account in {}",
            poll.spec.registrar,
            r.account_key.display()
        );
    }
    let store = DecisionStore::open(&relative(base, &r.store))?;
    let response_uri = format!("{}/response", r.public_url.trim_end_matches('/'));
    let office =
        Office::new(&r.did, &r.kid, signing, &response_uri, trust.clone(), store).with_max_pending(r.max_pending);
    let registrar = Registrar::new(&r.poll, &poll.spec, policy, office, rsa)?;
    let service = Arc::new(RegistrarService { registrar, prepare: Some(Arc::new(ChainPrepare(trust.clone()))) });
    let recording = tokio::spawn(record_every(service.clone(), r.node.clone(), account, r.record_interval_s.max(1)));
    let listener = tokio::net::TcpListener::bind(r.listen_addr).await?;
    // The address on stdout, as the other services print theirs, for whoever started it.
    println!("voting registrar on http://{} for poll {}", listener.local_addr()?, r.poll);
    axum::serve(listener, router(service))
        .with_graceful_shutdown(async {
            let _ = tokio::signal::ctrl_c().await;
        })
        .await?;
    recording.abort();
    Ok(())
}

/// Posts the issued count whenever it grew. A failure is logged and retried next time;
/// the count is kept in the store, so nothing is lost.
pub(crate) async fn record_every(
    service: Arc<RegistrarService<Arc<ChainTrust>>>,
    node: String,
    account: dojang_crypto::Keypair,
    interval: u64,
) {
    let mut tick = tokio::time::interval(Duration::from_secs(interval));
    let mut recorded = None;
    let mut chain = None;
    loop {
        tick.tick().await;
        let issued = match service.registrar.issued() {
            Ok(n) => n,
            Err(e) => {
                tracing::warn!(error = %e, "cannot read the issued count");
                continue;
            }
        };
        if recorded == Some(issued) {
            continue;
        }
        if chain.is_none() {
            chain = Chain::connect(&node).await.map_err(|e| tracing::warn!(error = %e, "cannot reach the node")).ok();
        }
        let Some(c) = &chain else { continue };
        let msg = VotingMsg::RecordIssued { poll: service.registrar.poll().into(), issued };
        match c.send(&account, &msg).await {
            Ok(_) => recorded = Some(issued),
            Err(e @ dojang_sdk::ClientError::Refused { .. }) => {
                // Retrying the same count would be refused again; the next count is tried.
                tracing::error!(error = %e, issued, "the chain refused the issued count: check the poll's roll and registrar account");
                recorded = Some(issued);
            }
            Err(e) => tracing::warn!(error = %e, issued, "recording the issued count failed; retrying"),
        }
    }
}

/// What a registrar's key file says it holds (bound to the sealed key: crates/crypto,
/// secret_file).
pub const KEY_LABEL: &str = "voting registrar RSA key (PEM)";

/// The registrar's RSA key from `path`: sealed (the passphrase from the environment) or, on
/// throwaway chains, PEM in clear (with a warning).
pub fn load_key(path: &Path) -> anyhow::Result<SecretKey> {
    let pem = dojang_crypto::read_secret(path, KEY_LABEL)?;
    let pem = std::str::from_utf8(&pem).with_context(|| format!("{}: not a PEM key", path.display()))?;
    SecretKey::from_pem(pem).map_err(|e| anyhow::anyhow!("{}: not an RSA key: {e}", path.display()))
}

/// `dojang voting registrar-key --out FILE`: a new RSA-2048 key for a registrar, sealed under
/// the passphrase (or in clear PEM with `insecure_clear`), owner-only and never over an
/// existing file; prints the base64 SubjectPublicKeyInfo to put in the poll as
/// `registrar_key`.
pub fn new_key(out: &Path, passphrase_file: Option<&Path>, insecure_clear: bool) -> anyhow::Result<()> {
    if out.exists() {
        bail!("{} exists; a registrar key is never overwritten", out.display());
    }
    let pass = match passphrase_file {
        Some(f) => Some(dojang_crypto::Passphrase::from_file(f)?),
        None => dojang_crypto::Passphrase::from_env()?,
    };
    let pair = KeyPair::generate(&mut rand::thread_rng(), 2048)?;
    let pem = zeroize::Zeroizing::new(pair.sk.to_pem()?);
    match (pass, insecure_clear) {
        (Some(pass), false) => {
            pass.check_new("the passphrase")?;
            dojang_crypto::write_sealed_secret(out, KEY_LABEL, pem.as_bytes(), &pass, dojang_crypto::KdfParams::STRONG)?;
        }
        (None, true) => dojang_crypto::write_secret_file(out, pem.as_bytes())
            .with_context(|| format!("cannot write {}", out.display()))?,
        (Some(_), true) => bail!("a passphrase is given and --insecure-clear-key too: choose one"),
        (None, false) => bail!(
            "no passphrase to seal the key with: give --passphrase-file, or set {} or {} (or --insecure-clear-key on a throwaway chain)",
            dojang_crypto::PASSPHRASE_FILE_ENV,
            dojang_crypto::PASSPHRASE_ENV
        ),
    }
    println!("{}", B64.encode(pair.pk.to_spki(Some(&Options::default()))?));
    Ok(())
}
