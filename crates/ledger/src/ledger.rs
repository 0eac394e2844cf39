use std::collections::HashMap;
use std::sync::atomic::{AtomicI64, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};

use dojang_store::{StateProof, Store, StoreError};
use dojang_types::{
    validators_hash, wall_clock_ms as now_ms, Address, Block, Commit, Hash, Receipt, SignedTx, TxError, Validator,
};
use serde::{Deserialize, Serialize};
use tokio::sync::{broadcast, oneshot};
use tracing::info;

use crate::activation::{message_active, module_active};
use crate::error::LedgerError;
use crate::execute::{last_block, Executed, LEDGER_HEIGHT_KEY, LEDGER_TIME_KEY};
use crate::genesis::Genesis;
use crate::mempool::{Mempool, MempoolConfig, MempoolError};
use crate::module::{storage_failure, Module, ModuleError, Permit, Prepared, TxContext};
use crate::overlay::{Changes, CommittedView, TxState};
use crate::quota::{MinuteCounter, QuotaConfig};
use crate::router::{prefix_of, Router};
use crate::validators::{decode_set, encode_set, VALIDATORS_KEY};

/// Limits of one node's ledger. Block limits must be the same on every validator.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct LedgerConfig {
    pub max_block_txs: usize,
    pub max_block_bytes: usize,
    /// How far ahead of now a transaction's expiry may be; bounds how long a signed
    /// transaction stays usable if it leaks.
    pub max_expiry_ahead_ms: u64,
    pub mempool: MempoolConfig,
    /// Fault injection for tests only: shifts the clock this node reads when it stamps a block
    /// it proposes, to show that the others refuse a proposer with a wrong clock. Leave 0.
    #[serde(default)]
    pub fault_clock_offset_ms: i64,
    /// Per-account allowances by role (per block this node proposes, per minute submitted).
    #[serde(default)]
    pub quotas: QuotaConfig,
}

impl Default for LedgerConfig {
    fn default() -> Self {
        LedgerConfig {
            max_block_txs: 20_000,
            max_block_bytes: 8 * 1024 * 1024,
            max_expiry_ahead_ms: 3_600_000,
            mempool: MempoolConfig::default(),
            fault_clock_offset_ms: 0,
            quotas: QuotaConfig::default(),
        }
    }
}

/// A finalized block with its receipts and certificate, as delivered to subscribers.
#[derive(Debug, Clone, Serialize)]
pub struct CommittedBlock {
    pub block: Block,
    pub receipts: Vec<Receipt>,
    /// What block hooks and deadlines emitted (kept in state under `ledger/hook_events/`).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub hook_events: Vec<dojang_types::Event>,
    pub commit: Commit,
}

