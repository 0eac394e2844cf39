//! `dojang demo login`: three facilities (a library, a pool, a district office whose contract
//! signing needs a high login) registered by the council; residents logging in from their
//! wallets through facilities' off-the-shelf OpenID Connect flow; pairwise subjects; a
//! refused low-assurance signature; an assisted login at a desk for a citizen without a
//! smartphone (AUTH-09); a revoked credential refused at the next login (AUTH-02).

mod citizen;
mod facility;
pub mod setup;

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use anyhow::{bail, Context};
use clap::{Args, Subcommand};
use dojang_eligibility_service::demo::apply::{receive_all, set_status};
use dojang_eligibility_service::demo::citizens::{generate, Citizen};
use dojang_eligibility_service::demo::setup::Stage;
use dojang_governance_service::dev_chain::activate;
use dojang_sdk::{Chain, TxBuilder};
use dojang_service::node::{demo_key, demo_node, WorkDir};
use dojang_service::scan::{forms, search};
use dojang_service::Run;
use dojang_trust::ChainTrust;
use dojang_types::wall_clock_ms;
use dojang_wallet::Contents;
use serde_json::{json, Map, Value};

use crate::tokens::pairwise_subject;
use citizen::Answered;
use facility::Facility;
use setup::{facilities, facility_token, FacilitySpec};

#[derive(Subcommand)]
pub enum Demos {
    /// Citizen-card login: three facilities, wallets, pairwise subjects, assurance levels,
    /// an assisted desk login and a revoked credential.
    Login(LoginDemoArgs),
}

#[derive(Args)]
pub struct LoginDemoArgs {
    /// The node to run against [default: start one in the work directory].
    #[arg(long)]
    pub node: Option<String>,
    /// The home of the node at `--node` (for the demo keys).
    #[arg(long)]
    pub home: Option<PathBuf>,
    /// Where the node, the registry and the wallets keep their files [default: a temporary
    /// directory].
    #[arg(long)]
    pub dir: Option<PathBuf>,
    /// Set up, then keep the node, the registry and the login service running until Ctrl-C
    /// (or SIGTERM): prints one JSON line with the issuer URL, the facilities' client ids and
    /// redirect URIs, and a wallet file (with its passphrase) holding a resident credential.
    #[arg(long)]
    pub stay: bool,
}

/// The passphrase of the wallets the demo writes for `--stay` (a demo, not a secret).
pub const DEMO_PASSPHRASE: &str = "demo-wallet-passphrase";

pub fn run(demo: Demos) -> Run {
    let Demos::Login(args) = demo;
    Box::pin(async move {
        let work = WorkDir::new(args.dir.as_deref(), "dojang-login-demo");
        std::fs::create_dir_all(work.path())?;
        let (node, url, home) = demo_node(args.node.as_deref(), args.home.as_deref(), work.path()).await?;
        let mut term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())?;
        let stopped = || {
            if args.stay {
                Ok(json!({"stopped": "the node, the registry and the login service"}))
            } else {
                Err(anyhow::anyhow!("interrupted before the demo finished"))
            }
        };
        let result = tokio::select! {
            r = login(&args, &url, &home, work.path()) => r,
            _ = tokio::signal::ctrl_c() => stopped(),
            _ = term.recv() => stopped(),
        };
        if let Some(n) = node {
            n.stop().await;
        }
        println!("{}", result?);
        Ok(())
    })
}

fn now() -> u64 {
    wall_clock_ms() / 1000
}

fn spec(id: &str) -> FacilitySpec {
    facilities().into_iter().find(|f| f.id == id).expect("a facility of the demo")
}

/// One login from start to the ID token's claims, or the refusal the wallet was told.
async fn log_in(
    issuer: &str,
    facility: &str,
    action: &str,
    wallet: &mut Contents,
    trust: &ChainTrust,
) -> anyhow::Result<Result<Map<String, Value>, String>> {
    log_in_with(issuer, facility, action, &[], wallet, trust).await
}

