//! Who may use the desk: each linked app (the small-business federation's contract app, an
//! employer's payroll system) has its own bearer token, acts only for the employers the
//! desk's operator lists for it, and has its own rate limit, so one app's flood or leaked
//! token touches only its own employers and quota.

use std::sync::Mutex;
use std::time::Instant;

use dojang_types::{sha256, Address};
use serde::Deserialize;

/// A linked app as the desk's config lists it (`[[desk.clients]]`).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ClientEntry {
    /// A name for logs and the operator (e.g. "federation-contract-app").
    pub id: String,
    /// SHA-256 of the app's token, in hex, from `dojang labour new-client`. The desk never
    /// keeps the token itself: a copy of the config does not let anyone act as the app.
    pub token_sha256: String,
    /// The employer accounts this app acts for; requests for any other are refused.
    #[serde(default)]
    pub employers: Vec<Address>,
    /// Requests per minute, with bursts up to the same number.
    #[serde(default = "default_per_minute")]
    pub per_minute: u32,
}

fn default_per_minute() -> u32 {
    120
}

/// One app, authenticated.
pub struct Client {
    pub id: String,
    pub employers: Vec<Address>,
    token_hash: [u8; 32],
    per_minute: u32,
    bucket: Mutex<Bucket>,
}

struct Bucket {
    tokens: f64,
    at: Instant,
}

/// Why a request was refused before it was read.
#[derive(Debug, PartialEq, Eq)]
pub enum Refusal {
    /// No token, or not one the desk knows.
    Unauthenticated,
    /// The app used up its quota; try again after this many seconds.
    RateLimited { retry_after_s: u64 },
}

#[derive(Debug, thiserror::Error)]
pub enum ClientsError {
    #[error("client '{0}': token_sha256 must be 64 hex digits (from `dojang labour new-client`)")]
    BadHash(String),
    #[error("client '{0}' is listed twice, or shares its token with another client")]
    Duplicate(String),
    #[error("client '{0}': per_minute must be 1 to 100000")]
    BadRate(String),
}

/// Every app the desk serves.
pub struct Clients(Vec<Client>);

impl Clients {
    pub fn new(entries: &[ClientEntry]) -> Result<Clients, ClientsError> {
        let mut out: Vec<Client> = Vec::new();
        for e in entries {
            let token_hash: [u8; 32] = hex::decode(&e.token_sha256)
                .ok()
                .and_then(|b| b.try_into().ok())
                .ok_or_else(|| ClientsError::BadHash(e.id.clone()))?;
            if out.iter().any(|c| c.id == e.id || c.token_hash == token_hash) {
                return Err(ClientsError::Duplicate(e.id.clone()));
            }
            if !(1..=100_000).contains(&e.per_minute) {
                return Err(ClientsError::BadRate(e.id.clone()));
            }
            out.push(Client {
                id: e.id.clone(),
                employers: e.employers.clone(),
                token_hash,
                per_minute: e.per_minute,
                bucket: Mutex::new(Bucket { tokens: f64::from(e.per_minute), at: Instant::now() }),
            });
        }
        Ok(Clients(out))
    }

    /// The app whose token `authorization` (an HTTP `Authorization` header's value) carries,
    /// charged one request of its quota.
    pub fn admit(&self, authorization: Option<&str>) -> Result<&Client, Refusal> {
        let token = authorization
            .and_then(|h| h.strip_prefix("Bearer ").or_else(|| h.strip_prefix("bearer ")))
            .map(str::trim)
            .filter(|t| !t.is_empty())
            .ok_or(Refusal::Unauthenticated)?;
        let hash = sha256(&[token.as_bytes()]);
        // Every entry is compared in full, so the time taken says nothing about which matched.
        let mut found = None;
        for c in &self.0 {
            if dojang_crypto::same_secret(&c.token_hash, &hash.0) {
                found = Some(c);
            }
        }
        let client = found.ok_or(Refusal::Unauthenticated)?;
        client.charge(Instant::now())?;
        Ok(client)
    }
}

impl Client {
    /// Whether the app may act for `employer`.
    pub fn acts_for(&self, employer: &Address) -> bool {
        self.employers.contains(employer)
    }

    fn charge(&self, now: Instant) -> Result<(), Refusal> {
        let rate = f64::from(self.per_minute) / 60.0;
        let mut b = self.bucket.lock().unwrap_or_else(|p| p.into_inner());
        let refill = now.saturating_duration_since(b.at).as_secs_f64() * rate;
        b.tokens = (b.tokens + refill).min(f64::from(self.per_minute));
        b.at = now;
        if b.tokens >= 1.0 {
            b.tokens -= 1.0;
            Ok(())
        } else {
            Err(Refusal::RateLimited { retry_after_s: ((1.0 - b.tokens) / rate).ceil().max(1.0) as u64 })
        }
    }
}

/// A new token for an app and the hash the desk's config keeps: 32 random bytes, hex.
pub fn new_token() -> (String, String) {
    let token = format!("djl_{}", hex::encode(rand::random::<[u8; 32]>()));
    let hash = sha256(&[token.as_bytes()]);
    (token, hash.to_hex())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    fn clients(per_minute: u32) -> (Clients, String) {
        let (token, hash) = new_token();
        let entry = ClientEntry { id: "app".into(), token_sha256: hash, employers: vec![], per_minute };
        (Clients::new(&[entry]).unwrap(), token)
    }

    #[test]
    fn only_a_known_token_is_admitted() {
        let (c, token) = clients(10);
        assert_eq!(c.admit(Some(&format!("Bearer {token}"))).map(|c| c.id.clone()), Ok("app".into()));
        assert_eq!(c.admit(None).err(), Some(Refusal::Unauthenticated));
        assert_eq!(c.admit(Some(&token)).err(), Some(Refusal::Unauthenticated), "the scheme is required");
        assert_eq!(c.admit(Some("Bearer ")).err(), Some(Refusal::Unauthenticated));
        assert_eq!(c.admit(Some("Bearer djl_00")).err(), Some(Refusal::Unauthenticated));
    }

    #[test]
    fn a_burst_beyond_the_quota_waits_and_the_quota_refills() {
        let (c, _) = clients(60);
        let client = &c.0[0];
        let t0 = Instant::now();
        for _ in 0..60 {
            client.charge(t0).unwrap();
        }
        assert_eq!(client.charge(t0), Err(Refusal::RateLimited { retry_after_s: 1 }));
        client.charge(t0 + Duration::from_millis(1_100)).unwrap();
        assert!(client.charge(t0 + Duration::from_millis(1_100)).is_err());
    }

    #[test]
    fn malformed_entries_are_refused_with_the_reason() {
        let (_, hash) = new_token();
        let e = |id: &str, h: &str, per_minute| ClientEntry {
            id: id.into(),
            token_sha256: h.into(),
            employers: vec![],
            per_minute,
        };
        assert!(matches!(Clients::new(&[e("a", "zz", 10)]), Err(ClientsError::BadHash(_))));
        assert!(matches!(Clients::new(&[e("a", &hash, 0)]), Err(ClientsError::BadRate(_))));
        assert!(matches!(Clients::new(&[e("a", &hash, 10), e("b", &hash, 10)]), Err(ClientsError::Duplicate(_))));
    }
}