/// Why a submission was not admitted.
#[derive(Debug, thiserror::Error)]
pub enum SubmitError {
    #[error(transparent)]
    Tx(#[from] TxError),
    #[error(transparent)]
    Mempool(#[from] MempoolError),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("account {account} has sent its {limit} transactions for this minute; wait for the next minute")]
    MinuteQuota { account: Address, limit: u32 },
}

#[derive(Debug, Clone, Copy)]
pub(crate) struct Head {
    pub height: u64,
    pub hash: Hash,
    pub time_ms: u64,
}

/// The ledger service of one node.
pub struct Ledger {
    pub(crate) store: Store,
    pub(crate) router: Router,
    pub(crate) genesis: Genesis,
    pub(crate) config: LedgerConfig,
    pub(crate) mempool: Mutex<Mempool>,
    minute: Mutex<MinuteCounter>,
    pub(crate) executed: Mutex<HashMap<Hash, Arc<Executed>>>,
    pub(crate) head: Mutex<Head>,
    waiters: Mutex<HashMap<Hash, Vec<oneshot::Sender<Receipt>>>>,
    events: broadcast::Sender<Arc<CommittedBlock>>,
    committed_txs: AtomicU64,
    /// The clock shift this node proposes with (`fault_clock_offset_ms`, moved forward by
    /// [`Ledger::advance_clock`]).
    pub(crate) clock_offset_ms: AtomicI64,
    /// Moving average of the time to build one transaction into a block, in nanoseconds.
    pub(crate) build_ns_per_tx: AtomicU64,
    /// The set that decides the next height (the one in the latest committed state).
    pub(crate) validators: Mutex<Arc<Vec<Validator>>>,
}

/// Finalized blocks buffered for slow event subscribers. Blocks can hold 20,000 transactions
/// with receipts, so this bounds memory as much as it bounds lag.
const EVENT_BUFFER: usize = 32;
/// Batches at least this large are admitted on every core.
const PARALLEL_ADMISSION: usize = 32;

pub(crate) fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    // A panic while holding one of these locks is a bug; the data (caches, queues) stays usable.
    m.lock().unwrap_or_else(|p| p.into_inner())
}

/// An admitted transaction: itself, its sender's minute quota and its message's permit.
type Admitted = (SignedTx, u32, Permit, Prepared);

impl Ledger {
    /// Opens the ledger on a store, writing the genesis state on first start and refusing a
    /// store that belongs to another chain.
    pub fn open(store: Store, router: Router, genesis: Genesis, config: LedgerConfig) -> Result<Self, LedgerError> {
        genesis.validate()?;
        for name in genesis.modules.keys() {
            if router.get(name).is_none() {
                return Err(LedgerError::Genesis(format!("genesis has a section for unknown module '{name}'")));
            }
        }
        let file_hash = genesis.hash();
        match store.genesis_hash()? {
            Some(stored) if stored != file_hash => {
                return Err(LedgerError::GenesisMismatch { stored, file: file_hash })
            }
            Some(_) => {}
            None => Self::init_genesis(&store, &router, &genesis)?,
        }
        let head = Self::stored_head(&store, &genesis)?;
        let height = head.height;
        let validators = Arc::new(Self::load_validators(&store, &genesis)?);
        info!(chain_id = %genesis.chain_id, height, validators = validators.len(), "ledger opened");
        // The channel keeps its last EVENT_BUFFER blocks alive whether or not anyone listens;
        // a subscriber that falls further behind is told how many it missed.
        let (events, _) = broadcast::channel(EVENT_BUFFER);
        let clock_offset_ms = AtomicI64::new(config.fault_clock_offset_ms);
        let ledger = Ledger {
            mempool: Mutex::new(Mempool::new(config.mempool.clone())),
            store,
            router,
            genesis,
            config,
            minute: Mutex::new(MinuteCounter::default()),
            executed: Mutex::new(HashMap::new()),
            head: Mutex::new(head),
            waiters: Mutex::new(HashMap::new()),
            events,
            committed_txs: AtomicU64::new(0),
            clock_offset_ms,
            build_ns_per_tx: AtomicU64::new(0),
            validators: Mutex::new(validators),
        };
        ledger.recover_decided()?;
        Ok(ledger)
    }

    fn init_genesis(store: &Store, router: &Router, genesis: &Genesis) -> Result<(), LedgerError> {
        let mut changes = Changes::new();
        // Genesis sections are written by no one: no sender, and no council to act yet.
        let ctx = TxContext {
            sender: Address([0; 20]),
            tx_id: Hash::default(),
            height: 0,
            index: 0,
            time_ms: genesis.genesis_time_ms,
            chain_id: genesis.chain_id.clone(),
        };
        for module in router.modules() {
            let section = genesis.modules.get(module.name()).cloned().unwrap_or(serde_json::Value::Null);
            if module.needs_activation() {
                if !section.is_null() {
                    return Err(LedgerError::Genesis(format!(
                        "module '{}' is activated by the council at a height, so it takes no genesis section",
                        module.name()
                    )));
                }
                continue;
            }
            let mut state = TxState {
                store,
                below: vec![&changes],
                writes: Changes::new(),
                prefix: prefix_of(module.name()),
                router,
                ctx: &ctx,
                as_council: true,
            };
            module.init_genesis(&mut state, &section).map_err(|e| match e {
                ModuleError::Storage(s) => LedgerError::Store(s),
                other => LedgerError::Genesis(format!("module '{}': {other}", module.name())),
            })?;
            let writes = state.finish();
            changes.extend(writes);
        }
        changes.insert(VALIDATORS_KEY.to_vec(), Some(encode_set(&genesis.validator_set())));
        changes.insert(LEDGER_HEIGHT_KEY.to_vec(), Some(0u64.to_be_bytes().to_vec()));
        changes.insert(LEDGER_TIME_KEY.to_vec(), Some(genesis.genesis_time_ms.to_be_bytes().to_vec()));
        let mut prepared = store.prepare_state(0, changes)?;
        prepared.keep_proof_of(VALIDATORS_KEY);
        store.commit_genesis(genesis.hash(), &prepared)?;
        info!(chain_id = %genesis.chain_id, root = %prepared.root, "genesis written");
        Ok(())
    }

    /// The latest committed validator set. A store written before the set moved into state
    /// still has the genesis set.
    fn load_validators(store: &Store, genesis: &Genesis) -> Result<Vec<Validator>, LedgerError> {
        match store.get_state(VALIDATORS_KEY)? {
            Some(bytes) => Ok(decode_set(&bytes)?),
            None => Ok(genesis.validator_set()),
        }
    }

