//! Ballots as a voter's device makes them and a validator checks them: honest ballots pass,
//! alone and in a batch; every tampered or ill-shaped one fails with a reason; an audit
//! reveals what a ballot encrypts; malformed encodings are refused.

use curve25519_dalek::scalar::Scalar;
use dojang_ballot::group::G;
use dojang_ballot::proof::RangeProof;
use dojang_ballot::{BallotError, Batch, Ciphertext, Element, EncryptedBallot, Num, QuestionShape};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

const CONTEXT: &[u8] = b"poll mapo-2026-budget / voter key 01";

fn key(rng: &mut StdRng) -> (Scalar, Element) {
    let s = Scalar::random(rng);
    (s, Element::new(s * G))
}

/// A participatory budget: up to 3 of 5 projects, and a yes/no question.
fn shapes() -> Vec<QuestionShape> {
    vec![QuestionShape { options: 5, min: 0, max: 3 }, QuestionShape { options: 2, min: 1, max: 1 }]
}

fn fails(r: Result<(), BallotError>, what: &str) {
    assert!(matches!(r, Err(BallotError::Proof(_)) | Err(BallotError::Shape(_))), "{what}: {r:?}");
}

#[test]
fn an_honest_ballot_verifies_and_its_audit_reveals_the_choices() {
    let mut rng = StdRng::seed_from_u64(1);
    let (_, y) = key(&mut rng);
    let chosen = vec![vec![0, 4], vec![1]];
    let (ballot, secrets) = EncryptedBallot::encrypt(CONTEXT, &y, &shapes(), &chosen, &mut rng).unwrap();
    ballot.verify(CONTEXT, &y, &shapes()).unwrap();
    assert_eq!(ballot.audit(&y, &secrets).unwrap(), chosen);
    // The same choices again make another ballot: nothing links the two.
    let (again, _) = EncryptedBallot::encrypt(CONTEXT, &y, &shapes(), &chosen, &mut rng).unwrap();
    assert_ne!(again.tracking_code(), ballot.tracking_code());
    // A device that lies about its randomness is caught by the audit.
    let mut wrong = secrets.clone();
    wrong.randomness[0][1] = Num(Scalar::random(&mut rng));
    assert!(matches!(ballot.audit(&y, &wrong), Err(BallotError::Audit(_))));
}

#[test]
fn a_ballot_survives_json_and_keeps_its_tracking_code() {
    let mut rng = StdRng::seed_from_u64(2);
    let (_, y) = key(&mut rng);
    let (ballot, _) = EncryptedBallot::encrypt(CONTEXT, &y, &shapes(), &[vec![2], vec![0]], &mut rng).unwrap();
    let text = serde_json::to_string(&ballot).unwrap();
    let back: EncryptedBallot = serde_json::from_str(&text).unwrap();
    assert_eq!(back, ballot);
    assert_eq!(back.tracking_code(), ballot.tracking_code());
    back.verify(CONTEXT, &y, &shapes()).unwrap();
}

#[test]
fn selections_the_poll_does_not_allow_are_refused_on_the_device() {
    let mut rng = StdRng::seed_from_u64(3);
    let (_, y) = key(&mut rng);
    for (chosen, why) in [
        (vec![vec![0, 1, 2, 3], vec![0]], "four of five where at most three"),
        (vec![vec![0], vec![]], "none where exactly one"),
        (vec![vec![0, 0], vec![1]], "the same option twice"),
        (vec![vec![5], vec![1]], "an option that does not exist"),
        (vec![vec![0]], "a question unanswered"),
    ] {
        let r = EncryptedBallot::encrypt(CONTEXT, &y, &shapes(), &chosen, &mut rng);
        assert!(matches!(r, Err(BallotError::Shape(_))), "{why}: {r:?}");
    }
}

