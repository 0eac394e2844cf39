//! The engine's view of our chain: heights, validator addresses, the value voted on (a block
//! hash; the block itself travels as proposal parts), proposals, votes and validator sets.

use std::fmt;

use borsh::{BorshDeserialize, BorshSerialize};
use dojang_types::{Address, Hash};
use malachitebft_core_types as mc;
use mc::{NilOrVal, Round, SignedExtension, VoteType, VotingPower};

use crate::signing::{Ed25519Scheme, PublicKey};

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash, BorshSerialize, BorshDeserialize)]
pub struct Height(pub u64);

impl fmt::Display for Height {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

impl mc::Height for Height {
    const ZERO: Self = Height(0);
    const INITIAL: Self = Height(1);

    fn increment_by(&self, n: u64) -> Self {
        Height(self.0.saturating_add(n))
    }

    fn decrement_by(&self, n: u64) -> Option<Self> {
        self.0.checked_sub(n).map(Height)
    }

    fn as_u64(&self) -> u64 {
        self.0
    }
}

/// A validator's address: the same derivation as account addresses.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, BorshSerialize, BorshDeserialize)]
pub struct ValidatorAddress(pub Address);

impl fmt::Display for ValidatorAddress {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

impl mc::Address for ValidatorAddress {}

/// The id of a value: the block hash.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, BorshSerialize, BorshDeserialize)]
pub struct BlockId(pub Hash);

impl fmt::Display for BlockId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

/// What validators agree on. Only the hash goes through the engine's proposal message; the
/// block itself is streamed as proposal parts, and every validator executes it before voting.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, BorshSerialize, BorshDeserialize)]
pub struct BlockValue(pub Hash);

impl mc::Value for BlockValue {
    type Id = BlockId;

    fn id(&self) -> BlockId {
        BlockId(self.0)
    }
}

#[derive(Clone, Debug, PartialEq, Eq, BorshSerialize, BorshDeserialize)]
pub struct Validator {
    pub address: ValidatorAddress,
    pub public_key: PublicKey,
    pub power: VotingPower,
}

impl mc::Validator<DojangContext> for Validator {
    fn address(&self) -> &ValidatorAddress {
        &self.address
    }

    fn public_key(&self) -> &PublicKey {
        &self.public_key
    }

    fn voting_power(&self) -> VotingPower {
        self.power
    }
}

/// Validators sorted by address, with the proposer rotation derived from their powers.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ValidatorSet {
    validators: Vec<Validator>,
    /// Indexes into `validators`, one per proposer slot: each validator appears in proportion
    /// to its power, spread out (smooth weighted round-robin), so that a validator with twice
    /// the power proposes twice as often and a dead one costs one timeout per turn.
    rotation: Vec<u16>,
}

/// Slots in one turn of the proposer rotation. Powers are scaled into this many slots (each
/// validator keeps at least one), so the rotation stays small whatever the powers are.
const ROTATION_SLOTS: u128 = 4096;

/// The proposer sequence of one turn: smooth weighted round-robin over the (scaled) powers,
/// ties to the lower address. Pure and deterministic, so every validator derives the same one.
fn rotation(validators: &[Validator]) -> Vec<u16> {
    let total: u128 = validators.iter().map(|v| u128::from(v.power)).sum();
    let weights: Vec<i128> = validators
        .iter()
        .map(|v| {
            let w = if total <= ROTATION_SLOTS {
                u128::from(v.power)
            } else {
                u128::from(v.power) * ROTATION_SLOTS / total
            };
            w.max(1) as i128
        })
        .collect();
    let sum: i128 = weights.iter().sum();
    let mut current = vec![0i128; weights.len()];
    let mut out = Vec::with_capacity(sum as usize);
    for _ in 0..sum {
        for (c, w) in current.iter_mut().zip(&weights) {
            *c += w;
        }
        let mut pick = 0;
        for i in 1..current.len() {
            if current[i] > current[pick] {
                pick = i;
            }
        }
        current[pick] -= sum;
        out.push(pick as u16);
    }
    out
}

impl ValidatorSet {
    pub fn new(mut validators: Vec<Validator>) -> Self {
        validators.sort_by_key(|v| v.address);
        validators.dedup_by_key(|v| v.address);
        let rotation = rotation(&validators);
        ValidatorSet { validators, rotation }
    }

