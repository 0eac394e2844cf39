//! Single-use nonces for presentation requests (ELIG-03, AUTH-03): a nonce is handed out with
//! a request, may be spent once, and lapses after its lifetime.

use std::collections::HashMap;
use std::sync::Mutex;

use rand::RngCore as _;

use crate::jose::b64;

/// Why a nonce could not be spent.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NonceProblem {
    /// Never issued here, or lapsed.
    Unknown,
    /// Already spent: the presentation is a replay.
    Spent,
}

#[derive(Debug, Clone, Copy)]
enum Entry {
    Open { expires: u64 },
    Spent { expires: u64 },
}

/// The nonces a verifier has issued. Spent nonces are remembered until they would have lapsed,
/// which is as long as a replay could still be accepted otherwise.
pub struct NonceBook {
    lifetime: u64,
    entries: Mutex<Entries>,
}

#[derive(Default)]
struct Entries {
    map: HashMap<String, Entry>,
    /// Lapsed entries are swept when the map grows past this size (amortized, never per call).
    sweep_at: usize,
}

impl NonceBook {
    /// `lifetime` in seconds.
    pub fn new(lifetime: u64) -> NonceBook {
        NonceBook { lifetime, entries: Mutex::new(Entries { map: HashMap::new(), sweep_at: 4096 }) }
    }

    pub fn issue(&self, now: u64) -> String {
        let mut raw = [0u8; 18];
        rand::thread_rng().fill_bytes(&mut raw);
        let nonce = b64(&raw);
        let mut entries = self.entries.lock().unwrap_or_else(|p| p.into_inner());
        if entries.map.len() >= entries.sweep_at {
            entries.map.retain(|_, e| match e {
                Entry::Open { expires } | Entry::Spent { expires } => *expires > now,
            });
            entries.sweep_at = (entries.map.len() * 2).max(4096);
        }
        entries.map.insert(nonce.clone(), Entry::Open { expires: now + self.lifetime });
        nonce
    }

    /// Spends `nonce` once.
    pub fn spend(&self, nonce: &str, now: u64) -> Result<(), NonceProblem> {
        let mut entries = self.entries.lock().unwrap_or_else(|p| p.into_inner());
        match entries.map.get(nonce).copied() {
            Some(Entry::Open { expires }) if expires > now => {
                entries.map.insert(nonce.to_string(), Entry::Spent { expires });
                Ok(())
            }
            Some(Entry::Spent { .. }) => Err(NonceProblem::Spent),
            _ => Err(NonceProblem::Unknown),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_nonce_is_spent_once_and_lapses() {
        let book = NonceBook::new(60);
        let n = book.issue(1000);
        assert_eq!(book.spend(&n, 1001), Ok(()));
        assert_eq!(book.spend(&n, 1002), Err(NonceProblem::Spent));
        assert_eq!(book.spend("never-issued", 1002), Err(NonceProblem::Unknown));
        let late = book.issue(1000);
        assert_eq!(book.spend(&late, 1060), Err(NonceProblem::Unknown));
    }
}