    /// Re-reads the set after a commit; a block may have changed it for the next height.
    /// The head as the store has it.
    fn stored_head(store: &Store, genesis: &Genesis) -> Result<Head, LedgerError> {
        let height = store.latest_height()?.unwrap_or(0);
        Ok(match store.block(height)? {
            Some(b) => Head { height, hash: b.hash(), time_ms: b.header.time_ms },
            None => Head { height: 0, hash: genesis.hash(), time_ms: genesis.genesis_time_ms },
        })
    }

    /// Takes the head and the validator set back from the store, after the store undid
    /// blocks the ledger had moved past (a catch-up segment whose state root did not match).
    pub(crate) fn reload_head(&self) -> Result<(), LedgerError> {
        *lock(&self.head) = Self::stored_head(&self.store, &self.genesis)?;
        lock(&self.executed).clear();
        self.refresh_validators()
    }

    pub(crate) fn refresh_validators(&self) -> Result<(), LedgerError> {
        let set = Self::load_validators(&self.store, &self.genesis)?;
        let mut current = lock(&self.validators);
        if **current != set {
            info!(validators = set.len(), hash = %validators_hash(&set), "validator set changes at the next height");
            *current = Arc::new(set);
        }
        Ok(())
    }

    /// The validator set that decides the next height.
    pub fn validators(&self) -> Arc<Vec<Validator>> {
        lock(&self.validators).clone()
    }

    /// The validator set that decided (or decides) `height`: the one in state after `height - 1`,
    /// with the proof kept at the block that last wrote it, at most `height - 1` (the proof's
    /// version; genesis is version 0). A light client checks it against that block's state
    /// root, whose certificate the set before it signed.
    pub fn validators_at(&self, height: u64) -> Result<Option<(Vec<Validator>, StateProof)>, LedgerError> {
        let latest = lock(&self.head).height;
        if height == 0 || height > latest + 1 {
            return Ok(None);
        }
        let Some(proof) = self.store.kept_proof(VALIDATORS_KEY, height - 1)? else {
            return Err(StoreError::Corrupt(format!(
                "no proof of the validator set is kept at or below height {}; the store predates kept proofs \
                 or is damaged: start from an empty data directory and catch up from peers",
                height - 1
            ))
            .into());
        };
        let bytes = proof.value.as_ref().ok_or_else(|| {
            StoreError::Corrupt(format!("the validator set's proof kept at height {} shows no set", proof.version))
        })?;
        Ok(Some((decode_set(bytes)?, proof)))
    }

    pub fn chain_id(&self) -> &str {
        &self.genesis.chain_id
    }

    pub fn genesis(&self) -> &Genesis {
        &self.genesis
    }

    pub fn store(&self) -> &Store {
        &self.store
    }

    pub fn router(&self) -> &Router {
        &self.router
    }

    /// Height, hash and time of the last finalized block (0 and the genesis hash before block 1).
    pub fn head(&self) -> (u64, Hash, u64) {
        let h = *lock(&self.head);
        (h.height, h.hash, h.time_ms)
    }

    /// Moves the clock this node proposes with forward by `ms`: for the test harness, to reach
    /// a deadline days away in a test that runs for milliseconds. A node never calls it.
    pub fn advance_clock(&self, ms: i64) {
        let step = ms.max(0);
        let _ =
            self.clock_offset_ms.fetch_update(Ordering::Relaxed, Ordering::Relaxed, |o| Some(o.saturating_add(step)));
    }

    /// The time this node stamps the blocks it proposes with and judges expiry by at admission:
    /// the wall clock, shifted only by fault injection or the test harness.
    pub fn clock_ms(&self) -> u64 {
        now_ms().saturating_add_signed(self.clock_offset_ms.load(Ordering::Relaxed))
    }

    pub fn mempool_len(&self) -> usize {
        lock(&self.mempool).len()
    }

    /// Transactions the mempool holds at most (`mempool.max_txs`); at this count submissions
    /// are refused until blocks make room.
    pub fn mempool_capacity(&self) -> usize {
        self.config.mempool.max_txs
    }

    pub fn committed_tx_count(&self) -> u64 {
        self.committed_txs.load(Ordering::Relaxed)
    }

    /// Admits one encoded transaction: decode, envelope, replay, signature, mempool bounds.
    pub fn submit(&self, bytes: &[u8]) -> Result<Hash, SubmitError> {
        self.submit_batch(&[bytes]).pop().expect("one verdict per transaction")
    }

