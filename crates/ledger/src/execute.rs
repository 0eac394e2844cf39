use std::collections::{HashMap, HashSet};
use std::panic::{self, AssertUnwindSafe};

use dojang_store::{PreparedState, Store, StoreError};
use dojang_types::{merkle_root, Address, Block, BlockHeader, Event, Hash, Receipt, SignedTx, TxError, TxStatus};

use crate::activation::message_active;
use crate::error::LedgerError;
use crate::hooks::{self, Phase};
use crate::module::{storage_failure, BlockContext, ModuleError, Permit, Prepared, StateRead, TxContext};
use crate::overlay::{Changes, TxState};
use crate::router::{prefix_of, PreparedTx, Router};
use crate::validators::VALIDATORS_KEY;

/// State keys the ledger itself writes every block, so every height has its own state version.
pub(crate) const LEDGER_HEIGHT_KEY: &[u8] = b"ledger/height";
pub(crate) const LEDGER_TIME_KEY: &[u8] = b"ledger/time_ms";

/// The height and time of the latest block the state records (during execution: the block
/// before the one being built). Modules read it through this, never by the ledger's keys: a
/// query has no clock, and "expired" or "the council in force" must mean the same everywhere.
pub fn last_block(state: &dyn StateRead) -> Result<(u64, u64), ModuleError> {
    let read = |key: &[u8]| -> Result<u64, ModuleError> {
        let name = &key[b"ledger/".len()..];
        match state.read_module("ledger", name)? {
            Some(b) => b.as_slice().try_into().map(u64::from_be_bytes).map_err(|_| {
                ModuleError::Storage(StoreError::Corrupt(format!(
                    "ledger/{} is not 8 bytes",
                    String::from_utf8_lossy(name)
                )))
            }),
            None => Ok(0),
        }
    };
    Ok((read(LEDGER_HEIGHT_KEY)?, read(LEDGER_TIME_KEY)?))
}

/// The header fields fixed before execution.
pub(crate) struct BlockInput {
    pub chain_id: String,
    pub height: u64,
    pub time_ms: u64,
    pub prev_hash: Hash,
    pub validators_hash: Hash,
    pub proposer: Address,
    /// The state root a certified block's header claims, taken as the block's root and
    /// checked at the end of the store's catch-up segment; `None` computes the root here.
    pub defer_root: Option<Hash>,
}

/// A block executed against the latest committed state, ready to commit once decided.
pub(crate) struct Executed {
    pub block: Block,
    pub receipts: Vec<Receipt>,
    /// What block hooks and deadlines emitted (also kept in state, see `hooks`).
    pub hook_events: Vec<Event>,
    pub prepared: PreparedState,
    /// How long execution took, to size later blocks.
    pub elapsed: std::time::Duration,
}

/// Why a transaction was left out of a block this node built.
#[derive(Debug)]
pub(crate) enum Dropped {
    /// It can never be included (bad signature, replay, expired...): the sender's doing.
    Inadmissible(TxError),
    /// This node could not execute it (its store failed while the module read or wrote): not
    /// the sender's fault, and another node may well succeed, so it is left out rather than
    /// recorded as failed.
    NotExecuted(StoreError),
}

/// Receipt code of a transaction whose module panicked. A panic is a bug in the module, and
/// every validator runs the same code on the same state, so each records the same failure and
/// the chain goes on; operators are alerted.
pub const INTERNAL_ERROR_CODE: &str = "internal_error";

/// Receipt code of a transaction whose sender lost the role its message needs between
/// admission and execution (a revocation in between).
pub const NOT_PERMITTED_CODE: &str = "not_permitted";

/// Whether we build a block (and may leave transactions out) or judge someone else's block
/// (where any inadmissible transaction makes the whole block invalid).
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum Mode {
    Propose,
    Validate,
}

/// Blocks from this many transactions up prepare their messages on all cores.
const PARALLEL_PREPARE: usize = 32;

