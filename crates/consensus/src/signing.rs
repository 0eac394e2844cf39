//! Ed25519 signing of consensus messages. Every message is signed over a domain-separated
//! encoding that includes the chain id, so a vote on a test chain can never count on another.
//! The validator key is reached through [`dojang_crypto::Signer`], so it may sit in a key file
//! or in an HSM; a signing failure (an HSM gone) fails that one message, never the node.

use std::sync::Arc;

use async_trait::async_trait;
use borsh::{BorshDeserialize, BorshSerialize};
use dojang_crypto::SignerError;
use dojang_types::{encode, VoteSignBytes};
use malachitebft_core_types as mc;
use malachitebft_signing::{Error as SigningError, Signer, VerificationResult, Verifier};
use mc::{Round, SignedMessage, ValidatorProof, VoteExtensionScope, VoteType};

use crate::context::{DojangContext, Proposal, Vote};

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, BorshSerialize, BorshDeserialize)]
pub struct Signature(pub [u8; 64]);

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, BorshSerialize, BorshDeserialize)]
pub struct PublicKey(pub [u8; 32]);

#[derive(Clone)]
pub struct PrivateKey(pub ed25519_dalek::SigningKey);

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Ed25519Scheme;

impl mc::SigningScheme for Ed25519Scheme {
    type DecodingError = String;
    type Signature = Signature;
    type PublicKey = PublicKey;
    type PrivateKey = PrivateKey;

    fn decode_signature(bytes: &[u8]) -> Result<Signature, String> {
        bytes.try_into().map(Signature).map_err(|_| format!("signature must be 64 bytes, got {}", bytes.len()))
    }

    fn encode_signature(signature: &Signature) -> Vec<u8> {
        signature.0.to_vec()
    }

    fn decode_public_key(bytes: &[u8]) -> Result<PublicKey, String> {
        bytes.try_into().map(PublicKey).map_err(|_| format!("public key must be 32 bytes, got {}", bytes.len()))
    }

    fn encode_public_key(public_key: &PublicKey) -> Vec<u8> {
        public_key.0.to_vec()
    }
}

fn round_u32(r: Round) -> u32 {
    r.as_u32().unwrap_or(u32::MAX)
}

/// The bytes of a vote signature: shared with SDKs through [`VoteSignBytes`].
pub fn vote_sign_bytes(chain_id: &str, vote: &Vote) -> Vec<u8> {
    VoteSignBytes {
        chain_id: chain_id.to_string(),
        height: vote.height.0,
        round: round_u32(vote.round),
        vote_type: match vote.vote_type {
            VoteType::Prevote => 0,
            VoteType::Precommit => 1,
        },
        block_hash: match &vote.value {
            mc::NilOrVal::Nil => None,
            mc::NilOrVal::Val(id) => Some(id.0),
        },
        validator: vote.validator.0,
    }
    .to_bytes()
}

fn proposal_sign_bytes(chain_id: &str, p: &Proposal) -> Vec<u8> {
    let body = (chain_id.to_string(), p.height.0, round_u32(p.round), p.value.0, p.pol_round.as_i64(), p.proposer.0);
    [b"dojang/proposal/v1\n".as_slice(), &encode(&body)].concat()
}

fn extension_sign_bytes(chain_id: &str, scope: &VoteExtensionScope<DojangContext>, ext: &[u8]) -> Vec<u8> {
    let body = (
        chain_id.to_string(),
        scope.height.0,
        round_u32(scope.round),
        scope.value_id.0,
        scope.validator_address.0,
        ext.to_vec(),
    );
    [b"dojang/extension/v1\n".as_slice(), &encode(&body)].concat()
}

/// Verifies an Ed25519 signature under ZIP-215, the one rule every validator applies to
/// transactions and consensus messages alike; malformed keys are invalid.
pub fn verify_ed25519(pk: &PublicKey, msg: &[u8], sig: &Signature) -> bool {
    dojang_crypto::verify_ed25519(&pk.0, msg, &sig.0)
}

/// Signs as this node's validator key, wherever that key is kept.
#[derive(Clone)]
pub struct DojangSigner {
    signer: Arc<dyn dojang_crypto::Signer>,
    public_key: PublicKey,
    chain_id: String,
}

impl DojangSigner {
    /// A signer over a key held in memory (tests, tools).
    pub fn new(key: ed25519_dalek::SigningKey, chain_id: String) -> Self {
        let public_key = PublicKey(key.verifying_key().to_bytes());
        DojangSigner { signer: Arc::new(dojang_crypto::Keypair::Ed25519(key)), public_key, chain_id }
    }

    /// A signer over any [`dojang_crypto::Signer`]; consensus keys must be Ed25519.
    pub fn from_signer(signer: Arc<dyn dojang_crypto::Signer>, chain_id: String) -> Result<Self, SignerError> {
        match signer.public_key() {
            dojang_types::PublicKey::Ed25519(pk) => Ok(DojangSigner { signer, public_key: PublicKey(pk), chain_id }),
            other => Err(SignerError::Unsupported(format!(
                "a validator key must be ed25519, this one is {}",
                other.algorithm()
            ))),
        }
    }

    pub fn public_key(&self) -> PublicKey {
        self.public_key
    }

    /// Signs arbitrary domain-separated bytes (proposal parts).
    pub fn sign_raw(&self, msg: &[u8]) -> Result<Signature, SignerError> {
        match self.signer.sign(msg)? {
            dojang_types::Signature::Ed25519(sig) => Ok(Signature(sig)),
            dojang_types::Signature::P256(_) => {
                Err(SignerError::Unsupported("the validator key signed with p256, not ed25519".into()))
            }
        }
    }

