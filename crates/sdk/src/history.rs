//! Reading history with proofs: a past block whose certificate the followed validator set
//! signed, and a committed transaction proven into such a block with its receipt. A verifier
//! that must know *where* and *when* something happened (a ballot's place among the others,
//! its block's time) takes both from certified headers, not from what a node says.
//!
//! History is old by nature, so a block here is not held to the chain's maximum age or
//! minimum height. [`TrustedChain`] follows the validator set forward only: read blocks in
//! rising height, with a chain of their own pinned from the genesis, when the set may have
//! changed since.

use dojang_crypto::verify_commit;
use dojang_types::{merkle_root, merkle_root_from_proof, BlockHeader, Commit, Hash, ProofStep, Receipt, SignedTx};
use serde_json::Value;

use crate::client::{Client, ClientError};
use crate::light::TrustedChain;
use crate::verify::{field, VerifyError};

/// A block whose header's certificate and transaction ids were checked.
#[derive(Debug, Clone)]
pub struct ProvenBlock {
    pub header: BlockHeader,
    /// The block's transaction ids in order, proven against the header's `txs_root`.
    pub tx_ids: Vec<Hash>,
}

/// A committed transaction proven into a [`ProvenBlock`]: its exact bytes (which hash to its
/// id and carry its sender's signature) and its receipt.
#[derive(Debug, Clone)]
pub struct ProvenTx {
    pub tx: SignedTx,
    pub receipt: Receipt,
    pub height: u64,
    /// Its position in the block.
    pub index: u32,
    /// The block's time (Unix ms), from the certified header.
    pub block_time_ms: u64,
}

fn malformed(what: String) -> ClientError {
    VerifyError::Malformed(what).into()
}

fn proof_failed(what: &str) -> ClientError {
    VerifyError::Proof(what.to_string()).into()
}

/// Checks a `/v1/txs/{id}` answer against a block already proven: the bytes hash to the id,
/// the signature is the sender's, the receipt is this transaction's at this height, and both
/// Merkle paths lead to the header's roots.
pub fn check_inclusion(id: &Hash, answer: &Value, block: &ProvenBlock) -> Result<ProvenTx, ClientError> {
    let bytes =
        hex::decode(answer["tx_hex"].as_str().unwrap_or_default()).map_err(|e| malformed(format!("tx_hex: {e}")))?;
    let tx = SignedTx::decode(&bytes).map_err(|e| malformed(format!("the transaction does not decode: {e}")))?;
    if tx.id() != *id {
        return Err(proof_failed("the transaction's bytes do not hash to its id"));
    }
    if !dojang_crypto::verify_txs(&[&tx])[0] {
        return Err(proof_failed("the transaction's signature is not its sender's"));
    }
    let receipt: Receipt = field(answer, "receipt")?;
    if receipt.tx_id != *id || receipt.height != block.header.height {
        return Err(proof_failed("the receipt is for another transaction or height"));
    }
    let inclusion = &answer["inclusion"];
    let tx_path: Vec<ProofStep> = field(inclusion, "tx_proof")?;
    let receipt_path: Vec<ProofStep> = field(inclusion, "receipt_proof")?;
    if tx_path.len() > 64 || receipt_path.len() > 64 {
        return Err(malformed("a Merkle path of more than 64 steps".into()));
    }
    if merkle_root_from_proof(&id.0, &tx_path) != block.header.txs_root {
        return Err(proof_failed("the id's path does not lead to the block's txs_root"));
    }
    if merkle_root_from_proof(&receipt.commitment_bytes(), &receipt_path) != block.header.receipts_root {
        return Err(proof_failed("the receipt's path does not lead to the block's receipts_root"));
    }
    if block.tx_ids.get(receipt.index as usize) != Some(id) {
        return Err(proof_failed("the receipt's position is not the transaction's place in the block"));
    }
    Ok(ProvenTx { tx, index: receipt.index, height: block.header.height, block_time_ms: block.header.time_ms, receipt })
}

impl Client {
    /// Block `height`, its certificate checked against the validator set `chain` follows
    /// (following it forward first when the header names another set), and its transaction
    /// ids against the header's `txs_root`.
    pub async fn block_verified(&self, height: u64, chain: &TrustedChain) -> Result<ProvenBlock, ClientError> {
        let b = self.block(height).await?;
        let header: BlockHeader = field(&b["block"], "header")?;
        let commit: Commit = field(&b, "commit")?;
        let tx_ids: Vec<Hash> = field(&b, "tx_ids")?;
        if header.height != height {
            return Err(malformed(format!("asked for block {height}, got block {}", header.height)));
        }
        if header.chain_id != chain.chain_id() {
            return Err(VerifyError::WrongChain { expected: chain.chain_id().into(), got: header.chain_id }.into());
        }
        if chain.needs_follow(&header) {
            self.follow(chain, height).await?;
        }
        let validators = chain.validators_for(&header)?;
        verify_commit(&header, &commit, &validators).map_err(VerifyError::from)?;
        if merkle_root(&tx_ids.iter().map(|h| h.0).collect::<Vec<_>>()) != header.txs_root {
            return Err(proof_failed("the block's transaction ids do not lead to its txs_root"));
        }
        Ok(ProvenBlock { header, tx_ids })
    }

    /// Transaction `id` and its receipt, proven into `block` (read with
    /// [`Client::block_verified`] at the height the node names for it). Fails if the node
    /// places it in another block.
    pub async fn tx_in(&self, id: &Hash, block: &ProvenBlock) -> Result<ProvenTx, ClientError> {
        let answer = self.tx(id).await?;
        if answer["inclusion"]["height"].as_u64() != Some(block.header.height) {
            return Err(proof_failed("the node places the transaction in another block"));
        }
        check_inclusion(id, &answer, block)
    }
}

#[cfg(test)]
#[path = "history_tests.rs"]
mod tests;
