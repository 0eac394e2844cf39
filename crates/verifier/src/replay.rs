//! Appeal replay (ELIG-07): a recorded decision is run again through the rule-set version it
//! names, read from the chain. The office keeps no claim values (ELIG-06: one bit per
//! condition), so the replay checks what the record can show: that the rule set's conditions
//! are the ones the decision recorded, in order, and that those recorded results lead, by the
//! rule set's own logic and its handling of revoked credentials and suspended issuers, to the
//! recorded outcome. A mismatch means the record or the rule set is not what decided it.

use std::collections::BTreeSet;

use dojang_eligibility::ruleset::Handling;
use dojang_eligibility::{Outcome, RuleSet};

use crate::record::DecisionCore;

/// What the replay found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Replay {
    /// The rule set leads from the recorded condition results to the recorded outcome.
    Agrees,
    /// It does not; the reason says where they part.
    Disagrees(String),
}

/// The failure ids a status or issuer check records instead of condition results.
const STATUS: &str = "credential_status";
const ISSUER: &str = "issuer_accreditation";

/// Replays `decision` under `rules` (the version the decision names).
pub fn replay(decision: &DecisionCore, rules: &RuleSet) -> Replay {
    let recorded: Vec<&str> = decision.conditions.iter().map(|(id, _)| id.as_str()).collect();
    if recorded.is_empty() {
        return replay_without_conditions(&decision.outcome, rules);
    }
    let expected: Vec<&str> = rules.conditions.iter().map(|c| c.id.as_str()).collect();
    if recorded != expected {
        return Replay::Disagrees(format!(
            "the decision recorded conditions {recorded:?}, the rule set has {expected:?}"
        ));
    }
    let failed: BTreeSet<&str> = decision.conditions.iter().filter(|(_, ok)| !ok).map(|(id, _)| id.as_str()).collect();
    match &decision.outcome {
        Outcome::Eligible if failed.is_empty() => Replay::Agrees,
        Outcome::Eligible => Replay::Disagrees(format!("recorded as eligible, but conditions {failed:?} failed")),
        Outcome::NotEligible { failed: told } => {
            let told: BTreeSet<&str> = told.iter().map(|f| f.id.as_str()).collect();
            if failed.is_empty() {
                Replay::Disagrees("recorded as not eligible, but every condition held".into())
            } else if told != failed {
                Replay::Disagrees(format!(
                    "the applicant was told {told:?} failed; the recorded results say {failed:?}"
                ))
            } else {
                Replay::Agrees
            }
        }
        Outcome::ManualReview { .. } => {
            Replay::Disagrees("sent to manual review although every condition was evaluated".into())
        }
    }
}

/// A decision with no condition results was decided by a credential's status or its issuer's
/// standing, as the rule set says to handle them.
fn replay_without_conditions(outcome: &Outcome, rules: &RuleSet) -> Replay {
    let handled = |h: Handling| {
        matches!(
            (h, outcome),
            (Handling::Reject, Outcome::NotEligible { .. }) | (Handling::ManualReview, Outcome::ManualReview { .. })
        )
    };
    match outcome {
        Outcome::NotEligible { failed } if failed.len() == 1 && failed[0].id == STATUS => {
            if handled(rules.on_credential_revoked) {
                Replay::Agrees
            } else {
                Replay::Disagrees("the rule set sends a revoked credential to manual review, not rejection".into())
            }
        }
        Outcome::NotEligible { failed } if failed.len() == 1 && failed[0].id == ISSUER => {
            if handled(rules.on_issuer_suspended) {
                Replay::Agrees
            } else {
                Replay::Disagrees("the rule set sends a suspended issuer to manual review, not rejection".into())
            }
        }
        Outcome::ManualReview { .. } => {
            if handled(rules.on_credential_revoked) || handled(rules.on_issuer_suspended) {
                Replay::Agrees
            } else {
                Replay::Disagrees("the rule set sends no status or issuer problem to manual review".into())
            }
        }
        _ if rules.conditions.is_empty() && *outcome == Outcome::Eligible => Replay::Agrees,
        _ => Replay::Disagrees("the decision recorded no condition results".into()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use dojang_eligibility::ruleset::Failed;
    use serde_json::json;

    fn rules() -> RuleSet {
        serde_json::from_value(json!({"conditions": [
            {"id": "income", "credential": "income", "claim": ["income_le_65pct"], "op": "equals", "value": true, "reason": "income above 65%"},
            {"id": "household", "credential": "income", "claim": ["household_size"], "op": "at_least", "value": 1, "reason": "no household"},
        ]}))
        .unwrap()
    }

    fn decision(conditions: &[(&str, bool)], outcome: Outcome) -> DecisionCore {
        DecisionCore {
            program: "p".into(),
            seq: 1,
            policy: "pol".into(),
            ruleset_version: 1,
            outcome,
            conditions: conditions.iter().map(|(i, b)| (i.to_string(), *b)).collect(),
            disclosed: vec![],
            credentials: vec![],
            decided_at: 0,
        }
    }

    fn not_eligible(ids: &[&str]) -> Outcome {
        Outcome::NotEligible { failed: ids.iter().map(|i| Failed { id: i.to_string(), reason: "r".into() }).collect() }
    }

    #[test]
    fn a_faithful_record_replays_to_its_outcome() {
        assert_eq!(
            replay(&decision(&[("income", true), ("household", true)], Outcome::Eligible), &rules()),
            Replay::Agrees
        );
        let d = decision(&[("income", false), ("household", true)], not_eligible(&["income"]));
        assert_eq!(replay(&d, &rules()), Replay::Agrees);
    }

    #[test]
    fn an_altered_outcome_or_another_rule_set_disagrees() {
        let flipped = decision(&[("income", false), ("household", true)], Outcome::Eligible);
        assert!(matches!(replay(&flipped, &rules()), Replay::Disagrees(r) if r.contains("income")));
        let wrong_reason = decision(&[("income", false), ("household", true)], not_eligible(&["household"]));
        assert!(matches!(replay(&wrong_reason, &rules()), Replay::Disagrees(_)));
        let denied_anyway = decision(&[("income", true), ("household", true)], not_eligible(&["income"]));
        assert!(matches!(replay(&denied_anyway, &rules()), Replay::Disagrees(_)));
        let other_rules = decision(&[("age", true)], Outcome::Eligible);
        assert!(matches!(replay(&other_rules, &rules()), Replay::Disagrees(r) if r.contains("age")));
    }

    #[test]
    fn status_and_issuer_outcomes_follow_the_rule_sets_handling() {
        let revoked = decision(&[], not_eligible(&[STATUS]));
        assert_eq!(replay(&revoked, &rules()), Replay::Agrees, "default: a revoked credential is rejected");
        let review = decision(&[], Outcome::ManualReview { reason: "issuer suspended".into() });
        assert_eq!(replay(&review, &rules()), Replay::Agrees, "default: a suspended issuer goes to review");
        let mut lenient = rules();
        lenient.on_credential_revoked = Handling::ManualReview;
        assert!(matches!(replay(&revoked, &lenient), Replay::Disagrees(_)));
        let mut strict = rules();
        strict.on_issuer_suspended = Handling::Reject;
        assert!(matches!(replay(&review, &strict), Replay::Disagrees(_)));
        assert!(matches!(replay(&decision(&[], Outcome::Eligible), &rules()), Replay::Disagrees(_)));
    }
}
