use borsh::{BorshDeserialize, BorshSerialize};
use serde::{Deserialize, Serialize};

use crate::hash::{sha256, Hash};
use crate::keys::Address;
use crate::tx::SignedTx;

/// Domain separator for consensus votes; see [`VoteSignBytes`].
pub const VOTE_DOMAIN: &[u8] = b"dojang/vote/v1\n";

/// A block header commits to everything a reader may want to prove: the previous block, the
/// transactions, their receipts and the state after executing them. Its hash is the value the
/// validators vote on.
#[derive(Clone, Debug, PartialEq, Eq, BorshSerialize, BorshDeserialize, Serialize, Deserialize)]
pub struct BlockHeader {
    pub chain_id: String,
    pub height: u64,
    /// Block time in Unix milliseconds, chosen by the proposer, never earlier than the parent's.
    /// Execution reads time only from here, never from a clock.
    pub time_ms: u64,
    pub prev_hash: Hash,
    pub txs_root: Hash,
    pub receipts_root: Hash,
    /// Root of the merkleized state after this block's transactions.
    pub state_root: Hash,
    /// Hash of the validator set that decides this block.
    pub validators_hash: Hash,
    pub proposer: Address,
}

#[derive(Clone, Debug, PartialEq, Eq, BorshSerialize, BorshDeserialize, Serialize)]
pub struct Block {
    pub header: BlockHeader,
    pub txs: Vec<SignedTx>,
}

/// One validator's precommit signature inside a [`Commit`].
#[derive(Clone, Debug, PartialEq, Eq, BorshSerialize, BorshDeserialize, Serialize, Deserialize)]
pub struct CommitSignature {
    pub validator: Address,
    #[serde(with = "hex_sig")]
    pub signature: [u8; 64],
}

/// The finality certificate of a block: precommits of validators holding more than two
/// thirds of the voting power, for this block hash at this height and round. Stored beside the
/// block; anyone with the validator set can check it without trusting the node.
#[derive(Clone, Debug, PartialEq, Eq, BorshSerialize, BorshDeserialize, Serialize, Deserialize)]
pub struct Commit {
    pub height: u64,
    pub round: u32,
    pub block_hash: Hash,
    pub signatures: Vec<CommitSignature>,
}

/// The bytes a validator signs for a vote: `VOTE_DOMAIN || borsh(self)`. Kept here rather than
/// in the consensus crate so that SDKs can verify a [`Commit`] without the engine.
#[derive(Clone, Debug, PartialEq, Eq, BorshSerialize, BorshDeserialize)]
pub struct VoteSignBytes {
    pub chain_id: String,
    pub height: u64,
    pub round: u32,
    /// 0 = prevote, 1 = precommit.
    pub vote_type: u8,
    /// `None` is a vote for nil.
    pub block_hash: Option<Hash>,
    pub validator: Address,
}

impl VoteSignBytes {
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut out = VOTE_DOMAIN.to_vec();
        out.extend_from_slice(&crate::encode(self));
        out
    }
}

impl BlockHeader {
    pub fn hash(&self) -> Hash {
        sha256(&[b"dojang/header/v1\n", &crate::encode(self)])
    }
}

impl Block {
    pub fn hash(&self) -> Hash {
        self.header.hash()
    }

    /// Root over the transaction ids, in block order.
    pub fn compute_txs_root(txs: &[SignedTx]) -> Hash {
        let ids: Vec<Hash> = txs.iter().map(|t| t.id()).collect();
        Self::txs_root_of(&ids)
    }

    /// The same root from ids already computed (ids cost a SHA-256 each).
    pub fn txs_root_of(ids: &[Hash]) -> Hash {
        let leaves: Vec<[u8; 32]> = ids.iter().map(|h| h.0).collect();
        crate::merkle_root(&leaves)
    }
}

mod hex_sig {
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(sig: &[u8; 64], s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&hex::encode(sig))
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<[u8; 64], D::Error> {
        let s = <String as Deserialize>::deserialize(d)?;
        let bytes = hex::decode(&s).map_err(serde::de::Error::custom)?;
        bytes
            .try_into()
            .map_err(|b: Vec<u8>| serde::de::Error::custom(format!("signature must be 64 bytes, got {}", b.len())))
    }
}
