use dojang_ledger::{BlockContext, ModuleError, Permit, StateWrite, TxContext};
use dojang_types::{Address, Event};

use crate::events::CollectionsEvent;
use crate::msg::CollectionsMsg;
use crate::rules::{self, DAY_MS};
use crate::state::{self, Collection, Purge, Record};

fn invalid(reason: String) -> ModuleError {
    ModuleError::InvalidMessage(reason)
}

/// The rules that need no state (COL-01 names, COL-02 definitions) and who may send each
/// message: defining who holds personal records is the council's (COL-03); recording and
/// asking for erasure are members' (checked against the collection, COL-04, COL-06).
pub fn check(msg: &CollectionsMsg) -> Result<Permit, ModuleError> {
    match msg {
        CollectionsMsg::Define { id, members, erasure_approvals, retention_days } => {
            rules::id_is_valid(id).map_err(invalid)?;
            rules::definition_is_valid(members, *erasure_approvals, *retention_days).map_err(invalid)?;
            Ok(Permit::Council)
        }
        CollectionsMsg::Record { collection, key, .. } | CollectionsMsg::RequestErasure { collection, key } => {
            rules::id_is_valid(collection).map_err(invalid)?;
            rules::key_is_valid(key).map_err(invalid)?;
            Ok(Permit::OwnRules)
        }
    }
}

pub fn execute(ctx: &TxContext, state: &mut dyn StateWrite, msg: CollectionsMsg) -> Result<Vec<Event>, ModuleError> {
    match msg {
        CollectionsMsg::Define { id, members, erasure_approvals, retention_days } => {
            if state::collection(state, &id)?.is_some() {
                return Err(ModuleError::by_rule(format!("COL-03: collection '{id}' is already defined")));
            }
            let n = members.len();
            let c = Collection { members, erasure_approvals, retention_days, defined_at_height: ctx.height };
            state::put_collection(state, &id, &c);
            Ok(vec![Event::typed(&CollectionsEvent::CollectionDefined {
                collection: id,
                members: n as u64,
                retention_days,
            })])
        }
        CollectionsMsg::Record { collection, key, commitment } => {
            let c = member_collection(state, &collection, &ctx.sender)?;
            if state::record(state, &collection, &key)?.is_some() {
                return Err(ModuleError::by_rule(format!(
                    "COL-04: '{collection}/{key}' is already recorded; an amendment is a new key"
                )));
            }
            let purge_at_ms = ctx.time_ms.saturating_add(u64::from(c.retention_days) * DAY_MS);
            state.schedule(purge_at_ms, &rules::deadline_key(&collection, &key))?;
            let r = Record {
                commitment,
                recorded_by: ctx.sender,
                height: ctx.height,
                time_ms: ctx.time_ms,
                purge_at_ms,
                erasure_requests: Vec::new(),
                purged: None,
            };
            state::put_record(state, &collection, &key, &r);
            Ok(vec![Event::typed(&CollectionsEvent::Recorded { collection, key, commitment, purge_at_ms })])
        }
        CollectionsMsg::RequestErasure { collection, key } => {
            let c = member_collection(state, &collection, &ctx.sender)?;
            let mut r = live_record(state, &collection, &key)?;
            if r.erasure_requests.contains(&ctx.sender) {
                return Err(ModuleError::Rejected {
                    code: "already_requested".into(),
                    reason: format!("{} already asked to erase '{collection}/{key}'", ctx.sender),
                });
            }
            r.erasure_requests.push(ctx.sender);
            let mut events = vec![Event::typed(&CollectionsEvent::ErasureRequested {
                collection: collection.clone(),
                key: key.clone(),
                by: ctx.sender,
                requests: r.erasure_requests.len() as u64,
                needed: c.erasure_approvals,
            })];
            if r.erasure_requests.len() >= c.erasure_approvals as usize {
                state.unschedule(r.purge_at_ms, &rules::deadline_key(&collection, &key));
                events.push(purge(state, &collection, &key, r, ctx.height, "erasure"));
            } else {
                state::put_record(state, &collection, &key, &r);
            }
            Ok(events)
        }
    }
}

/// COL-06: a record whose retention ended is purged in the first block past its time.
pub fn retention_ended(ctx: &BlockContext, state: &mut dyn StateWrite, key: &[u8]) -> Result<Vec<Event>, ModuleError> {
    let Some((collection, key)) = rules::parse_deadline_key(key) else {
        return Err(ModuleError::InvalidMessage("a retention deadline with a malformed key".into()));
    };
    let (collection, key) = (collection.to_string(), key.to_string());
    match state::record(state, &collection, &key)? {
        Some(r) if r.purged.is_none() => Ok(vec![purge(state, &collection, &key, r, ctx.height, "retention")]),
        _ => Ok(Vec::new()),
    }
}

fn purge(state: &mut dyn StateWrite, collection: &str, key: &str, mut r: Record, height: u64, reason: &str) -> Event {
    r.purged = Some(Purge { height, reason: reason.into() });
    state::put_record(state, collection, key, &r);
    Event::typed(&CollectionsEvent::Purged { collection: collection.into(), key: key.into(), reason: reason.into() })
}

/// The collection, if `sender` is one of its members (COL-04).
fn member_collection(state: &dyn StateWrite, id: &str, sender: &Address) -> Result<Collection, ModuleError> {
    let c = state::collection(state, id)?.ok_or_else(|| ModuleError::Rejected {
        code: "unknown_collection".into(),
        reason: format!("no collection '{id}'"),
    })?;
    if !c.is_member(sender) {
        return Err(ModuleError::by_rule(format!("COL-04: {sender} is not a member of collection '{id}'")));
    }
    Ok(c)
}

/// The record, if it exists and is not purged (COL-06: a purge is final).
fn live_record(state: &dyn StateWrite, collection: &str, key: &str) -> Result<Record, ModuleError> {
    let r = state::record(state, collection, key)?
        .ok_or_else(|| ModuleError::NotFound(format!("record '{collection}/{key}'")))?;
    if r.purged.is_some() {
        return Err(ModuleError::by_rule(format!("COL-06: '{collection}/{key}' is already purged")));
    }
    Ok(r)
}
