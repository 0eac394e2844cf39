//! The machine's own limit, measured in the same run as a benchmark: Ed25519 verifications
//! per second, one by one and batched on all cores. Every benchmark prints its figure beside
//! this one, so a result from another machine can be compared by the ratio.

use std::time::{Duration, Instant};

use dojang_crypto::{verify_txs, Algorithm, Keypair};
use dojang_types::{SignedTx, TxBody};

pub struct Machine {
    pub cores: usize,
    pub ed25519_single_per_core: f64,
    pub ed25519_batched_all_cores: f64,
}

fn sample(n: usize) -> Vec<SignedTx> {
    let keys: Vec<Keypair> = (0..64).map(|_| Keypair::generate(Algorithm::Ed25519)).collect();
    (0..n)
        .map(|i| {
            let k = &keys[i % keys.len()];
            k.sign_tx(TxBody {
                chain_id: "bench".into(),
                sender: k.public_key(),
                nonce: i as u64,
                expires_at_ms: u64::MAX,
                module: "anchor".into(),
                msg: br#"{"type":"anchor","namespace":"bench","root":"00","leaves":1}"#.to_vec(),
            })
        })
        .collect()
}

/// Measures for about 1.4 s.
pub fn measure() -> Machine {
    let cores = std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1);
    let txs = sample(8192);
    let refs: Vec<&SignedTx> = txs.iter().collect();

    let start = Instant::now();
    let mut n = 0usize;
    while start.elapsed() < Duration::from_millis(700) {
        for t in refs.iter().take(256) {
            assert!(dojang_crypto::verify(&t.body.sender, &t.body.signing_bytes(), &t.signature));
        }
        n += 256;
    }
    let single = n as f64 / start.elapsed().as_secs_f64();

    let start = Instant::now();
    let mut n = 0usize;
    while start.elapsed() < Duration::from_millis(700) {
        assert!(verify_txs(&refs).iter().all(|ok| *ok));
        n += refs.len();
    }
    let batched = n as f64 / start.elapsed().as_secs_f64();
    Machine { cores, ed25519_single_per_core: single, ed25519_batched_all_cores: batched }
}
