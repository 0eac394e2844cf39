use std::time::Duration;

use dojang_crypto::{verify_commit, Algorithm, CommitError, Keypair};
use dojang_types::{
    encode, validators_hash, BlockHeader, Commit, CommitSignature, Hash, Signature, Validator, VoteSignBytes,
};
use serde_json::json;

use super::*;
use crate::verify::{check_answer, decode_answer};

const CHAIN: &str = "seoul-test";
const NOW: u64 = 1_790_000_000_000;

fn set(n: usize) -> (Vec<Keypair>, Vec<Validator>) {
    let keys: Vec<Keypair> = (0..n).map(|_| Keypair::generate(Algorithm::Ed25519)).collect();
    let vals = keys
        .iter()
        .enumerate()
        .map(|(i, k)| Validator {
            address: k.public_key().address(),
            public_key: k.public_key(),
            power: 10,
            name: format!("v{i}"),
        })
        .collect();
    (keys, vals)
}

fn header(chain: &str, height: u64, time_ms: u64, vals: &[Validator]) -> BlockHeader {
    BlockHeader {
        chain_id: chain.into(),
        height,
        time_ms,
        prev_hash: Hash::default(),
        txs_root: Hash::default(),
        receipts_root: Hash::default(),
        state_root: Hash([7; 32]),
        validators_hash: validators_hash(vals),
        proposer: vals[0].address,
    }
}

fn commit(h: &BlockHeader, signers: &[Keypair]) -> Commit {
    let hash = h.hash();
    let signatures = signers
        .iter()
        .map(|k| {
            let validator = k.public_key().address();
            let msg = VoteSignBytes {
                chain_id: h.chain_id.clone(),
                height: h.height,
                round: 0,
                vote_type: 1,
                block_hash: Some(hash),
                validator,
            };
            let Signature::Ed25519(signature) = k.sign(&msg.to_bytes()) else { panic!("ed25519 key") };
            CommitSignature { validator, signature }
        })
        .collect();
    Commit { height: h.height, round: 0, block_hash: hash, signatures }
}

fn chain(vals: &[Validator]) -> TrustedChain {
    TrustedChain::new(CHAIN, vals.to_vec(), Duration::from_secs(60))
}

#[test]
fn a_header_of_another_chain_is_refused() {
    let (_, vals) = set(4);
    let c = chain(&vals);
    let err = c.check_header(&header("other-chain", 5, NOW, &vals), NOW).unwrap_err();
    assert!(matches!(err, VerifyError::WrongChain { ref got, .. } if got == "other-chain"), "{err}");
    assert!(c.check_header(&header(CHAIN, 5, NOW, &vals), NOW).is_ok());
}

#[test]
fn a_header_older_than_the_maximum_age_is_refused() {
    let (_, vals) = set(4);
    let c = chain(&vals);
    let err = c.check_header(&header(CHAIN, 5, NOW - 61_000, &vals), NOW).unwrap_err();
    assert!(matches!(err, VerifyError::TooOld { age_ms: 61_000, max_age_ms: 60_000, .. }), "{err}");
    assert!(c.check_header(&header(CHAIN, 5, NOW - 59_000, &vals), NOW).is_ok(), "within the age");
    let err = c.check_header(&header(CHAIN, 5, NOW + MAX_FUTURE_SKEW_MS + 1, &vals), NOW).unwrap_err();
    assert!(matches!(err, VerifyError::FromTheFuture { .. }), "{err}");
}

#[test]
fn a_chain_declared_ahead_is_judged_by_its_own_clock_both_ways() {
    let (_, vals) = set(4);
    let c = chain(&vals);
    let month = 31 * 86_400_000;
    let ahead = header(CHAIN, 5, NOW + month, &vals);
    assert!(matches!(c.check_header(&ahead, NOW), Err(VerifyError::FromTheFuture { .. })));
    c.set_clock_ahead(month);
    assert!(c.check_header(&ahead, NOW).is_ok(), "a block stamped on the moved clock passes");
    // The moved clock also ages: a block stamped at the local time is now a month old.
    let err = c.check_header(&header(CHAIN, 6, NOW, &vals), NOW).unwrap_err();
    assert!(matches!(err, VerifyError::TooOld { .. }), "{err}");
    let err = c.check_header(&header(CHAIN, 7, NOW + month + MAX_FUTURE_SKEW_MS + 1, &vals), NOW).unwrap_err();
    assert!(matches!(err, VerifyError::FromTheFuture { .. }), "{err}");
}

#[test]
fn a_header_below_the_minimum_height_is_refused_and_the_minimum_only_rises() {
    let (_, vals) = set(4);
    let c = chain(&vals);
    c.require_height(100);
    c.require_height(50);
    assert_eq!(c.min_height(), 100);
    let err = c.check_header(&header(CHAIN, 99, NOW, &vals), NOW).unwrap_err();
    assert!(matches!(err, VerifyError::BelowMinHeight { height: 99, min: 100 }), "{err}");
    assert!(c.check_header(&header(CHAIN, 100, NOW, &vals), NOW).is_ok());
}

