//! The voting module's handlers: who may do what at each step of a poll, the rules they
//! apply (VOTE-01..10, in [`crate::rules`]) and the deadlines that open and close the poll.

use dojang_ballot::dkg::{election_key, verification_key};
use dojang_ballot::elgamal::{difference, sum};
use dojang_ballot::tally::combine;
use dojang_ballot::{Ciphertext, Dealing, DecryptionShare};
use dojang_ledger::{BlockContext, ModuleError, Permit, StateWrite, TxContext};
use dojang_types::{Address, Event, Hash};

use crate::credential::{token_verifies, RegistrarKey};
use crate::events::VotingEvent;
use crate::msg::{Token, VotingMsg};
use crate::rules::{self, Second};
use crate::state::{self, BoardEntry, Poll, Status, Tally, TallyCache, VoterRecord};

fn invalid(reason: impl Into<String>) -> ModuleError {
    ModuleError::InvalidMessage(reason.into())
}

fn refuse(reason: String) -> ModuleError {
    ModuleError::by_rule(reason)
}

/// What a ballot needs of its poll's record, read without decoding the rest: the texts, the
/// trustees' keys and the verification keys are skipped, and the election key is compared
/// as bytes (every ballot reads it, so this is the cast's largest fixed cost).
#[derive(serde::Deserialize)]
struct CastView {
    spec: CastSpec,
    status: Status,
    /// As bytes: a commitment-like element is not decoded to a point.
    #[serde(default)]
    key: Option<dojang_ballot::Commitment>,
}

#[derive(serde::Deserialize)]
struct CastSpec {
    questions: Vec<CastQuestion>,
    opens_ms: u64,
    closes_ms: u64,
    revote: crate::msg::Revote,
    registrar_key: String,
}

#[derive(serde::Deserialize)]
struct CastQuestion {
    options: Vec<serde::de::IgnoredAny>,
    min: u32,
    max: u32,
}

impl CastSpec {
    fn shapes(&self) -> Vec<dojang_ballot::QuestionShape> {
        self.questions
            .iter()
            .map(|q| dojang_ballot::QuestionShape { options: q.options.len() as u32, min: q.min, max: q.max })
            .collect()
    }
}

/// The stateless checks and who may send each message. A ballot's proofs are checked here,
/// before it can enter a block, against the key and shapes it names; execution then checks
/// those are the poll's.
pub fn check(msg: &VotingMsg) -> Result<Permit, ModuleError> {
    if !rules::poll_id_is_valid(msg.poll()) {
        return Err(invalid(format!("'{}' is not a poll id (3 to 64 of a-z, 0-9 and -)", msg.poll())));
    }
    match msg {
        VotingMsg::CreatePoll { spec, .. } => {
            rules::spec_problems(spec).map_err(invalid)?;
            RegistrarKey::from_spki_base64(&spec.registrar_key).map_err(invalid)?;
            Ok(Permit::AnyRole(&["verifier"]))
        }
        VotingMsg::Cast { poll, voter, key, shapes, ballot, .. } => {
            rules::ballot_fits(shapes).map_err(|e| invalid(format!("VOTE-04: {e}")))?;
            ballot
                .verify(&rules::ballot_context(poll, voter), key, shapes)
                .map_err(|e| invalid(format!("VOTE-04: {e}")))?;
            Ok(Permit::OwnRules)
        }
        _ => Ok(Permit::OwnRules),
    }
}

