//! Decisions as the office keeps them and receipts as the applicant holds them. A decision's
//! leaf is SHA-256 of a random salt and the decision's canonical JSON: the anchored root proves
//! the decision existed, the salt keeps anyone without the receipt from guessing its content.

use dojang_eligibility::Outcome;
use dojang_types::{merkle_root_from_proof, sha256, Hash, ProofStep};
use rand::RngCore as _;
use serde::{Deserialize, Serialize};

/// What was decided, under which policy and rule-set version (ELIG-05). No claim values: one
/// bit per condition, the claim paths disclosed (ELIG-06), the status list versions checked.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DecisionCore {
    pub program: String,
    pub seq: u64,
    pub policy: String,
    pub ruleset_version: u32,
    pub outcome: Outcome,
    pub conditions: Vec<(String, bool)>,
    pub disclosed: Vec<String>,
    /// `(vct, issuer, status list version)` of each credential presented.
    pub credentials: Vec<(String, String, u64)>,
    pub decided_at: u64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DecisionRecord {
    pub seq: u64,
    pub core: DecisionCore,
    pub salt: Hash,
    pub leaf: Hash,
    /// `(batch, index)` once anchored.
    #[serde(default)]
    pub anchored: Option<(u64, u64)>,
    /// Set when the lottery selected it.
    #[serde(default)]
    pub selected: Option<bool>,
}

impl DecisionRecord {
    pub fn new(core: DecisionCore) -> DecisionRecord {
        let mut salt = [0u8; 32];
        rand::thread_rng().fill_bytes(&mut salt);
        DecisionRecord { seq: core.seq, core, salt: Hash(salt), leaf: Hash([0; 32]), anchored: None, selected: None }
    }

    /// Fixes the sequence number into the core and computes the leaf.
    pub fn seal(&mut self) {
        self.core.seq = self.seq;
        self.leaf = leaf_of(&self.salt, &self.core);
    }
}

pub fn leaf_of(salt: &Hash, core: &DecisionCore) -> Hash {
    sha256(&[&salt.0, &serde_json::to_vec(core).expect("a decision serializes")])
}

/// An anchored batch: the decisions' sequence numbers in leaf order, and the root on chain.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Batch {
    pub program: String,
    pub batch: u64,
    pub root: Hash,
    pub seqs: Vec<u64>,
    pub leaves: Vec<Hash>,
    pub anchored_height: u64,
}

/// What the applicant keeps: the decision, its salt, and once anchored, the proof that it is
/// under a root on chain (`eligibility/batches/<program>/<batch>`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Receipt {
    pub decision: DecisionCore,
    pub salt: Hash,
    pub leaf: Hash,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub inclusion: Option<Inclusion>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Inclusion {
    pub batch: u64,
    pub index: u64,
    pub root: Hash,
    pub proof: Vec<ProofStep>,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ReceiptError {
    #[error("the receipt's leaf does not match its decision and salt (altered)")]
    Leaf,
    #[error("the receipt has no inclusion proof yet (the batch is not anchored)")]
    NotAnchored,
    #[error("the inclusion proof does not lead to the receipt's root")]
    Proof,
    #[error("the receipt's root is not the root anchored on chain for batch {0}")]
    RootNotAnchored(u64),
}

impl Receipt {
    /// Checks the receipt against the root the chain holds for its batch.
    pub fn verify(&self, anchored_root: &Hash) -> Result<(), ReceiptError> {
        if leaf_of(&self.salt, &self.decision) != self.leaf {
            return Err(ReceiptError::Leaf);
        }
        let inc = self.inclusion.as_ref().ok_or(ReceiptError::NotAnchored)?;
        if merkle_root_from_proof(&self.leaf.0, &inc.proof) != inc.root {
            return Err(ReceiptError::Proof);
        }
        if &inc.root != anchored_root {
            return Err(ReceiptError::RootNotAnchored(inc.batch));
        }
        Ok(())
    }
}
