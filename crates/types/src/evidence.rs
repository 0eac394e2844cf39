use borsh::{BorshDeserialize, BorshSerialize};
use serde::{Deserialize, Serialize};

use crate::hash::Hash;
use crate::keys::Address;

/// What a validator signed twice for one height and round.
#[derive(Debug, Clone, Copy, PartialEq, Eq, BorshSerialize, BorshDeserialize, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EvidenceKind {
    /// Two different proposals as proposer.
    DoubleProposal,
    /// Two different prevotes.
    DoublePrevote,
    /// Two different precommits.
    DoublePrecommit,
}

/// Proof that a validator equivocated: two conflicting signed messages for one height and
/// round. Both signatures are kept, so anyone can check the accusation against the
/// validator's key instead of trusting the node that reports it.
#[derive(Debug, Clone, PartialEq, Eq, BorshSerialize, BorshDeserialize, Serialize, Deserialize)]
pub struct Evidence {
    pub kind: EvidenceKind,
    pub validator: Address,
    pub height: u64,
    pub round: u32,
    /// The two values signed (`None` is a vote for nil).
    pub first: Option<Hash>,
    pub second: Option<Hash>,
    #[serde(with = "crate::evidence::hex64")]
    pub first_signature: [u8; 64],
    #[serde(with = "crate::evidence::hex64")]
    pub second_signature: [u8; 64],
    /// The height this node finalized when the engine reported it.
    pub reported_at_height: u64,
}

mod hex64 {
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(v: &[u8; 64], s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&hex::encode(v))
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<[u8; 64], D::Error> {
        let text = String::deserialize(d)?;
        let bytes = hex::decode(&text).map_err(serde::de::Error::custom)?;
        bytes.try_into().map_err(|_| serde::de::Error::custom("a signature is 64 bytes"))
    }
}
