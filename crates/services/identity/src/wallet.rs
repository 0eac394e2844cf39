//! `dojang wallet`: a citizen's wallet on the command line, credentials encrypted at rest and
//! presented only within a program's registered policy; and the chain a wallet trusts.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use anyhow::{bail, Context};
use clap::Subcommand;
use dojang_sdk::TrustedChain;
use dojang_trust::ChainTrust;
use dojang_wallet::store;

/// The chain a wallet command checks what it reads against: the node to ask, and the genesis
/// file the holder trusts (its chain id and validator set are pinned; the node's own report of
/// its validators is never used).
#[derive(clap::Args, Clone)]
pub struct ChainArgs {
    #[arg(long, env = "DOJANG_NODE", default_value = "http://127.0.0.1:8080")]
    pub node: String,
    /// The chain's genesis file, as published by the city.
    #[arg(long, env = "DOJANG_GENESIS")]
    pub genesis: PathBuf,
}

impl ChainArgs {
    /// A proof-checking view of the chain pinned from the trusted genesis.
    pub fn trust(&self) -> anyhow::Result<Arc<ChainTrust>> {
        let chain = TrustedChain::from_genesis_file(&self.genesis)?;
        Ok(ChainTrust::new(&self.node, chain, Duration::from_secs(30)))
    }
}

