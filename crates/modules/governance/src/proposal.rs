//! Proposals: how the council acts. A member proposes the exact message with a reason and an
//! expiry; members approve or reject; the message executes, in the council's name, in the
//! block where approvals reach the threshold, exactly once. Every step is an event.

use std::collections::BTreeMap;

use dojang_ledger::{read_record, write_record, ModuleError, StateRead, StateWrite, TxContext};
use dojang_types::{Address, Event};
use serde::{Deserialize, Serialize};

use crate::council::{self, Council};
use crate::events::GovernanceEvent;
use crate::msg::ProposedMsg;
use crate::rules;

/// Where a proposal stands.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "state", rename_all = "snake_case")]
pub enum Status {
    Open,
    /// Approvals reached the threshold and the message executed at this height.
    Executed {
        height: u64,
    },
    /// Approvals reached the threshold but the message was refused when it executed (a rule
    /// of its module); nothing of it was applied and it never executes again.
    Failed {
        height: u64,
        code: String,
        reason: String,
    },
    /// Enough members rejected that the threshold can no longer be reached.
    Rejected {
        height: u64,
    },
}

/// One proposal as stored. `approvals` and `rejections` record the height of each vote.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Proposal {
    pub id: u64,
    pub proposer: Address,
    pub proposal: ProposedMsg,
    pub reason: String,
    pub expires_at_ms: u64,
    pub height: u64,
    pub time_ms: u64,
    pub approvals: BTreeMap<Address, u64>,
    pub rejections: BTreeMap<Address, u64>,
    pub status: Status,
}

impl Proposal {
    /// The status as of `now_ms`: an open proposal past its expiry reads as expired.
    pub fn status_at(&self, now_ms: u64) -> &'static str {
        match self.status {
            Status::Open if now_ms >= self.expires_at_ms => "expired",
            Status::Open => "open",
            Status::Executed { .. } => "executed",
            Status::Failed { .. } => "failed",
            Status::Rejected { .. } => "rejected",
        }
    }
}

const NEXT_ID_KEY: &[u8] = b"proposals_next";

pub fn proposal_key(id: u64) -> Vec<u8> {
    format!("proposals/{id:020}").into_bytes()
}

/// Open proposals are indexed by expiry, so the ones to close come first.
fn open_key(expires_at_ms: u64, id: u64) -> Vec<u8> {
    format!("open/{expires_at_ms:020}/{id:020}").into_bytes()
}

pub const OPEN_PREFIX: &[u8] = b"open/";

pub fn get(state: &dyn StateRead, id: u64) -> Result<Option<Proposal>, ModuleError> {
    read_record(state, &proposal_key(id))
}

fn put(state: &mut dyn StateWrite, p: &Proposal) {
    write_record(state, &proposal_key(p.id), p);
    if p.status == Status::Open {
        state.put(&open_key(p.expires_at_ms, p.id), b"1".to_vec());
    } else {
        state.delete(&open_key(p.expires_at_ms, p.id));
    }
}

/// Proposals not yet closed (some may have expired), the soonest to expire first, at most
/// `limit`, as (expiry, id).
pub fn open_ids(state: &dyn StateRead, limit: usize) -> Result<Vec<(u64, u64)>, ModuleError> {
    let corrupt =
        || ModuleError::Storage(dojang_ledger::StoreError::Corrupt("open-proposal index key is corrupt".into()));
    state
        .scan(OPEN_PREFIX, None, limit)?
        .into_iter()
        .map(|(k, _)| {
            let rest = std::str::from_utf8(&k[OPEN_PREFIX.len()..]).map_err(|_| corrupt())?;
            let (expiry, id) = rest.split_once('/').ok_or_else(corrupt)?;
            Ok((expiry.parse().map_err(|_| corrupt())?, id.parse().map_err(|_| corrupt())?))
        })
        .collect()
}

/// The highest proposal id so far (0 if none).
pub fn last_id(state: &dyn StateRead) -> Result<u64, ModuleError> {
    Ok(read_record(state, NEXT_ID_KEY)?.unwrap_or(1u64) - 1)
}

fn council_now(ctx: &TxContext, state: &dyn StateRead) -> Result<Council, ModuleError> {
    Ok(council::record(state)?.at(ctx.height).clone())
}

pub fn propose(
    ctx: &TxContext,
    state: &mut dyn StateWrite,
    proposal: ProposedMsg,
    reason: String,
    expires_at_ms: u64,
) -> Result<Vec<Event>, ModuleError> {
    let council = council_now(ctx, state)?;
    rules::sender_is_member(council.is_member(&ctx.sender))?;
    rules::expiry_is_valid(expires_at_ms, ctx.time_ms)?;
    // GOV-10 (a message the council decides, valid for its module) was checked when this
    // transaction was admitted to the block: the ledger checks a proposal's carried message.
    close_expired(state, ctx.time_ms)?;
    let id = last_id(state)? + 1;
    write_record(state, NEXT_ID_KEY, &(id + 1));
    let mut p = Proposal {
        id,
        proposer: ctx.sender,
        proposal,
        reason,
        expires_at_ms,
        height: ctx.height,
        time_ms: ctx.time_ms,
        approvals: BTreeMap::from([(ctx.sender, ctx.height)]),
        rejections: BTreeMap::new(),
        status: Status::Open,
    };
    let mut events = vec![Event::typed(&GovernanceEvent::ProposalCreated {
        id: p.id,
        by: ctx.sender,
        module: p.proposal.module.clone(),
        expires_at_ms,
        threshold: council.threshold,
    })];
    events.extend(execute_if_passed(ctx, state, &council, &mut p)?);
    put(state, &p);
    Ok(events)
}

