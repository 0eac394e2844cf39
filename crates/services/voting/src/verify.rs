//! The independent verifier (VOTE-07, VOTE-09, VOTE-10): it takes nothing the node computed
//! on trust. From the poll's dealings it recomputes the election key and each trustee's
//! verification key. From every ballot on the board it checks the transaction's signature,
//! the voting credential and the ballot's proofs, and it recomputes the encrypted totals under
//! the poll's re-voting policy. It checks every decryption share and recomputes the counts.
//! Each of these is compared with what the chain records; any difference is a problem in the
//! report.
//!
//! What it still takes from the node it reads (docs/modules/voting.md): the records as served,
//! not proven against certified headers; the dealers a complaint put out (complaints are not
//! kept in state to be judged again); each ballot's height and position, which order the
//! ballots under "last counts"; and the block times, so the window (VOTE-03) is not
//! rechecked.

use std::collections::BTreeMap;

use anyhow::{bail, Context};
use dojang_ballot::dkg::{election_key, verification_key};
use dojang_ballot::elgamal::sum;
use dojang_ballot::tally::combine;
use dojang_ballot::{Batch, Ciphertext, Complaint, Dealing, DecryptionShare, EncryptedBallot};
use dojang_sdk::{Client, ClientError};
use dojang_types::{Address, SignedTx};
use dojang_voting::rules::{ballot_context, poll_context, within_credentials};
use dojang_voting::state::{BoardEntry, Poll, Status, Tally};
use dojang_voting::{exec, Revote, VotingMsg};
use serde::Serialize;
use serde_json::Value;

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
        if self.problems.is_empty() {
            println!("verified: everything recomputed matches the chain");
        } else {
            for p in &self.problems {
                println!("PROBLEM: {p}");
            }
        }
    }
}

/// A voting query's `field`, or `None` when the node has no such record.
async fn optional(client: &Client, path: &str, field: &str) -> anyhow::Result<Option<Value>> {
    match client.query("voting", path, &[]).await {
        Ok(v) => Ok(Some(v[field].clone())),
        Err(ClientError::Problem { status: 404, .. }) => Ok(None),
        Err(e) => Err(e).with_context(|| format!("cannot read voting/{path}")),
    }
}

/// Every tracking code on the poll's board, from the state index.
async fn board(client: &Client, poll: &str) -> anyhow::Result<Vec<String>> {
    let prefix = format!("voting/board/{poll}/");
    let mut codes = Vec::new();
    let mut after: Option<String> = None;
    loop {
        let mut path = format!("/v1/state/keys?prefix={prefix}&limit=200");
        if let Some(a) = &after {
            path.push_str(&format!("&after={a}"));
        }
        let page = client.get(&path).await?;
        for k in page["keys"].as_array().context("the key index has no keys")? {
            let key = k["key"].as_str().context("a board key that is not text")?;
            codes.push(key.trim_start_matches(&prefix).to_string());
        }
        match page["next_after"].as_str() {
            Some(next) => after = Some(next.to_string()),
            None => return Ok(codes),
        }
    }
}

/// A ballot as it was sent: its transaction, checked and decoded.
struct Cast {
    code: String,
    height: u64,
    index: u64,
    voter: Address,
    context: Vec<u8>,
    ballot: EncryptedBallot,
}

