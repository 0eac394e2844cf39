//! The part of DCQL (OpenID4VP 1.0, §6) that SD-JWT VCs use: which credential types, which
//! claims. Two questions are answered here, both pure: does a request stay within a registered
//! policy's query (the wallet refuses when it does not), and do revealed claims stay within it
//! (the verifier refuses when they do not).

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::sdjwt::ClaimPath;

/// The only credential format this platform issues and accepts.
pub const FORMAT: &str = "dc+sd-jwt";

/// A DCQL query. Fields this subset does not know are refused rather than ignored, so that a
/// request can never ask for more through a field the wallet does not understand.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DcqlQuery {
    pub credentials: Vec<CredentialQuery>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CredentialQuery {
    pub id: String,
    pub format: String,
    pub meta: Meta,
    /// Absent: no concealable claim is requested, only the always-visible ones.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub claims: Vec<ClaimQuery>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Meta {
    pub vct_values: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ClaimQuery {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    /// Object keys as strings, array positions as numbers, `null` for every element.
    pub path: ClaimPath,
    /// When present, the claim matches only if its value is one of these.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub values: Option<Vec<Value>>,
}

/// Why a query is not acceptable.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DcqlError {
    #[error("the query is not valid DCQL for SD-JWT VCs: {0}")]
    Malformed(String),
    #[error("credential query '{id}' asks for type(s) {vct:?} that the policy does not allow")]
    TypeBeyondPolicy { id: String, vct: Vec<String> },
    #[error("credential query '{id}' asks for claim {path} that the policy does not allow")]
    ClaimBeyondPolicy { id: String, path: String },
}

impl DcqlQuery {
    pub fn parse(v: &Value) -> Result<DcqlQuery, DcqlError> {
        let q: DcqlQuery = serde_json::from_value(v.clone()).map_err(|e| DcqlError::Malformed(e.to_string()))?;
        q.check_shape()?;
        Ok(q)
    }

    fn check_shape(&self) -> Result<(), DcqlError> {
        if self.credentials.is_empty() {
            return Err(DcqlError::Malformed("no credential queries".into()));
        }
        for c in &self.credentials {
            if c.format != FORMAT {
                return Err(DcqlError::Malformed(format!("format '{}' (only {FORMAT})", c.format)));
            }
            if c.meta.vct_values.is_empty() {
                return Err(DcqlError::Malformed(format!("credential query '{}' names no vct", c.id)));
            }
            for claim in &c.claims {
                if claim.path.is_empty() || !claim.path.iter().all(|p| p.is_string() || p.is_u64() || p.is_null()) {
                    return Err(DcqlError::Malformed(format!("claim path {} in '{}'", path_text(&claim.path), c.id)));
                }
            }
        }
        Ok(())
    }

    /// Every credential query of `self` must fit one of `policy`'s: a subset of its types and
    /// of its claim paths (and of its allowed values, where the policy restricts them).
    pub fn within(&self, policy: &DcqlQuery) -> Result<(), DcqlError> {
        for c in &self.credentials {
            let fits_type = |p: &&CredentialQuery| c.meta.vct_values.iter().all(|v| p.meta.vct_values.contains(v));
            let candidates: Vec<&CredentialQuery> = policy.credentials.iter().filter(fits_type).collect();
            if candidates.is_empty() {
                return Err(DcqlError::TypeBeyondPolicy { id: c.id.clone(), vct: c.meta.vct_values.clone() });
            }
            for claim in &c.claims {
                let allowed = candidates.iter().any(|p| p.claims.iter().any(|pc| claim_within(claim, pc)));
                if !allowed {
                    return Err(DcqlError::ClaimBeyondPolicy { id: c.id.clone(), path: path_text(&claim.path) });
                }
            }
        }
        Ok(())
    }

    /// The credential query that covers credential type `vct`, if any.
    pub fn for_type(&self, vct: &str) -> Option<&CredentialQuery> {
        self.credentials.iter().find(|c| c.meta.vct_values.iter().any(|v| v == vct))
    }
}

impl CredentialQuery {
    /// Is a revealed path allowed by this query? Revealing a requested claim's parents (to
    /// reach it) or its parts (a requested object's members) stays within the request.
    pub fn allows(&self, revealed: &[Value]) -> bool {
        self.claims.iter().any(|c| path_prefix(revealed, &c.path) || path_prefix(&c.path, revealed))
    }
}