    fn sign_consensus(&self, msg: &[u8]) -> Result<Signature, SigningError> {
        self.sign_raw(msg).map_err(|e| {
            tracing::error!(error = %e, "cannot sign a consensus message with the validator key");
            SigningError::from_source(e)
        })
    }
}

#[async_trait]
impl Signer<DojangContext> for DojangSigner {
    async fn sign_vote(&self, vote: Vote) -> Result<SignedMessage<DojangContext, Vote>, SigningError> {
        let sig = self.sign_consensus(&vote_sign_bytes(&self.chain_id, &vote))?;
        Ok(SignedMessage::new(vote, sig))
    }

    async fn sign_proposal(&self, proposal: Proposal) -> Result<SignedMessage<DojangContext, Proposal>, SigningError> {
        let sig = self.sign_consensus(&proposal_sign_bytes(&self.chain_id, &proposal))?;
        Ok(SignedMessage::new(proposal, sig))
    }

    async fn sign_vote_extension(
        &self,
        scope: VoteExtensionScope<DojangContext>,
        extension: Vec<u8>,
    ) -> Result<SignedMessage<DojangContext, Vec<u8>>, SigningError> {
        let sig = self.sign_consensus(&extension_sign_bytes(&self.chain_id, &scope, &extension))?;
        Ok(SignedMessage::new(extension, sig))
    }

    async fn sign_validator_proof(
        &self,
        public_key: Vec<u8>,
        peer_id: Vec<u8>,
    ) -> Result<ValidatorProof<DojangContext>, SigningError> {
        let sig = self.sign_consensus(&ValidatorProof::<DojangContext>::signing_bytes(&public_key, &peer_id))?;
        Ok(ValidatorProof::new(public_key, peer_id, sig))
    }
}

/// Checks other validators' signatures.
pub struct DojangVerifier {
    chain_id: String,
}

impl DojangVerifier {
    pub fn new(chain_id: String) -> Self {
        DojangVerifier { chain_id }
    }
}

#[async_trait]
impl Verifier<DojangContext> for DojangVerifier {
    async fn verify_signed_vote(
        &self,
        vote: &Vote,
        signature: &Signature,
        public_key: &PublicKey,
    ) -> Result<VerificationResult, SigningError> {
        Ok(VerificationResult::from_bool(verify_ed25519(public_key, &vote_sign_bytes(&self.chain_id, vote), signature)))
    }

    async fn verify_signed_proposal(
        &self,
        proposal: &Proposal,
        signature: &Signature,
        public_key: &PublicKey,
    ) -> Result<VerificationResult, SigningError> {
        Ok(VerificationResult::from_bool(verify_ed25519(
            public_key,
            &proposal_sign_bytes(&self.chain_id, proposal),
            signature,
        )))
    }

    async fn verify_signed_vote_extension(
        &self,
        scope: &VoteExtensionScope<DojangContext>,
        extension: &Vec<u8>,
        signature: &Signature,
        public_key: &PublicKey,
    ) -> Result<VerificationResult, SigningError> {
        Ok(VerificationResult::from_bool(verify_ed25519(
            public_key,
            &extension_sign_bytes(&self.chain_id, scope, extension),
            signature,
        )))
    }

    async fn verify_validator_proof(
        &self,
        proof: &ValidatorProof<DojangContext>,
    ) -> Result<VerificationResult, SigningError> {
        let Ok(pk) = <Ed25519Scheme as mc::SigningScheme>::decode_public_key(&proof.public_key) else {
            return Ok(VerificationResult::Invalid);
        };
        let msg = ValidatorProof::<DojangContext>::signing_bytes(&proof.public_key, &proof.peer_id);
        Ok(VerificationResult::from_bool(verify_ed25519(&pk, &msg, &proof.signature)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use dojang_crypto::{Algorithm, Keypair};

    /// A signer whose device is gone.
    struct Unplugged(dojang_types::PublicKey);

    impl dojang_crypto::Signer for Unplugged {
        fn public_key(&self) -> dojang_types::PublicKey {
            self.0.clone()
        }
        fn sign(&self, _: &[u8]) -> Result<dojang_types::Signature, SignerError> {
            Err(SignerError::Backend { backend: "test", reason: "unplugged".into() })
        }
    }

    #[tokio::test]
    async fn a_failing_signer_fails_the_message_and_a_p256_key_is_refused() {
        let pk = Keypair::generate(Algorithm::Ed25519).public_key();
        let s = DojangSigner::from_signer(Arc::new(Unplugged(pk)), "c".into()).unwrap();
        let proof = s.sign_validator_proof(vec![1; 32], vec![2; 8]).await;
        assert!(proof.is_err());
        assert!(s.sign_raw(b"x").is_err());
        let p256: Arc<dyn dojang_crypto::Signer> = Arc::new(Keypair::generate(Algorithm::P256));
        assert!(matches!(DojangSigner::from_signer(p256, "c".into()), Err(SignerError::Unsupported(_))));
    }

    #[tokio::test]
    async fn a_key_behind_the_signer_trait_signs_votes_the_verifier_accepts() {
        let k = Keypair::generate(Algorithm::Ed25519);
        let s = DojangSigner::from_signer(Arc::new(k), "c".into()).unwrap();
        let proof = s.sign_validator_proof(s.public_key().0.to_vec(), vec![2; 8]).await.unwrap();
        let v = DojangVerifier::new("c".into());
        assert!(matches!(v.verify_validator_proof(&proof).await.unwrap(), VerificationResult::Valid));
    }
}
