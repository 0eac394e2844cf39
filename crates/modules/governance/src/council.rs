//! The council: the member agencies whose approvals change who decides and whom the platform
//! trusts, and the threshold of approvals that makes a change. A change of the council itself
//! is staged for the next block, so no proposal is ever counted under rules that changed in
//! the block it passes in (GOV-13).

use std::collections::BTreeSet;

use dojang_ledger::{read_module_record, read_record, write_record, ModuleError, StateRead, StateWrite};
use dojang_types::{sha256, Address};
use serde::{Deserialize, Serialize};

use crate::msg::CouncilSpec;
use crate::rules::{self, RuleViolation};

const COUNCIL_KEY: &[u8] = b"council";

/// The council's own account: passed proposals execute in its name. It is a hash of a fixed
/// label, not of a key, so no one can sign a transaction from it.
pub fn council_account() -> Address {
    let h = sha256(&[b"dojang/governance/council/v1"]);
    let mut a = [0u8; 20];
    a.copy_from_slice(&h.0[..20]);
    Address(a)
}

/// A council in force.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Council {
    pub members: BTreeSet<Address>,
    pub threshold: u32,
}

impl Council {
    pub fn is_member(&self, a: &Address) -> bool {
        self.members.contains(a)
    }

    /// How many of `voters` are members now: a member removed since voting no longer counts.
    pub fn count(&self, voters: impl IntoIterator<Item = Address>) -> u32 {
        voters.into_iter().filter(|a| self.members.contains(a)).count() as u32
    }
}

/// The council record: the council in force, the next one if a change is staged, and the
/// smallest size genesis allows.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CouncilRecord {
    pub current: Council,
    pub min_members: u32,
    /// A council change passed in some block, in force from this height.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub next: Option<(u64, Council)>,
}

impl CouncilRecord {
    /// The council that decides in block `height`.
    pub fn at(&self, height: u64) -> &Council {
        match &self.next {
            Some((from, next)) if *from <= height => next,
            _ => &self.current,
        }
    }
}

/// Turns a member list into a council after checking it is workable (GOV-11).
pub fn council_from_spec(spec: &CouncilSpec, min_members: u32) -> Result<Council, RuleViolation> {
    rules::council_is_workable(&spec.members, spec.threshold, min_members)?;
    Ok(Council { members: spec.members.iter().copied().collect(), threshold: spec.threshold })
}

pub fn record(state: &dyn StateRead) -> Result<CouncilRecord, ModuleError> {
    read_record(state, COUNCIL_KEY)?.ok_or_else(|| {
        ModuleError::Storage(dojang_ledger::StoreError::Corrupt(
            "governance state has no council (every genesis names one)".into(),
        ))
    })
}

/// Whether `a` is a member of the council deciding the block in progress (during execution)
/// or the next block (at admission): the block after the latest one the ledger recorded.
/// Read through the cross-module door, so it works from any module's state view.
pub fn is_member_now(state: &dyn StateRead, a: &Address) -> Result<bool, ModuleError> {
    let Some(rec) = read_module_record::<CouncilRecord>(state, crate::NAME, COUNCIL_KEY)? else {
        return Ok(false);
    };
    let (height, _) = dojang_ledger::last_block(state)?;
    Ok(rec.at(height + 1).is_member(a))
}

/// Writes the council record.
pub fn put_record(state: &mut dyn StateWrite, record: &CouncilRecord) {
    write_record(state, COUNCIL_KEY, record);
}

/// Stages `next` to take over from `height + 1` (GOV-13), first settling a change that is
/// already due.
pub fn stage(state: &mut dyn StateWrite, height: u64, next: Council) -> Result<(), ModuleError> {
    let mut rec = record(state)?;
    rec.current = rec.at(height).clone();
    rec.next = Some((height + 1, next));
    put_record(state, &rec);
    Ok(())
}
