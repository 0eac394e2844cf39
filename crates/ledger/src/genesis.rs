use std::collections::BTreeMap;
use std::path::Path;

use dojang_types::{sha256, Hash, PublicKey, Validator, MAX_VALIDATORS};
use serde::{Deserialize, Serialize};

use crate::error::LedgerError;

/// One validator of the initial set.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct GenesisValidator {
    /// Who runs it (an agency's node name), for operators' eyes only.
    pub name: String,
    /// The consensus key; must be Ed25519.
    pub public_key: PublicKey,
    pub power: u64,
}

/// The genesis file: everything every node must agree on before block 1.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Genesis {
    pub chain_id: String,
    pub genesis_time_ms: u64,
    pub validators: Vec<GenesisValidator>,
    /// Each module's initial state, by module name.
    #[serde(default)]
    pub modules: BTreeMap<String, serde_json::Value>,
}

impl Genesis {
    pub fn load(path: &Path) -> Result<Self, LedgerError> {
        let text = std::fs::read_to_string(path)
            .map_err(|e| LedgerError::Genesis(format!("cannot read {}: {e}", path.display())))?;
        let g: Genesis = serde_json::from_str(&text)
            .map_err(|e| LedgerError::Genesis(format!("{} is not a valid genesis file: {e}", path.display())))?;
        g.validate()?;
        Ok(g)
    }

    pub fn validate(&self) -> Result<(), LedgerError> {
        if self.chain_id.is_empty() || self.chain_id.len() > 64 {
            return Err(LedgerError::Genesis("chain_id must be 1 to 64 characters".into()));
        }
        if self.validators.is_empty() {
            return Err(LedgerError::Genesis("at least one validator is required".into()));
        }
        if self.validators.len() > MAX_VALIDATORS {
            return Err(LedgerError::Genesis(format!("at most {MAX_VALIDATORS} validators are allowed")));
        }
        let mut seen = std::collections::BTreeSet::new();
        for v in &self.validators {
            if !matches!(v.public_key, PublicKey::Ed25519(_)) {
                return Err(LedgerError::Genesis(format!("validator '{}' must have an ed25519 key", v.name)));
            }
            if v.power == 0 {
                return Err(LedgerError::Genesis(format!("validator '{}' has zero power", v.name)));
            }
            if !seen.insert(v.public_key.address()) {
                return Err(LedgerError::Genesis(format!("validator '{}' is listed twice", v.name)));
            }
        }
        if dojang_types::total_power(&self.validator_set()).is_none() {
            return Err(LedgerError::Genesis(format!(
                "the validators' total power exceeds {} (the quorum arithmetic bound)",
                dojang_types::MAX_TOTAL_POWER
            )));
        }
        Ok(())
    }

    /// Identifies the chain: the hash of the canonical JSON of the genesis. Block 1's parent.
    pub fn hash(&self) -> Hash {
        let bytes = serde_json::to_vec(self).expect("genesis serializes");
        sha256(&[b"dojang/genesis/v1\n", &bytes])
    }

    /// The initial validator set, in address order (the order consensus uses).
    pub fn validator_set(&self) -> Vec<Validator> {
        let mut set: Vec<Validator> = self
            .validators
            .iter()
            .map(|v| Validator {
                address: v.public_key.address(),
                public_key: v.public_key.clone(),
                power: v.power,
                name: v.name.clone(),
            })
            .collect();
        set.sort_by_key(|v| v.address);
        set
    }
}
