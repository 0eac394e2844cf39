//! `dojang labour desk`: the labour desk, run by a member organisation of the labour contracts
//! collection (the small-business federation, the district labour office) beside its node.
//! Employers' apps (the federation's contract app, a payroll system) use it over HTTP with
//! their own tokens and rate limits: they draft contracts from templates, get LAB-01's verdict
//! in Korean and English, store each version and week in the private collection (names, wage
//! and hours only there), and relay the parties' signed messages to the ledger, which holds
//! only commitments, accounts and dates. The desk never holds an employer's or a worker's key.

mod api;
mod book;
mod career;
mod chain;
mod clients;
mod contracts;
mod copy;
mod documents;
mod findings;
mod obligations;
mod payments;
mod relay;
mod templates;

use std::collections::{BTreeMap, HashMap};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use dojang_api::{ConnectionLimits, Server};
use dojang_crypto::KeyFile;
use dojang_service::settings::{load_toml, relative};
use serde::Deserialize;
use tokio::sync::Mutex;

pub use career::CareerSettings;
pub use chain::contract as ledger_contract;
pub use clients::{new_token, ClientEntry, Clients, Refusal};
pub use contracts::today;
pub use documents::{ContractVersion, Parties, Timesheet};
pub use templates::{templates, Template};

/// The desk's API as OpenAPI 3.1.
pub const OPENAPI: &str = include_str!("openapi.json");

/// `desk.toml`: `[desk]`.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct DeskFile {
    desk: DeskSection,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct DeskSection {
    listen_addr: SocketAddr,
    /// The organisation's own node (a member node of the collection).
    node: String,
    /// The member organisation's account key: signs private-data requests and the records.
    member_key: PathBuf,
    #[serde(default = "default_collection")]
    collection: String,
    /// The desk's index of the contracts it drafted (a redb file).
    store: PathBuf,
    /// The linked apps (`[[desk.clients]]`).
    #[serde(default)]
    clients: Vec<ClientEntry>,
    /// Seconds between the engine's passes over every contract (alerts, deadlines).
    #[serde(default = "default_engine_interval")]
    engine_interval_s: u64,
    /// The credential issuer that offers career certificates (`[desk.career]`); without it the
    /// desk offers none.
    #[serde(default)]
    career: Option<CareerSettings>,
}

fn default_engine_interval() -> u64 {
    3600
}

fn default_collection() -> String {
    "labour-contracts".into()
}

/// What every request handler shares.
pub struct Desk {
    clients: clients::Clients,
    book: book::Book,
    chain: chain::ChainSide,
    /// One request at a time changes or relays for a contract (amendments and weeks read, then
    /// extend, its entry; a relay checks against it). Other contracts go on meanwhile.
    locks: std::sync::Mutex<HashMap<String, Arc<Mutex<()>>>>,
    /// Each contract's alerts as the engine last found them (no names, no wages: rules, dates,
    /// minutes).
    alerts: std::sync::Mutex<BTreeMap<String, Vec<serde_json::Value>>>,
    career: Option<career::CareerIssuer>,
}

impl Desk {
    async fn lock(&self, contract: &str) -> tokio::sync::OwnedMutexGuard<()> {
        let m = {
            let mut locks = self.locks.lock().unwrap_or_else(|p| p.into_inner());
            locks.entry(contract.to_string()).or_default().clone()
        };
        m.lock_owned().await
    }

    fn note_alerts(&self, contract: &str, alerts: Vec<serde_json::Value>) {
        let mut all = self.alerts.lock().unwrap_or_else(|p| p.into_inner());
        if alerts.is_empty() {
            all.remove(contract);
        } else {
            all.insert(contract.to_string(), alerts);
        }
    }

    fn alerts_for(&self, mine: impl Fn(&str) -> bool) -> Vec<(String, Vec<serde_json::Value>)> {
        let all = self.alerts.lock().unwrap_or_else(|p| p.into_inner());
        all.iter().filter(|(id, _)| mine(id)).map(|(id, a)| (id.clone(), a.clone())).collect()
    }

    /// The weekly engine's pass: every contract of the index on the ledger, judged again from
    /// its committed weeks as of today; each contract's alerts kept for its app. A contract
    /// that cannot be judged (the node down, the ledger disagreeing) is logged and skipped.
    pub async fn engine_pass(&self) -> EngineTally {
        let mut tally = EngineTally::default();
        let entries = match self.book.all() {
            Ok(e) => e,
            Err(e) => {
                tracing::error!(error = %e, "the engine cannot read the desk's index");
                return tally;
            }
        };
        let today = contracts::today();
        // The legal tables once for the whole pass, not once per contract.
        let tables = match self.chain.tables().await {
            Ok(t) => t,
            Err(e) => {
                tracing::warn!(error = %e, "the engine cannot read the legal tables; no pass this time");
                return tally;
            }
        };
        for (id, e) in entries {
            let report = match self.chain.contract(&id).await {
                Ok(Some(c)) if api::agrees(&e, &c) => findings::run(&self.chain, &id, &e, &c, today, &tables).await,
                Ok(_) => {
                    self.note_alerts(&id, vec![]);
                    continue;
                }
                Err(err) => Err(err.into()),
            };
            match report {
                Ok(r) => {
                    tally.contracts += 1;
                    for f in &r.findings {
                        *tally.findings.entry(f.rule.to_string()).or_default() += 1;
                    }
                    let alerts = r.alerts();
                    for a in &alerts {
                        *tally.alerts.entry(a["rule"].as_str().unwrap_or("?").to_string()).or_default() += 1;
                    }
                    self.note_alerts(&id, alerts);
                }
                Err(err) => {
                    tally.skipped += 1;
                    self.note_alerts(&id, vec![]);
                    tracing::warn!(contract = %id, error = %err, "the engine could not judge a contract this pass");
                }
            }
        }
        tally
    }
}

