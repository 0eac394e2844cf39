//! The vectors shared with the TypeScript wallet (sdk-ts/test/voting.test.ts): the ballot
//! TypeScript made verifies here, with its tracking code and audit; the ballot made here from
//! a fixed seed is exactly the committed one, which the TypeScript test verifies.
//! `DOJANG_WRITE_VECTORS=1 cargo test -p dojang-ballot --test vectors` rewrites it after a
//! deliberate change of the format.

use curve25519_dalek::scalar::Scalar;
use dojang_ballot::group::G;
use dojang_ballot::{BallotSecrets, Element, EncryptedBallot, QuestionShape};
use rand::rngs::StdRng;
use rand::SeedableRng;
use serde_json::{json, Value};

fn path(name: &str) -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/vectors").join(name)
}

fn check(v: &Value) {
    let context = v["context"].as_str().unwrap().as_bytes();
    let key: Element = serde_json::from_value(v["key"].clone()).unwrap();
    let shapes: Vec<QuestionShape> = serde_json::from_value(v["shapes"].clone()).unwrap();
    let ballot: EncryptedBallot = serde_json::from_value(v["ballot"].clone()).unwrap();
    let secrets: BallotSecrets = serde_json::from_value(v["secrets"].clone()).unwrap();
    let selections: Vec<Vec<u32>> = serde_json::from_value(v["selections"].clone()).unwrap();
    ballot.verify(context, &key, &shapes).unwrap();
    assert_eq!(hex::encode(ballot.tracking_code()), v["tracking"].as_str().unwrap());
    assert_eq!(ballot.audit(&key, &secrets).unwrap(), selections);
    assert!(ballot.verify(b"another context", &key, &shapes).is_err());
}

#[test]
fn the_ballot_typescript_made_verifies_here() {
    let v: Value = serde_json::from_str(&std::fs::read_to_string(path("made-in-typescript.json")).unwrap()).unwrap();
    check(&v);
}

#[test]
fn the_ballot_made_here_is_the_committed_vector() {
    let mut rng = StdRng::seed_from_u64(2026);
    let key = Element::new(Scalar::from(555_555_555u64) * G);
    let context = "dojang/voting/v1/poll/mapo-budget-2026/voter/dj00000000000000000000000000000000000000bb";
    let shapes = vec![QuestionShape { options: 5, min: 0, max: 2 }, QuestionShape { options: 2, min: 1, max: 1 }];
    let selections = vec![vec![2, 4], vec![0]];
    let (ballot, secrets) = EncryptedBallot::encrypt(context.as_bytes(), &key, &shapes, &selections, &mut rng).unwrap();
    let v = json!({
        "about": "A ballot made by crates/ballot from a fixed seed; sdk-ts/test/voting.test.ts verifies it in TypeScript.",
        "context": context, "key": key, "shapes": shapes, "selections": selections,
        "ballot": ballot, "secrets": secrets, "tracking": hex::encode(ballot.tracking_code()),
    });
    check(&v);
    let file = path("made-in-rust.json");
    let text = serde_json::to_string_pretty(&v).unwrap() + "\n";
    if std::env::var("DOJANG_WRITE_VECTORS").is_ok() {
        std::fs::write(&file, &text).unwrap();
    }
    let committed = std::fs::read_to_string(&file).unwrap_or_default();
    assert!(
        committed == text,
        "{} differs from what the crate makes; rewrite it with DOJANG_WRITE_VECTORS=1 if the change is deliberate",
        file.display()
    );
}
