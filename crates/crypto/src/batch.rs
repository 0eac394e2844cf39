use std::thread;

use dojang_types::{PublicKey, Signature, SignedTx};

use crate::ed25519::{verify_ed25519_batch, Ed25519Item};
use crate::keypair::verify;

/// Below this many signatures, thread start-up costs more than it saves.
const PARALLEL_THRESHOLD: usize = 64;
/// Ed25519 batch size: large enough to amortise, small enough that a bad signature costs
/// little to locate.
const BATCH: usize = 64;

/// Verifies every transaction's signature and returns one verdict per transaction, in order.
/// Ed25519 signatures are checked in ZIP-215 batches (about twice as fast as one by one, and
/// with the same verdicts as single checks, so the split across cores cannot change an
/// outcome); a failed batch is re-checked one by one so exactly the bad transactions are
/// reported.
pub fn verify_txs(txs: &[&SignedTx]) -> Vec<bool> {
    let cores = thread::available_parallelism().map(|n| n.get()).unwrap_or(1);
    if txs.len() < PARALLEL_THRESHOLD || cores == 1 {
        return verify_chunk(txs);
    }
    let per = txs.len().div_ceil(cores);
    thread::scope(|s| {
        let handles: Vec<_> = txs.chunks(per).map(|chunk| s.spawn(move || verify_chunk(chunk))).collect();
        handles.into_iter().flat_map(|h| h.join().expect("signature verification does not panic")).collect()
    })
}

fn verify_chunk(txs: &[&SignedTx]) -> Vec<bool> {
    let mut out = vec![false; txs.len()];
    let mut ed_idx = Vec::with_capacity(txs.len());
    for (i, tx) in txs.iter().enumerate() {
        match (&tx.body.sender, &tx.signature) {
            (PublicKey::Ed25519(_), Signature::Ed25519(_)) => ed_idx.push(i),
            _ => out[i] = verify(&tx.body.sender, &tx.body.signing_bytes(), &tx.signature),
        }
    }
    for group in ed_idx.chunks(BATCH) {
        let msgs: Vec<Vec<u8>> = group.iter().map(|&i| txs[i].body.signing_bytes()).collect();
        let items: Vec<Ed25519Item<'_>> = group
            .iter()
            .zip(&msgs)
            .map(|(&i, msg)| {
                let (PublicKey::Ed25519(public_key), Signature::Ed25519(signature)) =
                    (&txs[i].body.sender, &txs[i].signature)
                else {
                    unreachable!("group holds only Ed25519 transactions");
                };
                Ed25519Item { public_key, msg, signature }
            })
            .collect();
        for (&i, ok) in group.iter().zip(verify_ed25519_batch(&items)) {
            out[i] = ok;
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Algorithm, Keypair};
    use dojang_types::TxBody;

    fn tx(k: &Keypair, nonce: u64) -> SignedTx {
        k.sign_tx(TxBody {
            chain_id: "c".into(),
            sender: k.public_key(),
            nonce,
            expires_at_ms: 1,
            module: "m".into(),
            msg: vec![],
        })
    }

    #[test]
    fn batch_finds_exactly_the_bad_signatures() {
        let ed = Keypair::generate(Algorithm::Ed25519);
        let p = Keypair::generate(Algorithm::P256);
        let mut txs: Vec<SignedTx> = (0..300).map(|n| tx(if n % 7 == 0 { &p } else { &ed }, n)).collect();
        txs[5].body.nonce += 1000; // signature no longer matches
        txs[140].body.nonce += 1000; // a P-256 one (140 % 7 == 0)
        let refs: Vec<&SignedTx> = txs.iter().collect();
        let verdicts = verify_txs(&refs);
        for (i, ok) in verdicts.iter().enumerate() {
            assert_eq!(*ok, i != 5 && i != 140, "transaction {i}");
        }
    }
}
