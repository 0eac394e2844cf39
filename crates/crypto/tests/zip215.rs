//! Ed25519 edge cases: every verdict is the ZIP-215 one, and the same single, batched, in any
//! grouping and on the transaction path. The small-order cases are the ZIP-215 test set (all
//! 14 encodings of the 8 small-order points as key and as R, s = 0, message "Zcash"); the
//! mixed-order case is the signature that a cofactored batch accepts and a cofactorless single
//! check refuses, which split validators before; RFC 8032 §7.1 gives ordinary vectors.

use curve25519_dalek::constants::{ED25519_BASEPOINT_POINT, EIGHT_TORSION};
use curve25519_dalek::edwards::CompressedEdwardsY;
use curve25519_dalek::scalar::Scalar;
use dojang_crypto::{verify, verify_ed25519, verify_ed25519_batch, verify_txs, Ed25519Item, Keypair};
use dojang_types::{PublicKey, Signature, SignedTx, TxBody};
use rand::seq::SliceRandom;
use rand::{Rng, SeedableRng};
use sha2::{Digest, Sha512};

/// Little-endian 2^255 - 19 + `add`, with the sign bit set when `negative`.
fn above_p(add: u8, negative: bool) -> [u8; 32] {
    let mut b = [0xff; 32];
    b[0] = 0xed + add;
    b[31] = if negative { 0xff } else { 0x7f };
    b
}

/// The 14 encodings of small-order points: 8 canonical, 6 non-canonical (y >= p, or x = 0 with
/// the sign bit set).
fn small_order_encodings() -> Vec<[u8; 32]> {
    let mut out: Vec<[u8; 32]> = EIGHT_TORSION.iter().map(|p| p.compress().to_bytes()).collect();
    let mut one_negative = [0u8; 32];
    one_negative[0] = 1;
    one_negative[31] = 0x80;
    let mut minus_one_negative = above_p(0, true);
    minus_one_negative[0] = 0xec;
    out.extend([
        one_negative,
        above_p(1, false),
        above_p(1, true),
        above_p(0, false),
        above_p(0, true),
        minus_one_negative,
    ]);
    out
}

struct Case {
    key: [u8; 32],
    msg: Vec<u8>,
    sig: [u8; 64],
    valid: bool,
}

fn small_order_cases() -> Vec<Case> {
    let encodings = small_order_encodings();
    let mut cases = Vec::new();
    for a in &encodings {
        for r in &encodings {
            let mut sig = [0u8; 64];
            sig[..32].copy_from_slice(r);
            cases.push(Case { key: *a, msg: b"Zcash".to_vec(), sig, valid: true });
        }
    }
    cases
}

fn challenge(r: &[u8; 32], a: &[u8; 32], msg: &[u8]) -> Scalar {
    let mut h = Sha512::new();
    h.update(r);
    h.update(a);
    h.update(msg);
    Scalar::from_bytes_mod_order_wide(&h.finalize().into())
}

/// A signature whose R carries a small-order component: [8]R = [8]([s]B - [k]A) holds,
/// R = [s]B - [k]A does not.
fn mixed_order_case(rng: &mut impl Rng, torsion: usize) -> Case {
    let a = Scalar::from_bytes_mod_order(rng.gen());
    let key = (ED25519_BASEPOINT_POINT * a).compress().to_bytes();
    let nonce = Scalar::from_bytes_mod_order(rng.gen());
    let r = (ED25519_BASEPOINT_POINT * nonce + EIGHT_TORSION[torsion]).compress().to_bytes();
    let msg = b"mixed-order R".to_vec();
    let s = nonce + challenge(&r, &key, &msg) * a;
    let mut sig = [0u8; 64];
    sig[..32].copy_from_slice(&r);
    sig[32..].copy_from_slice(s.as_bytes());
    Case { key, msg, sig, valid: true }
}

fn rfc8032_cases() -> Vec<Case> {
    // RFC 8032 §7.1, TEST 1 to TEST 3: (secret, public, message, signature).
    let vectors = [
        (
            "9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60",
            "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a",
            "",
            "e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b",
        ),
        (
            "4ccd089b28ff96da9db6c346ec114e0f5b8a319f35aba624da8cf6ed4fb8a6fb",
            "3d4017c3e843895a92b70aa74d1b7ebc9c982ccf2ec4968cc0cd55f12af4660c",
            "72",
            "92a009a9f0d4cab8720e820b5f642540a2b27b5416503f8fb3762223ebdb69da085ac1e43e15996e458f3613d0f11d8c387b2eaeb4302aeeb00d291612bb0c00",
        ),
        (
            "c5aa8df43f9f837bedb7442f31dcb7b166d38535076f094b85ce3a2e0b4458f7",
            "fc51cd8e6218a1a38da47ed00230f0580816ed13ba3303ac5deb911548908025",
            "af82",
            "6291d657deec24024827e69c3abe01a30ce548a284743a445e3680d7db5ac3ac18ff9b538d16f290ae67f760984dc6594a7c15e9716ed28dc027beceea1ec40a",
        ),
    ];
    let mut cases = Vec::new();
    for (secret, public, msg, sig) in vectors {
        let key: [u8; 32] = hex::decode(public).unwrap().try_into().unwrap();
        let sig: [u8; 64] = hex::decode(sig).unwrap().try_into().unwrap();
        let msg = hex::decode(msg).unwrap();
        let signer = Keypair::ed25519_from_seed(hex::decode(secret).unwrap().try_into().unwrap());
        assert_eq!(signer.public_key(), PublicKey::Ed25519(key), "the vector's public key derives from its secret");
        assert_eq!(signer.sign(&msg), Signature::Ed25519(sig), "our signer reproduces the vector");
        let mut tampered = msg.clone();
        tampered.push(0);
        cases.push(Case { key, msg, sig, valid: true });
        cases.push(Case { key, msg: tampered, sig, valid: false });
    }
    cases
}

