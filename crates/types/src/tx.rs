use borsh::{BorshDeserialize, BorshSerialize};
use serde::Serialize;

use crate::hash::{sha256, Hash};
use crate::keys::{Address, PublicKey, Signature};

/// Domain separator prefixed to the signing bytes, so a transaction signature can never be
/// mistaken for a signature over anything else (a vote, a credential, another protocol).
pub const TX_DOMAIN: &[u8] = b"dojang/tx/v1\n";

/// The largest encoded transaction a node accepts.
pub const MAX_TX_BYTES: usize = 64 * 1024;

/// What the sender signs. The message is opaque to the ledger: the named module decodes it.
#[derive(Clone, Debug, PartialEq, Eq, BorshSerialize, BorshDeserialize, Serialize)]
pub struct TxBody {
    /// Which chain this is for; a transaction for a test chain is void on production.
    pub chain_id: String,
    /// The signing key; the sender's address is derived from it.
    pub sender: PublicKey,
    /// Any number the sender has not used in a still-valid transaction: together with the rest
    /// of the body it makes the transaction id unique, so the same message can be sent twice.
    pub nonce: u64,
    /// Unix time in milliseconds after which the transaction may no longer be included.
    pub expires_at_ms: u64,
    /// The module that handles the message (`governance`, ...).
    pub module: String,
    /// The module's message, as JSON bytes.
    #[serde(with = "json_bytes")]
    pub msg: Vec<u8>,
}

/// A transaction with its signature over [`TxBody::signing_bytes`].
#[derive(Clone, Debug, PartialEq, Eq, BorshSerialize, BorshDeserialize, Serialize)]
pub struct SignedTx {
    pub body: TxBody,
    pub signature: Signature,
}

/// A module's message type: the module it is for and how it serializes. Each module crate
/// implements it for its message enum, so clients build transactions from typed messages
/// (the SDK's `TxBuilder::message`, `Client::send`) and never hand-write a message's JSON.
pub trait ModuleMessage: Serialize {
    /// The module's routing name.
    const MODULE: &'static str;
}

/// Why a transaction was refused before it reached a block.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TxError {
    #[error("transaction is not a valid encoding: {0}")]
    Malformed(String),
    #[error("transaction is {0} bytes; the limit is {MAX_TX_BYTES}")]
    TooLarge(usize),
    #[error("transaction is for chain '{got}', this node runs '{expected}'")]
    WrongChain { expected: String, got: String },
    #[error("transaction expired at {expires_at_ms} ms; now is {now_ms} ms: sign a new one")]
    Expired { expires_at_ms: u64, now_ms: u64 },
    #[error("transaction expiry is {ahead_ms} ms ahead; the most allowed is {max_ms} ms")]
    ExpiryTooFar { ahead_ms: u64, max_ms: u64 },
    #[error("signature does not match the sender key and the signing bytes")]
    BadSignature,
    #[error("signature algorithm does not match the sender key algorithm")]
    SignatureKindMismatch,
    #[error("transaction {0} was already committed; a replay is never applied twice")]
    Replay(Hash),
    #[error("unknown module '{0}'")]
    UnknownModule(String),
    #[error("the message is not valid for module '{module}': {reason}; nothing was recorded")]
    InvalidMessage { module: String, reason: String },
    #[error("the sender may not send this '{module}' message: it needs {needed}")]
    NotPermitted { module: String, needed: String },
    #[error("{what} is not active on this chain: {detail}")]
    NotActive { what: String, detail: String },
}

impl TxBody {
    /// The exact bytes the sender signs: `TX_DOMAIN || borsh(body)` (see docs/transactions.md).
    pub fn signing_bytes(&self) -> Vec<u8> {
        let mut out = TX_DOMAIN.to_vec();
        out.extend_from_slice(&crate::encode(self));
        out
    }

    /// The transaction id: SHA-256 of the signing bytes. It deliberately excludes the
    /// signature, because ECDSA signatures are malleable and a replay must not slip through
    /// with a re-encoded signature.
    pub fn id(&self) -> Hash {
        sha256(&[&self.signing_bytes()])
    }

    pub fn sender_address(&self) -> Address {
        self.sender.address()
    }
}

impl SignedTx {
    pub fn id(&self) -> Hash {
        self.body.id()
    }