async fn log_in_with(
    issuer: &str,
    facility: &str,
    action: &str,
    extra: &[(&str, &str)],
    wallet: &mut Contents,
    trust: &ChainTrust,
) -> anyhow::Result<Result<Map<String, Value>, String>> {
    let f = spec(facility);
    let rp = Facility::discover(issuer, f.id, &f.redirect_uri()).await?;
    let started = rp.start(action, extra)?;
    let (page, cookie) = rp.follow(&started).await?;
    let http = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build()?;
    let request_uri = citizen::request_uri(&http, &page, &cookie).await?;
    match citizen::answer(&http, wallet, &request_uri, trust).await? {
        Answered::Back(callback) => Ok(Ok(rp.finish(&started, &callback).await?)),
        Answered::Refused(why) => Ok(Err(why)),
    }
}

async fn login(args: &LoginDemoArgs, url: &str, home: &Path, dir: &Path) -> anyhow::Result<Value> {
    let started = Instant::now();
    let chain = Chain::connect(url).await?;
    let run = format!("r{}", wall_clock_ms() / 1000 % 10_000_000);
    let genesis_path = home.join("genesis.json");
    let genesis = dojang_ledger::Genesis::load(&genesis_path)?;
    let pinned =
        || dojang_sdk::TrustedChain::new(&genesis.chain_id, genesis.validator_set(), dojang_sdk::DEFAULT_MAX_AGE);
    // The login service reads status lists again after at most 2 s (AUTH-02).
    let trust = ChainTrust::new(url, pinned(), Duration::from_secs(2));
    let wallet_trust = ChainTrust::new(url, pinned(), Duration::from_secs(60));
    println!("dojang login demo on chain '{}' at {url}", chain.chain_id);

    let council = TxBuilder::new(&chain.chain_id, demo_key(home, "admin")?);
    activate(&chain.client, &council, &[dojang_login::NAME]).await?;
    let stage = Stage { chain: &chain, node: url, home, dir, run: &run };
    let (kid, signing) = setup::register(&stage, &council).await?;
    println!("the council registered {} facilities with the login service {}", facilities().len(), setup::PROVIDER_DID);

    let mut people: Vec<Citizen> = generate(6, 20_261_201);
    for c in &mut people {
        c.lives_in_seoul = true;
    }
    people[CHILD].birth_year = 2017;
    let mut secret = [0u8; 32];
    rand::RngCore::fill_bytes(&mut rand::thread_rng(), &mut secret);
    let delegation = setup::Delegation {
        guardian: &people[PARENT],
        ward: &people[CHILD],
        relationship: "parent",
        scope: vec!["mapo-library".into()],
    };
    let registry = setup::registry(&stage, &people, &secret, std::slice::from_ref(&delegation)).await?;
    let subjects: Vec<String> = people.iter().map(|c| c.subject.clone()).collect();
    let mut wallets = receive_all(std::slice::from_ref(&registry), &subjects, 10, &wallet_trust).await?;
    println!("the resident registry issued {} resident credentials into wallets", wallets.len());
    let service = setup::serve(&kid, signing, trust.clone(), Some(url.to_string())).await?;
    let issuer = service.url.clone();
    println!("login service at {issuer} (discovery at {issuer}/.well-known/openid-configuration)");

    if args.stay {
        let path = dir.join("wallet.json");
        dojang_wallet::store::save(&path, DEMO_PASSPHRASE, &wallets[0])?;
        // A resident enrolled in person, for a browser wallet: the offer link and its PIN.
        let (high, _) = split_by_assurance(&people);
        let body = json!({"subject": people[high].subject, "credential_configuration_id": "resident", "pin": true});
        let offer = registry_desk(&registry, "/admin/offers", body).await?;
        let link = offer["credential_offer_uri"].as_str().context("no offer link")?;
        let browser = json!({"offer": link, "pin": offer["tx_code"],
                             "wallet": format!("{url}/#/wallet/offer/{}", dojang_types::percent_encode(link))});
        let fac: Vec<Value> = facilities()
            .iter()
            .map(|f| json!({"client_id": f.id, "redirect_uri": f.redirect_uri(), "actions": f.actions}))
            .collect();
        println!(
            "{}",
            json!({"stay": true, "node": url, "genesis": genesis_path, "issuer": issuer, "facilities": fac,
                   "wallet": {"file": path, "passphrase": DEMO_PASSPHRASE}, "browser": browser})
        );
        return std::future::pending::<anyhow::Result<Value>>().await;
    }

    // Every resident logs in to the library; the subject is the pairwise one (AUTH-05).
    let mut library_subs = Vec::new();
    for (c, w) in people.iter().zip(wallets.iter_mut()) {
        let claims = log_in(&issuer, "mapo-library", "borrow", w, &wallet_trust).await?.map_err(anyhow::Error::msg)?;
        let expected = pairwise_subject("mapo-library", &facility_token(&secret, c, "mapo-library"));
        if claims["sub"] != expected {
            bail!("the library saw subject {} for {}, not the pairwise one", claims["sub"], c.subject);
        }
        let mut names: Vec<&String> = claims
            .keys()
            .filter(|k| !crate::tokens::RESERVED.contains(&k.as_str()) && k.as_str() != "action")
            .collect();
        names.sort();
        if names != ["resident_of_seoul"] {
            bail!("the library learned {names:?}, beyond its registration");
        }
        library_subs.push(claims["sub"].clone());
    }
    println!(
        "{} residents logged in to the library; it learned only resident_of_seoul, under a subject of its own for each",
        people.len()
    );

    // The same resident at the pool: another subject; at the library again: the same one.
    let pool = log_in(&issuer, "jamsil-pool", "book-lane", &mut wallets[0], &wallet_trust)
        .await?
        .map_err(anyhow::Error::msg)?;
    let again = log_in(&issuer, "mapo-library", "catalogue", &mut wallets[0], &wallet_trust)
        .await?
        .map_err(anyhow::Error::msg)?;
    if pool["sub"] == library_subs[0] || again["sub"] != library_subs[0] {
        bail!(
            "pairwise subjects do not hold: library {}, pool {}, library again {}",
            library_subs[0],
            pool["sub"],
            again["sub"]
        );
    }
    println!(
        "resident 1 at the pool: another subject (age_over_65 = {}); at the library again: the same subject",
        pool["age_over_65"]
    );

    // AUTH-07: signing at the district office needs a card enrolled in person.
    let (high, substantial) = split_by_assurance(&people);
    let contract = "Mangwon market stall lease, 2027-01-01 to 2027-12-31, KRW 350,000 a month";
    let hash = dojang_credentials::jose::b64(&<sha2::Sha256 as sha2::Digest>::digest(contract.as_bytes()));
    let title = "Mangwon market stall lease 2027";
    let document = [("document_hash", hash.as_str()), ("document_title", title)];
    let refused =
        log_in_with(&issuer, "mapo-district", "sign-contract", &document, &mut wallets[substantial], &wallet_trust)
            .await?;
    let refused = refused.err().context("a substantial login was accepted for signing a contract")?;
    if !refused.starts_with("AUTH-07") {
        bail!("the district office refused for another reason: {refused}");
    }
    let signed = log_in_with(&issuer, "mapo-district", "sign-contract", &document, &mut wallets[high], &wallet_trust)
        .await?
        .map_err(anyhow::Error::msg)?;
    check_signature(&signed, &hash, title, &wallet_trust).await?;
    println!(
        "district office: an online-enrolled card refused for signing ({refused}); an in-person card signed '{title}' (acr {}), and the signature checks against the holder's key and the registry's key on chain",
        signed["acr"]
    );

    // A parent logs in to the library for their child: the library sees the child's subject
    // and the parent as the actor; the delegation covers the library only.
    let guardian_line = guardian(&registry, &issuer, &people, &secret, &mut wallets, &wallet_trust).await?;
    println!("{guardian_line}");

    // AUTH-09: a resident without a smartphone, at the library's desk.
    let assisted = assisted_desk(dir, &issuer, &mut wallets[1], &wallet_trust).await?;
    println!("{assisted}");

    // AUTH-02: the registry revokes a credential; the next login is refused.
    let version = set_status(&registry, &people[2].subject, "revoked").await?;
    tokio::time::sleep(Duration::from_millis(2_500)).await;
    let revoked = log_in(&issuer, "mapo-library", "borrow", &mut wallets[2], &wallet_trust).await?;
    let revoked = revoked.err().context("a revoked credential was accepted")?;
    println!("the registry revoked resident 3's credential (status list version {version}); the next login: refused ({revoked})");

    // AUTH-06: what each wallet keeps.
    let history: usize = wallets.iter().map(|w| w.history.iter().filter(|h| h.facility.is_some()).count()).sum();
    drop(service);
    let (files, hits) = scan(home, &people, &secret)?;
    println!("personal-data scan of the node's files: {files} files, {} hits", hits.len());
    Ok(json!({
        "logins": history, "facilities": facilities().len(), "residents": people.len(),
        "pairwise": true, "signed": true, "guardian": true, "assisted": true,
        "refused_low_assurance": refused, "revoked_refused": revoked,
        "personal_data_scan": {"node_files": files, "hits": hits},
        "seconds": started.elapsed().as_secs_f64(), "at": now(),
    }))
}