    /// Decodes a run of transactions and runs the checks that take no lock: the envelope, the
    /// modules' stateless checks (a module's messages together, [`Router::prepare_many`]) and
    /// each sender's permit.
    fn admit_chunk(&self, items: &[&[u8]], now: u64) -> Vec<Result<Admitted, SubmitError>> {
        let decoded: Vec<Result<SignedTx, SubmitError>> = items
            .iter()
            .map(|b| {
                let tx = SignedTx::decode(b)?;
                tx.check_envelope(&self.genesis.chain_id, now, self.config.max_expiry_ahead_ms)?;
                Ok(tx)
            })
            .collect();
        let good: Vec<(&SignedTx, Option<Permit>)> =
            decoded.iter().filter_map(|d| d.as_ref().ok()).map(|tx| (tx, None)).collect();
        let mut checked = self.router.prepare_many(&good).into_iter();
        let checked: Vec<_> = decoded.iter().map(|d| d.as_ref().ok().and_then(|_| checked.next())).collect();
        let view = self.committed_state();
        let mut next_height = None;
        decoded
            .into_iter()
            .zip(checked)
            .map(|(tx, verdict)| {
                let tx = tx?;
                let (module, permit, prepared) =
                    verdict.unwrap_or_else(|| Err(TxError::UnknownModule(tx.body.module.clone())))?;
                let per_minute = self.permit_one(&view, &tx, module.as_ref(), permit, &mut next_height)?;
                Ok((tx, per_minute, permit, prepared))
            })
            .collect()
    }

    /// Whether the sender may send this message now (its module switched on, the permit's
    /// role held); answers the sender's minute quota. `next_height` caches the height
    /// activation is judged for (read only if a module needs activation, and then once).
    fn permit_one(
        &self,
        view: &dyn crate::StateRead,
        tx: &SignedTx,
        module: &dyn Module,
        permit: Permit,
        next_height: &mut Option<u64>,
    ) -> Result<u32, SubmitError> {
        let storage = |e| SubmitError::Store(storage_failure(e));
        if module.needs_activation() || !module.versions().is_empty() {
            let next = match *next_height {
                Some(h) => h,
                None => last_block(view).map_err(storage)?.0 + 1,
            };
            *next_height = Some(next);
            message_active(view, module, &tx.body.msg, next).map_err(SubmitError::Store)??;
        }
        let sender = tx.body.sender_address();
        let roles = self.router.roles_of(view, &sender).map_err(storage)?;
        self.router.permits(view, module.name(), &sender, &roles, permit).map_err(storage)??;
        Ok(self.config.quotas.for_roles(&roles).per_minute)
    }

    /// [`Ledger::admit_chunk`] over the items, in order. A large batch is split across the
    /// cores, since a module's stateless check can cost as much as a signature (a ballot's
    /// proofs).
    fn admit_all(&self, items: &[&[u8]], now: u64) -> Vec<Result<Admitted, SubmitError>> {
        let cores = std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1);
        if items.len() < PARALLEL_ADMISSION || cores == 1 {
            return self.admit_chunk(items, now);
        }
        let per = items.len().div_ceil(cores);
        std::thread::scope(|s| {
            let handles: Vec<_> =
                items.chunks(per).map(|chunk| s.spawn(move || self.admit_chunk(chunk, now))).collect();
            handles.into_iter().flat_map(|h| h.join().unwrap_or_else(|p| std::panic::resume_unwind(p))).collect()
        })
    }

    /// Admits several encoded transactions, verifying their signatures in one parallel batch.
    /// Each gets its own verdict, in order: decode, envelope, the module's stateless check,
    /// the sender's permit and minute quota (against the latest committed state), replay,
    /// signature, mempool bounds.
    pub fn submit_batch(&self, items: &[&[u8]]) -> Vec<Result<Hash, SubmitError>> {
        let now = self.clock_ms();
        let decoded = self.admit_all(items, now);
        let ok: Vec<&SignedTx> = decoded.iter().filter_map(|r| r.as_ref().ok().map(|(tx, ..)| tx)).collect();
        let ids: Vec<Hash> = ok.iter().map(|t| t.id()).collect();
        let sigs = dojang_crypto::verify_txs(&ok);
        let committed = match self.store.committed_among(&ids) {
            Ok(c) => c,
            Err(e) => return items.iter().map(|_| Err(SubmitError::Store(StoreError::Db(e.to_string())))).collect(),
        };
        let mut verdicts = ids.into_iter().zip(sigs).zip(committed);
        let mut mempool = lock(&self.mempool);
        let mut minute = lock(&self.minute);
        decoded
            .into_iter()
            .zip(items)
            .map(|(r, bytes)| {
                let (tx, per_minute, permit, prepared) = r?;
                let ((id, sig_ok), was_committed) = verdicts.next().expect("one verdict per decoded tx");
                if was_committed {
                    return Err(TxError::Replay(id).into());
                }
                if !sig_ok {
                    return Err(TxError::BadSignature.into());
                }
                let sender = tx.body.sender_address();
                minute
                    .admit(now, sender, per_minute)
                    .map_err(|limit| SubmitError::MinuteQuota { account: sender, limit })?;
                mempool.insert(id, tx, bytes.len(), permit, prepared).inspect_err(|_| minute.undo(&sender))?;
                Ok(id)
            })
            .collect()
    }

