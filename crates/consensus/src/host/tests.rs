//! The host fed hostile proposal parts through the engine's own message, against a ledger that
//! only counts what it is asked: nothing panics, memory stays within the stated bounds, and only
//! the round's proposer gets a block executed, once.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use bytes::Bytes;
use dojang_ledger::{BlockApp, LedgerError};
use dojang_types::{encode, Address, Block, BlockHeader, Commit, Evidence, Hash, Validator};
use malachitebft_app::types::PeerId;
use malachitebft_app_channel::app::types::core::{LinearTimeouts, Round, Validity};
use malachitebft_app_channel::AppMsg;
use malachitebft_engine::util::streaming::{StreamContent, StreamId, StreamMessage};
use tokio::sync::{mpsc, oneshot};

use super::{Host, HostConfig};
use crate::admission::{FUTURE_HEIGHTS, MAX_FUTURE_BLOCKS};
use crate::context::{Height, ProposalPart, ValidatorAddress, ValidatorSet};
use crate::parts::{stream_block, StreamInit};
use crate::signing::DojangSigner;

const NEXT: u64 = 5;
const PARENT_TIME: u64 = 1_000_000;
const MAX_BLOCK_BYTES: usize = 1024 * 1024;

/// A ledger at height `NEXT - 1` that validates everything and counts how often it is asked.
struct CountingLedger {
    validators: Arc<Vec<Validator>>,
    validated: AtomicUsize,
    validated_heights: Mutex<Vec<u64>>,
}

impl BlockApp for CountingLedger {
    fn next_height(&self) -> u64 {
        NEXT
    }
    fn has_waiting_txs(&self) -> bool {
        false
    }
    fn head_time_ms(&self) -> u64 {
        PARENT_TIME
    }
    fn propose(&self, _: u64, _: Address, _: Duration) -> Result<Block, LedgerError> {
        Err(LedgerError::InvalidBlock("this test never proposes".into()))
    }
    fn validate(&self, block: &Block) -> Result<(), LedgerError> {
        self.validated.fetch_add(1, Ordering::SeqCst);
        self.validated_heights.lock().unwrap().push(block.header.height);
        Ok(())
    }
    fn block(&self, _: u64, _: &Hash) -> Result<Option<Block>, LedgerError> {
        Ok(None)
    }
    fn commit(&self, _: u64, _: &Hash, _: Commit) -> Result<(), LedgerError> {
        Ok(())
    }
    fn decided(&self, _: u64) -> Result<Option<(Vec<u8>, Commit)>, LedgerError> {
        Ok(None)
    }
    fn validator_set(&self) -> Arc<Vec<Validator>> {
        self.validators.clone()
    }
    fn record_evidence(&self, _: &[Evidence]) -> Result<(), LedgerError> {
        Ok(())
    }
}

struct Fixture {
    host: Host<CountingLedger>,
    ledger: Arc<CountingLedger>,
    signers: Vec<DojangSigner>,
    set: ValidatorSet,
    network: mpsc::Sender<malachitebft_app_channel::NetworkMsg<crate::context::DojangContext>>,
    _network_rx: mpsc::Receiver<malachitebft_app_channel::NetworkMsg<crate::context::DojangContext>>,
}

fn fixture() -> Fixture {
    let signers: Vec<DojangSigner> =
        (1..=4u8).map(|n| DojangSigner::new(ed25519_dalek::SigningKey::from_bytes(&[n; 32]), "c".into())).collect();
    let validators: Vec<Validator> = signers
        .iter()
        .enumerate()
        .map(|(i, s)| {
            let public_key = dojang_types::PublicKey::Ed25519(s.public_key().0);
            Validator { address: public_key.address(), public_key, power: 1, name: format!("v{i}") }
        })
        .collect();
    let set = ValidatorSet::from_ledger(&validators);
    let ledger = Arc::new(CountingLedger {
        validators: Arc::new(validators),
        validated: AtomicUsize::new(0),
        validated_heights: Mutex::new(Vec::new()),
    });
    let me = DojangSigner::new(ed25519_dalek::SigningKey::from_bytes(&[1; 32]), "c".into());
    let config = HostConfig {
        chain_id: "c".into(),
        address: set.validators()[0].address,
        timeouts: LinearTimeouts::default(),
        idle_interval: Duration::from_secs(1),
        max_block_bytes: MAX_BLOCK_BYTES,
        max_clock_drift: Duration::from_secs(3),
    };
    let host = Host::new(ledger.clone(), Arc::new(me), config);
    let (network, network_rx) = mpsc::channel(1024);
    Fixture { host, ledger, signers, set, network, _network_rx: network_rx }
}

