//! What the anchor module tells the world (see `dojang_types::ModuleEvent`).

use dojang_types::{Address, Hash, ModuleEvent};
use serde::{Deserialize, Serialize};

use crate::NAME;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AnchorEvent {
    /// A root joined `account`'s series in `namespace` at (height, index).
    Anchored { account: Address, namespace: String, height: u64, index: u32, root: Hash },
}

impl ModuleEvent for AnchorEvent {
    const MODULE: &'static str = NAME;
}
