//! Setting the stage: three accredited agencies with their issuer services, two program
//! offices with their policies, programs, rule sets and committed lottery seeds.

use std::path::Path;
use std::sync::Arc;

use anyhow::Context;
use dojang_credentials::issue::IssuerKey;
use dojang_crypto::{Algorithm, Keypair};
use dojang_eligibility::{EligibilityMsg, RuleSet};
use dojang_identity::IdentityMsg;
use dojang_issuer::{Book, ChainAnchoring, Issuer, Records};
use dojang_trust::ChainTrust;
use dojang_types::{sha256, Hash};
use dojang_verifier::{DecisionStore, Office, Program};
use rand::RngCore as _;
use serde_json::{json, Map, Value};

use super::citizens::Citizen;
use dojang_identity_service::Registries;
use dojang_sdk::Chain;
use dojang_service::node::demo_key as key;

pub const ROOT: &str = "did:web:seoul.go.kr";

/// One issuing agency and its running issuer service.
pub struct Agency {
    pub label: &'static str,
    pub config: &'static str,
    pub url: String,
    server: tokio::task::JoinHandle<()>,
}

impl Drop for Agency {
    fn drop(&mut self) {
        self.server.abort();
    }
}

pub const ADMIN_TOKEN: &str = "demo-desk-token-not-for-production";

/// One of the demo's issuing agencies.
pub struct AgencySpec {
    pub label: &'static str,
    /// The demo key file of the account that controls it.
    pub account: &'static str,
    pub did: &'static str,
    pub vct: &'static str,
    pub config: &'static str,
    pub claims: &'static [&'static str],
}

pub const AGENCIES: [AgencySpec; 3] = [
    AgencySpec {
        label: "resident registry",
        account: "resident-registry",
        did: "did:web:mois.seoul.go.kr",
        vct: "urn:dojang:resident:1",
        config: "resident",
        claims: &[
            "resident_of_seoul",
            "resident_6_months",
            "district",
            "months_in_district",
            "age_over_14",
            "age_over_16",
            "age_over_18",
            "age_over_19",
            "age_18_64",
            "age_19_34",
            "age_over_65",
            "program_pseudonyms",
            "assurance",
        ],
    },
    AgencySpec {
        label: "social security",
        account: "social-security",
        did: "did:web:ssis.seoul.go.kr",
        vct: "urn:dojang:income-band:1",
        config: "income_band",
        claims: &[
            "income_le_50pct",
            "income_le_60pct",
            "income_le_65pct",
            "income_le_100pct",
            "income_le_150pct",
            "household_size",
        ],
    },
    AgencySpec {
        label: "employment insurance",
        account: "employment-insurance",
        did: "did:web:comwel.seoul.go.kr",
        vct: "urn:dojang:employment:1",
        config: "employment",
        claims: &["employed_full_time", "weekly_hours_over_30", "enrolled_public_job"],
    },
];

/// Where the demo runs: the chain, the node's home (demo keys), the work directory, the run id.
pub struct Stage<'a> {
    pub chain: &'a Chain,
    pub node: &'a str,
    pub home: &'a Path,
    pub dir: &'a Path,
    pub run: &'a str,
}

/// Root, types, agencies (organisation, accreditation, issuer service over its records).
pub async fn agencies(
    stage: &Stage<'_>,
    citizens: &[Citizen],
    programs: &[String],
    pseudonym_secret: &[u8; 32],
) -> anyhow::Result<Vec<Agency>> {
    ensure_city_root(stage).await?;
    let mut out = Vec::new();
    for spec in &AGENCIES {
        let records = agency_records(spec, citizens, |c| match spec.config {
            "resident" => super::citizens::resident_claims(c, pseudonym_secret, programs),
            "income_band" => super::citizens::income_claims(c),
            _ => super::citizens::employment_claims(c),
        })?;
        out.push(start_agency(stage, spec, records).await?);
    }
    Ok(out)
}

/// An agency's records of `citizens`: its one credential configuration (valid 180 days) and
/// each citizen's claims as `claims` gives them.
pub fn agency_records(
    spec: &AgencySpec,
    citizens: &[Citizen],
    claims: impl Fn(&Citizen) -> Map<String, Value>,
) -> anyhow::Result<Records> {
    let subjects: Map<String, Value> =
        citizens.iter().map(|c| (c.subject.clone(), json!({ spec.config: claims(c) }))).collect();
    Ok(serde_json::from_value(json!({
        "credential_configurations": { spec.config: {"vct": spec.vct, "validity_days": 180} },
        "subjects": subjects,
    }))?)
}

