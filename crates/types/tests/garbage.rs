//! Decoders fed random and mutated bytes must answer with an error, never panic or allocate
//! without bound. (The fuzz targets in fuzz/ explore the same property with coverage guidance.)

use dojang_types::{decode, encode, Block, BlockHeader, Hash, PublicKey, Signature, SignedTx, TxBody};

/// A small deterministic generator, so failures reproduce.
struct XorShift(u64);

impl XorShift {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
}

fn sample_tx() -> SignedTx {
    SignedTx {
        body: TxBody {
            chain_id: "c".into(),
            sender: PublicKey::Ed25519([3; 32]),
            nonce: 5,
            expires_at_ms: 9,
            module: "anchor".into(),
            msg: b"{\"a\":1}".to_vec(),
        },
        signature: Signature::Ed25519([4; 64]),
    }
}

#[test]
fn random_and_mutated_bytes_never_panic() {
    let mut rng = XorShift(0x9e37_79b9_7f4a_7c15);
    let tx = encode(&sample_tx());
    let block = encode(&Block {
        header: BlockHeader {
            chain_id: "c".into(),
            height: 1,
            time_ms: 2,
            prev_hash: Hash::default(),
            txs_root: Hash::default(),
            receipts_root: Hash::default(),
            state_root: Hash::default(),
            validators_hash: Hash::default(),
            proposer: Default::default(),
        },
        txs: vec![sample_tx(), sample_tx()],
    });
    for round in 0..20_000 {
        let base = if round % 2 == 0 { &tx } else { &block };
        let mut bytes = base.clone();
        match rng.next() % 4 {
            0 => {
                let len = (rng.next() % 600) as usize;
                bytes = (0..len).map(|_| rng.next() as u8).collect();
            }
            1 => {
                let i = (rng.next() as usize) % bytes.len();
                bytes[i] ^= 1 << (rng.next() % 8);
            }
            2 => bytes.truncate((rng.next() as usize) % bytes.len()),
            _ => {
                // A huge length prefix where a string or vector length goes.
                let i = (rng.next() as usize) % bytes.len().saturating_sub(4).max(1);
                bytes[i..i + 4].copy_from_slice(&u32::MAX.to_le_bytes());
            }
        }
        let _ = SignedTx::decode(&bytes);
        let _ = decode::<Block>(&bytes);
    }
}