/// [`check`] for several messages: the ballots' proofs go in one batch, whose one
/// multi-scalar multiplication costs about two thirds of checking each ballot alone. If the
/// batch fails, each ballot in it is checked alone to find the false ones (so a sender of
/// false proofs costs a batch its saving, never a verdict).
pub fn check_many(msgs: &[&VotingMsg]) -> Vec<Result<Permit, ModuleError>> {
    let mut batch = dojang_ballot::Batch::new();
    let mut batched = Vec::new();
    let mut verdicts: Vec<Result<Permit, ModuleError>> = msgs
        .iter()
        .enumerate()
        .map(|(i, msg)| match msg {
            VotingMsg::Cast { poll, voter, key, shapes, ballot, .. } if rules::poll_id_is_valid(poll) => {
                rules::ballot_fits(shapes).map_err(|e| invalid(format!("VOTE-04: {e}")))?;
                let mark = batch.mark();
                match ballot.check(&rules::ballot_context(poll, voter), key, shapes, &mut batch) {
                    Ok(()) => {
                        batched.push(i);
                        Ok(Permit::OwnRules)
                    }
                    Err(e) => {
                        batch.rollback(mark);
                        Err(invalid(format!("VOTE-04: {e}")))
                    }
                }
            }
            _ => check(msg),
        })
        .collect();
    if !batch.holds() {
        for i in batched {
            verdicts[i] = check(msgs[i]);
        }
    }
    verdicts
}

fn poll(state: &dyn StateWrite, id: &str) -> Result<Poll, ModuleError> {
    state::read(state, &state::poll_key(id))?.ok_or_else(|| ModuleError::NotFound(format!("poll {id}")))
}

fn tally(state: &dyn StateWrite, id: &str) -> Result<Tally, ModuleError> {
    state::read(state, &state::tally_key(id))?.ok_or_else(|| ModuleError::NotFound(format!("the tally of poll {id}")))
}

fn one(e: VotingEvent) -> Result<Vec<Event>, ModuleError> {
    Ok(vec![Event::typed(&e)])
}

