//! The vocabulary every other crate speaks: identifiers, transactions, blocks, receipts and
//! commit certificates, with one canonical binary encoding (borsh) so that every node, SDK and
//! foreign client derives the same bytes, hashes and signatures.

mod block;
mod date;
mod evidence;
mod hash;
pub mod hex_digits;
mod keys;
mod merkle;
mod query;
mod receipt;
mod tx;
mod typed_event;
mod url;
mod validators;

pub use block::{Block, BlockHeader, Commit, CommitSignature, VoteSignBytes, VOTE_DOMAIN};
pub use date::{Date, KST_OFFSET_MS};
pub use evidence::{Evidence, EvidenceKind};
pub use hash::{sha256, Hash};
pub use keys::{Address, PublicKey, Signature};
pub use merkle::{merkle_proof, merkle_root, merkle_root_from_proof, MerkleTree, ProofStep};
pub use query::{KeyedRecord, ModuleQuery, RecordQuery};
pub use receipt::{Event, Receipt, TxStatus};
pub use tx::{ModuleMessage, SignedTx, TxBody, TxError, MAX_TX_BYTES, TX_DOMAIN};
pub use typed_event::ModuleEvent;
pub use url::{percent_decode, percent_encode, query_param};
pub use validators::{total_power, validators_hash, Validator, MAX_TOTAL_POWER, MAX_VALIDATORS};

/// Wall-clock Unix time in milliseconds, for the edges only: admission, block proposals,
/// clients and metrics. Execution never calls it; it reads time from the block header.
pub fn wall_clock_ms() -> u64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_millis() as u64).unwrap_or(0)
}

/// Whether `name` is a plain identifier: 1 to `max_len` characters of `a-z 0-9 _ . -`. Names
/// that go on the ledger (parameter tables, anchor namespaces) are held to this so that they
/// cannot carry free text, such as a person's name, by accident.
pub fn is_plain_name(name: &str, max_len: usize) -> bool {
    !name.is_empty()
        && name.len() <= max_len
        && name.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b"_.-".contains(&b))
}

/// Encodes a value with the canonical encoding. Borsh is total for our types, so encoding
/// cannot fail; a failure would be a bug in a type definition, not bad input.
pub fn encode<T: borsh::BorshSerialize>(value: &T) -> Vec<u8> {
    borsh::to_vec(value).expect("borsh encoding of an in-memory value cannot fail")
}

/// Decodes a value and insists that every input byte was used, so that two different byte
/// strings never decode to the same value (which would let an attacker vary a hash).
pub fn decode<T: borsh::BorshDeserialize>(bytes: &[u8]) -> Result<T, DecodeError> {
    let mut slice = bytes;
    let value = T::deserialize(&mut slice).map_err(|e| DecodeError(e.to_string()))?;
    if !slice.is_empty() {
        return Err(DecodeError(format!("{} trailing bytes after the value", slice.len())));
    }
    Ok(value)
}

/// The input was not a canonical encoding of the expected type.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("malformed encoding: {0}")]
pub struct DecodeError(pub String);
