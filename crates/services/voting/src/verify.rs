//! The independent verifier (VOTE-03, VOTE-05, VOTE-07..10): it takes nothing the node
//! computed on trust. It reads every record with its proof and every ballot's transaction in
//! its certified block ([`crate::verify_read`]), then recomputes: the election key and each
//! trustee's verification key from the poll's dealings, each complaint that put a dealing out;
//! from every ballot on the board the transaction's signature, the voting credential, the
//! ballot's proofs and its block's time against the window; the order of the ballots by their
//! place in the chain and the encrypted totals under the poll's re-voting policy; each
//! decryption share and the counts. Each is compared with what the chain records; any
//! difference is a problem in the report.
//!
//! What it still takes from the node: the listing of the board's keys (the proven tally's
//! counts catch one left out).

use std::collections::BTreeMap;

use anyhow::Context;
use dojang_ballot::dkg::{election_key, verification_key};
use dojang_ballot::elgamal::sum;
use dojang_ballot::tally::combine;
use dojang_ballot::{Batch, Ciphertext, Complaint, Dealing, DecryptionShare, EncryptedBallot};
use dojang_sdk::{Client, ProvenTx, Validator};
use dojang_types::{Address, TxStatus};
use dojang_voting::rules::{ballot_context, poll_context, within_credentials, within_window};
use dojang_voting::state::{BoardEntry, Poll, Status};
use dojang_voting::{exec, Revote, VotingMsg};
use serde::Serialize;

use crate::verify_read::{OnBoard, PollData, ProvenReader};

/// What the verifier found. `problems` is empty when everything matches.
#[derive(Debug, Serialize)]
pub struct Report {
    pub poll: String,
    pub status: Status,
    pub dealings: usize,
    pub dealings_standing: usize,
    pub key_matches: bool,
    pub ballots_on_board: usize,
    pub ballots_verified: usize,
    pub voters_counted: u64,
    pub credentials_issued: u64,
    pub eligible: u64,
    pub totals_match: bool,
    pub shares_posted: usize,
    pub shares_valid: usize,
    pub result: Option<Vec<Vec<u64>>>,
    pub result_matches: Option<bool>,
    /// Blocks whose certificate was checked to place the ballots.
    pub blocks_checked: usize,
    /// The highest height a record was proven at.
    pub proven_at: u64,
    pub problems: Vec<String>,
}

impl Report {
    pub fn print(&self) {
        println!("poll {} ({:?})", self.poll, self.status);
        println!(
            "election key: {} dealings, {} standing; the key and every verification key {}",
            self.dealings,
            self.dealings_standing,
            if self.key_matches { "recomputed and equal" } else { "DIFFER" }
        );
        println!(
            "ballots: {} on the board, {} with a valid signature, credential and proofs; {} voters counted, {} credentials issued, {} on the roll",
            self.ballots_on_board, self.ballots_verified, self.voters_counted, self.credentials_issued, self.eligible
        );
        println!("encrypted totals: {}", if self.totals_match { "recomputed and equal" } else { "DIFFER" });
        println!("decryption shares: {} posted, {} with valid proofs", self.shares_posted, self.shares_valid);
        match (&self.result, self.result_matches) {
            (Some(r), Some(true)) => println!("result: {r:?}, recomputed and equal"),
            (Some(r), _) => println!("result: {r:?}, NOT what the shares decrypt to"),
            (None, _) => println!("result: not published"),
        }
        println!(
            "proofs: every record checked against the pinned validators up to block {}; {} blocks' certificates checked to place the ballots",
            self.proven_at, self.blocks_checked
        );
        if self.problems.is_empty() {
            println!("verified: everything recomputed matches the chain");
        } else {
            for p in &self.problems {
                println!("PROBLEM: {p}");
            }
        }
    }
}

/// A ballot as it was sent: its transaction, checked and decoded.
struct Cast {
    code: String,
    height: u64,
    index: u32,
    voter: Address,
    replaced: bool,
    context: Vec<u8>,
    ballot: EncryptedBallot,
}

