use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::Duration;

use dojang_types::{validators_hash, Address, Block, Commit, Evidence, Hash, SignedTx, Validator};
use tracing::{debug, error, warn};

use crate::error::LedgerError;
use crate::execute::{execute_block, BlockInput, Dropped, Executed, Known, Mode};
use crate::ledger::{lock, CommittedBlock, Ledger};

/// What the consensus engine needs from the ledger, and nothing more. The consensus crate
/// drives this trait; it never sees modules, the mempool or storage.
pub trait BlockApp: Send + Sync + 'static {
    /// The height consensus should decide next.
    fn next_height(&self) -> u64;

    /// Whether transactions are waiting; an idle chain makes empty blocks only at an interval.
    fn has_waiting_txs(&self) -> bool;

    /// The time of the last finalized block (the genesis time before block 1): a proposal's
    /// time must be after it.
    fn head_time_ms(&self) -> u64;

    /// Builds and executes a block from the mempool, sized so that building it takes about
    /// `budget` (the engine's deadline, less a margin). The block is kept durably before it is
    /// returned, so a node that proposes it still has it after a crash.
    fn propose(&self, height: u64, proposer: Address, budget: Duration) -> Result<Block, LedgerError>;

    /// Checks a block proposed by someone else by executing it; a valid block is kept durably
    /// (we are about to vote for it).
    fn validate(&self, block: &Block) -> Result<(), LedgerError>;

    /// A block this node proposed, received or committed, by height and hash.
    fn block(&self, height: u64, hash: &Hash) -> Result<Option<Block>, LedgerError>;

    /// Commits a decided block with its certificate.
    fn commit(&self, height: u64, hash: &Hash, commit: Commit) -> Result<(), LedgerError>;

    /// A finalized block's canonical bytes and certificate, for peers that are catching up.
    fn decided(&self, height: u64) -> Result<Option<(Vec<u8>, Commit)>, LedgerError>;

    /// The validator set that decides the next height. It changes only at a height boundary,
    /// after a committed block changed it.
    fn validator_set(&self) -> Arc<Vec<Validator>>;

    /// Keeps equivocation evidence the engine detected, for the API and for governance.
    fn record_evidence(&self, evidence: &[Evidence]) -> Result<(), LedgerError>;
}

impl Ledger {
    fn input(&self, height: u64, time_ms: u64, proposer: Address) -> Result<BlockInput, LedgerError> {
        let head = *lock(&self.head);
        if height != head.height + 1 {
            return Err(LedgerError::InvalidBlock(format!(
                "height {height} does not follow the last finalized height {}",
                head.height
            )));
        }
        Ok(BlockInput {
            chain_id: self.genesis.chain_id.clone(),
            height,
            time_ms,
            prev_hash: head.hash,
            validators_hash: validators_hash(&lock(&self.validators)),
            proposer,
            defer_root: None,
        })
    }

    /// Learns how long a transaction takes to build into a block (moving average, in ns).
    fn learn_cost(&self, executed: &Executed) {
        let n = executed.block.txs.len() as u64;
        if n >= 100 {
            let sample = executed.elapsed.as_nanos() as u64 / n;
            let old = self.build_ns_per_tx.load(Ordering::Relaxed);
            let new = if old == 0 { sample } else { (old * 3 + sample) / 4 };
            self.build_ns_per_tx.store(new, Ordering::Relaxed);
        }
    }

