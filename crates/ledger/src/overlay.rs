use std::collections::BTreeMap;

use dojang_store::{Entries, Store, StoreError};

use dojang_types::{Event, Validator};

use crate::activation::{activation_key, check_activation, message_active};
use crate::hooks::deadline_key;
use crate::module::{ModuleError, StateRead, StateWrite, TxContext, MAX_DEADLINE_KEY};
use crate::router::{prefix_of, Router};
use crate::validators::{decode_set, encode_set, with_update, ValidatorUpdate, VALIDATORS_KEY};

/// Pending writes: `Some(value)` to set, `None` to delete.
pub(crate) type Changes = BTreeMap<Vec<u8>, Option<Vec<u8>>>;

/// Reads that see `top` over `below` (newest first) over the committed store.
fn layered_get(store: &Store, top: &Changes, below: &[&Changes], key: &[u8]) -> Result<Option<Vec<u8>>, StoreError> {
    for layer in std::iter::once(top).chain(below.iter().copied()) {
        if let Some(v) = layer.get(key) {
            return Ok(v.clone());
        }
    }
    store.get_state(key)
}

pub(crate) fn layered_scan(
    store: &Store,
    top: &Changes,
    below: &[&Changes],
    prefix: &[u8],
    start_after: Option<&[u8]>,
    limit: usize,
) -> Result<Entries, StoreError> {
    let layers: Vec<&Changes> = std::iter::once(top).chain(below.iter().copied()).collect();
    // Overlay deletions may hide committed entries, so read enough committed entries to fill
    // `limit` after hiding, then merge.
    let hidden = layers.iter().map(|l| l.len()).sum::<usize>();
    let mut merged: BTreeMap<Vec<u8>, Option<Vec<u8>>> = store
        .scan_prefix(prefix, start_after, limit.saturating_add(hidden))?
        .into_iter()
        .map(|(k, v)| (k, Some(v)))
        .collect();
    for layer in layers.iter().rev() {
        for (k, v) in layer.range(prefix.to_vec()..) {
            if !k.starts_with(prefix) {
                break;
            }
            if start_after.is_some_and(|s| k.as_slice() <= s) {
                continue;
            }
            merged.insert(k.clone(), v.clone());
        }
    }
    Ok(merged.into_iter().filter_map(|(k, v)| v.map(|v| (k, v))).take(limit).collect())
}

/// State seen by one transaction: its own writes over the layers below (the block's writes,
/// and the proposal's transaction when the council executes a message) over the store.
/// Dropping it discards the transaction's writes; [`TxState::finish`] hands them back.
pub(crate) struct TxState<'a> {
    pub store: &'a Store,
    pub below: Vec<&'a Changes>,
    pub writes: Changes,
    pub prefix: Vec<u8>,
    pub router: &'a Router,
    pub ctx: &'a TxContext,
    /// Whether this state already belongs to a message the council executes (no deeper).
    pub as_council: bool,
}

impl TxState<'_> {
    fn full(&self, key: &[u8]) -> Vec<u8> {
        [self.prefix.as_slice(), key].concat()
    }

    fn read(&self, full_key: &[u8]) -> Result<Option<Vec<u8>>, StoreError> {
        layered_get(self.store, &self.writes, &self.below, full_key)
    }

    pub fn finish(self) -> Changes {
        self.writes
    }
}

impl StateRead for TxState<'_> {
    fn get(&self, key: &[u8]) -> Result<Option<Vec<u8>>, StoreError> {
        self.read(&self.full(key))
    }

    fn scan(&self, prefix: &[u8], start_after: Option<&[u8]>, limit: usize) -> Result<Entries, StoreError> {
        let full_after = start_after.map(|s| self.full(s));
        let rows =
            layered_scan(self.store, &self.writes, &self.below, &self.full(prefix), full_after.as_deref(), limit)?;
        let n = self.prefix.len();
        Ok(rows.into_iter().map(|(k, v)| (k[n..].to_vec(), v)).collect())
    }

    fn read_module(&self, module: &str, key: &[u8]) -> Result<Option<Vec<u8>>, StoreError> {
        self.read(&[prefix_of(module).as_slice(), key].concat())
    }
}