pub fn execute(
    ctx: &TxContext,
    state: &mut dyn StateWrite,
    msg: VotingMsg,
    tallies: &TallyCache,
) -> Result<Vec<Event>, ModuleError> {
    let me = ctx.sender;
    match msg {
        VotingMsg::CreatePoll { poll: id, spec } => {
            if state::read::<Poll>(state, &state::poll_key(&id))?.is_some() {
                return Err(refuse(format!("VOTE-09: poll {id} exists already")));
            }
            let fingerprint = RegistrarKey::from_spki_base64(&spec.registrar_key).map_err(invalid)?.fingerprint();
            let keyed = state::registrar_key_key(&fingerprint);
            if let Some(other) = state::read::<String>(state, &keyed)? {
                return Err(refuse(format!(
                    "VOTE-10: this registrar key serves poll {other}; give each poll a key of its own \
                     (dojang voting registrar-key)"
                )));
            }
            state::write(state, &keyed, &id);
            if spec.opens_ms <= ctx.time_ms || spec.opens_ms - ctx.time_ms > rules::MAX_LEAD_MS {
                return Err(refuse(
                    "VOTE-03: a poll opens after it is created (so its trustees can deal), and within a year".into(),
                ));
            }
            state.schedule(spec.opens_ms, format!("open/{id}").as_bytes())?;
            state.schedule(spec.closes_ms, format!("close/{id}").as_bytes())?;
            let options: usize = spec.questions.iter().map(|q| q.options.len()).sum();
            let tally = Tally { totals: vec![Ciphertext::zero(); options], voters: 0, ballots: 0, issued: 0 };
            state::write(state, &state::tally_key(&id), &tally);
            let (opens_ms, closes_ms) = (spec.opens_ms, spec.closes_ms);
            let p = Poll {
                spec,
                office: me,
                created_height: ctx.height,
                status: Status::KeyGeneration,
                dealt: vec![],
                disqualified: vec![],
                key: None,
                verification_keys: vec![],
                result: None,
                failure: None,
            };
            state::write(state, &state::poll_key(&id), &p);
            one(VotingEvent::PollCreated { poll: id, office: me, opens_ms, closes_ms })
        }
        VotingMsg::Deal { poll: id, dealing } => deal(ctx, state, &me, id, dealing),
        VotingMsg::Complain { poll: id, complaint } => {
            let mut p = poll(state, &id)?;
            if p.status != Status::KeyGeneration {
                return Err(refuse(format!("VOTE-05: poll {id} is past its key generation")));
            }
            if p.trustee_number(&me) != Some(complaint.by) || complaint.by == complaint.dealer {
                return Err(refuse(format!(
                    "VOTE-05: only trustee {} complains in its own name, and not about its own dealing",
                    complaint.by
                )));
            }
            let dealing: Dealing = state::read(state, &state::dealing_key(&id, complaint.dealer))?
                .ok_or_else(|| ModuleError::NotFound(format!("trustee {}'s dealing in poll {id}", complaint.dealer)))?;
            let transport = &p.spec.trustees[complaint.by as usize - 1].transport_key;
            match dealing.judge(&rules::poll_context(&id), &complaint, transport) {
                Ok(true) => {
                    if !p.disqualified.contains(&complaint.dealer) {
                        p.disqualified.push(complaint.dealer);
                        state::write(state, &state::complaint_key(&id, complaint.dealer), &complaint);
                    }
                    state::write(state, &state::poll_key(&id), &p);
                    one(VotingEvent::DealingRejected { poll: id, dealer: complaint.dealer, complainer: complaint.by })
                }
                Ok(false) => Err(refuse(format!(
                    "VOTE-05: the share trustee {} sealed to trustee {} is good; the complaint is unfounded",
                    complaint.dealer, complaint.by
                ))),
                Err(e) => Err(refuse(format!("VOTE-05: the complaint proves nothing: {e}"))),
            }
        }
        VotingMsg::RecordIssued { poll: id, issued } => {
            let p = poll(state, &id)?;
            if me != p.spec.registrar {
                return Err(refuse(format!("VOTE-10: only poll {id}'s registrar records credentials issued")));
            }
            let mut t = tally(state, &id)?;
            if issued < t.issued || !rules::issued_within_roll(issued, p.spec.eligible) {
                return Err(refuse(format!(
                    "VOTE-10: {issued} credentials issued: never fewer than recorded ({}), never more than the roll ({})",
                    t.issued, p.spec.eligible
                )));
            }
            t.issued = issued;
            state::write(state, &state::tally_key(&id), &t);
            one(VotingEvent::CredentialsIssued { poll: id, issued })
        }
        VotingMsg::Cast { poll: id, voter, key, shapes, token, ballot } => {
            let p: CastView = state::read(state, &state::poll_key(&id))?
                .ok_or_else(|| ModuleError::NotFound(format!("poll {id}")))?;
            if voter != me {
                return Err(refuse("VOTE-10: a ballot is sent from the voting key it names".into()));
            }
            if p.status != Status::Open || !rules::within_window(p.spec.opens_ms, p.spec.closes_ms, ctx.time_ms) {
                return Err(refuse(format!("VOTE-03: poll {id} is not open at this block's time")));
            }
            if p.key.map(|k| *k.bytes()) != Some(*key.bytes()) || shapes != p.spec.shapes() {
                return Err(refuse(format!("VOTE-04: the ballot is not made for poll {id}'s key and questions")));
            }
            token_is_valid(&p.spec.registrar_key, &id, &voter, &token)?;
            let choices: Vec<Ciphertext> = ballot.answers.iter().flat_map(|a| a.choices.iter().copied()).collect();
            let tracking = Hash(ballot.tracking_code());
            cast(ctx, state, tallies, p.spec.revote, &id, &voter, choices, tracking)
        }
        VotingMsg::DecryptShare { poll: id, share } => decrypt_share(ctx, state, &me, id, share),
    }
}

fn deal(
    ctx: &TxContext,
    state: &mut dyn StateWrite,
    me: &Address,
    id: String,
    dealing: Dealing,
) -> Result<Vec<Event>, ModuleError> {
    let mut p = poll(state, &id)?;
    if p.status != Status::KeyGeneration || p.spec.dealings_until_ms.is_none_or(|d| ctx.time_ms >= d) {
        return Err(refuse(format!("VOTE-05: poll {id} takes no more dealings; its trustees complain until it opens")));
    }
    let Some(i) = p.trustee_number(me) else {
        return Err(refuse(format!("VOTE-05: {me} is not a trustee of poll {id}")));
    };
    if dealing.dealer != i || p.dealt.contains(&i) {
        return Err(refuse(format!("VOTE-05: trustee {i} deals once, as dealer {i}")));
    }
    let trustees: Vec<u32> = (1..=p.spec.trustees.len() as u32).collect();
    dealing
        .check(&rules::poll_context(&id), p.spec.threshold, &trustees)
        .map_err(|e| refuse(format!("VOTE-05: trustee {i}'s dealing: {e}")))?;
    state::write(state, &state::dealing_key(&id, i), &dealing);
    p.dealt.push(i);
    state::write(state, &state::poll_key(&id), &p);
    one(VotingEvent::Dealt { poll: id, trustee: i })
}

