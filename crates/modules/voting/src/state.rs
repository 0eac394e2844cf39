//! Records under `voting/`:
//! - `polls/<poll>`: the spec, its status, the election key and trustees' verification keys;
//! - `dealings/<poll>/<trustee>`: each trustee's dealing;
//! - `tally/<poll>`: the running encrypted totals and the counts (voters, ballots, issued);
//! - `voters/<poll>/<voting account>`: the counted ballot's ciphertexts and tracking code,
//!   kept so a later ballot can replace it (VOTE-02);
//! - `board/<poll>/<tracking code>`: where each ballot is, for the voter to find (VOTE-08);
//! - `shares/<poll>/<trustee>`: decryption shares;
//! - `complaints/<poll>/<dealer>`: the founded complaint that put a dealing out;
//! - `registrar_keys/<fingerprint>`: the poll each registrar key serves (one poll per key).

use std::sync::Mutex;

use dojang_ballot::{Ciphertext, Element};
use dojang_ledger::{decode_record, read_record, write_record, ModuleError, StateRead, StateWrite};
use dojang_types::{Address, Hash};
use serde::{Deserialize, Serialize};

use crate::msg::PollSpec;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    /// Created; trustees deal and complain.
    KeyGeneration,
    Open,
    Closed,
    /// The result is published.
    Tallied,
    /// Fewer than `threshold` dealings stood at the opening: no key, no vote.
    Failed,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Poll {
    pub spec: PollSpec,
    pub office: Address,
    pub created_height: u64,
    pub status: Status,
    /// Trustees (numbered from 1) whose dealing was posted.
    #[serde(default)]
    pub dealt: Vec<u32>,
    /// Trustees whose dealing a founded complaint put out.
    #[serde(default)]
    pub disqualified: Vec<u32>,
    #[serde(default)]
    pub key: Option<Element>,
    /// Trustee `j`'s verification key at index `j − 1`.
    #[serde(default)]
    pub verification_keys: Vec<Element>,
    #[serde(default)]
    pub result: Option<Vec<Vec<u64>>>,
    #[serde(default)]
    pub failure: Option<String>,
}

impl Poll {
    /// The trustee number of an account, if it is one of the poll's trustees.
    pub fn trustee_number(&self, a: &Address) -> Option<u32> {
        self.spec.trustees.iter().position(|t| t.account == *a).map(|i| i as u32 + 1)
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Tally {
    /// One sum per option, question after question.
    pub totals: Vec<Ciphertext>,
    /// Voting credentials that have a ballot counted.
    pub voters: u64,
    /// Ballots accepted, replaced ones included.
    pub ballots: u64,
    /// Credentials the registrar says it issued.
    pub issued: u64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct VoterRecord {
    pub tracking: Hash,
    pub choices: Vec<Ciphertext>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BoardEntry {
    pub height: u64,
    pub tx: Hash,
    /// Replaced by a later ballot under the same credential.
    #[serde(default)]
    pub replaced: bool,
}

pub fn poll_key(poll: &str) -> String {
    format!("polls/{poll}")
}

pub fn dealing_key(poll: &str, trustee: u32) -> String {
    format!("dealings/{poll}/{trustee:02}")
}

pub fn tally_key(poll: &str) -> String {
    format!("tally/{poll}")
}

pub fn voter_key(poll: &str, voter: &Address) -> String {
    format!("voters/{poll}/{voter}")
}

pub fn board_key(poll: &str, tracking: &Hash) -> String {
    format!("board/{poll}/{tracking}")
}

/// The founded complaint that put trustee `dealer`'s dealing out, kept so anyone can judge it
/// again.
pub fn complaint_key(poll: &str, dealer: u32) -> String {
    format!("complaints/{poll}/{dealer:02}")
}

/// The poll a registrar key (by [`crate::credential::RegistrarKey::fingerprint`]) serves.
pub fn registrar_key_key(fingerprint: &Hash) -> String {
    format!("registrar_keys/{fingerprint}")
}

pub fn share_key(poll: &str, trustee: u32) -> String {
    format!("shares/{poll}/{trustee:02}")
}

pub fn read<T: serde::de::DeserializeOwned>(state: &dyn StateRead, key: &str) -> Result<Option<T>, ModuleError> {
    read_record(state, key.as_bytes())
}

pub fn write<T: Serialize>(state: &mut dyn StateWrite, key: &str, value: &T) {
    write_record(state, key.as_bytes(), value);
}

/// The tally record last written, with its points decoded. Each ballot reads the record the
/// ballot before it wrote, and decoding its points costs more than the rest of that read.
/// The cache answers only for the very bytes the state holds (anything else, another poll or
/// a write a failed transaction discarded, is decoded afresh), so it never changes a result.
#[derive(Debug, Default)]
pub struct TallyCache(Mutex<Option<(String, Vec<u8>, Tally)>>);

impl TallyCache {
    fn slot(&self) -> std::sync::MutexGuard<'_, Option<(String, Vec<u8>, Tally)>> {
        self.0.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    pub fn read(&self, state: &dyn StateRead, poll: &str) -> Result<Option<Tally>, ModuleError> {
        let key = tally_key(poll);
        let Some(bytes) = state.get(key.as_bytes())? else { return Ok(None) };
        if let Some((p, b, t)) = &*self.slot() {
            if p == poll && *b == bytes {
                return Ok(Some(t.clone()));
            }
        }
        decode_record(&bytes, &key).map(Some)
    }

    pub fn write(&self, state: &mut dyn StateWrite, poll: &str, tally: Tally) {
        let bytes = serde_json::to_vec(&tally).expect("a tally record serializes to JSON");
        state.put(tally_key(poll).as_bytes(), bytes.clone());
        *self.slot() = Some((poll.to_string(), bytes, tally));
    }
}
