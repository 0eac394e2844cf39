//! Answering a presentation request (OpenID4VP 1.0 with DCQL), only within the policy the
//! request cites: the wallet reads the policy from the chain and refuses a request that asks for
//! more (ELIG-04, AUTH-04), comes from another office than the policy's, or cites a withdrawn
//! policy. Each answer spends one unused copy and is written to the holder's history.

use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;
use dojang_credentials::dcql::path_text;
use dojang_credentials::present::credential_type;
use dojang_credentials::transaction::DocumentSignature;
use dojang_credentials::{present_with, Challenge, DcqlQuery, Policy};
use dojang_crypto::Keypair;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::store::{Contents, Disclosure};
use crate::WalletError;

/// A presentation request as the wallet receives it.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PresentationRequest {
    /// The verifier's identifier (its did:web), the key-binding audience.
    pub client_id: String,
    pub nonce: String,
    /// The registered policy the request is made under.
    pub policy: String,
    pub dcql_query: Value,
    /// Where to send the answer (`direct_post`); without it the answer is printed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub response_uri: Option<String>,
    /// What the holder is asked to sign with its presentation (OpenID4VP 1.0 §5.1), each
    /// checked by [`crate::check_signed_request`] to be a document signature this wallet shows.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub transaction_data: Vec<String>,
}

/// Checks a request against its registered policy; returns the parsed query it may answer.
pub fn check_request(req: &PresentationRequest, policy: Option<&Policy>) -> Result<DcqlQuery, WalletError> {
    let policy =
        policy.ok_or_else(|| WalletError::Refused(format!("policy '{}' is not registered on chain", req.policy)))?;
    if policy.withdrawn_at.is_some() {
        return Err(WalletError::Refused(format!("policy '{}' was withdrawn", req.policy)));
    }
    if policy.verifier != req.client_id {
        return Err(WalletError::Refused(format!(
            "policy '{}' belongs to {}, but the request comes from {}",
            req.policy, policy.verifier, req.client_id
        )));
    }
    let query = DcqlQuery::parse(&req.dcql_query).map_err(|e| WalletError::Refused(e.to_string()))?;
    query
        .within(&policy.dcql)
        .map_err(|e| WalletError::Refused(format!("the request asks more than policy '{}' allows: {e}", req.policy)))?;
    Ok(query)
}

/// Builds the `vp_token` (credential query id → presentations), spending one copy per query.
pub fn answer(
    wallet: &mut Contents,
    req: &PresentationRequest,
    policy: &Policy,
    query: &DcqlQuery,
    now: u64,
) -> Result<Value, WalletError> {
    let mut vp_token = Map::new();
    for cq in &query.credentials {
        let (cred_index, copy_index) = wallet
            .credentials
            .iter()
            .enumerate()
            .filter(|(_, c)| cq.meta.vct_values.contains(&c.vct))
            .find_map(|(i, c)| c.copies.iter().position(|k| !k.used).map(|j| (i, j)))
            .ok_or_else(|| WalletError::NoCredential(cq.meta.vct_values.join(", ")))?;
        let cred = &mut wallet.credentials[cred_index];
        let copy = &mut cred.copies[copy_index];
        let pkcs8 = STANDARD.decode(&copy.key_pkcs8).map_err(|e| WalletError::Corrupt(e.to_string()))?;
        let key = Keypair::p256_from_pkcs8(&pkcs8).map_err(WalletError::Corrupt)?;
        debug_assert_eq!(credential_type(&copy.sd_jwt).unwrap_or_default(), cred.vct);
        let challenge = Challenge { nonce: &req.nonce, audience: &req.client_id, now };
        // Transaction data is signed by the presentations of the queries it names.
        let signed: Vec<String> = req
            .transaction_data
            .iter()
            .filter(|t| DocumentSignature::decode(t).is_ok_and(|d| d.credential_ids.contains(&cq.id)))
            .cloned()
            .collect();
        let p = present_with(&copy.sd_jwt, &key, cq, &challenge, &signed)
            .map_err(|e| WalletError::NoCredential(e.to_string()))?;
        copy.used = true;
        vp_token.insert(cq.id.clone(), Value::Array(vec![Value::String(p)]));
        let claims = cq.claims.iter().map(|c| path_text(&c.path)).collect();
        let record = Disclosure {
            at: now,
            verifier: req.client_id.clone(),
            policy: policy.id.clone(),
            purpose: policy.purpose.clone(),
            credential: cred.id.clone(),
            claims,
            facility: None,
        };
        wallet.history.push(record);
    }
    Ok(Value::Object(vp_token))
}