fn claim_within(asked: &ClaimQuery, allowed: &ClaimQuery) -> bool {
    let path_ok = asked.path.len() == allowed.path.len()
        && asked.path.iter().zip(&allowed.path).all(|(a, p)| p.is_null() || a == p);
    let values_ok = match (&asked.values, &allowed.values) {
        (_, None) => true,
        (Some(a), Some(p)) => a.iter().all(|v| p.contains(v)),
        (None, Some(_)) => false,
    };
    path_ok && values_ok
}

/// Is `short` a prefix of `long`, with `null` in `short` or `long` matching any array position?
fn path_prefix(short: &[Value], long: &[Value]) -> bool {
    short.len() <= long.len()
        && short.iter().zip(long).all(|(s, l)| s == l || (s.is_null() && l.is_u64()) || (l.is_null() && s.is_u64()))
}

pub fn path_text(path: &[Value]) -> String {
    let parts: Vec<String> = path
        .iter()
        .map(|p| match p {
            Value::String(s) => s.clone(),
            Value::Null => "*".into(),
            other => other.to_string(),
        })
        .collect();
    format!("[{}]", parts.join("."))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn query(claims: Value) -> DcqlQuery {
        DcqlQuery::parse(&json!({"credentials": [{
            "id": "income", "format": "dc+sd-jwt",
            "meta": {"vct_values": ["urn:dojang:income-band:1"]},
            "claims": claims,
        }]}))
        .unwrap()
    }

    #[test]
    fn a_request_within_the_policy_passes_and_one_beyond_fails() {
        let policy = query(json!([{"path": ["income_le_65pct"]}, {"path": ["household_size"]}]));
        query(json!([{"path": ["income_le_65pct"]}])).within(&policy).unwrap();
        let more = query(json!([{"path": ["income_le_65pct"]}, {"path": ["monthly_income_krw"]}]));
        assert!(matches!(more.within(&policy), Err(DcqlError::ClaimBeyondPolicy { .. })));
        let mut other_type = query(json!([{"path": ["income_le_65pct"]}]));
        other_type.credentials[0].meta.vct_values = vec!["urn:dojang:resident:1".into()];
        assert!(matches!(other_type.within(&policy), Err(DcqlError::TypeBeyondPolicy { .. })));
    }

    #[test]
    fn values_and_wildcards() {
        let policy = query(json!([{"path": ["districts", null]}, {"path": ["band"], "values": ["a", "b"]}]));
        query(json!([{"path": ["districts", 0]}])).within(&policy).unwrap();
        query(json!([{"path": ["band"], "values": ["a"]}])).within(&policy).unwrap();
        assert!(query(json!([{"path": ["band"]}])).within(&policy).is_err());
        assert!(query(json!([{"path": ["band"], "values": ["c"]}])).within(&policy).is_err());
        let cq = &policy.credentials[0];
        assert!(cq.allows(&[json!("districts")]));
        assert!(cq.allows(&[json!("districts"), json!(3)]));
        assert!(!cq.allows(&[json!("income")]));
    }

    #[test]
    fn malformed_queries_are_refused() {
        for bad in [
            json!({}),
            json!({"credentials": []}),
            json!({"credentials": [{"id": "a", "format": "mso_mdoc", "meta": {"vct_values": ["x"]}}]}),
            json!({"credentials": [{"id": "a", "format": "dc+sd-jwt", "meta": {"vct_values": []}}]}),
            json!({"credentials": [{"id": "a", "format": "dc+sd-jwt", "meta": {"vct_values": ["x"]}, "claims": [{"path": []}]}]}),
            json!({"credentials": [{"id": "a", "format": "dc+sd-jwt", "meta": {"vct_values": ["x"]}, "claims": [{"path": [true]}]}]}),
            json!({"credentials": [{"id": "a", "format": "dc+sd-jwt", "meta": {"vct_values": ["x"]}}], "credential_sets": []}),
            json!("nope"),
        ] {
            assert!(matches!(DcqlQuery::parse(&bad), Err(DcqlError::Malformed(_))), "{bad}");
        }
    }
}
