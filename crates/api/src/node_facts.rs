//! What the node tells the operator beyond the ledger: consensus counters, peers, the height at
//! which each validator was last heard, recent warnings, build and catch-up. The node supplies
//! them through [`crate::NodeStatus`]; the gateway only reports them (`/metrics`, `/v1/node`).

use std::collections::BTreeMap;

use serde::Serialize;

/// A consensus peer this node is connected to.
#[derive(Clone, Debug, Default, Serialize)]
pub struct PeerFact {
    pub peer_id: String,
    pub moniker: String,
    pub address: String,
    /// The validator address it proved to hold, if it is one.
    pub validator: Option<String>,
}

/// A WARN or ERROR line the node logged.
#[derive(Clone, Debug, Default, Serialize)]
pub struct LogLine {
    pub time_ms: u64,
    pub level: String,
    pub target: String,
    pub message: String,
}

/// Everything the node reports at one moment.
#[derive(Clone, Debug, Default, Serialize)]
pub struct NodeFacts {
    pub peers: Vec<PeerFact>,
    /// Validator address → the highest height it was last heard voting at.
    pub last_votes: BTreeMap<String, u64>,
    pub rounds_started: u64,
    /// Rounds that followed a round ended without a decision (a proposer timed out or the
    /// round failed).
    pub round_changes: u64,
    pub heights_decided: u64,
    pub last_decided_round: u64,
    /// The most recent WARN and ERROR lines, newest last.
    pub recent_warnings: Vec<LogLine>,
    pub warnings_total: u64,
    pub errors_total: u64,
}

/// A source of [`NodeFacts`], asked on every scrape.
pub type FactsSource = std::sync::Arc<dyn Fn() -> NodeFacts + Send + Sync>;
