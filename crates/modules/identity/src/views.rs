//! The identity queries a client can ask, each with the type of its answer: one registry
//! record and the state key it lives under (to read it again with a proof).

use dojang_types::{KeyedRecord as Record, ModuleQuery, RecordQuery};

use crate::state::{self, AccreditationRecord, OrgRecord, PolicyRecord, TypeRecord};
use crate::NAME;

/// `org/<did>`: an organisation and its key history.
pub struct OrgQuery(pub String);

impl ModuleQuery for OrgQuery {
    const MODULE: &'static str = NAME;
    type Answer = Record<OrgRecord>;
    fn path(&self) -> String {
        format!("org/{}", self.0)
    }
}

/// `root`: the trust root's identifier.
pub struct RootQuery;

impl ModuleQuery for RootQuery {
    const MODULE: &'static str = NAME;
    type Answer = Record<String>;
    fn path(&self) -> String {
        "root".into()
    }
}

/// `accreditation/<did>/<vct>`: root → organisation → credential type, with its history.
pub struct AccreditationQuery {
    pub issuer: String,
    pub vct: String,
}

impl ModuleQuery for AccreditationQuery {
    const MODULE: &'static str = NAME;
    type Answer = Record<AccreditationRecord>;
    fn path(&self) -> String {
        format!("accreditation/{}/{}", self.issuer, self.vct)
    }
}

/// `type/<vct>`: a registered credential type.
pub struct TypeQuery(pub String);

impl ModuleQuery for TypeQuery {
    const MODULE: &'static str = NAME;
    type Answer = Record<TypeRecord>;
    fn path(&self) -> String {
        format!("type/{}", self.0)
    }
}

/// `policy/<id>`: a verifier's registered request policy.
pub struct PolicyQuery(pub String);

impl ModuleQuery for PolicyQuery {
    const MODULE: &'static str = NAME;
    type Answer = Record<PolicyRecord>;
    fn path(&self) -> String {
        format!("policy/{}", self.0)
    }
}

/// The full state key of an identity record.
fn full(key: &str) -> String {
    format!("{NAME}/{key}")
}

impl RecordQuery for OrgQuery {
    type Record = OrgRecord;
    fn state_key(&self) -> String {
        full(&state::org_key(&self.0))
    }
}

impl RecordQuery for RootQuery {
    type Record = String;
    fn state_key(&self) -> String {
        full(state::ROOT_KEY)
    }
}

impl RecordQuery for AccreditationQuery {
    type Record = AccreditationRecord;
    fn state_key(&self) -> String {
        full(&state::accreditation_key(&self.issuer, &self.vct))
    }
}

impl RecordQuery for TypeQuery {
    type Record = TypeRecord;
    fn state_key(&self) -> String {
        full(&state::type_key(&self.0))
    }
}

impl RecordQuery for PolicyQuery {
    type Record = PolicyRecord;
    fn state_key(&self) -> String {
        full(&state::policy_key(&self.0))
    }
}
