//! What an operator watches in consensus, gathered from the engine's event stream and its
//! network: rounds started and how many of them followed a round that ended without a decision
//! (a proposer that timed out, or a round that failed), heights decided, the highest height
//! at which each validator was last heard voting, and the connected peers. The engine announces
//! a received vote before checking it, so a vote counts here only once its signature checks
//! against the key of a member of the current set (a peer could otherwise write any address
//! and height); the signers of every decided certificate count too.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use malachitebft_app_channel::NetworkRequest;
use malachitebft_core_consensus::SignedConsensusMsg;
use malachitebft_core_types::Round;
use malachitebft_engine::util::events::{Event, TxEvent};
use tokio::sync::{broadcast, mpsc};

use crate::context::{DojangContext, Vote};
use crate::signing::Signature;

/// Whether a vote's signature checks against the key of a member of the current set.
pub(crate) type VoteCheck = Box<dyn Fn(&Vote, &Signature) -> bool + Send + Sync>;

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
    /// Validator address → the highest height of a vote of its that checked out (received,
    /// published by this node, or in a decided certificate).
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

    fn record(&self, event: &Event<DojangContext>, checks: &VoteCheck) {
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
            Event::Received(SignedConsensusMsg::Vote(v)) | Event::Published(SignedConsensusMsg::Vote(v))
                if checks(&v.message, &v.signature) =>
            {
                self.vote(v.message.validator.to_string(), v.message.height.0);
            }
            _ => {}
        }
    }

    /// Follows the engine's events and polls its network for peers, until either goes away.
    pub(crate) fn follow(
        self: &Arc<Self>,
        events: &TxEvent<DojangContext>,
        network: mpsc::Sender<NetworkRequest>,
        checks: VoteCheck,
    ) {
        let mut rx = events.subscribe();
        let stats = Arc::downgrade(self);
        tokio::spawn(async move {
            loop {
                match rx.recv().await {
                    Ok(e) => match stats.upgrade() {
                        Some(s) => s.record(&e, &checks),
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

#[cfg(test)]
mod tests {
    use ed25519_dalek::{Signer as _, SigningKey};
    use malachitebft_core_types::{Context as _, NilOrVal, SignedMessage};

    use super::*;
    use crate::context::{Height, ValidatorAddress};
    use crate::signing::vote_sign_bytes;

    fn member() -> (SigningKey, ValidatorAddress) {
        let key = SigningKey::from_bytes(&[7; 32]);
        let address = dojang_types::PublicKey::Ed25519(key.verifying_key().to_bytes()).address();
        (key, ValidatorAddress(address))
    }

    fn check_with(key: &SigningKey) -> VoteCheck {
        let public = crate::signing::PublicKey(key.verifying_key().to_bytes());
        Box::new(move |vote, sig| crate::signing::verify_ed25519(&public, &vote_sign_bytes("c", vote), sig))
    }

    fn received(vote: Vote, signature: Signature) -> Event<DojangContext> {
        Event::Received(SignedConsensusMsg::Vote(SignedMessage::new(vote, signature)))
    }

    #[test]
    fn a_vote_counts_only_when_its_signature_checks() {
        let (key, address) = member();
        let stats = ConsensusStats::default();
        let checks = check_with(&key);
        let vote = DojangContext.new_precommit(Height(5), Round::new(0), NilOrVal::Nil, address);
        let good = Signature(key.sign(&vote_sign_bytes("c", &vote)).to_bytes());
        stats.record(&received(vote.clone(), good), &checks);
        assert_eq!(stats.last_votes().get(&address.to_string()), Some(&5));

        // A peer forging a far height for the same address is not believed.
        let forged = DojangContext.new_precommit(Height(u64::MAX), Round::new(0), NilOrVal::Nil, address);
        stats.record(&received(forged, Signature([9; 64])), &checks);
        let stranger = DojangContext.new_precommit(
            Height(9),
            Round::new(0),
            NilOrVal::Nil,
            ValidatorAddress(dojang_types::Address([3; 20])),
        );
        stats.record(&received(stranger, good), &checks);
        assert_eq!(stats.last_votes().len(), 1);
        assert_eq!(stats.last_votes().get(&address.to_string()), Some(&5));
    }
}
