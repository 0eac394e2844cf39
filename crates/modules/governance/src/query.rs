use dojang_ledger::{last_block, query_answer, query_number, ModuleError, StateRead};
use dojang_types::{Address, Date};
use serde_json::{json, Value};

use crate::council;
use crate::msg::Role;
use crate::proposal::{self, Proposal};
use crate::rules;
use crate::state;
use crate::views::{AccountView, CouncilView, ParamInForce, ProposalList, ProposalView, StagedCouncil};

const MAX_LIST: usize = 1000;

/// Read-only queries:
/// - `account/<address>`: the account's roles
/// - `role/<role>` with optional `{"after": address, "limit": n}`: accounts holding a role
/// - `param/<table>/<key>` with optional `{"as_of": "YYYY-MM-DD"}`: the version in force (or
///   the whole history without `as_of`)
/// - `params/<table>`: every key of a table with its history
/// - `council`: members, threshold, minimum size, a staged change
/// - `activations`: the modules and message versions the council switched on, and from when
/// - `proposal/<id>`: one proposal with who approved and rejected it, and its status
/// - `proposals` with optional `{"after": id, "limit": n}`: proposals, newest first below
///   `after`; with `{"open": true}`: those not yet closed, the soonest to expire first
pub fn query(state: &dyn StateRead, path: &str, params: &Value) -> Result<Value, ModuleError> {
    let parts: Vec<&str> = path.split('/').collect();
    match parts.as_slice() {
        ["activations"] => {
            let now = last_block(state)?.0;
            let list: Vec<Value> = state::activations(state, MAX_LIST)?
                .into_iter()
                .map(|a| json!({
                    "module": a.module,
                    "version": a.version,
                    "at_height": a.at_height,
                    "decided_at_height": a.decided_at_height,
                    "active": a.at_height <= now,
                }))
                .collect();
            Ok(json!({ "activations": list }))
        }
        ["council"] => {
            let rec = council::record(state)?;
            // The council that decides the next block.
            let now = last_block(state)?.0 + 1;
            let next = rec.next.as_ref().filter(|(from, _)| *from > now);
            query_answer(&CouncilView {
                account: council::council_account(),
                members: rec.at(now).members.iter().cloned().collect(),
                threshold: rec.at(now).threshold,
                min_members: rec.min_members,
                next: next.map(|(from, c)| StagedCouncil {
                    from_height: *from,
                    members: c.members.iter().cloned().collect(),
                    threshold: c.threshold,
                }),
            })
        }
        ["proposal", id] => {
            let id = parse_id(id)?;
            let p = proposal::get(state, id)?.ok_or_else(|| ModuleError::NotFound(format!("proposal {id}")))?;
            query_answer(&proposal_view(&p, last_block(state)?.1))
        }
        ["proposals"] => {
            let limit = query_number(params, "limit")?.unwrap_or(50).clamp(1, 200);
            let after = query_number(params, "after")?;
            let open_only = match params.get("open") {
                None => false,
                Some(Value::Bool(b)) => *b,
                Some(Value::String(s)) if s == "true" => true,
                Some(Value::String(s)) if s == "false" => false,
                Some(other) => {
                    return Err(ModuleError::InvalidMessage(format!("open must be true or false, not {other}")))
                }
            };
            let now = last_block(state)?.1;
            let ids: Vec<u64> = if open_only {
                if after.is_some() {
                    return Err(ModuleError::InvalidMessage("after pages the full list; the open list is one page".into()));
                }
                proposal::open_ids(state, limit as usize)?.into_iter().map(|(_, id)| id).collect()
            } else {
                let top = after.map_or_else(|| proposal::last_id(state), |a| Ok(a.saturating_sub(1)))?;
                (1..=top).rev().take(limit as usize).collect()
            };
            let mut list = Vec::with_capacity(ids.len());
            for id in ids {
                if let Some(p) = proposal::get(state, id)? {
                    list.push(proposal_view(&p, now));
                }
            }
            query_answer(&ProposalList { proposals: list })
        }
        ["account", addr] => {
            let a: Address = addr.parse().map_err(ModuleError::InvalidMessage)?;
            let rec = state::account(state, &a)?;
            query_answer(&AccountView { address: a, roles: rec.roles, label: rec.label })
        }
        ["role", role] => {
            let r = Role::parse(role).ok_or_else(|| ModuleError::InvalidMessage(format!("unknown role '{role}'")))?;
            let after = match params.get("after").and_then(Value::as_str) {
                Some(s) => Some(s.parse::<Address>().map_err(ModuleError::InvalidMessage)?),
                None => None,
            };
            let limit = query_number(params, "limit")?.unwrap_or(100).min(MAX_LIST as u64) as usize;
            let accounts = state::accounts_with_role(state, r, after.as_ref(), limit)?;
            Ok(json!({ "role": r, "accounts": accounts }))
        }
        ["param", table, key] => {
            let history = state::param_history(state, table, key)?;
            if history.versions.is_empty() {
                return Err(ModuleError::NotFound(format!("parameter {table}/{key}")));
            }
            match params.get("as_of").and_then(Value::as_str) {
                Some(date) => {
                    let d: Date = date.parse().map_err(ModuleError::InvalidMessage)?;
                    let v = rules::version_in_force(&history, d)
                        .ok_or_else(|| ModuleError::NotFound(format!("no version of {table}/{key} in force on {d}")))?;
                    query_answer(&ParamInForce { table: table.to_string(), key: key.to_string(), as_of: d, version: v.clone() })
                }
                None => Ok(json!({ "table": table, "key": key, "versions": history.versions })),
            }
        }
        ["params", table] => {
            let rows = state::param_table(state, table, MAX_LIST)?;
            let keys: serde_json::Map<String, Value> = rows.into_iter().map(|(k, h)| (k, json!(h.versions))).collect();
            Ok(json!({ "table": table, "keys": keys }))
        }
        _ => Err(ModuleError::NotFound(format!(
            "governance query '{path}' (known: account/<address>, role/<role>, param/<table>/<key>, params/<table>, council, proposal/<id>, proposals)"
        ))),
    }
}

fn proposal_view(p: &Proposal, now_ms: u64) -> ProposalView {
    ProposalView {
        id: p.id,
        status: p.status_at(now_ms).to_string(),
        outcome: p.status.clone(),
        proposer: p.proposer,
        proposal: p.proposal.clone(),
        reason: p.reason.clone(),
        expires_at_ms: p.expires_at_ms,
        height: p.height,
        time_ms: p.time_ms,
        approvals: p.approvals.clone(),
        rejections: p.rejections.clone(),
    }
}

fn parse_id(s: &str) -> Result<u64, ModuleError> {
    s.parse().map_err(|_| ModuleError::InvalidMessage(format!("proposal id '{s}' is not a number")))
}
