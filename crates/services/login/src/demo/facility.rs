//! A facility's web application as the demo plays it: an OpenID Connect relying party that
//! knows only the login service's issuer URL and its own client id, configured from the
//! discovery document, checking the ID token against the published keys.

use anyhow::{bail, Context};
use dojang_credentials::jose::{Jwk, Jws};
use rand::RngCore as _;
use serde_json::{Map, Value};
use sha2::{Digest, Sha256};

use crate::authorize::with_query;

/// A login the facility started: what it keeps in its session until the browser returns.
pub struct Started {
    pub authorize_url: String,
    state: String,
    nonce: String,
    verifier: String,
}

pub struct Facility {
    pub client_id: String,
    pub redirect_uri: String,
    issuer: String,
    config: Value,
    http: reqwest::Client,
}

fn random() -> String {
    let mut raw = [0u8; 32];
    rand::thread_rng().fill_bytes(&mut raw);
    dojang_credentials::jose::b64(&raw)
}

impl Facility {
    /// Reads the discovery document at `issuer` (and checks that it names that issuer).
    pub async fn discover(issuer: &str, client_id: &str, redirect_uri: &str) -> anyhow::Result<Facility> {
        let http = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build()?;
        let url = format!("{issuer}/.well-known/openid-configuration");
        let config: Value = http.get(&url).send().await?.error_for_status()?.json().await?;
        if config["issuer"] != issuer {
            bail!("the discovery document names issuer {}, not {issuer}", config["issuer"]);
        }
        Ok(Facility {
            client_id: client_id.into(),
            redirect_uri: redirect_uri.into(),
            issuer: issuer.into(),
            config,
            http,
        })
    }

    fn endpoint(&self, name: &str) -> anyhow::Result<&str> {
        self.config[name].as_str().with_context(|| format!("the discovery document has no {name}"))
    }

    /// A new login for `action` (with `extra` parameters, such as the document a signing
    /// action signs): state, nonce and a PKCE pair, and the URL to send the browser to.
    pub fn start(&self, action: &str, extra: &[(&str, &str)]) -> anyhow::Result<Started> {
        let (state, nonce, verifier) = (random(), random(), random());
        let challenge = dojang_credentials::jose::b64(&Sha256::digest(verifier.as_bytes()));
        let mut params = vec![
            ("response_type", "code"),
            ("client_id", &self.client_id),
            ("redirect_uri", &self.redirect_uri),
            ("scope", "openid"),
            ("state", &state),
            ("nonce", &nonce),
            ("code_challenge", &challenge),
            ("code_challenge_method", "S256"),
            ("action", action),
        ];
        params.extend_from_slice(extra);
        let url = with_query(self.endpoint("authorization_endpoint")?, &params);
        Ok(Started { authorize_url: url, state, nonce, verifier })
    }

    /// The browser's first step: the login service answers the authorization request with
    /// its login page and a cookie for it; returns the page's address and the cookie.
    pub async fn follow(&self, started: &Started) -> anyhow::Result<(String, String)> {
        let resp = self.http.get(&started.authorize_url).send().await?;
        let header = |name: &str| resp.headers().get(name).and_then(|v| v.to_str().ok()).map(str::to_string);
        let (location, cookie) = (header("location"), header("set-cookie"));
        let cookie = cookie.and_then(|c| c.split(';').next().map(str::to_string));
        match (resp.status().as_u16(), location, cookie) {
            (303, Some(l), Some(c)) if l.starts_with("/login/") => Ok((format!("{}{l}", self.issuer), c)),
            (303, Some(l), _) => {
                let why = dojang_types::query_param(&l, "error_description").unwrap_or(l);
                bail!("the login service sent the browser back at once: {why}")
            }
            (status, _, _) => {
                bail!("the login service answered HTTP {status}: {}", resp.text().await.unwrap_or_default())
            }
        }
    }

    /// The browser is back at the callback: checks `state`, exchanges the code (with the PKCE
    /// verifier) and checks the ID token. Returns its claims.
    pub async fn finish(&self, started: &Started, callback: &str) -> anyhow::Result<Map<String, Value>> {
        let param = |name: &str| dojang_types::query_param(callback, name);
        if let Some(e) = param("error") {
            bail!("{e}: {}", param("error_description").unwrap_or_default());
        }
        if param("state").as_deref() != Some(started.state.as_str()) {
            bail!("the callback's state is not this login's");
        }
        if param("iss").as_deref() != Some(self.issuer.as_str()) {
            bail!("the callback's iss is not the login service (RFC 9207)");
        }
        let code = param("code").context("the callback has no code")?;
        let form = [
            ("grant_type", "authorization_code"),
            ("code", &code),
            ("redirect_uri", &self.redirect_uri),
            ("client_id", &self.client_id),
            ("code_verifier", &started.verifier),
        ];
        let resp = self.http.post(self.endpoint("token_endpoint")?).form(&form).send().await?;
        let status = resp.status();
        let tokens: Value = resp.json().await?;
        if !status.is_success() {
            bail!("the token endpoint refused: {tokens}");
        }
        let id_token = tokens["id_token"].as_str().context("no id_token")?;
        let claims = self.check_id_token(id_token, &started.nonce).await?;
        let info: Value = self
            .http
            .get(self.endpoint("userinfo_endpoint")?)
            .bearer_auth(tokens["access_token"].as_str().unwrap_or_default())
            .send()
            .await?
            .error_for_status()?
            .json()
            .await?;
        if info["sub"] != claims["sub"] {
            bail!("userinfo names another subject than the ID token");
        }
        Ok(claims)
    }

    async fn check_id_token(&self, id_token: &str, nonce: &str) -> anyhow::Result<Map<String, Value>> {
        let jwks: Value = self.http.get(self.endpoint("jwks_uri")?).send().await?.error_for_status()?.json().await?;
        let jws = Jws::parse(id_token).map_err(|e| anyhow::anyhow!("the ID token is not a JWT: {e}"))?;
        let kid = jws.header.get("kid").cloned().unwrap_or_default();
        let jwk = jwks["keys"]
            .as_array()
            .and_then(|k| k.iter().find(|k| k["kid"] == kid))
            .context("no published key for the ID token's kid")?;
        let key: Jwk = serde_json::from_value(jwk.clone())?;
        jws.verify(&key.to_public_key().map_err(|e| anyhow::anyhow!("{e}"))?)
            .map_err(|e| anyhow::anyhow!("the ID token's signature: {e}"))?;
        let c = jws.payload.clone();
        let now = dojang_types::wall_clock_ms() / 1000;
        if c.get("iss").and_then(Value::as_str) != Some(self.issuer.as_str())
            || c.get("aud").and_then(Value::as_str) != Some(self.client_id.as_str())
        {
            bail!("the ID token is not from this issuer for this client");
        }
        if c.get("nonce").and_then(Value::as_str) != Some(nonce) {
            bail!("the ID token's nonce is not this login's");
        }
        if c.get("exp").and_then(Value::as_u64).is_none_or(|exp| exp <= now) {
            bail!("the ID token has expired");
        }
        Ok(c)
    }
}
