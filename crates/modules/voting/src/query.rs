//! Read-only queries, each with a proof through the node's API:
//! - `poll/<poll>`: the spec, status, key, trustees' verification keys, result;
//! - `tally/<poll>`: turnout (voters, ballots, credentials issued) and the encrypted totals;
//! - `board/<poll>/<tracking code>`: where a ballot is (VOTE-08);
//! - `dealing/<poll>/<trustee>`, `share/<poll>/<trustee>`;
//! - `complaint/<poll>/<dealer>`: the founded complaint that put a dealing out.

use dojang_ballot::{Complaint, Dealing, DecryptionShare};
use dojang_ledger::{ModuleError, StateRead};
use dojang_types::Hash;
use serde_json::{json, Value};

use crate::state::{self, BoardEntry, Poll, Tally};

fn trustee(t: &str) -> Result<u32, ModuleError> {
    t.parse().map_err(|_| ModuleError::InvalidMessage(format!("'{t}' is not a trustee number")))
}

pub fn query(state: &dyn StateRead, path: &str, _params: &Value) -> Result<Value, ModuleError> {
    let parts: Vec<&str> = path.split('/').collect();
    let found = |v: Option<Value>, what: String| v.ok_or(ModuleError::NotFound(what));
    match parts.as_slice() {
        ["poll", id] => {
            let p: Option<Poll> = state::read(state, &state::poll_key(id))?;
            found(p.map(|p| json!({"poll": p})), format!("poll {id}"))
        }
        ["tally", id] => {
            let t: Option<Tally> = state::read(state, &state::tally_key(id))?;
            found(t.map(|t| json!({"tally": t})), format!("the tally of poll {id}"))
        }
        ["board", id, code] => {
            let h: Hash = code
                .parse()
                .map_err(|_| ModuleError::InvalidMessage(format!("'{code}' is not a tracking code (64 hex)")))?;
            let e: Option<BoardEntry> = state::read(state, &state::board_key(id, &h))?;
            found(e.map(|e| json!({"ballot": e})), format!("ballot {code} in poll {id}"))
        }
        ["dealing", id, t] => {
            let d: Option<Dealing> = state::read(state, &state::dealing_key(id, trustee(t)?))?;
            found(d.map(|d| json!({"dealing": d})), format!("trustee {t}'s dealing in poll {id}"))
        }
        ["complaint", id, t] => {
            let c: Option<Complaint> = state::read(state, &state::complaint_key(id, trustee(t)?))?;
            found(c.map(|c| json!({"complaint": c})), format!("a founded complaint about trustee {t}'s dealing in poll {id}"))
        }
        ["share", id, t] => {
            let s: Option<DecryptionShare> = state::read(state, &state::share_key(id, trustee(t)?))?;
            found(s.map(|s| json!({"share": s})), format!("trustee {t}'s share in poll {id}"))
        }
        _ => Err(ModuleError::InvalidMessage(format!(
            "unknown voting query '{path}' (poll/<poll>, tally/<poll>, board/<poll>/<code>, dealing/<poll>/<n>, complaint/<poll>/<n>, share/<poll>/<n>)"
        ))),
    }
}