fn answer(h: &BlockHeader, c: &Commit) -> serde_json::Value {
    json!({"height": h.height, "header": h, "commit": c, "value_hex": null, "proof_hex": ""})
}

/// A real state trie (the node's store) holding `entries` as its first version: its root and a
/// proof of each key against it, as a node serves them.
fn state(entries: &[(&[u8], Vec<u8>)]) -> (Hash, Vec<Vec<u8>>) {
    let dir = tempfile::tempdir().unwrap();
    let store = dojang_store::Store::open(&dir.path().join("state.redb")).unwrap();
    let changes = entries.iter().map(|(k, v)| (k.to_vec(), Some(v.clone()))).collect();
    let prepared = store.prepare_state(0, changes).unwrap();
    store.commit_genesis(Hash([1; 32]), &prepared).unwrap();
    let proofs = entries.iter().map(|(k, _)| store.prove(k).unwrap().proof).collect();
    (prepared.root, proofs)
}

#[test]
fn a_verified_read_raises_the_minimum_so_a_later_request_answered_lower_is_refused_but_one_already_in_flight_is_not() {
    let (keys, vals) = set(4);
    let c = chain(&vals);
    let (root, proofs) = state(&[(b"k", b"v".to_vec())]);
    let mut h = header(CHAIN, 20, NOW, &vals);
    h.state_root = root;
    let good = json!({"height": 20, "header": h, "commit": commit(&h, &keys[..3]), "value_hex": hex::encode(b"v"),
        "proof_hex": hex::encode(&proofs[0])});
    // A wrong proof fails after the header checks passed, and raises nothing.
    let mut bad = good.clone();
    bad["proof_hex"] = json!("");
    assert!(matches!(
        check_answer(b"k", &decode_answer(&bad).unwrap(), &c, NOW, c.min_height()),
        Err(VerifyError::Proof(_))
    ));
    assert_eq!(c.min_height(), 0, "a failed read raises nothing");
    // A real answer: certified by three of four, value proven against the header's state root.
    let read = check_answer(b"k", &decode_answer(&good).unwrap(), &c, NOW, c.min_height()).unwrap();
    assert_eq!((read.height, read.value.as_deref()), (20, Some(&b"v"[..])));
    assert_eq!(c.min_height(), 20, "the verified read raised the minimum to its height");
    // An older header, to a request sent after height 20 was seen, is refused before any
    // proof is looked at.
    let mut old = header(CHAIN, 19, NOW, &vals);
    old.state_root = root;
    let late = json!({"height": 19, "header": old, "commit": commit(&old, &keys[..3]), "value_hex": hex::encode(b"v"),
        "proof_hex": hex::encode(&proofs[0])});
    let a = decode_answer(&late).unwrap();
    assert!(matches!(
        check_answer(b"k", &a, &c, NOW, c.min_height()),
        Err(VerifyError::BelowMinHeight { height: 19, min: 20 })
    ));
    // The same answer to a request sent while the minimum was still 19 (two reads in flight
    // across a block, the later one back first) is honest and accepted; the minimum stays.
    let read = check_answer(b"k", &a, &c, NOW, 19).expect("an answer no lower than when it was asked");
    assert_eq!(read.height, 19);
    assert_eq!(c.min_height(), 20, "a late answer lowers nothing");
}

#[test]
fn a_validator_set_taken_from_the_checked_node_is_refused() {
    let (_, pinned) = set(4);
    let (node_keys, node_vals) = set(4);
    let c = chain(&pinned);
    // The node signs its own headers with its own set and claims that set in state.
    let h = header(CHAIN, 10, NOW, &node_vals);
    assert!(c.needs_follow(&h));
    let a = decode_answer(&answer(&h, &commit(&h, &node_keys))).unwrap();
    let err = check_answer(b"k", &a, &c, NOW, c.min_height()).unwrap_err();
    assert!(matches!(err, VerifyError::Follow { height: 10, .. }), "{err}");
    // Following to its set needs the pinned set's certificate: the node's own is refused.
    let prev = header(CHAIN, 9, NOW, &node_vals);
    let err = c.advance(&prev, &commit(&prev, &node_keys), node_vals.clone(), &[]).unwrap_err();
    assert!(matches!(err, VerifyError::Commit(CommitError::NotEnoughPower { got: 0, .. })), "{err}");
    assert_eq!(c.pinned(), (1, pinned), "the pinned set is unchanged");
}

#[test]
fn following_needs_more_than_two_thirds_of_the_pinned_set_and_a_proof() {
    let (keys, pinned) = set(4);
    let (_, next) = set(4);
    let c = chain(&pinned);
    let prev = header(CHAIN, 9, NOW, &pinned);
    // Two of four (half the power) is not enough.
    let err = c.advance(&prev, &commit(&prev, &keys[..2]), next.clone(), &[]).unwrap_err();
    assert!(matches!(err, VerifyError::Commit(CommitError::NotEnoughPower { got: 20, total: 40 })), "{err}");
    // Three of four signed, but the proof of the new set does not check against the header.
    let err = c.advance(&prev, &commit(&prev, &keys[..3]), next.clone(), &[1, 2, 3]).unwrap_err();
    assert!(matches!(err, VerifyError::Proof(_)), "{err}");
    let err = c.advance(&header("other", 9, NOW, &pinned), &commit(&prev, &keys), next.clone(), &[]).unwrap_err();
    assert!(matches!(err, VerifyError::WrongChain { .. }), "{err}");
    let err = c.advance(&header(CHAIN, 0, NOW, &pinned), &commit(&prev, &keys), next, &[]).unwrap_err();
    assert!(matches!(err, VerifyError::Follow { height: 1, .. }), "following goes forward only: {err}");
    assert_eq!(c.pinned().0, 1);
}