impl StateWrite for TxState<'_> {
    fn put(&mut self, key: &[u8], value: Vec<u8>) {
        let k = self.full(key);
        self.writes.insert(k, Some(value));
    }

    fn delete(&mut self, key: &[u8]) {
        let k = self.full(key);
        self.writes.insert(k, None);
    }

    fn update_validator(&mut self, update: &ValidatorUpdate) -> Result<Vec<Validator>, ModuleError> {
        let current = self.read(VALIDATORS_KEY)?.ok_or_else(|| ModuleError::Rejected {
            code: "validator_set_missing".into(),
            reason: "this chain's state has no validator set (created before validator changes existed)".into(),
        })?;
        let set = with_update(&decode_set(&current)?, update)
            .map_err(|reason| ModuleError::Rejected { code: "validator_set".into(), reason })?;
        self.writes.insert(VALIDATORS_KEY.to_vec(), Some(encode_set(&set)));
        Ok(set)
    }

    fn validator_sets(&self) -> Result<(Vec<Validator>, Vec<Validator>), ModuleError> {
        let missing = || ModuleError::Rejected {
            code: "validator_set_missing".into(),
            reason: "this chain's state has no validator set (created before validator changes existed)".into(),
        };
        let start = self.store.get_state(VALIDATORS_KEY)?.ok_or_else(missing)?;
        let now = self.read(VALIDATORS_KEY)?.ok_or_else(missing)?;
        Ok((decode_set(&start)?, decode_set(&now)?))
    }

    fn schedule(&mut self, at_ms: u64, key: &[u8]) -> Result<(), ModuleError> {
        if key.len() > MAX_DEADLINE_KEY {
            return Err(ModuleError::InvalidMessage(format!(
                "a deadline key is at most {MAX_DEADLINE_KEY} bytes, not {}",
                key.len()
            )));
        }
        self.writes.insert(deadline_key(at_ms, &self.prefix, key), Some(Vec::new()));
        Ok(())
    }

    fn unschedule(&mut self, at_ms: u64, key: &[u8]) {
        self.writes.insert(deadline_key(at_ms, &self.prefix, key), None);
    }

    fn activate(&mut self, module: &str, version: Option<&str>, at_height: u64) -> Result<(), ModuleError> {
        let by_council = self.as_council && self.router.council_account() == Some(self.ctx.sender);
        if !by_council || self.router.authority_module().map(prefix_of) != Some(self.prefix.clone()) {
            return Err(ModuleError::Unauthorized(
                "only the council, through the module that keeps it, activates a module".into(),
            ));
        }
        let m = self.router.get(module).map(|m| m.as_ref());
        check_activation(self, m, module, version, at_height, self.ctx.height)?;
        let key = [b"ledger/".as_slice(), &activation_key(module, version)].concat();
        self.writes.insert(key, Some(at_height.to_be_bytes().to_vec()));
        Ok(())
    }

    fn execute_as_council(&mut self, module: &str, msg: &[u8]) -> Result<Vec<Event>, ModuleError> {
        if self.as_council {
            return Err(ModuleError::Unauthorized("a message the council executes cannot execute another".into()));
        }
        if self.router.authority_module().map(prefix_of) != Some(self.prefix.clone()) {
            return Err(ModuleError::Unauthorized(
                "only the module that keeps the council executes messages in its name".into(),
            ));
        }
        let council = self
            .router
            .council_account()
            .ok_or_else(|| ModuleError::Unauthorized("this chain has no council".into()))?;
        let m = self
            .router
            .council_message(module, msg)
            .map_err(|reason| ModuleError::InvalidMessage(format!("the council was asked to execute {reason}")))?;
        if let Err(off) = message_active(self, m.as_ref(), msg, self.ctx.height)? {
            return Err(ModuleError::Rejected { code: "not_active".into(), reason: off.to_string() });
        }
        let ctx = TxContext { sender: council, ..self.ctx.clone() };
        let mut below = Vec::with_capacity(self.below.len() + 1);
        below.push(&self.writes);
        below.extend(self.below.iter().copied());
        let mut inner = TxState {
            store: self.store,
            below,
            writes: Changes::new(),
            prefix: prefix_of(module),
            router: self.router,
            ctx: &ctx,
            as_council: true,
        };
        let events = m.execute(&ctx, &mut inner, msg)?;
        let writes = inner.finish();
        self.writes.extend(writes);
        Ok(events)
    }
}

/// The block's state so far (its writes over the committed store), read with full keys: what
/// the ledger itself consults between transactions (which modules are on).
pub(crate) struct BlockView<'a> {
    pub store: &'a Store,
    pub changes: &'a Changes,
}

impl StateRead for BlockView<'_> {
    fn get(&self, key: &[u8]) -> Result<Option<Vec<u8>>, StoreError> {
        layered_get(self.store, self.changes, &[], key)
    }

    fn scan(&self, prefix: &[u8], start_after: Option<&[u8]>, limit: usize) -> Result<Entries, StoreError> {
        layered_scan(self.store, self.changes, &[], prefix, start_after, limit)
    }

    fn read_module(&self, module: &str, key: &[u8]) -> Result<Option<Vec<u8>>, StoreError> {
        self.get(&[prefix_of(module).as_slice(), key].concat())
    }
}

/// Committed state under a module prefix, for queries.
pub(crate) struct CommittedView<'a> {
    pub store: &'a Store,
    pub prefix: Vec<u8>,
}

impl StateRead for CommittedView<'_> {
    fn get(&self, key: &[u8]) -> Result<Option<Vec<u8>>, StoreError> {
        self.store.get_state(&[self.prefix.as_slice(), key].concat())
    }

    fn scan(&self, prefix: &[u8], start_after: Option<&[u8]>, limit: usize) -> Result<Entries, StoreError> {
        let full_after = start_after.map(|s| [self.prefix.as_slice(), s].concat());
        let rows = self.store.scan_prefix(&[self.prefix.as_slice(), prefix].concat(), full_after.as_deref(), limit)?;
        let n = self.prefix.len();
        Ok(rows.into_iter().map(|(k, v)| (k[n..].to_vec(), v)).collect())
    }

    fn read_module(&self, module: &str, key: &[u8]) -> Result<Option<Vec<u8>>, StoreError> {
        self.store.get_state(&[prefix_of(module).as_slice(), key].concat())
    }
}
