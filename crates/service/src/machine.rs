//! The machine's own limit, measured in the same run as a benchmark: Ed25519 verifications
//! per second, one by one and batched on all cores. Every benchmark prints its figure beside
//! this one, so a result from another machine can be compared by the ratio.
//!
//! Messages are encoded once before timing: the baseline is the signature arithmetic alone, so
//! that a benchmark's ratio to it is not flattered by encoding work counted on both sides.

use std::time::{Duration, Instant};

use dojang_crypto::{verify_ed25519, verify_ed25519_batch, Algorithm, Ed25519Item, Keypair};
use dojang_types::{PublicKey, Signature, TxBody};

/// Signatures per batch equation, as the node checks transactions.
const BATCH: usize = 64;

pub struct Machine {
    pub cores: usize,
    pub ed25519_single_per_core: f64,
    pub ed25519_batched_all_cores: f64,
}

/// Signed transaction bodies, as (public key, signing bytes, signature), encoded once.
fn sample(n: usize) -> Vec<([u8; 32], Vec<u8>, [u8; 64])> {
    let keys: Vec<Keypair> = (0..64).map(|_| Keypair::generate(Algorithm::Ed25519)).collect();
    (0..n)
        .map(|i| {
            let k = &keys[i % keys.len()];
            let tx = k.sign_tx(TxBody {
                chain_id: "bench".into(),
                sender: k.public_key(),
                nonce: i as u64,
                expires_at_ms: u64::MAX,
                module: "anchor".into(),
                msg: br#"{"type":"anchor","namespace":"bench","root":"00","leaves":1}"#.to_vec(),
            });
            let (PublicKey::Ed25519(pk), Signature::Ed25519(sig)) = (&tx.body.sender, &tx.signature) else {
                unreachable!("the sample keys are Ed25519")
            };
            (*pk, tx.body.signing_bytes(), *sig)
        })
        .collect()
}

fn items(sample: &[([u8; 32], Vec<u8>, [u8; 64])]) -> Vec<Ed25519Item<'_>> {
    sample.iter().map(|(public_key, msg, signature)| Ed25519Item { public_key, msg, signature }).collect()
}

/// Batched verifications per second on one thread for `for_how_long`.
fn batched_rate(items: &[Ed25519Item<'_>], for_how_long: Duration) -> f64 {
    let start = Instant::now();
    let mut n = 0usize;
    while start.elapsed() < for_how_long {
        for chunk in items.chunks(BATCH) {
            assert!(verify_ed25519_batch(chunk).iter().all(|ok| *ok));
            n += chunk.len();
        }
    }
    n as f64 / start.elapsed().as_secs_f64()
}

/// Measures for about 1.4 s.
pub fn measure() -> Machine {
    let cores = std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1);
    let sample = sample(8192);

    let start = Instant::now();
    let mut n = 0usize;
    while start.elapsed() < Duration::from_millis(700) {
        for (pk, msg, sig) in sample.iter().take(256) {
            assert!(verify_ed25519(pk, msg, sig));
        }
        n += 256;
    }
    let single = n as f64 / start.elapsed().as_secs_f64();

    let per = sample.len().div_ceil(cores);
    let batched = std::thread::scope(|s| {
        let handles: Vec<_> = sample
            .chunks(per)
            .map(|part| s.spawn(move || batched_rate(&items(part), Duration::from_millis(700))))
            .collect();
        handles.into_iter().map(|h| h.join().expect("signature verification does not panic")).sum()
    });
    Machine { cores, ed25519_single_per_core: single, ed25519_batched_all_cores: batched }
}
