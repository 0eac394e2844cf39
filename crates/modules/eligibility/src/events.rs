//! What the eligibility module tells the world (see `dojang_types::ModuleEvent`).

use dojang_types::{Hash, ModuleEvent};
use serde::{Deserialize, Serialize};

use crate::NAME;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EligibilityEvent {
    ProgramRegistered {
        program: String,
        quota: u32,
    },
    RulesetPublished {
        program: String,
        version: u32,
    },
    /// The lottery seed, revealed after the window and matching its commitment.
    SeedRevealed {
        program: String,
        seed: Hash,
    },
    /// The Merkle root of the office's `batch`-th batch of decisions.
    DecisionsAnchored {
        program: String,
        batch: u64,
        root: Hash,
    },
}

impl ModuleEvent for EligibilityEvent {
    const MODULE: &'static str = NAME;
}