#[derive(Subcommand)]
pub enum WalletCommand {
    /// Create an empty wallet file.
    Init,
    /// Receive a credential from an OpenID4VCI offer (`openid-credential-offer://...`); it is
    /// kept only if the chain vouches for it (issuer key, accreditation, type, holder binding).
    Receive {
        offer: String,
        #[command(flatten)]
        chain: ChainArgs,
        /// The PIN the agency sent, when the offer asks for one.
        #[arg(long)]
        pin: Option<String>,
        /// Single-use copies to ask for (the issuer may cap it).
        #[arg(long, default_value_t = 5)]
        copies: usize,
    },
    /// List credentials (types, issuers, unused copies); claims are not printed.
    List,
    /// Answer a signed presentation request (the request JWT, in a file), only if it is signed
    /// by a key the chain registers for the verifier and within the policy it cites.
    Present {
        request: PathBuf,
        #[command(flatten)]
        chain: ChainArgs,
        /// Write the vp_token here instead of printing it.
        #[arg(long)]
        out: Option<PathBuf>,
    },
    /// Apply to a program: fetch the office's signed request (checked against its key on
    /// chain and its registered policy), answer it, keep the decision receipt.
    Apply {
        /// The office's request URL, e.g. https://jobs.seoul.go.kr/programs/<id>/request
        request_url: String,
        #[command(flatten)]
        chain: ChainArgs,
    },
    /// Log in to a facility through the city's login service: fetch its signed request (an
    /// `openid4vp://` link or the request URL from the login page), check it against the
    /// facility's registration on chain, answer with only what the facility may see, and
    /// print where the browser goes next (the facility, with a code).
    Login {
        link: String,
        #[command(flatten)]
        chain: ChainArgs,
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
        WalletCommand::Receive { offer, pin, copies, chain } => {
            let mut w = store::load(file, passphrase)?;
            let trust = chain.trust()?;
            let cred = dojang_wallet::receive(&offer, pin.as_deref(), copies, now(), &trust).await?;
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
        WalletCommand::Present { request, chain, out } => {
            let jwt =
                std::fs::read_to_string(&request).with_context(|| format!("cannot read {}", request.display()))?;
            let trust = chain.trust()?;
            let checked = dojang_wallet::fetch_and_check(&jwt, &trust, now()).await?;
            let req = &checked.request;
            let mut w = store::load(file, passphrase)?;
            let vp_token = dojang_wallet::answer(&mut w, req, &checked.policy, &checked.query, now())?;
            store::save(file, passphrase, &w)?;
            let body = serde_json::json!({ "vp_token": vp_token, "state": checked.state });
            match (&req.response_uri, out) {
                (_, Some(path)) => std::fs::write(&path, body.to_string())?,
                (Some(uri), None) => {
                    // OpenID4VP direct_post: the answer goes as a form, like `wallet apply`'s.
                    let form = [("vp_token", vp_token.to_string()), ("state", checked.state.clone())];
                    let resp = http_client()?.post(uri).form(&form).send().await?;
                    println!("sent to {uri}: HTTP {}", resp.status());
                    println!("{}", resp.text().await?);
                }
                (None, None) => println!("{body}"),
            }
        }
        WalletCommand::History => {
            let w = store::load(file, passphrase)?;
            for h in &w.history {
                let facility = h.facility.as_ref().map(|f| format!("{f} via ")).unwrap_or_default();
                println!(
                    "{}  {facility}{}  policy {} ({})  disclosed {}",
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
        WalletCommand::Apply { request_url, chain } => apply(file, passphrase, &request_url, &chain).await?,
        WalletCommand::Login { link, chain } => login(file, passphrase, &link, &chain).await?,
    }
    Ok(())
}

/// The wallet's HTTP client toward offices: a timeout, and no redirects, which could carry a
/// presentation to another address than the one the request was checked for.
fn http_client() -> anyhow::Result<reqwest::Client> {
    Ok(reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .timeout(std::time::Duration::from_secs(30))
        .build()?)
}

async fn apply(file: &Path, passphrase: &str, request_url: &str, chain: &ChainArgs) -> anyhow::Result<()> {
    let http = http_client()?;
    let resp = http.get(request_url).send().await.with_context(|| format!("cannot reach {request_url}"))?;
    if !resp.status().is_success() {
        bail!("{request_url} answered HTTP {}", resp.status());
    }
    let jwt = resp.text().await?;
    let trust = chain.trust()?;
    let checked = dojang_wallet::fetch_and_check(&jwt, &trust, now()).await?;
    let response_uri = checked.request.response_uri.clone().context("the request names no response_uri")?;
    let mut w = store::load(file, passphrase)?;
    let vp_token = dojang_wallet::answer(&mut w, &checked.request, &checked.policy, &checked.query, now())?;
    store::save(file, passphrase, &w)?;
    let form = [("vp_token", vp_token.to_string()), ("state", checked.state)];
    let answer: serde_json::Value = http.post(&response_uri).form(&form).send().await?.json().await?;
    if let Some(err) = answer.get("error") {
        bail!("the office refused the application: {err}: {}", answer["error_description"]);
    }
    println!("{}", serde_json::to_string_pretty(&answer["decision"])?);
    w.receipts.push(answer["receipt"].clone());
    store::save(file, passphrase, &w)?;
    println!("receipt kept in the wallet (dojang wallet history)");
    Ok(())
}

async fn login(file: &Path, passphrase: &str, link: &str, chain: &ChainArgs) -> anyhow::Result<()> {
    let request_url = dojang_wallet::request_uri_of(link)
        .context("the link is neither an openid4vp:// link with a request_uri nor an http(s) URL")?;
    let http = http_client()?;
    let resp = http.get(&request_url).send().await.with_context(|| format!("cannot reach {request_url}"))?;
    if !resp.status().is_success() {
        bail!("{request_url} answered HTTP {}: {}", resp.status(), resp.text().await.unwrap_or_default());
    }
    let jwt = resp.text().await?;
    let trust = chain.trust()?;
    let login = dojang_wallet::fetch_and_check_login(&jwt, &trust, now()).await?;
    let checked = &login.request;
    for d in &checked.documents {
        println!("signing '{}' (SHA-256 {})", d.title, d.document_hash);
    }
    let response_uri = checked.request.response_uri.clone().context("the request names no response_uri")?;
    let mut w = store::load(file, passphrase)?;
    let vp_token = dojang_wallet::answer(&mut w, &checked.request, &checked.policy, &checked.query, now())?;
    dojang_wallet::record_login(&mut w, &login, checked.query.credentials.len());
    store::save(file, passphrase, &w)?;
    let shown: Vec<String> =
        w.history.iter().rev().take(checked.query.credentials.len()).flat_map(|h| h.claims.clone()).collect();
    println!("{} sees: {}", login.facility.registration.name, shown.join(", "));
    let form = [("vp_token", vp_token.to_string()), ("state", checked.state.clone())];
    let resp = http.post(&response_uri).form(&form).send().await?;
    let status = resp.status();
    let answer: serde_json::Value =
        resp.json().await.with_context(|| format!("{response_uri} answered HTTP {status} without JSON"))?;
    if let Some(err) = answer.get("error") {
        let registered = &login.facility.registration.redirect_uris;
        if let Some(back) =
            answer["redirect_uri"].as_str().filter(|b| dojang_wallet::login::goes_back_to(b, registered))
        {
            println!("back to the facility: {back}");
        }
        bail!("the login service refused the login: {err}: {}", answer["error_description"]);
    }
    let next = answer["redirect_uri"].as_str().context("the login service named no redirect_uri")?;
    if !dojang_wallet::login::goes_back_to(next, &login.facility.registration.redirect_uris) {
        bail!("the login service sent the wallet to {next}, not to the facility's registered callback");
    }
    println!("logged in; continue at: {next}");
    Ok(())
}
