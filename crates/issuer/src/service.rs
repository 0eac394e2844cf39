//! The issuer's state and its operations, apart from HTTP: offers, tokens, proofs, issuance,
//! and publishing status list versions (anchored before they are served).

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use dojang_credentials::issue::{issue_batch, kid_url, CredentialSpec, IssuerKey, StatusRef};
use dojang_credentials::jose::{b64, Jwk, Jws};
use dojang_credentials::links::{qr_svg, wallet_link, Handoff};
use dojang_credentials::nonce::{NonceBook, NonceProblem};
use dojang_credentials::status::{token_hash, Status};
use dojang_types::PublicKey;
use rand::RngCore as _;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::anchor::Anchoring;
use crate::book::Book;
use crate::records::Records;

/// The JWT `typ` of an OpenID4VCI key proof.
pub const PROOF_TYP: &str = "openid4vci-proof+jwt";

/// What the issuer is and how it behaves.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Settings {
    /// The organisation's identifier on chain, e.g. `did:web:income.seoul.go.kr`.
    pub did: String,
    /// The on-chain key id of the signing key.
    pub kid: String,
    /// The URL wallets reach this issuer at (the `credential_issuer` identifier).
    pub public_url: String,
    /// The name of the status list under `<public_url>/status/`.
    #[serde(default = "default_list")]
    pub status_list: String,
    /// Most credential copies one request may ask for.
    #[serde(default = "default_batch")]
    pub batch_size: usize,
    /// Seconds an offer (its pre-authorized code) stays usable.
    #[serde(default = "default_offer_ttl")]
    pub offer_ttl_s: u64,
    /// Seconds a published status list token may be cached.
    #[serde(default = "default_list_ttl")]
    pub status_ttl_s: u64,
    /// The web wallet citizens use (e.g. a node's address): offers then come with a link and a
    /// QR code that open it with the offer. Without it the QR code holds the offer URI.
    #[serde(default)]
    pub wallet_url: Option<String>,
}

fn default_list() -> String {
    "1".into()
}
fn default_batch() -> usize {
    10
}
fn default_offer_ttl() -> u64 {
    600
}
fn default_list_ttl() -> u64 {
    300
}

/// Errors as OpenID4VCI and OAuth name them (`error` codes), with a sentence for people.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{code}: {description}")]
pub struct OauthError {
    pub code: &'static str,
    pub description: String,
    pub status: u16,
}

pub(crate) fn oauth(code: &'static str, status: u16, description: impl Into<String>) -> OauthError {
    OauthError { code, description: description.into(), status }
}

struct Offer {
    subject: String,
    config: String,
    claims: Map<String, Value>,
    tx_code: Option<String>,
    expires: u64,
}

struct Grant {
    subject: String,
    config: String,
    claims: Map<String, Value>,
    expires: u64,
}

/// The most offers open at once: each holds its claims in memory until used or lapsed.
pub const MAX_OPEN_OFFERS: usize = 10_000;

/// The most claims, and the most bytes of them as JSON, an offer may carry.
pub const MAX_OFFER_CLAIMS: usize = 64;
pub const MAX_OFFER_CLAIMS_BYTES: usize = 8 * 1024;

/// A new offer, as the agency's desk hands it to the citizen.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct NewOffer {
    pub credential_offer: serde_json::Value,
    pub credential_offer_uri: String,
    /// The PIN given to the citizen through another channel (SMS, the counter), if any.
    pub tx_code: Option<String>,
    /// The link that opens the web wallet with this offer (when the issuer names one).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub wallet_link: Option<String>,
    /// A QR code (SVG) of the wallet link, or of the offer URI, for the desk to show.
    #[serde(default)]
    pub qr_svg: String,
}

/// The issuer service.
pub struct Issuer {
    pub settings: Settings,
    key: IssuerKey,
    records: Records,
    book: tokio::sync::Mutex<Book>,
    anchoring: Arc<dyn Anchoring>,
    offers: Mutex<HashMap<String, Offer>>,
    grants: Mutex<HashMap<String, Grant>>,
    nonces: NonceBook,
}

