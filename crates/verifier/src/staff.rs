//! Who may open the office's console: the office's own staff accounts (user name and an
//! Argon2id password hash in the office's config, never a shared token), sessions held in
//! memory behind a random cookie, and a lock after repeated failed log-ins so a password cannot
//! be guessed at the speed of the network.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::Argon2;
use rand::RngCore as _;
use serde::Deserialize;

/// How long a session lasts without use.
pub const IDLE: Duration = Duration::from_secs(30 * 60);
/// How long a session lasts at most (a working day).
pub const MAX_SESSION: Duration = Duration::from_secs(10 * 3600);
/// Failed log-ins for one user name before it is locked.
pub const MAX_FAILURES: u32 = 5;
/// How long a user name stays locked after [`MAX_FAILURES`].
pub const LOCKOUT: Duration = Duration::from_secs(5 * 60);
/// Sessions held at once; the oldest is ended beyond this.
const MAX_SESSIONS: usize = 1000;
/// The shortest password a staff account may have.
pub const MIN_PASSWORD_CHARS: usize = 12;

/// One staff account as the office's config names it.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StaffAccount {
    pub user: String,
    /// A PHC string from `dojang verifier hash-password` (`$argon2id$v=19$...`).
    pub password_hash: String,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum StaffError {
    #[error("staff account '{0}': the password hash is not an Argon2 PHC string ({1}); make it with `dojang verifier hash-password`")]
    BadHash(String, String),
    #[error("staff account '{0}' is listed twice")]
    Duplicate(String),
    #[error("a staff user name is 1 to 64 letters, digits, '.', '-' or '_' ('{0}' is not)")]
    BadUser(String),
    #[error("a staff password has at least {MIN_PASSWORD_CHARS} characters")]
    ShortPassword,
}

/// Why a log-in failed (the page says no more than "wrong user or password" for the first two).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LoginError {
    Wrong,
    Locked { seconds: u64 },
}

/// An Argon2id PHC string for `password`, with a fresh random salt.
pub fn hash_password(password: &str) -> Result<String, StaffError> {
    if password.chars().count() < MIN_PASSWORD_CHARS {
        return Err(StaffError::ShortPassword);
    }
    let mut salt = [0u8; 16];
    rand::thread_rng().fill_bytes(&mut salt);
    let salt = SaltString::encode_b64(&salt).map_err(|e| StaffError::BadHash(String::new(), e.to_string()))?;
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| StaffError::BadHash(String::new(), e.to_string()))
}

fn user_ok(user: &str) -> bool {
    (1..=64).contains(&user.len()) && user.bytes().all(|b| b.is_ascii_alphanumeric() || b"._-".contains(&b))
}

struct Session {
    user: String,
    started: Instant,
    last_used: Instant,
}

#[derive(Default)]
struct Failures {
    count: u32,
    locked_until: Option<Instant>,
}

/// The staff accounts and the sessions open now.
pub struct Staff {
    accounts: HashMap<String, String>,
    sessions: Mutex<HashMap<String, Session>>,
    failures: Mutex<HashMap<String, Failures>>,
}

impl Staff {
    /// Checks every account (user name shape, hash format, no duplicates) before the service starts.
    pub fn new(accounts: &[StaffAccount]) -> Result<Staff, StaffError> {
        let mut map = HashMap::new();
        for a in accounts {
            if !user_ok(&a.user) {
                return Err(StaffError::BadUser(a.user.clone()));
            }
            PasswordHash::new(&a.password_hash).map_err(|e| StaffError::BadHash(a.user.clone(), e.to_string()))?;
            if map.insert(a.user.clone(), a.password_hash.clone()).is_some() {
                return Err(StaffError::Duplicate(a.user.clone()));
            }
        }
        Ok(Staff { accounts: map, sessions: Mutex::default(), failures: Mutex::default() })
    }

    pub fn is_empty(&self) -> bool {
        self.accounts.is_empty()
    }