/// What one pass of the engine saw.
#[derive(Debug, Default)]
pub struct EngineTally {
    pub contracts: usize,
    pub skipped: usize,
    /// Findings by rule.
    pub findings: BTreeMap<String, usize>,
    /// Alerts by rule.
    pub alerts: BTreeMap<String, usize>,
}

/// Runs the engine every `every` until the process ends.
async fn engine_every(desk: Arc<Desk>, every: Duration) {
    let mut tick = tokio::time::interval(every);
    loop {
        tick.tick().await;
        let t = desk.engine_pass().await;
        tracing::info!(contracts = t.contracts, skipped = t.skipped, alerts = ?t.alerts, "labour engine pass");
    }
}

/// What a desk needs, however it is configured (a file, or a demo in process).
pub struct DeskSettings {
    pub node: String,
    pub member: dojang_crypto::Keypair,
    pub collection: String,
    pub store: PathBuf,
    pub clients: Vec<ClientEntry>,
    pub career: Option<CareerSettings>,
}

impl Desk {
    /// Connects to the node, checks the member key belongs to the collection, opens the index.
    pub async fn open(s: DeskSettings) -> anyhow::Result<Arc<Desk>> {
        let clients = clients::Clients::new(&s.clients)?;
        if s.clients.is_empty() {
            tracing::warn!("no [[desk.clients]] are configured: every request will be refused");
        }
        let chain = chain::ChainSide::connect(&s.node, s.member, &s.collection)
            .await
            .with_context(|| format!("cannot reach the node at {}", s.node))?;
        chain.check_member().await?;
        let book = book::Book::open(&s.store).context("[desk] store")?;
        let career = s.career.map(career::CareerIssuer::new).transpose()?;
        Ok(Arc::new(Desk { clients, book, chain, locks: Default::default(), alerts: Default::default(), career }))
    }
}

/// Serves the desk's API on `listener` until `shutdown` completes.
pub async fn serve(
    desk: Arc<Desk>,
    listener: tokio::net::TcpListener,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> anyhow::Result<()> {
    serve_router(api::router(desk), listener, shutdown).await
}

/// Serves a labour service's router with the node's bounds on connections (in all, per
/// client address) and on slow headers, bodies and idle connections.
pub async fn serve_router(
    router: axum::Router,
    listener: tokio::net::TcpListener,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> anyhow::Result<()> {
    let limits = ConnectionLimits {
        max_connections: 1024,
        max_connections_per_client: 64,
        health_reserve: 4,
        header_read_timeout: Duration::from_secs(10),
        idle_timeout: Duration::from_secs(60),
        body_read_timeout: Duration::from_secs(30),
        shutdown_grace: Duration::from_secs(5),
    };
    Server::new(listener, router, limits).run(shutdown).await?;
    Ok(())
}

/// Runs the desk from its config until interrupted.
pub async fn run(config: &Path) -> anyhow::Result<()> {
    let file: DeskFile = load_toml(config)?;
    let d = file.desk;
    let base = config.parent().unwrap_or(Path::new("."));
    let member = KeyFile::load(&relative(base, &d.member_key)).context("[desk] member_key")?;
    let apps = d.clients.len();
    let desk = Desk::open(DeskSettings {
        node: d.node.clone(),
        member,
        collection: d.collection.clone(),
        store: relative(base, &d.store),
        clients: d.clients,
        career: d.career,
    })
    .await?;
    let listener = tokio::net::TcpListener::bind(d.listen_addr)
        .await
        .with_context(|| format!("cannot listen on {}", d.listen_addr))?;
    println!(
        "labour desk on http://{} for collection {} through {} ({apps} apps)",
        listener.local_addr()?,
        d.collection,
        d.node,
    );
    let engine = tokio::spawn(engine_every(desk.clone(), Duration::from_secs(d.engine_interval_s.max(1))));
    let served = serve(desk, listener, async {
        let _ = tokio::signal::ctrl_c().await;
    })
    .await;
    engine.abort();
    served
}

/// `dojang labour new-client`: a token for a linked app (given to the app once) and the
/// config lines with its hash (kept by the desk).
pub fn new_client(id: &str) -> anyhow::Result<()> {
    let (token, hash) = new_token();
    println!("# give this token to the app, once; the desk keeps only its hash");
    println!("# token: {token}");
    println!("[[desk.clients]]");
    println!("id = {}", toml_string(id));
    println!("token_sha256 = \"{hash}\"");
    println!("employers = []");
    println!("per_minute = 120");
    Ok(())
}

fn toml_string(s: &str) -> String {
    serde_json::to_string(s).unwrap_or_else(|_| "\"app\"".into())
}

/// `dojang labour lint`: LAB-01 on a draft file, offline; every problem in Korean and English.
pub fn lint_file(path: &Path) -> anyhow::Result<bool> {
    let text = std::fs::read_to_string(path).with_context(|| format!("cannot read {}", path.display()))?;
    let draft: dojang_labour::Draft =
        serde_json::from_str(&text).with_context(|| format!("{} is not a contract draft", path.display()))?;
    match dojang_labour::terms::lint(&draft) {
        Ok(_) => {
            println!("complete: every item LAB-01 requires is there / 필수 기재사항이 모두 있습니다");
            Ok(true)
        }
        Err(problems) => {
            for p in problems {
                println!("{}: {} / {}", p.item, p.en, p.ko);
            }
            Ok(false)
        }
    }
}
