//! What the host takes from peers, decided apart from the engine loop: which proposal streams
//! to buffer, whether a proposal's time may get a prevote, and how much of the chain one sync
//! request may read.

use std::time::Duration;

use dojang_ledger::BlockApp;
use dojang_types::Commit;
use malachitebft_app_channel::app::types::core::{ExtendedCommitCertificate, ExtendedCommitSignature, Round};
use malachitebft_app_channel::app::types::sync::RawDecidedValue;
use tracing::error;

use crate::context::{BlockId, DojangContext, Height, ValidatorAddress, ValidatorSet};
use crate::parts::StreamInit;

type Ctx = DojangContext;

/// Heights beyond the next one for which a proposal is kept until its height starts: a node
/// one or two heights behind its peers keeps what it will need, and no more.
pub(crate) const FUTURE_HEIGHTS: u64 = 2;
/// Proposals for future heights kept at most; the oldest goes first.
pub(crate) const MAX_FUTURE_BLOCKS: usize = 8;
/// Different blocks judged per height and round: an honest proposer sends one; an equivocating
/// one gets no more than this many executions out of us.
pub(crate) const MAX_VALUES_PER_ROUND: usize = 2;
/// Different blocks judged per height over all its rounds.
pub(crate) const MAX_VALUES_PER_HEIGHT: usize = 8;
/// Rounds ahead of the one this node is in for which a proposal is taken: a proposer cannot
/// make us execute blocks for every round that would be its turn.
pub(crate) const MAX_ROUNDS_AHEAD: u32 = 2;
/// Decided blocks served to a syncing peer per request, at most (and at most four blocks'
/// worth of bytes), so a request cannot make this node read its whole chain into memory.
pub(crate) const MAX_SYNC_VALUES: u64 = 50;

/// Whether a proposed block's time may get a prevote: after its parent, and not more than the
/// allowed drift ahead of this validator's clock. Without the upper bound a proposer with a
/// wrong clock could move chain time far ahead, and every transaction would then be expired.
pub fn check_proposal_time(time_ms: u64, parent_time_ms: u64, now_ms: u64, max_drift: Duration) -> Result<(), String> {
    if time_ms <= parent_time_ms {
        return Err(format!("block time {time_ms} is not after its parent's {parent_time_ms}"));
    }
    let limit = now_ms.saturating_add(max_drift.as_millis() as u64);
    if time_ms > limit {
        return Err(format!(
            "block time {time_ms} is {} ms ahead of this validator's clock; at most {} ms is allowed",
            time_ms - now_ms,
            max_drift.as_millis()
        ));
    }
    Ok(())
}

/// Whether to buffer a proposal stream at all: it must be for the next height (from the
/// proposer of its round) or a little ahead of it (from a member of the current set). Anything
/// else is dropped before it can take memory.
pub(crate) fn admit_stream(
    validators: &ValidatorSet,
    next: Height,
    round: Round,
    init: &StreamInit,
) -> Result<(), String> {
    if init.height < next {
        return Err(format!("height {} is already decided here", init.height));
    }
    if init.height.0 > next.0.saturating_add(FUTURE_HEIGHTS) {
        return Err(format!("height {} is more than {FUTURE_HEIGHTS} ahead of {next}", init.height));
    }
    let Some(init_round) = init.round.as_u32() else {
        return Err("a proposal needs a round".into());
    };
    let current = if init.height == next { round.as_u32().unwrap_or(0) } else { 0 };
    if init_round > current.saturating_add(MAX_ROUNDS_AHEAD) {
        return Err(format!("round {init_round} is more than {MAX_ROUNDS_AHEAD} ahead of round {current}"));
    }
    if init.height == next {
        let round = init_round;
        let expected = validators.proposer(init.height, Round::new(round));
        if expected.address != init.proposer {
            return Err(format!(
                "{} is not the proposer of height {} round {round} ({} is)",
                init.proposer, init.height, expected.address
            ));
        }
    } else if !validators.validators().iter().any(|v| v.address == init.proposer) {
        return Err(format!("{} is not a validator", init.proposer));
    }
    Ok(())
}

/// Decided blocks `from ..= to` for a syncing peer, each checked on read by the store, stopping
/// at the first missing height, at [`MAX_SYNC_VALUES`] blocks or past `max_bytes`.
pub(crate) fn decided_values<L: BlockApp>(
    ledger: &L,
    from: u64,
    to: u64,
    max_bytes: usize,
) -> Vec<RawDecidedValue<Ctx>> {
    let mut values = Vec::new();
    let mut bytes_out = 0usize;
    for h in from..=to.min(from.saturating_add(MAX_SYNC_VALUES - 1)) {
        match ledger.decided(h) {
            Ok(Some((bytes, commit))) => {
                bytes_out += bytes.len();
                values.push(RawDecidedValue { value_bytes: bytes.into(), certificate: to_certificate(&commit) });
                if bytes_out >= max_bytes {
                    break;
                }
            }
            Ok(None) => break,
            Err(e) => {
                error!(height = h, error = %e, "cannot read a decided block for a peer; check the store");
                break;
            }
        }
    }
    values
}