    /// A receiver that fires with the receipt once the transaction is in a finalized block
    /// (at once if it already is).
    pub fn wait_receipt(&self, id: Hash) -> Result<oneshot::Receiver<Receipt>, StoreError> {
        let (tx, rx) = oneshot::channel();
        lock(&self.waiters).entry(id).or_default().push(tx);
        if let Some((receipt, _)) = self.receipt(&id)? {
            if let Some(list) = lock(&self.waiters).remove(&id) {
                for w in list {
                    let _ = w.send(receipt.clone());
                }
            }
        }
        Ok(rx)
    }

    /// The receipt and the transaction for a committed transaction id, read on their own (not
    /// by decoding their block) and checked against the id.
    pub fn receipt(&self, id: &Hash) -> Result<Option<(Receipt, SignedTx)>, StoreError> {
        Ok(self.store.committed_tx(id)?.map(|c| (c.receipt, c.tx)))
    }

    /// Finalized blocks as they are committed.
    pub fn subscribe(&self) -> broadcast::Receiver<Arc<CommittedBlock>> {
        self.events.subscribe()
    }

    /// The latest committed state, read-only, as modules' typed readers take it (keys are
    /// full: `module/...`; `read_module` reads any module's records).
    pub fn committed_state(&self) -> impl crate::StateRead + '_ {
        CommittedView { store: &self.store, prefix: Vec::new() }
    }

    /// Runs a module query against the latest committed state.
    pub fn query(
        &self,
        module: &str,
        path: &str,
        params: &serde_json::Value,
    ) -> Result<serde_json::Value, ModuleError> {
        let (m, view) = self.queried(module)?;
        m.query(&view, path, params)
    }

    /// [`Ledger::query`]'s answer as JSON bytes, as the API sends it (see
    /// [`crate::Module::query_json`]).
    pub fn query_json(&self, module: &str, path: &str, params: &serde_json::Value) -> Result<Vec<u8>, ModuleError> {
        let (m, view) = self.queried(module)?;
        m.query_json(&view, path, params)
    }

    /// The module a query names and its view of the latest state, if it may answer.
    fn queried(&self, module: &str) -> Result<(&Arc<dyn Module>, CommittedView<'_>), ModuleError> {
        let m = self.router.get(module).ok_or_else(|| ModuleError::NotFound(format!("module '{module}'")))?;
        let view = CommittedView { store: &self.store, prefix: prefix_of(module) };
        // Only a module that needs activation costs a read of the height.
        if m.needs_activation() && !module_active(&view, m.as_ref(), last_block(&view)?.0)? {
            return Err(ModuleError::NotFound(format!(
                "module '{module}' is not active on this chain yet (the council activates it at a height)"
            )));
        }
        Ok((m, view))
    }

    /// Called after a block is durably committed: clean the mempool, wake waiters, notify.
    pub(crate) fn after_commit(&self, committed: CommittedBlock) {
        {
            let mut mempool = lock(&self.mempool);
            for r in &committed.receipts {
                mempool.remove(&r.tx_id);
            }
            let expired = mempool.evict_expired(committed.block.header.time_ms);
            if expired > 0 {
                tracing::debug!(
                    expired,
                    height = committed.block.header.height,
                    "expired transactions left the mempool"
                );
            }
        }
        {
            let mut waiters = lock(&self.waiters);
            for r in &committed.receipts {
                if let Some(list) = waiters.remove(&r.tx_id) {
                    for w in list {
                        let _ = w.send(r.clone());
                    }
                }
            }
            waiters.retain(|_, list| {
                list.retain(|w| !w.is_closed());
                !list.is_empty()
            });
        }
        self.committed_txs.fetch_add(committed.block.txs.len() as u64, Ordering::Relaxed);
        let _ = self.events.send(Arc::new(committed));
    }
}
