//! The NOMT proof vectors the TypeScript SDK checks (`docs/examples/nomt-proofs.json`) are
//! proofs a real NOMT database made: this test makes them again from the same state and fails
//! if the file differs, so the SDKs are tested against the engine, not against our reading of
//! it. Run with `DOJANG_WRITE_VECTORS=1` to write the file after a deliberate change.

use std::path::PathBuf;

use dojang_crypto::{verify_state_proof, NomtProofError};
use dojang_state_engines::{Engine, NomtTrie};
use serde_json::{json, Value};

const KEYS: u32 = 200;

fn vectors_file() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../docs/examples/nomt-proofs.json")
}

fn key(i: u32) -> Vec<u8> {
    format!("vector/key/{i}").into_bytes()
}

fn value(i: u32) -> Vec<u8> {
    format!("value of key {i}").into_bytes()
}

fn case(trie: &NomtTrie, key: &[u8], value: Option<&[u8]>, what: &str) -> Value {
    let proof = trie.proof(key).unwrap();
    json!({
        "what": what,
        "key": String::from_utf8(key.to_vec()).unwrap(),
        "value": value.map(|v| String::from_utf8(v.to_vec()).unwrap()),
        "proof_hex": hex::encode(proof.encode()),
    })
}

/// The first absent key whose path ends at a leaf (`at_leaf`) or at an empty subtree.
fn absent_key(trie: &NomtTrie, at_leaf: bool) -> Vec<u8> {
    (0u32..10_000)
        .map(|j| format!("vector/absent/{j}").into_bytes())
        .find(|k| trie.proof(k).unwrap().leaf.is_some() == at_leaf)
        .expect("among 10,000 absent keys some end at a leaf and some at an empty subtree")
}

fn made_by_nomt() -> Value {
    let dir = tempfile::tempdir().unwrap();
    let mut trie = NomtTrie::create(&dir.path().join("nomt"), u64::from(KEYS), 1, 16).unwrap();
    let empty = case(&trie, b"vector/key/0", None, "an empty state: every key absent");
    let empty_root = hex::encode(trie.root().0);
    trie.apply(1, (0..KEYS).map(|i| (key(i), value(i))).collect()).unwrap();
    let mut cases: Vec<Value> = [0, 1, 57, KEYS - 1]
        .into_iter()
        .map(|i| case(&trie, &key(i), Some(&value(i)), "a present key and its value"))
        .collect();
    cases.push(case(&trie, &absent_key(&trie, true), None, "an absent key whose path ends at another key's leaf"));
    cases.push(case(&trie, &absent_key(&trie, false), None, "an absent key whose path ends in an empty subtree"));
    json!({
        "about": "State proofs made by NOMT 1.0 (SHA-256) in our wire form (decision 0027); \
                  written by crates/state-engines/tests/nomt_proof_vectors.rs",
        "root": hex::encode(trie.root().0),
        "cases": cases,
        "empty": { "root": empty_root, "case": empty },
    })
}

fn check(root_hex: &str, c: &Value) -> Result<(), NomtProofError> {
    let root = dojang_types::Hash(hex::decode(root_hex).unwrap().try_into().unwrap());
    let key = c["key"].as_str().unwrap().as_bytes();
    let value = c["value"].as_str().map(str::as_bytes);
    verify_state_proof(key, value, &root, &hex::decode(c["proof_hex"].as_str().unwrap()).unwrap())
}

#[test]
fn the_committed_vectors_are_what_nomt_proves_and_each_checks() {
    let made = made_by_nomt();
    let root = made["root"].as_str().unwrap();
    let cases = made["cases"].as_array().unwrap();
    assert_eq!(cases.len(), 6);
    for c in cases {
        assert_eq!(check(root, c), Ok(()), "{c}");
    }
    assert_eq!(made["empty"]["root"], json!("0".repeat(64)), "an empty trie's root is the terminator");
    assert_eq!(check(made["empty"]["root"].as_str().unwrap(), &made["empty"]["case"]), Ok(()));
    // What the proofs may not be made to say.
    let present = &cases[0];
    let mut claimed_absent = present.clone();
    claimed_absent["value"] = Value::Null;
    assert_eq!(check(root, &claimed_absent), Err(NomtProofError::Present));
    let mut other_value = present.clone();
    other_value["value"] = json!("another value");
    assert_eq!(check(root, &other_value), Err(NomtProofError::OtherValue));
    let mut claimed_present = cases[4].clone();
    claimed_present["value"] = json!("value of key 0");
    assert_eq!(check(root, &claimed_present), Err(NomtProofError::OtherKey));
    let mut other_key = present.clone();
    other_key["key"] = cases[3]["key"].clone();
    assert!(
        matches!(check(root, &other_key), Err(NomtProofError::RootMismatch | NomtProofError::OtherKey)),
        "a proof moved to another key is refused"
    );

    let path = vectors_file();
    if std::env::var_os("DOJANG_WRITE_VECTORS").is_some() {
        std::fs::write(&path, serde_json::to_string_pretty(&made).unwrap() + "\n").unwrap();
    }
    let committed: Value = serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
    assert_eq!(
        committed,
        made,
        "{} differs from what NOMT proves now; if the change is deliberate, run this test with \
         DOJANG_WRITE_VECTORS=1 and commit the file",
        path.display()
    );
}