#[test]
fn every_tampered_part_of_a_ballot_fails_verification() {
    let mut rng = StdRng::seed_from_u64(4);
    let (_, y) = key(&mut rng);
    let (ballot, _) = EncryptedBallot::encrypt(CONTEXT, &y, &shapes(), &[vec![1, 3], vec![0]], &mut rng).unwrap();
    let other = Element::new(Scalar::random(&mut rng) * G);

    // The proofs are bound to the poll and the voter's credential: copied elsewhere they fail.
    fails(ballot.verify(b"another poll", &y, &shapes()), "another context");
    fails(ballot.verify(CONTEXT, &other, &shapes()), "another election key");
    fails(
        ballot.verify(CONTEXT, &y, &[QuestionShape { options: 5, min: 0, max: 2 }, shapes()[1]]),
        "a narrower range than proven",
    );

    let mut t = ballot.clone();
    t.answers[0].choices[2].beta = Element::new(t.answers[0].choices[2].beta.point() + G);
    fails(t.verify(CONTEXT, &y, &shapes()), "a ciphertext shifted by one");
    let mut t = ballot.clone();
    t.answers[0].choices.swap(0, 1);
    fails(t.verify(CONTEXT, &y, &shapes()), "two ciphertexts swapped");
    let mut t = ballot.clone();
    t.answers[1].choice_proofs[0].branches[0].z = Num(Scalar::random(&mut rng));
    fails(t.verify(CONTEXT, &y, &shapes()), "a response replaced");
    let mut t = ballot.clone();
    t.answers[0].count_proof.branches[1].a = other.into();
    fails(t.verify(CONTEXT, &y, &shapes()), "a commitment replaced");
    let mut t = ballot.clone();
    t.answers[0].count_proof.branches.pop();
    fails(t.verify(CONTEXT, &y, &shapes()), "a branch removed");
    let mut t = ballot.clone();
    t.answers.pop();
    fails(t.verify(CONTEXT, &y, &shapes()), "a question left out");
    let mut t = ballot.clone();
    t.answers[0].choices.pop();
    t.answers[0].choice_proofs.pop();
    fails(t.verify(CONTEXT, &y, &shapes()), "an option left out");
}

#[test]
fn a_ciphertext_of_two_cannot_pass_as_a_choice() {
    // A cheating device encrypts 2 for one option (a double vote) and reuses an honest proof.
    let mut rng = StdRng::seed_from_u64(5);
    let (_, y) = key(&mut rng);
    let (ballot, secrets) = EncryptedBallot::encrypt(CONTEXT, &y, &shapes(), &[vec![0], vec![0]], &mut rng).unwrap();
    let mut t = ballot.clone();
    let r = secrets.randomness[0][0].0;
    t.answers[0].choices[0] = Ciphertext::encrypt_with(&y, 2, &r);
    fails(t.verify(CONTEXT, &y, &shapes()), "an option encrypting 2");
    // Nor can a proof be made for it.
    let (ct, r) = Ciphertext::encrypt(&y, 2, &mut rng);
    assert!(RangeProof::prove(CONTEXT, &y, &ct, &r, 2, 0, 1, &mut rng).is_err());
    // A proof made for a value it does not encrypt fails.
    let lie = RangeProof::prove(CONTEXT, &y, &ct, &r, 1, 0, 1, &mut rng).unwrap();
    assert!(lie.verify(CONTEXT, &y, &ct, 0, 1).is_err());
}

