//! The chain a client trusts, pinned from the genesis it was given: the chain id, the validator
//! set it follows (from the genesis set onwards, each change proven by a certificate of the set
//! pinned before it), the lowest height it still accepts, and how old a header may be. The node
//! being checked never supplies the set it is checked against.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use dojang_crypto::{verify_commit, verify_state_proof};
use dojang_types::{encode, validators_hash, BlockHeader, Commit, Hash, PublicKey, Validator};
use serde::Deserialize;

use crate::verify::VerifyError;

/// Where the validator set lives in state (the ledger's key, read with a proof).
pub const VALIDATORS_KEY: &[u8] = b"ledger/validators";

/// The default largest age of a header a read is accepted from: idle chains still make a block
/// every second or so, so a minute means the node has stopped following the chain.
pub const DEFAULT_MAX_AGE: Duration = Duration::from_secs(60);

/// How far a header's time may lie ahead of the local clock.
pub const MAX_FUTURE_SKEW_MS: u64 = 60_000;

#[derive(Debug, Clone)]
struct Pinned {
    validators: Arc<Vec<Validator>>,
    hash: Hash,
    /// The first height this set is known to decide.
    from: u64,
    /// The lowest height a read is still accepted at (raised by every verified read).
    min_height: u64,
}

/// A chain pinned from a trusted genesis (see the module description). Shared by every read a
/// wallet or verifier makes, so the minimum height only ever rises.
#[derive(Debug)]
pub struct TrustedChain {
    chain_id: String,
    max_age_ms: u64,
    /// How far ahead of the local clock the chain's clock is declared to run (0 for a real
    /// chain; see [`TrustedChain::set_clock_ahead`]).
    clock_ahead_ms: AtomicU64,
    pinned: Mutex<Pinned>,
}

/// The part of a genesis file a client pins: the chain's id and the set deciding height 1.
#[derive(Deserialize)]
struct GenesisPin {
    chain_id: String,
    validators: Vec<GenesisValidator>,
}

#[derive(Deserialize)]
struct GenesisValidator {
    name: String,
    public_key: PublicKey,
    power: u64,
}

impl TrustedChain {
    /// Pins the chain a genesis file names (the file a city hands out with its chain, never a
    /// node's answer), with [`DEFAULT_MAX_AGE`]. The validators are taken in address order,
    /// the order consensus hashes them in.
    pub fn from_genesis_file(path: &std::path::Path) -> Result<Self, VerifyError> {
        let bad = |e: String| VerifyError::Malformed(format!("the trusted genesis {}: {e}", path.display()));
        let text = std::fs::read(path).map_err(|e| bad(e.to_string()))?;
        let g: GenesisPin = serde_json::from_slice(&text).map_err(|e| bad(e.to_string()))?;
        if g.validators.is_empty() {
            return Err(bad("it names no validators".into()));
        }
        let mut set: Vec<Validator> = g
            .validators
            .into_iter()
            .map(|v| Validator {
                address: v.public_key.address(),
                public_key: v.public_key,
                power: v.power,
                name: v.name,
            })
            .collect();
        set.sort_by_key(|v| v.address);
        Ok(TrustedChain::new(g.chain_id, set, DEFAULT_MAX_AGE))
    }

