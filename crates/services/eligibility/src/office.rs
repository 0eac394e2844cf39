//! `dojang verifier`: a program office's verifier service (OpenID4VP `direct_post`) for the
//! programs it names, each loaded from the chain with proofs.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use anyhow::{bail, Context};
use dojang_credentials::TrustView as _;
use dojang_crypto::KeyFile;
use dojang_trust::ChainTrust;
use dojang_verifier::console::{self, Console, Proven, ProvenRead};
use dojang_verifier::staff::{Staff, StaffAccount};
use dojang_verifier::{http, DecisionStore, Office, Program};
use serde::Deserialize;

use dojang_sdk::Chain;
use dojang_service::settings::{load_toml, relative};

/// `verifier.toml`: `[office]`.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct VerifierFile {
    office: OfficeSection,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct OfficeSection {
    /// The office's organisation on chain, and the key id its requests are signed with.
    did: String,
    kid: String,
    /// The P-256 key registered as `<did>#<kid>`.
    signing_key: PathBuf,
    /// Where wallets reach this service (the response URI is `<public_url>/response`).
    public_url: String,
    listen_addr: SocketAddr,
    node: String,
    /// The chain's genesis file: its chain id and validator set are pinned, and set changes are
    /// followed from there; the node's own report of its validators is never used.
    genesis: PathBuf,
    /// The oldest a block may be for a read from it to count, in seconds (a stale node).
    #[serde(default = "default_max_age")]
    max_header_age_s: u64,
    /// Most requests awaiting an answer at once; more are refused with HTTP 503.
    #[serde(default = "default_max_pending")]
    max_pending: usize,
    /// The decision store (redb file).
    store: PathBuf,
    programs: Vec<String>,
    /// The account controlling the office's organisation: signs the decision anchors.
    account_key: PathBuf,
    /// Seconds between anchors of the decisions not yet anchored (ELIG-05).
    #[serde(default = "default_anchor_interval")]
    anchor_interval_s: u64,
    /// The city's web wallet (e.g. a node's address): each program's public page
    /// (`/programs/<id>`) links to it with the office's request, and shows that link as a QR code.
    #[serde(default)]
    wallet_url: Option<String>,
    /// The office's staff accounts for the console at `/console` (`[[office.staff]]`, each a
    /// user and a hash from `dojang verifier hash-password`); none: the console is off.
    #[serde(default)]
    staff: Vec<StaffAccount>,
}

fn default_anchor_interval() -> u64 {
    300
}

fn default_max_age() -> u64 {
    dojang_sdk::DEFAULT_MAX_AGE.as_secs()
}

fn default_max_pending() -> usize {
    dojang_verifier::DEFAULT_MAX_PENDING
}

/// The console's proven reads of chain state.
struct ChainRead(Arc<ChainTrust>);

#[async_trait::async_trait]
impl ProvenRead for ChainRead {
    async fn read(&self, key: &str) -> Result<Proven, String> {
        let (value, height) = self.0.read_state_at(key).await.map_err(|e| e.to_string())?;
        Ok(Proven { value, height })
    }
}

/// Fills the office's trust cache from the chain before each answer is checked.
struct ChainPrepare(Arc<ChainTrust>);

#[async_trait::async_trait]
impl http::Prepare for ChainPrepare {
    async fn prepare(&self, presentation: &str, policy: &str) -> Result<(), String> {
        self.0.prepare(presentation, policy).await.map_err(|e| e.to_string())
    }
}

pub async fn verifier(config: &Path) -> anyhow::Result<()> {
    let file: VerifierFile = load_toml(config)?;
    let o = file.office;
    let base = config.parent().unwrap_or(Path::new("."));
    let key = KeyFile::load(&relative(base, &o.signing_key))?;
    if key.algorithm() != dojang_crypto::Algorithm::P256 {
        bail!("{} must hold a P-256 key", o.signing_key.display());
    }
    let genesis = dojang_ledger::Genesis::load(&relative(base, &o.genesis))?;
    let chain = dojang_sdk::TrustedChain::new(
        &genesis.chain_id,
        genesis.validator_set(),
        Duration::from_secs(o.max_header_age_s.max(1)),
    );
    let trust = ChainTrust::new(&o.node, chain, Duration::from_secs(30));
    let prepare: Arc<dyn http::Prepare> = Arc::new(ChainPrepare(trust.clone()));
    trust.load_org(&o.did).await?;
    let registered =
        trust.issuer_key(&o.did, &o.kid)?.with_context(|| format!("{}#{} is not registered on chain", o.did, o.kid))?;
    if registered.public_key != key.public_key() {
        bail!("the signing key is not the key registered on chain as {}#{}", o.did, o.kid);
    }
    let mut programs = HashMap::new();
    for id in &o.programs {
        let p = load_program(&trust, id).await?;
        if p.policy.verifier != o.did {
            bail!("program {id} belongs to {}, not to {}", p.policy.verifier, o.did);
        }
        programs.insert(id.clone(), p);
    }
    let staff = Staff::new(&o.staff)?;
    let store = DecisionStore::open(&relative(base, &o.store))?;
    let response_uri = format!("{}/response", o.public_url.trim_end_matches('/'));
    let trust_for_console = trust.clone();
    let office = Office::new(&o.did, &o.kid, key, &response_uri, trust, store).with_max_pending(o.max_pending);
    let program_ids = o.programs.clone();
    let service =
        Arc::new(http::Service { office, programs, prepare: Some(prepare), wallet_url: o.wallet_url.clone() });
    let account = KeyFile::load(&relative(base, &o.account_key))?;
    let anchoring =
        tokio::spawn(anchor_every(service.clone(), program_ids, o.node.clone(), account, o.anchor_interval_s.max(1)));
    let listener = tokio::net::TcpListener::bind(o.listen_addr)
        .await
        .with_context(|| format!("cannot listen on {}", o.listen_addr))?;
    println!("verifier {} on http://{} for {}", o.did, listener.local_addr()?, o.programs.join(", "));
    let console_routes = if staff.is_empty() {
        console::disabled_router()
    } else {
        let chain: Arc<dyn ProvenRead> = Arc::new(ChainRead(trust_for_console));
        console::router(Arc::new(Console { service: service.clone(), staff, chain, public_url: o.public_url.clone() }))
    };
    axum::serve(listener, http::router(service).merge(console_routes))
        .with_graceful_shutdown(async {
            let _ = tokio::signal::ctrl_c().await;
        })
        .await?;
    anchoring.abort();
    Ok(())
}

