//! The documents the desk keeps in the private collection: each version of a contract (the
//! parties' names and the terms) and each week's timesheet. They are personal data, so they
//! exist only as collection payloads on member nodes; the ledger holds their salted
//! commitments. Each names its kind and contract, so a payload read back, or handed to an
//! auditor, says what it is.

use dojang_labour::timesheet::Payment;
use dojang_labour::{Terms, Week};
use dojang_types::Address;
use serde::{Deserialize, Serialize};

pub const CONTRACT_KIND: &str = "dojang/labour/contract-version/v1";
pub const TIMESHEET_KIND: &str = "dojang/labour/timesheet/v1";
pub const PAYMENT_KIND: &str = "dojang/labour/payment/v1";

/// The longest name a party may have, in characters.
pub const MAX_NAME_CHARS: usize = 100;

/// Who the contract is between, as written on it (LSA art. 17 names the parties). Names are
/// here and only here: never on the ledger, never in the desk's own index.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Parties {
    /// The business as registered (its trade name).
    pub employer_name: String,
    pub worker_name: String,
}

impl Parties {
    /// The names as stored: at most [`MAX_NAME_CHARS`] characters as sent, without control
    /// characters, not blank; trimmed.
    pub fn normalized(self) -> Result<Parties, String> {
        let check = |what: &str, name: String| {
            if name.chars().count() > MAX_NAME_CHARS {
                return Err(format!("parties.{what} is longer than {MAX_NAME_CHARS} characters"));
            }
            if name.chars().any(char::is_control) {
                return Err(format!("parties.{what} contains control characters"));
            }
            let n = name.trim().to_string();
            if n.is_empty() {
                return Err(format!("parties.{what} is empty: write the name as on the contract"));
            }
            Ok(n)
        };
        Ok(Parties {
            employer_name: check("employer_name", self.employer_name)?,
            worker_name: check("worker_name", self.worker_name)?,
        })
    }
}

/// One version of a contract as both parties see it. The first version's collection key is
/// the contract's id, so `contract` is absent there (it cannot name itself) and present on
/// every amendment.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ContractVersion {
    pub kind: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub contract: Option<String>,
    pub version: u32,
    pub employer: Address,
    pub worker: Address,
    pub parties: Parties,
    pub terms: Terms,
}

/// One week's timesheet of a contract, as the employer submitted it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Timesheet {
    pub kind: String,
    pub contract: String,
    pub week: Week,
}

/// One wage payment of a contract, as the employer recorded it (LAB-09): the amount is
/// personal data, so it lives here like the wage.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PaymentRecord {
    pub kind: String,
    pub contract: String,
    pub payment: Payment,
}

impl PaymentRecord {
    pub fn new(contract: &str, payment: Payment) -> Self {
        PaymentRecord { kind: PAYMENT_KIND.into(), contract: contract.into(), payment }
    }

    pub fn decode(payload: &[u8]) -> Result<Self, String> {
        let p: PaymentRecord = serde_json::from_slice(payload).map_err(|e| format!("not a payment: {e}"))?;
        if p.kind != PAYMENT_KIND {
            return Err(format!("a payload of kind '{}', not a payment", p.kind));
        }
        Ok(p)
    }
}

impl ContractVersion {
    pub fn new(
        contract: Option<&str>,
        version: u32,
        employer: Address,
        worker: Address,
        parties: Parties,
        terms: Terms,
    ) -> Self {
        ContractVersion {
            kind: CONTRACT_KIND.into(),
            contract: contract.map(str::to_string),
            version,
            employer,
            worker,
            parties,
            terms,
        }
    }

    /// Reads a payload back; anything else than a contract version is refused.
    pub fn decode(payload: &[u8]) -> Result<Self, String> {
        let v: ContractVersion = serde_json::from_slice(payload).map_err(|e| format!("not a contract version: {e}"))?;
        if v.kind != CONTRACT_KIND {
            return Err(format!("a payload of kind '{}', not a contract version", v.kind));
        }
        Ok(v)
    }
}

impl Timesheet {
    pub fn new(contract: &str, week: Week) -> Self {
        Timesheet { kind: TIMESHEET_KIND.into(), contract: contract.into(), week }
    }

    pub fn decode(payload: &[u8]) -> Result<Self, String> {
        let t: Timesheet = serde_json::from_slice(payload).map_err(|e| format!("not a timesheet: {e}"))?;
        if t.kind != TIMESHEET_KIND {
            return Err(format!("a payload of kind '{}', not a timesheet", t.kind));
        }
        Ok(t)
    }
}

/// The bytes stored: compact JSON, the same for the same document.
pub fn encode<T: Serialize>(doc: &T) -> Vec<u8> {
    serde_json::to_vec(doc).expect("documents of plain fields serialize")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_trimmed_and_checked() {
        let p = |e: &str, w: &str| Parties { employer_name: e.into(), worker_name: w.into() }.normalized();
        assert_eq!(
            p(" 카페 도장 ", "김민수 "),
            Ok(Parties { employer_name: "카페 도장".into(), worker_name: "김민수".into() })
        );
        assert!(p("카페", "김민수\n").unwrap_err().contains("control"));
        assert!(p(" ", "김민수").unwrap_err().contains("employer_name"));
        assert!(p("카페", "").unwrap_err().contains("worker_name"));
        assert!(p("카페", "a\u{0}b").unwrap_err().contains("control"));
        assert!(p(&"x".repeat(101), "b").unwrap_err().contains("longer"));
        assert!(p(&format!("{}x", " ".repeat(100)), "b").unwrap_err().contains("longer"), "as sent, not as trimmed");
    }

    #[test]
    fn a_payload_of_another_kind_is_refused() {
        let t = br#"{"kind":"dojang/labour/timesheet/v1","contract":"00","week":{"monday":"2026-01-05","days":[],"pay":{"base_krw":0}}}"#;
        assert!(Timesheet::decode(t).is_ok());
        assert!(ContractVersion::decode(t).is_err());
        assert!(Timesheet::decode(b"{}").is_err());
        assert!(Timesheet::decode(b"\xff").is_err());
        let wrong =
            br#"{"kind":"other","contract":"00","week":{"monday":"2026-01-05","days":[],"pay":{"base_krw":0}}}"#;
        assert!(Timesheet::decode(wrong).unwrap_err().contains("other"));
    }
}
