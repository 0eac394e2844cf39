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
) -> Result<Vec<StreamMessage<ProposalPart>>, dojang_crypto::SignerError> {
    let mut id = init.height.0.to_be_bytes().to_vec();
    id.extend_from_slice(&init.round.as_i64().to_be_bytes());
    let stream_id = StreamId::new(Bytes::from(id));
    let chunks: Vec<&[u8]> = block.chunks(CHUNK).collect();
    let signature = signer.sign_raw(&digest(chain_id, init, &chunks))?;

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
    Ok(out)
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

/// Half-received streams one publisher may have open at once: an honest proposer streams one
/// block per round, so a couple of rounds' worth is plenty.
const MAX_STREAMS_PER_PEER: usize = 4;

/// Why a stream was dropped.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum StreamError {
    #[error("proposal stream exceeds {max} bytes")]
    TooManyBytes { max: usize },
    #[error("proposal stream exceeds {max} parts")]
    TooManyParts { max: u64 },
    #[error("part sequence {sequence} is beyond the {max} parts a stream may have")]
    SequenceOutOfRange { sequence: u64, max: u64 },
    #[error("stream ends at {end} but already holds part {sequence}")]
    EndBeforePart { end: u64, sequence: u64 },
    #[error("stream ends twice (at {first} and at {second})")]
    EndsTwice { first: u64, second: u64 },
    #[error("stream ends before its first part")]
    Empty,
    #[error("stream refused: {0}")]
    Refused(String),
}

#[derive(Default)]
struct Buffer {
    parts: BTreeMap<u64, ProposalPart>,
    end: Option<u64>,
    bytes: usize,
    arrival: u64,
    /// Whether the stream's Init part passed the host's check.
    admitted: bool,
}

fn part_bytes(part: &ProposalPart) -> usize {
    match part {
        ProposalPart::Data(d) => d.len(),
        _ => 0,
    }
}

/// Collects stream messages per (publisher, stream) until a stream is complete, within fixed
/// bounds: bytes and parts per stream, streams per publisher, and streams and bytes in all.
/// Whatever a peer sends, the assembler holds at most `4 × max_bytes` and never panics.
pub struct Assembler {
    streams: HashMap<(PeerId, StreamId), Buffer>,
    max_bytes: usize,
    max_parts: u64,
    max_total_bytes: usize,
    counter: u64,
}

impl Assembler {
    /// `max_bytes` bounds one stream (a block's encoding and its framing).
    pub fn new(max_bytes: usize) -> Self {
        Assembler {
            streams: HashMap::new(),
            max_bytes,
            // Messages 0 ..= c + 2 of a block of c chunks: Init, the chunks, the Fin part and
            // the stream's end.
            max_parts: (max_bytes.div_ceil(CHUNK) + 3) as u64,
            max_total_bytes: max_bytes.saturating_mul(4),
            counter: 0,
        }
    }

    /// Bytes held in half-received streams.
    pub fn buffered_bytes(&self) -> usize {
        self.streams.values().map(|b| b.bytes).sum()
    }

    /// Half-received streams held.
    #[cfg(test)]
    fn open_streams(&self) -> usize {
        self.streams.len()
    }

    /// Drops one stream: one whose Init has not been admitted before any admitted one, then the
    /// oldest, so junk from any peer cannot push out the proposer's block.
    fn evict_oldest(&mut self, filter: impl Fn(&(PeerId, StreamId)) -> bool) {
        let oldest = self
            .streams
            .iter()
            .filter(|(k, _)| filter(k))
            .min_by_key(|(_, b)| (b.admitted, b.arrival))
            .map(|(k, _)| k.clone());
        if let Some(k) = oldest {
            self.streams.remove(&k);
        }
    }

    /// Adds a message; returns the parts in order when the stream is complete. `admit` judges
    /// the stream's Init part (is it for a height this node will decide, from the proposer of
    /// its height and round?); a refused or inconsistent stream is dropped whole.
    pub fn push(
        &mut self,
        from: PeerId,
        msg: StreamMessage<ProposalPart>,
        admit: impl Fn(&StreamInit) -> Result<(), String>,
    ) -> Result<Option<Vec<ProposalPart>>, StreamError> {
        let key = (from, msg.stream_id.clone());
        let result = self.add(&key, msg, admit);
        if !matches!(result, Ok(None) | Ok(Some(_))) {
            self.streams.remove(&key);
        }
        result
    }