/// VOTE-01, VOTE-10: the registrar whose key the poll names (`registrar_key`, base64
/// SubjectPublicKeyInfo) signed this voting key for this poll.
pub fn token_is_valid(registrar_key: &str, poll: &str, voter: &Address, token: &Token) -> Result<(), ModuleError> {
    let invalid = |why: String| refuse(format!("VOTE-10: the voting credential is not valid: {why}"));
    let key = RegistrarKey::from_spki_base64(registrar_key).map_err(invalid)?;
    token_verifies(&key, poll, voter, token).map_err(invalid)
}

#[allow(clippy::too_many_arguments)]
fn cast(
    ctx: &TxContext,
    state: &mut dyn StateWrite,
    tallies: &TallyCache,
    revote: crate::msg::Revote,
    id: &str,
    voter: &Address,
    choices: Vec<Ciphertext>,
    tracking: Hash,
) -> Result<Vec<Event>, ModuleError> {
    let mut t = tallies.read(state, id)?.ok_or_else(|| ModuleError::NotFound(format!("the tally of poll {id}")))?;
    if state::read::<BoardEntry>(state, &state::board_key(id, &tracking))?.is_some() {
        return Err(refuse("VOTE-09: this ballot is on the board already".into()));
    }
    let earlier: Option<VoterRecord> = state::read(state, &state::voter_key(id, voter))?;
    let replaces = match (&earlier, rules::second_ballot(revote)) {
        (Some(_), Second::Refused) => {
            return Err(refuse(format!("VOTE-02: this credential has voted in poll {id}; the poll takes one ballot")))
        }
        (Some(old), Second::Replaces) => {
            let minus: Vec<Ciphertext> = t.totals.iter().zip(&old.choices).map(|(s, c)| difference(s, c)).collect();
            t.totals = minus;
            let mut entry: BoardEntry = state::read(state, &state::board_key(id, &old.tracking))?
                .ok_or_else(|| ModuleError::NotFound("the replaced ballot's board entry".into()))?;
            entry.replaced = true;
            state::write(state, &state::board_key(id, &old.tracking), &entry);
            Some(old.tracking)
        }
        (None, _) => {
            if !rules::within_credentials(t.voters + 1, t.issued) {
                return Err(refuse(format!(
                    "VOTE-10: poll {id} has a ballot for each of the {} credentials issued",
                    t.issued
                )));
            }
            t.voters += 1;
            None
        }
    };
    t.totals = t.totals.iter().zip(&choices).map(|(s, c)| sum([s, c])).collect();
    t.ballots += 1;
    tallies.write(state, id, t);
    state::write(state, &state::voter_key(id, voter), &VoterRecord { tracking, choices });
    state::write(
        state,
        &state::board_key(id, &tracking),
        &BoardEntry { height: ctx.height, tx: ctx.tx_id, replaced: false },
    );
    one(VotingEvent::BallotCast { poll: id.into(), tracking, replaces })
}

