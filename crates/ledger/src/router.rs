use std::collections::BTreeMap;
use std::panic::{self, AssertUnwindSafe};
use std::sync::Arc;

use dojang_types::{Address, SignedTx, TxError};

use crate::module::{Authority, Module, ModuleError, Permit, Prepared, StateRead};

/// Why a message whose check panicked is refused.
const PANICKED: &str = "the module's check failed on this message";

/// What [`Router::prepare_many`] answers for one transaction.
pub type PreparedTx<'r> = Result<(&'r Arc<dyn Module>, Permit, Prepared), TxError>;

/// The modules a chain runs, by name, and the authority that says who holds which role.
/// Fixed at start-up: every validator must run the same set.
#[derive(Clone, Default)]
pub struct Router {
    modules: BTreeMap<&'static str, Arc<dyn Module>>,
    authority: Option<Arc<dyn Authority>>,
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

    /// Adds a typed module (see [`crate::TypedModule`]).
    pub fn with_typed<M: crate::TypedModule>(self, module: M) -> Self {
        self.with(Arc::new(crate::Typed(module)))
    }

    /// Names the module that keeps roles and the council. Without one, only messages that
    /// need no role ([`Permit::OwnRules`]) are ever permitted.
    pub fn with_authority(mut self, authority: Arc<dyn Authority>) -> Self {
        self.authority = Some(authority);
        self
    }

    pub fn get(&self, name: &str) -> Option<&Arc<dyn Module>> {
        self.modules.get(name)
    }

    /// Each transaction's module, permit and message as its module prepared it, in order. The
    /// messages of one module go to it together ([`Module::prepare_many`]), so checks that
    /// cost less in a batch (a ballot's proofs) are batched. With a `known` permit (this node
    /// admitted the transaction) the checks are not run again. A check that panics refuses
    /// its message, the same way on every validator, instead of stopping the node: the
    /// module's messages are then tried one by one to find it.
    pub fn prepare_many<'r>(&'r self, txs: &[(&SignedTx, Option<Permit>)]) -> Vec<PreparedTx<'r>> {
        let mut by_module: BTreeMap<&str, Vec<usize>> = BTreeMap::new();
        for (i, (tx, _)) in txs.iter().enumerate() {
            by_module.entry(tx.body.module.as_str()).or_default().push(i);
        }
        let mut out: Vec<Option<PreparedTx<'r>>> = (0..txs.len()).map(|_| None).collect();
        for (name, indices) in by_module {
            let Some(module) = self.get(name) else {
                for i in indices {
                    out[i] = Some(Err(TxError::UnknownModule(name.to_string())));
                }
                continue;
            };
            let msgs: Vec<(&[u8], Option<Permit>)> =
                indices.iter().map(|&i| (txs[i].0.body.msg.as_slice(), txs[i].1)).collect();
            let together = panic::catch_unwind(AssertUnwindSafe(|| module.prepare_many(&msgs)))
                .ok()
                .filter(|verdicts| verdicts.len() == msgs.len());
            let verdicts = together.unwrap_or_else(|| {
                msgs.iter()
                    .map(|(msg, known)| {
                        panic::catch_unwind(AssertUnwindSafe(|| module.prepare(msg, *known)))
                            .unwrap_or_else(|_| Err(ModuleError::InvalidMessage(PANICKED.into())))
                    })
                    .collect()
            });
            for (&i, verdict) in indices.iter().zip(verdicts) {
                let carried = panic::catch_unwind(AssertUnwindSafe(|| self.prepared(module, txs[i], verdict)));
                out[i] = Some(carried.unwrap_or_else(|_| {
                    Err(TxError::InvalidMessage { module: name.to_string(), reason: PANICKED.into() })
                }));
            }
        }
        out.into_iter()
            .zip(txs)
            .map(|(verdict, (tx, _))| verdict.unwrap_or_else(|| Err(TxError::UnknownModule(tx.body.module.clone()))))
            .collect()
    }

    /// One module's verdict on one transaction, with the messages it carries checked (when
    /// this node has not admitted it already).
    fn prepared<'r>(
        &'r self,
        module: &'r Arc<dyn Module>,
        (tx, known): (&SignedTx, Option<Permit>),
        verdict: Result<(Permit, Prepared), ModuleError>,
    ) -> PreparedTx<'r> {
        let invalid = |reason: String| TxError::InvalidMessage { module: tx.body.module.clone(), reason };
        let (permit, prepared) = verdict.map_err(|e| invalid(e.to_string()))?;
        if known.is_none() {
            for (name, msg) in module.carried_messages(&tx.body.msg) {
                self.council_message(&name, &msg).map_err(|reason| invalid(format!("it carries {reason}")))?;
            }
        }
        Ok((module, permit, prepared))
    }

    /// The module of a message the council may execute: one the chain runs, that passes its
    /// module's stateless checks and whose permit is [`Permit::Council`]. Checked when a
    /// proposal carrying it is admitted, and again when the council executes it.
    pub(crate) fn council_message(&self, name: &str, msg: &[u8]) -> Result<&Arc<dyn Module>, String> {
        let module = self.get(name).ok_or_else(|| format!("a message for unknown module '{name}'"))?;
        match module.check(msg) {
            Ok(Permit::Council) => Ok(module),
            Ok(other) => Err(format!("a '{name}' message the council does not decide (it needs {})", other.describe())),
            Err(e) => Err(format!("a '{name}' message that is not valid: {e}")),
        }
    }

    /// Whether `sender`, holding `roles` (from [`Router::roles_of`]), may send a message with
    /// this permit, as `state` stands. A refusal names what was needed.
    pub fn permits(
        &self,
        state: &dyn StateRead,
        module: &str,
        sender: &Address,
        roles: &[&str],
        permit: Permit,
    ) -> Result<Result<(), TxError>, ModuleError> {
        let allowed = match (permit, &self.authority) {
            (Permit::OwnRules, _) => true,
            (_, None) => false,
            (Permit::Council, Some(a)) => *sender == a.council_account(),
            (Permit::CouncilMember, Some(a)) => a.is_council_member(state, sender)?,
            (Permit::AnyRole(needed), Some(_)) => needed.iter().any(|r| roles.contains(r)),
        };
        Ok(if allowed {
            Ok(())
        } else {
            Err(TxError::NotPermitted { module: module.to_string(), needed: permit.describe() })
        })
    }

    /// The roles an account holds (none without an authority).
    pub fn roles_of(&self, state: &dyn StateRead, account: &Address) -> Result<Vec<&'static str>, ModuleError> {
        match &self.authority {
            Some(a) => a.roles_of(state, account),
            None => Ok(Vec::new()),
        }
    }

    /// The module that may execute messages in the council's name, if the chain has one.
    pub fn authority_module(&self) -> Option<&'static str> {
        self.authority.as_ref().map(|a| a.module())
    }

    /// The council's account, if the chain has an authority.
    pub fn council_account(&self) -> Option<Address> {
        self.authority.as_ref().map(|a| a.council_account())
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
