//! Turns the engine's equivocation evidence into the ledger's own record, which keeps both
//! signed messages so anyone can check an accusation against the validator's key.

use dojang_types::{Evidence, EvidenceKind};
use malachitebft_app_channel::app::types::core::{NilOrVal, Round, SignedProposal, SignedVote, VoteType};
use malachitebft_core_consensus::MisbehaviorEvidence;

use crate::context::DojangContext;

type Ctx = DojangContext;

fn round(r: Round) -> u32 {
    r.as_u32().unwrap_or(u32::MAX)
}

fn vote_value(v: &SignedVote<Ctx>) -> Option<dojang_types::Hash> {
    match &v.message.value {
        NilOrVal::Val(id) => Some(id.0),
        NilOrVal::Nil => None,
    }
}

fn double_proposal(a: &SignedProposal<Ctx>, b: &SignedProposal<Ctx>, at: u64) -> Evidence {
    Evidence {
        kind: EvidenceKind::DoubleProposal,
        validator: a.message.proposer.0,
        height: a.message.height.0,
        round: round(a.message.round),
        first: Some(a.message.value.0),
        second: Some(b.message.value.0),
        first_signature: a.signature.0,
        second_signature: b.signature.0,
        reported_at_height: at,
    }
}

fn double_vote(a: &SignedVote<Ctx>, b: &SignedVote<Ctx>, at: u64) -> Evidence {
    Evidence {
        kind: match a.message.vote_type {
            VoteType::Prevote => EvidenceKind::DoublePrevote,
            VoteType::Precommit => EvidenceKind::DoublePrecommit,
        },
        validator: a.message.validator.0,
        height: a.message.height.0,
        round: round(a.message.round),
        first: vote_value(a),
        second: vote_value(b),
        first_signature: a.signature.0,
        second_signature: b.signature.0,
        reported_at_height: at,
    }
}

/// Every equivocation the engine reported with a finalized height.
pub fn convert(evidence: &MisbehaviorEvidence<Ctx>, finalized_height: u64) -> Vec<Evidence> {
    let proposals = evidence
        .proposals
        .iter()
        .flat_map(|(_, pairs)| pairs.iter().map(|(a, b)| double_proposal(a, b, finalized_height)));
    let votes =
        evidence.votes.iter().flat_map(|(_, pairs)| pairs.iter().map(|(a, b)| double_vote(a, b, finalized_height)));
    proposals.chain(votes).collect()
}