/// Checks the document signature the district office received, as anyone could later: the
/// registry's key is read from the chain with a proof.
async fn check_signature(
    claims: &Map<String, Value>,
    hash: &str,
    title: &str,
    trust: &ChainTrust,
) -> anyhow::Result<()> {
    use dojang_credentials::transaction::{check_document_signature, DocumentSignature};
    use dojang_credentials::TrustView as _;
    let p = claims["document_signature"]["presentation"].as_str().context("the ID token carries no signature")?;
    let sd = dojang_credentials::sdjwt::SdJwt::parse(p).map_err(|e| anyhow::anyhow!("{e}"))?;
    let jws = dojang_credentials::jose::Jws::parse(&sd.jwt).map_err(|e| anyhow::anyhow!("{e}"))?;
    let kid = jws.header.get("kid").and_then(Value::as_str).context("no kid")?;
    let (did, k) = kid.split_once('#').context("the kid is not <did>#<key>")?;
    trust.load_org(did).await?;
    let key = trust.issuer_key(did, k)?.context("the registry's key is not on chain")?;
    let document = DocumentSignature::new("resident", hash, title)?;
    check_document_signature(p, &key.public_key, &document)?;
    Ok(())
}

/// DESIGN.md §7: no name, resident number, registry token or facility subject in the node's
/// files (logins never reach the chain; only the registrations do).
fn scan(home: &Path, people: &[Citizen], secret: &[u8; 32]) -> anyhow::Result<(usize, Vec<String>)> {
    let mut needles: Vec<(String, Vec<u8>)> = Vec::new();
    for c in people {
        needles.extend(forms(&c.name));
        needles.extend(forms(&c.resident_number));
        for f in facilities() {
            let token = facility_token(secret, c, f.id);
            needles.push((format!("{}'s subject at {}", c.subject, f.id), pairwise_subject(f.id, &token).into_bytes()));
            needles.push((format!("{}'s token for {}", c.subject, f.id), token.into_bytes()));
        }
    }
    let found = search(&[home.to_path_buf()], &[], &needles)?;
    Ok((found.files, found.hits.into_iter().map(|(f, what)| format!("{what} in {}", f.display())).collect()))
}