/// What this node learned of a transaction at admission: the permit its check answered and,
/// if the mempool kept it, the message as its module decoded it then.
pub(crate) type Known = (Permit, Prepared);

/// Each transaction's module, permit and prepared message ([`Router::prepare_many`]), in
/// order. A message admission kept decoded is used as it is; the others are prepared, a
/// large block's split across the cores, since a check can cost as much as a signature (a
/// ballot's proofs).
fn prepare_all<'r>(router: &'r Router, txs: &[SignedTx], known: Vec<Option<Known>>) -> Vec<PreparedTx<'r>> {
    let mut out: Vec<Option<PreparedTx<'r>>> = Vec::with_capacity(txs.len());
    let mut todo: Vec<(usize, (&SignedTx, Option<Permit>))> = Vec::new();
    let mut known = known.into_iter();
    for (i, tx) in txs.iter().enumerate() {
        match (known.next().flatten(), router.get(&tx.body.module)) {
            (Some((permit, Some(prepared))), Some(module)) => out.push(Some(Ok((module, permit, Some(prepared))))),
            (k, _) => {
                out.push(None);
                todo.push((i, (tx, k.map(|(permit, _)| permit))));
            }
        }
    }
    let items: Vec<(&SignedTx, Option<Permit>)> = todo.iter().map(|(_, item)| *item).collect();
    let cores = std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1);
    let prepared: Vec<PreparedTx<'r>> = if items.len() < PARALLEL_PREPARE || cores == 1 {
        router.prepare_many(&items)
    } else {
        let per = items.len().div_ceil(cores);
        std::thread::scope(|s| {
            let handles: Vec<_> = items.chunks(per).map(|chunk| s.spawn(move || router.prepare_many(chunk))).collect();
            handles.into_iter().flat_map(|h| h.join().unwrap_or_else(|p| panic::resume_unwind(p))).collect()
        })
    };
    for ((i, _), p) in todo.iter().zip(prepared) {
        out[*i] = Some(p);
    }
    out.into_iter()
        .zip(txs)
        .map(|(p, tx)| p.unwrap_or_else(|| Err(TxError::UnknownModule(tx.body.module.clone()))))
        .collect()
}