/// The city as the trust root of the registries, unless a root is named already.
pub async fn ensure_city_root(stage: &Stage<'_>) -> anyhow::Result<()> {
    let registries = Registries::new(stage.chain);
    let admin = key(stage.home, "admin")?;
    registries.ensure_org(&admin, ROOT, &Keypair::generate(Algorithm::P256), stage.run).await?;
    registries.ensure_root(&admin, ROOT).await
}

/// One issuing agency on a development chain whose root is named ([`ensure_city_root`]): the
/// credential type, the organisation with a fresh signing key, its accreditation, and its
/// issuer service over `records`, serving on a free loopback port until the [`Agency`] is
/// dropped.
pub async fn start_agency(stage: &Stage<'_>, spec: &AgencySpec, records: Records) -> anyhow::Result<Agency> {
    let Stage { chain, node, home, dir, run } = *stage;
    let AgencySpec { label, account: account_name, did, vct, config, claims } = *spec;
    let registries = Registries::new(chain);
    let admin = key(home, "admin")?;
    let thresholds: Vec<&str> = claims
        .iter()
        .copied()
        .filter(|c| c.starts_with("income_le") || c.starts_with("age_") || c.starts_with("months_"))
        .collect();
    registries.ensure_type(&admin, vct, claims, &thresholds).await?;
    let account = key(home, account_name)?;
    let signing = Keypair::generate(Algorithm::P256);
    let kid = registries.ensure_org(&account, did, &signing, run).await?;
    registries.ensure_accredited(&admin, did, vct).await?;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let url = format!("http://{}", listener.local_addr()?);
    let settings = serde_json::from_value(json!({"did": did, "kid": kid, "public_url": url, "status_list": run}))?;
    let anchoring = Arc::new(ChainAnchoring::new(node, &chain.chain_id, account.duplicate()));
    // A book per run: its status list is named for the run, and a kept directory's earlier
    // book would hold another list's versions.
    let book = Book::open(&dir.join(format!("issuer-{config}-{run}")))?;
    let issuer = Issuer::start(settings, IssuerKey { did: did.into(), kid, key: signing }, records, book, anchoring)
        .await
        .map_err(|e| anyhow::anyhow!("{label}: {e}"))?;
    let app = dojang_issuer::router(issuer, ADMIN_TOKEN.into());
    let server = tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    Ok(Agency { label, config, url, server })
}

/// One program office running one program.
pub struct ProgramOffice {
    pub label: &'static str,
    pub office: Office<Arc<ChainTrust>>,
    pub program: Program,
    pub seed: Hash,
}

/// One credential query of a DCQL query: a credential of type `vct` and the claims asked.
pub fn cq(id: &str, vct: &str, claims: Vec<Value>) -> Value {
    let claims: Vec<Value> = claims.into_iter().map(|p| json!({"path": p})).collect();
    json!({"id": id, "format": "dc+sd-jwt", "meta": {"vct_values": [vct]}, "claims": claims})
}

/// One of the demo's programs, with its office, policy query and rule set.
pub struct ProgramSpec {
    pub label: &'static str,
    pub account: &'static str,
    pub did: &'static str,
    pub id: String,
    pub dcql: Value,
    pub rules: Value,
    pub quota: u32,
}

