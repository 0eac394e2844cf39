//! The worker's side of the grievance channel (for a wallet, the command line and tests): get
//! a token for a contract, signed blindly by the centre, then file a report with it. The two
//! steps are separate on purpose: a worker may get the token at any time in the quarter and
//! file later, from another network, and the filing carries nothing of the worker.

use anyhow::{bail, Context};
use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine;
use blind_rsa_signatures::{BlindSignature, Options};
use dojang_crypto::Keypair;
use dojang_private::request::Signed;
use dojang_types::wall_clock_ms;
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

use super::store::from_spki;

/// A token and its signature: what files one report about `employer` for `period`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Token {
    pub employer: String,
    pub period: String,
    pub message: String,
    pub randomizer: String,
    pub signature: String,
}

async fn answer(resp: reqwest::Response, what: &str) -> anyhow::Result<Value> {
    let status = resp.status();
    let body: Value = resp.json().await.with_context(|| format!("{what}: the centre's answer is not JSON"))?;
    if !status.is_success() {
        bail!("{what}: the centre answered {status}: {}", body["detail"].as_str().unwrap_or("no detail"));
    }
    Ok(body)
}

/// A POST signed by the worker's account, as the centre checks it.
async fn signed_post(
    http: &reqwest::Client,
    centre: &str,
    chain_id: &str,
    worker: &Keypair,
    path: &str,
    body: &Value,
) -> anyhow::Result<Value> {
    let bytes = serde_json::to_vec(body)?;
    let signed = Signed { chain_id, method: "POST", path, time_ms: wall_clock_ms(), body: &bytes, reply_key: None };
    let mut req =
        http.post(format!("{}{path}", centre.trim_end_matches('/'))).header("content-type", "application/json");
    for (name, value) in signed.sign(worker)? {
        req = req.header(name, value);
    }
    answer(req.body(bytes).send().await?, path).await
}

/// Gets this quarter's token for `contract`, signed as its worker: the employer's key, a fresh
/// random message blinded for it, the centre's blind signature, finalized and checked here.
pub async fn obtain_token(centre: &str, chain_id: &str, worker: &Keypair, contract: &str) -> anyhow::Result<Token> {
    let http = reqwest::Client::new();
    let key =
        signed_post(&http, centre, chain_id, worker, "/grievance/v1/keys", &json!({"contract": contract})).await?;
    let spki = B64.decode(key["public_key"].as_str().context("no public key")?)?;
    let pk = from_spki(&spki)?;
    let options = Options::default();
    let message = rand::random::<[u8; 32]>();
    let blinding =
        pk.blind(&mut rand::thread_rng(), message, true, &options).map_err(|e| anyhow::anyhow!("cannot blind: {e}"))?;
    let body = json!({"contract": contract, "blinded": B64.encode(&blinding.blind_msg.0)});
    let signed = signed_post(&http, centre, chain_id, worker, "/grievance/v1/tokens", &body).await?;
    let blind_sig = BlindSignature(B64.decode(signed["blind_signature"].as_str().context("no blind signature")?)?);
    let randomizer = blinding.msg_randomizer.context("a randomized message has a randomizer")?;
    let sig = pk
        .finalize(&blind_sig, &blinding.secret, Some(randomizer), message, &options)
        .map_err(|e| anyhow::anyhow!("the centre's blind signature does not finalize under its key: {e}"))?;
    Ok(Token {
        employer: key["employer"].as_str().context("no employer")?.to_string(),
        period: key["period"].as_str().context("no period")?.to_string(),
        message: B64.encode(message),
        randomizer: B64.encode(randomizer.0),
        signature: B64.encode(&sig.0),
    })
}

/// Files a report with a token, as anyone: no account, no signature. The report's number.
pub async fn file_report(centre: &str, token: &Token, text: &str) -> anyhow::Result<u64> {
    let mut body = serde_json::to_value(token)?;
    body["text"] = json!(text);
    let resp = reqwest::Client::new()
        .post(format!("{}/grievance/v1/reports", centre.trim_end_matches('/')))
        .json(&body)
        .send()
        .await?;
    let v = answer(resp, "/grievance/v1/reports").await?;
    v["report"].as_u64().context("no report number")
}