pub(crate) fn to_certificate(c: &Commit) -> ExtendedCommitCertificate<Ctx> {
    ExtendedCommitCertificate {
        height: Height(c.height),
        round: Round::new(c.round),
        value_id: BlockId(c.block_hash),
        commit_signatures: c
            .signatures
            .iter()
            .map(|s| ExtendedCommitSignature {
                address: ValidatorAddress(s.validator),
                signature: crate::signing::Signature(s.signature),
                extension: None,
            })
            .collect(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::context::Validator;
    use crate::signing::PublicKey;

    #[test]
    fn proposal_time_must_follow_the_parent_and_stay_near_the_clock() {
        let drift = Duration::from_secs(3);
        let now = 1_800_000_000_000;
        assert!(check_proposal_time(now, now - 1000, now, drift).is_ok());
        assert!(check_proposal_time(now + 3000, now - 1000, now, drift).is_ok(), "exactly the drift is allowed");
        let ahead = check_proposal_time(now + 3001, now - 1000, now, drift).unwrap_err();
        assert!(ahead.contains("3001 ms ahead") && ahead.contains("at most 3000 ms"), "{ahead}");
        // A skewed proposer a year ahead.
        assert!(check_proposal_time(now + 365 * 86_400_000, now - 1000, now, drift).is_err());
        assert!(check_proposal_time(now - 1000, now - 1000, now, drift).unwrap_err().contains("not after its parent"));
        assert!(check_proposal_time(u64::MAX, 0, u64::MAX - 1, drift).is_ok(), "no overflow near the end of time");
    }

    #[test]
    fn streams_are_admitted_only_from_the_rounds_proposer_and_near_heights() {
        let set = ValidatorSet::new(
            (1..=4u8)
                .map(|n| Validator {
                    address: ValidatorAddress(dojang_types::Address([n; 20])),
                    public_key: PublicKey([n; 32]),
                    power: 1,
                })
                .collect(),
        );
        let init = |height: u64, round: u32, proposer: u8| StreamInit {
            height: Height(height),
            round: Round::new(round),
            pol_round: Round::Nil,
            proposer: ValidatorAddress(dojang_types::Address([proposer; 20])),
        };
        let next = Height(10);
        let r0 = Round::new(0);
        let expected = set.proposer(next, Round::new(0)).address.0 .0[0];
        assert!(admit_stream(&set, next, r0, &init(10, 0, expected)).is_ok());
        let other = if expected == 1 { 2 } else { 1 };
        assert!(admit_stream(&set, next, r0, &init(10, 0, other)).unwrap_err().contains("is not the proposer"));
        let round_1 = set.proposer(next, Round::new(1)).address.0 .0[0];
        assert!(admit_stream(&set, next, r0, &init(10, 1, round_1)).is_ok());
        assert!(admit_stream(&set, next, r0, &init(9, 0, expected)).unwrap_err().contains("already decided"));
        assert!(admit_stream(&set, next, r0, &init(12, 0, 3)).is_ok(), "two heights ahead, from a member");
        assert!(admit_stream(&set, next, r0, &init(12, 0, 77)).unwrap_err().contains("not a validator"));
        assert!(admit_stream(&set, next, r0, &init(13, 0, 3)).unwrap_err().contains("ahead"));
        assert!(admit_stream(&set, next, r0, &init(u64::MAX, 0, 3)).is_err());
        let nil_round = StreamInit { round: Round::Nil, ..init(10, 0, expected) };
        assert!(admit_stream(&set, next, r0, &nil_round).is_err());
        // Rounds: at most two ahead of the one this node is in, whoever's turn it is.
        let at = |round: u32| set.proposer(next, Round::new(round)).address.0 .0[0];
        assert!(admit_stream(&set, next, r0, &init(10, 2, at(2))).is_ok());
        assert!(admit_stream(&set, next, r0, &init(10, 3, at(3))).unwrap_err().contains("more than 2 ahead"));
        assert!(admit_stream(&set, next, Round::new(5), &init(10, 7, at(7))).is_ok());
        assert!(admit_stream(&set, next, r0, &init(10, u32::MAX - 1, at(u32::MAX - 1))).is_err());
        assert!(admit_stream(&set, next, Round::new(5), &init(11, 3, 3)).is_err(), "future heights from round 0");
    }
}
