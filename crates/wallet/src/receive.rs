//! Receiving credentials over OpenID4VCI 1.0, pre-authorized code flow: read the offer, get an
//! access token (with the PIN when the offer asks for one), get a nonce, and ask for a batch of
//! copies, each bound to a fresh key so that no two presentations can be linked by key.
//!
//! Nothing is kept before it is checked against the chain ([`accept`]): each copy must be
//! signed by a key the chain registers for its issuer, by an issuer accredited for the type,
//! of a type the registry holds, and bound to the key this wallet asked for. The issuer the
//! wallet shows is the identifier the chain vouches for, never the issuer's own metadata.

use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;
use dojang_credentials::jose::{sign_compact, Jwk, Jws};
use dojang_credentials::{check_issued, TrustView, VerifyError};
use dojang_crypto::{Algorithm, Keypair};
use dojang_trust::ChainTrust;
use serde_json::{json, Map, Value};

use crate::store::{Copy, StoredCredential};
use crate::WalletError;

const PRE_AUTHORIZED_GRANT: &str = "urn:ietf:params:oauth:grant-type:pre-authorized_code";

fn protocol(what: impl std::fmt::Display) -> WalletError {
    WalletError::Issuer(what.to_string())
}

/// The offer inside `openid-credential-offer://?credential_offer=...` (or the bare JSON).
pub fn parse_offer(uri: &str) -> Result<Value, WalletError> {
    let json_text = if uri.trim_start().starts_with('{') {
        uri.to_string()
    } else {
        let url = reqwest::Url::parse(uri).map_err(|e| WalletError::Offer(format!("not a URI: {e}")))?;
        if url.scheme() != "openid-credential-offer" {
            return Err(WalletError::Offer(format!("scheme '{}' is not openid-credential-offer", url.scheme())));
        }
        url.query_pairs().find(|(k, _)| k == "credential_offer").map(|(_, v)| v.into_owned()).ok_or_else(|| {
            WalletError::Offer("no credential_offer parameter (credential_offer_uri is not supported)".into())
        })?
    };
    let offer: Value = serde_json::from_str(&json_text).map_err(|e| WalletError::Offer(format!("not JSON: {e}")))?;
    let issuer_ok = offer["credential_issuer"].as_str().is_some_and(|s| s.starts_with("http"));
    let ids_ok = offer["credential_configuration_ids"].as_array().is_some_and(|a| a.len() == 1 && a[0].is_string());
    let code_ok = offer["grants"][PRE_AUTHORIZED_GRANT]["pre-authorized_code"].is_string();
    if !(issuer_ok && ids_ok && code_ok) {
        return Err(WalletError::Offer(
            "an offer needs credential_issuer, one credential_configuration_id and a pre-authorized_code grant".into(),
        ));
    }
    Ok(offer)
}

async fn json_answer(resp: Result<reqwest::Response, reqwest::Error>, what: &str) -> Result<Value, WalletError> {
    let resp = resp.map_err(|e| protocol(format!("{what}: {e}")))?;
    let status = resp.status();
    let body: Value = resp.json().await.map_err(|e| protocol(format!("{what}: not JSON: {e}")))?;
    if !status.is_success() {
        return Err(protocol(format!("{what}: {} ({})", body["error"], body["error_description"])));
    }
    Ok(body)
}

/// Why a received credential was refused; nothing of it is kept.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Refusal {
    #[error("the issuer sent something that is not a credential: {0}")]
    Garbage(String),
    #[error("{iss} has no key '{kid}' registered on chain")]
    UnregisteredKey { iss: String, kid: String },
    #[error("the signature is not by the issuer's key registered on chain: {0}")]
    BadSignature(String),
    #[error("{iss} is not accredited on chain to issue {vct}: {reason}")]
    NotAccredited { iss: String, vct: String, reason: String },
    #[error("credential type {0} is not registered on chain")]
    UnregisteredType(String),
    #[error("the credential is bound to another holder key than the one this wallet asked for")]
    WrongHolder,
    #[error("the credential is not valid now: {0}")]
    NotValidNow(String),
    #[error("the copies disagree: {0}")]
    Inconsistent(String),
    #[error("cannot check the credential against the chain: {0}")]
    Chain(String),
}

