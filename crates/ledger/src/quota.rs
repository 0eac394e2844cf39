//! Per-account quotas: how many transactions one account may have in one block and may submit
//! to this node in one minute, by role. A leaked or buggy agency key cannot crowd everyone
//! else out of the chain, and a citizen's key cannot flood it.

use std::collections::{BTreeMap, HashMap};

use dojang_types::Address;
use serde::{Deserialize, Serialize};

/// One account's allowance.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Quota {
    /// Transactions of one account in one block this node proposes; the rest wait for the
    /// next block.
    pub per_block: u32,
    /// Transactions one account may submit to this node in one minute of its clock.
    pub per_minute: u32,
}

/// Quotas by role. An account with several roles gets the most generous allowance among
/// them; an account with none (a citizen) gets `default`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct QuotaConfig {
    pub default: Quota,
    #[serde(default)]
    pub roles: BTreeMap<String, Quota>,
}

impl Default for QuotaConfig {
    fn default() -> Self {
        let agency = Quota { per_block: 5_000, per_minute: 600_000 };
        QuotaConfig {
            default: Quota { per_block: 20, per_minute: 120 },
            roles: ["admin", "operator", "issuer", "verifier", "auditor"]
                .into_iter()
                .map(|r| (r.to_string(), agency))
                .collect(),
        }
    }
}

impl QuotaConfig {
    /// The allowance of an account holding `roles`.
    pub fn for_roles(&self, roles: &[&str]) -> Quota {
        roles
            .iter()
            .filter_map(|r| self.roles.get(*r))
            .fold(None, |best: Option<Quota>, q| {
                Some(match best {
                    None => *q,
                    Some(b) => {
                        Quota { per_block: b.per_block.max(q.per_block), per_minute: b.per_minute.max(q.per_minute) }
                    }
                })
            })
            .unwrap_or(self.default)
    }
}

/// Submissions per account in the current minute of this node's clock. Only the current
/// minute is kept, so memory is bounded by the accounts active in one minute (and those by
/// the mempool's and the gateway's own bounds).
#[derive(Debug, Default)]
pub(crate) struct MinuteCounter {
    minute: u64,
    counts: HashMap<Address, u32>,
}

impl MinuteCounter {
    /// Counts one submission, or refuses it when the account has used its minute.
    pub fn admit(&mut self, now_ms: u64, account: Address, limit: u32) -> Result<(), u32> {
        let minute = now_ms / 60_000;
        if minute != self.minute {
            self.minute = minute;
            self.counts.clear();
        }
        let count = self.counts.entry(account).or_default();
        if *count >= limit {
            return Err(limit);
        }
        *count += 1;
        Ok(())
    }

    /// Gives back a submission that was counted but then refused for another reason.
    pub fn undo(&mut self, account: &Address) {
        if let Some(c) = self.counts.get_mut(account) {
            *c = c.saturating_sub(1);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_most_generous_role_wins_and_citizens_get_the_default() {
        let q = QuotaConfig::default();
        assert_eq!(q.for_roles(&[]), q.default);
        assert_eq!(q.for_roles(&["unknown"]), q.default);
        let mut c = q.clone();
        c.roles.insert("auditor".into(), Quota { per_block: 3, per_minute: 900 });
        c.roles.insert("issuer".into(), Quota { per_block: 7, per_minute: 100 });
        assert_eq!(c.for_roles(&["auditor", "issuer"]), Quota { per_block: 7, per_minute: 900 });
    }

    #[test]
    fn a_minute_allows_its_limit_then_refuses_until_the_next_minute() {
        let mut m = MinuteCounter::default();
        let a = Address([1; 20]);
        let b = Address([2; 20]);
        for _ in 0..3 {
            m.admit(60_000, a, 3).unwrap();
        }
        assert_eq!(m.admit(60_500, a, 3), Err(3));
        m.admit(60_500, b, 3).unwrap();
        m.undo(&a);
        m.admit(61_000, a, 3).unwrap();
        assert_eq!(m.admit(119_999, a, 3), Err(3));
        m.admit(120_000, a, 3).unwrap();
        assert_eq!(m.counts.len(), 1, "only the current minute is kept");
    }
}
