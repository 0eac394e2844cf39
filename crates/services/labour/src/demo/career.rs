//! The demo's career certificates, and their use. The small-business federation runs a
//! credential issuer accredited for career certificates; when a contract has ended, the
//! employers' app asks the desk for the worker's certificate and hands the offer to the
//! worker, whose wallet receives it over OpenID4VCI. Those workers then apply to a city job
//! programme that asks for work experience: their wallets present the certificate (months
//! of service and the 15-hour line, nothing else of it) with their resident credential (for
//! residency and the programme's pseudonym), and the programme office decides.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use dojang_eligibility::Outcome;
use dojang_eligibility_service::demo::apply::apply_all;
use dojang_eligibility_service::demo::citizens::{generate, resident_claims};
use dojang_eligibility_service::demo::setup::{
    agency_records, cq, ensure_city_root, offices, start_agency, Agency, AgencySpec, ProgramSpec, Stage, ADMIN_TOKEN,
    AGENCIES,
};
use dojang_issuer::Records;
use dojang_labour::career::{CAREER_CLAIMS, CAREER_VCT};
use dojang_trust::ChainTrust;
use dojang_wallet::Contents;
use serde_json::{json, Value};

use crate::desk::CareerSettings;

/// The federation as the issuer of career certificates, controlled by its member account.
const FEDERATION: AgencySpec = AgencySpec {
    label: "small-business federation",
    account: "federation-member",
    did: "did:web:sbiz.seoul.kr",
    vct: CAREER_VCT,
    config: "career",
    claims: &CAREER_CLAIMS,
};

/// Copies of each credential a wallet asks for (each presentation spends one).
const COPIES: usize = 2;

/// The chain as the demo's issuers and office reach it, and the browser-like trust in it.
pub struct Stagehand<'a> {
    pub stage: Stage<'a>,
    pub trust: Arc<ChainTrust>,
}