impl From<VerifyError> for Refusal {
    fn from(e: VerifyError) -> Self {
        let text = e.to_string();
        match e {
            VerifyError::UnknownIssuerKey { iss, kid } => Refusal::UnregisteredKey { iss, kid },
            VerifyError::IssuerSignature(_) | VerifyError::KeyNotValidAtIssuance { .. } => Refusal::BadSignature(text),
            VerifyError::UnaccreditedIssuer { iss, vct }
            | VerifyError::IssuerSuspended { iss, vct, .. }
            | VerifyError::IssuerRevoked { iss, vct, .. } => Refusal::NotAccredited { iss, vct, reason: text },
            VerifyError::UnregisteredType(vct) => Refusal::UnregisteredType(vct),
            VerifyError::Expired(_) | VerifyError::NotYetValid(_) => Refusal::NotValidNow(text),
            VerifyError::Trust(t) => Refusal::Chain(t.0),
            _ => Refusal::Garbage(text),
        }
    }
}

/// Checks every copy against the chain's view (`trust`, already loaded for the issuer, the
/// type and its accreditation) and against the holder key each was asked for. `offered_vct`
/// is the type the offer named: a copy of another type is refused too.
pub fn accept(
    id: String,
    offered_vct: &str,
    copies: Vec<(String, Keypair)>,
    trust: &dyn TrustView,
    now: u64,
) -> Result<StoredCredential, Refusal> {
    let mut issuer: Option<String> = None;
    let mut kept = Vec::with_capacity(copies.len());
    for (sd_jwt, key) in copies {
        let issued = check_issued(&sd_jwt, trust, now)?;
        if issued.holder != key.public_key() {
            return Err(Refusal::WrongHolder);
        }
        if issued.vct != offered_vct {
            return Err(Refusal::Inconsistent(format!("offered {offered_vct}, received {}", issued.vct)));
        }
        match &issuer {
            Some(i) if *i != issued.issuer => {
                return Err(Refusal::Inconsistent(format!("issued by {i} and by {}", issued.issuer)))
            }
            _ => issuer = Some(issued.issuer),
        }
        kept.push(Copy { sd_jwt, key_pkcs8: STANDARD.encode(key.secret_bytes()), used: false });
    }
    let issuer = issuer.ok_or_else(|| Refusal::Garbage("no copies".into()))?;
    Ok(StoredCredential { id, issuer, vct: offered_vct.to_string(), received_at: now, copies: kept })
}

/// The issuer a copy claims, unverified: only to know what to load from the chain.
fn claimed_issuer(sd_jwt: &str) -> Option<String> {
    let jwt = sd_jwt.split('~').next()?;
    let jws = Jws::parse(jwt).ok()?;
    jws.payload.get("iss").and_then(Value::as_str).map(str::to_string)
}