fn now() -> u64 {
    dojang_types::wall_clock_ms() / 1000
}

fn random_token(bytes: usize) -> String {
    let mut raw = vec![0u8; bytes];
    rand::thread_rng().fill_bytes(&mut raw);
    b64(&raw)
}

impl Issuer {
    /// Opens the issuer; publishes and anchors the first status list version if there is none.
    pub async fn start(
        settings: Settings,
        key: IssuerKey,
        records: Records,
        book: Book,
        anchoring: Arc<dyn Anchoring>,
    ) -> Result<Arc<Issuer>, String> {
        let issuer = Arc::new(Issuer {
            settings,
            key,
            records,
            book: tokio::sync::Mutex::new(book),
            anchoring,
            offers: Mutex::new(HashMap::new()),
            grants: Mutex::new(HashMap::new()),
            nonces: NonceBook::new(300),
        });
        if issuer.book.lock().await.version == 0 {
            issuer.publish().await?;
        }
        Ok(issuer)
    }

    pub fn status_uri(&self) -> String {
        format!("{}/status/{}", self.settings.public_url, self.settings.status_list)
    }

    pub fn records(&self) -> &Records {
        &self.records
    }

    /// Signs the current list, anchors it as the next version, then serves it. If anchoring
    /// fails the served list stays the previous (anchored) one.
    async fn publish(&self) -> Result<(u64, [u8; 32]), String> {
        let mut book = self.book.lock().await;
        let kid = kid_url(&self.key.did, &self.key.kid);
        let token = book.list.to_token(&self.key.key, &kid, &self.status_uri(), now(), self.settings.status_ttl_s);
        let hash = token_hash(&token);
        let version = book.version + 1;
        self.anchoring.anchor(&self.key.did, &self.status_uri(), version, hash).await?;
        book.version = version;
        book.token = Some(token);
        book.save().map_err(|e| format!("cannot save the status book: {e}"))?;
        tracing::info!(version, uri = %self.status_uri(), "status list version anchored and published");
        Ok((version, hash))
    }

    /// The anchored token now served for list `name`.
    pub async fn status_token(&self, name: &str) -> Option<String> {
        if name != self.settings.status_list {
            return None;
        }
        self.book.lock().await.token.clone()
    }

    /// Changes the status of every copy of a subject's credential and publishes the list.
    pub async fn set_status(&self, subject: &str, config: &str, status: Status) -> Result<(usize, u64), OauthError> {
        let changed = self.book.lock().await.set_status(subject, config, status);
        if changed == 0 {
            return Err(oauth("not_found", 404, format!("no credential '{config}' was issued to subject {subject}")));
        }
        let (version, _) = self.publish().await.map_err(|e| oauth("server_error", 503, e))?;
        Ok((changed, version))
    }