/// The RFC 8032 TEST 1 signature with s replaced by s + l (not canonical): refused.
fn non_canonical_s_case() -> Case {
    let mut case = rfc8032_cases().swap_remove(0);
    const L: [u8; 32] = [
        0xed, 0xd3, 0xf5, 0x5c, 0x1a, 0x63, 0x12, 0x58, 0xd6, 0x9c, 0xf7, 0xa2, 0xde, 0xf9, 0xde, 0x14, 0, 0, 0, 0, 0,
        0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x10,
    ];
    let mut carry = 0u16;
    for (byte, l) in case.sig[32..].iter_mut().zip(L) {
        let sum = u16::from(*byte) + u16::from(l) + carry;
        *byte = sum as u8;
        carry = sum >> 8;
    }
    assert_eq!(carry, 0, "s + l fits in 256 bits");
    case.valid = false;
    case
}

fn all_cases() -> Vec<Case> {
    let mut rng = rand::rngs::StdRng::seed_from_u64(215);
    let mut cases = small_order_cases();
    cases.extend((1..8).map(|t| mixed_order_case(&mut rng, t)));
    cases.extend(rfc8032_cases());
    cases.push(non_canonical_s_case());
    cases
}

#[test]
fn the_small_order_set_is_what_zip215_names() {
    let encodings = small_order_encodings();
    assert_eq!(encodings.len(), 14);
    let mut canonical = 0;
    for e in &encodings {
        let point = CompressedEdwardsY(*e).decompress().expect("every encoding is a curve point");
        assert!(point.is_small_order(), "{} is of small order", hex::encode(e));
        if point.compress().to_bytes() == *e {
            canonical += 1;
        }
    }
    assert_eq!(canonical, 8, "8 canonical encodings, 6 non-canonical");
    let distinct: std::collections::HashSet<_> = encodings.iter().collect();
    assert_eq!(distinct.len(), 14);
}

#[test]
fn single_verdicts_follow_zip215() {
    let cases = all_cases();
    assert_eq!(cases.len(), 196 + 7 + 6 + 1);
    for (i, c) in cases.iter().enumerate() {
        assert_eq!(verify_ed25519(&c.key, &c.msg, &c.sig), c.valid, "case {i}");
        assert_eq!(verify(&PublicKey::Ed25519(c.key), &c.msg, &Signature::Ed25519(c.sig)), c.valid, "case {i}");
    }
}

#[test]
fn the_mixed_order_signature_is_the_one_cofactorless_checks_refuse() {
    // What made verdicts machine-dependent: the old single check (cofactorless) refused these
    // while the old batch check (cofactored) let them through.
    let mut rng = rand::rngs::StdRng::seed_from_u64(8);
    for t in 1..8 {
        let c = mixed_order_case(&mut rng, t);
        let key = ed25519_dalek::VerifyingKey::from_bytes(&c.key).unwrap();
        let cofactorless = key.verify_strict(&c.msg, &ed25519_dalek::Signature::from_bytes(&c.sig)).is_ok()
            || ed25519_dalek::Verifier::verify(&key, &c.msg, &ed25519_dalek::Signature::from_bytes(&c.sig)).is_ok();
        assert!(!cofactorless, "torsion {t}: a cofactorless check refuses it");
        assert!(verify_ed25519(&c.key, &c.msg, &c.sig), "torsion {t}: ZIP-215 accepts it");
    }
}

fn batch_verdicts(cases: &[&Case]) -> Vec<bool> {
    let items: Vec<Ed25519Item<'_>> =
        cases.iter().map(|c| Ed25519Item { public_key: &c.key, msg: &c.msg, signature: &c.sig }).collect();
    verify_ed25519_batch(&items)
}

