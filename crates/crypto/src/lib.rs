//! Keys and signatures. Ed25519 for validators and most accounts; ECDSA P-256 because that is
//! what agency HSMs and phone secure elements hold. Verification of many transactions is
//! batched (Ed25519) and spread over all cores, because it is the largest cost of admitting
//! and executing a block.
//!
//! Private keys are reached through the [`Signer`] trait so the key can live in a file
//! ([`KeyFile`], encrypted at rest under a passphrase) or in an HSM.

mod batch;
mod commit;
mod ed25519;
mod keyfile;
mod keypair;
mod nomt_proof;
mod passphrase;
mod sealed;
mod secret_file;
mod signer;

pub use batch::verify_txs;
pub use commit::{verify_commit, CommitError};
pub use ed25519::{verify_ed25519, verify_ed25519_batch, Ed25519Item};
pub use keyfile::{write_secret_file, KeyFile, KeyFileError, KeyProtection};
pub use keypair::{verify, Algorithm, Keypair};
pub use nomt_proof::{nomt_key_path, verify_state_proof, NomtLeaf, NomtProof, NomtProofError, MAX_NOMT_SIBLINGS};
pub use passphrase::{Passphrase, PassphraseError, MIN_PASSPHRASE_LEN, PASSPHRASE_ENV, PASSPHRASE_FILE_ENV};
pub use sealed::{KdfParams, Sealed, MAX_M_KIB, MAX_P, MAX_T};
pub use secret_file::{read_secret, read_secret_with, write_sealed_secret, SecretFileError, SECRET_FILE_KIND};
pub use signer::{Signer, SignerError};

/// Whether two secrets (tokens, their hashes) are equal, in time that does not depend on where
/// they first differ, so an attacker cannot learn a secret byte by byte from response times.
pub fn same_secret(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}
