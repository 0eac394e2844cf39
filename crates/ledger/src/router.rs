use std::collections::BTreeMap;
use std::sync::Arc;

use dojang_types::{SignedTx, TxError};

use crate::module::Module;

/// The modules a chain runs, by name. Fixed at start-up: every validator must run the same set.
#[derive(Clone, Default)]
pub struct Router {
    modules: BTreeMap<&'static str, Arc<dyn Module>>,
}

impl Router {
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds a module. Panics on a duplicate name, which is a wiring bug caught at start-up.
    pub fn with(mut self, module: Arc<dyn Module>) -> Self {
        let name = module.name();
        assert!(self.modules.insert(name, module).is_none(), "module '{name}' registered twice");
        self
    }

    pub fn get(&self, name: &str) -> Option<&Arc<dyn Module>> {
        self.modules.get(name)
    }

    /// The module that handles a transaction, if the chain runs it and the message passes the
    /// module's stateless checks.
    pub fn admit(&self, tx: &SignedTx) -> Result<&Arc<dyn Module>, TxError> {
        let module = self.get(&tx.body.module).ok_or_else(|| TxError::UnknownModule(tx.body.module.clone()))?;
        module
            .check(&tx.body.msg)
            .map_err(|e| TxError::InvalidMessage { module: tx.body.module.clone(), reason: e.to_string() })?;
        Ok(module)
    }

    pub fn names(&self) -> impl Iterator<Item = &'static str> + '_ {
        self.modules.keys().copied()
    }

    pub fn modules(&self) -> impl Iterator<Item = &Arc<dyn Module>> {
        self.modules.values()
    }
}

/// The state prefix of a module: its name and a slash.
pub(crate) fn prefix_of(name: &str) -> Vec<u8> {
    format!("{name}/").into_bytes()
}