/// Executes transactions in order, deterministically: same committed state, same input, same
/// result on every validator. Returns the executed block and, when proposing, the transactions
/// left out with the reason.
pub(crate) fn execute_block(
    store: &Store,
    router: &Router,
    input: &BlockInput,
    txs: Vec<(Hash, SignedTx)>,
    known: Vec<Option<Known>>,
    mode: Mode,
) -> Result<(Executed, Vec<(Hash, Dropped)>), LedgerError> {
    let started = std::time::Instant::now();
    let (ids, txs): (Vec<Hash>, Vec<SignedTx>) = txs.into_iter().unzip();

    // Signatures first, in parallel batches, skipping those this node already checked at
    // admission.
    let to_check: Vec<usize> = (0..txs.len()).filter(|&i| known.get(i).is_none_or(Option::is_none)).collect();
    let refs: Vec<&SignedTx> = to_check.iter().map(|&i| &txs[i]).collect();
    let verdicts = dojang_crypto::verify_txs(&refs);
    let mut sig_ok = vec![true; txs.len()];
    for (&i, ok) in to_check.iter().zip(verdicts) {
        sig_ok[i] = ok;
    }
    // Then each message's check (unless run at admission) and decoding, on all cores.
    let prepared = prepare_all(router, &txs, known);
    let verified_at = started.elapsed();
    let committed = store.committed_among(&ids)?;

    let mut dropped = Vec::new();
    let mut seen = HashSet::with_capacity(txs.len());
    let mut block_changes = Changes::new();
    let mut included = Vec::with_capacity(txs.len());
    let mut included_ids = Vec::with_capacity(txs.len());
    let mut receipts = Vec::with_capacity(txs.len());
    let block_ctx = BlockContext { height: input.height, time_ms: input.time_ms, chain_id: input.chain_id.clone() };
    let mut hook_events = hooks::run_block_hooks(store, router, &mut block_changes, &block_ctx, Phase::Begin)?;
    hook_events.extend(hooks::run_due_deadlines(store, router, &mut block_changes, &block_ctx)?);
    // Roles by sender for this block, read once per sender while the authority's state is
    // unchanged (most blocks: many transactions from a few agencies).
    let mut role_cache: HashMap<Address, Vec<&'static str>> = HashMap::new();
    let authority_prefix = router.authority_module().map(prefix_of);

    for (i, (tx, prepared)) in txs.into_iter().zip(prepared).enumerate() {
        let id = ids[i];
        let admissible = if !sig_ok[i] {
            Err(TxError::BadSignature)
        } else if committed[i] || !seen.insert(id) {
            Err(TxError::Replay(id))
        } else if tx.body.chain_id != input.chain_id {
            Err(TxError::WrongChain { expected: input.chain_id.clone(), got: tx.body.chain_id.clone() })
        } else if tx.body.expires_at_ms <= input.time_ms {
            Err(TxError::Expired { expires_at_ms: tx.body.expires_at_ms, now_ms: input.time_ms })
        } else {
            prepared
        };
        let (module, permit, prepared) = match admissible {
            Ok(admitted) => admitted,
            Err(e) => {
                if mode == Mode::Validate {
                    return Err(LedgerError::InvalidBlock(format!("transaction {id}: {e}")));
                }
                dropped.push((id, Dropped::Inadmissible(e)));
                continue;
            }
        };

        let index = included.len() as u32;
        let (result, events) = {
            let ctx = TxContext {
                sender: tx.body.sender_address(),
                tx_id: id,
                height: input.height,
                index,
                time_ms: input.time_ms,
                chain_id: input.chain_id.clone(),
            };
            let mut state = TxState {
                store,
                below: vec![&block_changes],
                writes: Changes::new(),
                prefix: prefix_of(module.name()),
                router,
                ctx: &ctx,
                as_council: false,
            };
            // A part the council has not switched on for this height: an honest proposer
            // never includes it (admission refuses it too).
            match message_active(&state, module.as_ref(), &tx.body.msg, input.height) {
                Ok(Ok(())) => {}
                Ok(Err(off)) => {
                    if mode == Mode::Validate {
                        return Err(LedgerError::InvalidBlock(format!("transaction {id}: {off}")));
                    }
                    dropped.push((id, Dropped::Inadmissible(off)));
                    continue;
                }
                Err(e) => {
                    if mode == Mode::Validate {
                        return Err(e.into());
                    }
                    dropped.push((id, Dropped::NotExecuted(e)));
                    continue;
                }
            }
            // Only a role permit needs the sender's roles; they are read once per sender per block.
            if matches!(permit, Permit::AnyRole(_)) && !role_cache.contains_key(&ctx.sender) {
                match router.roles_of(&state, &ctx.sender) {
                    Ok(roles) => {
                        role_cache.insert(ctx.sender, roles);
                    }
                    Err(e) => {
                        if mode == Mode::Validate {
                            return Err(storage_failure(e).into());
                        }
                        dropped.push((id, Dropped::NotExecuted(storage_failure(e))));
                        continue;
                    }
                }
            }
            let roles = role_cache.get(&ctx.sender).map_or(&[][..], Vec::as_slice);
            let permitted = match router.permits(&state, module.name(), &ctx.sender, roles, permit) {
                Ok(verdict) => verdict,
                Err(e) => {
                    if mode == Mode::Validate {
                        return Err(storage_failure(e).into());
                    }
                    dropped.push((id, Dropped::NotExecuted(storage_failure(e))));
                    continue;
                }
            };
            if let Err(refusal) = permitted {
                let failed = TxStatus::Failed { code: NOT_PERMITTED_CODE.into(), reason: refusal.to_string() };
                receipts.push(Receipt { tx_id: id, height: input.height, index, result: failed, events: vec![] });
                included.push(tx);
                included_ids.push(id);
                continue;
            }
            let outcome = panic::catch_unwind(AssertUnwindSafe(|| {
                module.execute_prepared(&ctx, &mut state, &tx.body.msg, prepared)
            }));
            match outcome {
                Ok(Ok(events)) => {
                    let writes = state.finish();
                    // Roles read earlier in the block may have changed: forget them.
                    if writes.keys().any(|k| authority_prefix.as_ref().is_some_and(|p| k.starts_with(p))) {
                        role_cache.clear();
                    }
                    block_changes.extend(writes);
                    (TxStatus::Ok, events)
                }
                Ok(Err(ModuleError::Storage(e))) => {
                    if mode == Mode::Validate {
                        return Err(e.into());
                    }
                    dropped.push((id, Dropped::NotExecuted(e)));
                    continue;
                }
                Ok(Err(e)) => (TxStatus::Failed { code: e.code(), reason: e.to_string() }, vec![]),
                Err(payload) => {
                    let what = payload
                        .downcast_ref::<&str>()
                        .map(|s| s.to_string())
                        .or_else(|| payload.downcast_ref::<String>().cloned())
                        .unwrap_or_default();
                    tracing::error!(
                        tx = %id,
                        module = module.name(),
                        panic = %what,
                        "a module panicked executing a transaction; it is recorded as failed: report this bug"
                    );
                    let reason = format!("module '{}' failed on this transaction; nothing was recorded", module.name());
                    (TxStatus::Failed { code: INTERNAL_ERROR_CODE.into(), reason }, vec![])
                }
            }
        };
        receipts.push(Receipt { tx_id: id, height: input.height, index, result, events });
        included.push(tx);
        included_ids.push(id);
    }

    hook_events.extend(hooks::run_block_hooks(store, router, &mut block_changes, &block_ctx, Phase::End)?);
    if !hook_events.is_empty() {
        let bytes = serde_json::to_vec(&hook_events).expect("events serialize to JSON");
        block_changes.insert(hooks::hook_events_key(input.height), Some(bytes));
    }
    block_changes.insert(LEDGER_HEIGHT_KEY.to_vec(), Some(input.height.to_be_bytes().to_vec()));
    block_changes.insert(LEDGER_TIME_KEY.to_vec(), Some(input.time_ms.to_be_bytes().to_vec()));
    let executed_at = started.elapsed();
    let sets_validators = block_changes.contains_key(VALIDATORS_KEY);
    let mut prepared = match input.defer_root {
        Some(claimed) => store.defer_state(input.height, block_changes, claimed),
        None => store.prepare_state(input.height, block_changes)?,
    };
    if sets_validators {
        // Light clients follow the set from block to block where it changes; the trie proves
        // against the latest root only, so the proof of the new set is kept at this height.
        prepared.keep_proof_of(VALIDATORS_KEY);
    }
    tracing::debug!(
        height = input.height,
        txs = included.len(),
        verify_ms = verified_at.as_millis() as u64,
        execute_ms = (executed_at - verified_at).as_millis() as u64,
        state_root_ms = (started.elapsed() - executed_at).as_millis() as u64,
        "executed block"
    );

    // The root commits to codes, not reason texts: rewording a message must not fork the chain.
    let receipt_bytes: Vec<Vec<u8>> = receipts.iter().map(Receipt::commitment_bytes).collect();
    let header = BlockHeader {
        chain_id: input.chain_id.clone(),
        height: input.height,
        time_ms: input.time_ms,
        prev_hash: input.prev_hash,
        txs_root: Block::txs_root_of(&included_ids),
        receipts_root: merkle_root(&receipt_bytes),
        state_root: prepared.root,
        validators_hash: input.validators_hash,
        proposer: input.proposer,
    };
    let elapsed = started.elapsed();
    Ok((Executed { block: Block { header, txs: included }, receipts, hook_events, prepared, elapsed }, dropped))
}
