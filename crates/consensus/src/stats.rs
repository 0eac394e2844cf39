//! What an operator watches in consensus, gathered from the engine's event stream and its
//! network: rounds started and how many of them followed a round that ended without a decision
//! (a proposer that timed out, or a round that failed), heights decided, the highest height
//! whose commit certificate carries each validator's precommit, and the connected peers.
//! Votes are taken from decided certificates only: the engine announces a received vote
//! before checking it, and a peer could otherwise write any address and height here.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use malachitebft_app_channel::NetworkRequest;
use malachitebft_core_types::Round;
use malachitebft_engine::util::events::{Event, TxEvent};
use tokio::sync::{broadcast, mpsc};

use crate::context::DojangContext;

/// A peer this node is connected to on the consensus network.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PeerStat {
    pub peer_id: String,
    pub moniker: String,
    pub address: String,
    /// The validator it proved to be, if it is one.
    pub validator: Option<String>,
}

/// Counters and gauges of consensus, shared with whoever reports them.
#[derive(Debug, Default)]
pub struct ConsensusStats {
    pub rounds_started: AtomicU64,
    /// Rounds started with a round number above 0: the round before ended without a decision.
    pub round_changes: AtomicU64,
    pub heights_decided: AtomicU64,
    /// The round at which the last height was decided.
    pub last_decided_round: AtomicU64,
    /// Validator address → the highest decided height whose certificate (as this node saw it)
    /// carries its precommit.
    last_vote: Mutex<BTreeMap<String, u64>>,
    peers: Mutex<Vec<PeerStat>>,
}

impl ConsensusStats {
    pub fn last_votes(&self) -> BTreeMap<String, u64> {
        self.last_vote.lock().unwrap_or_else(|p| p.into_inner()).clone()
    }

    pub fn peers(&self) -> Vec<PeerStat> {
        self.peers.lock().unwrap_or_else(|p| p.into_inner()).clone()
    }

    fn vote(&self, validator: String, height: u64) {
        let mut votes = self.last_vote.lock().unwrap_or_else(|p| p.into_inner());
        let seen = votes.entry(validator).or_default();
        *seen = (*seen).max(height);
    }

    fn record(&self, event: &Event<DojangContext>) {
        match event {
            Event::StartedRound(_, round, _, _) => {
                self.rounds_started.fetch_add(1, Ordering::Relaxed);
                if *round > Round::new(0) {
                    self.round_changes.fetch_add(1, Ordering::Relaxed);
                }
            }
            Event::Decided { commit_certificate } => {
                self.heights_decided.fetch_add(1, Ordering::Relaxed);
                let round = commit_certificate.round.as_i64().max(0) as u64;
                self.last_decided_round.store(round, Ordering::Relaxed);
                for sig in &commit_certificate.commit_signatures {
                    self.vote(sig.address.to_string(), commit_certificate.height.0);
                }
            }
            _ => {}
        }
    }

    /// Follows the engine's events and polls its network for peers, until either goes away.
    pub(crate) fn follow(self: &Arc<Self>, events: &TxEvent<DojangContext>, network: mpsc::Sender<NetworkRequest>) {
        let mut rx = events.subscribe();
        let stats = Arc::downgrade(self);
        tokio::spawn(async move {
            loop {
                match rx.recv().await {
                    Ok(e) => match stats.upgrade() {
                        Some(s) => s.record(&e),
                        None => break,
                    },
                    Err(broadcast::error::RecvError::Lagged(_)) => continue,
                    Err(broadcast::error::RecvError::Closed) => break,
                }
            }
        });
        let stats = Arc::downgrade(self);
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(Duration::from_secs(5));
            loop {
                tick.tick().await;
                let Some(s) = stats.upgrade() else { break };
                let Ok(Some(dump)) = NetworkRequest::dump_state(&network).await else {
                    if network.is_closed() {
                        break;
                    }
                    continue;
                };
                let mut peers: Vec<PeerStat> = dump
                    .peers
                    .iter()
                    .map(|(id, info)| PeerStat {
                        peer_id: id.to_string(),
                        moniker: info.moniker.clone(),
                        address: info.address.to_string(),
                        validator: info.consensus_address.clone(),
                    })
                    .collect();
                peers.sort_by(|a, b| a.moniker.cmp(&b.moniker));
                *s.peers.lock().unwrap_or_else(|p| p.into_inner()) = peers;
            }
        });
    }
}
