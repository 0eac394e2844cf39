//! The agency's records that credentials are issued from. A real agency points the issuer at
//! its own system; this reads a JSON file of the same shape, never the chain:
//!
//! ```json
//! {
//!   "credential_configurations": {
//!     "income_band": { "vct": "urn:dojang:income-band:1", "validity_days": 180 }
//!   },
//!   "subjects": {
//!     "S-000123": { "income_band": { "income_le_65pct": true, "household_size": 3 } }
//!   }
//! }
//! ```
//!
//! Subject ids are the agency's own; they never leave the issuer.

use std::collections::BTreeMap;
use std::path::Path;

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

/// A kind of credential this issuer offers.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Configuration {
    pub vct: String,
    pub validity_days: u64,
    /// The claims come with each offer from the agency's system (`claims` in `POST
    /// /admin/offers`) rather than from this file: for facts that exist only when the offer
    /// is made, such as a career certificate written from a contract that has just ended.
    #[serde(default)]
    pub claims_in_offer: bool,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Records {
    pub credential_configurations: BTreeMap<String, Configuration>,
    /// subject id → configuration id → claims.
    pub subjects: BTreeMap<String, BTreeMap<String, Map<String, Value>>>,
}

#[derive(Debug, thiserror::Error)]
pub enum RecordsError {
    #[error("cannot read the agency records {path}: {reason}")]
    Read { path: String, reason: String },
    #[error("agency records: subject {subject} has claims for '{config}', which is not a credential configuration")]
    UnknownConfiguration { subject: String, config: String },
    #[error("agency records: subject {subject} has claims for '{config}', whose claims come with each offer; remove them from the file")]
    ClaimsInOffer { subject: String, config: String },
}

impl Records {
    pub fn load(path: &Path) -> Result<Records, RecordsError> {
        let read = |reason: String| RecordsError::Read { path: path.display().to_string(), reason };
        let text = std::fs::read_to_string(path).map_err(|e| read(e.to_string()))?;
        let records: Records = serde_json::from_str(&text).map_err(|e| read(e.to_string()))?;
        for (subject, creds) in &records.subjects {
            if let Some(config) = creds.keys().find(|c| !records.credential_configurations.contains_key(*c)) {
                return Err(RecordsError::UnknownConfiguration { subject: subject.clone(), config: config.clone() });
            }
            if let Some(config) = creds.keys().find(|c| records.credential_configurations[*c].claims_in_offer) {
                return Err(RecordsError::ClaimsInOffer { subject: subject.clone(), config: config.clone() });
            }
        }
        Ok(records)
    }

    pub fn claims(&self, subject: &str, config: &str) -> Option<&Map<String, Value>> {
        self.subjects.get(subject)?.get(config)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn records_load_and_refuse_inconsistent_or_malformed_files() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("records.json");
        std::fs::write(&path, r#"{"credential_configurations": {"a": {"vct": "urn:x", "validity_days": 1}}, "subjects": {"S": {"a": {"k": true}}}}"#).unwrap();
        let r = Records::load(&path).unwrap();
        assert_eq!(r.claims("S", "a").unwrap()["k"], true);
        assert!(r.claims("S", "b").is_none());
        std::fs::write(&path, r#"{"credential_configurations": {}, "subjects": {"S": {"a": {}}}}"#).unwrap();
        assert!(matches!(Records::load(&path), Err(RecordsError::UnknownConfiguration { .. })));
        std::fs::write(&path, r#"{"credential_configurations": {"a": {"vct": "urn:x", "validity_days": 1, "claims_in_offer": true}}, "subjects": {"S": {"a": {"k": true}}}}"#).unwrap();
        assert!(matches!(Records::load(&path), Err(RecordsError::ClaimsInOffer { .. })));
        for bad in ["", "[]", r#"{"credential_configurations": {"a": {"vct": 1}}, "subjects": {}}"#, r#"{"extra": 1}"#]
        {
            std::fs::write(&path, bad).unwrap();
            assert!(matches!(Records::load(&path), Err(RecordsError::Read { .. })), "{bad}");
        }
        assert!(Records::load(&dir.path().join("missing.json")).is_err());
    }
}
