//! Who may open the office's console: the office's own staff accounts (user name and an
//! Argon2id password hash in the office's config, never a shared token), sessions held in
//! memory behind a random cookie, and a lock after repeated failed log-ins so a password cannot
//! be guessed at the speed of the network. Password checks are slow and memory-hungry by design
//! (Argon2id, 19 MiB each), so only a few run at once; more are told to retry.

use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};
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
/// Password checks running at once; more log-ins are refused with [`LoginError::Busy`].
pub const MAX_CONCURRENT_CHECKS: usize = 2;

/// One staff account as the office's config names it.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StaffAccount {
    pub user: String,
    /// A PHC string from `dojang verifier hash-password` (`$argon2id$v=19$...`).
    pub password_hash: String,
}

/// Why the staff accounts cannot be used (the service does not start) or a hash not made.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum StaffError {
    #[error("staff account '{0}': the password hash is not an Argon2id PHC string ({1}); make it with `dojang verifier hash-password`")]
    BadHash(String, String),
    #[error("the password could not be hashed: {0}")]
    Hashing(String),
    #[error("staff account '{0}' is listed twice")]
    Duplicate(String),
    #[error("a staff user name is 1 to 64 letters, digits, '.', '-' or '_' ('{0}' is not)")]
    BadUser(String),
    #[error("a staff password has at least {MIN_PASSWORD_CHARS} characters")]
    ShortPassword,
}

/// Why a log-in failed (the page says no more than "wrong user or password" for a wrong one).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LoginError {
    Wrong,
    /// The user name is locked for this long after too many failures.
    Locked {
        seconds: u64,
    },
    /// As many password checks as allowed are running; try again in a moment.
    Busy,
}

/// An Argon2id PHC string for `password`, with a fresh random salt.
pub fn hash_password(password: &str) -> Result<String, StaffError> {
    if password.chars().count() < MIN_PASSWORD_CHARS {
        return Err(StaffError::ShortPassword);
    }
    let mut salt = [0u8; 16];
    rand::thread_rng().fill_bytes(&mut salt);
    let salt = SaltString::encode_b64(&salt).map_err(|e| StaffError::Hashing(e.to_string()))?;
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| StaffError::Hashing(e.to_string()))
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
    /// Failed log-ins by user name, for the office's own accounts only (an unknown name can
    /// never log in, so it needs no lock, and cannot grow this map).
    failures: Mutex<HashMap<String, Failures>>,
    checking: AtomicUsize,
}

/// One password check in progress (counted while it lives).
struct Checking<'a>(&'a AtomicUsize);

impl Drop for Checking<'_> {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::SeqCst);
    }
}

impl Staff {
    /// Checks every account (user name shape, hash format, no duplicates) before the service starts.
    pub fn new(accounts: &[StaffAccount]) -> Result<Staff, StaffError> {
        let mut map = HashMap::new();
        for a in accounts {
            if !user_ok(&a.user) {
                return Err(StaffError::BadUser(a.user.clone()));
            }
            let hash =
                PasswordHash::new(&a.password_hash).map_err(|e| StaffError::BadHash(a.user.clone(), e.to_string()))?;
            if hash.algorithm.as_str() != "argon2id" {
                return Err(StaffError::BadHash(a.user.clone(), format!("algorithm {}", hash.algorithm)));
            }
            if map.insert(a.user.clone(), a.password_hash.clone()).is_some() {
                return Err(StaffError::Duplicate(a.user.clone()));
            }
        }
        Ok(Staff {
            accounts: map,
            sessions: Mutex::default(),
            failures: Mutex::default(),
            checking: AtomicUsize::new(0),
        })
    }

    /// No accounts: the console is off.
    pub fn is_empty(&self) -> bool {
        self.accounts.is_empty()
    }

    /// Checks a user's password (slow by design: run it off the async threads) and opens a
    /// session, returning its token.
    pub fn log_in(&self, user: &str, password: &str) -> Result<String, LoginError> {
        if self.checking.fetch_add(1, Ordering::SeqCst) >= MAX_CONCURRENT_CHECKS {
            self.checking.fetch_sub(1, Ordering::SeqCst);
            return Err(LoginError::Busy);
        }
        let _checking = Checking(&self.checking);
        let now = Instant::now();
        let known = self.accounts.contains_key(user);
        if known {
            // The attempt counts before the slow check, so parallel guesses cannot all slip
            // past one lock check.
            let mut failures = self.failures.lock().unwrap_or_else(|p| p.into_inner());
            let f = failures.entry(user.to_string()).or_default();
            if let Some(until) = f.locked_until.filter(|u| *u > now) {
                return Err(LoginError::Locked { seconds: (until - now).as_secs().max(1) });
            }
            f.count += 1;
            if f.count > MAX_FAILURES {
                f.count = 0;
                f.locked_until = Some(now + LOCKOUT);
                return Err(LoginError::Locked { seconds: LOCKOUT.as_secs() });
            }
        }
        // An unknown user costs the same as a known one, so timing does not tell them apart.
        let fallback =
            "$argon2id$v=19$m=19456,t=2,p=1$c2FsdHNhbHRzYWx0c2FsdA$0000000000000000000000000000000000000000000";
        let stored = self.accounts.get(user).map(String::as_str).unwrap_or(fallback);
        let verified = PasswordHash::new(stored)
            .map(|h| Argon2::default().verify_password(password.as_bytes(), &h).is_ok())
            .unwrap_or(false);
        if !(known && verified) {
            return Err(LoginError::Wrong);
        }
        self.failures.lock().unwrap_or_else(|p| p.into_inner()).remove(user);
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

    /// Ends a session.
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
    fn unknown_names_leave_no_trace_and_checks_beyond_the_limit_are_refused() {
        let s = staff();
        for i in 0..100 {
            assert_eq!(s.log_in(&format!("guess{i}"), "whatever password"), Err(LoginError::Wrong));
        }
        assert!(s.failures.lock().unwrap().is_empty(), "failures are kept for the office's accounts only");
        s.checking.store(MAX_CONCURRENT_CHECKS, Ordering::SeqCst);
        assert_eq!(s.log_in("kim", "correct horse battery"), Err(LoginError::Busy));
        s.checking.store(0, Ordering::SeqCst);
        assert!(s.log_in("kim", "correct horse battery").is_ok(), "the refused attempt left the count as it was");
    }

    #[test]
    fn bad_accounts_are_refused_at_start() {
        let hash = hash_password("correct horse battery").unwrap();
        let a = |user: &str, h: &str| StaffAccount { user: user.into(), password_hash: h.into() };
        assert!(matches!(Staff::new(&[a("kim", "plain-text")]), Err(StaffError::BadHash(..))));
        let pbkdf2 = "$pbkdf2-sha256$i=1000$c2FsdHNhbHRzYWx0c2FsdA$0000000000000000000000000000000000000000000";
        assert!(matches!(Staff::new(&[a("kim", pbkdf2)]), Err(StaffError::BadHash(..))), "argon2id only");
        assert!(matches!(Staff::new(&[a("kim", &hash), a("kim", &hash)]), Err(StaffError::Duplicate(_))));
        assert!(matches!(Staff::new(&[a("kim lee", &hash)]), Err(StaffError::BadUser(_))));
        assert!(matches!(Staff::new(&[a("", &hash)]), Err(StaffError::BadUser(_))));
        assert_eq!(hash_password("short"), Err(StaffError::ShortPassword));
    }
}
