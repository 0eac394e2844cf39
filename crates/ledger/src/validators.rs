//! The validator set lives in state under one key, so that every height's set is covered by the
//! state root (a client proves the set of height `h` against block `h - 1`) and a change made by
//! a transaction is rolled back with it if the transaction fails.

use dojang_store::StoreError;
use dojang_types::{decode, encode, is_plain_name, total_power, PublicKey, Validator, MAX_TOTAL_POWER, MAX_VALIDATORS};
use serde::{Deserialize, Serialize};

/// State key of the validator set: borsh of the set in address order.
pub const VALIDATORS_KEY: &[u8] = b"ledger/validators";

/// A change to the validator set requested by a module (governance): add a validator, change
/// its power, or remove it with power 0. It takes effect from the next height.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ValidatorUpdate {
    pub public_key: PublicKey,
    pub power: u64,
    /// Which agency's node this is, e.g. `district-office-2`.
    pub name: String,
}

pub(crate) fn encode_set(set: &[Validator]) -> Vec<u8> {
    encode(&set.to_vec())
}

pub(crate) fn decode_set(bytes: &[u8]) -> Result<Vec<Validator>, StoreError> {
    decode(bytes).map_err(|e| StoreError::Corrupt(format!("validator set in state: {e}")))
}

/// The set after one update, in address order. Refuses what would leave the
/// chain unable to decide: an empty set, a non-Ed25519 key, too many members.
pub(crate) fn with_update(set: &[Validator], update: &ValidatorUpdate) -> Result<Vec<Validator>, String> {
    let mut set = set.to_vec();
    if !matches!(update.public_key, PublicKey::Ed25519(_)) {
        return Err("a validator key must be ed25519".into());
    }
    if !is_plain_name(&update.name, 64) {
        return Err(format!(
            "validator name '{}' must be 1 to 64 characters of a-z 0-9 _ . - (an agency's node name)",
            update.name
        ));
    }
    let address = update.public_key.address();
    let position = set.iter().position(|v| v.address == address);
    match (position, update.power) {
        (None, 0) => return Err(format!("{address} is not a validator, so it cannot be removed")),
        (Some(i), 0) => {
            set.remove(i);
        }
        (Some(i), power) => {
            set[i].power = power;
            set[i].name = update.name.clone();
        }
        (None, power) => {
            set.push(Validator { address, public_key: update.public_key.clone(), power, name: update.name.clone() });
            set.sort_by_key(|v| v.address);
        }
    }
    if set.is_empty() {
        return Err("the last validator cannot be removed: the chain would stop".into());
    }
    if set.len() > MAX_VALIDATORS {
        return Err(format!("a set may hold at most {MAX_VALIDATORS} validators"));
    }
    if total_power(&set).is_none() {
        return Err(format!("total voting power would exceed {MAX_TOTAL_POWER} (the quorum arithmetic bound)"));
    }
    Ok(set)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(n: u8) -> PublicKey {
        PublicKey::Ed25519([n; 32])
    }

    fn update(n: u8, power: u64) -> ValidatorUpdate {
        ValidatorUpdate { public_key: key(n), power, name: format!("node-{n}") }
    }

    #[test]
    fn add_change_and_remove_keep_address_order() {
        let mut set = Vec::new();
        for n in 1..=4 {
            set = with_update(&set, &update(n, 10)).unwrap();
        }
        assert_eq!(set.len(), 4);
        assert!(set.windows(2).all(|w| w[0].address < w[1].address));
        set = with_update(&set, &update(2, 30)).unwrap();
        assert_eq!(set.iter().find(|v| v.public_key == key(2)).unwrap().power, 30);
        set = with_update(&set, &update(3, 0)).unwrap();
        assert_eq!(set.len(), 3);
        assert_eq!(decode_set(&encode_set(&set)).unwrap(), set);
    }

    #[test]
    fn refuses_what_would_stop_the_chain() {
        let set = with_update(&[], &update(1, 1)).unwrap();
        assert!(with_update(&set, &update(1, 0)).unwrap_err().contains("last validator"));
        assert!(with_update(&set, &update(9, 0)).unwrap_err().contains("not a validator"));
        let p256 = ValidatorUpdate { public_key: PublicKey::P256([4; 65]), power: 1, name: "x".into() };
        assert!(with_update(&set, &p256).unwrap_err().contains("ed25519"));
        let named = ValidatorUpdate { name: "Kim Minsu".into(), ..update(2, 1) };
        assert!(with_update(&set, &named).unwrap_err().contains("node name"));
        let huge = update(3, u64::MAX);
        assert!(with_update(&set, &huge).unwrap_err().contains("would exceed"));
        // Just under the bound is fine; one more unit of power is not.
        let most = with_update(&set, &update(3, MAX_TOTAL_POWER - 1)).unwrap();
        assert_eq!(total_power(&most), Some(MAX_TOTAL_POWER));
        assert!(with_update(&most, &update(4, 1)).unwrap_err().contains("would exceed"));
    }
}