/// A call to the registry's desk (offers, status changes), with its answer.
async fn registry_desk(
    registry: &dojang_eligibility_service::demo::setup::Agency,
    path: &str,
    body: Value,
) -> anyhow::Result<Value> {
    use dojang_eligibility_service::demo::setup::ADMIN_TOKEN;
    let r = reqwest::Client::new()
        .post(format!("{}{path}", registry.url))
        .bearer_auth(ADMIN_TOKEN)
        .json(&body)
        .send()
        .await?;
    let status = r.status();
    let answer: Value = r.json().await?;
    anyhow::ensure!(status.is_success(), "the registry's desk answered HTTP {status}: {answer}");
    Ok(answer)
}

/// The parent and the child of the demo's delegation.
const PARENT: usize = 4;
const CHILD: usize = 5;

/// The registry's desk offers the parent the guardian credential; the parent logs in to the
/// library for the child, is refused at the pool (which takes no guardians), and, once the
/// registry revokes the delegation, is refused at the library too.
async fn guardian(
    registry: &dojang_eligibility_service::demo::setup::Agency,
    issuer: &str,
    people: &[Citizen],
    secret: &[u8; 32],
    wallets: &mut [Contents],
    trust: &ChainTrust,
) -> anyhow::Result<String> {
    let desk = |path: &'static str, body: Value| registry_desk(registry, path, body);
    let parent = &people[PARENT].subject;
    let offer =
        desk("/admin/offers", json!({"subject": parent, "credential_configuration_id": "guardian", "pin": true}))
            .await?;
    let uri = offer["credential_offer_uri"].as_str().context("no offer link")?;
    let cred = dojang_wallet::receive(uri, offer["tx_code"].as_str(), 4, now(), trust).await?;
    wallets[PARENT].credentials.push(cred);
    // The delegation is visible to the ward: a notice in the ward's own wallet.
    let child = &people[CHILD].subject;
    let offer =
        desk("/admin/offers", json!({"subject": child, "credential_configuration_id": "delegation", "pin": true}))
            .await?;
    let uri = offer["credential_offer_uri"].as_str().context("no offer link")?;
    let notice = dojang_wallet::receive(uri, offer["tx_code"].as_str(), 1, now(), trust).await?;
    let shown = format!("{} in the ward's wallet, from {}", notice.vct, notice.issuer);
    wallets[CHILD].credentials.push(notice);
    let wallet = &mut wallets[PARENT];
    let ward = [("on_behalf", "ward")];
    let claims =
        log_in_with(issuer, "mapo-library", "borrow", &ward, wallet, trust).await?.map_err(anyhow::Error::msg)?;
    let child = pairwise_subject("mapo-library", &facility_token(secret, &people[CHILD], "mapo-library"));
    let own = pairwise_subject("mapo-library", &facility_token(secret, &people[PARENT], "mapo-library"));
    if claims["sub"] != child || claims["act"]["sub"] != own || claims["delegation"]["relationship"] != "parent" {
        bail!("the library saw sub {} act {} delegation {}", claims["sub"], claims["act"], claims["delegation"]);
    }
    // The pool registered no guardian policy: the login service refuses at once.
    match log_in_with(issuer, "jamsil-pool", "book-lane", &ward, wallet, trust).await {
        Err(e) if e.to_string().contains("takes no logins on another's behalf") => {}
        other => bail!("the pool took, or refused for another reason, a login on a child's behalf: {other:?}"),
    }
    let revoked = desk(
        "/admin/status",
        json!({"subject": parent, "credential_configuration_id": "guardian", "status": "revoked"}),
    )
    .await?;
    tokio::time::sleep(Duration::from_millis(2_500)).await;
    let after = log_in_with(issuer, "mapo-library", "borrow", &ward, wallet, trust).await?;
    let after = after.err().context("a revoked delegation was accepted")?;
    Ok(format!(
        "guardian: a parent logged in to the library as the child's subject with the parent as actor (act); the delegation is a notice ({shown}); refused at the pool, which takes no guardians' logins; after the registry revoked it (status list version {}): refused ({after})",
        revoked["status_list_version"]
    ))
}

