//! A city's mileage on a development chain, for the demo and the benchmark: the council (a
//! council of one there) switches the module on and, by proposals sent in one batch,
//! registers the programmes with their budgets and award tables, the sinks, the registrar and
//! the finance office, and gives every office an agency's quota. Then the offices act: the
//! registrar opens citizens' accounts, each programme's issuer enrols them, the finance office
//! registers merchants. Everything is sent in batches and followed to finality.

use std::time::{Duration, Instant};

use anyhow::{bail, Context};
use dojang_crypto::{Algorithm, Keypair};
use dojang_governance::{GovernanceMsg, Role};
use dojang_governance_service::dev_chain::activate;
use dojang_mileage::msg::{Award, MileageMsg, OfficeKind, SinkKind};
use dojang_mileage::views::{OfficeQuery, ProgrammeQuery};
use dojang_sdk::{Client, ClientError, TxBuilder};
use dojang_types::{Address, Date, Hash, SignedTx};

/// The role offices submit under: an agency's quota, not a citizen's 120 transactions a
/// minute (docs/operations.md, `ledger.quotas`).
pub const OFFICE_ROLE: Role = Role::Auditor;

/// Transactions of one sender waiting at once. The load may send one more batch
/// ([`SENDER_BATCH`]) past it, and the two together stay below the mempool's 1,000 per account.
pub const PER_SENDER_WINDOW: u64 = 500;
/// Transactions in one batch request.
pub const SENDER_BATCH: usize = 450;

/// A programme as the council registers it, with its issuing office's key.
pub struct ProgrammeSpec {
    pub id: &'static str,
    pub name: &'static str,
    pub issuer: Keypair,
    pub credential: &'static str,
    pub cap_per_year_krw: u64,
    pub lot_months: u32,
    pub gifts: bool,
    pub budget_krw: u64,
    pub awards: Vec<Award>,
}

/// The city's offices.
pub struct Offices {
    pub registrar: Keypair,
    pub finance: Keypair,
}

impl Offices {
    pub fn new() -> Offices {
        Offices { registrar: key(), finance: key() }
    }
}

impl Default for Offices {
    fn default() -> Self {
        Offices::new()
    }
}

pub fn key() -> Keypair {
    Keypair::generate(Algorithm::Ed25519)
}

pub fn address(k: &Keypair) -> Address {
    k.public_key().address()
}

/// Switches the module on and registers programmes, sinks and offices through the council;
/// waits until the chain shows them all.
pub async fn open_city(
    client: &Client,
    council: &TxBuilder<Keypair>,
    programmes: &[ProgrammeSpec],
    sinks: &[(&str, &str, SinkKind)],
    offices: &Offices,
    today: Date,
    tables_from: Date,
) -> anyhow::Result<()> {
    activate(client, council, &[dojang_mileage::NAME]).await?;
    let expires = dojang_types::wall_clock_ms() + 600_000;
    let mut msgs: Vec<(MileageMsg, String)> = Vec::new();
    for p in programmes {
        msgs.push((
            MileageMsg::RegisterProgramme {
                id: p.id.into(),
                name: p.name.into(),
                issuer: address(&p.issuer),
                credential: p.credential.into(),
                cap_per_year_krw: p.cap_per_year_krw,
                lot_months: p.lot_months,
                gifts: p.gifts,
            },
            format!("the {} programme", p.name),
        ));
        msgs.push((
            MileageMsg::SetBudget { programme: p.id.into(), year: today.year, krw: p.budget_krw },
            format!("the {} budget for {}", p.name, today.year),
        ));
        msgs.push((
            MileageMsg::SetAwardTable { programme: p.id.into(), effective_from: tables_from, awards: p.awards.clone() },
            format!("the {} award table", p.name),
        ));
    }
    for (id, name, kind) in sinks {
        msgs.push((
            MileageMsg::RegisterSink { id: id.to_string(), name: name.to_string(), kind: *kind },
            format!("{name} takes mileage"),
        ));
    }
    for (k, kind, name) in [
        (&offices.registrar, OfficeKind::Registrar, "Resident registry desk"),
        (&offices.finance, OfficeKind::Finance, "City finance office"),
    ] {
        msgs.push((MileageMsg::AppointOffice { account: address(k), office: kind, name: name.into() }, name.into()));
    }
    let mut txs: Vec<SignedTx> =
        msgs.iter().map(|(m, why)| council.message(&GovernanceMsg::propose(m, why, expires))).collect();
    let office_keys = programmes.iter().map(|p| &p.issuer).chain([&offices.registrar, &offices.finance]);
    for k in office_keys {
        let grant = GovernanceMsg::GrantRole { account: address(k), role: OFFICE_ROLE };
        txs.push(council.message(&GovernanceMsg::propose(&grant, "a mileage office's quota", expires)));
    }
    for verdict in client.submit_batch(&txs).await? {
        if let Err(e) = verdict {
            bail!("the node refused the council's proposal: {e}");
        }
    }
    let deadline = Instant::now() + Duration::from_secs(120);
    loop {
        let programmes_on = {
            let mut all = true;
            for p in programmes {
                all &= not_yet(client.ask(&ProgrammeQuery { id: p.id.into() }).await)?
                    .is_some_and(|r| !r.record.tables.is_empty());
            }
            all
        };
        let finance = not_yet(client.ask(&OfficeQuery { account: address(&offices.finance) }).await)?.is_some();
        let role = client.query("governance", &format!("account/{}", address(&offices.finance)), &[]).await;
        let role = not_yet(role)?.is_some_and(|a| a["roles"].get(OFFICE_ROLE.as_str()).is_some());
        if programmes_on && finance && role {
            return Ok(());
        }
        if Instant::now() > deadline {
            bail!("the council's programmes, sinks and offices were not all on chain within 120 s");
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// An answer, `None` while the chain does not know the record yet (404).
pub fn not_yet<T>(answer: Result<T, ClientError>) -> Result<Option<T>, ClientError> {
    match answer {
        Ok(v) => Ok(Some(v)),
        Err(ClientError::Problem { status: 404, .. }) => Ok(None),
        Err(e) => Err(e),
    }
}

/// Signs `msgs` by `by`, each as a pre-signed transaction (its id and hex) for
/// [`dojang_sdk::load`].
pub fn presign<M: dojang_types::ModuleMessage>(
    by: &TxBuilder<Keypair>,
    msgs: impl IntoIterator<Item = M>,
) -> Vec<(Hash, String)> {
    msgs.into_iter()
        .map(|m| {
            let tx = by.message(&m);
            (tx.id(), hex::encode(dojang_types::encode(&tx)))
        })
        .collect()
}

/// Sends one office's pre-signed transactions and requires every one to be accepted.
pub async fn all_accepted(url: &str, what: &str, txs: &[(Hash, String)]) -> anyhow::Result<()> {
    let sent = dojang_sdk::load::send_all(url, txs, SENDER_BATCH, PER_SENDER_WINDOW, Duration::from_secs(120))
        .await
        .with_context(|| format!("sending {what}"))?;
    if sent.ok != txs.len() as u64 {
        bail!(
            "{what}: {} of {} accepted ({} refused in a block, {} at admission, {} not final)",
            sent.ok,
            txs.len(),
            sent.refused_in_block,
            sent.refused_at_admission,
            sent.not_final
        );
    }
    Ok(())
}
