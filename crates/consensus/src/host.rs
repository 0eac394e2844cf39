//! The host loop: answers the engine's requests by calling the ledger. Heavy work (executing
//! a block) runs on blocking threads so the async runtime stays responsive.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use dojang_ledger::{BlockApp, LedgerError};
use dojang_types::{decode, encode, wall_clock_ms, Block, Commit, CommitSignature};
use eyre::eyre;
use malachitebft_app_channel::app::engine::host::{HeightParams, Next, SyncedValueOutcome};
use malachitebft_app_channel::app::types::core::{CommitCertificate, LinearTimeouts, Round, Validity};
use malachitebft_app_channel::app::types::{LocallyProposedValue, ProposedValue};
use malachitebft_app_channel::{AppMsg, Channels, NetworkMsg};
use malachitebft_engine::util::streaming::StreamMessage;
use tokio::sync::mpsc;
use tracing::{debug, error, info, warn};

use crate::admission::{
    admit_stream, check_proposal_time, decided_values, FUTURE_HEIGHTS, MAX_FUTURE_BLOCKS, MAX_VALUES_PER_HEIGHT,
    MAX_VALUES_PER_ROUND,
};
use crate::context::{BlockId, BlockValue, DojangContext, Height, ProposalPart, ValidatorAddress, ValidatorSet};
use crate::parts::{assemble, stream_block, Assembler, StreamInit};
use crate::signing::DojangSigner;

type Ctx = DojangContext;

/// Fixed settings of the host.
pub struct HostConfig {
    pub chain_id: String,
    pub address: ValidatorAddress,
    pub timeouts: LinearTimeouts,
    /// How long to wait for transactions before proposing an empty block.
    pub idle_interval: Duration,
    pub max_block_bytes: usize,
    /// How far ahead of this validator's clock a proposal's time may be and still get a
    /// prevote.
    pub max_clock_drift: Duration,
}

/// Everything the host keeps between engine messages.
pub struct Host<L: BlockApp> {
    pub ledger: Arc<L>,
    pub chain_id: String,
    pub address: ValidatorAddress,
    pub signer: Arc<DojangSigner>,
    /// The set deciding the height in progress; refreshed from the ledger at each boundary.
    pub validators: ValidatorSet,
    pub timeouts: LinearTimeouts,
    /// How long to wait for transactions before proposing an empty block.
    pub idle_interval: Duration,
    pub assembler: Assembler,
    max_clock_drift: Duration,
    max_block_bytes: usize,
    /// The height and round the engine last started.
    current: (Height, Round),
    built: HashMap<(Height, Round), LocallyProposedValue<Ctx>>,
    streams: HashMap<BlockId, Vec<StreamMessage<ProposalPart>>>,
    undecided: HashMap<(Height, Round), Vec<ProposedValue<Ctx>>>,
    future: Vec<(StreamInit, Block)>,
    commit_ok: bool,
    /// Highest height for which a proposal has been seen from the network.
    seen_height: Arc<AtomicU64>,
}

impl<L: BlockApp> Host<L> {
    pub fn new(ledger: Arc<L>, signer: Arc<DojangSigner>, config: HostConfig) -> Self {
        let validators = ValidatorSet::from_ledger(&ledger.validator_set());
        Host {
            ledger,
            chain_id: config.chain_id,
            address: config.address,
            signer,
            validators,
            timeouts: config.timeouts,
            idle_interval: config.idle_interval,
            assembler: Assembler::new(config.max_block_bytes + 64 * 1024),
            max_clock_drift: config.max_clock_drift,
            max_block_bytes: config.max_block_bytes,
            current: (Height(0), Round::new(0)),
            built: HashMap::new(),
            streams: HashMap::new(),
            undecided: HashMap::new(),
            future: Vec::new(),
            commit_ok: true,
            seen_height: Arc::new(AtomicU64::new(0)),
        }
    }

    /// Parameters of the next height, with the validator set the ledger says decides it.
    fn params(&mut self) -> HeightParams<Ctx> {
        self.refresh_validators();
        HeightParams::new(self.validators.clone(), self.timeouts, None)
    }

    /// Takes the set that decides the next height from the ledger. Called as soon as a block is
    /// committed, so proposals for the next height are judged against the right set.
    fn refresh_validators(&mut self) {
        let set = ValidatorSet::from_ledger(&self.ledger.validator_set());
        if set != self.validators {
            info!(validators = set.validators().len(), "validator set changed at this height boundary");
            self.validators = set;
        }
    }

