//! The registration part of the demo: the resident registry issues resident credentials over
//! OpenID4VCI; the registrar's organisation registers its policy; the registrar runs its HTTP
//! service; each citizen's wallet blinds a fresh voting key, presents the resident credential
//! and finalizes the registrar's blind signature into a token.

use std::sync::Arc;

use anyhow::{bail, Context};
use dojang_crypto::{Algorithm, Keypair};
use dojang_eligibility_service::demo::apply::receive_all;
use dojang_eligibility_service::demo::citizens::{program_token, resident_claims, Citizen};
use dojang_eligibility_service::demo::setup::{
    agency_records, cq, ensure_city_root, start_agency, Agency, Stage, ADMIN_TOKEN, AGENCIES,
};
use dojang_identity::IdentityMsg;
use dojang_identity_service::Registries;
use dojang_trust::ChainTrust;
use dojang_voting::msg::{Eligibility, Token};
use dojang_wallet::Contents;
use futures::stream::{self, StreamExt};
use serde_json::{json, Value};

use crate::credential::Blinding;
use crate::registrar::claims_needed;

/// The registrar's organisation.
pub const REGISTRAR_DID: &str = "did:web:vote.mapo.seoul.go.kr";

fn now() -> u64 {
    dojang_types::wall_clock_ms() / 1000
}

/// The resident registry's issuer over `people`, each with a pseudonym for `poll` (the
/// registry's keyed hash of the person and the poll: VOTE-02's nullifier). Answers the issuer
/// and the pseudonyms, which the demo's scan looks for on chain.
pub async fn registry(stage: &Stage<'_>, people: &[&Citizen], poll: &str) -> anyhow::Result<(Agency, Vec<String>)> {
    ensure_city_root(stage).await?;
    let mut secret = [0u8; 32];
    rand::RngCore::fill_bytes(&mut rand::thread_rng(), &mut secret);
    let spec = &AGENCIES[0];
    let owned: Vec<Citizen> = people.iter().map(|c| (*c).clone()).collect();
    let records = agency_records(spec, &owned, |c| resident_claims(c, &secret, &[poll.to_string()]))?;
    let pseudonyms = people.iter().map(|c| program_token(&secret, &c.subject, poll)).collect();
    Ok((start_agency(stage, spec, records).await?, pseudonyms))
}

/// The registry's desk offers `subject` a resident credential: the offer link and its PIN.
pub async fn offer(registry: &Agency, subject: &str) -> anyhow::Result<(String, String)> {
    let resp = reqwest::Client::new()
        .post(format!("{}/admin/offers", registry.url))
        .bearer_auth(ADMIN_TOKEN)
        .json(&json!({"subject": subject, "credential_configuration_id": registry.config, "pin": true}))
        .send()
        .await?;
    anyhow::ensure!(resp.status().is_success(), "the registry's desk refused the offer: HTTP {}", resp.status());
    let v: Value = resp.json().await?;
    let uri = v["credential_offer_uri"].as_str().context("no offer link in the desk's answer")?;
    let pin = v["tx_code"].as_str().context("no PIN in the desk's answer")?;
    Ok((uri.to_string(), pin.to_string()))
}

/// Each person's wallet receives `copies` resident credentials.
pub async fn wallets(
    registry: &Agency,
    people: &[&Citizen],
    copies: usize,
    trust: &ChainTrust,
) -> anyhow::Result<Vec<Contents>> {
    let subjects: Vec<String> = people.iter().map(|c| c.subject.clone()).collect();
    receive_all(std::slice::from_ref(registry), &subjects, copies, trust).await
}

