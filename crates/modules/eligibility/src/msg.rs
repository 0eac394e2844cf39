use dojang_types::Hash;
use serde::{Deserialize, Serialize};

use crate::ruleset::RuleSet;

/// Eligibility messages, as JSON. Times are ms since the Unix epoch.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case", deny_unknown_fields)]
pub enum EligibilityMsg {
    /// A program office registers a program under one of its verification policies, with the
    /// commitment (SHA-256) to the lottery seed it will reveal after the window closes.
    RegisterProgram {
        id: String,
        office: String,
        name: String,
        policy: String,
        window_opens_ms: u64,
        window_closes_ms: u64,
        quota: u32,
        seed_commitment: Hash,
    },
    /// A new rule-set version (the previous one + 1). Versions never change.
    PublishRuleSet { program: String, version: u32, rules: RuleSet },
    /// The lottery seed, after the window has closed; it must hash to the commitment.
    RevealSeed { program: String, seed: Hash },
    /// The Merkle root of a batch of salted decision leaves (nothing per person).
    AnchorDecisions { program: String, root: Hash, leaves: u64 },
}
