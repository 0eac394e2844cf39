//! `dojang issuer` (an agency's OpenID4VCI issuer service) and `dojang wallet` (a citizen's
//! wallet on the command line).

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use anyhow::{bail, Context};
use clap::Subcommand;
use dojang_credentials::issue::IssuerKey;
use dojang_credentials::TrustView as _;
use dojang_crypto::KeyFile;
use dojang_issuer::{Book, ChainAnchoring, Issuer, Records, Settings};
use dojang_trust::ChainTrust;
use dojang_wallet::{store, PresentationRequest};
use serde::Deserialize;
use tracing::info;

use crate::config::{load_toml, relative};

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

#[derive(Subcommand)]
pub enum WalletCommand {
    /// Create an empty wallet file.
    Init,
    /// Receive a credential from an OpenID4VCI offer (`openid-credential-offer://...`).
    Receive {
        offer: String,
        /// The PIN the agency sent, when the offer asks for one.
        #[arg(long)]
        pin: Option<String>,
        /// Single-use copies to ask for (the issuer may cap it).
        #[arg(long, default_value_t = 5)]
        copies: usize,
    },
    /// List credentials (types, issuers, unused copies); claims are not printed.
    List,
    /// Answer a presentation request (a JSON file), only within the policy it cites.
    Present {
        request: PathBuf,
        /// The node to read the policy from (proof-checked).
        #[arg(long, env = "DOJANG_NODE", default_value = "http://127.0.0.1:8080")]
        node: String,
        /// Write the vp_token here instead of printing it.
        #[arg(long)]
        out: Option<PathBuf>,
    },
    /// Apply to a program: fetch the office's signed request (checked against its key on
    /// chain and its registered policy), answer it, keep the decision receipt.
    Apply {
        /// The office's request URL, e.g. https://jobs.seoul.go.kr/programs/<id>/request
        request_url: String,
        #[arg(long, env = "DOJANG_NODE", default_value = "http://127.0.0.1:8080")]
        node: String,
    },
    /// What was disclosed to whom and when, and the decision receipts kept.
    History,
}

fn now() -> u64 {
    dojang_types::wall_clock_ms() / 1000
}

pub async fn wallet(file: &Path, passphrase: &str, command: WalletCommand) -> anyhow::Result<()> {
    if passphrase.chars().count() < 8 {
        bail!("the wallet passphrase must be at least 8 characters (DOJANG_WALLET_PASSPHRASE)");
    }
    match command {
        WalletCommand::Init => {
            if file.exists() {
                bail!("{} already exists", file.display());
            }
            store::save(file, passphrase, &Default::default())?;
            println!("created {}", file.display());
        }
        WalletCommand::Receive { offer, pin, copies } => {
            let mut w = store::load(file, passphrase)?;
            let cred = dojang_wallet::receive(&offer, pin.as_deref(), copies, now()).await?;
            println!("received {} from {} ({} single-use copies)", cred.vct, cred.issuer, cred.copies.len());
            w.credentials.push(cred);
            store::save(file, passphrase, &w)?;
        }
        WalletCommand::List => {
            let w = store::load(file, passphrase)?;
            for c in &w.credentials {
                let unused = c.copies.iter().filter(|k| !k.used).count();
                println!("{}  {}  from {}  ({unused}/{} copies unused)", c.id, c.vct, c.issuer, c.copies.len());
            }
        }
        WalletCommand::Present { request, node, out } => {
            let text =
                std::fs::read_to_string(&request).with_context(|| format!("cannot read {}", request.display()))?;
            let req: PresentationRequest = serde_json::from_str(&text)
                .with_context(|| format!("{} is not a presentation request", request.display()))?;
            let validators = ChainTrust::validators_from(&node).await?;
            let trust = ChainTrust::new(&node, validators, Duration::from_secs(30));
            trust.load_policy(&req.policy).await?;
            let policy = trust.policy(&req.policy)?;
            let query = dojang_wallet::check_request(&req, policy.as_ref())?;
            let policy = policy.context("checked above")?;
            let mut w = store::load(file, passphrase)?;
            let vp_token = dojang_wallet::answer(&mut w, &req, &policy, &query, now())?;
            store::save(file, passphrase, &w)?;
            let body = serde_json::json!({ "vp_token": vp_token });
            match (&req.response_uri, out) {
                (_, Some(path)) => std::fs::write(&path, body.to_string())?,
                (Some(uri), None) => {
                    let resp = reqwest::Client::new().post(uri).json(&body).send().await?;
                    println!("sent to {uri}: HTTP {}", resp.status());
                }
                (None, None) => println!("{body}"),
            }
        }
        WalletCommand::History => {
            let w = store::load(file, passphrase)?;
            for h in &w.history {
                println!(
                    "{}  {}  policy {} ({})  disclosed {}",
                    h.at,
                    h.verifier,
                    h.policy,
                    h.purpose,
                    h.claims.join(", ")
                );
            }
            for r in &w.receipts {
                println!(
                    "receipt: program {} decision {} outcome {}",
                    r["decision"]["program"], r["decision"]["seq"], r["decision"]["outcome"]
                );
            }
        }
        WalletCommand::Apply { request_url, node } => apply(file, passphrase, &request_url, &node).await?,
    }
    Ok(())
}

async fn apply(file: &Path, passphrase: &str, request_url: &str, node: &str) -> anyhow::Result<()> {
    let http = reqwest::Client::new();
    let resp = http.get(request_url).send().await.with_context(|| format!("cannot reach {request_url}"))?;
    if !resp.status().is_success() {
        bail!("{request_url} answered HTTP {}", resp.status());
    }
    let jwt = resp.text().await?;
    let (did, kid) = dojang_verifier::request_kid(&jwt).context("the request names no signing key")?;
    let validators = ChainTrust::validators_from(node).await?;
    let trust = ChainTrust::new(node, validators, Duration::from_secs(30));
    trust.load_org(&did).await?;
    let key = trust.issuer_key(&did, &kid)?.with_context(|| format!("{did}#{kid} is not a key on chain"))?;
    let claims = dojang_verifier::open_request(&jwt, &key.public_key, now()).map_err(anyhow::Error::msg)?;
    trust.load_policy(&claims.policy).await?;
    let policy = trust.policy(&claims.policy)?;
    let req = PresentationRequest {
        client_id: claims.client_id,
        nonce: claims.nonce,
        policy: claims.policy,
        dcql_query: claims.dcql_query,
        response_uri: Some(claims.response_uri.clone()),
    };
    let query = dojang_wallet::check_request(&req, policy.as_ref())?;
    let policy = policy.context("checked above")?;
    let mut w = store::load(file, passphrase)?;
    let vp_token = dojang_wallet::answer(&mut w, &req, &policy, &query, now())?;
    store::save(file, passphrase, &w)?;
    let form = [("vp_token", vp_token.to_string()), ("state", claims.state)];
    let answer: serde_json::Value = http.post(&claims.response_uri).form(&form).send().await?.json().await?;
    if let Some(err) = answer.get("error") {
        bail!("the office refused the application: {err}: {}", answer["error_description"]);
    }
    println!("{}", serde_json::to_string_pretty(&answer["decision"])?);
    w.receipts.push(answer["receipt"].clone());
    store::save(file, passphrase, &w)?;
    println!("receipt kept in the wallet (dojang wallet history)");
    Ok(())
}