    /// `genesis_validators`: the set the trusted genesis names (it decides height 1).
    pub fn new(chain_id: impl Into<String>, genesis_validators: Vec<Validator>, max_age: Duration) -> Self {
        let hash = validators_hash(&genesis_validators);
        TrustedChain {
            chain_id: chain_id.into(),
            max_age_ms: u64::try_from(max_age.as_millis()).unwrap_or(u64::MAX),
            clock_ahead_ms: AtomicU64::new(0),
            pinned: Mutex::new(Pinned { validators: Arc::new(genesis_validators), hash, from: 1, min_height: 0 }),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Pinned> {
        self.pinned.lock().unwrap_or_else(|p| p.into_inner())
    }

    pub fn chain_id(&self) -> &str {
        &self.chain_id
    }

    /// The lowest height a read is accepted at.
    pub fn min_height(&self) -> u64 {
        self.lock().min_height
    }

    /// Refuses answers below `height` to reads sent from now on, e.g. the height at which a
    /// revocation was seen final (a read already in flight is held to the minimum when it was
    /// sent; a cache keeps each record's height so such an answer cannot undo a newer one).
    pub fn require_height(&self, height: u64) {
        let mut p = self.lock();
        p.min_height = p.min_height.max(height);
    }

    /// The pinned set and the first height it is known to decide.
    pub fn pinned(&self) -> (u64, Vec<Validator>) {
        let p = self.lock();
        (p.from, p.validators.to_vec())
    }

    pub(crate) fn seen(&self, height: u64) {
        self.require_height(height);
    }

    /// Takes the chain's clock to run `ms` ahead of the local one from now on: for a
    /// development chain whose node was started with its clock moved on
    /// (`ledger.fault_clock_offset_ms`, how the demos let months pass in seconds), whose
    /// blocks would otherwise all be refused as from the future. Never for a real chain: a
    /// wrong figure lets a stale node pass for a fresh one.
    pub fn set_clock_ahead(&self, ms: u64) {
        self.clock_ahead_ms.store(ms, Ordering::Relaxed);
    }

    /// Chain id, minimum height and age: what a node answering from stale or foreign state
    /// fails. `now_ms` is the local clock.
    pub fn check_header(&self, header: &BlockHeader, now_ms: u64) -> Result<(), VerifyError> {
        self.check_header_since(header, now_ms, self.min_height())
    }

    /// [`check_header`](Self::check_header) for an answer to a request sent when the minimum
    /// was `min` (read it with [`min_height`](Self::min_height) before sending): reads in
    /// flight together may come back out of order across a block, and one asked before a
    /// later block was seen may honestly be answered below it. A request sent after height
    /// `h` was seen is still never accepted below `h`.
    pub(crate) fn check_header_since(&self, header: &BlockHeader, now_ms: u64, min: u64) -> Result<(), VerifyError> {
        let now_ms = now_ms.saturating_add(self.clock_ahead_ms.load(Ordering::Relaxed));
        if header.chain_id != self.chain_id {
            return Err(VerifyError::WrongChain { expected: self.chain_id.clone(), got: header.chain_id.clone() });
        }
        if header.height < min {
            return Err(VerifyError::BelowMinHeight { height: header.height, min });
        }
        if header.time_ms > now_ms.saturating_add(MAX_FUTURE_SKEW_MS) {
            return Err(VerifyError::FromTheFuture { block_time_ms: header.time_ms, now_ms });
        }
        let age_ms = now_ms.saturating_sub(header.time_ms);
        if age_ms > self.max_age_ms {
            return Err(VerifyError::TooOld { block_time_ms: header.time_ms, age_ms, max_age_ms: self.max_age_ms });
        }
        Ok(())
    }

    /// Whether the pinned set is not the one `header` names, so it must be followed first.
    pub fn needs_follow(&self, header: &BlockHeader) -> bool {
        let p = self.lock();
        header.validators_hash != p.hash
    }

    /// The pinned set, if it is the one deciding `header`'s height.
    pub(crate) fn validators_for(&self, header: &BlockHeader) -> Result<Arc<Vec<Validator>>, VerifyError> {
        let p = self.lock();
        if header.validators_hash != p.hash || header.height < p.from {
            return Err(VerifyError::Follow {
                height: header.height,
                reason: format!(
                    "the header names validator set {}, the pinned set (from height {}) is {}",
                    header.validators_hash, p.from, p.hash
                ),
            });
        }
        Ok(p.validators.clone())
    }

    /// One step of following: `set` is the set deciding `prev.height + 1`, proven by `proof`
    /// against the state root of `prev`, whose certificate `commit` must carry more than two
    /// thirds of the power of the set pinned now. Then `set` is pinned from `prev.height + 1`.
    /// A certificate the pinned set did not sign fails with [`VerifyError::Commit`].
    pub fn advance(
        &self,
        prev: &BlockHeader,
        commit: &Commit,
        set: Vec<Validator>,
        proof: &[u8],
    ) -> Result<(), VerifyError> {
        let height = prev.height.saturating_add(1);
        if prev.chain_id != self.chain_id {
            return Err(VerifyError::WrongChain { expected: self.chain_id.clone(), got: prev.chain_id.clone() });
        }
        if set.is_empty() {
            return Err(VerifyError::Follow { height, reason: "the proven set is empty".into() });
        }
        let current = self.lock().clone();
        if height <= current.from {
            return Err(VerifyError::Follow {
                height,
                reason: format!("the pinned set already decides from height {}; following goes forward", current.from),
            });
        }
        verify_commit(prev, commit, &current.validators)?;
        verify_state_proof(VALIDATORS_KEY, Some(&encode(&set)), &prev.state_root, proof)
            .map_err(|e| VerifyError::Proof(e.to_string()))?;
        let mut p = self.lock();
        if p.from != current.from {
            return Err(VerifyError::Follow {
                height,
                reason: "another read followed the set meanwhile; retry".into(),
            });
        }
        p.hash = validators_hash(&set);
        p.validators = Arc::new(set);
        p.from = height;
        Ok(())
    }
}

#[cfg(test)]
#[path = "light_tests.rs"]
mod tests;
