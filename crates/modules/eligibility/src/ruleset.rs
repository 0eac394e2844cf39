//! Rule sets: the conditions a program checks, as data the chain stores, and the one
//! deterministic evaluator everyone runs (ELIG-07). The evaluator reads only the claims a
//! presentation disclosed, so replaying a decision needs the same evidence and the recorded
//! rule-set version, nothing else: no clock, no randomness, no other state.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

/// What a program checks.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RuleSet {
    pub conditions: Vec<Condition>,
    /// What a credential revoked or suspended at check time means (ELIG-02).
    #[serde(default = "reject")]
    pub on_credential_revoked: Handling,
    /// What a credential from an issuer whose accreditation was suspended or revoked after
    /// issuance means.
    #[serde(default = "manual_review")]
    pub on_issuer_suspended: Handling,
}

fn reject() -> Handling {
    Handling::Reject
}
fn manual_review() -> Handling {
    Handling::ManualReview
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Handling {
    Reject,
    ManualReview,
}

/// One condition over one disclosed claim. (The test is flattened into the condition, so
/// serde cannot refuse unknown fields here; PRG-02 checks every field that matters.)
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Condition {
    /// A plain name, e.g. `income_band`.
    pub id: String,
    /// The DCQL credential query id the claim comes from (e.g. `income`).
    pub credential: String,
    /// The claim's path inside that credential.
    pub claim: Vec<String>,
    #[serde(flatten)]
    pub test: Test,
    /// What an applicant is told when the condition fails, in plain words.
    pub reason: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "op", rename_all = "snake_case")]
pub enum Test {
    Equals { value: Value },
    OneOf { values: Vec<Value> },
    AtLeast { value: i64 },
    AtMost { value: i64 },
}

/// A failed condition, as the applicant is told.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Failed {
    pub id: String,
    pub reason: String,
}

/// The outcome of one application.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "outcome", rename_all = "snake_case")]
pub enum Outcome {
    Eligible,
    NotEligible { failed: Vec<Failed> },
    ManualReview { reason: String },
}

/// Disclosed claims by credential query id.
pub type Evidence = BTreeMap<String, Map<String, Value>>;

fn lookup<'a>(claims: &'a Map<String, Value>, path: &[String]) -> Option<&'a Value> {
    let (first, rest) = path.split_first()?;
    rest.iter().try_fold(claims.get(first)?, |v, k| v.get(k))
}

impl Test {
    fn holds(&self, v: &Value) -> bool {
        match self {
            Test::Equals { value } => v == value,
            Test::OneOf { values } => values.contains(v),
            Test::AtLeast { value } => v.as_i64().is_some_and(|x| x >= *value),
            Test::AtMost { value } => v.as_i64().is_some_and(|x| x <= *value),
        }
    }
}

/// Evaluates every condition (all of them, so an applicant learns every reason at once) and
/// returns the outcome with one bit per condition, in rule-set order.
pub fn evaluate(rules: &RuleSet, evidence: &Evidence) -> (Outcome, Vec<(String, bool)>) {
    let mut bits = Vec::with_capacity(rules.conditions.len());
    let mut failed = Vec::new();
    for c in &rules.conditions {
        let value = evidence.get(&c.credential).and_then(|claims| lookup(claims, &c.claim));
        let ok = value.is_some_and(|v| c.test.holds(v));
        if !ok {
            let reason = if value.is_some() { c.reason.clone() } else { format!("{} (not shown)", c.reason) };
            failed.push(Failed { id: c.id.clone(), reason });
        }
        bits.push((c.id.clone(), ok));
    }
    let outcome = if failed.is_empty() { Outcome::Eligible } else { Outcome::NotEligible { failed } };
    (outcome, bits)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    pub fn public_works() -> RuleSet {
        serde_json::from_value(json!({"conditions": [
            {"id": "seoul_resident", "credential": "resident", "claim": ["resident_of_seoul"], "op": "equals", "value": true,
             "reason": "not registered as a Seoul resident"},
            {"id": "age_18_64", "credential": "resident", "claim": ["age_18_64"], "op": "equals", "value": true,
             "reason": "age is outside 18 to 64"},
            {"id": "income_le_65pct", "credential": "income", "claim": ["income_le_65pct"], "op": "equals", "value": true,
             "reason": "household income is above 65% of the median for the household size"},
            {"id": "not_employed_full_time", "credential": "employment", "claim": ["employed_full_time"], "op": "equals", "value": false,
             "reason": "currently employed full-time"},
            {"id": "household_size", "credential": "income", "claim": ["household_size"], "op": "at_least", "value": 1,
             "reason": "household size missing"},
        ]}))
        .unwrap()
    }

    fn evidence(resident: bool, income: bool, employed: bool) -> Evidence {
        let mut e = Evidence::new();
        e.insert(
            "resident".into(),
            json!({"resident_of_seoul": resident, "age_18_64": true}).as_object().unwrap().clone(),
        );
        e.insert("income".into(), json!({"income_le_65pct": income, "household_size": 2}).as_object().unwrap().clone());
        e.insert("employment".into(), json!({"employed_full_time": employed}).as_object().unwrap().clone());
        e
    }

    #[test]
    fn eligible_when_every_condition_holds() {
        let (o, bits) = evaluate(&public_works(), &evidence(true, true, false));
        assert_eq!(o, Outcome::Eligible);
        assert!(bits.iter().all(|(_, b)| *b));
    }

    #[test]
    fn each_failed_condition_gives_its_reason() {
        let (o, _) = evaluate(&public_works(), &evidence(false, false, true));
        let Outcome::NotEligible { failed } = o else { panic!("not eligible expected") };
        let ids: Vec<&str> = failed.iter().map(|f| f.id.as_str()).collect();
        assert_eq!(ids, ["seoul_resident", "income_le_65pct", "not_employed_full_time"]);
        assert!(failed[1].reason.contains("65%"));
    }

    #[test]
    fn a_missing_claim_fails_and_says_so() {
        let mut e = evidence(true, true, false);
        e.remove("employment");
        let (o, bits) = evaluate(&public_works(), &e);
        assert!(matches!(o, Outcome::NotEligible { ref failed } if failed[0].reason.ends_with("(not shown)")));
        assert_eq!(bits[3], ("not_employed_full_time".to_string(), false));
    }

    #[test]
    fn evaluation_is_a_pure_function_of_rules_and_evidence() {
        let a = evaluate(&public_works(), &evidence(true, false, false));
        let b = evaluate(&public_works(), &evidence(true, false, false));
        assert_eq!(a, b);
        let mut wrong_type = evidence(true, true, false);
        wrong_type.get_mut("income").unwrap().insert("household_size".into(), json!("two"));
        assert!(matches!(evaluate(&public_works(), &wrong_type).0, Outcome::NotEligible { .. }));
    }
}
