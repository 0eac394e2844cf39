//! Ballot cryptography for citizen voting (DOMAIN.md §3), written so that a ballot made in a
//! browser and a tally checked by anyone agree byte for byte with what the ledger accepted.
//!
//! - [`group`]: ristretto255 elements and scalars as they travel, and the Fiat–Shamir hash;
//! - [`elgamal`]: exponential ElGamal, whose ciphertexts add up to the counts;
//! - [`proof`]: the zero-knowledge proofs (range, equal logarithms, knowledge), checked in a
//!   [`batch::Batch`] when there are many;
//! - [`ballot`]: a ballot's ciphertexts and proofs (VOTE-04), its tracking code (VOTE-08) and
//!   its audit (Benaloh's challenge);
//! - [`dkg`]: the trustees' key generation, `k` of `n`, with verifiable shares (VOTE-05);
//! - [`tally`]: decryption shares with proofs, and the counts from any `k` of them (VOTE-07).
//!
//! The group arithmetic is curve25519-dalek's; the proofs are standard constructions written
//! here over it, because the wallet must make them in TypeScript too. What was reviewed and
//! what this does not promise: docs/decisions/0019-ballot-cryptography.md.

pub mod ballot;
pub mod batch;
pub mod dkg;
pub mod elgamal;
pub mod group;
pub mod proof;
pub mod tally;

pub use ballot::{BallotSecrets, EncryptedAnswer, EncryptedBallot, QuestionShape};
pub use batch::Batch;
pub use dkg::{Complaint, Dealing};
pub use elgamal::Ciphertext;
pub use group::{Commitment, Element, Num};
pub use tally::DecryptionShare;

/// What was wrong with a ballot, a proof, a dealing or a tally.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BallotError {
    /// Bytes that are not a group element or a canonical scalar.
    #[error("malformed: {0}")]
    Encoding(String),
    /// Counts that do not fit: questions, options, trustees, ranges.
    #[error("wrong shape: {0}")]
    Shape(String),
    /// A proof that does not verify.
    #[error("proof fails: {0}")]
    Proof(String),
    /// A ballot that does not open to 0 or 1 with the randomness its device revealed.
    #[error("audit fails: {0}")]
    Audit(String),
    /// A dealer's share that does not match its commitments.
    #[error("bad dealing: {0}")]
    Dealing(String),
    /// Shares that do not decrypt to a count.
    #[error("tally fails: {0}")]
    Tally(String),
}
