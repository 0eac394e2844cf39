//! Proofs to keep: a node's answers stored as they came, so someone who trusts only the
//! chain's genesis can check them later, offline, without asking any node. A buyer's evidence
//! against a dealer, or a court's copy of it, is such a bundle.
//!
//! A bundle holds state records (each with its Merkle proof, header and commit certificate),
//! and transactions proven into their blocks. It also holds the validator-set steps needed
//! to get from the genesis set to the sets that signed those headers. Transactions are old
//! and state is recent, so each part follows the validator set forward on its own chain, as
//! it was read: transactions in rising height first, states after.

use std::collections::BTreeMap;
use std::time::Duration;

use dojang_types::{percent_encode, BlockHeader, Commit, Hash, Validator};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::client::{Client, ClientError};
use crate::history::{check_block, check_inclusion, ProvenTx};
use crate::light::TrustedChain;
use crate::verify::{check_certified, decode_answer, StateAnswer, VerifyError};

/// One step of following the validator set: `validators` decide `header.height + 1`, proven
/// by `proof_hex` against `header`'s state root, under `commit` by the set pinned before.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SetStep {
    pub header: BlockHeader,
    pub commit: Commit,
    pub validators: Vec<Validator>,
    pub proof_hex: String,
}

impl SetStep {
    /// Checks the step against the set `chain` pins now, and pins the new set.
    pub fn apply(&self, chain: &TrustedChain) -> Result<(), VerifyError> {
        let proof = hex::decode(&self.proof_hex).map_err(|e| VerifyError::Malformed(format!("proof_hex: {e}")))?;
        chain.advance(&self.header, &self.commit, self.validators.clone(), &proof)
    }
}

/// A state record (or its absence) at a height, with what proves it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StateProof {
    pub key: String,
    pub header: BlockHeader,
    pub commit: Commit,
    /// `None` when the proof shows there is no such record.
    pub value_hex: Option<String>,
    pub proof_hex: String,
}

/// A block's header, certificate and transaction ids.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BlockProof {
    pub header: BlockHeader,
    pub commit: Commit,
    pub tx_ids: Vec<Hash>,
}

/// A committed transaction: the node's `/v1/txs/{id}` answer (its bytes, receipt and Merkle
/// paths) and its block.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TxProof {
    pub id: Hash,
    pub answer: Value,
    pub block: BlockProof,
}

/// Proofs that can be checked again without a node (see the module description).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ProofBundle {
    pub chain_id: String,
    /// Steps for the transactions' chain, in order.
    pub history_steps: Vec<SetStep>,
    /// Transactions, in rising height.
    pub txs: Vec<TxProof>,
    /// Steps for the states' chain, in order.
    pub latest_steps: Vec<SetStep>,
    pub states: Vec<StateProof>,
}

/// A state value proven by a bundle.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProvenState {
    pub value: Option<Vec<u8>>,
    pub height: u64,
    pub block_time_ms: u64,
}

/// What a bundle proves, once checked.
#[derive(Debug, Clone, Default)]
pub struct CheckedBundle {
    pub states: BTreeMap<String, ProvenState>,
    pub txs: BTreeMap<Hash, ProvenTx>,
}

/// Offline checks are of old answers: no header is too old for them.
const NO_AGE_LIMIT: Duration = Duration::from_secs(u64::MAX / 2_000);

fn state_checked(s: &StateProof, chain: &TrustedChain) -> Result<ProvenState, VerifyError> {
    if s.header.chain_id != chain.chain_id() {
        return Err(VerifyError::WrongChain { expected: chain.chain_id().into(), got: s.header.chain_id.clone() });
    }
    let value = s
        .value_hex
        .as_deref()
        .map(hex::decode)
        .transpose()
        .map_err(|e| VerifyError::Malformed(format!("value_hex of {}: {e}", s.key)))?;
    let proof =
        hex::decode(&s.proof_hex).map_err(|e| VerifyError::Malformed(format!("proof_hex of {}: {e}", s.key)))?;
    let answer = StateAnswer { header: s.header.clone(), commit: s.commit.clone(), value, proof };
    check_certified(s.key.as_bytes(), &answer, chain).map_err(|e| match e {
        VerifyError::Proof(why) => VerifyError::Proof(format!("{}: {why}", s.key)),
        other => other,
    })?;
    Ok(ProvenState { value: answer.value, height: s.header.height, block_time_ms: s.header.time_ms })
}

