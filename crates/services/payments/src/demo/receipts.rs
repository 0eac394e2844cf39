//! The workers' receipts (PAY-08). The city's public-works payments office runs a credential
//! issuer accredited for payment receipts. Once a month's labour lines are confirmed on chain,
//! it takes the employers' payroll and attendance, writes each worker's receipt and offers it;
//! each worker's wallet receives it over OpenID4VCI, checking the office's key and
//! accreditation on chain.

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use dojang_credentials::jose::Jws;
use dojang_credentials::sdjwt::{disclose, SdJwt};
use dojang_crypto::{Algorithm, KeyFile, KeyProtection, Keypair};
use dojang_eligibility_service::demo::setup::{ensure_city_root, start_agency, Agency, AgencySpec, Stage, ADMIN_TOKEN};
use dojang_governance::{GovernanceMsg, Role};
use dojang_governance_service::dev_chain::propose;
use dojang_payments::receipt::{Receipt, RECEIPT_CLAIMS, RECEIPT_VCT};
use dojang_payments::state::Progress;
use dojang_sdk::{Client, TxBuilder};
use dojang_trust::ChainTrust;
use dojang_types::Date;
use serde_json::{json, Map, Value};

use super::months::Month;
use super::site::{Site, PROJECT};
use crate::receipts::{payment_receipts, PayrollLine, ReceiptOffice, Wage};

/// The office as an issuing agency, controlled by its own account.
const OFFICE: AgencySpec = AgencySpec {
    label: "public-works payments office",
    account: "payments-office",
    did: "did:web:pay.seoul.go.kr",
    vct: RECEIPT_VCT,
    config: "receipt",
    claims: &RECEIPT_CLAIMS,
};

/// The office's account on a development chain: a key in the node's home, granted the
/// issuer role by the council (what lets it register its organisation).
pub async fn grant_office(client: &Client, council: &TxBuilder, home: &Path, expires: u64) -> anyhow::Result<()> {
    let path = home.join("keys").join(format!("{}.json", OFFICE.account));
    if !path.exists() {
        KeyFile::save_new(&Keypair::generate(Algorithm::Ed25519), &path, KeyProtection::ClearDemo)?;
    }
    let account = KeyFile::load(&path)?.public_key().address();
    let grant = GovernanceMsg::GrantRole { account, role: Role::Issuer };
    propose(client, council, GovernanceMsg::propose(&grant, "the public-works payments office", expires)).await
}

/// The office's issuer, serving until the [`Agency`] is dropped, and the office's client of it.
pub async fn open_office(node: &str, home: &Path, dir: &Path) -> anyhow::Result<(Agency, ReceiptOffice)> {
    let chain = dojang_sdk::Chain::connect(node).await?;
    let run = format!("r{:08x}", rand::random::<u32>());
    let stage = Stage { chain: &chain, node, home, dir, run: &run };
    ensure_city_root(&stage).await?;
    let records = serde_json::from_value(json!({
        "credential_configurations": {
            OFFICE.config: {"vct": RECEIPT_VCT, "validity_days": 3650, "claims_in_offer": true},
        },
        "subjects": {},
    }))?;
    let agency = start_agency(&stage, &OFFICE, records).await?;
    let office = ReceiptOffice::new(&agency.url, ADMIN_TOKEN, OFFICE.config).map_err(anyhow::Error::msg)?;
    Ok((agency, office))
}

/// What the month's receipts came to.
pub struct HandedOut {
    pub receipts: usize,
    /// One worker's receipt as their wallet holds it, and as the office wrote it.
    pub sample: (Map<String, Value>, Receipt),
}

/// Every worker paid by the labour lines of payment `pr` gets their receipt into a wallet.
/// `clock_ahead_ms`: how far the demo moved the node's clock, so the wallets' checks of the
/// office on chain take its blocks as current.
pub async fn hand_out(
    site: &Site,
    node: &str,
    home: &Path,
    clock_ahead_ms: u64,
    office: &ReceiptOffice,
    pr: &Progress,
    month: &Month,
) -> anyhow::Result<HandedOut> {
    let pinned = dojang_sdk::TrustedChain::from_genesis_file(&home.join("genesis.json"))?;
    pinned.set_clock_ahead(clock_ahead_ms);
    let trust: Arc<ChainTrust> = ChainTrust::new(node, pinned, Duration::from_secs(600));
    let days = month.attendance.values().flatten().map(|d| d.date);
    let minimum = crate::office::minimum_wages(&site.client, &site.trusted, days).await?;
    let minimum_on = |d: Date| minimum.get(&d).copied().ok_or_else(|| format!("no minimum wage read for {d}"));
    // The payroll file the employers would send: each labour line's wages and its workers' days.
    let payroll: Vec<PayrollLine> = month
        .payroll
        .labour
        .iter()
        .map(|(line, (credits, salt))| PayrollLine {
            line: *line,
            salt: *salt,
            wages: credits.iter().map(|c| Wage { worker: c.worker, krw: c.krw }).collect(),
            attendance: credits
                .iter()
                .filter_map(|c| month.attendance.get(&c.worker).map(|days| (c.worker, days.clone())))
                .collect(),
        })
        .collect();
    let mut handed = 0;
    let mut sample = None;
    for (worker, receipt) in payment_receipts(PROJECT, pr, &payroll, minimum_on)? {
        let offer = office.offer(&worker, &receipt).await?;
        let now = dojang_types::wall_clock_ms() / 1000;
        let held = dojang_wallet::receive(&offer.credential_offer_uri, offer.tx_code.as_deref(), 1, now, &trust)
            .await
            .with_context(|| format!("worker {worker}'s wallet receiving their receipt"))?;
        anyhow::ensure!(held.vct == RECEIPT_VCT, "the wallet holds a {} for a receipt", held.vct);
        if sample.is_none() {
            let copy = held.copies.first().context("the wallet received no copy")?;
            sample = Some((claims_of(&copy.sd_jwt)?, receipt));
        }
        handed += 1;
    }
    Ok(HandedOut { receipts: handed, sample: sample.context("no labour line in the month")? })
}

/// Every claim a received SD-JWT VC discloses.
fn claims_of(sd_jwt: &str) -> anyhow::Result<Map<String, Value>> {
    let sd = SdJwt::parse(sd_jwt).map_err(|e| anyhow::anyhow!("{e}"))?;
    let jws = Jws::parse(&sd.jwt).map_err(|e| anyhow::anyhow!("{e}"))?;
    Ok(disclose(&jws.payload, &sd.disclosures).map_err(|e| anyhow::anyhow!("{e}"))?.claims)
}

/// Whether the wallet's credential says what the office wrote, claim by claim.
pub fn matches(held: &Map<String, Value>, written: &Receipt) -> anyhow::Result<bool> {
    let Value::Object(written) = serde_json::to_value(written)? else { return Ok(false) };
    Ok(written.iter().all(|(k, v)| held.get(k) == Some(v)))
}
