//! Setting the stage for the login demo on a development chain: the login service's
//! organisation, key and one policy per facility; the council's registration of three
//! facilities; the resident registry with each citizen's facility tokens and identity-proofing
//! level; the login service serving on a free loopback port.

use std::sync::Arc;

use anyhow::Context;
use dojang_crypto::{Algorithm, KeyFile, KeyProtection, Keypair};
use dojang_eligibility_service::demo::citizens::{program_token, resident_claims, Citizen};
use dojang_eligibility_service::demo::setup::{
    agency_records, cq, ensure_city_root, start_agency, Agency, Stage, AGENCIES,
};
use dojang_governance::{GovernanceMsg, Role};
use dojang_governance_service::dev_chain::propose;
use dojang_identity::IdentityMsg;
use dojang_identity_service::Registries;
use dojang_login::{Action, ActionKind, Level, LoginMsg, Registration};
use dojang_sdk::TxBuilder;
use dojang_trust::ChainTrust;
use serde_json::{json, Value};

use crate::answer::GUARDIAN_VCT;
use crate::chain::ProvenChain;
use crate::http::{router, Service};
use crate::tokens::Signer;
use crate::Provider;

/// The city's login service.
pub const PROVIDER_DID: &str = "did:web:login.seoul.go.kr";

/// A facility of the demo and what the council registers for it.
pub struct FacilitySpec {
    pub id: &'static str,
    pub name: &'static str,
    pub legal_basis: &'static str,
    /// The resident credential's claims it may see, besides its own token.
    pub claims: &'static [&'static str],
    pub actions: Vec<Action>,
    pub residency_max_age_days: u32,
    /// Whether a guardian may log in for a ward (a child's library card).
    pub guardians: bool,
}

impl FacilitySpec {
    /// Where the facility's web application takes the browser back (its OIDC callback).
    pub fn redirect_uri(&self) -> String {
        format!("http://127.0.0.1/{}/callback", self.id)
    }
}

fn action(id: &str, kind: ActionKind, level: Level) -> Action {
    Action { id: id.into(), kind, level }
}

/// A library (residency only), a pool (the senior discount's age band), a district office
/// (residency, and a high login for signing).
pub fn facilities() -> Vec<FacilitySpec> {
    vec![
        FacilitySpec {
            id: "mapo-library",
            name: "마포구립서강도서관 Mapo Seogang Library",
            legal_basis: "Library Act art. 30; Mapo-gu library ordinance (membership for residents)",
            claims: &["resident_of_seoul"],
            actions: vec![
                action("catalogue", ActionKind::Read, Level::Low),
                action("borrow", ActionKind::Use, Level::Low),
            ],
            residency_max_age_days: 365,
            guardians: true,
        },
        FacilitySpec {
            id: "jamsil-pool",
            name: "잠실수영장 Jamsil Pool",
            legal_basis: "Seoul sports facilities ordinance art. 22 (senior discount from 65)",
            claims: &["resident_of_seoul", "age_over_65"],
            actions: vec![action("book-lane", ActionKind::Use, Level::Low)],
            residency_max_age_days: 30,
            guardians: false,
        },
        FacilitySpec {
            id: "mapo-district",
            name: "마포구청 Mapo District Office",
            legal_basis: "Electronic Government Act art. 10; Digital Signature Act art. 2",
            claims: &["resident_of_seoul", "assurance"],
            actions: vec![
                action("certificate", ActionKind::Read, Level::Low),
                action("sign-contract", ActionKind::Sign, Level::High),
            ],
            residency_max_age_days: 90,
            guardians: false,
        },
    ]
}

/// The policy a facility's logins are asked under, for this run.
pub fn policy_id(facility: &str, run: &str) -> String {
    format!("login-{facility}-{run}")
}

/// The policy a guardian's logins for a ward are asked under, for this run.
pub fn guardian_policy_id(facility: &str, run: &str) -> String {
    format!("login-{facility}-guardian-{run}")
}

