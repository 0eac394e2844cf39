//! State proofs: paths through the node's state trie (NOMT, decisions 0027 and 0030), what
//! `/v1/state` and `/v1/validators` serve, and how a client checks one against a certified
//! state root.
//!
//! The wire form is ours, not NOMT's: `borsh(NomtProof)`, the terminal leaf (absent for an
//! empty subtree) and one sibling per level from the root down. NOMT's own `PathProof` also
//! encodes a cursor position of the prover's (a platform-sized integer) that no verifier
//! reads; a client in any language decodes ours with a few fixed rules (docs/api.md). The
//! checking itself is nomt-core's.
//!
//! The trie's rules, which the TypeScript SDK implements as well (`sdk-ts/src/proof.ts`):
//! - a key's path is SHA-256 of the state key, read most significant bit first;
//! - a leaf is SHA-256(key path ‖ SHA-256(value)) with the top bit set;
//! - an internal node is SHA-256(left ‖ right) with the top bit cleared;
//! - an empty subtree is 32 zero bytes.

use borsh::{BorshDeserialize, BorshSerialize};
use dojang_types::Hash;
use nomt_core::hasher::{Sha2Hasher, ValueHasher};
use nomt_core::proof::{PathProof, PathProofTerminal};
use nomt_core::trie::LeafData;
use nomt_core::trie_pos::TriePosition;
use sha2::{Digest, Sha256};

/// The most siblings a path can have: one per bit of a 256-bit key path.
pub const MAX_NOMT_SIBLINGS: usize = 256;

/// The leaf a lookup ends at: the key path it holds and the hash of its value.
#[derive(Debug, Clone, PartialEq, Eq, BorshSerialize, BorshDeserialize)]
pub struct NomtLeaf {
    pub key_path: [u8; 32],
    pub value_hash: [u8; 32],
}

/// A path through the trie to where a key's leaf is or would be.
#[derive(Debug, Clone, PartialEq, Eq, BorshSerialize, BorshDeserialize)]
pub struct NomtProof {
    /// `None` when the path ends in an empty subtree.
    pub leaf: Option<NomtLeaf>,
    /// The siblings along the path, the root's child level first.
    pub siblings: Vec<[u8; 32]>,
}

/// Why a NOMT state proof was refused.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum NomtProofError {
    #[error("the proof is not a valid encoding: {0}")]
    Malformed(String),
    #[error("the proof has {0} siblings; a path has at most 256")]
    TooDeep(usize),
    #[error("the proof does not lead to the state root")]
    RootMismatch,
    #[error("the value is claimed present but the proof ends in an empty subtree")]
    NoLeaf,
    #[error("the proof ends at another key's leaf, so the key has no value there")]
    OtherKey,
    #[error("the value does not match the proven leaf")]
    OtherValue,
    #[error("the key is claimed absent but the proof shows a value for it")]
    Present,
}

/// The path of a state key in the trie.
pub fn nomt_key_path(key: &[u8]) -> [u8; 32] {
    Sha256::digest(key).into()
}

impl NomtProof {
    /// Our wire form of a proof NOMT made.
    pub fn from_path_proof(proof: &PathProof) -> Self {
        let leaf = match &proof.terminal {
            PathProofTerminal::Leaf(l) => Some(NomtLeaf { key_path: l.key_path, value_hash: l.value_hash }),
            PathProofTerminal::Terminator(_) => None,
        };
        NomtProof { leaf, siblings: proof.siblings.clone() }
    }

    /// The bytes a node serves (`proof_hex`).
    pub fn encode(&self) -> Vec<u8> {
        borsh::to_vec(self).expect("borsh encoding into memory does not fail")
    }

    /// Decodes a proof strictly: nothing may follow it, and it may not be deeper than a path.
    pub fn decode(bytes: &[u8]) -> Result<Self, NomtProofError> {
        let proof: NomtProof = borsh::from_slice(bytes).map_err(|e| NomtProofError::Malformed(e.to_string()))?;
        if proof.siblings.len() > MAX_NOMT_SIBLINGS {
            return Err(NomtProofError::TooDeep(proof.siblings.len()));
        }
        Ok(proof)
    }

    fn to_path_proof(&self) -> PathProof {
        let terminal = match &self.leaf {
            Some(l) => PathProofTerminal::Leaf(LeafData { key_path: l.key_path, value_hash: l.value_hash }),
            // A terminator hashes to zero wherever it sits; its position is not checked.
            None => PathProofTerminal::Terminator(TriePosition::new()),
        };
        PathProof { terminal, siblings: self.siblings.clone() }
    }
}

