use crate::hash::{sha256, Hash};

/// Root of a binary Merkle tree over `leaves` (RFC 6962 style: leaves hashed with a 0x00
/// prefix, inner nodes with 0x01, an odd node promoted). Used for the transaction and receipt
/// roots in block headers, so a light client can prove one transaction without the block.
pub fn merkle_root<T: AsRef<[u8]>>(leaves: &[T]) -> Hash {
    if leaves.is_empty() {
        return sha256(&[]);
    }
    let mut level: Vec<Hash> = leaves.iter().map(|l| sha256(&[&[0u8], l.as_ref()])).collect();
    while level.len() > 1 {
        level = level
            .chunks(2)
            .map(|pair| match pair {
                [a, b] => sha256(&[&[1u8], &a.0, &b.0]),
                [a] => *a,
                _ => unreachable!("chunks(2) yields one or two items"),
            })
            .collect();
    }
    level[0]
}

#[cfg(test)]
mod tests {
    use super::*;

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
