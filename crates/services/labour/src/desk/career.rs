//! Career certificates (LSA art. 39): when a contract has ended, the employer's app asks the
//! desk for the worker's certificate. The desk writes it from the terms the worker last signed
//! and the end the ledger records (`dojang_labour::career`), and has the organisation's
//! credential issuer (OpenID4VCI, `dojang issuer`) offer it as an SD-JWT VC whose every claim
//! is concealable. The app gets the offer (a link, a QR code and a PIN) to hand to the worker;
//! the desk keeps nothing of it.

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::IntoResponse;
use axum::Json;
use dojang_api::Problem;
use dojang_issuer::{NewOffer, OfferClient, OfferError};
use dojang_labour::career::{career, CareerError, OnLedger};
use dojang_private::request;
use dojang_types::{wall_clock_ms, Address};
use serde::Deserialize;
use serde_json::{json, Map, Value};

use super::api::{admit, conflict, entry, refused, registered, Answer, Refused};
use super::contracts::today;
use super::findings::{in_force, FindingsError, InForce};
use super::Desk;

/// `[desk.career]`: the organisation's credential issuer, whose records configuration for
/// career certificates takes its claims with each offer (`claims_in_offer = true`).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CareerSettings {
    /// The issuer's address, e.g. `http://127.0.0.1:8091`.
    pub issuer_url: String,
    /// The issuer's admin token; set it with `DOJANG_DESK__CAREER__ADMIN_TOKEN`.
    pub admin_token: String,
    /// The issuer's credential configuration for career certificates.
    #[serde(default = "default_configuration")]
    pub credential_configuration_id: String,
}

fn default_configuration() -> String {
    "career".into()
}

/// The issuer as the desk reaches it.
pub struct CareerIssuer {
    client: OfferClient,
}

impl CareerIssuer {
    pub fn new(settings: CareerSettings) -> anyhow::Result<CareerIssuer> {
        let client =
            OfferClient::new(&settings.issuer_url, &settings.admin_token, &settings.credential_configuration_id)
                .map_err(|e| anyhow::anyhow!("[desk.career]: {e}"))?;
        Ok(CareerIssuer { client })
    }

    /// The issuer's offer of a credential with `claims` to the worker of `contract`.
    async fn offer(&self, contract: &str, claims: Map<String, Value>) -> Result<NewOffer, Refused> {
        self.client.offer(contract, claims).await.map_err(|e| match e {
            OfferError::Refused(why) => {
                // Not a passing fault: the issuer's configuration or these claims.
                tracing::error!(issuer = %self.client.url(), why, "the career certificate issuer refused the desk's offer");
                refused(
                    StatusCode::BAD_GATEWAY,
                    "issuer-refused",
                    format!("the credential issuer refused the offer ({why}); the desk's operator must check [desk.career] and the issuer's configuration"),
                )
            }
            OfferError::Malformed(why) => {
                tracing::error!(issuer = %self.client.url(), why, "the career certificate issuer answered with no offer");
                refused(
                    StatusCode::BAD_GATEWAY,
                    "issuer-malformed",
                    "the credential issuer's answer is not an offer; the desk's operator must check that [desk.career] names a dojang issuer",
                )
            }
            other => {
                tracing::warn!(issuer = %self.client.url(), error = %other, "the career certificate issuer failed the desk");
                refused(
                    StatusCode::SERVICE_UNAVAILABLE,
                    "issuer-unavailable",
                    "the credential issuer could not make the offer; try again shortly (if it persists, the desk's operator finds the reason in its log)",
                )
            }
        })
    }
}

/// The worker's own request for the certificate (the law gives it on the worker's request):
/// signed with the contract's worker account, as the private collections' requests are, over
/// this method, path and body; the app forwards it.
fn asked_by_worker(desk: &Desk, headers: &HeaderMap, id: &str, worker: &Address, body: &[u8]) -> Result<(), Refused> {
    let path = format!("/labour/v1/contracts/{id}/career-certificate");
    let header = |name: &str| headers.get(name).and_then(|v| v.to_str().ok());
    let (key, _) = request::verify(header, &desk.chain.chain_id, "POST", &path, body, wall_clock_ms()).map_err(|e| {
        refused(
            StatusCode::UNAUTHORIZED,
            "worker-unsigned",
            format!("the worker asks for their certificate: forward their request signed with the contract's worker account (x-dojang-key, x-dojang-time, x-dojang-signature over POST {path} and the body): {e}"),
        )
    })?;
    if key.address() != *worker {
        return Err(refused(
            StatusCode::FORBIDDEN,
            "not-the-worker",
            "the request is signed by another account than the contract's worker",
        ));
    }
    Ok(())
}

pub async fn certificate(
    State(desk): State<Arc<Desk>>,
    headers: HeaderMap,
    Path(id): Path<String>,
    body: Bytes,
) -> Answer {
    let client = admit(&desk, &headers)?;
    let e = entry(&desk, client, &id)?;
    let Some(issuer) = &desk.career else {
        return Err(refused(
            StatusCode::NOT_IMPLEMENTED,
            "no-career-issuer",
            "this desk issues no career certificates: its operator has not set [desk.career]",
        ));
    };
    asked_by_worker(&desk, &headers, &id, &e.worker, &body)?;
    let on_chain = registered(&desk, &id, &e).await?;
    let first =
        on_chain.versions.first().ok_or_else(|| Refused::from(Problem::internal("a contract without versions")))?;
    let registered_on = desk.chain.block_date(first.registered_height).await?;
    let InForce { signed, doc, .. } = in_force(&desk.chain, &id, &e, &on_chain).await.map_err(|x| match x {
        FindingsError::Chain(c) => Refused::from(c),
        other => Refused::from(Problem::internal(other)),
    })?;
    let facts = career(
        &doc.terms,
        &doc.parties.employer_name,
        &e.employer.to_string(),
        OnLedger { starts: on_chain.starts, ends: on_chain.ends, registered_on, signed },
        today(),
    )
    .map_err(|why| {
        let code = match why {
            CareerError::NoEnd | CareerError::NotEnded { .. } => "not-ended",
            CareerError::NeverSigned => "never-signed",
            CareerError::EndsBeforeStart { .. } => "ledger-dates",
        };
        conflict(code, format!("no career certificate yet: {why}"))
    })?;
    let claims = match serde_json::to_value(&facts) {
        Ok(Value::Object(claims)) => claims,
        _ => return Err(Refused::from(Problem::internal("a career certificate's facts are not a JSON object"))),
    };
    let offer = issuer.offer(&id, claims.clone()).await?;
    tracing::info!(client = %client.id, contract = %id, "career certificate offered");
    Ok((
        StatusCode::CREATED,
        Json(json!({
            "contract": id,
            "claims": claims,
            "offer": {
                "credential_offer_uri": offer.credential_offer_uri,
                "credential_offer": offer.credential_offer,
                "tx_code": offer.tx_code,
                "wallet_link": offer.wallet_link,
                "qr_svg": offer.qr_svg,
            },
        })),
    )
        .into_response())
}