/// Checks a ballot's proven transaction: that it succeeded, is this poll's ballot from the
/// voting key it names, carries the board's tracking code, a valid credential and was cast in
/// the window by its block's time. Its proofs go into `batch`.
fn cast(
    p: &Poll,
    poll: &str,
    code: &str,
    entry: &BoardEntry,
    sent: &ProvenTx,
    batch: &mut Batch,
) -> Result<Cast, String> {
    if sent.receipt.result != TxStatus::Ok {
        return Err("its transaction failed".into());
    }
    let tx = &sent.tx;
    let msg: VotingMsg = serde_json::from_slice(&tx.body.msg).map_err(|e| format!("not a voting message: {e}"))?;
    let VotingMsg::Cast { poll: for_poll, voter, key, shapes, token, ballot } = msg else {
        return Err("its transaction is not a ballot".into());
    };
    if tx.body.module != "voting"
        || for_poll != poll
        || voter != tx.body.sender_address()
        || Some(key) != p.key
        || shapes != p.spec.shapes()
    {
        return Err("it is not a ballot of this poll from the voting key it names".into());
    }
    if hex::encode(ballot.tracking_code()) != code {
        return Err("its tracking code is not the ballot's".into());
    }
    if !within_window(p.spec.opens_ms, p.spec.closes_ms, sent.block_time_ms) {
        return Err(format!("VOTE-03: it was cast at {} ms, outside the poll's window", sent.block_time_ms));
    }
    exec::token_is_valid(&p.spec.registrar_key, poll, &voter, &token).map_err(|e| e.to_string())?;
    let context = ballot_context(poll, &voter);
    ballot.check(&context, &key, &shapes, batch).map_err(|e| e.to_string())?;
    Ok(Cast {
        code: code.to_string(),
        height: sent.height,
        index: sent.index,
        voter,
        replaced: entry.replaced,
        context,
        ballot,
    })
}

/// VOTE-05: each dealing the poll put out has a founded complaint on chain: made in the name
/// of a trustee the dealing sealed a share to, whose proof holds, and that shows the share
/// bad. A dealing put out without one would let the module drop an honest trustee's share.
pub fn complaints_problems(
    ctx: &[u8],
    p: &Poll,
    dealings: &BTreeMap<u32, Dealing>,
    complaints: &BTreeMap<u32, Complaint>,
) -> Vec<String> {
    let mut problems = Vec::new();
    for &j in &p.disqualified {
        let (Some(d), Some(c)) = (dealings.get(&j), complaints.get(&j)) else {
            problems.push(format!("dealing {j} was put out, but its dealing or the complaint is not on chain"));
            continue;
        };
        let Some(by) = c.by.checked_sub(1).and_then(|i| p.spec.trustees.get(i as usize)) else {
            problems.push(format!("the complaint about dealing {j} names no trustee of the poll"));
            continue;
        };
        match d.judge(ctx, c, &by.transport_key) {
            Ok(true) => {}
            Ok(false) => problems.push(format!("dealing {j} was put out by a complaint that shows its share good")),
            Err(e) => problems.push(format!("the complaint that put dealing {j} out proves nothing: {e}")),
        }
    }
    problems
}

/// Reads poll `poll` with proofs against `validators` (the set the chain's genesis names, for
/// chain `chain_id`) and recomputes it: see the module.
pub async fn verify_poll(
    client: &Client,
    chain_id: &str,
    validators: Vec<Validator>,
    poll: &str,
) -> anyhow::Result<Report> {
    let data = ProvenReader::new(client, chain_id, validators).poll(poll).await?;
    check(&data)
}

