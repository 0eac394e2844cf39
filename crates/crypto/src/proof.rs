use dojang_types::Hash;

use crate::nomt_proof::verify_nomt_state_proof;

/// Checks a state proof served by a node: that `value` is (or, if `None`, that no value is)
/// stored under `key` in the state whose root is `root`. With the root taken from a header
/// whose commit certificate checks out, the answer needs no trust in the node that gave it.
/// The proof is a path through the state trie (decision 0027, docs/api.md).
pub fn verify_state_proof(key: &[u8], value: Option<&[u8]>, root: &Hash, proof: &[u8]) -> Result<(), String> {
    verify_nomt_state_proof(key, value, root, proof).map_err(|e| e.to_string())
}