    fn add(
        &mut self,
        key: &(PeerId, StreamId),
        msg: StreamMessage<ProposalPart>,
        admit: impl Fn(&StreamInit) -> Result<(), String>,
    ) -> Result<Option<Vec<ProposalPart>>, StreamError> {
        if msg.sequence >= self.max_parts {
            return Err(StreamError::SequenceOutOfRange { sequence: msg.sequence, max: self.max_parts });
        }
        if !self.streams.contains_key(key) {
            if self.streams.keys().filter(|(p, _)| *p == key.0).count() >= MAX_STREAMS_PER_PEER {
                let peer = key.0;
                self.evict_oldest(|(p, _)| *p == peer);
            }
            if self.streams.len() >= MAX_STREAMS {
                self.evict_oldest(|_| true);
            }
        }
        self.counter += 1;
        let arrival = self.counter;
        let incoming = match &msg.content {
            StreamContent::Data(part) => part_bytes(part),
            StreamContent::Fin => 0,
        };
        while self.buffered_bytes() + incoming > self.max_total_bytes && !self.streams.is_empty() {
            self.evict_oldest(|k| k != key);
            if self.streams.len() == 1 && self.streams.contains_key(key) {
                break;
            }
        }
        let buf = self.streams.entry(key.clone()).or_insert_with(|| Buffer { arrival, ..Default::default() });
        match msg.content {
            StreamContent::Fin => {
                if let Some(first) = buf.end {
                    return Err(StreamError::EndsTwice { first, second: msg.sequence });
                }
                if msg.sequence == 0 {
                    return Err(StreamError::Empty);
                }
                if let Some(&last) = buf.parts.keys().next_back() {
                    if last >= msg.sequence {
                        return Err(StreamError::EndBeforePart { end: msg.sequence, sequence: last });
                    }
                }
                buf.end = Some(msg.sequence);
            }
            StreamContent::Data(part) => {
                if let Some(end) = buf.end {
                    if msg.sequence >= end {
                        return Err(StreamError::EndBeforePart { end, sequence: msg.sequence });
                    }
                }
                if let ProposalPart::Init { height, round, pol_round, proposer } = &part {
                    let init =
                        StreamInit { height: *height, round: *round, pol_round: *pol_round, proposer: *proposer };
                    admit(&init).map_err(StreamError::Refused)?;
                    buf.admitted = true;
                }
                let added = part_bytes(&part);
                if let Some(old) = buf.parts.insert(msg.sequence, part) {
                    buf.bytes -= part_bytes(&old);
                }
                buf.bytes += added;
            }
        }
        if buf.bytes > self.max_bytes {
            return Err(StreamError::TooManyBytes { max: self.max_bytes });
        }
        if buf.parts.len() as u64 > self.max_parts {
            return Err(StreamError::TooManyParts { max: self.max_parts });
        }
        let complete = buf.admitted && buf.end.is_some_and(|end| buf.parts.len() as u64 == end);
        if complete {
            let buf = self.streams.remove(key).expect("the buffer was just used");
            return Ok(Some(buf.parts.into_values().collect()));
        }
        Ok(None)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::context::Validator;

    /// A one-validator set, its signer, and the stream header of its first proposal.
    fn proposer() -> (DojangSigner, ValidatorSet, StreamInit) {
        let key = ed25519_dalek::SigningKey::from_bytes(&[3; 32]);
        let signer = DojangSigner::new(key, "c".into());
        let pk = signer.public_key();
        let addr = ValidatorAddress(dojang_types::PublicKey::Ed25519(pk.0).address());
        let set = ValidatorSet::new(vec![Validator { address: addr, public_key: pk, power: 1 }]);
        let init = StreamInit { height: Height(1), round: Round::new(0), pol_round: Round::Nil, proposer: addr };
        (signer, set, init)
    }

    #[test]
    fn stream_round_trips_out_of_order_and_rejects_forgery() {
        let (signer, set, init) = proposer();
        let block: Vec<u8> = (0..600_000u32).map(|i| i as u8).collect();
        let mut msgs = stream_block(&signer, "c", &init, &block).unwrap();
        msgs.reverse();
        let peer = PeerId::from_bytes(&libp2p_peer_bytes()).unwrap();
        let mut asm = Assembler::new(10_000_000);
        let mut done = None;
        for m in msgs.clone() {
            if let Some(parts) = asm.push(peer, m, |_| Ok(())).unwrap() {
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
        assert!(small.push(peer, m, |_| Ok(())).is_err());
    }

    fn peer(n: u8) -> PeerId {
        let mut v = vec![0x00, 0x24, 0x08, 0x01, 0x12, 0x20];
        v.extend_from_slice(&[n; 32]);
        PeerId::from_bytes(&v).unwrap()
    }

    fn data(stream: u64, sequence: u64, bytes: usize) -> StreamMessage<ProposalPart> {
        StreamMessage::new(
            StreamId::new(Bytes::from(stream.to_be_bytes().to_vec())),
            sequence,
            StreamContent::Data(ProposalPart::Data(vec![7; bytes])),
        )
    }

    fn fin(stream: u64, sequence: u64) -> StreamMessage<ProposalPart> {
        StreamMessage::new(StreamId::new(Bytes::from(stream.to_be_bytes().to_vec())), sequence, StreamContent::Fin)
    }

    fn init(stream: u64, proposer: u8) -> StreamMessage<ProposalPart> {
        StreamMessage::new(
            StreamId::new(Bytes::from(stream.to_be_bytes().to_vec())),
            0,
            StreamContent::Data(ProposalPart::Init {
                height: Height(1),
                round: Round::new(0),
                pol_round: Round::Nil,
                proposer: ValidatorAddress(dojang_types::Address([proposer; 20])),
            }),
        )
    }

    const MAX: usize = 4 * CHUNK;

    #[test]
    fn hostile_ends_are_refused_without_panicking() {
        let mut asm = Assembler::new(MAX);
        let ok = |_: &StreamInit| Ok(());
        // A Fin at sequence 0 (the old code computed `end - 1` and underflowed).
        assert_eq!(asm.push(peer(1), fin(1, 0), ok), Err(StreamError::Empty));
        // A Fin before parts it already holds, a second Fin, data after the end.
        asm.push(peer(1), data(2, 3, 10), ok).unwrap();
        assert_eq!(asm.push(peer(1), fin(2, 2), ok), Err(StreamError::EndBeforePart { end: 2, sequence: 3 }));
        asm.push(peer(1), fin(3, 2), ok).unwrap();
        assert_eq!(asm.push(peer(1), fin(3, 5), ok), Err(StreamError::EndsTwice { first: 2, second: 5 }));
        asm.push(peer(1), fin(4, 2), ok).unwrap();
        assert_eq!(asm.push(peer(1), data(4, 2, 1), ok), Err(StreamError::EndBeforePart { end: 2, sequence: 2 }));
        // A sequence number far beyond any real block.
        let max_parts = Assembler::new(MAX).max_parts;
        assert_eq!(
            asm.push(peer(1), data(5, u64::MAX, 1), ok),
            Err(StreamError::SequenceOutOfRange { sequence: u64::MAX, max: max_parts })
        );
        assert_eq!(
            asm.push(peer(1), fin(5, u64::MAX), ok).unwrap_err(),
            StreamError::SequenceOutOfRange { sequence: u64::MAX, max: max_parts }
        );
        // A stream that ends without an Init part is never handed over.
        let mut asm = Assembler::new(MAX);
        asm.push(peer(1), data(6, 1, 10), ok).unwrap();
        assert_eq!(asm.push(peer(1), data(6, 0, 10), ok), Ok(None));
        assert_eq!(asm.push(peer(1), fin(6, 2), ok), Ok(None));
    }

    #[test]
    fn streams_from_a_non_proposer_are_dropped_at_their_init() {
        let mut asm = Assembler::new(MAX);
        let only_9 = |i: &StreamInit| if i.proposer.0 .0[0] == 9 { Ok(()) } else { Err("not the proposer".into()) };
        asm.push(peer(1), data(1, 1, 1000), only_9).unwrap();
        assert_eq!(asm.buffered_bytes(), 1000);
        assert_eq!(asm.push(peer(1), init(1, 3), only_9), Err(StreamError::Refused("not the proposer".into())));
        assert_eq!(asm.open_streams(), 0, "the refused stream's parts are gone");
        assert_eq!(asm.buffered_bytes(), 0);
        asm.push(peer(1), init(2, 9), only_9).unwrap();
        assert_eq!(asm.open_streams(), 1);
    }

    #[test]
    fn memory_stays_bounded_whatever_peers_send() {
        let ok = |_: &StreamInit| Ok(());
        let mut asm = Assembler::new(MAX);
        // Tiny parts: the part count is capped even when the bytes are not reached.
        let max_parts = Assembler::new(MAX).max_parts;
        let mut refused = None;
        for seq in 0..max_parts {
            if let Err(e) = asm.push(peer(1), data(1, seq, 0), ok) {
                refused = Some(e);
            }
        }
        assert_eq!(refused, None, "{max_parts} parts fit");
        assert_eq!(asm.open_streams(), 1);
        // Duplicate sequence numbers replace, they do not add.
        for _ in 0..100 {
            asm.push(peer(1), data(2, 1, CHUNK), ok).unwrap();
        }
        assert_eq!(asm.buffered_bytes(), CHUNK);
        // One stream's bytes are capped.
        let mut asm = Assembler::new(MAX);
        let mut result = Ok(None);
        for seq in 1..6 {
            result = asm.push(peer(1), data(1, seq, CHUNK), ok);
        }
        assert_eq!(result, Err(StreamError::TooManyBytes { max: MAX }));
        assert_eq!(asm.open_streams(), 0);
        // One peer opening many streams holds at most MAX_STREAMS_PER_PEER of them.
        for stream in 0..100 {
            asm.push(peer(2), data(stream, 1, 100), ok).unwrap();
        }
        assert_eq!(asm.open_streams(), MAX_STREAMS_PER_PEER);
        // Many peers: at most MAX_STREAMS streams and four blocks' worth of bytes in all.
        let mut rng_state = 0x2545_f491_4f6c_dd1du64;
        let mut next = || {
            rng_state ^= rng_state << 13;
            rng_state ^= rng_state >> 7;
            rng_state ^= rng_state << 17;
            rng_state
        };
        for _ in 0..20_000 {
            let p = peer((next() % 200) as u8);
            let stream = next() % 8;
            let msg = match next() % 10 {
                0 => fin(stream, next() % 8),
                1 => init(stream, (next() % 4) as u8),
                _ => data(stream, next() % (max_parts + 2), (next() % (CHUNK as u64 + 1)) as usize),
            };
            let _ = asm.push(p, msg, ok);
            assert!(asm.open_streams() <= MAX_STREAMS);
            assert!(asm.buffered_bytes() <= 4 * MAX + CHUNK, "{} bytes buffered", asm.buffered_bytes());
        }
    }

    #[test]
    fn the_largest_block_streams_through_the_bounds_the_host_uses() {
        // The host's assembler takes the block limit plus framing; a block of exactly the
        // limit (and one a little over, from the header and length prefixes) must fit.
        let max_block_bytes = 8 * 1024 * 1024;
        let (signer, set, init) = proposer();
        for size in [max_block_bytes, max_block_bytes + 300, 1, CHUNK, CHUNK + 1] {
            let block: Vec<u8> = (0..size as u32).map(|i| i as u8).collect();
            let mut asm = Assembler::new(max_block_bytes + 64 * 1024);
            let mut done = None;
            for m in stream_block(&signer, "c", &init, &block).unwrap() {
                if let Some(parts) = asm.push(peer(1), m, |_| Ok(())).unwrap() {
                    done = Some(parts);
                }
            }
            let (_, bytes) = assemble("c", &set, done.expect("the stream completes")).unwrap();
            assert_eq!(bytes.len(), size);
        }
    }

    #[test]
    fn junk_before_an_init_cannot_push_out_an_admitted_stream() {
        let ok = |_: &StreamInit| Ok(());
        let mut asm = Assembler::new(MAX);
        // The proposer's stream, half received.
        asm.push(peer(9), init(77, 9), ok).unwrap();
        asm.push(peer(9), data(77, 1, CHUNK), ok).unwrap();
        // Streams of junk without an Init from many peers, far beyond every global bound.
        for p in 0..100u8 {
            for stream in 0..4 {
                let _ = asm.push(peer(p), data(stream, 1, 2 * CHUNK), ok);
            }
        }
        assert!(asm.open_streams() <= MAX_STREAMS);
        asm.push(peer(9), data(77, 2, 10), ok).unwrap();
        let parts = asm.push(peer(9), fin(77, 3), ok).unwrap().expect("the proposer's stream survived");
        assert_eq!(parts.len(), 3);
    }

    fn libp2p_peer_bytes() -> Vec<u8> {
        // An identity multihash of a 32-byte key (0x00 = identity code, 0x24 = 36 bytes).
        let mut v = vec![0x00, 0x24, 0x08, 0x01, 0x12, 0x20];
        v.extend_from_slice(&[9u8; 32]);
        v
    }
}
