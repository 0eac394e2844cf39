//! Streaming a block as proposal parts and putting it back together. The proposer signs a
//! digest of all parts, so a block relayed by any peer is known to be the proposer's.

use std::collections::{BTreeMap, HashMap};

use bytes::Bytes;
use dojang_types::{encode, sha256};
use malachitebft_app::types::PeerId;
use malachitebft_core_types::Round;
use malachitebft_engine::util::streaming::{StreamContent, StreamId, StreamMessage};

use crate::context::{Height, ProposalPart, ValidatorAddress, ValidatorSet};
use crate::signing::{verify_ed25519, DojangSigner, Signature};

/// Size of one data part; well under the gossip message limit.
const CHUNK: usize = 256 * 1024;
/// Streams kept half-received at once; the oldest is dropped beyond this.
const MAX_STREAMS: usize = 64;

/// The stream header, as the proposer declared it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StreamInit {
    pub height: Height,
    pub round: Round,
    pub pol_round: Round,
    pub proposer: ValidatorAddress,
}

fn digest(chain_id: &str, init: &StreamInit, chunks: &[&[u8]]) -> Vec<u8> {
    let head =
        encode(&(chain_id.to_string(), init.height.0, init.round.as_i64(), init.pol_round.as_i64(), init.proposer.0));
    let mut parts: Vec<&[u8]> = vec![b"dojang/parts/v1\n", &head];
    parts.extend_from_slice(chunks);
    sha256(&parts).0.to_vec()
}

/// Splits an encoded block into signed stream messages.
pub fn stream_block(
    signer: &DojangSigner,
    chain_id: &str,
    init: &StreamInit,
    block: &[u8],
) -> Vec<StreamMessage<ProposalPart>> {
    let mut id = init.height.0.to_be_bytes().to_vec();
    id.extend_from_slice(&init.round.as_i64().to_be_bytes());
    let stream_id = StreamId::new(Bytes::from(id));
    let chunks: Vec<&[u8]> = block.chunks(CHUNK).collect();
    let signature = signer.sign_raw(&digest(chain_id, init, &chunks));

    let mut parts = vec![ProposalPart::Init {
        height: init.height,
        round: init.round,
        pol_round: init.pol_round,
        proposer: init.proposer,
    }];
    parts.extend(chunks.iter().map(|c| ProposalPart::Data(c.to_vec())));
    parts.push(ProposalPart::Fin { signature });

    let mut out: Vec<StreamMessage<ProposalPart>> = parts
        .into_iter()
        .enumerate()
        .map(|(i, p)| StreamMessage::new(stream_id.clone(), i as u64, StreamContent::Data(p)))
        .collect();
    out.push(StreamMessage::new(stream_id, out.len() as u64, StreamContent::Fin));
    out
}

/// Checks a complete part list and returns the header and the block bytes.
pub fn assemble(chain_id: &str, set: &ValidatorSet, parts: Vec<ProposalPart>) -> Result<(StreamInit, Vec<u8>), String> {
    let mut iter = parts.into_iter();
    let Some(ProposalPart::Init { height, round, pol_round, proposer }) = iter.next() else {
        return Err("stream does not start with an Init part".into());
    };
    let init = StreamInit { height, round, pol_round, proposer };
    let mut data = Vec::new();
    let mut sig: Option<Signature> = None;
    for p in iter {
        match (p, sig.is_some()) {
            (ProposalPart::Data(d), false) => data.push(d),
            (ProposalPart::Fin { signature }, false) => sig = Some(signature),
            _ => return Err("parts out of order (Init repeated, or data after Fin)".into()),
        }
    }
    let sig = sig.ok_or("stream has no Fin part")?;
    let validator = set
        .validators()
        .iter()
        .find(|v| v.address == proposer)
        .ok_or_else(|| format!("proposer {proposer} is not a validator"))?;
    let chunks: Vec<&[u8]> = data.iter().map(|d| d.as_slice()).collect();
    if !verify_ed25519(&validator.public_key, &digest(chain_id, &init, &chunks), &sig) {
        return Err(format!("proposal parts are not signed by proposer {proposer}"));
    }
    Ok((init, data.concat()))
}

#[derive(Default)]
struct Buffer {
    parts: BTreeMap<u64, ProposalPart>,
    end: Option<u64>,
    bytes: usize,
    arrival: u64,
}