#[test]
fn following_pins_the_set_proven_by_a_header_the_pinned_set_certified() {
    let (keys, pinned) = set(4);
    let (next_keys, next) = set(4);
    let c = chain(&pinned);
    // Height 9's state (decided by the pinned set) names the set deciding height 10.
    let (root, proofs) = state(&[(VALIDATORS_KEY, encode(&next))]);
    let mut prev = header(CHAIN, 9, NOW, &pinned);
    prev.state_root = root;
    // A proof of another set than the one offered does not check.
    let (_, other) = set(4);
    let err = c.advance(&prev, &commit(&prev, &keys[..3]), other, &proofs[0]).unwrap_err();
    assert!(matches!(err, VerifyError::Proof(_)), "{err}");
    assert_eq!(c.pinned(), (1, pinned.clone()), "a failed step pins nothing");
    // Three of four of the pinned set certify height 9, whose state proves the next set.
    c.advance(&prev, &commit(&prev, &keys[..3]), next.clone(), &proofs[0]).unwrap();
    assert_eq!(c.pinned(), (10, next.clone()), "the new set decides from prev.height + 1");
    let h = header(CHAIN, 10, NOW, &next);
    assert!(!c.needs_follow(&h));
    // Headers from 10 on are checked against the new set; the old set's certificate no longer counts.
    assert!(c.validators_for(&h).is_ok());
    let err = verify_commit(&h, &commit(&h, &keys), &c.validators_for(&h).unwrap()).unwrap_err();
    assert!(matches!(err, CommitError::NotEnoughPower { got: 0, .. }), "{err}");
    verify_commit(&h, &commit(&h, &next_keys[..3]), &c.validators_for(&h).unwrap()).unwrap();
}

#[test]
fn malformed_state_answers_are_refused() {
    let (keys, vals) = set(1);
    let h = header(CHAIN, 3, NOW, &vals);
    let good = answer(&h, &commit(&h, &keys));
    assert!(decode_answer(&good).is_ok());
    let mut cases = vec![json!(null), json!([]), json!({"height": 0}), json!({"height": "3"})];
    for (k, v) in [
        ("header", json!("x")),
        ("commit", json!({})),
        ("value_hex", json!("zz")),
        ("value_hex", json!(5)),
        ("proof_hex", json!("not hex")),
        ("proof_hex", json!(null)),
        ("height", json!(4)),
    ] {
        let mut bad = good.clone();
        bad[k] = v;
        cases.push(bad);
    }
    for bad in cases {
        let r = decode_answer(&bad);
        assert!(matches!(r, Err(VerifyError::Malformed(_) | VerifyError::NoHeader)), "{bad}");
    }
}

#[test]
fn a_genesis_file_pins_its_chain_and_validators_in_address_order_and_a_bad_one_says_why() {
    let dir = tempfile::tempdir().unwrap();
    let (_, vals) = set(3);
    let mut reversed = vals.clone();
    reversed.sort_by_key(|v| std::cmp::Reverse(v.address));
    let listed: Vec<_> =
        reversed.iter().map(|v| json!({"name": v.name, "public_key": v.public_key, "power": v.power})).collect();
    let write = |name: &str, v: serde_json::Value| {
        let p = dir.path().join(name);
        std::fs::write(&p, serde_json::to_vec(&v).unwrap()).unwrap();
        p
    };
    let good = write("genesis.json", json!({"chain_id": CHAIN, "genesis_time_ms": 1, "validators": listed}));
    let chain = TrustedChain::from_genesis_file(&good).unwrap();
    let mut sorted = vals.clone();
    sorted.sort_by_key(|v| v.address);
    assert_eq!(chain.chain_id(), CHAIN);
    assert_eq!(chain.pinned(), (1, sorted));

    for (name, v, why) in [
        ("empty.json", json!({"chain_id": CHAIN, "validators": []}), "no validators"),
        ("no-id.json", json!({"validators": listed}), "chain_id"),
        (
            "bad-key.json",
            json!({"chain_id": CHAIN, "validators": [{"name": "x", "public_key": "zz", "power": 1}]}),
            "public key must look like",
        ),
    ] {
        let err = TrustedChain::from_genesis_file(&write(name, v)).unwrap_err().to_string();
        assert!(err.contains(why) && err.contains(name), "{name}: {err}");
    }
    let missing = TrustedChain::from_genesis_file(&dir.path().join("missing.json")).unwrap_err().to_string();
    assert!(missing.contains("missing.json"), "{missing}");
}