fn decrypt_share(
    ctx: &TxContext,
    state: &mut dyn StateWrite,
    me: &Address,
    id: String,
    share: DecryptionShare,
) -> Result<Vec<Event>, ModuleError> {
    let mut p = poll(state, &id)?;
    if p.status != Status::Closed || !rules::results_may_be_released(&p.spec, ctx.time_ms) {
        return Err(refuse(format!("VOTE-06: poll {id} takes decryption shares only once closed and released")));
    }
    let Some(j) = p.trustee_number(me) else {
        return Err(refuse(format!("VOTE-07: {me} is not a trustee of poll {id}")));
    };
    if share.trustee != j || state::read::<DecryptionShare>(state, &state::share_key(&id, j))?.is_some() {
        return Err(refuse(format!("VOTE-07: trustee {j} posts one share, as trustee {j}")));
    }
    let t = tally(state, &id)?;
    let x = &p.verification_keys[j as usize - 1];
    share.verify(&rules::poll_context(&id), x, &t.totals).map_err(|e| refuse(format!("VOTE-07: {e}")))?;
    state::write(state, &state::share_key(&id, j), &share);
    let mut events = vec![Event::typed(&VotingEvent::ShareAccepted { poll: id.clone(), trustee: j })];
    let mut shares = Vec::new();
    for i in 1..=p.spec.trustees.len() as u32 {
        if let Some(s) = state::read::<DecryptionShare>(state, &state::share_key(&id, i))? {
            shares.push(s);
        }
    }
    if shares.len() as u32 >= p.spec.threshold {
        let refs: Vec<&DecryptionShare> = shares.iter().collect();
        let flat =
            combine(&t.totals, &refs, p.spec.threshold, t.voters).map_err(|e| refuse(format!("VOTE-07: {e}")))?;
        let counts = p.spec.counts_by_question(&flat);
        p.result = Some(counts.clone());
        p.status = Status::Tallied;
        events.push(Event::typed(&VotingEvent::ResultPublished { poll: id.clone(), counts }));
    }
    state::write(state, &state::poll_key(&id), &p);
    Ok(events)
}

/// The poll opens (the election key from the dealings that stand) or closes.
pub fn on_deadline(_ctx: &BlockContext, state: &mut dyn StateWrite, key: &[u8]) -> Result<Vec<Event>, ModuleError> {
    let text = std::str::from_utf8(key).map_err(|_| invalid("a voting deadline key is not text"))?;
    let Some((step, id)) = text.split_once('/') else {
        return Err(invalid(format!("voting deadline key '{text}' is malformed")));
    };
    let mut p = poll(state, id)?;
    match step {
        "open" if p.status == Status::KeyGeneration => {
            let mut standing: Vec<u32> = p.dealt.iter().copied().filter(|d| !p.disqualified.contains(d)).collect();
            standing.sort_unstable();
            if (standing.len() as u32) < p.spec.threshold {
                let reason = format!(
                    "VOTE-05: {} dealings stood at the opening, where {} are needed",
                    standing.len(),
                    p.spec.threshold
                );
                p.status = Status::Failed;
                p.failure = Some(reason.clone());
                state::write(state, &state::poll_key(id), &p);
                return one(VotingEvent::PollFailed { poll: id.into(), reason });
            }
            let mut dealings = Vec::with_capacity(standing.len());
            for d in &standing {
                let dealing: Dealing = state::read(state, &state::dealing_key(id, *d))?
                    .ok_or_else(|| ModuleError::NotFound(format!("dealing {d} of poll {id}")))?;
                dealings.push(dealing);
            }
            let refs: Vec<&Dealing> = dealings.iter().collect();
            let key = election_key(&refs);
            p.verification_keys = (1..=p.spec.trustees.len() as u32).map(|j| verification_key(&refs, j)).collect();
            p.key = Some(key);
            p.status = Status::Open;
            state::write(state, &state::poll_key(id), &p);
            one(VotingEvent::PollOpened { poll: id.into(), key, trustees_in_key: standing })
        }
        "close" if p.status == Status::Open => {
            p.status = Status::Closed;
            state::write(state, &state::poll_key(id), &p);
            let t = tally(state, id)?;
            one(VotingEvent::PollClosed { poll: id.into(), voters: t.voters, ballots: t.ballots, issued: t.issued })
        }
        "open" | "close" => Ok(vec![]),
        _ => Err(invalid(format!("voting deadline key '{text}' is malformed"))),
    }
}
