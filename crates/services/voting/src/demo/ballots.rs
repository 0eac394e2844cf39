//! The voters' devices in the demo: each encrypts its choices with proofs, signs the ballot
//! with its voting key and sends it; one voter audits a ballot first (Benaloh), some vote
//! again. The plaintext choices stay here, as the reference the published result must equal.

use anyhow::{bail, Context};
use dojang_ballot::{BallotSecrets, Element, EncryptedBallot, QuestionShape};
use dojang_crypto::Keypair;
use dojang_sdk::TxBuilder;
use dojang_types::{Hash, SignedTx};
use dojang_voting::msg::{Token, VotingMsg};
use dojang_voting::rules::ballot_context;

/// A registered voter: the voting key and the registrar's token for it.
pub struct Voter {
    pub key: Keypair,
    pub token: Token,
}

/// Voter `i`'s choices in round `round` (0, or 1 for a second ballot): up to two of the five
/// projects, some blank ballots, a spread that differs between rounds.
pub fn picks(i: usize, round: usize) -> Vec<u32> {
    let a = ((i * 7 + round * 3) % 5) as u32;
    let b = ((i * 3 + 1 + round) % 5) as u32;
    match (i + round) % 6 {
        0 => vec![],
        1 | 2 => vec![a],
        _ if a == b => vec![a],
        _ => {
            let mut v = vec![a, b];
            v.sort_unstable();
            v
        }
    }
}

/// The voter's device encrypts `choices` for `poll`, with the proofs and the randomness.
fn encrypt(
    poll: &str,
    key: &Element,
    shapes: &[QuestionShape],
    voter: &Voter,
    choices: &[u32],
) -> anyhow::Result<(EncryptedBallot, BallotSecrets)> {
    let context = ballot_context(poll, &voter.key.public_key().address());
    Ok(EncryptedBallot::encrypt(&context, key, shapes, &[choices.to_vec()], &mut rand::thread_rng())?)
}

/// The voter's signed cast transaction for `choices`, and its tracking code.
pub fn cast_tx(
    chain_id: &str,
    poll: &str,
    key: &Element,
    shapes: &[QuestionShape],
    voter: &Voter,
    choices: &[u32],
    nonce: u64,
) -> anyhow::Result<(SignedTx, Hash)> {
    let (ballot, _) = encrypt(poll, key, shapes, voter, choices)?;
    let tracking = Hash(ballot.tracking_code());
    let msg = VotingMsg::Cast {
        poll: poll.into(),
        voter: voter.key.public_key().address(),
        key: *key,
        shapes: shapes.to_vec(),
        token: voter.token.clone(),
        ballot,
    };
    let expires = dojang_types::wall_clock_ms() + 600_000;
    let tx = TxBuilder::new(chain_id, voter.key.duplicate()).message_with(&msg, nonce, expires);
    Ok((tx, tracking))
}

/// A Benaloh audit, as a voter's device offers it: encrypt, reveal the randomness, check
/// that the ballot holds what was chosen, and throw it away (it is never sent).
pub fn audit_one(
    poll: &str,
    key: &Element,
    shapes: &[QuestionShape],
    voter: &Voter,
    choices: &[u32],
) -> anyhow::Result<()> {
    let (ballot, secrets) = encrypt(poll, key, shapes, voter, choices)?;
    let opened = ballot.audit(key, &secrets).context("the audit of the ballot")?;
    if opened != [choices.to_vec()] {
        bail!("the audited ballot holds {opened:?}, not the choices {choices:?}");
    }
    Ok(())
}

/// The counts the result must show: each voter's last choices, summed per option.
pub fn reference_counts(options: usize, last: &[Vec<u32>]) -> Vec<u64> {
    let mut counts = vec![0u64; options];
    for choices in last {
        for &o in choices {
            counts[o as usize] += 1;
        }
    }
    counts
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_voters_picks_fit_a_choose_up_to_two_of_five_ballot_and_vary() {
        let shape = QuestionShape { options: 5, min: 0, max: 2 };
        let mut seen = std::collections::BTreeSet::new();
        for i in 0..200 {
            for round in 0..2 {
                let p = picks(i, round);
                assert!(p.len() <= shape.max as usize && p.iter().all(|&o| o < shape.options), "{p:?}");
                assert!(p.windows(2).all(|w| w[0] < w[1]), "{p:?}");
                seen.insert(p);
            }
        }
        assert!(seen.contains(&vec![]) && seen.iter().any(|p| p.len() == 2) && seen.iter().any(|p| p.len() == 1));
        assert_ne!((0..20).map(|i| picks(i, 0)).collect::<Vec<_>>(), (0..20).map(|i| picks(i, 1)).collect::<Vec<_>>());
    }

    #[test]
    fn the_reference_count_sums_each_voters_last_choices() {
        assert_eq!(reference_counts(5, &[vec![0, 2], vec![], vec![2], vec![4, 0]]), vec![2, 0, 2, 0, 1]);
    }
}
