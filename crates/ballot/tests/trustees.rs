//! The trustees' side: a 2-of-3 key generation in which no one holds the secret, a tally that
//! equals the plaintext count with any two trustees (one absent), a wrong decryption share
//! detected and named, and a cheating dealer caught by a complaint anyone can judge.

use curve25519_dalek::scalar::Scalar;
use dojang_ballot::dkg::{election_key, verification_key};
use dojang_ballot::elgamal::sum;
use dojang_ballot::group::G;
use dojang_ballot::tally::combine;
use dojang_ballot::{BallotError, Ciphertext, Dealing, DecryptionShare, Element, EncryptedBallot, QuestionShape};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

const POLL: &[u8] = b"poll mapo-2026-budget";

struct Trustees {
    dealings: Vec<Dealing>,
    secrets: Vec<Scalar>,
    key: Element,
}

/// Three trustees, threshold two: each deals, each opens the shares dealt to it.
fn generate(rng: &mut StdRng) -> Trustees {
    let transport_secrets: Vec<Scalar> = (0..3).map(|_| Scalar::random(rng)).collect();
    let transport: Vec<(u32, Element)> =
        transport_secrets.iter().enumerate().map(|(i, t)| (i as u32 + 1, Element::new(t * G))).collect();
    let dealings: Vec<Dealing> = (1..=3).map(|i| Dealing::deal(POLL, i, 2, &transport, rng).unwrap().0).collect();
    for d in &dealings {
        d.check(POLL, 2, &[1, 2, 3]).unwrap();
    }
    let secrets = (1..=3u32)
        .map(|j| dealings.iter().map(|d| d.open(POLL, j, &transport_secrets[j as usize - 1]).unwrap()).sum())
        .collect();
    let all: Vec<&Dealing> = dealings.iter().collect();
    let key = election_key(&all);
    Trustees { dealings, secrets, key }
}

#[test]
fn each_trustees_share_matches_the_public_verification_key_and_none_decrypts_alone() {
    let mut rng = StdRng::seed_from_u64(10);
    let t = generate(&mut rng);
    let all: Vec<&Dealing> = t.dealings.iter().collect();
    let (ct, _) = Ciphertext::encrypt(&t.key, 3, &mut rng);
    let three = Scalar::from(3u64) * G;
    for j in 1..=3u32 {
        let x = &t.secrets[j as usize - 1];
        assert_eq!(Element::new(x * G), verification_key(&all, j), "trustee {j}");
        // A share alone does not open a ballot.
        assert_ne!(dojang_ballot::elgamal::decrypt_point(x, &ct), three, "trustee {j} decrypts alone");
    }
    // Two shares, weighted at zero, do: the secret exists only as their combination.
    let share =
        |j: u32| DecryptionShare::make(POLL, j, &t.secrets[j as usize - 1], &[ct], &mut StdRng::seed_from_u64(1));
    assert_eq!(combine(&[ct], &[&share(1), &share(2)], 2, 10).unwrap(), vec![3]);
}

type Change = Box<dyn Fn(&mut DecryptionShare)>;

#[test]
fn every_part_of_a_decryption_or_knowledge_proof_is_bound() {
    let mut rng = StdRng::seed_from_u64(14);
    let t = generate(&mut rng);
    let all: Vec<&Dealing> = t.dealings.iter().collect();
    let (ct, _) = Ciphertext::encrypt(&t.key, 2, &mut rng);
    let good = DecryptionShare::make(POLL, 1, &t.secrets[0], &[ct], &mut rng);
    let vk = verification_key(&all, 1);
    good.verify(POLL, &vk, &[ct]).unwrap();
    let other = Element::new(Scalar::random(&mut rng) * G);
    let changes: Vec<(&str, Change)> = vec![
        ("the response", Box::new(|s| s.proofs[0].z = dojang_ballot::Num(s.proofs[0].z.0 + Scalar::ONE))),
        ("the first commitment", Box::new(move |s| s.proofs[0].a = other.into())),
        ("the second commitment", Box::new(move |s| s.proofs[0].b = other.into())),
        ("the part", Box::new(move |s| s.parts[0] = other)),
        ("the trustee", Box::new(|s| s.trustee = 2)),
    ];
    for (what, change) in changes {
        let mut s = good.clone();
        change(&mut s);
        assert!(s.verify(POLL, &vk, &[ct]).is_err(), "{what}");
    }
    // A dealing's proof of knowledge: its response and its commitment.
    let mut d = t.dealings[0].clone();
    d.proof.z = dojang_ballot::Num(d.proof.z.0 + Scalar::ONE);
    assert!(d.check(POLL, 2, &[1, 2, 3]).is_err(), "the response");
    let mut d = t.dealings[0].clone();
    d.proof.a = other.into();
    assert!(d.check(POLL, 2, &[1, 2, 3]).is_err(), "the commitment");
}

