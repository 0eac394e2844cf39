//! The anchor queries a client can ask, each with the type of its answer.

use dojang_types::{Address, ModuleQuery};
use serde::{Deserialize, Serialize};

use crate::state::AnchorRecord;
use crate::NAME;

/// A page of one account's anchors in one namespace, in chain order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Series {
    pub account: Address,
    pub namespace: String,
    pub records: Vec<AnchorRecord>,
}

/// `series/<address>/<namespace>`, after a place in the chain.
pub struct SeriesQuery {
    pub account: Address,
    pub namespace: String,
    /// Only anchors after this (height, index).
    pub after: Option<(u64, u32)>,
    pub limit: u32,
}

impl ModuleQuery for SeriesQuery {
    const MODULE: &'static str = NAME;
    type Answer = Series;
    fn path(&self) -> String {
        format!("series/{}/{}", self.account, self.namespace)
    }
    fn params(&self) -> Vec<(&'static str, String)> {
        let mut p = vec![("limit", self.limit.to_string())];
        if let Some((h, i)) = self.after {
            p.push(("after_height", h.to_string()));
            p.push(("after_index", i.to_string()));
        }
        p
    }
}

/// `record/<address>/<namespace>/<height>/<index>`: one anchor.
pub struct AnchorQuery {
    pub account: Address,
    pub namespace: String,
    pub height: u64,
    pub index: u32,
}

impl ModuleQuery for AnchorQuery {
    const MODULE: &'static str = NAME;
    type Answer = AnchorRecord;
    fn path(&self) -> String {
        format!("record/{}/{}/{}/{}", self.account, self.namespace, self.height, self.index)
    }
}