    /// Decodes a transaction received from outside, with size and shape checks.
    pub fn decode(bytes: &[u8]) -> Result<Self, TxError> {
        if bytes.len() > MAX_TX_BYTES {
            return Err(TxError::TooLarge(bytes.len()));
        }
        let tx: SignedTx = crate::decode(bytes).map_err(|e| TxError::Malformed(e.0))?;
        let kinds_match = matches!(
            (&tx.body.sender, &tx.signature),
            (PublicKey::Ed25519(_), Signature::Ed25519(_)) | (PublicKey::P256(_), Signature::P256(_))
        );
        if !kinds_match {
            return Err(TxError::SignatureKindMismatch);
        }
        if tx.body.module.is_empty() || tx.body.module.len() > 64 {
            return Err(TxError::Malformed("module name must be 1 to 64 bytes".into()));
        }
        Ok(tx)
    }

    /// Checks that do not need the chain's state: chain id and expiry window.
    pub fn check_envelope(&self, chain_id: &str, now_ms: u64, max_ahead_ms: u64) -> Result<(), TxError> {
        if self.body.chain_id != chain_id {
            return Err(TxError::WrongChain { expected: chain_id.to_string(), got: self.body.chain_id.clone() });
        }
        if self.body.expires_at_ms <= now_ms {
            return Err(TxError::Expired { expires_at_ms: self.body.expires_at_ms, now_ms });
        }
        let ahead_ms = self.body.expires_at_ms - now_ms;
        if ahead_ms > max_ahead_ms {
            return Err(TxError::ExpiryTooFar { ahead_ms, max_ms: max_ahead_ms });
        }
        Ok(())
    }
}

mod json_bytes {
    use serde::Serializer;

    /// Module messages are JSON; show them as JSON when a transaction is rendered.
    pub fn serialize<S: Serializer>(bytes: &[u8], s: S) -> Result<S::Ok, S::Error> {
        match serde_json::from_slice::<serde_json::Value>(bytes) {
            Ok(v) => serde::Serialize::serialize(&v, s),
            Err(_) => s.serialize_str(&hex::encode(bytes)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn body() -> TxBody {
        TxBody {
            chain_id: "dojang-dev".into(),
            sender: PublicKey::Ed25519([1; 32]),
            nonce: 7,
            expires_at_ms: 1_000,
            module: "governance".into(),
            msg: b"{}".to_vec(),
        }
    }

    #[test]
    fn decode_rejects_truncated_trailing_and_mismatched() {
        let tx = SignedTx { body: body(), signature: Signature::Ed25519([0; 64]) };
        let bytes = crate::encode(&tx);
        assert_eq!(SignedTx::decode(&bytes).unwrap(), tx);
        assert!(matches!(SignedTx::decode(&bytes[..bytes.len() - 1]), Err(TxError::Malformed(_))));
        let mut longer = bytes.clone();
        longer.push(0);
        assert!(matches!(SignedTx::decode(&longer), Err(TxError::Malformed(_))));
        assert!(matches!(SignedTx::decode(&[]), Err(TxError::Malformed(_))));
        assert!(matches!(SignedTx::decode(&vec![0u8; MAX_TX_BYTES + 1]), Err(TxError::TooLarge(_))));
        let wrong = SignedTx { body: body(), signature: Signature::P256([0; 64]) };
        assert_eq!(SignedTx::decode(&crate::encode(&wrong)), Err(TxError::SignatureKindMismatch));
    }

    #[test]
    fn envelope_checks_chain_and_expiry() {
        let tx = SignedTx { body: body(), signature: Signature::Ed25519([0; 64]) };
        assert!(tx.check_envelope("dojang-dev", 500, 10_000).is_ok());
        assert!(matches!(tx.check_envelope("other", 500, 10_000), Err(TxError::WrongChain { .. })));
        assert!(matches!(tx.check_envelope("dojang-dev", 1_000, 10_000), Err(TxError::Expired { .. })));
        assert!(matches!(tx.check_envelope("dojang-dev", 0, 100), Err(TxError::ExpiryTooFar { .. })));
    }

    #[test]
    fn id_ignores_signature_encoding() {
        let a = SignedTx { body: body(), signature: Signature::Ed25519([0; 64]) };
        let b = SignedTx { body: body(), signature: Signature::Ed25519([9; 64]) };
        assert_eq!(a.id(), b.id());
    }
}