fn peer(n: u8) -> PeerId {
    let mut v = vec![0x00, 0x24, 0x08, 0x01, 0x12, 0x20];
    v.extend_from_slice(&[n; 32]);
    PeerId::from_bytes(&v).unwrap()
}

impl Fixture {
    fn signer_of(&self, address: ValidatorAddress) -> &DojangSigner {
        self.signers
            .iter()
            .find(|s| ValidatorAddress(dojang_types::PublicKey::Ed25519(s.public_key().0).address()) == address)
            .expect("a member's signer")
    }

    /// A signed stream of a block for `height`/`round` by `proposer`, stamped `time_ms`.
    fn stream(
        &self,
        height: u64,
        round: u32,
        proposer: ValidatorAddress,
        time_ms: u64,
    ) -> Vec<StreamMessage<ProposalPart>> {
        let block = Block {
            header: BlockHeader {
                chain_id: "c".into(),
                height,
                time_ms,
                prev_hash: Hash([0; 32]),
                txs_root: Block::txs_root_of(&[]),
                receipts_root: Hash([0; 32]),
                state_root: Hash([0; 32]),
                validators_hash: Hash([0; 32]),
                proposer: proposer.0,
            },
            txs: vec![],
        };
        let init = StreamInit { height: Height(height), round: Round::new(round), pol_round: Round::Nil, proposer };
        stream_block(self.signer_of(proposer), "c", &init, &encode(&block)).unwrap()
    }

    /// Hands one part to the host as the engine would; the host's answer.
    async fn deliver(
        &mut self,
        from: PeerId,
        part: StreamMessage<ProposalPart>,
    ) -> Option<malachitebft_app_channel::app::types::ProposedValue<crate::context::DojangContext>> {
        let (reply, answer) = oneshot::channel();
        let msg = AppMsg::ReceivedProposalPart { from, published_by: Some(from), part, reply };
        self.host.handle(msg, &self.network).await.expect("the host handles every part");
        answer.await.expect("the host always answers")
    }

    fn proposer(&self, height: u64, round: u32) -> ValidatorAddress {
        self.set.proposer(Height(height), Round::new(round)).address
    }
}