    /// An offer for a subject's credential (pre-authorized code flow, with a PIN if asked). The
    /// claims are the records file's, or, for a configuration whose claims come with the offer,
    /// `claims` as the agency's system sends them; they are fixed when the offer is made.
    pub fn offer(
        &self,
        subject: &str,
        config: &str,
        claims: Option<Map<String, Value>>,
        with_pin: bool,
    ) -> Result<NewOffer, OauthError> {
        let configuration = self.records.credential_configurations.get(config).ok_or_else(|| {
            oauth("not_found", 404, format!("this issuer offers no credential configuration '{config}'"))
        })?;
        let claims = match (configuration.claims_in_offer, claims) {
            (false, None) => self.records.claims(subject, config).cloned().ok_or_else(|| {
                oauth("not_found", 404, format!("the agency has no '{config}' record for subject {subject}"))
            })?,
            (false, Some(_)) => {
                return Err(oauth(
                    "invalid_request",
                    400,
                    format!("'{config}' is issued from the agency's records; send no claims"),
                ))
            }
            (true, None) => {
                return Err(oauth("invalid_request", 400, format!("'{config}' needs the claims with the offer")))
            }
            (true, Some(claims)) => offered_claims(claims)?,
        };
        if subject.is_empty() || subject.len() > 200 {
            return Err(oauth("invalid_request", 400, "the subject must be 1 to 200 bytes"));
        }
        let code = random_token(24);
        let tx_code = with_pin.then(|| format!("{:06}", rand::random::<u32>() % 1_000_000));
        let mut grant = serde_json::json!({ "pre-authorized_code": code });
        if tx_code.is_some() {
            grant["tx_code"] = serde_json::json!({"length": 6, "input_mode": "numeric", "description": "PIN sent to you by the agency"});
        }
        let offer = serde_json::json!({
            "credential_issuer": self.settings.public_url,
            "credential_configuration_ids": [config],
            "grants": { "urn:ietf:params:oauth:grant-type:pre-authorized_code": grant },
        });
        let uri =
            format!("openid-credential-offer://?credential_offer={}", dojang_types::percent_encode(&offer.to_string()));
        let record = Offer {
            subject: subject.into(),
            config: config.into(),
            claims,
            tx_code: tx_code.clone(),
            expires: now() + self.settings.offer_ttl_s,
        };
        let wallet_link = self.settings.wallet_url.as_deref().map(|w| wallet_link(w, Handoff::Offer, &uri));
        let qr_svg =
            qr_svg(wallet_link.as_deref().unwrap_or(&uri)).map_err(|e| oauth("server_error", 500, e.to_string()))?;
        let mut offers = self.offers.lock().unwrap_or_else(|p| p.into_inner());
        let now_s = now();
        offers.retain(|_, o| o.expires > now_s);
        if offers.len() >= MAX_OPEN_OFFERS {
            return Err(oauth(
                "temporarily_unavailable",
                503,
                format!("{MAX_OPEN_OFFERS} offers are open; wait until some are used or lapse"),
            ));
        }
        offers.insert(code, record);
        drop(offers);
        Ok(NewOffer { credential_offer: offer, credential_offer_uri: uri, tx_code, wallet_link, qr_svg })
    }

    /// The token endpoint: a pre-authorized code (and PIN) for an access token. Codes are single use.
    pub fn token(&self, code: &str, tx_code: Option<&str>) -> Result<String, OauthError> {
        let offer = self.offers.lock().unwrap_or_else(|p| p.into_inner()).remove(code);
        let offer = offer.ok_or_else(|| oauth("invalid_grant", 400, "unknown or already used pre-authorized code"))?;
        if offer.expires <= now() {
            return Err(oauth("invalid_grant", 400, "the offer has expired; ask the agency for a new one"));
        }
        if offer.tx_code.as_deref() != tx_code {
            return Err(oauth(
                "invalid_grant",
                400,
                "wrong or missing tx_code (PIN); the offer is now void, ask for a new one",
            ));
        }
        let token = random_token(32);
        let grant = Grant { subject: offer.subject, config: offer.config, claims: offer.claims, expires: now() + 300 };
        let mut grants = self.grants.lock().unwrap_or_else(|p| p.into_inner());
        // Grants come only from open offers (bounded), and lapsed ones go here.
        let now_s = now();
        grants.retain(|_, g| g.expires > now_s);
        grants.insert(token.clone(), grant);
        Ok(token)
    }

    pub fn nonce(&self) -> String {
        self.nonces.issue(now())
    }