/// The login service's account, kept in the node's home and given the verifier role by the
/// council once.
async fn service_account(stage: &Stage<'_>, council: &TxBuilder<Keypair>) -> anyhow::Result<Keypair> {
    let path = stage.home.join("keys").join("login-service.json");
    if !path.exists() {
        KeyFile::save_new(&Keypair::generate(Algorithm::Ed25519), &path, KeyProtection::ClearDemo)?;
    }
    let account = KeyFile::load(&path)?;
    let address = account.public_key().address();
    let known = stage.chain.client.query("governance", &format!("account/{address}"), &[]).await?;
    if known["roles"].get(Role::Verifier.as_str()).is_none() {
        let grant = GovernanceMsg::GrantRole { account: address, role: Role::Verifier };
        let expires = dojang_types::wall_clock_ms() + 600_000;
        propose(&stage.chain.client, council, GovernanceMsg::propose(&grant, "the city's login service", expires))
            .await?;
    }
    Ok(account)
}

/// The login service's organisation (a fresh signing key), one policy per facility, and the
/// council's registration (or update) of each facility under it. Answers the key id and key.
pub async fn register(stage: &Stage<'_>, council: &TxBuilder<Keypair>) -> anyhow::Result<(String, Keypair)> {
    let account = service_account(stage, council).await?;
    let signing = Keypair::generate(Algorithm::P256);
    let kid = Registries::new(stage.chain).ensure_org(&account, PROVIDER_DID, &signing, stage.run).await?;
    let resident = AGENCIES[0].vct;
    for f in facilities() {
        let mut paths: Vec<Value> = f.claims.iter().map(|c| json!([c])).collect();
        paths.push(json!(["program_pseudonyms", f.id]));
        let policy = IdentityMsg::RegisterPolicy {
            id: policy_id(f.id, stage.run),
            verifier: PROVIDER_DID.into(),
            legal_basis: f.legal_basis.into(),
            purpose: format!("logging residents in to {} (AUTH-04: only these claims)", f.name),
            dcql: json!({"credentials": [cq("resident", resident, paths)]}),
            retention_days: 1,
        };
        stage.chain.send(&account, &policy).await?;
        let registration = Registration {
            id: f.id.into(),
            name: f.name.into(),
            provider: PROVIDER_DID.into(),
            redirect_uris: vec![f.redirect_uri()],
            policy: policy_id(f.id, stage.run),
            actions: f.actions.clone(),
            residency_max_age_days: f.residency_max_age_days,
            guardian_policy: f.guardians.then(|| guardian_policy_id(f.id, stage.run)),
        };
        if f.guardians {
            let policy = IdentityMsg::RegisterPolicy {
                id: guardian_policy_id(f.id, stage.run),
                verifier: PROVIDER_DID.into(),
                legal_basis: format!(
                    "{}; Civil Act art. 909 and 938 (a parent or guardian acts for the ward)",
                    f.legal_basis
                ),
                purpose: format!("a guardian logging in to {} for the person in their care", f.name),
                dcql: json!({"credentials": [
                    cq("resident", resident, vec![json!(["program_pseudonyms", f.id])]),
                    cq(
                        "guardian",
                        GUARDIAN_VCT,
                        vec![
                            json!(["relationship"]),
                            json!(["scope"]),
                            json!(["ward_pseudonyms", f.id]),
                            json!(["guardian_pseudonyms", f.id]),
                        ],
                    ),
                ]}),
                retention_days: 1,
            };
            stage.chain.send(&account, &policy).await?;
        }
        let known = stage.chain.client.query("login", &format!("relying_party/{}", f.id), &[]).await;
        let msg = if known.is_ok() {
            LoginMsg::UpdateRelyingParty(registration)
        } else {
            LoginMsg::RegisterRelyingParty(registration)
        };
        let expires = dojang_types::wall_clock_ms() + 600_000;
        propose(
            &stage.chain.client,
            council,
            GovernanceMsg::propose(&msg, &format!("citizen login for {}", f.name), expires),
        )
        .await?;
    }
    Ok((kid, signing))
}

/// The identity-proofing level the registry records: a card enrolled at a district office
/// with an ID check is high; one enrolled online with a mobile ID is substantial.
pub fn assurance(c: &Citizen) -> &'static str {
    if c.birth_year.is_multiple_of(2) {
        "high"
    } else {
        "substantial"
    }
}

/// A delegation the registry records: who acts for whom, and where.
pub struct Delegation<'a> {
    pub guardian: &'a Citizen,
    pub ward: &'a Citizen,
    pub relationship: &'static str,
    pub scope: Vec<String>,
}