    /// The validator whose turn it is to propose at this height and round.
    pub fn proposer(&self, height: Height, round: Round) -> &Validator {
        assert!(!self.rotation.is_empty(), "the validator set is never empty");
        let r = round.as_u32().unwrap_or(0) as u64;
        let slot = height.0.wrapping_add(r) % self.rotation.len() as u64;
        &self.validators[self.rotation[slot as usize] as usize]
    }

    pub fn validators(&self) -> &[Validator] {
        &self.validators
    }

    /// The engine's view of the ledger's set. The ledger admits only Ed25519 validator keys,
    /// so any other key is left out (and could not sign a vote here anyway).
    pub fn from_ledger(set: &[dojang_types::Validator]) -> Self {
        ValidatorSet::new(
            set.iter()
                .filter_map(|v| match v.public_key {
                    dojang_types::PublicKey::Ed25519(pk) => Some(Validator {
                        address: ValidatorAddress(v.address),
                        public_key: PublicKey(pk),
                        power: v.power,
                    }),
                    dojang_types::PublicKey::P256(_) => None,
                })
                .collect(),
        )
    }
}

impl mc::ValidatorSet<DojangContext> for ValidatorSet {
    fn count(&self) -> usize {
        self.validators.len()
    }

    fn total_voting_power(&self) -> VotingPower {
        // The ledger bounds a set's total (MAX_TOTAL_POWER); saturate rather than wrap anyway.
        self.validators.iter().fold(0u64, |acc, v| acc.saturating_add(v.power))
    }

    fn get_by_address(&self, address: &ValidatorAddress) -> Option<&Validator> {
        self.validators.iter().find(|v| &v.address == address)
    }

    fn get_by_index(&self, index: usize) -> Option<&Validator> {
        self.validators.get(index)
    }
}

#[derive(Clone, Debug, PartialEq, Eq, BorshSerialize, BorshDeserialize)]
pub struct Proposal {
    pub height: Height,
    pub round: Round,
    pub value: BlockValue,
    pub pol_round: Round,
    pub proposer: ValidatorAddress,
}

impl mc::Proposal<DojangContext> for Proposal {
    fn height(&self) -> Height {
        self.height
    }

    fn round(&self) -> Round {
        self.round
    }

    fn value(&self) -> &BlockValue {
        &self.value
    }

    fn take_value(self) -> BlockValue {
        self.value
    }

    fn pol_round(&self) -> Round {
        self.pol_round
    }

    fn validator_address(&self) -> &ValidatorAddress {
        &self.proposer
    }
}

#[derive(Clone, Debug, PartialEq, Eq, BorshSerialize, BorshDeserialize)]
pub struct Vote {
    pub vote_type: VoteType,
    pub height: Height,
    pub round: Round,
    pub value: NilOrVal<BlockId>,
    pub validator: ValidatorAddress,
    pub extension: Option<SignedExtension<DojangContext>>,
}

impl Vote {
    fn new(
        vote_type: VoteType,
        height: Height,
        round: Round,
        value: NilOrVal<BlockId>,
        validator: ValidatorAddress,
    ) -> Self {
        Vote { vote_type, height, round, value, validator, extension: None }
    }
}

impl mc::Vote<DojangContext> for Vote {
    fn height(&self) -> Height {
        self.height
    }

    fn round(&self) -> Round {
        self.round
    }

    fn value(&self) -> &NilOrVal<BlockId> {
        &self.value
    }

    fn take_value(self) -> NilOrVal<BlockId> {
        self.value
    }

    fn vote_type(&self) -> VoteType {
        self.vote_type
    }

    fn validator_address(&self) -> &ValidatorAddress {
        &self.validator
    }

    fn extension(&self) -> Option<&SignedExtension<DojangContext>> {
        self.extension.as_ref()
    }

    fn take_extension(&mut self) -> Option<SignedExtension<DojangContext>> {
        self.extension.take()
    }

    fn extend(self, extension: SignedExtension<DojangContext>) -> Self {
        Vote { extension: Some(extension), ..self }
    }
}

/// A piece of a streamed proposal: the header of the stream, chunks of the encoded block, and
/// the proposer's signature over all of it (so a relaying peer cannot alter the block).
#[derive(Clone, Debug, PartialEq, Eq, BorshSerialize, BorshDeserialize)]
pub enum ProposalPart {
    Init { height: Height, round: Round, pol_round: Round, proposer: ValidatorAddress },
    Data(Vec<u8>),
    Fin { signature: crate::signing::Signature },
}

impl mc::ProposalPart<DojangContext> for ProposalPart {
    fn is_first(&self) -> bool {
        matches!(self, ProposalPart::Init { .. })
    }