/// Runs the flow for `offer`, checks what arrives against the chain through `trust`
/// ([`accept`]) and returns the credential with `copies` copies.
pub async fn receive(
    offer_uri: &str,
    tx_code: Option<&str>,
    copies: usize,
    now: u64,
    trust: &ChainTrust,
) -> Result<StoredCredential, WalletError> {
    let offer = parse_offer(offer_uri)?;
    let issuer = offer["credential_issuer"].as_str().unwrap_or_default().trim_end_matches('/').to_string();
    let config = offer["credential_configuration_ids"][0].as_str().unwrap_or_default().to_string();
    let grant = &offer["grants"][PRE_AUTHORIZED_GRANT];
    if grant.get("tx_code").is_some() && tx_code.is_none() {
        return Err(WalletError::Offer("this offer needs the PIN the agency sent you (--pin)".into()));
    }
    let http = reqwest::Client::new();
    let meta =
        json_answer(http.get(format!("{issuer}/.well-known/openid-credential-issuer")).send().await, "issuer metadata")
            .await?;
    let conf = &meta["credential_configurations_supported"][&config];
    let vct =
        conf["vct"].as_str().ok_or_else(|| protocol(format!("the issuer does not offer '{config}'")))?.to_string();
    let batch = meta["batch_credential_issuance"]["batch_size"].as_u64().unwrap_or(1) as usize;
    let copies = copies.clamp(1, batch.max(1));
    let as_meta = json_answer(
        http.get(format!("{issuer}/.well-known/oauth-authorization-server")).send().await,
        "authorization server metadata",
    )
    .await?;
    let token_endpoint = as_meta["token_endpoint"].as_str().ok_or_else(|| protocol("no token_endpoint"))?;
    let mut form = vec![("grant_type", PRE_AUTHORIZED_GRANT.to_string())];
    form.push(("pre-authorized_code", grant["pre-authorized_code"].as_str().unwrap_or_default().to_string()));
    if let Some(pin) = tx_code {
        form.push(("tx_code", pin.to_string()));
    }
    let token = json_answer(http.post(token_endpoint).form(&form).send().await, "token").await?;
    let access = token["access_token"].as_str().ok_or_else(|| protocol("no access_token"))?.to_string();
    let nonce_endpoint = meta["nonce_endpoint"].as_str().ok_or_else(|| protocol("no nonce_endpoint"))?;

    let keys: Vec<Keypair> = (0..copies).map(|_| Keypair::generate(Algorithm::P256)).collect();
    let mut proofs = Vec::with_capacity(copies);
    for k in &keys {
        let nonce = json_answer(http.post(nonce_endpoint).send().await, "nonce").await?;
        let mut header = Map::new();
        header.insert("typ".into(), json!("openid4vci-proof+jwt"));
        header.insert("jwk".into(), json!(Jwk::from_public_key(&k.public_key())));
        proofs.push(sign_compact(k, header, &json!({"aud": issuer, "iat": now, "nonce": nonce["c_nonce"]})));
    }
    let endpoint = meta["credential_endpoint"].as_str().ok_or_else(|| protocol("no credential_endpoint"))?;
    let body = json!({"credential_configuration_id": config, "proofs": {"jwt": proofs}});
    let answer = json_answer(http.post(endpoint).bearer_auth(&access).json(&body).send().await, "credential").await?;
    let creds = answer["credentials"].as_array().ok_or_else(|| protocol("no credentials in the answer"))?;
    if creds.len() != keys.len() {
        return Err(protocol(format!("asked for {} copies, got {}", keys.len(), creds.len())));
    }
    let received = creds
        .iter()
        .zip(keys)
        .map(|(c, k)| {
            let sd_jwt = c["credential"].as_str().ok_or_else(|| protocol("a credential is not a string"))?.to_string();
            Ok((sd_jwt, k))
        })
        .collect::<Result<Vec<_>, WalletError>>()?;
    let load = |e: dojang_credentials::TrustError| WalletError::Credential(Refusal::Chain(e.0));
    let mut loaded = Vec::new();
    for iss in received.iter().filter_map(|(c, _)| claimed_issuer(c)) {
        if !loaded.contains(&iss) {
            trust.load_org(&iss).await.map_err(load)?;
            trust.load_accreditation(&iss, &vct).await.map_err(load)?;
            loaded.push(iss);
        }
    }
    trust.load_type(&vct).await.map_err(load)?;
    Ok(accept(format!("{config}-{now}"), &vct, received, trust, now)?)
}

#[cfg(test)]
#[path = "receive_tests.rs"]
mod accept_tests;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn malformed_offers_are_refused_with_a_reason() {
        for bad in [
            "",
            "https://example.com/?credential_offer={}",
            "openid-credential-offer://?x=1",
            "openid-credential-offer://?credential_offer=not-json",
            "openid-credential-offer://?credential_offer=%7B%7D",
            r#"{"credential_issuer": "ftp://x", "credential_configuration_ids": ["a"], "grants": {}}"#,
        ] {
            assert!(matches!(parse_offer(bad), Err(WalletError::Offer(_))), "{bad}");
        }
        let good = r#"{"credential_issuer": "http://127.0.0.1:1", "credential_configuration_ids": ["a"],
            "grants": {"urn:ietf:params:oauth:grant-type:pre-authorized_code": {"pre-authorized_code": "c"}}}"#;
        assert!(parse_offer(good).is_ok());
    }
}