#[tokio::test]
async fn hostile_parts_never_panic_and_stay_within_bounds() {
    let mut f = fixture();
    let mut state = 0x9e37_79b9_7f4a_7c15u64;
    let mut next = move || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state
    };
    let members: Vec<ValidatorAddress> = f.set.validators().iter().map(|v| v.address).collect();
    let (mut peak, mut delivered) = (0, 0);
    for _ in 0..20_000 {
        let stream = StreamId::new(Bytes::from((next() % 16).to_be_bytes().to_vec()));
        let sequence = match next() % 4 {
            0 => u64::MAX - next() % 3,
            _ => next() % 8,
        };
        let content = match next() % 8 {
            0 => StreamContent::Fin,
            1 | 2 => StreamContent::Data(ProposalPart::Init {
                height: Height(NEXT - 1 + next() % 6),
                round: Round::new((next() % 5) as u32),
                pol_round: Round::Nil,
                proposer: members[(next() % 4) as usize],
            }),
            3 => StreamContent::Data(ProposalPart::Fin { signature: crate::signing::Signature([7; 64]) }),
            _ => StreamContent::Data(ProposalPart::Data(vec![0xab; (next() % 300_000) as usize])),
        };
        let answer = f.deliver(peer((next() % 50) as u8), StreamMessage::new(stream, sequence, content)).await;
        assert!(answer.is_none(), "unsigned junk never completes a proposal");
        let buffered = f.host.assembler.buffered_bytes();
        assert!(buffered <= 4 * (MAX_BLOCK_BYTES + 64 * 1024));
        peak = peak.max(buffered);
        delivered += 1;
        assert!(f.host.future.len() <= MAX_FUTURE_BLOCKS);
    }
    assert_eq!(delivered, 20_000);
    assert!(
        peak > 2 * MAX_BLOCK_BYTES,
        "the junk filled the buffers ({peak} bytes at most): the bounds were exercised"
    );
    assert_eq!(f.ledger.validated.load(Ordering::SeqCst), 0, "nothing unsigned was executed");

    // Signed blocks for heights ahead are buffered, within the window only.
    for ahead in 1..=4u64 {
        let proposer = f.proposer(NEXT + ahead, 0);
        for part in f.stream(NEXT + ahead, 0, proposer, PARENT_TIME + 1) {
            f.deliver(peer(99), part).await;
        }
    }
    assert_eq!(f.host.future.len(), FUTURE_HEIGHTS as usize, "only heights within the window are kept");
    assert!(f.host.future.iter().all(|(i, _)| i.height.0 <= NEXT + FUTURE_HEIGHTS));
}

#[tokio::test]
async fn only_the_rounds_proposer_gets_one_execution_per_block() {
    let mut f = fixture();
    let now = dojang_types::wall_clock_ms();
    let right = f.proposer(NEXT, 0);
    let wrong = f.set.validators().iter().map(|v| v.address).find(|a| *a != right).unwrap();

    // Validly signed, by a member who is not this round's proposer: refused before execution.
    for part in f.stream(NEXT, 0, wrong, now) {
        assert!(f.deliver(peer(2), part).await.is_none());
    }
    assert_eq!(f.ledger.validated.load(Ordering::SeqCst), 0);

    // The proposer's block: executed once and valid; streamed again, the verdict stands.
    let mut answers = Vec::new();
    for _ in 0..3 {
        for part in f.stream(NEXT, 0, right, now) {
            if let Some(v) = f.deliver(peer(3), part).await {
                answers.push(v);
            }
        }
    }
    assert_eq!(answers.len(), 3);
    assert!(answers.iter().all(|v| v.validity == Validity::Valid && v.value == answers[0].value));
    assert_eq!(f.ledger.validated.load(Ordering::SeqCst), 1, "one execution for one block");

    // A far-future time from the right proposer: answered, invalid, never executed.
    let round_1 = f.proposer(NEXT, 1);
    let mut verdict = None;
    for part in f.stream(NEXT, 1, round_1, now + 3_600_000) {
        verdict = verdict.or(f.deliver(peer(4), part).await);
    }
    assert_eq!(verdict.expect("the stream completes").validity, Validity::Invalid);
    assert_eq!(f.ledger.validated.load(Ordering::SeqCst), 1);

    // Rounds far ahead of ours are not taken at all.
    let round_9 = f.proposer(NEXT, 9);
    for part in f.stream(NEXT, 9, round_9, now) {
        assert!(f.deliver(peer(5), part).await.is_none());
    }
    assert_eq!(f.ledger.validated.load(Ordering::SeqCst), 1);

    // An equivocating proposer gets at most MAX_VALUES_PER_ROUND executions in its round.
    let round_2 = f.proposer(NEXT, 2);
    for n in 0..6u64 {
        for part in f.stream(NEXT, 2, round_2, now + n) {
            f.deliver(peer(6), part).await;
        }
    }
    assert_eq!(f.ledger.validated.load(Ordering::SeqCst), 1 + crate::admission::MAX_VALUES_PER_ROUND);
    assert!(f.ledger.validated_heights.lock().unwrap().iter().all(|h| *h == NEXT));
}
