use borsh::{BorshDeserialize, BorshSerialize};
use serde::{Deserialize, Serialize};

use crate::hash::{sha256, Hash};
use crate::keys::{Address, PublicKey};

/// The most validators a set may hold. Every vote is checked by every validator, so the set is
/// sized for a city's agencies, not for an open network.
pub const MAX_VALIDATORS: usize = 100;

/// The most voting power a whole set may hold (2^60). Quorum arithmetic multiplies power by 3;
/// below this bound no engine or client computing in u64 can overflow, so a governance
/// transaction cannot crash every validator by granting an enormous power.
pub const MAX_TOTAL_POWER: u64 = 1 << 60;

/// The set's total voting power, or `None` beyond [`MAX_TOTAL_POWER`].
pub fn total_power(set: &[Validator]) -> Option<u64> {
    set.iter().try_fold(0u64, |acc, v| acc.checked_add(v.power)).filter(|t| *t <= MAX_TOTAL_POWER)
}

/// One member of the validator set. The set that decides height `h` is the one in state after
/// block `h - 1`; a governance transaction changes it at that boundary.
#[derive(Debug, Clone, PartialEq, Eq, BorshSerialize, BorshDeserialize, Serialize, Deserialize)]
pub struct Validator {
    pub address: Address,
    /// The consensus key; always Ed25519.
    pub public_key: PublicKey,
    pub power: u64,
    /// Which agency's node this is (e.g. `seoul-city-1`), for operators' eyes.
    pub name: String,
}

/// Hash of a validator set in address order, as carried in every block header.
pub fn validators_hash(set: &[Validator]) -> Hash {
    let mut sorted: Vec<&Validator> = set.iter().collect();
    sorted.sort_by_key(|v| v.address);
    let parts: Vec<u8> = sorted
        .iter()
        .flat_map(|v| {
            [v.address.0.to_vec(), v.public_key.key_bytes().to_vec(), v.power.to_be_bytes().to_vec()].concat()
        })
        .collect();
    sha256(&[b"dojang/validators/v1\n", &parts])
}
