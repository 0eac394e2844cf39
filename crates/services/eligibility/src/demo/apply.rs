//! The citizens' side: receiving credentials from the agencies' issuers, and answering the
//! programs' signed requests from their wallets.

use std::sync::Arc;

use anyhow::Context;
use dojang_trust::ChainTrust;
use dojang_verifier::{Application, ApplyError, Receipt};
use dojang_wallet::Contents;
use serde_json::{json, Value};

use super::setup::{Agency, ProgramOffice, ADMIN_TOKEN};

fn now() -> u64 {
    dojang_types::wall_clock_ms() / 1000
}

async fn desk(agency: &Agency, path: &str, body: Value) -> anyhow::Result<Value> {
    let resp = reqwest::Client::new()
        .post(format!("{}{path}", agency.url))
        .bearer_auth(ADMIN_TOKEN)
        .json(&body)
        .send()
        .await?;
    anyhow::ensure!(resp.status().is_success(), "{} desk {path}: HTTP {}", agency.label, resp.status());
    Ok(resp.json().await?)
}

/// Each agency offers each citizen its credential; each citizen's wallet receives `copies`
/// copies over OpenID4VCI (with the PIN the desk gives).
pub async fn receive_all(
    agencies: &[Agency],
    subjects: &[String],
    copies: usize,
    trust: &ChainTrust,
) -> anyhow::Result<Vec<Contents>> {
    let mut wallets = Vec::with_capacity(subjects.len());
    for subject in subjects {
        let mut w = Contents::default();
        for a in agencies {
            let offer = desk(
                a,
                "/admin/offers",
                json!({"subject": subject, "credential_configuration_id": a.config, "pin": true}),
            )
            .await?;
            let uri = offer["credential_offer_uri"].as_str().context("no offer uri")?;
            let cred = dojang_wallet::receive(uri, offer["tx_code"].as_str(), copies, now(), trust).await?;
            w.credentials.push(cred);
        }
        wallets.push(w);
    }
    Ok(wallets)
}

/// The agency's desk changes the status of a subject's credential (a new anchored version).
pub async fn set_status(agency: &Agency, subject: &str, status: &str) -> anyhow::Result<u64> {
    let v = desk(
        agency,
        "/admin/status",
        json!({"subject": subject, "credential_configuration_id": agency.config, "status": status}),
    )
    .await?;
    v["status_list_version"].as_u64().context("no version in the answer")
}

/// The wallet's side of one application: the wallet library checks the office's signed request
/// (its key and policy read from the chain) and answers it. The verifier's trust cache is
/// warmed with what checking the answer will need.
pub async fn answer(
    po: &ProgramOffice,
    trust: &Arc<ChainTrust>,
    wallet: &mut Contents,
    request_jwt: &str,
) -> anyhow::Result<Application> {
    let checked = dojang_wallet::fetch_and_check(request_jwt, trust, now()).await?;
    let vp = dojang_wallet::answer(wallet, &checked.request, &checked.policy, &checked.query, now())?;
    let vp_token = vp.as_object().cloned().unwrap_or_default();
    for p in vp_token.values().filter_map(|v| v.get(0)).filter_map(Value::as_str) {
        trust.prepare(p, &po.program.policy.id).await?;
    }
    Ok(Application { state: checked.state, vp_token })
}

/// Every wallet applies once; returns each applicant's result in order.
pub async fn apply_all(
    po: &Arc<ProgramOffice>,
    trust: &Arc<ChainTrust>,
    wallets: &mut [Contents],
) -> anyhow::Result<Vec<Result<Receipt, ApplyError>>> {
    let mut apps = Vec::with_capacity(wallets.len());
    for w in wallets.iter_mut() {
        let jwt = po.office.request(&po.program, now())?;
        apps.push(answer(po, trust, w, &jwt).await?);
    }
    decide(po, apps).await
}

pub async fn decide(
    po: &Arc<ProgramOffice>,
    apps: Vec<Application>,
) -> anyhow::Result<Vec<Result<Receipt, ApplyError>>> {
    let po = po.clone();
    Ok(tokio::task::spawn_blocking(move || po.office.decide(&po.program, apps, now())).await?)
}
