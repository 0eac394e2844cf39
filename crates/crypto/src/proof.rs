use dojang_types::Hash;
use jmt::{KeyHash, RootHash};
use sha2::Sha256;

/// Checks a state proof served by a node: that `value` is (or, if `None`, that no value is)
/// stored under `key` in the state whose root is `root`. With the root taken from a header
/// whose commit certificate checks out, the answer needs no trust in the node that gave it.
pub fn verify_state_proof(key: &[u8], value: Option<&[u8]>, root: &Hash, proof: &[u8]) -> Result<(), String> {
    let proof: jmt::proof::SparseMerkleProof<Sha256> =
        borsh::from_slice(proof).map_err(|e| format!("proof is not a valid encoding: {e}"))?;
    proof
        .verify(RootHash(root.0), KeyHash::with::<Sha256>(key), value)
        .map_err(|e| format!("proof does not match the state root: {e}"))
}