/// How many expired proposals one new proposal takes off the open list: more than it adds,
/// so the list cannot grow with dead entries, and bounded per transaction.
const CLOSE_EXPIRED_PER_PROPOSAL: usize = 8;

/// Takes expired proposals off the open list (the soonest-expiring come first in it). Their
/// records stay and read as expired; they stop showing among the open ones.
fn close_expired(state: &mut dyn StateWrite, now_ms: u64) -> Result<(), ModuleError> {
    for (expires_at_ms, id) in open_ids(state, CLOSE_EXPIRED_PER_PROPOSAL)? {
        if expires_at_ms > now_ms {
            break;
        }
        state.delete(&open_key(expires_at_ms, id));
    }
    Ok(())
}

/// Loads an open proposal the sender may still vote on.
fn votable(ctx: &TxContext, state: &dyn StateRead, id: u64) -> Result<(Council, Proposal), ModuleError> {
    let council = council_now(ctx, state)?;
    rules::sender_is_member(council.is_member(&ctx.sender))?;
    let p = get(state, id)?.ok_or_else(|| ModuleError::NotFound(format!("proposal {id}")))?;
    if p.status != Status::Open {
        return Err(ModuleError::Rejected {
            code: "proposal_closed".into(),
            reason: format!("proposal {id} is already {}", p.status_at(ctx.time_ms)),
        });
    }
    rules::proposal_is_open(p.expires_at_ms, ctx.time_ms)?;
    if p.approvals.contains_key(&ctx.sender) || p.rejections.contains_key(&ctx.sender) {
        return Err(ModuleError::Rejected {
            code: "already_voted".into(),
            reason: format!("{} has already voted on proposal {id}; a vote counts once", ctx.sender),
        });
    }
    Ok((council, p))
}

pub fn approve(ctx: &TxContext, state: &mut dyn StateWrite, id: u64) -> Result<Vec<Event>, ModuleError> {
    let (council, mut p) = votable(ctx, state, id)?;
    p.approvals.insert(ctx.sender, ctx.height);
    let mut events = vec![Event::typed(&GovernanceEvent::ProposalApproved {
        id: p.id,
        by: ctx.sender,
        approvals: council.count(p.approvals.keys().copied()),
        threshold: council.threshold,
    })];
    events.extend(execute_if_passed(ctx, state, &council, &mut p)?);
    put(state, &p);
    Ok(events)
}

pub fn reject(ctx: &TxContext, state: &mut dyn StateWrite, id: u64) -> Result<Vec<Event>, ModuleError> {
    let (council, mut p) = votable(ctx, state, id)?;
    p.rejections.insert(ctx.sender, ctx.height);
    let rejections = council.count(p.rejections.keys().copied());
    let mut events = vec![Event::typed(&GovernanceEvent::ProposalRejectedBy { id: p.id, by: ctx.sender, rejections })];
    let members = council.members.len() as u32;
    if rejections > members - council.threshold {
        p.status = Status::Rejected { height: ctx.height };
        events.push(Event::typed(&GovernanceEvent::ProposalRejected { id: p.id }));
    }
    put(state, &p);
    Ok(events)
}

/// At the threshold, executes the proposed message in the council's name. A refusal by the
/// message's module closes the proposal as failed (recorded, never retried); a storage
/// failure aborts the whole transaction.
fn execute_if_passed(
    ctx: &TxContext,
    state: &mut dyn StateWrite,
    council: &Council,
    p: &mut Proposal,
) -> Result<Vec<Event>, ModuleError> {
    if council.count(p.approvals.keys().copied()) < council.threshold {
        return Ok(vec![]);
    }
    let bytes = serde_json::to_vec(&p.proposal.msg).map_err(|e| ModuleError::InvalidMessage(e.to_string()))?;
    match state.execute_as_council(&p.proposal.module, &bytes) {
        Ok(mut events) => {
            p.status = Status::Executed { height: ctx.height };
            events
                .push(Event::typed(&GovernanceEvent::ProposalExecuted { id: p.id, module: p.proposal.module.clone() }));
            Ok(events)
        }
        Err(e @ ModuleError::Storage(_)) => Err(e),
        Err(e) => {
            p.status = Status::Failed { height: ctx.height, code: e.code(), reason: e.to_string() };
            Ok(vec![Event::typed(&GovernanceEvent::ProposalFailed { id: p.id, code: e.code() })])
        }
    }
}