    /// Checks a user's password (slow by design: run it off the async threads) and opens a
    /// session, returning its token.
    pub fn log_in(&self, user: &str, password: &str) -> Result<String, LoginError> {
        let now = Instant::now();
        {
            let failures = self.failures.lock().unwrap_or_else(|p| p.into_inner());
            if let Some(until) = failures.get(user).and_then(|f| f.locked_until).filter(|u| *u > now) {
                return Err(LoginError::Locked { seconds: (until - now).as_secs().max(1) });
            }
        }
        // An unknown user costs the same as a known one, so timing does not tell them apart.
        let fallback =
            "$argon2id$v=19$m=19456,t=2,p=1$c2FsdHNhbHRzYWx0c2FsdA$0000000000000000000000000000000000000000000";
        let stored = self.accounts.get(user).map(String::as_str).unwrap_or(fallback);
        let ok = PasswordHash::new(stored)
            .map(|h| Argon2::default().verify_password(password.as_bytes(), &h).is_ok())
            .unwrap_or(false)
            && self.accounts.contains_key(user);
        let mut failures = self.failures.lock().unwrap_or_else(|p| p.into_inner());
        if !ok {
            let f = failures.entry(user.to_string()).or_default();
            f.count += 1;
            if f.count >= MAX_FAILURES {
                f.count = 0;
                f.locked_until = Some(now + LOCKOUT);
            }
            if failures.len() > 10_000 {
                failures.retain(|_, f| f.locked_until.is_some_and(|u| u > now));
            }
            return Err(LoginError::Wrong);
        }
        failures.remove(user);
        drop(failures);
        let mut raw = [0u8; 32];
        rand::thread_rng().fill_bytes(&mut raw);
        let token = hex::encode(raw);
        let mut sessions = self.sessions.lock().unwrap_or_else(|p| p.into_inner());
        sessions.retain(|_, s| live(s, now));
        if sessions.len() >= MAX_SESSIONS {
            if let Some(oldest) = sessions.iter().min_by_key(|(_, s)| s.last_used).map(|(k, _)| k.clone()) {
                sessions.remove(&oldest);
            }
        }
        sessions.insert(token.clone(), Session { user: user.to_string(), started: now, last_used: now });
        Ok(token)
    }

    /// The user a session token belongs to, if it is live (and marks it used).
    pub fn user(&self, token: &str) -> Option<String> {
        let now = Instant::now();
        let mut sessions = self.sessions.lock().unwrap_or_else(|p| p.into_inner());
        match sessions.get_mut(token) {
            Some(s) if live(s, now) => {
                s.last_used = now;
                Some(s.user.clone())
            }
            Some(_) => {
                sessions.remove(token);
                None
            }
            None => None,
        }
    }

    pub fn log_out(&self, token: &str) {
        self.sessions.lock().unwrap_or_else(|p| p.into_inner()).remove(token);
    }
}

fn live(s: &Session, now: Instant) -> bool {
    now.duration_since(s.last_used) < IDLE && now.duration_since(s.started) < MAX_SESSION
}

#[cfg(test)]
mod tests {
    use super::*;

    fn staff() -> Staff {
        let hash = hash_password("correct horse battery").unwrap();
        Staff::new(&[StaffAccount { user: "kim".into(), password_hash: hash }]).unwrap()
    }

    #[test]
    fn the_right_password_opens_a_session_and_log_out_ends_it() {
        let s = staff();
        let token = s.log_in("kim", "correct horse battery").unwrap();
        assert_eq!(s.user(&token).as_deref(), Some("kim"));
        assert_eq!(s.user("not-a-token"), None);
        s.log_out(&token);
        assert_eq!(s.user(&token), None);
    }

    #[test]
    fn wrong_passwords_and_unknown_users_fail_and_repeated_failures_lock_the_name() {
        let s = staff();
        assert_eq!(s.log_in("lee", "correct horse battery"), Err(LoginError::Wrong));
        for _ in 0..MAX_FAILURES - 1 {
            assert_eq!(s.log_in("kim", "wrong password here"), Err(LoginError::Wrong));
        }
        assert_eq!(s.log_in("kim", "wrong password here"), Err(LoginError::Wrong));
        assert!(
            matches!(s.log_in("kim", "correct horse battery"), Err(LoginError::Locked { seconds }) if seconds > 0),
            "locked even with the right password"
        );
    }

    #[test]
    fn bad_accounts_are_refused_at_start() {
        let hash = hash_password("correct horse battery").unwrap();
        let a = |user: &str, h: &str| StaffAccount { user: user.into(), password_hash: h.into() };
        assert!(matches!(Staff::new(&[a("kim", "plain-text")]), Err(StaffError::BadHash(..))));
        assert!(matches!(Staff::new(&[a("kim", &hash), a("kim", &hash)]), Err(StaffError::Duplicate(_))));
        assert!(matches!(Staff::new(&[a("kim lee", &hash)]), Err(StaffError::BadUser(_))));
        assert!(matches!(Staff::new(&[a("", &hash)]), Err(StaffError::BadUser(_))));
        assert_eq!(hash_password("short"), Err(StaffError::ShortPassword));
    }
}
