//! What the ledger itself says in a block, beside the modules: a deadline it ran for a module,
//! a hook that failed (its writes discarded). Typed like the modules' events
//! (`dojang_types::ModuleEvent`), under the module name `ledger`.

use dojang_types::ModuleEvent;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LedgerEvent {
    /// A deadline `module` scheduled for `at_ms` ran in this block (its own events follow).
    Deadline { module: String, at_ms: u64 },
    /// A begin/end-of-block hook or a deadline (`hook`) failed with `code`; nothing it wrote
    /// was kept.
    HookFailed { module: String, hook: String, code: String },
}

impl ModuleEvent for LedgerEvent {
    const MODULE: &'static str = "ledger";
}