impl<'a> Stagehand<'a> {
    /// Trusts the genesis in the node's home, never the node's report of its validators.
    pub fn new(stage: Stage<'a>, url: &str) -> anyhow::Result<Stagehand<'a>> {
        let pinned = dojang_sdk::TrustedChain::from_genesis_file(&stage.home.join("genesis.json"))?;
        let trust = ChainTrust::new(url, pinned, Duration::from_secs(60));
        Ok(Stagehand { stage, trust })
    }
}

/// The federation's issuer, accredited for career certificates, and the desk's settings to
/// reach it.
pub async fn federation_issuer(hand: &Stagehand<'_>) -> anyhow::Result<(Agency, CareerSettings)> {
    ensure_city_root(&hand.stage).await?;
    let records: Records = serde_json::from_value(json!({
        "credential_configurations": {
            FEDERATION.config: {"vct": CAREER_VCT, "validity_days": 3650, "claims_in_offer": true},
        },
        "subjects": {},
    }))?;
    let agency = start_agency(&hand.stage, &FEDERATION, records).await?;
    let settings = CareerSettings {
        issuer_url: agency.url.clone(),
        admin_token: ADMIN_TOKEN.into(),
        credential_configuration_id: FEDERATION.config.into(),
    };
    Ok((agency, settings))
}

/// What the certificates were used for.
pub struct Used {
    /// The names and resident numbers of the residents the registry vouched for: personal
    /// data the scan looks for.
    pub residents: Vec<String>,
    pub received: usize,
    pub program: String,
    pub eligible: usize,
    pub not_eligible: BTreeMap<String, usize>,
    pub refused: BTreeMap<String, usize>,
}

/// The job programme: Seoul residents with at least a month of service of 15 hours a week.
fn programme(run: &str) -> ProgramSpec {
    let id = format!("job-step.{run}");
    let dcql = json!({"credentials": [
        cq("resident", "urn:dojang:resident:1", vec![json!(["resident_of_seoul"]), json!(["program_pseudonyms", id])]),
        cq("career", CAREER_VCT, vec![json!(["months_of_service"]), json!(["weekly_hours_15_or_more"])]),
    ]});
    let rules = json!({"conditions": [
        {"id": "seoul_resident", "credential": "resident", "claim": ["resident_of_seoul"], "op": "equals", "value": true, "reason": "not registered as a Seoul resident"},
        {"id": "a_month_of_service", "credential": "career", "claim": ["months_of_service"], "op": "at_least", "value": 1, "reason": "less than a month of service in the certified job"},
        {"id": "15_hours_a_week", "credential": "career", "claim": ["weekly_hours_15_or_more"], "op": "equals", "value": true, "reason": "the certified job was under 15 hours a week"},
    ], "on_credential_revoked": "reject", "on_issuer_suspended": "manual_review"});
    ProgramSpec {
        label: "job step (work experience)",
        account: "youth-allowance-office",
        did: "did:web:youth.seoul.go.kr",
        id,
        dcql,
        rules,
        quota: 10_000,
    }
}

/// Each `offers` (the desk's answers) is received into a wallet, which also gets a resident
/// credential; each wallet applies to the job programme once.
pub async fn receive_and_apply(hand: &Stagehand<'_>, offers: &[Value]) -> anyhow::Result<Used> {
    let now = || dojang_types::wall_clock_ms() / 1000;
    let spec = programme(hand.stage.run);
    let program = spec.id.clone();
    let office = offices(&hand.stage, &hand.trust, 600_000, vec![spec]).await?.pop().context("no office")?;
    let citizens = generate(offers.len(), 2026);
    let mut secret = [0u8; 32];
    rand::RngCore::fill_bytes(&mut rand::thread_rng(), &mut secret);
    let resident = &AGENCIES[0];
    let records = agency_records(resident, &citizens, |c| resident_claims(c, &secret, std::slice::from_ref(&program)))?;
    let registry = start_agency(&hand.stage, resident, records).await?;
    let mut wallets = Vec::with_capacity(offers.len());
    for (offer, citizen) in offers.iter().zip(&citizens) {
        let mut wallet = Contents::default();
        let uri = offer["offer"]["credential_offer_uri"].as_str().context("the desk's answer has no offer")?;
        let pin = offer["offer"]["tx_code"].as_str();
        wallet.credentials.push(dojang_wallet::receive(uri, pin, COPIES, now(), &hand.trust).await?);
        let resident_offer = reqwest::Client::new()
            .post(format!("{}/admin/offers", registry.url))
            .bearer_auth(ADMIN_TOKEN)
            .json(&json!({"subject": citizen.subject, "credential_configuration_id": resident.config}))
            .send()
            .await?
            .error_for_status()?
            .json::<Value>()
            .await?;
        let uri = resident_offer["credential_offer_uri"].as_str().context("the registry's answer has no offer")?;
        wallet.credentials.push(dojang_wallet::receive(uri, None, COPIES, now(), &hand.trust).await?);
        wallets.push(wallet);
    }
    let results = apply_all(&Arc::new(office), &hand.trust, &mut wallets).await?;
    let mut used = Used {
        residents: citizens.iter().flat_map(|c| [c.name.clone(), c.resident_number.clone()]).collect(),
        received: wallets.len(),
        program,
        eligible: 0,
        not_eligible: BTreeMap::new(),
        refused: BTreeMap::new(),
    };
    for r in results {
        match r.map(|receipt| receipt.decision.outcome) {
            Ok(Outcome::Eligible) => used.eligible += 1,
            Ok(Outcome::NotEligible { failed }) => {
                for f in failed {
                    *used.not_eligible.entry(f.id).or_default() += 1;
                }
            }
            Ok(Outcome::ManualReview { .. }) => *used.refused.entry("manual review".into()).or_default() += 1,
            Err(e) => *used.refused.entry(e.to_string()).or_default() += 1,
        }
    }
    Ok(used)
}