#[test]
fn a_batch_of_honest_ballots_holds_and_one_bad_ballot_sinks_it() {
    let mut rng = StdRng::seed_from_u64(6);
    let (_, y) = key(&mut rng);
    let mut ballots = Vec::new();
    for i in 0..20u32 {
        let picks: Vec<u32> = (0..5).filter(|_| rng.gen_bool(0.4)).take(3).collect();
        let ctx = format!("voter {i}").into_bytes();
        let (b, _) = EncryptedBallot::encrypt(&ctx, &y, &shapes(), &[picks, vec![i % 2]], &mut rng).unwrap();
        ballots.push((ctx, b));
    }
    let mut batch = Batch::new();
    for (ctx, b) in &ballots {
        b.check(ctx, &y, &shapes(), &mut batch).unwrap();
    }
    assert!(batch.holds());

    // A changed ciphertext changes its proof's hash: caught before any equation.
    let mut changed = ballots[3].1.clone();
    changed.answers[0].choices[4].alpha = Element::new(changed.answers[0].choices[4].alpha.point() + G);
    assert!(matches!(changed.check(&ballots[3].0, &y, &shapes(), &mut Batch::new()), Err(BallotError::Proof(_))));

    // A changed response is not hashed: the shape and challenges pass, and only the batch's
    // equations catch it.
    let bad = 13;
    let z = &mut ballots[bad].1.answers[0].choice_proofs[4].branches[1].z;
    *z = Num(z.0 + Scalar::ONE);
    let mut batch = Batch::new();
    for (ctx, b) in &ballots {
        b.check(ctx, &y, &shapes(), &mut batch).unwrap();
    }
    assert!(!batch.holds());
    let named: Vec<usize> = ballots
        .iter()
        .enumerate()
        .filter(|(_, (ctx, b))| b.verify(ctx, &y, &shapes()).is_err())
        .map(|(i, _)| i)
        .collect();
    assert_eq!(named, vec![bad]);
}

#[test]
fn malformed_elements_and_scalars_are_refused_with_a_reason() {
    let mut rng = StdRng::seed_from_u64(7);
    let (_, y) = key(&mut rng);
    let (ballot, _) = EncryptedBallot::encrypt(CONTEXT, &y, &shapes(), &[vec![], vec![1]], &mut rng).unwrap();
    let good = serde_json::to_value(&ballot).unwrap();
    let alpha = good["answers"][0]["choices"][0]["alpha"].as_str().unwrap().to_string();
    let z = good["answers"][0]["choice_proofs"][0]["branches"][0]["z"].as_str().unwrap().to_string();
    let order_plus = "edd3f55c1a631258d69cf7a2def9de1400000000000000000000000000000010";
    let cases: Vec<(&str, String, String)> = vec![
        ("/answers/0/choices/0/alpha", alpha.clone(), "ff".repeat(32)),
        ("/answers/0/choices/0/alpha", alpha.clone(), alpha[..62].to_string()),
        ("/answers/0/choices/0/alpha", alpha.clone(), "zz".repeat(32)),
        ("/answers/0/choice_proofs/0/branches/0/z", z.clone(), order_plus.to_string()),
        ("/answers/0/choice_proofs/0/branches/0/z", z.clone(), "00".repeat(33)),
    ];
    for (path, _, bad) in cases {
        let mut v = good.clone();
        *v.pointer_mut(path).unwrap() = serde_json::Value::String(bad.clone());
        let err = serde_json::from_value::<EncryptedBallot>(v).unwrap_err().to_string();
        assert!(err.contains("point") || err.contains("scalar") || err.contains("hex"), "{path} = {bad}: {err}");
    }
    assert!(Element::from_bytes(&[0u8; 31]).is_err());
    assert!(Num::from_bytes(&[0xff; 32]).is_err());

    // A proof's commitment is decoded when its proof is checked: one of the wrong length or
    // in bad hex is refused at once, one that is no point fails the ballot's check (its bytes
    // are in the challenge, so the challenge fails first).
    let a = "/answers/0/choice_proofs/0/branches/0/a";
    for bad in ["ab".repeat(31), "zz".repeat(32)] {
        let mut v = good.clone();
        *v.pointer_mut(a).unwrap() = serde_json::Value::String(bad.clone());
        let err = serde_json::from_value::<EncryptedBallot>(v).unwrap_err().to_string();
        assert!(err.contains("point") || err.contains("hex"), "{bad}: {err}");
    }
    for path in [a, "/answers/1/count_proof/branches/0/b"] {
        let mut v = good.clone();
        *v.pointer_mut(path).unwrap() = serde_json::Value::String("ff".repeat(32));
        let decoded: EncryptedBallot = serde_json::from_value(v).unwrap();
        let err = decoded.verify(CONTEXT, &y, &shapes()).unwrap_err().to_string();
        assert!(err.contains("proof fails"), "{path}: {err}");
    }
}
