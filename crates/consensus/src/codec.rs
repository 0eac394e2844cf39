//! Wire and WAL encoding of every consensus message: borsh, with the engine's own borsh
//! support where it has it and explicit wire structs where it does not (sync responses and
//! validator proofs).

use borsh::{BorshDeserialize, BorshSerialize};
use bytes::Bytes;
use malachitebft_codec::{Codec, HasEncodedLen};
use malachitebft_core_consensus::{LivenessMsg, ProposedValue, SignedConsensusMsg};
use malachitebft_core_types::{
    ExtendedCommitCertificate, ExtendedCommitSignature, PolkaCertificate, Round, SignedExtension, ValidatorProof,
};
use malachitebft_engine::util::streaming::StreamMessage;
use malachitebft_sync::{RawDecidedValue, Request, Response, Status, ValueResponse};

use crate::context::{BlockId, DojangContext, Height, ProposalPart, ValidatorAddress};
use crate::signing::Signature;

/// A message could not be encoded or decoded.
#[derive(Debug, thiserror::Error)]
#[error("consensus codec: {0}")]
pub struct CodecError(String);

/// The codec for the network, the write-ahead log and value sync.
#[derive(Clone, Copy, Debug, Default)]
pub struct DojangCodec;

fn enc<T: BorshSerialize>(t: &T) -> Result<Bytes, CodecError> {
    borsh::to_vec(t).map(Bytes::from).map_err(|e| CodecError(e.to_string()))
}

fn dec<T: BorshDeserialize>(b: &[u8]) -> Result<T, CodecError> {
    borsh::from_slice(b).map_err(|e| CodecError(e.to_string()))
}

macro_rules! borsh_codec {
    ($($t:ty),* $(,)?) => {$(
        impl Codec<$t> for DojangCodec {
            type Error = CodecError;

            fn decode(&self, bytes: Bytes) -> Result<$t, CodecError> {
                dec(&bytes)
            }

            fn encode(&self, msg: &$t) -> Result<Bytes, CodecError> {
                enc(msg)
            }
        }
    )*};
}

borsh_codec!(
    ProposalPart,
    SignedConsensusMsg<DojangContext>,
    LivenessMsg<DojangContext>,
    StreamMessage<ProposalPart>,
    ProposedValue<DojangContext>,
    PolkaCertificate<DojangContext>,
    Status<DojangContext>,
    Request<DojangContext>,
);

#[derive(BorshSerialize, BorshDeserialize)]
struct WireProof {
    public_key: Vec<u8>,
    peer_id: Vec<u8>,
    signature: Signature,
}

impl Codec<ValidatorProof<DojangContext>> for DojangCodec {
    type Error = CodecError;

    fn decode(&self, bytes: Bytes) -> Result<ValidatorProof<DojangContext>, CodecError> {
        let w: WireProof = dec(&bytes)?;
        Ok(ValidatorProof::new(w.public_key, w.peer_id, w.signature))
    }

    fn encode(&self, p: &ValidatorProof<DojangContext>) -> Result<Bytes, CodecError> {
        enc(&WireProof { public_key: p.public_key.clone(), peer_id: p.peer_id.clone(), signature: p.signature })
    }
}

#[derive(BorshSerialize, BorshDeserialize)]
struct WireSig {
    address: ValidatorAddress,
    signature: Signature,
    extension: Option<SignedExtension<DojangContext>>,
}

#[derive(BorshSerialize, BorshDeserialize)]
struct WireDecided {
    value_bytes: Vec<u8>,
    height: Height,
    round: Round,
    value_id: BlockId,
    signatures: Vec<WireSig>,
}

#[derive(BorshSerialize, BorshDeserialize)]
struct WireResponse {
    start_height: Height,
    values: Vec<WireDecided>,
}

fn to_wire(r: &Response<DojangContext>) -> WireResponse {
    let Response::ValueResponse(v) = r;
    WireResponse {
        start_height: v.start_height,
        values: v
            .values
            .iter()
            .map(|d| WireDecided {
                value_bytes: d.value_bytes.to_vec(),
                height: d.certificate.height,
                round: d.certificate.round,
                value_id: d.certificate.value_id,
                signatures: d
                    .certificate
                    .commit_signatures
                    .iter()
                    .map(|s| WireSig { address: s.address, signature: s.signature, extension: s.extension.clone() })
                    .collect(),
            })
            .collect(),
    }
}

impl Codec<Response<DojangContext>> for DojangCodec {
    type Error = CodecError;

    fn decode(&self, bytes: Bytes) -> Result<Response<DojangContext>, CodecError> {
        let w: WireResponse = dec(&bytes)?;
        let values = w
            .values
            .into_iter()
            .map(|d| RawDecidedValue {
                value_bytes: Bytes::from(d.value_bytes),
                certificate: ExtendedCommitCertificate {
                    height: d.height,
                    round: d.round,
                    value_id: d.value_id,
                    commit_signatures: d
                        .signatures
                        .into_iter()
                        .map(|s| ExtendedCommitSignature {
                            address: s.address,
                            signature: s.signature,
                            extension: s.extension,
                        })
                        .collect(),
                },
            })
            .collect();
        Ok(Response::ValueResponse(ValueResponse { start_height: w.start_height, values }))
    }

    fn encode(&self, r: &Response<DojangContext>) -> Result<Bytes, CodecError> {
        enc(&to_wire(r))
    }
}

impl HasEncodedLen<Response<DojangContext>> for DojangCodec {
    fn encoded_len(&self, r: &Response<DojangContext>) -> Result<usize, CodecError> {
        borsh::object_length(&to_wire(r)).map_err(|e| CodecError(e.to_string()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::context::{BlockValue, Proposal};
    use dojang_types::Hash;
    use malachitebft_core_types::SignedMessage;

    #[test]
    fn messages_round_trip_and_garbage_is_an_error() {
        let c = DojangCodec;
        let p = Proposal {
            height: Height(3),
            round: Round::new(1),
            value: BlockValue(Hash([7; 32])),
            pol_round: Round::Nil,
            proposer: ValidatorAddress(Default::default()),
        };
        let msg = SignedConsensusMsg::<DojangContext>::Proposal(SignedMessage::new(p, Signature([1; 64])));
        let bytes = c.encode(&msg).unwrap();
        let back: SignedConsensusMsg<DojangContext> = c.decode(bytes.clone()).unwrap();
        assert_eq!(back, msg);
        let garbage: Result<SignedConsensusMsg<DojangContext>, _> = c.decode(Bytes::from_static(b"\x07junk"));
        assert!(garbage.is_err());
        let truncated: Result<SignedConsensusMsg<DojangContext>, _> = c.decode(bytes.slice(..bytes.len() - 1));
        assert!(truncated.is_err());
        let r: Result<Response<DojangContext>, _> = c.decode(Bytes::from_static(b"\xff\xff"));
        assert!(r.is_err());
    }
}
