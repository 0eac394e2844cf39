//! The citizens' side: receiving credentials from the agencies' issuers, and answering the
//! programs' signed requests from their wallets.

use std::sync::Arc;

use anyhow::Context;
use dojang_credentials::TrustView as _;
use dojang_trust::ChainTrust;
use dojang_verifier::{open_request, request_kid, Application, ApplyError, Receipt};
use dojang_wallet::{Contents, PresentationRequest};
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
pub async fn receive_all(agencies: &[Agency], subjects: &[String], copies: usize) -> anyhow::Result<Vec<Contents>> {
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
            let cred = dojang_wallet::receive(uri, offer["tx_code"].as_str(), copies, now()).await?;
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

/// The wallet's side of one application: open the office's signed request (its key read from
/// the chain), check it against the registered policy, answer it. The verifier's trust cache is
/// warmed with what checking the answer will need.
pub async fn answer(
    po: &ProgramOffice,
    trust: &Arc<ChainTrust>,
    wallet: &mut Contents,
    request_jwt: &str,
) -> anyhow::Result<Application> {
    let (did, kid) = request_kid(request_jwt).context("the request names no key")?;
    trust.load_org(&did).await?;
    let key = trust.issuer_key(&did, &kid)?.context("the office's key is not on chain")?;
    let claims = open_request(request_jwt, &key.public_key, now()).map_err(anyhow::Error::msg)?;
    trust.load_policy(&claims.policy).await?;
    let policy = trust.policy(&claims.policy)?;
    let req = PresentationRequest {
        client_id: claims.client_id,
        nonce: claims.nonce,
        policy: claims.policy.clone(),
        dcql_query: claims.dcql_query,
        response_uri: Some(claims.response_uri),
    };
    let query = dojang_wallet::check_request(&req, policy.as_ref())?;
    let policy = policy.context("checked above")?;
    let vp = dojang_wallet::answer(wallet, &req, &policy, &query, now())?;
    let vp_token = vp.as_object().cloned().unwrap_or_default();
    for p in vp_token.values().filter_map(|v| v.get(0)).filter_map(Value::as_str) {
        trust.prepare(p, &po.program.policy.id).await?;
    }
    Ok(Application { state: claims.state, vp_token })
}

/// Every wallet applies once; returns each applicant's result in order.
pub async fn apply_all(
    po: &Arc<ProgramOffice>,
    trust: &Arc<ChainTrust>,
    wallets: &mut [Contents],
) -> anyhow::Result<Vec<Result<Receipt, ApplyError>>> {
    let mut apps = Vec::with_capacity(wallets.len());
    for w in wallets.iter_mut() {
        let jwt = po.office.request(&po.program, now());
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