#[test]
fn the_tally_with_any_two_trustees_equals_the_plaintext_count() {
    let mut rng = StdRng::seed_from_u64(11);
    let t = generate(&mut rng);
    let shape = [QuestionShape { options: 5, min: 0, max: 3 }];
    let mut reference = [0u64; 5];
    let mut ballots = Vec::new();
    for i in 0..60 {
        let mut picks: Vec<u32> = (0..5).filter(|_| rng.gen_bool(0.5)).collect();
        picks.truncate(3);
        for &p in &picks {
            reference[p as usize] += 1;
        }
        let ctx = format!("voter {i}").into_bytes();
        let (b, _) = EncryptedBallot::encrypt(&ctx, &t.key, &shape, &[picks], &mut rng).unwrap();
        b.verify(&ctx, &t.key, &shape).unwrap();
        ballots.push(b);
    }
    let totals: Vec<Ciphertext> = (0..5).map(|o| sum(ballots.iter().map(|b| &b.answers[0].choices[o]))).collect();
    let all: Vec<&Dealing> = t.dealings.iter().collect();
    let shares: Vec<DecryptionShare> =
        (1..=3u32).map(|j| DecryptionShare::make(POLL, j, &t.secrets[j as usize - 1], &totals, &mut rng)).collect();
    for s in &shares {
        s.verify(POLL, &verification_key(&all, s.trustee), &totals).unwrap();
    }
    for present in [[0, 1], [0, 2], [1, 2]] {
        let used: Vec<&DecryptionShare> = present.iter().map(|&i| &shares[i]).collect();
        assert_eq!(combine(&totals, &used, 2, 60).unwrap(), reference, "trustees {present:?}");
    }
    // One trustee's share is not enough, and the same trustee twice is not two.
    assert!(matches!(combine(&totals, &[&shares[0]], 2, 60), Err(BallotError::Shape(_))));
    assert!(matches!(combine(&totals, &[&shares[0], &shares[0]], 2, 60), Err(BallotError::Shape(_))));
}

#[test]
fn a_wrong_decryption_share_is_detected_and_names_its_trustee_and_total() {
    let mut rng = StdRng::seed_from_u64(12);
    let t = generate(&mut rng);
    let all: Vec<&Dealing> = t.dealings.iter().collect();
    let (ct0, _) = Ciphertext::encrypt(&t.key, 3, &mut rng);
    let (ct1, _) = Ciphertext::encrypt(&t.key, 4, &mut rng);
    let totals = [ct0, ct1];
    // Trustee 2 shifts its part for the second total (to change the result).
    let mut share = DecryptionShare::make(POLL, 2, &t.secrets[1], &totals, &mut rng);
    share.parts[1] = Element::new(share.parts[1].point() + G);
    let err = share.verify(POLL, &verification_key(&all, 2), &totals).unwrap_err().to_string();
    assert!(err.contains("trustee 2") && err.contains("total 1"), "{err}");
    // A share made with another trustee's secret fails against its own key.
    let impostor = DecryptionShare::make(POLL, 3, &t.secrets[0], &totals, &mut rng);
    assert!(impostor.verify(POLL, &verification_key(&all, 3), &totals).is_err());
    // An honest share posted for another poll fails here.
    let elsewhere = DecryptionShare::make(b"another poll", 1, &t.secrets[0], &totals, &mut rng);
    assert!(elsewhere.verify(POLL, &verification_key(&all, 1), &totals).is_err());
}

#[test]
fn a_bad_share_is_complained_about_and_anyone_can_judge_the_complaint() {
    let mut rng = StdRng::seed_from_u64(13);
    let transport_secrets: Vec<Scalar> = (0..3).map(|_| Scalar::random(&mut rng)).collect();
    let transport: Vec<(u32, Element)> =
        transport_secrets.iter().enumerate().map(|(i, t)| (i as u32 + 1, Element::new(t * G))).collect();
    let (mut cheat, _) = Dealing::deal(POLL, 1, 2, &transport, &mut rng).unwrap();
    let honest = Dealing::deal(POLL, 2, 2, &transport, &mut rng).unwrap().0;
    // Dealer 1 garbles the share it seals to trustee 2.
    let sealed = &mut cheat.shares.iter_mut().find(|s| s.to == 2).unwrap().sealed;
    let mut bytes = hex::decode(&*sealed).unwrap();
    bytes[0] ^= 1;
    *sealed = hex::encode(bytes);
    // Its public parts still check: only trustee 2 can tell.
    cheat.check(POLL, 2, &[1, 2, 3]).unwrap();
    assert!(matches!(cheat.open(POLL, 2, &transport_secrets[1]), Err(BallotError::Dealing(_))));
    cheat.open(POLL, 3, &transport_secrets[2]).unwrap();

    let complaint = cheat.complain(POLL, 2, &transport_secrets[1], &mut rng).unwrap();
    assert_eq!(cheat.judge(POLL, &complaint, &transport[1].1), Ok(true), "the dealer cheated");
    // A complaint about a good share is judged false.
    let unfounded = honest.complain(POLL, 2, &transport_secrets[1], &mut rng).unwrap();
    assert_eq!(honest.judge(POLL, &unfounded, &transport[1].1), Ok(false));
    // A complaint with a made-up secret proves nothing.
    let mut forged = complaint.clone();
    forged.shared = Element::new(Scalar::random(&mut rng) * G);
    assert!(matches!(cheat.judge(POLL, &forged, &transport[1].1), Err(BallotError::Proof(_))));
    // A dealing whose first commitment was swapped after the fact fails its proof of knowledge.
    let mut swapped = honest.clone();
    swapped.commitments[0] = Element::new(Scalar::random(&mut rng) * G);
    assert!(swapped.check(POLL, 2, &[1, 2, 3]).is_err());
    // And one that leaves a trustee out is refused.
    let mut short = honest.clone();
    short.shares.pop();
    assert!(matches!(short.check(POLL, 2, &[1, 2, 3]), Err(BallotError::Shape(_))));
}

#[test]
fn counts_up_to_a_million_are_found_and_beyond_the_bound_are_not() {
    let table = dojang_ballot::tally::DlogTable::new(1_000_000);
    for m in [0u64, 1, 999, 1000, 1001, 123_457, 999_999, 1_000_000] {
        assert_eq!(table.find(&(Scalar::from(m) * G)), Some(m), "{m}");
    }
    assert_eq!(table.find(&(Scalar::from(1_000_001u64) * G)), None);
}
