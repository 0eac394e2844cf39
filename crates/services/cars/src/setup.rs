//! Putting attesters on a development chain, for the demo and the benchmark: the council (a
//! council of one there) switches the cars module on, accredits each body for what it may
//! attest (CAR-05) and gives it an agency's quota (the auditor role), as it would on a real
//! chain. All proposals go in one batch, so a hundred bodies take a few blocks, not a hundred.

use std::time::{Duration, Instant};

use anyhow::{bail, Context};
use dojang_cars::views::PartyQuery;
use dojang_cars::{CarsMsg, Party};
use dojang_crypto::{Algorithm, Keypair};
use dojang_governance::{GovernanceMsg, Role};
use dojang_governance_service::dev_chain::activate;
use dojang_sdk::{Client, ClientError, TxBuilder};
use dojang_types::{Address, SignedTx};

/// The role attesters submit under: an agency's quota, not a citizen's 120 transactions a
/// minute (docs/operations.md, `ledger.quotas`).
pub const ATTESTER_ROLE: Role = Role::Auditor;

/// One body to accredit: its key, what it is, its business's public name.
pub struct Body {
    pub key: Keypair,
    pub party: Party,
    pub organisation: String,
}

impl Body {
    pub fn new(party: Party, organisation: impl Into<String>) -> Body {
        Body { key: Keypair::generate(Algorithm::Ed25519), party, organisation: organisation.into() }
    }

    pub fn address(&self) -> Address {
        self.key.public_key().address()
    }
}

/// Switches the cars module on, then accredits every body and grants it the attester role,
/// and waits until the chain shows each accredited.
pub async fn accredit_all(client: &Client, council: &TxBuilder<Keypair>, bodies: &[Body]) -> anyhow::Result<()> {
    activate(client, council, &[dojang_cars::NAME]).await?;
    let expires = dojang_types::wall_clock_ms() + 600_000;
    // One account may have at most 1,000 transactions waiting (`ledger.mempool.max_per_account`):
    // two proposals a body, 450 bodies at a time.
    for chunk in bodies.chunks(450) {
        let txs: Vec<SignedTx> = chunk
            .iter()
            .flat_map(|b| {
                let accredit =
                    CarsMsg::Accredit { account: b.address(), party: b.party, organisation: b.organisation.clone() };
                let grant = GovernanceMsg::GrantRole { account: b.address(), role: ATTESTER_ROLE };
                [
                    council.message(&GovernanceMsg::propose(
                        &accredit,
                        &format!("accredit {}", b.organisation),
                        expires,
                    )),
                    council.message(&GovernanceMsg::propose(&grant, "an accredited attester's quota", expires)),
                ]
            })
            .collect();
        for verdict in client.submit_batch(&txs).await? {
            if let Err(e) = verdict {
                bail!("the node refused the council's proposal: {e}");
            }
        }
        wait_accredited(client, chunk).await?;
    }
    Ok(())
}

/// Waits until every body is accredited and holds the attester role.
async fn wait_accredited(client: &Client, bodies: &[Body]) -> anyhow::Result<()> {
    let deadline = Instant::now() + Duration::from_secs(120);
    let mut waiting: Vec<&Body> = bodies.iter().collect();
    while let Some(b) = waiting.last() {
        let accredited = not_yet(client.ask(&PartyQuery { account: b.address() }).await)?.is_some();
        let account = not_yet(client.query("governance", &format!("account/{}", b.address()), &[]).await)?;
        let role = account.is_some_and(|a| a["roles"].get(ATTESTER_ROLE.as_str()).is_some());
        if accredited && role {
            waiting.pop();
            continue;
        }
        if Instant::now() > deadline {
            bail!("{} ({}) was not accredited within 120 s", b.organisation, b.address());
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    Ok(())
}

/// An answer, `None` while the chain does not know the record yet (404); any other failure is
/// the node's and is passed on.
fn not_yet<T>(answer: Result<T, ClientError>) -> Result<Option<T>, ClientError> {
    match answer {
        Ok(v) => Ok(Some(v)),
        Err(ClientError::Problem { status: 404, .. }) => Ok(None),
        Err(e) => Err(e),
    }
}

/// The council's key on a development chain (`keys/admin.json` in the node's home).
pub fn council(home: &std::path::Path, chain_id: &str) -> anyhow::Result<TxBuilder<Keypair>> {
    let key = dojang_service::node::demo_key(home, "admin").context("the council's key")?;
    Ok(TxBuilder::new(chain_id, key))
}
