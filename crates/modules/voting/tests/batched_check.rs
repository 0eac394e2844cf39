//! Ballots checked together (at admission, and in a block this node did not admit): one
//! multi-scalar multiplication for all their proofs, and still one verdict per ballot, the
//! same as each checked alone. A false proof among good ones is found and refused alone; a
//! malformed ballot is refused without spoiling the batch.

use curve25519_dalek::scalar::Scalar;
use dojang_ballot::group::G;
use dojang_ballot::{Element, EncryptedBallot, Num, QuestionShape};
use dojang_crypto::{Algorithm, Keypair};
use dojang_ledger::{ModuleError, Permit};
use dojang_voting::exec::{check, check_many};
use dojang_voting::msg::Token;
use dojang_voting::rules::ballot_context;
use dojang_voting::VotingMsg;
use rand::rngs::StdRng;
use rand::SeedableRng;

const POLL: &str = "mapo-budget-2026";

fn shapes() -> Vec<QuestionShape> {
    vec![QuestionShape { options: 5, min: 0, max: 2 }]
}

fn ballots(n: usize) -> Vec<VotingMsg> {
    let mut rng = StdRng::seed_from_u64(11);
    let key = Element::new(Scalar::random(&mut rng) * G);
    (0..n)
        .map(|i| {
            let voter = Keypair::generate(Algorithm::Ed25519).public_key().address();
            let picks = vec![(i % 5) as u32];
            let (ballot, _) =
                EncryptedBallot::encrypt(&ballot_context(POLL, &voter), &key, &shapes(), &[picks], &mut rng).unwrap();
            let token = Token { randomizer: String::new(), signature: String::new() };
            VotingMsg::Cast { poll: POLL.into(), voter, key, shapes: shapes(), token, ballot }
        })
        .collect()
}

fn refusal(verdict: &Result<Permit, ModuleError>) -> String {
    match verdict {
        Err(e) => e.to_string(),
        Ok(p) => panic!("expected a refusal, got {p:?}"),
    }
}

#[test]
fn good_ballots_checked_together_are_each_accepted() {
    let msgs = ballots(12);
    let refs: Vec<&VotingMsg> = msgs.iter().collect();
    let verdicts = check_many(&refs);
    assert_eq!(verdicts.len(), 12);
    for (i, v) in verdicts.iter().enumerate() {
        assert_eq!(v.as_ref().ok(), Some(&Permit::OwnRules), "ballot {i}: {v:?}");
    }
}

#[test]
fn a_false_proof_among_good_ballots_is_refused_alone_with_the_reason_a_lone_check_gives() {
    let mut msgs = ballots(12);
    // Ballot 5: one response of one branch changed (still a scalar, no longer a proof).
    if let VotingMsg::Cast { ballot, .. } = &mut msgs[5] {
        let z = &mut ballot.answers[0].choice_proofs[2].branches[1].z;
        *z = Num(z.0 + Scalar::ONE);
    }
    // Ballot 8: malformed, a proof missing (refused before anything is batched).
    if let VotingMsg::Cast { ballot, .. } = &mut msgs[8] {
        ballot.answers[0].choice_proofs.pop();
    }
    // Ballot 10: its count proof's commitment replaced (refused part-way: its choices' proofs
    // are in the batch by then, and must leave it).
    if let VotingMsg::Cast { ballot, .. } = &mut msgs[10] {
        let bad: dojang_ballot::Commitment = serde_json::from_value(serde_json::json!("ff".repeat(32))).unwrap();
        ballot.answers[0].count_proof.branches[2].b = bad;
    }
    let refs: Vec<&VotingMsg> = msgs.iter().collect();
    let verdicts = check_many(&refs);
    for (i, v) in verdicts.iter().enumerate() {
        match i {
            5 | 8 | 10 => {
                let why = refusal(v);
                assert!(why.contains("VOTE-04"), "ballot {i}: {why}");
                assert_eq!(why, refusal(&check(&msgs[i])), "ballot {i}: the batch and a lone check agree");
            }
            _ => assert_eq!(v.as_ref().ok(), Some(&Permit::OwnRules), "ballot {i}: {v:?}"),
        }
    }
    assert!(refusal(&verdicts[5]).contains("not proven well formed"), "{}", refusal(&verdicts[5]));
    assert!(refusal(&verdicts[10]).contains("do not add up"), "{}", refusal(&verdicts[10]));
}

#[test]
fn a_ballot_for_a_malformed_poll_id_is_refused_in_a_batch_as_alone() {
    let mut msgs = ballots(3);
    if let VotingMsg::Cast { poll, .. } = &mut msgs[1] {
        *poll = "Not A Poll!".into();
    }
    let refs: Vec<&VotingMsg> = msgs.iter().collect();
    let verdicts = check_many(&refs);
    assert!(verdicts[0].is_ok() && verdicts[2].is_ok(), "{verdicts:?}");
    assert!(refusal(&verdicts[1]).contains("is not a poll id"), "{:?}", verdicts[1]);
}