    /// The credential endpoint: one credential per key proof, each with its own status index.
    pub async fn credential(
        &self,
        access_token: &str,
        config: &str,
        proofs: &[String],
    ) -> Result<Vec<String>, OauthError> {
        let grant = self.grants.lock().unwrap_or_else(|p| p.into_inner()).remove(access_token);
        let grant =
            grant.ok_or_else(|| oauth("invalid_token", 401, "unknown, expired or already used access token"))?;
        if grant.expires <= now() {
            return Err(oauth("invalid_token", 401, "the access token has expired"));
        }
        if grant.config != config {
            return Err(oauth(
                "invalid_credential_request",
                400,
                format!("this token is for '{}', not '{config}'", grant.config),
            ));
        }
        if proofs.is_empty() || proofs.len() > self.settings.batch_size {
            return Err(oauth(
                "invalid_credential_request",
                400,
                format!("send 1 to {} key proofs", self.settings.batch_size),
            ));
        }
        let holders = proofs.iter().map(|p| self.check_proof(p)).collect::<Result<Vec<PublicKey>, _>>()?;
        let configuration = &self.records.credential_configurations[config];
        let claims = grant.claims;
        let mut book = self.book.lock().await;
        let mut copies = Vec::with_capacity(holders.len());
        for holder in holders {
            let idx = book.allocate(&grant.subject, config).ok_or_else(|| {
                oauth("server_error", 503, "the status list is full; the agency must open a new list")
            })?;
            copies.push((holder, StatusRef { idx, uri: self.status_uri() }));
        }
        book.save().map_err(|e| oauth("server_error", 500, format!("cannot save the status book: {e}")))?;
        drop(book);
        let template = CredentialSpec {
            vct: configuration.vct.clone(),
            claims,
            holder: copies[0].0.clone(),
            status: copies[0].1.clone(),
            issued_at: now(),
            expires_at: now() + configuration.validity_days * 86_400,
        };
        issue_batch(&self.key, &template, &copies).map_err(|e| oauth("server_error", 500, e.to_string()))
    }

    fn check_proof(&self, proof: &str) -> Result<PublicKey, OauthError> {
        let bad = |d: String| oauth("invalid_proof", 400, d);
        let jws = Jws::parse(proof).map_err(|e| bad(e.to_string()))?;
        if jws.typ() != PROOF_TYP {
            return Err(bad(format!("typ is '{}', not {PROOF_TYP}", jws.typ())));
        }
        let key = jws.header_key().map_err(|e| bad(format!("the proof's header: {e}")))?;
        jws.verify(&key).map_err(|e| bad(e.to_string()))?;
        let p = &jws.payload;
        if p.get("aud").and_then(|a| a.as_str()) != Some(self.settings.public_url.as_str()) {
            return Err(bad(format!("aud must be this issuer, {}", self.settings.public_url)));
        }
        let iat = p.get("iat").and_then(|v| v.as_u64()).ok_or_else(|| bad("no iat".into()))?;
        if iat.abs_diff(now()) > 300 {
            return Err(bad("iat is more than 5 minutes from now".into()));
        }
        let nonce = p.get("nonce").and_then(|v| v.as_str()).unwrap_or_default();
        match self.nonces.spend(nonce, now()) {
            Ok(()) => Ok(key),
            Err(NonceProblem::Spent) => {
                Err(oauth("invalid_nonce", 400, "this c_nonce was already used; get a new one"))
            }
            Err(NonceProblem::Unknown) => Err(oauth("invalid_nonce", 400, "unknown or lapsed c_nonce; get a new one")),
        }
    }

    /// The issuer's signing key as a JWK, for its metadata.
    pub fn public_jwk(&self) -> Jwk {
        Jwk::from_public_key(&self.key.key.public_key())
    }

    pub fn did(&self) -> &str {
        &self.key.did
    }
}

/// Claims sent with an offer: a bounded object, none of them the issuer's own.
fn offered_claims(claims: Map<String, Value>) -> Result<Map<String, Value>, OauthError> {
    let bad = |d: String| oauth("invalid_request", 400, d);
    if claims.is_empty() || claims.len() > MAX_OFFER_CLAIMS {
        return Err(bad(format!("send 1 to {MAX_OFFER_CLAIMS} claims")));
    }
    if Value::Object(claims.clone()).to_string().len() > MAX_OFFER_CLAIMS_BYTES {
        return Err(bad(format!("the claims are longer than {MAX_OFFER_CLAIMS_BYTES} bytes as JSON")));
    }
    if let Some(reserved) = dojang_credentials::issue::reserved_claim(&claims) {
        return Err(bad(format!(
            "claim '{reserved}' is reserved: the issuer's own (iss, iat, nbf, exp, vct, cnf, status, sub) or, at any depth, a name starting with '_' or the name '...'"
        )));
    }
    Ok(claims)
}

/// `Status` by the name the admin API uses.
pub fn parse_status(s: &str) -> Option<Status> {
    match s {
        "valid" => Some(Status::Valid),
        "revoked" => Some(Status::Revoked),
        "suspended" => Some(Status::Suspended),
        _ => None,
    }
}
