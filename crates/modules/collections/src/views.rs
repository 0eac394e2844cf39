//! The collections queries a client can ask, each with the type of its answer. `query.rs`
//! builds its answers from these same types.

use dojang_types::ModuleQuery;
use serde::{Deserialize, Serialize};

use crate::state::{Collection, Record};
use crate::NAME;

/// A collection's definition.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CollectionView {
    pub id: String,
    #[serde(flatten)]
    pub collection: Collection,
}

/// One record (a commitment; the payload is only on member nodes) and its key.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RecordView {
    pub key: String,
    #[serde(flatten)]
    pub record: Record,
}

/// A page of records.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RecordList {
    pub records: Vec<RecordView>,
}

/// A page of collection ids.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CollectionList {
    pub collections: Vec<String>,
}

/// `collection/<id>`.
pub struct CollectionQuery(pub String);

impl ModuleQuery for CollectionQuery {
    const MODULE: &'static str = NAME;
    type Answer = CollectionView;
    fn path(&self) -> String {
        format!("collection/{}", self.0)
    }
}

/// `record/<collection>/<key>`.
pub struct RecordQuery {
    pub collection: String,
    pub key: String,
}

impl ModuleQuery for RecordQuery {
    const MODULE: &'static str = NAME;
    type Answer = RecordView;
    fn path(&self) -> String {
        format!("record/{}/{}", self.collection, self.key)
    }
}