/// Indexes of one resident enrolled in person (high) and one online (substantial).
fn split_by_assurance(people: &[Citizen]) -> (usize, usize) {
    let find = |level| people.iter().position(|c| setup::assurance(c) == level).unwrap_or(0);
    (find("high"), find("substantial"))
}

/// AUTH-09: the resident's credentials are kept in a card wallet at the district's desk,
/// sealed under the card's secret (its QR code) and the PIN only the resident knows. Staff
/// scan the card, the resident types the PIN on the kiosk, and the kiosk answers the login.
async fn assisted_desk(dir: &Path, issuer: &str, wallet: &mut Contents, trust: &ChainTrust) -> anyhow::Result<String> {
    let card = format!("card-{:016x}", rand::random::<u64>());
    let pin = "482913";
    let file = dir.join(format!("{card}.wallet"));
    dojang_wallet::store::save(&file, &format!("{card}:{pin}"), wallet)?;
    let wrong = dojang_wallet::store::load(&file, &format!("{card}:000000"));
    if wrong.is_ok() {
        bail!("the card wallet opened with a wrong PIN");
    }
    let mut kiosk = dojang_wallet::store::load(&file, &format!("{card}:{pin}"))?;
    let claims = log_in(issuer, "mapo-library", "borrow", &mut kiosk, trust).await?.map_err(anyhow::Error::msg)?;
    dojang_wallet::store::save(&file, &format!("{card}:{pin}"), &kiosk)?;
    Ok(format!(
        "assisted desk: the card's wallet refused a wrong PIN, opened with the right one, and logged in to the library as {}",
        claims["sub"].as_str().map(|s| &s[..8.min(s.len())]).unwrap_or("?")
    ))
}