/// `dojang verifier hash-password`: a staff password from standard input, hashed for the config.
pub fn hash_password() -> anyhow::Result<()> {
    let mut line = String::new();
    std::io::stdin().read_line(&mut line).context("cannot read the password from standard input")?;
    let password = line.trim_end_matches(['\n', '\r']);
    println!("{}", dojang_verifier::staff::hash_password(password)?);
    Ok(())
}

/// Anchors each program's unanchored decisions every `interval` seconds. A failure is logged
/// and retried at the next interval; nothing is lost (the decisions stay unanchored).
async fn anchor_every(
    service: Arc<http::Service<Arc<ChainTrust>>>,
    programs: Vec<String>,
    node: String,
    account: dojang_crypto::Keypair,
    interval: u64,
) {
    let mut tick = tokio::time::interval(Duration::from_secs(interval));
    tick.tick().await;
    let mut chain = None;
    loop {
        tick.tick().await;
        if chain.is_none() {
            match Chain::connect(&node).await {
                Ok(c) => chain = Some(c),
                Err(e) => {
                    tracing::warn!(error = %e, "cannot reach the node to anchor decisions; retrying at the next interval");
                    continue;
                }
            }
        }
        let Some(chain) = &chain else { continue };
        for id in &programs {
            match anchor_once(&service.office, chain, &account, id).await {
                Ok(Some(a)) => {
                    tracing::info!(program = %id, batch = a.batch, decisions = a.decisions, height = a.height, "decisions anchored")
                }
                Ok(None) => {}
                Err(e) => {
                    tracing::warn!(program = %id, error = %e, "anchoring decisions failed; retrying at the next interval")
                }
            }
        }
    }
}

/// One anchored batch of decisions.
pub struct Anchored {
    pub batch: u64,
    pub root: dojang_types::Hash,
    pub height: u64,
    pub decisions: usize,
}

/// Anchors `program`'s decisions not yet anchored (if any) with the office's account, and
/// records the batch in the office's store so receipts get their inclusion proofs.
pub async fn anchor_once(
    office: &Office<Arc<ChainTrust>>,
    chain: &Chain,
    account: &dojang_crypto::Keypair,
    program: &str,
) -> anyhow::Result<Option<Anchored>> {
    let Some(u) = office.unanchored(program)? else { return Ok(None) };
    let msg = dojang_eligibility::EligibilityMsg::AnchorDecisions {
        program: program.to_string(),
        root: u.root,
        leaves: u.leaves.len() as u64,
    };
    let receipt = chain.send(account, &msg).await?;
    let record = chain.client.query("eligibility", &format!("program/{program}"), &[]).await?;
    let batch = record["record"]["batches"].as_u64().context("no batch count")?;
    let height = receipt["height"].as_u64().unwrap_or_default();
    let (root, decisions) = (u.root, u.seqs.len());
    office.anchored(&dojang_verifier::Batch {
        program: program.into(),
        batch,
        root,
        seqs: u.seqs,
        leaves: u.leaves,
        anchored_height: height,
    })?;
    Ok(Some(Anchored { batch, root, height, decisions }))
}

/// A program, its latest rule set and its policy, read from the chain with proofs.
pub async fn load_program(trust: &Arc<ChainTrust>, id: &str) -> anyhow::Result<Program> {
    let p: dojang_eligibility::state::ProgramRecord =
        trust.read_state(&format!("eligibility/programs/{id}")).await?.with_context(|| format!("no program {id}"))?;
    let rs: dojang_eligibility::state::RuleSetRecord = trust
        .read_state(&format!("eligibility/{}", dojang_eligibility::state::ruleset_key(id, p.ruleset_versions)))
        .await?
        .context("no rule set")?;
    trust.load_policy(&p.policy).await?;
    let policy = trust.policy(&p.policy)?.context("no policy")?;
    let rules = rs.rules;
    Ok(Program {
        id: p.id.clone(),
        policy,
        ruleset_version: rs.version,
        rules,
        quota: p.quota,
        window_opens_ms: p.window_opens_ms,
        window_closes_ms: p.window_closes_ms,
        pseudonym: ("resident".into(), vec!["program_pseudonyms".into(), p.id]),
    })
}