/// Recomputes a poll from what was read and compares each part with what the chain records.
/// Pure: the tests tamper with `data` to see each difference named.
pub fn check(data: &PollData) -> anyhow::Result<Report> {
    let (poll, p, tally) = (data.id.as_str(), &data.poll, &data.tally);
    let mut problems = Vec::new();
    let ctx = poll_context(poll);
    let n = p.spec.trustees.len() as u32;
    let trustees: Vec<u32> = (1..=n).collect();

    // The key, from the dealings that stand.
    let dealings = &data.dealings;
    for (j, d) in dealings {
        if d.dealer != *j {
            problems.push(format!("the record of dealing {j} holds dealer {}'s dealing", d.dealer));
        }
        if let Err(e) = d.check(&ctx, p.spec.threshold, &trustees) {
            problems.push(format!("dealing {j} does not check: {e}"));
        }
    }
    // Each dealing put out, by the founded complaint kept on chain, judged again here.
    problems.extend(complaints_problems(&ctx, p, dealings, &data.complaints));
    let standing: Vec<&Dealing> =
        dealings.iter().filter(|(j, _)| !p.disqualified.contains(j)).map(|(_, d)| d).collect();
    // Each trustee's verification key, from the commitments: for the key and for the shares.
    let vks: Vec<_> = (1..=n).map(|j| verification_key(&standing, j)).collect();
    let mut key_matches = true;
    if p.key.is_some() && (standing.len() as u32) < p.spec.threshold {
        problems.push(format!(
            "VOTE-05: the poll opened with {} dealings standing, where {} are needed",
            standing.len(),
            p.spec.threshold
        ));
    }
    if p.key.is_some() {
        key_matches = p.key == Some(election_key(&standing)) && vks == p.verification_keys;
        if !key_matches {
            problems.push("the election key or a verification key is not what the dealings make".into());
        }
    }

    // Every ballot on the board, each proven into its block.
    problems.extend(data.listing.clone());
    let mut batch = Batch::new();
    let mut casts = Vec::new();
    for OnBoard { code, sent } in &data.board {
        match sent.as_ref().map_err(String::clone).and_then(|(entry, tx)| cast(p, poll, code, entry, tx, &mut batch)) {
            Ok(c) => casts.push(c),
            Err(e) => problems.push(format!("ballot {code}: {e}")),
        }
    }
    if !batch.holds() {
        // Name each ballot whose proofs fail, and count only the others.
        let shapes = p.spec.shapes();
        let key = p.key.context("ballots on the board of a poll without a key")?;
        casts.retain(|c| match c.ballot.verify(&c.context, &key, &shapes) {
            Ok(()) => true,
            Err(e) => {
                problems.push(format!("ballot {}: {e}", c.code));
                false
            }
        });
    }
    casts.sort_by_key(|c| (c.height, c.index));
    let mut counted: BTreeMap<Address, &Cast> = BTreeMap::new();
    for c in &casts {
        if counted.insert(c.voter, c).is_some() && p.spec.revote == Revote::Reject {
            problems.push(format!("VOTE-02: voting key {} has two ballots in a one-ballot poll", c.voter));
        }
    }
    if p.spec.revote == Revote::LastCounts {
        for c in &casts {
            let last = counted.get(&c.voter).is_some_and(|l| std::ptr::eq(*l, c));
            if c.replaced == last {
                problems.push(format!(
                    "ballot {}: the board marks it {}, where the order of the chain makes it {}",
                    c.code,
                    if c.replaced { "replaced" } else { "counted" },
                    if last { "counted" } else { "replaced" }
                ));
            }
        }
    }
    // As many totals as the poll's questions have options, whatever the tally record holds.
    let options: usize = p.spec.questions.iter().map(|q| q.options.len()).sum();
    let choices: BTreeMap<Address, Vec<Ciphertext>> = counted
        .iter()
        .map(|(v, c)| (*v, c.ballot.answers.iter().flat_map(|a| a.choices.iter().copied()).collect()))
        .collect();
    let totals: Vec<Ciphertext> = (0..options).map(|o| sum(choices.values().filter_map(|c| c.get(o)))).collect();
    let totals_match =
        totals == tally.totals && counted.len() as u64 == tally.voters && casts.len() as u64 == tally.ballots;
    if !totals_match {
        problems.push(
            "the encrypted totals or the counts of voters and ballots are not what the board's ballots make".into(),
        );
    }
    if !within_credentials(counted.len() as u64, tally.issued) || tally.issued > p.spec.eligible {
        problems.push(format!(
            "VOTE-10: {} voters, {} credentials issued, {} on the roll",
            counted.len(),
            tally.issued,
            p.spec.eligible
        ));
    }

    // The decryption shares, and the result from them.
    let mut shares = Vec::new();
    for (j, s) in &data.shares {
        let Some(vk) = j.checked_sub(1).and_then(|i| vks.get(i as usize)) else {
            problems.push(format!("VOTE-07: a share for trustee {j}, who is not one of the poll's"));
            continue;
        };
        if s.trustee != *j {
            problems.push(format!("VOTE-07: the record of trustee {j}'s share holds trustee {}'s", s.trustee));
            continue;
        }
        match s.verify(&ctx, vk, &totals) {
            Ok(()) => shares.push(s.clone()),
            Err(e) => problems.push(format!("VOTE-07: {e}")),
        }
    }
    let recomputed = if shares.len() as u32 >= p.spec.threshold {
        let refs: Vec<&DecryptionShare> = shares.iter().collect();
        match combine(&totals, &refs, p.spec.threshold, counted.len() as u64) {
            Ok(flat) => Some(p.spec.counts_by_question(&flat)),
            Err(e) => {
                problems.push(format!("VOTE-07: the valid shares do not decrypt the totals: {e}"));
                None
            }
        }
    } else {
        None
    };
    let result_matches = p.result.as_ref().map(|r| Some(r) == recomputed.as_ref());
    if result_matches == Some(false) {
        problems.push("VOTE-07: the published result is not what the valid shares decrypt to".into());
    }
    if p.status == Status::Tallied && p.result.is_none() {
        problems.push("the poll says tallied and has no result".into());
    }
    Ok(Report {
        poll: poll.to_string(),
        status: p.status,
        dealings: dealings.len(),
        dealings_standing: standing.len(),
        key_matches,
        ballots_on_board: data.board.len(),
        ballots_verified: casts.len(),
        voters_counted: counted.len() as u64,
        credentials_issued: tally.issued,
        eligible: p.spec.eligible,
        totals_match,
        shares_posted: data.shares.len(),
        shares_valid: shares.len(),
        result: p.result.clone(),
        result_matches,
        blocks_checked: data.blocks_checked,
        proven_at: data.proven_at,
        problems,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use curve25519_dalek::scalar::Scalar;
    use dojang_ballot::group::G;
    use dojang_ballot::Element;
    use dojang_voting::msg::{Eligibility, PollKind, PollSpec, Question, Revote, Trustee};
    use dojang_voting::state::Status;
    use rand::SeedableRng;

    fn poll(transport: &[Scalar], disqualified: Vec<u32>) -> Poll {
        let spec = PollSpec {
            kind: PollKind::YesNo,
            title: "t".into(),
            questions: vec![Question { text: "q".into(), options: vec!["y".into(), "n".into()], min: 1, max: 1 }],
            eligibility: Eligibility {
                district: "seoul".into(),
                min_months_resident: 0,
                min_age: 0,
                policy: "p".into(),
            },
            dealings_until_ms: Some(1),
            opens_ms: 2,
            closes_ms: 3,
            results_from_ms: None,
            revote: Revote::Reject,
            trustees: transport
                .iter()
                .enumerate()
                .map(|(i, x)| Trustee { account: Address([i as u8; 20]), transport_key: Element::new(x * G) })
                .collect(),
            threshold: 2,
            registrar: Address([9; 20]),
            registrar_key: String::new(),
            eligible: 1,
        };
        Poll {
            spec,
            office: Address([8; 20]),
            created_height: 1,
            status: Status::Open,
            dealt: vec![1, 2, 3],
            disqualified,
            key: None,
            verification_keys: vec![],
            result: None,
            failure: None,
        }
    }

    #[test]
    fn vote_05_a_dealing_put_out_needs_a_founded_complaint_on_chain() {
        let mut rng = rand::rngs::StdRng::seed_from_u64(5);
        let transport: Vec<Scalar> = (0..3).map(|_| Scalar::random(&mut rng)).collect();
        let keys: Vec<(u32, Element)> =
            transport.iter().enumerate().map(|(i, x)| (i as u32 + 1, Element::new(x * G))).collect();
        let ctx = poll_context("p-1");
        let (mut cheat, _) = Dealing::deal(&ctx, 1, 2, &keys, &mut rng).unwrap();
        let sealed = &mut cheat.shares.iter_mut().find(|x| x.to == 3).unwrap().sealed;
        *sealed = format!("{}{}", if sealed.starts_with('0') { "1" } else { "0" }, &sealed[1..]);
        let (honest, _) = Dealing::deal(&ctx, 2, 2, &keys, &mut rng).unwrap();
        let dealings: BTreeMap<u32, Dealing> = [(1, cheat.clone()), (2, honest.clone())].into();
        let founded = cheat.complain(&ctx, 3, &transport[2], &mut rng).unwrap();

        let ok = complaints_problems(&ctx, &poll(&transport, vec![1]), &dealings, &[(1, founded.clone())].into());
        assert_eq!(ok, Vec::<String>::new());
        let missing = complaints_problems(&ctx, &poll(&transport, vec![1]), &dealings, &BTreeMap::new());
        assert!(missing[0].contains("not on chain"), "{missing:?}");
        let unfounded = honest.complain(&ctx, 3, &transport[2], &mut rng).unwrap();
        let good_share = complaints_problems(&ctx, &poll(&transport, vec![2]), &dealings, &[(2, unfounded)].into());
        assert!(good_share[0].contains("shows its share good"), "{good_share:?}");
        let mut forged = founded.clone();
        forged.by = 2;
        let proves_nothing = complaints_problems(&ctx, &poll(&transport, vec![1]), &dealings, &[(1, forged)].into());
        assert!(proves_nothing[0].contains("proves nothing"), "{proves_nothing:?}");
        let mut stranger = founded;
        stranger.by = 7;
        let nobody = complaints_problems(&ctx, &poll(&transport, vec![1]), &dealings, &[(1, stranger)].into());
        assert!(nobody[0].contains("names no trustee"), "{nobody:?}");
    }
}