/// The ward's notice of a delegation in their wallet: the delegation is visible to the person
/// it speaks for, who can ask the registry to end it.
pub const DELEGATION_VCT: &str = "urn:dojang:delegation:1";

/// The resident registry, issuing each citizen a resident credential with a token for each
/// facility and the level of its enrolment, and each guardian a guardian credential: the
/// relationship, the facilities it covers and the ward's token at each, valid for 90 days
/// and revocable on the registry's status list.
pub async fn registry(
    stage: &Stage<'_>,
    people: &[Citizen],
    secret: &[u8; 32],
    delegations: &[Delegation<'_>],
) -> anyhow::Result<Agency> {
    ensure_city_root(stage).await?;
    let admin = dojang_service::node::demo_key(stage.home, "admin")?;
    let registries = Registries::new(stage.chain);
    let guardian_claims = ["relationship", "scope", "ward_pseudonyms", "guardian_pseudonyms"];
    registries.ensure_type(&admin, GUARDIAN_VCT, &guardian_claims, &[]).await?;
    registries.ensure_type(&admin, DELEGATION_VCT, &["relationship", "scope"], &[]).await?;
    let ids: Vec<String> = facilities().iter().map(|f| f.id.to_string()).collect();
    let mut records = agency_records(&AGENCIES[0], people, |c| {
        let mut claims = resident_claims(c, secret, &ids);
        claims.insert("assurance".into(), json!(assurance(c)));
        claims
    })?;
    for (config, vct) in [("guardian", GUARDIAN_VCT), ("delegation", DELEGATION_VCT)] {
        let configuration = serde_json::from_value(json!({"vct": vct, "validity_days": 90}))?;
        records.credential_configurations.insert(config.into(), configuration);
    }
    for d in delegations {
        let wards: serde_json::Map<String, Value> =
            d.scope.iter().map(|f| (f.clone(), json!(facility_token(secret, d.ward, f)))).collect();
        let guardians: serde_json::Map<String, Value> =
            d.scope.iter().map(|f| (f.clone(), json!(facility_token(secret, d.guardian, f)))).collect();
        let claims = json!({"relationship": d.relationship, "scope": d.scope, "ward_pseudonyms": wards, "guardian_pseudonyms": guardians});
        records
            .subjects
            .entry(d.guardian.subject.clone())
            .or_default()
            .insert("guardian".into(), claims.as_object().cloned().unwrap_or_default());
        // The ward's own copy of the delegation: who may act (by relationship) and where.
        let notice = json!({"relationship": d.relationship, "scope": d.scope});
        records
            .subjects
            .entry(d.ward.subject.clone())
            .or_default()
            .insert("delegation".into(), notice.as_object().cloned().unwrap_or_default());
    }
    let agency = start_agency(stage, &AGENCIES[0], records).await?;
    registries.ensure_accredited(&admin, AGENCIES[0].did, GUARDIAN_VCT).await?;
    registries.ensure_accredited(&admin, AGENCIES[0].did, DELEGATION_VCT).await?;
    Ok(agency)
}

/// What the facility will see as the registry's token for `c` (to check the subjects).
pub fn facility_token(secret: &[u8; 32], c: &Citizen, facility: &str) -> String {
    program_token(secret, &c.subject, facility)
}

/// The login service, serving on a free loopback port until dropped.
pub struct LoginDesk {
    pub url: String,
    server: tokio::task::JoinHandle<()>,
}

impl Drop for LoginDesk {
    fn drop(&mut self) {
        self.server.abort();
    }
}

pub async fn serve(
    kid: &str,
    signing: Keypair,
    trust: Arc<ChainTrust>,
    wallet_url: Option<String>,
) -> anyhow::Result<LoginDesk> {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let url = format!("http://{}", listener.local_addr().context("no local address")?);
    let provider = Provider::new(&url, PROVIDER_DID, Signer { key: signing, kid: kid.into() }, trust.clone());
    let service = Arc::new(Service { provider, chain: Arc::new(ProvenChain::new(trust)), wallet_url });
    let app = router(service);
    let server = tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    Ok(LoginDesk { url, server })
}
