use crate::hash::{sha256, Hash};

/// Root of a binary Merkle tree over `leaves` (RFC 6962 style: leaves hashed with a 0x00
/// prefix, inner nodes with 0x01, an odd node promoted). Used for the transaction and receipt
/// roots in block headers, so a light client can prove one transaction without the block.
pub fn merkle_root<T: AsRef<[u8]>>(leaves: &[T]) -> Hash {
    if leaves.is_empty() {
        return sha256(&[]);
    }
    let mut level = leaf_hashes(leaves);
    while level.len() > 1 {
        level = parents(&level);
    }
    level[0]
}

fn leaf_hashes<T: AsRef<[u8]>>(leaves: &[T]) -> Vec<Hash> {
    leaves.iter().map(|l| sha256(&[&[0u8], l.as_ref()])).collect()
}

/// The level above: pairs hashed with the 0x01 prefix, an odd last node promoted.
fn parents(level: &[Hash]) -> Vec<Hash> {
    level
        .chunks(2)
        .map(|pair| match pair {
            [a, b] => sha256(&[&[1u8], &a.0, &b.0]),
            [a] => *a,
            _ => unreachable!("chunks(2) yields one or two items"),
        })
        .collect()
}

/// One step of an inclusion proof: the sibling's hash and whether it sits on the left.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct ProofStep {
    pub sibling: Hash,
    pub left: bool,
}

/// The inclusion proof of leaf `index` in the tree [`merkle_root`] builds, so a holder of one
/// record (a decision receipt) can show it is under an anchored root without the others.
pub fn merkle_proof<T: AsRef<[u8]>>(leaves: &[T], index: usize) -> Option<Vec<ProofStep>> {
    MerkleTree::new(leaves).proof(index)
}

/// Every level of the tree [`merkle_root`] builds, kept so that many proofs of one tree cost a
/// lookup each instead of rebuilding it (a node answering for every transaction of a block).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MerkleTree {
    /// Leaf hashes first, the root's level last; empty for no leaves.
    levels: Vec<Vec<Hash>>,
}

impl MerkleTree {
    pub fn new<T: AsRef<[u8]>>(leaves: &[T]) -> Self {
        if leaves.is_empty() {
            return MerkleTree { levels: Vec::new() };
        }
        let mut levels = vec![leaf_hashes(leaves)];
        while levels.last().is_some_and(|l| l.len() > 1) {
            let up = parents(levels.last().expect("at least one level"));
            levels.push(up);
        }
        MerkleTree { levels }
    }

    /// The root, as [`merkle_root`] gives it.
    pub fn root(&self) -> Hash {
        self.levels.last().and_then(|l| l.first().copied()).unwrap_or_else(|| sha256(&[]))
    }

    /// The proof of leaf `index`, as [`merkle_proof`] gives it.
    pub fn proof(&self, index: usize) -> Option<Vec<ProofStep>> {
        if index >= self.levels.first().map_or(0, Vec::len) {
            return None;
        }
        let mut i = index;
        let mut proof = Vec::new();
        for level in &self.levels[..self.levels.len() - 1] {
            let sibling = i ^ 1;
            if sibling < level.len() {
                proof.push(ProofStep { sibling: level[sibling], left: sibling < i });
            }
            i /= 2;
        }
        Some(proof)
    }
}

/// Recomputes the root from one leaf and its proof.
pub fn merkle_root_from_proof(leaf: &[u8], proof: &[ProofStep]) -> Hash {
    proof.iter().fold(sha256(&[&[0u8], leaf]), |acc, step| {
        if step.left {
            sha256(&[&[1u8], &step.sibling.0, &acc.0])
        } else {
            sha256(&[&[1u8], &acc.0, &step.sibling.0])
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_leaf_proves_into_the_root_and_nothing_else_does() {
        for n in [1usize, 2, 3, 5, 8, 13] {
            let leaves: Vec<Vec<u8>> = (0..n).map(|i| vec![i as u8; 3]).collect();
            let root = merkle_root(&leaves);
            for (i, leaf) in leaves.iter().enumerate() {
                let proof = merkle_proof(&leaves, i).unwrap();
                assert_eq!(merkle_root_from_proof(leaf, &proof), root, "n={n} i={i}");
                assert_ne!(merkle_root_from_proof(b"forged", &proof), root);
            }
            assert!(merkle_proof(&leaves, n).is_none());
        }
    }

    #[test]
    fn a_kept_tree_gives_the_same_root_and_proofs() {
        for n in [0usize, 1, 2, 3, 7, 16, 33] {
            let leaves: Vec<Vec<u8>> = (0..n).map(|i| vec![i as u8; 5]).collect();
            let tree = MerkleTree::new(&leaves);
            assert_eq!(tree.root(), merkle_root(&leaves), "n={n}");
            for (i, leaf) in leaves.iter().enumerate() {
                let proof = tree.proof(i).unwrap();
                assert_eq!(merkle_root_from_proof(leaf, &proof), tree.root(), "n={n} i={i}");
            }
            assert!(tree.proof(n).is_none());
        }
    }

    #[test]
    fn root_depends_on_every_leaf_and_order() {
        let r1 = merkle_root(&[b"a", b"b", b"c"]);
        let r2 = merkle_root(&[b"a", b"c", b"b"]);
        let r3 = merkle_root(&[b"a", b"b"]);
        assert_ne!(r1, r2);
        assert_ne!(r1, r3);
        assert_eq!(r1, merkle_root(&[b"a", b"b", b"c"]));
    }
}