    /// Runs until the engine stops.
    pub async fn run(mut self, channels: &mut Channels<Ctx>) -> eyre::Result<()> {
        while let Some(msg) = channels.consensus.recv().await {
            if let Err(e) = self.handle(msg, &channels.network).await {
                error!(error = %e, "consensus host failed to handle a message");
            }
        }
        Err(eyre!("the consensus engine stopped"))
    }

    async fn handle(&mut self, msg: AppMsg<Ctx>, network: &mpsc::Sender<NetworkMsg<Ctx>>) -> eyre::Result<()> {
        match msg {
            AppMsg::ConsensusReady { reply } => {
                let start = Height(self.ledger.next_height());
                let params = self.params();
                info!(%start, validators = self.validators.validators().len(), "consensus ready");
                let _ = reply.send((start, params));
            }
            AppMsg::StartedRound { height, round, proposer, role, reply_value } => {
                debug!(%height, %round, %proposer, ?role, "started round");
                self.current = (height, round);
                self.promote_future(height, round).await;
                let values = self.undecided.get(&(height, round)).cloned().unwrap_or_default();
                let _ = reply_value.send(values);
            }
            AppMsg::GetValue { height, round, timeout, reply } => {
                let value = match self.built.get(&(height, round)) {
                    Some(v) => v.clone(),
                    // A quarter of the deadline for building: the other validators must receive
                    // and re-execute the block within their own propose timeout, on machines
                    // that may be busier than this one.
                    None => self.build(height, round, timeout / 4, network).await?,
                };
                let _ = reply.send(value);
            }
            AppMsg::ReceivedProposalPart { from, published_by, part, reply } => {
                let publisher = published_by.unwrap_or(from);
                let next = Height(self.ledger.next_height());
                let round = if self.current.0 == next { self.current.1 } else { Round::new(0) };
                let validators = &self.validators;
                let admit = |init: &StreamInit| admit_stream(validators, next, round, init);
                let value = match self.assembler.push(publisher, part, admit) {
                    Ok(Some(parts)) => self.received_block(parts).await,
                    Ok(None) => None,
                    Err(e) => {
                        warn!(%from, error = %e, "dropping proposal stream");
                        None
                    }
                };
                let _ = reply.send(value);
            }
            AppMsg::Decided { certificate, extensions: _, reply } => {
                self.commit_ok = self.commit(&certificate).await;
                if self.commit_ok {
                    self.refresh_validators();
                }
                let _ = reply.send(());
            }
            AppMsg::Finalized { certificate, extensions: _, evidence, reply } => {
                if !evidence.is_empty() {
                    let records = crate::evidence::convert(&evidence, certificate.height.0);
                    warn!(height = %certificate.height, records = records.len(), "equivocation detected");
                    let ledger = self.ledger.clone();
                    match tokio::task::spawn_blocking(move || ledger.record_evidence(&records)).await {
                        Ok(Ok(())) => {}
                        Ok(Err(e)) => error!(error = %e, "cannot keep equivocation evidence"),
                        Err(e) => error!(error = %e, "evidence task failed"),
                    }
                }
                let next = certificate.height.0 + 1;
                self.built.retain(|(h, _), _| h.0 >= next);
                self.undecided.retain(|(h, _), _| h.0 >= next);
                self.streams.clear();
                if !self.commit_ok {
                    error!(height = %certificate.height, "commit failed; restarting the height");
                    let _ = reply.send(Next::Restart(certificate.height, self.params()));
                    return Ok(());
                }
                // Empty blocks only at the idle interval: wait for transactions (or for a peer's
                // proposal of the next height) before starting it, without blocking this loop.
                let params = self.params();
                let idle = self.idle_interval;
                let seen = self.seen_height.clone();
                let ledger = self.ledger.clone();
                tokio::spawn(async move {
                    let started = Instant::now();
                    while !ledger.has_waiting_txs() && seen.load(Ordering::Relaxed) < next && started.elapsed() < idle {
                        tokio::time::sleep(Duration::from_millis(2)).await;
                    }
                    let _ = reply.send(Next::Start(Height(next), params));
                });
            }
            AppMsg::GetHistoryMinHeight { reply } => {
                let _ = reply.send(Height(1));
            }
            AppMsg::GetDecidedValues { range, reply } => {
                let ledger = self.ledger.clone();
                let (from, to) = (range.start().0, range.end().0);
                let max_bytes = self.max_block_bytes.saturating_mul(4);
                // Reading and checking blocks is disk work: off this loop, which must keep
                // answering the engine.
                let values = tokio::task::spawn_blocking(move || decided_values(&*ledger, from, to, max_bytes))
                    .await
                    .unwrap_or_default();
                let _ = reply.send(values);
            }
            AppMsg::ProcessSyncedValue { height, round, proposer, value_bytes, reply } => {
                let outcome = self.synced(height, round, proposer, &value_bytes).await;
                let _ = reply.send(outcome);
            }
            AppMsg::RestreamProposal { value_id, .. } => {
                if let Some(msgs) = self.streams.get(&value_id) {
                    for m in msgs.clone() {
                        network.send(NetworkMsg::PublishProposalPart(m)).await?;
                    }
                }
            }
            AppMsg::ExtendVote { reply, .. } => {
                let _ = reply.send(None);
            }
            AppMsg::VerifyVoteExtensions { extensions, reply, .. } => {
                let _ = reply.send(extensions.into_iter().map(|(a, _)| (a, Ok(()))).collect());
            }
        }
        Ok(())
    }