/// The registrar's organisation (a fresh signing key, controlled by the poll office's
/// account) and its verification policy for `poll`: the resident credential's claims the
/// eligibility reads and the poll's pseudonym, nothing else. Answers the key id and the key.
pub async fn registrar_org(
    stage: &Stage<'_>,
    office: &Keypair,
    poll: &str,
    eligibility: &Eligibility,
) -> anyhow::Result<(String, Keypair)> {
    let signing = Keypair::generate(Algorithm::P256);
    let kid = Registries::new(stage.chain).ensure_org(office, REGISTRAR_DID, &signing, stage.run).await?;
    let claims: Vec<Value> = claims_needed(poll, eligibility).into_iter().map(Value::Array).collect();
    let policy = IdentityMsg::RegisterPolicy {
        id: eligibility.policy.clone(),
        verifier: REGISTRAR_DID.into(),
        legal_basis: "Mapo-gu Participatory Budget Ordinance, art. 7 (who may vote)".into(),
        purpose: format!("issuing one voting credential per eligible resident for poll {poll}"),
        dcql: json!({"credentials": [cq("resident", AGENCIES[0].vct, claims)]}),
        retention_days: 180,
    };
    stage.chain.send(office, &policy).await?;
    Ok((kid, signing))
}

/// What one person's registration came to.
pub enum Registered {
    /// A voting key and its token.
    Issued(Box<(Keypair, Token)>),
    /// The registrar's refusal, as the wallet was told.
    Refused(String),
}

/// One wallet's registration over HTTP: blind a fresh voting key, ask the registrar for a
/// request carrying the blinded message, check the request against the chain, answer it, and
/// finalize the blind signature.
pub async fn register(
    http: &reqwest::Client,
    registrar_url: &str,
    poll: &str,
    registrar_key: &str,
    wallet: &mut Contents,
    trust: &ChainTrust,
) -> anyhow::Result<Registered> {
    let voter = Keypair::generate(Algorithm::Ed25519);
    let blinding = Blinding::new(registrar_key, poll, &voter.public_key().address())?;
    let resp = http
        .post(format!("{registrar_url}/polls/{poll}/request"))
        .json(&json!({"blinded_message": blinding.blinded_message()}))
        .send()
        .await?;
    if !resp.status().is_success() {
        bail!("the registrar refused the request: HTTP {} {}", resp.status(), resp.text().await.unwrap_or_default());
    }
    let jwt = resp.text().await?;
    let checked = dojang_wallet::fetch_and_check(&jwt, trust, now()).await?;
    if !crate::registrar::request_names(&jwt, &blinding.blinded_message()) {
        bail!("the registrar's request does not name this wallet's blinded message; it was not answered");
    }
    let vp = dojang_wallet::answer(wallet, &checked.request, &checked.policy, &checked.query, now())?;
    let form = [
        ("vp_token", serde_json::to_string(&vp)?),
        ("state", checked.state.clone()),
        ("blinded_message", blinding.blinded_message()),
    ];
    let resp = http.post(format!("{registrar_url}/response")).form(&form).send().await?;
    let status = resp.status();
    let body: Value = resp.json().await.context("the registrar's answer is not JSON")?;
    if status.is_success() {
        let sig = body["blind_signature"].as_str().context("no blind signature in the registrar's answer")?;
        return Ok(Registered::Issued(Box::new((voter, blinding.finalize(sig)?))));
    }
    if status == reqwest::StatusCode::FORBIDDEN {
        return Ok(Registered::Refused(body["error_description"].as_str().unwrap_or_default().to_string()));
    }
    bail!("the registrar could not answer: HTTP {status} {body}")
}

/// Every wallet registers, `parallel` at a time; answers each result in order, and the wallets.
pub async fn register_all(
    registrar_url: &str,
    poll: &str,
    registrar_key: &str,
    wallets: Vec<Contents>,
    trust: &Arc<ChainTrust>,
    parallel: usize,
) -> anyhow::Result<(Vec<Registered>, Vec<Contents>)> {
    let http = reqwest::Client::new();
    let results: Vec<anyhow::Result<(Registered, Contents)>> = stream::iter(wallets)
        .map(|mut w| {
            let (http, trust) = (http.clone(), trust.clone());
            async move {
                let r = register(&http, registrar_url, poll, registrar_key, &mut w, &trust).await?;
                Ok((r, w))
            }
        })
        .buffered(parallel.max(1))
        .collect()
        .await;
    let mut registered = Vec::with_capacity(results.len());
    let mut back = Vec::with_capacity(results.len());
    for r in results {
        let (r, w) = r?;
        registered.push(r);
        back.push(w);
    }
    Ok((registered, back))
}