    fn is_last(&self) -> bool {
        matches!(self, ProposalPart::Fin { .. })
    }
}

/// Our chain's consensus context.
#[derive(Clone, Debug)]
pub struct DojangContext;

impl mc::Context for DojangContext {
    type Address = ValidatorAddress;
    type Height = Height;
    type ProposalPart = ProposalPart;
    type Proposal = Proposal;
    type Validator = Validator;
    type ValidatorSet = ValidatorSet;
    type Timeouts = mc::LinearTimeouts;
    type Value = BlockValue;
    type Vote = Vote;
    type Extension = Vec<u8>;
    type SigningScheme = Ed25519Scheme;

    /// Weighted round-robin over the address-sorted set ([`ValidatorSet::proposer`]), shifted
    /// by height and round, so every validator takes turns in proportion to its power and a
    /// dead one costs at most one propose timeout per turn.
    fn select_proposer<'a>(&self, set: &'a ValidatorSet, height: Height, round: Round) -> &'a Validator {
        set.proposer(height, round)
    }

    fn new_proposal(
        &self,
        height: Height,
        round: Round,
        value: BlockValue,
        pol_round: Round,
        address: ValidatorAddress,
    ) -> Proposal {
        Proposal { height, round, value, pol_round, proposer: address }
    }

    fn new_prevote(
        &self,
        height: Height,
        round: Round,
        value_id: NilOrVal<BlockId>,
        address: ValidatorAddress,
    ) -> Vote {
        Vote::new(VoteType::Prevote, height, round, value_id, address)
    }

    fn new_precommit(
        &self,
        height: Height,
        round: Round,
        value_id: NilOrVal<BlockId>,
        address: ValidatorAddress,
    ) -> Vote {
        Vote::new(VoteType::Precommit, height, round, value_id, address)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn set(powers: &[u64]) -> ValidatorSet {
        ValidatorSet::new(
            powers
                .iter()
                .enumerate()
                .map(|(i, &power)| Validator {
                    address: ValidatorAddress(Address([i as u8 + 1; 20])),
                    public_key: PublicKey([i as u8 + 1; 32]),
                    power,
                })
                .collect(),
        )
    }

    fn turns(set: &ValidatorSet, heights: u64) -> Vec<u64> {
        let mut counts = vec![0u64; set.validators().len()];
        for h in 1..=heights {
            let p = set.proposer(Height(h), Round::new(0));
            counts[set.validators().iter().position(|v| v.address == p.address).unwrap()] += 1;
        }
        counts
    }

    #[test]
    fn equal_powers_rotate_in_address_order_and_rounds_move_on() {
        let s = set(&[1, 1, 1, 1]);
        let order: Vec<u8> = (1..=8).map(|h| s.proposer(Height(h), Round::new(0)).address.0 .0[0]).collect();
        assert_eq!(order, vec![2, 3, 4, 1, 2, 3, 4, 1]);
        for h in 1..20 {
            assert_ne!(s.proposer(Height(h), Round::new(0)).address, s.proposer(Height(h), Round::new(1)).address);
        }
    }

    #[test]
    fn turns_follow_voting_power() {
        assert_eq!(turns(&set(&[1, 2, 3, 4]), 1000), vec![100, 200, 300, 400]);
        // Spread out: the heaviest validator never proposes more than twice in a row here.
        let s = set(&[1, 2, 3, 4]);
        let seq: Vec<Address> = (0..10).map(|h| s.proposer(Height(h), Round::new(0)).address.0).collect();
        assert!(seq.windows(3).all(|w| !(w[0] == w[1] && w[1] == w[2])), "{seq:?}");
        // Huge powers are scaled, not overflowed; every validator keeps a turn.
        let big = set(&[1 << 58, 1 << 58, 1, 1 << 59]);
        let counts = turns(&big, big.rotation.len() as u64);
        assert!(counts.iter().all(|&c| c >= 1), "{counts:?}");
        assert!(counts[3].abs_diff(2 * counts[0]) <= 1, "{counts:?}");
        assert_eq!(mc::ValidatorSet::total_voting_power(&set(&[u64::MAX, 5])), u64::MAX);
    }
}