    async fn build(
        &mut self,
        height: Height,
        round: Round,
        budget: Duration,
        network: &mpsc::Sender<NetworkMsg<Ctx>>,
    ) -> eyre::Result<LocallyProposedValue<Ctx>> {
        let ledger = self.ledger.clone();
        let me = self.address.0;
        let block = tokio::task::spawn_blocking(move || ledger.propose(height.0, me, budget)).await??;
        let hash = block.hash();
        if block.txs.is_empty() {
            debug!(%height, %round, %hash, "proposing an empty block");
        } else {
            info!(%height, %round, txs = block.txs.len(), %hash, "proposing");
        }
        let value = LocallyProposedValue::new(height, round, BlockValue(hash));
        self.built.insert((height, round), value.clone());
        let init = StreamInit { height, round, pol_round: Round::Nil, proposer: self.address };
        let msgs = stream_block(&self.signer, &self.chain_id, &init, &encode(&block))?;
        // Published even by a lone validator: observers following it see blocks as they are made.
        for m in &msgs {
            network.send(NetworkMsg::PublishProposalPart(m.clone())).await?;
        }
        self.streams.insert(BlockId(hash), msgs);
        Ok(value)
    }

    async fn received_block(&mut self, parts: Vec<ProposalPart>) -> Option<ProposedValue<Ctx>> {
        let (init, bytes) = match assemble(&self.chain_id, &self.validators, parts) {
            Ok(x) => x,
            Err(e) => {
                warn!(error = %e, "rejecting proposal stream");
                return None;
            }
        };
        let block: Block = match decode(&bytes) {
            Ok(b) => b,
            Err(e) => {
                warn!(error = %e, "proposal is not a block");
                return None;
            }
        };
        self.seen_height.fetch_max(init.height.0, Ordering::Relaxed);
        let next = self.ledger.next_height();
        if init.height.0 > next {
            if init.height.0 <= next + FUTURE_HEIGHTS {
                if self.future.len() >= MAX_FUTURE_BLOCKS {
                    self.future.remove(0);
                }
                self.future.push((init, block));
            }
            return None;
        }
        if init.height.0 < next {
            return None;
        }
        self.judge(init, block).await
    }

