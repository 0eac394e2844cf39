//! What the login module tells the world: changes to the registry of facilities.

use dojang_types::ModuleEvent;
use serde::{Deserialize, Serialize};

use crate::NAME;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LoginEvent {
    RelyingPartyRegistered { id: String, provider: String, policy: String },
    RelyingPartyUpdated { id: String, policy: String },
    RelyingPartySuspended { id: String },
    RelyingPartyReinstated { id: String },
}

impl ModuleEvent for LoginEvent {
    const MODULE: &'static str = NAME;
}