impl ProofBundle {
    /// Checks every proof against the chain `chain_id` whose genesis set is `genesis` (from
    /// the genesis file the checker trusts, never from the bundle): the validator-set steps,
    /// each certificate, each Merkle path, each transaction's signature.
    pub fn check(&self, chain_id: &str, genesis: &[Validator]) -> Result<CheckedBundle, ClientError> {
        if self.chain_id != chain_id {
            return Err(VerifyError::WrongChain { expected: chain_id.into(), got: self.chain_id.clone() }.into());
        }
        let mut checked = CheckedBundle::default();
        let history = TrustedChain::new(chain_id, genesis.to_vec(), NO_AGE_LIMIT);
        let mut steps = self.history_steps.iter().peekable();
        for t in &self.txs {
            // The steps up to this block's height, then the block.
            while let Some(step) = steps.next_if(|s| s.header.height < t.block.header.height) {
                step.apply(&history)?;
            }
            let block = check_block(&t.block, &history)?;
            checked.txs.insert(t.id, check_inclusion(&t.id, &t.answer, &block)?);
        }
        for step in steps {
            step.apply(&history)?;
        }
        let latest = TrustedChain::new(chain_id, genesis.to_vec(), NO_AGE_LIMIT);
        let mut steps = self.latest_steps.iter().peekable();
        for s in &self.states {
            while let Some(step) = steps.next_if(|st| st.header.height < s.header.height) {
                step.apply(&latest)?;
            }
            checked.states.insert(s.key.clone(), state_checked(s, &latest)?);
        }
        Ok(checked)
    }
}

/// Reads from a node, checks each answer as it comes against chains pinned from the
/// genesis, and keeps the answers in a [`ProofBundle`].
pub struct BundleBuilder<'a> {
    client: &'a Client,
    history: TrustedChain,
    latest: TrustedChain,
    bundle: ProofBundle,
}

impl<'a> BundleBuilder<'a> {
    pub fn new(client: &'a Client, chain_id: &str, genesis: &[Validator]) -> Self {
        BundleBuilder {
            client,
            history: TrustedChain::new(chain_id, genesis.to_vec(), NO_AGE_LIMIT),
            latest: TrustedChain::new(chain_id, genesis.to_vec(), NO_AGE_LIMIT),
            bundle: ProofBundle { chain_id: chain_id.into(), ..ProofBundle::default() },
        }
    }

    /// Transactions proven into their blocks, read in rising height; call once, before any
    /// state is read past them.
    pub async fn txs(&mut self, ids: &[Hash]) -> Result<Vec<ProvenTx>, ClientError> {
        let mut answers = Vec::new();
        for id in ids {
            let answer = self.client.tx(id).await?;
            let height = answer["inclusion"]["height"]
                .as_u64()
                .ok_or_else(|| VerifyError::Malformed(format!("transaction {id}: no inclusion height")))?;
            answers.push((height, *id, answer));
        }
        answers.sort_by_key(|(h, id, _)| (*h, *id));
        answers.dedup_by_key(|(_, id, _)| *id);
        let mut proven = Vec::new();
        for (height, id, answer) in answers {
            if self.bundle.txs.last().is_some_and(|t| t.block.header.height > height) {
                return Err(VerifyError::Malformed("transactions are read in rising height".into()).into());
            }
            let block = self.client.block_proof(height).await?;
            if self.history.needs_follow(&block.header) {
                self.client.follow_recording(&self.history, height, &mut self.bundle.history_steps).await?;
            }
            let checked = check_block(&block, &self.history)?;
            proven.push(check_inclusion(&id, &answer, &checked)?);
            self.bundle.txs.push(TxProof { id, answer, block });
        }
        Ok(proven)
    }

    /// A state key's value (or its proven absence) at the node's latest height.
    pub async fn state(&mut self, key: &str) -> Result<Option<Vec<u8>>, ClientError> {
        let v = self.client.get(&format!("/v1/state?key={}", percent_encode(key))).await?;
        let answer = decode_answer(&v)?;
        if self.latest.needs_follow(&answer.header) {
            self.client.follow_recording(&self.latest, answer.header.height, &mut self.bundle.latest_steps).await?;
        }
        let proof = StateProof {
            key: key.into(),
            header: answer.header,
            commit: answer.commit,
            value_hex: answer.value.as_ref().map(hex::encode),
            proof_hex: hex::encode(&answer.proof),
        };
        let state = state_checked(&proof, &self.latest)?;
        self.bundle.states.push(proof);
        Ok(state.value)
    }

    pub fn finish(self) -> ProofBundle {
        self.bundle
    }
}
