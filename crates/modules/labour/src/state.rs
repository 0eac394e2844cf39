//! Records under `labour/`: `employers/<account>`, `contracts/<id>` (parties, versions, status,
//! deadlines) and `timesheets/<id>/<monday>` (a week's commitment and the worker's answer).

use dojang_ledger::{read_record, write_record, ModuleError, StateRead, StateWrite};
use dojang_types::{Address, Date, Hash};
use serde::{Deserialize, Serialize};

use crate::msg::DeadlineKind;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Employer {
    pub vouched_by: Address,
    pub height: u64,
    #[serde(default)]
    pub withdrawn: bool,
}

/// One version of a contract's terms: its commitment, and when the worker signed it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Version {
    pub commitment: Hash,
    pub registered_height: u64,
    #[serde(default)]
    pub signed_height: Option<u64>,
    /// The end this version sets (applied when the worker signs it).
    #[serde(default)]
    pub ends: Option<Date>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Deadline {
    pub kind: DeadlineKind,
    pub due: Date,
    #[serde(default)]
    pub met_height: Option<u64>,
    #[serde(default)]
    pub missed: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Contract {
    pub employer: Address,
    pub worker: Address,
    pub starts: Date,
    pub ends: Option<Date>,
    /// Every version, the first first; the last signed one is in force.
    pub versions: Vec<Version>,
    #[serde(default)]
    pub terminated: bool,
    #[serde(default)]
    pub deadlines: Vec<Deadline>,
}

impl Contract {
    pub fn party(&self, a: &Address) -> bool {
        *a == self.employer || *a == self.worker
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TimesheetRecord {
    pub commitment: Hash,
    pub height: u64,
    #[serde(default)]
    pub agreed: Option<bool>,
}

pub fn employer_key(a: &Address) -> String {
    format!("employers/{a}")
}

pub fn contract_key(id: &str) -> String {
    format!("contracts/{id}")
}

pub fn timesheet_key(id: &str, monday: Date) -> String {
    format!("timesheets/{id}/{monday}")
}

pub fn read<T: serde::de::DeserializeOwned>(state: &dyn StateRead, key: &str) -> Result<Option<T>, ModuleError> {
    read_record(state, key.as_bytes())
}

pub fn write<T: Serialize>(state: &mut dyn StateWrite, key: &str, value: &T) {
    write_record(state, key.as_bytes(), value);
}
