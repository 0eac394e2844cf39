//! Ed25519 signing of consensus messages. Every message is signed over a domain-separated
//! encoding that includes the chain id, so a vote on a test chain can never count on another.

use async_trait::async_trait;
use borsh::{BorshDeserialize, BorshSerialize};
use dojang_types::{encode, VoteSignBytes};
use ed25519_dalek::Signer as _;
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

/// Signs as this node's validator key.
pub struct DojangSigner {
    key: ed25519_dalek::SigningKey,
    chain_id: String,
}

impl DojangSigner {
    pub fn new(key: ed25519_dalek::SigningKey, chain_id: String) -> Self {
        DojangSigner { key, chain_id }
    }

    pub fn public_key(&self) -> PublicKey {
        PublicKey(self.key.verifying_key().to_bytes())
    }

    /// Signs arbitrary domain-separated bytes (proposal parts).
    pub fn sign_raw(&self, msg: &[u8]) -> Signature {
        Signature(self.key.sign(msg).to_bytes())
    }
}

#[async_trait]
impl Signer<DojangContext> for DojangSigner {
    async fn sign_vote(&self, vote: Vote) -> Result<SignedMessage<DojangContext, Vote>, SigningError> {
        let sig = self.sign_raw(&vote_sign_bytes(&self.chain_id, &vote));
        Ok(SignedMessage::new(vote, sig))
    }

    async fn sign_proposal(&self, proposal: Proposal) -> Result<SignedMessage<DojangContext, Proposal>, SigningError> {
        let sig = self.sign_raw(&proposal_sign_bytes(&self.chain_id, &proposal));
        Ok(SignedMessage::new(proposal, sig))
    }

    async fn sign_vote_extension(
        &self,
        scope: VoteExtensionScope<DojangContext>,
        extension: Vec<u8>,
    ) -> Result<SignedMessage<DojangContext, Vec<u8>>, SigningError> {
        let sig = self.sign_raw(&extension_sign_bytes(&self.chain_id, &scope, &extension));
        Ok(SignedMessage::new(extension, sig))
    }

    async fn sign_validator_proof(
        &self,
        public_key: Vec<u8>,
        peer_id: Vec<u8>,
    ) -> Result<ValidatorProof<DojangContext>, SigningError> {
        let sig = self.sign_raw(&ValidatorProof::<DojangContext>::signing_bytes(&public_key, &peer_id));
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
