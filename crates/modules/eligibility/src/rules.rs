//! Program-registry rules (PRG-xx), pure functions. The service rules ELIG-01..07 (docs/domain.md
//! §1) are enforced by the verifier and the evaluator; these keep the on-chain records sound.

use std::collections::HashSet;

use dojang_credentials::DcqlQuery;
use dojang_types::{is_plain_name, sha256, Hash};

use crate::ruleset::RuleSet;

pub type Verdict = Result<(), String>;

/// PRG-01: a program has a plain id, a short name, a window that closes after it opens, and a
/// quota of at least one.
pub fn program_is_well_formed(id: &str, name: &str, opens_ms: u64, closes_ms: u64, quota: u32) -> Verdict {
    if !is_plain_name(id, 64) {
        return Err(format!("PRG-01: program id '{id}' must be 1-64 characters of a-z, 0-9, '_', '.', '-'"));
    }
    if name.trim().is_empty() || name.chars().count() > 100 {
        return Err("PRG-01: a program's name is 1-100 characters".into());
    }
    if closes_ms <= opens_ms {
        return Err("PRG-01: the application window must close after it opens".into());
    }
    if quota == 0 {
        return Err("PRG-01: the quota must be at least 1".into());
    }
    Ok(())
}

/// PRG-02: a rule set has 1-64 conditions with distinct plain ids and stated reasons, and every
/// claim it reads is one its program's policy lets the office see (a rule can never need more
/// than the registered policy; ELIG-04).
pub fn ruleset_fits_policy(rules: &RuleSet, policy: &DcqlQuery) -> Verdict {
    if rules.conditions.is_empty() || rules.conditions.len() > 64 {
        return Err("PRG-02: a rule set has 1 to 64 conditions".into());
    }
    let mut ids = HashSet::new();
    for c in &rules.conditions {
        if !is_plain_name(&c.id, 64) || !ids.insert(c.id.as_str()) {
            return Err(format!("PRG-02: condition id '{}' must be a plain name, used once", c.id));
        }
        if c.reason.trim().is_empty() || c.reason.chars().count() > 160 {
            return Err(format!("PRG-02: condition '{}' needs a reason of 1-160 characters", c.id));
        }
        let query = policy.credentials.iter().find(|q| q.id == c.credential).ok_or_else(|| {
            format!(
                "PRG-02: condition '{}' reads credential '{}', which the policy does not ask for",
                c.id, c.credential
            )
        })?;
        let path: Vec<serde_json::Value> = c.claim.iter().map(|s| serde_json::Value::from(s.as_str())).collect();
        if !query.claims.iter().any(|q| q.path == path) {
            return Err(format!(
                "PRG-02: condition '{}' reads claim {:?}, which the policy does not allow",
                c.id, c.claim
            ));
        }
    }
    Ok(())
}

/// PRG-03: rule-set versions go up by one.
pub fn version_follows(published: u32, version: u32) -> Verdict {
    if version == published + 1 {
        Ok(())
    } else {
        Err(format!("PRG-03: the next rule-set version is {}, not {version}", published + 1))
    }
}

/// PRG-04: the lottery seed is revealed once, after the window closed, and matches the
/// commitment made before it (so the office could not choose it after seeing applicants).
pub fn seed_reveal_is_valid(commitment: &Hash, seed: &Hash, revealed: bool, closes_ms: u64, now_ms: u64) -> Verdict {
    if revealed {
        return Err("PRG-04: the seed was already revealed".into());
    }
    if now_ms < closes_ms {
        return Err("PRG-04: the seed may be revealed only after the application window closes".into());
    }
    if &sha256(&[&seed.0]) != commitment {
        return Err("PRG-04: the seed does not match the commitment made at registration".into());
    }
    Ok(())
}

/// PRG-05: a decision batch has at least one leaf.
pub fn batch_is_valid(leaves: u64) -> Verdict {
    if (1..=1 << 32).contains(&leaves) {
        Ok(())
    } else {
        Err(format!("PRG-05: a decision batch has 1 to 2^32 leaves, not {leaves}"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn prg01_programs() {
        assert!(program_is_well_formed("public-works.2026-h1", "Public works jobs", 1, 2, 100).is_ok());
        assert!(program_is_well_formed("Public Works", "x", 1, 2, 1).is_err());
        assert!(program_is_well_formed("p", "", 1, 2, 1).is_err());
        assert!(program_is_well_formed("p", "x", 2, 2, 1).is_err());
        assert!(program_is_well_formed("p", "x", 1, 2, 0).unwrap_err().starts_with("PRG-01"));
    }

    #[test]
    fn prg02_rules_stay_within_the_policy() {
        let policy = DcqlQuery::parse(&json!({"credentials": [{"id": "income", "format": "dc+sd-jwt",
            "meta": {"vct_values": ["urn:x"]}, "claims": [{"path": ["income_le_65pct"]}]}]}))
        .unwrap();
        let ok: RuleSet = serde_json::from_value(json!({"conditions": [{"id": "income", "credential": "income",
            "claim": ["income_le_65pct"], "op": "equals", "value": true, "reason": "income too high"}]}))
        .unwrap();
        assert!(ruleset_fits_policy(&ok, &policy).is_ok());
        let mut beyond = ok.clone();
        beyond.conditions[0].claim = vec!["monthly_income_krw".into()];
        assert!(ruleset_fits_policy(&beyond, &policy).unwrap_err().starts_with("PRG-02"));
        let mut other = ok.clone();
        other.conditions[0].credential = "health".into();
        assert!(ruleset_fits_policy(&other, &policy).is_err());
        let mut twice = ok.clone();
        twice.conditions.push(ok.conditions[0].clone());
        assert!(ruleset_fits_policy(&twice, &policy).is_err());
        let empty = RuleSet { conditions: vec![], ..ok };
        assert!(ruleset_fits_policy(&empty, &policy).is_err());
    }

    #[test]
    fn prg03_and_prg04() {
        assert!(version_follows(0, 1).is_ok());
        assert!(version_follows(1, 1).is_err());
        let seed = sha256(&[b"seed"]);
        let commitment = sha256(&[&seed.0]);
        assert!(seed_reveal_is_valid(&commitment, &seed, false, 100, 100).is_ok());
        assert!(seed_reveal_is_valid(&commitment, &seed, false, 100, 99).is_err(), "before close");
        assert!(seed_reveal_is_valid(&commitment, &seed, true, 100, 200).is_err(), "twice");
        assert!(seed_reveal_is_valid(&commitment, &sha256(&[b"other"]), false, 100, 200)
            .unwrap_err()
            .starts_with("PRG-04"));
        assert!(batch_is_valid(0).is_err() && batch_is_valid(1).is_ok());
    }
}
