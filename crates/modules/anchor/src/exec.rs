use dojang_ledger::{ModuleError, Permit, StateWrite, TxContext};
use dojang_types::Event;

use crate::events::AnchorEvent;
use crate::msg::AnchorMsg;
use crate::rules;
use crate::state::{self, AnchorRecord};

fn rejected(reason: String) -> ModuleError {
    let code = reason.split(':').next().unwrap_or("rejected").to_string();
    ModuleError::Rejected { code, reason }
}

/// ANC-01 and ANC-02 need no state; they run at admission, so a refused namespace never
/// reaches a block. ANC-03: only an office or agency anchors (an account governance gave the
/// admin, issuer, verifier or auditor role), so an unknown key cannot write to the ledger.
pub fn check(msg: &AnchorMsg) -> Result<Permit, ModuleError> {
    let AnchorMsg::Anchor { namespace, leaves, .. } = msg;
    rules::namespace_is_valid(namespace).map_err(rejected)?;
    rules::leaf_count_is_valid(*leaves).map_err(rejected)?;
    Ok(Permit::AnyRole(rules::ANCHORING_ROLES))
}

pub fn execute(ctx: &TxContext, state: &mut dyn StateWrite, msg: AnchorMsg) -> Result<Vec<Event>, ModuleError> {
    let AnchorMsg::Anchor { namespace, root, leaves } = msg;
    let record =
        AnchorRecord { root, leaves, height: ctx.height, index: ctx.index, time_ms: ctx.time_ms, tx_id: ctx.tx_id };
    state::append(state, &ctx.sender, &namespace, &record);
    Ok(vec![Event::typed(&AnchorEvent::Anchored {
        account: ctx.sender,
        namespace,
        height: ctx.height,
        index: ctx.index,
        root,
    })])
}