/// The two programs of docs/domain.md §1 with their policies and rule sets.
pub fn program_specs(run: &str) -> [ProgramSpec; 2] {
    let pw = format!("public-works.{run}");
    let yt = format!("youth-allowance.{run}");
    let pw_dcql = json!({"credentials": [
        cq("resident", "urn:dojang:resident:1", vec![json!(["resident_of_seoul"]), json!(["age_18_64"]), json!(["program_pseudonyms", pw])]),
        cq("income", "urn:dojang:income-band:1", vec![json!(["income_le_65pct"]), json!(["household_size"])]),
        cq("employment", "urn:dojang:employment:1", vec![json!(["employed_full_time"]), json!(["enrolled_public_job"])]),
    ]});
    let pw_rules = json!({"conditions": [
        {"id": "seoul_resident", "credential": "resident", "claim": ["resident_of_seoul"], "op": "equals", "value": true, "reason": "not registered as a Seoul resident"},
        {"id": "age_18_64", "credential": "resident", "claim": ["age_18_64"], "op": "equals", "value": true, "reason": "age is outside 18 to 64"},
        {"id": "income_le_65pct", "credential": "income", "claim": ["income_le_65pct"], "op": "equals", "value": true, "reason": "household income is above 65% of the median for the household size"},
        {"id": "not_employed_full_time", "credential": "employment", "claim": ["employed_full_time"], "op": "equals", "value": false, "reason": "currently employed full-time"},
        {"id": "no_other_public_job", "credential": "employment", "claim": ["enrolled_public_job"], "op": "equals", "value": false, "reason": "already enrolled in another public job this term"},
    ], "on_credential_revoked": "reject", "on_issuer_suspended": "manual_review"});
    let yt_dcql = json!({"credentials": [
        cq("resident", "urn:dojang:resident:1", vec![json!(["resident_6_months"]), json!(["age_19_34"]), json!(["program_pseudonyms", yt])]),
        cq("income", "urn:dojang:income-band:1", vec![json!(["income_le_150pct"])]),
        cq("employment", "urn:dojang:employment:1", vec![json!(["weekly_hours_over_30"])]),
    ]});
    let yt_rules = json!({"conditions": [
        {"id": "resident_6_months", "credential": "resident", "claim": ["resident_6_months"], "op": "equals", "value": true, "reason": "not a Seoul resident for 6 months or more"},
        {"id": "age_19_34", "credential": "resident", "claim": ["age_19_34"], "op": "equals", "value": true, "reason": "age is outside 19 to 34"},
        {"id": "income_le_150pct", "credential": "income", "claim": ["income_le_150pct"], "op": "equals", "value": true, "reason": "household income is above 150% of the median"},
        {"id": "not_over_30h", "credential": "employment", "claim": ["weekly_hours_over_30"], "op": "equals", "value": false, "reason": "employed more than 30 hours a week"},
    ], "on_credential_revoked": "manual_review", "on_issuer_suspended": "manual_review"});
    [
        ProgramSpec {
            label: "public-works job",
            account: "public-works-office",
            did: "did:web:jobs.seoul.go.kr",
            id: pw,
            dcql: pw_dcql,
            rules: pw_rules,
            quota: 60,
        },
        ProgramSpec {
            label: "youth allowance",
            account: "youth-allowance-office",
            did: "did:web:youth.seoul.go.kr",
            id: yt,
            dcql: yt_dcql,
            rules: yt_rules,
            quota: 40,
        },
    ]
}

/// Registers each office, its policy, its program (window, quota, seed commitment) and its
/// rule set, then loads the program back from the chain with proofs.
pub async fn offices(
    stage: &Stage<'_>,
    trust: &Arc<ChainTrust>,
    window_ms: u64,
    specs: Vec<ProgramSpec>,
) -> anyhow::Result<Vec<ProgramOffice>> {
    let Stage { chain, home, dir, run, .. } = *stage;
    let mut out = Vec::new();
    for ProgramSpec { label, account: account_name, did, id: program_id, dcql, rules, quota } in specs {
        let account = key(home, account_name)?;
        let signing = Keypair::generate(Algorithm::P256);
        let kid = Registries::new(chain).ensure_org(&account, did, &signing, run).await?;
        let policy_id = program_id.clone();
        let policy = IdentityMsg::RegisterPolicy {
            id: policy_id.clone(),
            verifier: did.to_string(),
            legal_basis: format!("Seoul {label} notice 2026"),
            purpose: format!("selecting {label} participants"),
            dcql,
            retention_days: 365,
        };
        chain.send(&account, &policy).await?;
        let mut seed = [0u8; 32];
        rand::thread_rng().fill_bytes(&mut seed);
        let seed = Hash(seed);
        let now_ms = dojang_types::wall_clock_ms();
        let program = EligibilityMsg::RegisterProgram {
            id: program_id.clone(),
            office: did.to_string(),
            name: label.to_string(),
            policy: policy_id,
            window_opens_ms: now_ms - 1_000,
            window_closes_ms: now_ms + window_ms,
            quota,
            seed_commitment: sha256(&[&seed.0]),
        };
        chain.send(&account, &program).await?;
        let rules: RuleSet = serde_json::from_value(rules).context("the demo's rule set")?;
        chain
            .send(&account, &EligibilityMsg::PublishRuleSet { program: program_id.clone(), version: 1, rules })
            .await?;
        let program = crate::office::load_program(trust, &program_id).await?;
        let store = DecisionStore::open(&dir.join(format!("office-{program_id}.redb")))?;
        let office = Office::new(did, &kid, signing, &format!("https://{}/response", &did[8..]), trust.clone(), store);
        out.push(ProgramOffice { label, office, program, seed });
    }
    Ok(out)
}
