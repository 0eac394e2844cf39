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
use dojang_types::{merkle_root, merkle_root_from_proof, BlockHeader, Hash, ProofStep, Receipt, SignedTx};
use serde_json::Value;

use crate::bundle::BlockProof;
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

fn same_chain(header: &BlockHeader, chain: &TrustedChain) -> Result<(), VerifyError> {
    if header.chain_id != chain.chain_id() {
        return Err(VerifyError::WrongChain { expected: chain.chain_id().into(), got: header.chain_id.clone() });
    }
    Ok(())
}

/// Checks a block against the validator set `chain` pins for it: its chain, its certificate,
/// and its transaction ids against the header's `txs_root`.
pub(crate) fn check_block(block: &BlockProof, chain: &TrustedChain) -> Result<ProvenBlock, VerifyError> {
    same_chain(&block.header, chain)?;
    let validators = chain.validators_for(&block.header)?;
    verify_commit(&block.header, &block.commit, &validators)?;
    if merkle_root(&block.tx_ids.iter().map(|h| h.0).collect::<Vec<_>>()) != block.header.txs_root {
        return Err(VerifyError::Proof("the block's transaction ids do not lead to its txs_root".into()));
    }
    Ok(ProvenBlock { header: block.header.clone(), tx_ids: block.tx_ids.clone() })
}

impl Client {
    /// Block `height` as the node answers it: header, certificate and transaction ids, not
    /// checked yet ([`check_block`]).
    pub(crate) async fn block_proof(&self, height: u64) -> Result<BlockProof, ClientError> {
        let b = self.block(height).await?;
        let block = BlockProof {
            header: field(&b["block"], "header")?,
            commit: field(&b, "commit")?,
            tx_ids: field(&b, "tx_ids")?,
        };
        if block.header.height != height {
            return Err(malformed(format!("asked for block {height}, got block {}", block.header.height)));
        }
        Ok(block)
    }

    /// Block `height`, its certificate checked against the validator set `chain` follows
    /// (following it forward first when the header names another set), and its transaction
    /// ids against the header's `txs_root`.
    pub async fn block_verified(&self, height: u64, chain: &TrustedChain) -> Result<ProvenBlock, ClientError> {
        let block = self.block_proof(height).await?;
        // Never follow a set for another chain's header.
        same_chain(&block.header, chain)?;
        if chain.needs_follow(&block.header) {
            self.follow(chain, height).await?;
        }
        Ok(check_block(&block, chain)?)
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