/// Fetches the transaction behind a board entry and checks it: its id, its signature, that it
/// is this poll's ballot from the voting key it names, its credential, and its tracking code.
/// Its proofs go into `batch`.
async fn cast(client: &Client, p: &Poll, poll: &str, code: &str, batch: &mut Batch) -> Result<Cast, String> {
    let entry: Value = optional(client, &format!("board/{poll}/{code}"), "ballot")
        .await
        .map_err(|e| format!("{e:#}"))?
        .ok_or("its board entry is gone")?;
    let entry: BoardEntry = serde_json::from_value(entry).map_err(|e| format!("its board entry: {e}"))?;
    let answer = client.tx(&entry.tx).await.map_err(|e| format!("its transaction {}: {e}", entry.tx))?;
    let bytes = hex::decode(answer["tx_hex"].as_str().unwrap_or_default()).map_err(|e| format!("tx_hex: {e}"))?;
    let tx = SignedTx::decode(&bytes).map_err(|e| format!("its transaction does not decode: {e}"))?;
    if tx.id() != entry.tx || !dojang_crypto::verify_txs(&[&tx])[0] {
        return Err(format!("transaction {} is not the one signed", entry.tx));
    }
    let msg: VotingMsg = serde_json::from_slice(&tx.body.msg).map_err(|e| format!("not a voting message: {e}"))?;
    let VotingMsg::Cast { poll: for_poll, voter, key, shapes, token, ballot } = msg else {
        return Err("its transaction is not a ballot".into());
    };
    if for_poll != poll || voter != tx.body.sender_address() || Some(key) != p.key || shapes != p.spec.shapes() {
        return Err("it is not a ballot of this poll from the voting key it names".into());
    }
    if hex::encode(ballot.tracking_code()) != code {
        return Err("its tracking code is not the ballot's".into());
    }
    exec::token_is_valid(&p.spec.registrar_key, poll, &voter, &token).map_err(|e| e.to_string())?;
    let context = ballot_context(poll, &voter);
    ballot.check(&context, &key, &shapes, batch).map_err(|e| e.to_string())?;
    let index = answer["receipt"]["index"].as_u64().unwrap_or_default();
    Ok(Cast { code: code.to_string(), height: entry.height, index, voter, context, ballot })
}

/// Recomputes poll `poll` from the chain's data and compares.
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

pub async fn verify_poll(client: &Client, poll: &str) -> anyhow::Result<Report> {
    let Some(p) = optional(client, &format!("poll/{poll}"), "poll").await? else {
        bail!("the chain has no poll '{poll}'");
    };
    let p: Poll = serde_json::from_value(p).context("the poll record")?;
    let tally: Tally = serde_json::from_value(
        optional(client, &format!("tally/{poll}"), "tally").await?.context("the poll has no tally record")?,
    )
    .context("the tally record")?;
    let mut problems = Vec::new();
    let ctx = poll_context(poll);
    let n = p.spec.trustees.len() as u32;
    let trustees: Vec<u32> = (1..=n).collect();

    // The key, from the dealings that stand.
    let mut dealings = BTreeMap::new();
    for j in 1..=n {
        if let Some(d) = optional(client, &format!("dealing/{poll}/{j}"), "dealing").await? {
            let d: Dealing = serde_json::from_value(d).with_context(|| format!("dealing {j}"))?;
            if let Err(e) = d.check(&ctx, p.spec.threshold, &trustees) {
                problems.push(format!("dealing {j} does not check: {e}"));
            }
            dealings.insert(j, d);
        }
    }
    // Each dealing put out, by the founded complaint kept on chain, judged again here.
    let mut complaints = BTreeMap::new();
    for &j in &p.disqualified {
        if let Some(c) = optional(client, &format!("complaint/{poll}/{j}"), "complaint").await? {
            complaints
                .insert(j, serde_json::from_value(c).with_context(|| format!("the complaint about dealing {j}"))?);
        }
    }
    problems.extend(complaints_problems(&ctx, &p, &dealings, &complaints));
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

    // Every ballot on the board, and the totals under the re-voting policy.
    let codes = board(client, poll).await?;
    let mut batch = Batch::new();
    let mut casts = Vec::new();
    for code in &codes {
        match cast(client, &p, poll, code, &mut batch).await {
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
    let mut posted = 0;
    for (j, vk) in (1..=n).zip(&vks) {
        if let Some(s) = optional(client, &format!("share/{poll}/{j}"), "share").await? {
            posted += 1;
            let s: DecryptionShare = serde_json::from_value(s).with_context(|| format!("share {j}"))?;
            match s.verify(&ctx, vk, &totals) {
                Ok(()) => shares.push(s),
                Err(e) => problems.push(format!("VOTE-07: {e}")),
            }
        }
    }
    let recomputed = if shares.len() as u32 >= p.spec.threshold {
        let refs: Vec<&DecryptionShare> = shares.iter().collect();
        let flat = combine(&totals, &refs, p.spec.threshold, counted.len() as u64).ok();
        flat.map(|f| p.spec.counts_by_question(&f))
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
        ballots_on_board: codes.len(),
        ballots_verified: casts.len(),
        voters_counted: counted.len() as u64,
        credentials_issued: tally.issued,
        eligible: p.spec.eligible,
        totals_match,
        shares_posted: posted,
        shares_valid: shares.len(),
        result: p.result.clone(),
        result_matches,
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