    /// Checks a block someone else built by executing it against the latest committed state.
    /// `None` when this node already executed that exact block.
    /// `ahead`: what was learned of each transaction before (its signature and message
    /// checked on another thread during catch-up), used where the mempool knows nothing;
    /// empty when validating a proposal live.
    /// With `certified`, the block is already final (catch-up): its state root is taken from
    /// its header and checked when the store's catch-up segment ends ([`Store::defer_state`]).
    pub(crate) fn execute_checked(
        &self,
        block: &Block,
        ahead: Vec<Option<Known>>,
        certified: bool,
    ) -> Result<Option<Executed>, LedgerError> {
        // The hash covers only the header; the body must match the header's transaction root
        // before anything keyed by that hash can be trusted.
        let ids: Vec<Hash> = block.txs.iter().map(|t| t.id()).collect();
        if Block::txs_root_of(&ids) != block.header.txs_root {
            return Err(LedgerError::InvalidBlock("transactions do not match the header's txs_root".into()));
        }
        if lock(&self.executed).contains_key(&block.hash()) {
            return Ok(None);
        }
        let h = &block.header;
        let parent_time = lock(&self.head).time_ms;
        if h.time_ms <= parent_time {
            return Err(LedgerError::InvalidBlock(format!(
                "time {} is not after the parent's {parent_time}",
                h.time_ms
            )));
        }
        if block.txs.len() > self.config.max_block_txs {
            return Err(LedgerError::InvalidBlock(format!("{} transactions exceed the block limit", block.txs.len())));
        }
        if !lock(&self.validators).iter().any(|v| v.address == h.proposer) {
            return Err(LedgerError::InvalidBlock(format!("proposer {} is not a validator", h.proposer)));
        }
        let mut input = self.input(h.height, h.time_ms, h.proposer)?;
        input.defer_root = certified.then_some(h.state_root);
        // What this node admitted itself, signature and all, had its signature and its
        // message's check then.
        let known: Vec<Option<Known>> = {
            let mut mempool = lock(&self.mempool);
            let mut ahead = ahead.into_iter();
            ids.iter()
                .zip(&block.txs)
                .map(|(id, tx)| {
                    let checked_ahead = ahead.next().flatten();
                    match (mempool.take_known(id, tx), checked_ahead) {
                        // The mempool's entry, with the message decoded ahead if it kept none.
                        (Some((permit, None)), Some((_, decoded))) => Some((permit, decoded)),
                        (Some(known), _) => Some(known),
                        (None, checked_ahead) => checked_ahead,
                    }
                })
                .collect()
        };
        let txs = ids.into_iter().zip(block.txs.iter().cloned()).collect();
        let (executed, _) = execute_block(&self.store, &self.router, &input, txs, known, Mode::Validate)?;
        if executed.block.header != *h {
            return Err(LedgerError::InvalidBlock(format!(
                "re-execution gives header {:?}, the proposal says {:?}",
                executed.block.header, h
            )));
        }
        Ok(Some(executed))
    }

    /// Writes an executed, decided block, moves the head and tells waiters and subscribers.
    pub(crate) fn commit_executed(
        &self,
        executed: &Executed,
        commit: Commit,
        durable: bool,
    ) -> Result<(), LedgerError> {
        let committed = self.write_executed(executed, commit, durable)?;
        self.after_commit(committed);
        Ok(())
    }

    /// Writes an executed, decided block and moves the head; returns what waiters and
    /// subscribers are told once the block is sure to stay ([`Ledger::after_commit`]).
    pub(crate) fn write_executed(
        &self,
        executed: &Executed,
        commit: Commit,
        durable: bool,
    ) -> Result<CommittedBlock, LedgerError> {
        let block = &executed.block;
        let hash = block.hash();
        let started = std::time::Instant::now();
        self.store.commit_block(block, &executed.receipts, &commit, &executed.prepared, durable)?;
        debug!(
            height = block.header.height,
            txs = block.txs.len(),
            write_ms = started.elapsed().as_millis() as u64,
            "block written"
        );
        {
            let mut head = lock(&self.head);
            head.height = block.header.height;
            head.hash = hash;
            head.time_ms = block.header.time_ms;
        }
        lock(&self.executed).clear();
        self.refresh_validators()?;
        Ok(CommittedBlock {
            block: block.clone(),
            receipts: executed.receipts.clone(),
            hook_events: executed.hook_events.clone(),
            commit,
        })
    }

    fn remember(&self, executed: Executed) -> Result<Block, LedgerError> {
        let started = std::time::Instant::now();
        self.store.put_pending(&executed.block)?;
        debug!(
            height = executed.block.header.height,
            pending_ms = started.elapsed().as_millis() as u64,
            "block kept as pending"
        );
        let block = executed.block.clone();
        lock(&self.executed).insert(block.hash(), Arc::new(executed));
        Ok(block)
    }
}

/// Block size before the cost of building one transaction has been measured.
const UNMEASURED_BLOCK_TXS: usize = 1_000;

impl BlockApp for Ledger {
    fn next_height(&self) -> u64 {
        lock(&self.head).height + 1
    }

    fn has_waiting_txs(&self) -> bool {
        lock(&self.mempool).len() > 0
    }

    fn head_time_ms(&self) -> u64 {
        lock(&self.head).time_ms
    }

