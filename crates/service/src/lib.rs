//! The shape of a service in the `dojang` binary. A service is its on-chain module and, where it
//! has one, an off-chain part (an office, an issuer, a registrar) with its commands, demos and
//! benchmarks. Each service crate exports one [`Service`] value; the node keeps one list of them
//! and wires each into the ledger's router and the command line, so adding a service is one line
//! there, not a file in the node.

mod commands;
pub mod keys;
pub mod machine;
pub mod node;
pub mod scan;
pub mod settings;

pub use commands::{CommandSet, Run, Subcommands};

/// The demo chain's legal parameter tables (docs/domain.md's figures, each with its legal
/// basis), as the governance genesis section spells them: `dojang dev` and `dojang init --demo`
/// put them in genesis, and services' demos and benchmarks read the same figures.
pub fn demo_params() -> Vec<serde_json::Value> {
    serde_json::from_str(include_str!("demo_params.json"))
        .expect("the compiled-in demo parameter tables are valid JSON (tested)")
}

use std::marker::PhantomData;

use dojang_ledger::{Router, TypedModule};

/// One service as the binary sees it.
pub trait Service: Sync {
    /// The service's name (its module's routing name).
    fn name(&self) -> &'static str;

    /// Adds the service's on-chain module(s) to the router every node of a chain runs.
    fn register(&self, modules: Router) -> Router;

    /// Its top-level commands (`dojang gov ...`, `dojang verifier ...`).
    fn commands(&self) -> Option<&dyn CommandSet> {
        None
    }

    /// Its demonstrations, run as `dojang demo <name>`.
    fn demos(&self) -> Option<&dyn CommandSet> {
        None
    }

    /// Its benchmarks, run as `dojang bench <name>`.
    fn benches(&self) -> Option<&dyn CommandSet> {
        None
    }
}

/// A service that is only an on-chain module (no off-chain part, no commands of its own).
pub struct ModuleOnly<M>(PhantomData<fn() -> M>);

impl<M> ModuleOnly<M> {
    pub const fn new() -> Self {
        ModuleOnly(PhantomData)
    }
}

impl<M: TypedModule + Default> Service for ModuleOnly<M> {
    fn name(&self) -> &'static str {
        M::NAME
    }

    fn register(&self, modules: Router) -> Router {
        modules.with_typed(M::default())
    }
}

impl<M> Default for ModuleOnly<M> {
    fn default() -> Self {
        Self::new()
    }
}
