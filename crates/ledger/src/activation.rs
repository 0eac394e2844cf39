//! Activation at a height. A release may bring a module, or a new version of a module's
//! messages, that the running chain must not use until every validator runs that release: such
//! a part declares that it needs activation ([`Module::needs_activation`],
//! [`Module::versions`]) and stays off until the council, by proposal, switches it on from a
//! height. The height is kept in state under `ledger/active/<module>` or
//! `ledger/active/<module>@<version>`, so every validator gates the same blocks; a transaction
//! for a part that is off is refused at admission and can never enter a block, and a module
//! that is off runs no hooks.

use dojang_store::StoreError;
use dojang_types::TxError;

use crate::module::{Module, ModuleError, StateRead};

/// How a part is named in keys and lists: `module` or `module@version`.
pub fn activation_name(module: &str, version: Option<&str>) -> String {
    match version {
        None => module.to_string(),
        Some(v) => format!("{module}@{v}"),
    }
}

/// The relative key (under `ledger/`) of a part's activation height.
pub(crate) fn activation_key(module: &str, version: Option<&str>) -> Vec<u8> {
    format!("active/{}", activation_name(module, version)).into_bytes()
}

/// The height from which a part runs, if the council has activated it.
pub(crate) fn activation_height(
    state: &dyn StateRead,
    module: &str,
    version: Option<&str>,
) -> Result<Option<u64>, StoreError> {
    state
        .read_module("ledger", &activation_key(module, version))?
        .map(|b| {
            b.as_slice()
                .try_into()
                .map(u64::from_be_bytes)
                .map_err(|_| StoreError::Corrupt(format!("the activation height of '{module}' is not 8 bytes")))
        })
        .transpose()
}

/// Whether a module runs at `height` at all (its hooks, its queries).
pub(crate) fn module_active(state: &dyn StateRead, module: &dyn Module, height: u64) -> Result<bool, StoreError> {
    if !module.needs_activation() {
        return Ok(true);
    }
    Ok(activation_height(state, module.name(), None)?.is_some_and(|h| h <= height))
}

/// Whether a message may be executed in a block at `height`: its module, and the version its
/// message belongs to, are on. The refusal says what is off and from when it will run.
pub(crate) fn message_active(
    state: &dyn StateRead,
    module: &dyn Module,
    msg: &[u8],
    height: u64,
) -> Result<Result<(), TxError>, StoreError> {
    let mut parts = Vec::with_capacity(2);
    if module.needs_activation() {
        parts.push(None);
    }
    if let Some(v) = module.version_of(msg) {
        parts.push(Some(v));
    }
    for version in parts {
        let what = match version {
            None => format!("module '{}'", module.name()),
            Some(v) => format!("'{}' messages of version {v}", module.name()),
        };
        match activation_height(state, module.name(), version)? {
            Some(h) if h <= height => {}
            Some(h) => {
                return Ok(Err(TxError::NotActive {
                    what,
                    detail: format!("the council activated it from height {h}; send it again from then"),
                }))
            }
            None => {
                return Ok(Err(TxError::NotActive {
                    what,
                    detail: "the council has not activated it (a governance `activate` proposal)".into(),
                }))
            }
        }
    }
    Ok(Ok(()))
}

/// Checks an activation the council ordered: the part exists in this release and needs
/// activation, the height is still ahead, and it is not already on.
pub(crate) fn check_activation(
    state: &dyn StateRead,
    module: Option<&dyn Module>,
    name: &str,
    version: Option<&str>,
    at_height: u64,
    current_height: u64,
) -> Result<(), ModuleError> {
    let refuse = |code: &str, reason: String| Err(ModuleError::Rejected { code: code.into(), reason });
    let Some(module) = module else {
        return refuse(
            "unknown_module",
            format!("this release has no module '{name}': every validator must run a release with it before the council activates it"),
        );
    };
    match version {
        None if !module.needs_activation() => {
            return refuse("always_active", format!("module '{name}' needs no activation: it runs from genesis"))
        }
        Some(v) if !module.versions().contains(&v) => {
            return refuse(
                "unknown_version",
                format!(
                    "module '{name}' has no message version '{v}' to activate (it has: {})",
                    module.versions().join(", ")
                ),
            )
        }
        _ => {}
    }
    if at_height <= current_height {
        return refuse(
            "activation_height",
            format!("activation height {at_height} is not after this block ({current_height}): pick a later height"),
        );
    }
    if let Some(h) = activation_height(state, name, version)? {
        if h <= current_height {
            return refuse("already_active", format!("it has been active since height {h}"));
        }
    }
    Ok(())
}
