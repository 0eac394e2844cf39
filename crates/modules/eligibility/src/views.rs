//! The eligibility queries a client can ask, each with the type of its answer: one record and
//! the state key it lives under (to read it again with a proof).

use dojang_types::{KeyedRecord, ModuleQuery, RecordQuery};

use crate::state::{self, BatchRecord, ProgramRecord, RuleSetRecord};
use crate::NAME;

/// `program/<id>`: a program, its window, quota and seed commitment.
pub struct ProgramQuery(pub String);

impl ModuleQuery for ProgramQuery {
    const MODULE: &'static str = NAME;
    type Answer = KeyedRecord<ProgramRecord>;
    fn path(&self) -> String {
        format!("program/{}", self.0)
    }
}

/// `ruleset/<id>/<version>`: one published version of a program's rule set.
pub struct RuleSetQuery {
    pub program: String,
    pub version: u32,
}

impl ModuleQuery for RuleSetQuery {
    const MODULE: &'static str = NAME;
    type Answer = KeyedRecord<RuleSetRecord>;
    fn path(&self) -> String {
        format!("ruleset/{}/{}", self.program, self.version)
    }
}

/// `batch/<id>/<n>`: the Merkle root of one anchored batch of decisions.
pub struct BatchQuery {
    pub program: String,
    pub batch: u64,
}

impl ModuleQuery for BatchQuery {
    const MODULE: &'static str = NAME;
    type Answer = KeyedRecord<BatchRecord>;
    fn path(&self) -> String {
        format!("batch/{}/{}", self.program, self.batch)
    }
}

impl RecordQuery for ProgramQuery {
    type Record = ProgramRecord;
    fn state_key(&self) -> String {
        format!("{NAME}/{}", state::program_key(&self.0))
    }
}

impl RecordQuery for RuleSetQuery {
    type Record = RuleSetRecord;
    fn state_key(&self) -> String {
        format!("{NAME}/{}", state::ruleset_key(&self.program, self.version))
    }
}

impl RecordQuery for BatchQuery {
    type Record = BatchRecord;
    fn state_key(&self) -> String {
        format!("{NAME}/{}", state::batch_key(&self.program, self.batch))
    }
}