    /// Validates a block for the current height and records the verdict.
    async fn judge(&mut self, init: StreamInit, block: Block) -> Option<ProposedValue<Ctx>> {
        let hash = block.hash();
        let in_round = self.undecided.get(&(init.height, init.round)).map_or(&[][..], |v| v.as_slice());
        if let Some(known) = in_round.iter().find(|v| v.value.0 == hash) {
            // The same block again (restreamed): the verdict stands, nothing to execute.
            return Some(known.clone());
        }
        let in_height: usize =
            self.undecided.iter().filter(|((h, _), _)| *h == init.height).map(|(_, v)| v.len()).sum();
        if in_round.len() >= MAX_VALUES_PER_ROUND || in_height >= MAX_VALUES_PER_HEIGHT {
            warn!(height = %init.height, round = %init.round, proposer = %init.proposer, "ignoring another block for the same round or height");
            return None;
        }
        let parent_time = self.ledger.head_time_ms();
        let validity = if block.header.height != init.height.0 || block.header.proposer != init.proposer.0 {
            warn!(height = %init.height, "block header disagrees with its stream header");
            Validity::Invalid
        } else if let Err(reason) =
            check_proposal_time(block.header.time_ms, parent_time, wall_clock_ms(), self.max_clock_drift)
        {
            warn!(height = %init.height, proposer = %init.proposer, %reason, "refusing a proposal's time");
            Validity::Invalid
        } else {
            let ledger = self.ledger.clone();
            match tokio::task::spawn_blocking(move || ledger.validate(&block)).await {
                Ok(Ok(())) => Validity::Valid,
                Ok(Err(LedgerError::InvalidBlock(reason))) => {
                    warn!(height = %init.height, %reason, "invalid proposal");
                    Validity::Invalid
                }
                // This node's own trouble (its disk), not the block's: no verdict is kept, so
                // the block is judged again if it comes again.
                Ok(Err(e)) => {
                    error!(height = %init.height, error = %e, "cannot validate a proposal");
                    return None;
                }
                Err(e) => {
                    error!(error = %e, "validation task failed");
                    return None;
                }
            }
        };
        let value = ProposedValue {
            height: init.height,
            round: init.round,
            valid_round: init.pol_round,
            proposer: init.proposer,
            value: BlockValue(hash),
            validity,
        };
        self.undecided.entry((init.height, init.round)).or_default().push(value.clone());
        Some(value)
    }

    async fn promote_future(&mut self, height: Height, round: Round) {
        let (now, later): (Vec<_>, Vec<_>) = std::mem::take(&mut self.future)
            .into_iter()
            .filter(|(i, _)| i.height >= height)
            .partition(|(i, _)| i.height == height && i.round == round);
        self.future = later;
        for (init, block) in now {
            // Buffered while its height was ahead, when only membership could be checked.
            if let Err(reason) = admit_stream(&self.validators, height, round, &init) {
                warn!(%height, %reason, "dropping a buffered proposal");
                continue;
            }
            self.judge(init, block).await;
        }
    }

    async fn commit(&mut self, cert: &CommitCertificate<Ctx>) -> bool {
        let commit = Commit {
            height: cert.height.0,
            round: cert.round.as_u32().unwrap_or(0),
            block_hash: cert.value_id.0,
            signatures: cert
                .commit_signatures
                .iter()
                .map(|s| CommitSignature { validator: s.address.0, signature: s.signature.0 })
                .collect(),
        };
        let ledger = self.ledger.clone();
        let (height, hash) = (commit.height, commit.block_hash);
        match tokio::task::spawn_blocking(move || ledger.commit(height, &hash, commit)).await {
            Ok(Ok(())) => {
                debug!(height, %hash, "committed");
                true
            }
            Ok(Err(e)) => {
                error!(height, %hash, error = %e, "cannot commit decided block");
                false
            }
            Err(e) => {
                error!(error = %e, "commit task failed");
                false
            }
        }
    }

    async fn synced(
        &mut self,
        height: Height,
        round: Round,
        proposer: ValidatorAddress,
        bytes: &[u8],
    ) -> SyncedValueOutcome<Ctx> {
        let block: Block = match decode(bytes) {
            Ok(b) => b,
            Err(e) => {
                warn!(%height, error = %e, "peer sent an undecodable block");
                return SyncedValueOutcome::PeerFault;
            }
        };
        if block.header.height != height.0 {
            return SyncedValueOutcome::PeerFault;
        }
        let hash = block.hash();
        let ledger = self.ledger.clone();
        let validity = match tokio::task::spawn_blocking(move || ledger.validate(&block)).await {
            Ok(Ok(())) => Validity::Valid,
            Ok(Err(LedgerError::InvalidBlock(reason))) => {
                warn!(%height, %reason, "synced block is invalid");
                Validity::Invalid
            }
            Ok(Err(e)) => {
                error!(%height, error = %e, "cannot validate synced block");
                return SyncedValueOutcome::LocalTransientError;
            }
            Err(_) => return SyncedValueOutcome::LocalTransientError,
        };
        SyncedValueOutcome::Verdict(ProposedValue {
            height,
            round,
            valid_round: Round::Nil,
            proposer,
            value: BlockValue(hash),
            validity,
        })
    }
}

#[cfg(test)]
mod tests;
