//! What the benchmark asks of a state engine.

use std::time::Duration;

/// Why an engine could not do what was asked; the benchmark stops on the first one.
#[derive(Debug, thiserror::Error)]
pub enum EngineError {
    #[error("{engine}: {what}")]
    Failed { engine: &'static str, what: String },
    #[error("{engine}: the proof of {key} does not verify against the root: {why}")]
    BadProof { engine: &'static str, key: String, why: String },
    #[error("the workload cannot run: {0}")]
    Workload(String),
}

impl EngineError {
    pub(crate) fn failed(engine: &'static str, what: impl std::fmt::Display) -> Self {
        EngineError::Failed { engine, what: what.to_string() }
    }
}

/// One block applied: its root, and how the time split between computing that root and making
/// it durable (the two costs a pipelined block cycle can overlap).
#[derive(Debug, Clone, Copy)]
pub struct Applied {
    pub root: [u8; 32],
    pub root_time: Duration,
    pub commit_time: Duration,
}

/// A proof made and checked: how many bytes a client would download.
#[derive(Debug, Clone, Copy)]
pub struct Proven {
    pub proof_bytes: usize,
}

/// A merkleized key-value state that commits versions durably and proves values.
pub trait Engine {
    /// The name in reports.
    fn name(&self) -> &'static str;

    /// Applies `writes` (sorted by key, each key once) as version `version`, returns the new root
    /// once it is durable.
    fn apply(&mut self, version: u64, writes: Vec<(Vec<u8>, Vec<u8>)>) -> Result<Applied, EngineError>;

    /// Proves the latest value of `key` against the latest root and checks the proof as a
    /// client would, against `expected` (what the workload wrote there).
    fn prove(&mut self, key: &[u8], expected: &[u8]) -> Result<Proven, EngineError>;

    /// The directory or file the engine keeps its data in.
    fn path(&self) -> &std::path::Path;

    /// How full a structure sized when the engine was created is (0 to 1), for an engine that
    /// has one and cannot grow it.
    fn occupancy(&self) -> Option<f64> {
        None
    }
}
