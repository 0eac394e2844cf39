//! Block hooks and deadlines. Every module may act at the start and end of each block, and at
//! chain times it scheduled (a poll closes, a rescission window ends, a payment falls due).
//! Deadlines live in state under `ledger/deadlines/<time>/<module>/<key>`, so every validator
//! sees the same list and runs the due ones in the same order: by time, then module, then key,
//! at most [`MAX_DEADLINES_PER_BLOCK`] per block (the rest carry over). What hooks and
//! deadlines emit is kept in state under `ledger/hook_events/<height>`, so it is covered by the
//! state root and can be read with a proof, like any record.

use std::panic::{self, AssertUnwindSafe};

use dojang_store::{Store, StoreError};
use dojang_types::{Address, Event, Hash};

use crate::activation::module_active;
use crate::events::LedgerEvent;
use crate::module::{BlockContext, Module, ModuleError, TxContext};
use crate::overlay::{layered_scan, BlockView, Changes, TxState};
use crate::router::{prefix_of, Router};

/// The most deadlines run in one block; later ones wait for the next block.
pub const MAX_DEADLINES_PER_BLOCK: usize = 256;

const DEADLINES_PREFIX: &str = "ledger/deadlines/";
const HOOK_EVENTS_PREFIX: &str = "ledger/hook_events/";

/// The state key of a deadline of the module whose state prefix is `module_prefix` (`name/`).
pub(crate) fn deadline_key(at_ms: u64, module_prefix: &[u8], key: &[u8]) -> Vec<u8> {
    let mut k = format!("{DEADLINES_PREFIX}{at_ms:020}/").into_bytes();
    k.extend_from_slice(module_prefix);
    k.extend_from_slice(hex::encode(key).as_bytes());
    k
}

/// (time, module, key) of a deadline's state key.
fn parse_deadline(k: &[u8]) -> Option<(u64, String, Vec<u8>)> {
    let rest = std::str::from_utf8(k.strip_prefix(DEADLINES_PREFIX.as_bytes())?).ok()?;
    let (at, rest) = rest.split_once('/')?;
    let (module, key) = rest.split_once('/')?;
    Some((at.parse().ok()?, module.to_string(), hex::decode(key).ok()?))
}

/// Where a block's hook events are kept.
pub fn hook_events_key(height: u64) -> Vec<u8> {
    format!("{HOOK_EVENTS_PREFIX}{height:020}").into_bytes()
}

/// One hook call on a module, against its state for this block.
type HookCall<'c> = dyn Fn(&dyn Module, &mut TxState<'_>) -> Result<Vec<Event>, ModuleError> + 'c;

#[derive(Clone, Copy)]
pub(crate) enum Phase {
    Begin,
    End,
}

/// Runs one hook of one module against the block's state so far: its writes join the block
/// when it succeeds; a refusal or a panic is recorded as an event and changes nothing; a
/// storage failure aborts the block.
fn run_one(
    store: &Store,
    router: &Router,
    block_changes: &mut Changes,
    ctx: &BlockContext,
    module: &dyn Module,
    what: &str,
    call: &HookCall<'_>,
) -> Result<Vec<Event>, StoreError> {
    // Hooks act for no sender; they may not speak for the council.
    let tx_ctx = TxContext {
        sender: Address([0; 20]),
        tx_id: Hash::default(),
        height: ctx.height,
        index: 0,
        time_ms: ctx.time_ms,
        chain_id: ctx.chain_id.clone(),
    };
    let outcome = {
        let mut state = TxState {
            store,
            below: vec![&*block_changes],
            writes: Changes::new(),
            prefix: prefix_of(module.name()),
            router,
            ctx: &tx_ctx,
            as_council: true,
        };
        match panic::catch_unwind(AssertUnwindSafe(|| call(module, &mut state))) {
            Ok(Ok(events)) => Ok((events, state.finish())),
            Ok(Err(e)) => Err(Some(e)),
            Err(_) => Err(None),
        }
    };
    match outcome {
        Ok((events, writes)) => {
            block_changes.extend(writes);
            Ok(events)
        }
        Err(Some(ModuleError::Storage(e))) => Err(e),
        Err(failure) => {
            let code = failure.map_or_else(|| crate::execute::INTERNAL_ERROR_CODE.to_string(), |e| e.code());
            tracing::warn!(module = module.name(), what, %code, "a block hook failed; its writes are discarded");
            Ok(vec![Event::typed(&LedgerEvent::HookFailed {
                module: module.name().to_string(),
                hook: what.to_string(),
                code,
            })])
        }
    }
}

