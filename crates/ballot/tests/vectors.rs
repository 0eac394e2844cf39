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

/// Compares `v` with the committed vector `name` (rewritten with DOJANG_WRITE_VECTORS=1).
fn same_as_committed(v: &Value, name: &str) {
    let file = path(name);
    let text = serde_json::to_string_pretty(v).unwrap() + "\n";
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
    same_as_committed(&v, "made-in-rust.json");
}

/// The trustees' side, for the TypeScript verifier (sdk-ts/test/trustees.test.ts): three
/// trustees deal with threshold 2, the first seals a bad share to the third, who complains
/// (and complains, unfounded, about the second's good share);
/// the two dealings that stand make the key; three ballots' worth of totals are decrypted by
/// trustees 1 and 3 (2 absent). Made from a fixed seed and compared with the committed file.
#[test]
fn the_trustee_vector_made_here_is_the_committed_one() {
    use dojang_ballot::dkg::{election_key, verification_key};
    use dojang_ballot::elgamal::sum;
    use dojang_ballot::tally::combine;
    use dojang_ballot::{Ciphertext, Dealing, DecryptionShare};

    let mut rng = StdRng::seed_from_u64(2027);
    let ctx = b"dojang/voting/v1/poll/mapo-budget-2026";
    let transport: Vec<Scalar> = (0..3).map(|_| Scalar::random(&mut rng)).collect();
    let keys: Vec<(u32, Element)> =
        transport.iter().enumerate().map(|(i, x)| (i as u32 + 1, Element::new(x * G))).collect();
    let mut dealings: Vec<Dealing> = (1..=3).map(|j| Dealing::deal(ctx, j, 2, &keys, &mut rng).unwrap().0).collect();
    let sealed = &mut dealings[0].shares.iter_mut().find(|s| s.to == 3).unwrap().sealed;
    *sealed = format!("{}{}", if sealed.starts_with('0') { "1" } else { "0" }, &sealed[1..]);
    assert!(dealings[0].open(ctx, 3, &transport[2]).is_err());
    let complaint = dealings[0].complain(ctx, 3, &transport[2], &mut rng).unwrap();
    assert!(dealings[0].judge(ctx, &complaint, &keys[2].1).unwrap());
    let unfounded = dealings[1].complain(ctx, 3, &transport[2], &mut rng).unwrap();
    assert!(!dealings[1].judge(ctx, &unfounded, &keys[2].1).unwrap());
    let standing: Vec<&Dealing> = dealings[1..].iter().collect();
    let key = election_key(&standing);
    let vks: Vec<Element> = (1..=3).map(|j| verification_key(&standing, j)).collect();
    let secret = |j: u32| standing.iter().map(|d| d.open(ctx, j, &transport[j as usize - 1]).unwrap()).sum::<Scalar>();

    // Three ballots of three options, 0 or 1 each.
    let votes = [[1u64, 0, 1], [1, 1, 0], [0, 0, 1]];
    let cts: Vec<Vec<Ciphertext>> =
        votes.iter().map(|v| v.iter().map(|&m| Ciphertext::encrypt(&key, m, &mut rng).0).collect()).collect();
    let totals: Vec<Ciphertext> = (0..3).map(|o| sum(cts.iter().map(|c| &c[o]))).collect();
    let shares: Vec<DecryptionShare> =
        [1u32, 3].iter().map(|&j| DecryptionShare::make(ctx, j, &secret(j), &totals, &mut rng)).collect();
    for s in &shares {
        s.verify(ctx, &vks[s.trustee as usize - 1], &totals).unwrap();
    }
    let counts = combine(&totals, &shares.iter().collect::<Vec<_>>(), 2, 3).unwrap();
    assert_eq!(counts, vec![2, 1, 2]);

    let v = json!({
        "about": "Trustees' dealings, a founded complaint, the key and the decryption of totals, made by crates/ballot from a fixed seed; sdk-ts/test/trustees.test.ts checks it in TypeScript.",
        "context": std::str::from_utf8(ctx).unwrap(), "threshold": 2,
        "transport_keys": keys.iter().map(|(_, k)| k).collect::<Vec<_>>(),
        "dealings": dealings, "complaint": complaint, "unfounded": unfounded, "disqualified": [1],
        "key": key, "verification_keys": vks, "totals": totals, "shares": shares,
        "max": 3, "counts": counts,
    });
    same_as_committed(&v, "trustees-made-in-rust.json");
}
