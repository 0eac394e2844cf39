//! The citizen's side of a login: the wallet library fetches the login service's signed
//! request, checks it against the chain and the facility's registration, answers with only
//! what the facility may see, and follows the browser back to the facility.

use anyhow::{bail, Context};
use dojang_trust::ChainTrust;
use dojang_wallet::Contents;
use serde_json::Value;

fn now() -> u64 {
    dojang_types::wall_clock_ms() / 1000
}

/// What the login came to, as the wallet was told.
pub enum Answered {
    /// The facility's callback with the code.
    Back(String),
    /// The login service's refusal, and where the browser goes with `access_denied`.
    Refused(String),
}

/// The login page's request for the wallet (as the QR code carries it), read by the browser
/// that started the login (`cookie`).
pub async fn request_uri(http: &reqwest::Client, login_page: &str, cookie: &str) -> anyhow::Result<String> {
    let page = http.get(login_page).header("accept", "application/json").header("cookie", cookie).send().await?;
    let page: Value = page.error_for_status()?.json().await?;
    Ok(page["request_uri"].as_str().context("the login page names no request_uri")?.to_string())
}

/// The wallet answers the request at `request_uri`.
pub async fn answer(
    http: &reqwest::Client,
    wallet: &mut Contents,
    request_uri: &str,
    trust: &ChainTrust,
) -> anyhow::Result<Answered> {
    let jwt = http.get(request_uri).send().await?.error_for_status()?.text().await?;
    let login = dojang_wallet::fetch_and_check_login(&jwt, trust, now()).await?;
    let r = &login.request;
    let vp = dojang_wallet::answer(wallet, &r.request, &r.policy, &r.query, now())?;
    dojang_wallet::record_login(wallet, &login, r.query.credentials.len());
    let to = r.request.response_uri.clone().context("no response_uri")?;
    let form = [("vp_token", vp.to_string()), ("state", r.state.clone())];
    let answer: Value = http.post(&to).form(&form).send().await?.json().await?;
    let registered = &login.facility.registration.redirect_uris;
    Ok(match (answer["redirect_uri"].as_str(), answer.get("error")) {
        (Some(back), None) if dojang_wallet::login::goes_back_to(back, registered) => Answered::Back(back.to_string()),
        (Some(back), None) => {
            bail!("the login service sent the wallet to {back}, not to the facility's registered callback")
        }
        (_, Some(_)) => Answered::Refused(answer["error_description"].as_str().unwrap_or_default().to_string()),
        _ => bail!("the login service's answer is neither a redirect nor an error: {answer}"),
    })
}