/// Checks a state proof served by a node: that `value` is (or, if `None`, that no value is)
/// stored under `key` in the state whose root is `root`. With the root taken from a header
/// whose certificate checks out, the answer needs no trust in the node that gave it.
pub fn verify_state_proof(key: &[u8], value: Option<&[u8]>, root: &Hash, proof: &[u8]) -> Result<(), NomtProofError> {
    use bitvec::order::Msb0;
    use bitvec::view::BitView;

    let proof = NomtProof::decode(proof)?;
    let path = nomt_key_path(key);
    let verified = proof
        .to_path_proof()
        .verify::<Sha2Hasher>(path.view_bits::<Msb0>(), root.0)
        .map_err(|_| NomtProofError::RootMismatch)?;
    // The key's own path is the one verified, so neither check below can be out of scope.
    match value {
        Some(v) => {
            let leaf = verified.terminal().ok_or(NomtProofError::NoLeaf)?;
            if leaf.key_path != path {
                return Err(NomtProofError::OtherKey);
            }
            let expected = LeafData { key_path: path, value_hash: Sha2Hasher::hash_value(v) };
            match verified.confirm_value(&expected) {
                Ok(true) => Ok(()),
                _ => Err(NomtProofError::OtherValue),
            }
        }
        None => match verified.confirm_nonexistence(&path) {
            Ok(true) => Ok(()),
            _ => Err(NomtProofError::Present),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use nomt_core::hasher::NodeHasher;
    use nomt_core::trie::InternalData;

    fn leaf_node(key: &[u8], value: &[u8]) -> ([u8; 32], NomtLeaf) {
        let leaf = NomtLeaf { key_path: nomt_key_path(key), value_hash: Sha256::digest(value).into() };
        (Sha2Hasher::hash_leaf(&LeafData { key_path: leaf.key_path, value_hash: leaf.value_hash }), leaf)
    }

    fn internal(left: [u8; 32], right: [u8; 32]) -> [u8; 32] {
        Sha2Hasher::hash_internal(&InternalData { left, right })
    }

    /// Two keys whose paths differ in the first bit: the root is the internal node over both
    /// leaves, each proven by the other as its one sibling.
    /// The first of `ledger/k0`, `ledger/k1`, ... whose path starts with `bit`.
    fn key_starting_with(bit: u8) -> Vec<u8> {
        (0u32..)
            .map(|i| format!("ledger/k{i}").into_bytes())
            .find(|k| nomt_key_path(k)[0] >> 7 == bit)
            .expect("half of all keys start with either bit")
    }

    /// A key, its value and the proof of it.
    type Case = (Vec<u8>, Vec<u8>, NomtProof);

    /// Two keys whose paths differ in the first bit: the root is the internal node over both
    /// leaves, each proven by the other as its one sibling.
    fn two_key_trie() -> (Hash, Vec<Case>) {
        let (first, second) = (key_starting_with(0), key_starting_with(1));
        let (n0, l0) = leaf_node(&first, b"zero");
        let (n1, l1) = leaf_node(&second, b"one");
        let root = Hash(internal(n0, n1));
        let cases = vec![
            (first, b"zero".to_vec(), NomtProof { leaf: Some(l0), siblings: vec![n1] }),
            (second, b"one".to_vec(), NomtProof { leaf: Some(l1), siblings: vec![n0] }),
        ];
        (root, cases)
    }

    #[test]
    fn a_present_value_is_proven_and_any_other_claim_refused() {
        let (root, cases) = two_key_trie();
        for (key, value, proof) in &cases {
            let bytes = proof.encode();
            assert_eq!(verify_state_proof(key, Some(value), &root, &bytes), Ok(()));
            assert_eq!(verify_state_proof(key, Some(b"else"), &root, &bytes), Err(NomtProofError::OtherValue));
            assert_eq!(verify_state_proof(key, None, &root, &bytes), Err(NomtProofError::Present));
            let mut other_root = root;
            other_root.0[31] ^= 1;
            assert_eq!(verify_state_proof(key, Some(value), &other_root, &bytes), Err(NomtProofError::RootMismatch));
        }
    }

    #[test]
    fn a_key_ending_at_another_keys_leaf_is_absent() {
        let (root, cases) = two_key_trie();
        let (_, _, proof) = &cases[0];
        // Another key whose path starts with the same bit ends at the same leaf.
        let absent = (0u32..)
            .map(|i| format!("ledger/absent/{i}").into_bytes())
            .find(|k| nomt_key_path(k)[0] >> 7 == 0)
            .expect("half of all keys start with that bit");
        let bytes = proof.encode();
        assert_eq!(verify_state_proof(&absent, None, &root, &bytes), Ok(()));
        assert_eq!(verify_state_proof(&absent, Some(b"zero"), &root, &bytes), Err(NomtProofError::OtherKey));
    }

    #[test]
    fn an_empty_state_proves_every_key_absent() {
        let empty = NomtProof { leaf: None, siblings: vec![] }.encode();
        assert_eq!(verify_state_proof(b"any", None, &Hash([0; 32]), &empty), Ok(()));
        assert_eq!(verify_state_proof(b"any", Some(b"v"), &Hash([0; 32]), &empty), Err(NomtProofError::NoLeaf));
    }

    #[test]
    fn malformed_proofs_are_refused_with_what_is_wrong() {
        let (root, cases) = two_key_trie();
        let (key, value, proof) = &cases[0];
        let good = proof.encode();
        let mut trailing = good.clone();
        trailing.push(0);
        assert!(matches!(verify_state_proof(key, Some(value), &root, &trailing), Err(NomtProofError::Malformed(_))));
        assert!(matches!(
            verify_state_proof(key, Some(value), &root, &good[..good.len() - 1]),
            Err(NomtProofError::Malformed(_))
        ));
        assert!(matches!(verify_state_proof(key, Some(value), &root, &[]), Err(NomtProofError::Malformed(_))));
        let mut bad_tag = good.clone();
        bad_tag[0] = 2;
        assert!(matches!(verify_state_proof(key, Some(value), &root, &bad_tag), Err(NomtProofError::Malformed(_))));
        // A count far beyond the bytes that follow is refused without allocating for it.
        let huge = [&[0u8][..], &u32::MAX.to_le_bytes()].concat();
        assert!(matches!(verify_state_proof(key, None, &root, &huge), Err(NomtProofError::Malformed(_))));
        let deep = NomtProof { leaf: None, siblings: vec![[7; 32]; MAX_NOMT_SIBLINGS + 1] }.encode();
        assert_eq!(verify_state_proof(key, None, &root, &deep), Err(NomtProofError::TooDeep(257)));
    }
}