/// Collects stream messages per (publisher, stream) until a stream is complete.
pub struct Assembler {
    streams: HashMap<(PeerId, StreamId), Buffer>,
    max_bytes: usize,
    counter: u64,
}

impl Assembler {
    pub fn new(max_bytes: usize) -> Self {
        Assembler { streams: HashMap::new(), max_bytes, counter: 0 }
    }

    /// Adds a message; returns the parts in order when the stream is complete. Oversized or
    /// inconsistent streams are dropped.
    pub fn push(
        &mut self,
        from: PeerId,
        msg: StreamMessage<ProposalPart>,
    ) -> Result<Option<Vec<ProposalPart>>, String> {
        let key = (from, msg.stream_id.clone());
        if !self.streams.contains_key(&key) && self.streams.len() >= MAX_STREAMS {
            if let Some(oldest) = self.streams.iter().min_by_key(|(_, b)| b.arrival).map(|(k, _)| k.clone()) {
                self.streams.remove(&oldest);
            }
        }
        self.counter += 1;
        let arrival = self.counter;
        let buf = self.streams.entry(key.clone()).or_insert_with(|| Buffer { arrival, ..Default::default() });
        match msg.content {
            StreamContent::Fin => buf.end = Some(msg.sequence),
            StreamContent::Data(part) => {
                if let ProposalPart::Data(d) = &part {
                    buf.bytes += d.len();
                }
                buf.parts.insert(msg.sequence, part);
            }
        }
        if buf.bytes > self.max_bytes {
            self.streams.remove(&key);
            return Err(format!("proposal stream exceeds {} bytes", self.max_bytes));
        }
        let complete = buf
            .end
            .is_some_and(|end| buf.parts.len() as u64 == end && buf.parts.keys().next_back() == Some(&(end - 1)));
        if complete {
            let buf = self.streams.remove(&key).expect("buffer exists");
            return Ok(Some(buf.parts.into_values().collect()));
        }
        Ok(None)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::context::Validator;

    #[test]
    fn stream_round_trips_out_of_order_and_rejects_forgery() {
        let key = ed25519_dalek::SigningKey::from_bytes(&[3; 32]);
        let signer = DojangSigner::new(key, "c".into());
        let pk = signer.public_key();
        let addr = ValidatorAddress(dojang_types::PublicKey::Ed25519(pk.0).address());
        let set = ValidatorSet::new(vec![Validator { address: addr, public_key: pk, power: 1 }]);
        let init = StreamInit { height: Height(1), round: Round::new(0), pol_round: Round::Nil, proposer: addr };
        let block: Vec<u8> = (0..600_000u32).map(|i| i as u8).collect();
        let mut msgs = stream_block(&signer, "c", &init, &block);
        msgs.reverse();
        let peer = PeerId::from_bytes(&libp2p_peer_bytes()).unwrap();
        let mut asm = Assembler::new(10_000_000);
        let mut done = None;
        for m in msgs.clone() {
            if let Some(parts) = asm.push(peer, m).unwrap() {
                done = Some(parts);
            }
        }
        let (got_init, bytes) = assemble("c", &set, done.unwrap()).unwrap();
        assert_eq!(got_init, init);
        assert_eq!(bytes, block);

        // Change one data chunk: the signature no longer matches.
        let mut parts: Vec<ProposalPart> = msgs.into_iter().rev().filter_map(|m| m.content.into_data()).collect();
        if let ProposalPart::Data(d) = &mut parts[1] {
            d[0] ^= 1;
        }
        assert!(assemble("c", &set, parts.clone()).is_err());
        assert!(assemble("other-chain", &set, parts).is_err());
        let mut small = Assembler::new(10);
        let m =
            StreamMessage::new(StreamId::new(Bytes::new()), 1, StreamContent::Data(ProposalPart::Data(vec![0; 11])));
        assert!(small.push(peer, m).is_err());
    }

    fn libp2p_peer_bytes() -> Vec<u8> {
        // An identity multihash of a 32-byte key (0x00 = identity code, 0x24 = 36 bytes).
        let mut v = vec![0x00, 0x24, 0x08, 0x01, 0x12, 0x20];
        v.extend_from_slice(&[9u8; 32]);
        v
    }
}