/// Every module's begin- or end-of-block hook, in module name order.
pub(crate) fn run_block_hooks(
    store: &Store,
    router: &Router,
    block_changes: &mut Changes,
    ctx: &BlockContext,
    phase: Phase,
) -> Result<Vec<Event>, StoreError> {
    let mut events = Vec::new();
    let view = BlockView { store, changes: block_changes };
    let active: Vec<&std::sync::Arc<dyn Module>> = router
        .modules()
        .map(|m| module_active(&view, m.as_ref(), ctx.height).map(|on| on.then_some(m)))
        .filter_map(Result::transpose)
        .collect::<Result<_, _>>()?;
    for module in active {
        let (what, call): (&str, &HookCall<'_>) = match phase {
            Phase::Begin => ("begin_block", &|m, s| m.begin_block(ctx, s)),
            Phase::End => ("end_block", &|m, s| m.end_block(ctx, s)),
        };
        events.extend(run_one(store, router, block_changes, ctx, module.as_ref(), what, call)?);
    }
    Ok(events)
}

/// The deadlines due at the block's time, oldest first, at most [`MAX_DEADLINES_PER_BLOCK`].
/// Each is removed as it runs, whether its handler succeeds or not.
pub(crate) fn run_due_deadlines(
    store: &Store,
    router: &Router,
    block_changes: &mut Changes,
    ctx: &BlockContext,
) -> Result<Vec<Event>, StoreError> {
    let rows = layered_scan(store, block_changes, &[], DEADLINES_PREFIX.as_bytes(), None, MAX_DEADLINES_PER_BLOCK)?;
    let mut events = Vec::new();
    for (k, _) in rows {
        let Some((at_ms, name, key)) = parse_deadline(&k) else {
            return Err(StoreError::Corrupt(format!("deadline key {} is malformed", String::from_utf8_lossy(&k))));
        };
        if at_ms > ctx.time_ms {
            break;
        }
        block_changes.insert(k, None);
        events.push(Event::typed(&LedgerEvent::Deadline { module: name.to_string(), at_ms }));
        let Some(module) = router.get(&name) else {
            // Written by a module this chain no longer runs: nothing to call.
            continue;
        };
        let call = |m: &dyn Module, s: &mut TxState<'_>| m.on_deadline(ctx, s, &key);
        events.extend(run_one(store, router, block_changes, ctx, module.as_ref(), "on_deadline", &call)?);
    }
    Ok(events)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn deadline_keys_sort_by_time_then_module_then_key_and_parse_back() {
        let a = deadline_key(5, b"vote/", b"poll-1");
        let b = deadline_key(5, b"wage/", b"\x00");
        let c = deadline_key(40, b"anchor/", b"z");
        assert!(a < b && b < c);
        assert_eq!(parse_deadline(&a), Some((5, "vote".into(), b"poll-1".to_vec())));
        assert_eq!(parse_deadline(&c), Some((40, "anchor".into(), b"z".to_vec())));
        for bad in
            [&b"ledger/deadlines/x/vote/00"[..], b"ledger/deadlines/5/vote", b"ledger/deadlines/5/vote/zz", b"other"]
        {
            assert_eq!(parse_deadline(bad), None, "{}", String::from_utf8_lossy(bad));
        }
    }
}