#[test]
fn batch_verdicts_equal_single_verdicts_in_any_grouping() {
    let cases = all_cases();
    let mut rng = rand::rngs::StdRng::seed_from_u64(42);
    for round in 0..40 {
        let mut order: Vec<usize> = (0..cases.len()).collect();
        order.shuffle(&mut rng);
        let mut at = 0;
        while at < order.len() {
            let size = match round {
                0 => 1,
                1 => order.len(),
                _ => rng.gen_range(2..=64),
            };
            let group: Vec<usize> = order[at..(at + size).min(order.len())].to_vec();
            at += group.len();
            let refs: Vec<&Case> = group.iter().map(|&i| &cases[i]).collect();
            let got = batch_verdicts(&refs);
            for (&i, ok) in group.iter().zip(got) {
                assert_eq!(ok, cases[i].valid, "case {i} in a group of {} (round {round})", group.len());
            }
        }
    }
    // Only valid cases together: the batch equation itself holds (no fallback involved).
    let valid: Vec<&Case> = cases.iter().filter(|c| c.valid).collect();
    assert!(batch_verdicts(&valid).into_iter().all(|ok| ok));
}

#[test]
fn transaction_verdicts_do_not_depend_on_the_batch_they_arrive_in() {
    // A transaction signed with a mixed-order R, next to ordinary ones and a bad one: the same
    // verdict whether it is checked alone, in a small batch or split across cores.
    let mut rng = rand::rngs::StdRng::seed_from_u64(7);
    let a = Scalar::from_bytes_mod_order(rng.gen());
    let key = (ED25519_BASEPOINT_POINT * a).compress().to_bytes();
    let body = TxBody {
        chain_id: "c".into(),
        sender: PublicKey::Ed25519(key),
        nonce: 1,
        expires_at_ms: 1,
        module: "m".into(),
        msg: vec![],
    };
    let msg = body.signing_bytes();
    let nonce = Scalar::from_bytes_mod_order(rng.gen());
    let r = (ED25519_BASEPOINT_POINT * nonce + EIGHT_TORSION[3]).compress().to_bytes();
    let s = nonce + challenge(&r, &key, &msg) * a;
    let mut sig = [0u8; 64];
    sig[..32].copy_from_slice(&r);
    sig[32..].copy_from_slice(s.as_bytes());
    let crafted = SignedTx { body, signature: Signature::Ed25519(sig) };

    let honest = Keypair::ed25519_from_seed([5; 32]);
    let mut txs: Vec<SignedTx> = (0..200)
        .map(|n| {
            honest.sign_tx(TxBody {
                chain_id: "c".into(),
                sender: honest.public_key(),
                nonce: n,
                expires_at_ms: 1,
                module: "m".into(),
                msg: vec![],
            })
        })
        .collect();
    txs[17].body.nonce += 1000;
    for at in [0, 10, 63, 64, 150] {
        let mut all = txs.clone();
        all.insert(at, crafted.clone());
        let refs: Vec<&SignedTx> = all.iter().collect();
        let verdicts = verify_txs(&refs);
        let bad = if at <= 17 { 18 } else { 17 };
        for (i, ok) in verdicts.iter().enumerate() {
            assert_eq!(*ok, i != bad, "transaction {i} with the crafted one at {at}");
        }
    }
    assert_eq!(verify_txs(&[&crafted]), vec![true]);
}

fn oracle(c: &Case) -> bool {
    let Ok(key) = ed25519_consensus::VerificationKey::try_from(c.key) else {
        return false;
    };
    key.verify(&ed25519_consensus::Signature::from(c.sig), &c.msg).is_ok()
}

#[test]
fn every_verdict_matches_the_reference_implementation() {
    // The named cases, then thousands of mutations of them (a flipped bit in the key, in R, in
    // s or in the message; R or the key swapped for a small-order encoding): our verdict,
    // single and batched, is always the reference ZIP-215 implementation's.
    let cases = all_cases();
    for (i, c) in cases.iter().enumerate() {
        assert_eq!(oracle(c), c.valid, "the reference agrees with case {i}");
    }
    let small = small_order_encodings();
    let mut rng = rand::rngs::StdRng::seed_from_u64(9001);
    let mut mutated = Vec::new();
    for _ in 0..4000 {
        let base = &cases[rng.gen_range(0..cases.len())];
        let mut c = Case { key: base.key, msg: base.msg.clone(), sig: base.sig, valid: false };
        match rng.gen_range(0..6) {
            0 => c.key[rng.gen_range(0..32)] ^= 1 << rng.gen_range(0..8),
            1 => c.sig[rng.gen_range(0..32)] ^= 1 << rng.gen_range(0..8),
            2 => c.sig[32 + rng.gen_range(0..32)] ^= 1 << rng.gen_range(0..8),
            3 => c.msg.push(rng.gen()),
            4 => c.sig[..32].copy_from_slice(&small[rng.gen_range(0..small.len())]),
            _ => c.key = small[rng.gen_range(0..small.len())],
        }
        c.valid = oracle(&c);
        assert_eq!(
            verify_ed25519(&c.key, &c.msg, &c.sig),
            c.valid,
            "key {} sig {}",
            hex::encode(c.key),
            hex::encode(c.sig)
        );
        mutated.push(c);
    }
    assert!(mutated.iter().any(|c| c.valid) && mutated.iter().any(|c| !c.valid), "the mutations cover both verdicts");
    for group in mutated.chunks(37) {
        let refs: Vec<&Case> = group.iter().collect();
        let expected: Vec<bool> = group.iter().map(|c| c.valid).collect();
        assert_eq!(batch_verdicts(&refs), expected);
    }
}