    fn propose(&self, height: u64, proposer: Address, budget: Duration) -> Result<Block, LedgerError> {
        let parent_time = lock(&self.head).time_ms;
        let clock = self.clock_ms();
        let input = self.input(height, clock.max(parent_time + 1), proposer)?;
        let cost = self.build_ns_per_tx.load(Ordering::Relaxed);
        // Until this node has measured its cost per transaction, blocks stay small: a first
        // block of the full 20,000 could outlast every validator's timeouts.
        let max_txs = match cost {
            0 => UNMEASURED_BLOCK_TXS.min(self.config.max_block_txs),
            c => ((budget.as_nanos() as u64 / c) as usize).clamp(100, self.config.max_block_txs),
        };
        // At most each sender's per-block quota, so the rest of the block goes to others.
        let quotas = &self.config.quotas;
        let base_cap = quotas.roles.values().chain([&quotas.default]).map(|q| q.per_block).min().unwrap_or(0) as usize;
        let view = self.committed_state();
        let mut cap_of = |sender: &Address| match self.router.roles_of(&view, sender) {
            Ok(roles) => quotas.for_roles(&roles).per_block as usize,
            Err(_) => quotas.default.per_block as usize,
        };
        let peeked = lock(&self.mempool).peek_fair(max_txs, self.config.max_block_bytes, base_cap, &mut cap_of);
        // Everything proposed came from the mempool: signatures and checks ran at admission.
        let known: Vec<Option<Known>> = {
            let mut mempool = lock(&self.mempool);
            peeked.iter().map(|(id, tx, permit)| Some(mempool.take_known(id, tx).unwrap_or((*permit, None)))).collect()
        };
        let txs: Vec<(Hash, SignedTx)> = peeked.into_iter().map(|(id, tx, _)| (id, tx)).collect();
        let (executed, dropped) =
            self.beside_flush(|| execute_block(&self.store, &self.router, &input, txs, known, Mode::Propose))?;
        if !dropped.is_empty() {
            let mut mempool = lock(&self.mempool);
            for (id, why) in &dropped {
                match why {
                    Dropped::Inadmissible(reason) => {
                        debug!(%id, %reason, "dropping inadmissible transaction from the mempool")
                    }
                    Dropped::NotExecuted(e) => error!(
                        %id,
                        error = %e,
                        "the store failed while executing a transaction; it is evicted (its sender may resubmit): check the disk"
                    ),
                }
                mempool.remove(id);
            }
        }
        debug!(height, txs = executed.block.txs.len(), max_txs, "proposing block");
        self.learn_cost(&executed);
        self.remember(executed)
    }

    fn validate(&self, block: &Block) -> Result<(), LedgerError> {
        let executed = self.beside_flush(|| self.execute_checked(block, Vec::new(), false))?;
        if let Some(executed) = executed {
            self.remember(executed)?;
        }
        Ok(())
    }

    fn block(&self, height: u64, hash: &Hash) -> Result<Option<Block>, LedgerError> {
        if let Some(e) = lock(&self.executed).get(hash) {
            return Ok(Some(e.block.clone()));
        }
        if let Some(b) = self.store.get_pending(height, hash)? {
            return Ok(Some(b));
        }
        match self.store.height_of(hash)? {
            Some(h) => Ok(self.store.block(h)?),
            None => Ok(None),
        }
    }

    fn commit(&self, height: u64, hash: &Hash, commit: Commit) -> Result<(), LedgerError> {
        let cached = lock(&self.executed).get(hash).cloned();
        let executed = match cached {
            Some(e) => e,
            None => {
                // After a restart the execution cache is empty; the block is in the pending table.
                let block = self.store.get_pending(height, hash)?.ok_or(LedgerError::UnknownBlock(*hash))?;
                warn!(height, %hash, "re-executing a pending block after restart");
                self.validate(&block)?;
                lock(&self.executed).get(hash).cloned().ok_or(LedgerError::UnknownBlock(*hash))?
            }
        };
        // The pipelined cycle (decision 0029): the certificate is durable now, and with the
        // block's pending copy it is enough to recover the block after a crash; the block's
        // own write reaches the disk beside the next block's execution.
        // Whatever an earlier block left unflushed goes first (nothing, when the block
        // executed beside its flush): the kept certificate never runs two heights ahead.
        self.store.flush()?;
        self.store.keep_decided(&commit)?;
        self.commit_executed(&executed, commit, false)
    }

    fn decided(&self, height: u64) -> Result<Option<(Vec<u8>, Commit)>, LedgerError> {
        match (self.store.block_bytes(height)?, self.store.commit(height)?) {
            (Some(b), Some(c)) => Ok(Some((b, c))),
            _ => Ok(None),
        }
    }

    fn validator_set(&self) -> Arc<Vec<Validator>> {
        self.validators()
    }

    fn record_evidence(&self, evidence: &[Evidence]) -> Result<(), LedgerError> {
        let new = self.store.put_evidence(evidence)?;
        if new > 0 {
            warn!(new, "equivocation evidence recorded; see GET /v1/evidence");
        }
        Ok(())
    }
}
