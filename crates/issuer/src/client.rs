//! The agency system's side of the issuer's desk API: a service that has decided what a
//! citizen's credential says (a career certificate, a payment receipt) asks its issuer for an
//! offer carrying those claims, and hands the offer to the citizen. One client for every such
//! service, so each tells a passing fault from a refusal the same way.

use std::time::Duration;

use serde_json::{json, Map, Value};

use crate::NewOffer;

/// How long the issuer has to answer.
const TIMEOUT: Duration = Duration::from_secs(20);

/// Why the issuer made no offer.
#[derive(Debug, thiserror::Error)]
pub enum OfferError {
    /// Not reached, overloaded or failing: trying again later may work.
    #[error("the credential issuer could not make the offer ({0}); try again shortly")]
    Unavailable(String),
    /// It refused these claims or this configuration: retrying will not help; the operator
    /// must fix the settings or the issuer's records.
    #[error("the credential issuer refused the offer: {0}")]
    Refused(String),
    /// It answered with an offer of another shape.
    #[error("the credential issuer's answer is not an offer: {0}")]
    Malformed(String),
}

/// The issuer's desk API, reached with its admin token.
pub struct OfferClient {
    url: String,
    admin_token: String,
    configuration: String,
    http: reqwest::Client,
}

impl OfferClient {
    /// `url`: the issuer's address; `configuration`: its credential configuration whose
    /// claims come with each offer (`claims_in_offer`). Checked here so a wrong setting fails
    /// at start, not at a citizen's request.
    pub fn new(url: &str, admin_token: &str, configuration: &str) -> Result<OfferClient, String> {
        if !(url.starts_with("http://") || url.starts_with("https://")) {
            return Err(format!("the issuer's address must be http(s), not '{url}'"));
        }
        if admin_token.len() < 16 {
            return Err("the admin token must be the issuer's (at least 16 characters)".into());
        }
        if configuration.is_empty() {
            return Err("name the issuer's credential configuration".into());
        }
        let http = reqwest::Client::builder().timeout(TIMEOUT).build().map_err(|e| e.to_string())?;
        Ok(OfferClient {
            url: url.trim_end_matches('/').to_string(),
            admin_token: admin_token.into(),
            configuration: configuration.into(),
            http,
        })
    }

    pub fn url(&self) -> &str {
        &self.url
    }

    /// An offer of a credential with `claims` to `subject`, with a PIN for the citizen.
    pub async fn offer(&self, subject: &str, claims: Map<String, Value>) -> Result<NewOffer, OfferError> {
        let body = json!({
            "subject": subject,
            "credential_configuration_id": self.configuration,
            "pin": true,
            "claims": claims,
        });
        let resp = self
            .http
            .post(format!("{}/admin/offers", self.url))
            .bearer_auth(&self.admin_token)
            .json(&body)
            .send()
            .await
            .map_err(|e| OfferError::Unavailable(e.to_string()))?;
        let status = resp.status();
        // Classified by the status first: a refusal without a JSON body (a proxy's 404 or 413)
        // is still a refusal.
        let refused = status.is_client_error() && status != reqwest::StatusCode::TOO_MANY_REQUESTS;
        let body = resp.bytes().await.map_err(|e| OfferError::Unavailable(format!("HTTP {status}: {e}")))?;
        let answer: Option<Value> = serde_json::from_slice(&body).ok();
        let reason = || {
            answer
                .as_ref()
                .and_then(|a| a["error_description"].as_str())
                .map_or_else(|| "no reason given".to_string(), str::to_string)
        };
        if refused {
            return Err(OfferError::Refused(format!("HTTP {status}: {}", reason())));
        }
        if !status.is_success() {
            return Err(OfferError::Unavailable(format!("HTTP {status}: {}", reason())));
        }
        let answer = answer.ok_or_else(|| OfferError::Malformed(format!("HTTP {status} without a JSON body")))?;
        serde_json::from_value(answer).map_err(|e| OfferError::Malformed(e.to_string()))
    }
}
