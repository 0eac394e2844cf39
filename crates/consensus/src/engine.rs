//! Starting the engine: configuration, identity, and the host task.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use crate::stats::ConsensusStats;
use dojang_ledger::{BlockApp, Genesis};
use eyre::{eyre, Context as _};
use malachitebft_app_channel::app::config::{ConsensusConfig, NodeConfig, ValueSyncConfig};
use malachitebft_app_channel::app::types::codec::Codec;
use malachitebft_app_channel::app::types::core::LinearTimeouts;
use malachitebft_app_channel::app::types::Keypair;
use malachitebft_app_channel::{
    ConsensusContext, EngineHandle, NetworkContext, NetworkIdentity, RequestContext, Signer as _, SyncContext,
    WalContext,
};
use malachitebft_config::ValuePayload;
use malachitebft_engine::network::Multiaddr;
use serde::{Deserialize, Serialize};
use tracing::info;

use crate::codec::DojangCodec;
use crate::context::{DojangContext, ValidatorAddress, ValidatorSet};
use crate::host::{Host, HostConfig};
use crate::signing::{DojangSigner, DojangVerifier};

/// Consensus settings of one node (the `[consensus]` section of the node's config file).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ConsensusSettings {
    /// libp2p listen address, e.g. `/ip4/127.0.0.1/tcp/26656`.
    pub listen_addr: String,
    /// Peers to keep connections to, as libp2p multiaddrs.
    pub persistent_peers: Vec<String>,
    /// Wait for a proposal before prevoting nil. Sized for a metro network.
    pub timeout_propose_ms: u64,
    pub timeout_prevote_ms: u64,
    pub timeout_precommit_ms: u64,
    /// An empty block is produced only after this long without transactions.
    pub idle_block_interval_ms: u64,
    /// A proposal whose time is more than this far ahead of this validator's clock gets no
    /// prevote, so one proposer with a wrong clock cannot move chain time ahead. Validators'
    /// clocks must agree (NTP) well within it.
    pub max_clock_drift_ms: u64,
}

impl Default for ConsensusSettings {
    fn default() -> Self {
        ConsensusSettings {
            listen_addr: "/ip4/127.0.0.1/tcp/0".into(),
            persistent_peers: Vec::new(),
            timeout_propose_ms: 500,
            timeout_prevote_ms: 200,
            timeout_precommit_ms: 200,
            idle_block_interval_ms: 1000,
            max_clock_drift_ms: 3000,
        }
    }
}

#[derive(Clone)]
struct EngineConfig {
    moniker: String,
    consensus: ConsensusConfig,
    value_sync: ValueSyncConfig,
}

impl NodeConfig for EngineConfig {
    fn moniker(&self) -> &str {
        &self.moniker
    }

    fn consensus(&self) -> &ConsensusConfig {
        &self.consensus
    }

    fn consensus_mut(&mut self) -> &mut ConsensusConfig {
        &mut self.consensus
    }

    fn value_sync(&self) -> &ValueSyncConfig {
        &self.value_sync
    }

    fn value_sync_mut(&mut self) -> &mut ValueSyncConfig {
        &mut self.value_sync
    }
}

/// A running engine and its host task. Dropping it does not stop them; call [`Consensus::stop`].
pub struct Consensus {
    engine: EngineHandle,
    host: tokio::task::JoinHandle<()>,
    stats: Arc<ConsensusStats>,
}

impl Consensus {
    /// What the engine has been doing, for metrics and the operator page.
    pub fn stats(&self) -> Arc<ConsensusStats> {
        self.stats.clone()
    }

    pub async fn stop(self) {
        // The host first, so it does not report the engine's planned stop as a failure.
        self.host.abort();
        let _ = self.engine.actor.kill_and_wait(None).await;
        self.engine.handle.abort();
    }
}

/// Who this node is and where it keeps the engine's write-ahead log.
pub struct NodeIdentity<'a> {
    pub genesis: &'a Genesis,
    /// The node's Ed25519 validator key (in a key file or an HSM): it signs votes and
    /// proposals if the node is (or becomes) a member of the set.
    pub signer: Arc<dyn dojang_crypto::Signer>,
    /// The node's network identity (libp2p peer id), separate from the validator key so that
    /// a validator key can move to a standby machine without the two being confused on the
    /// network.
    pub network_key: ed25519_dalek::SigningKey,
    pub moniker: String,
    /// Directory for the engine's write-ahead log.
    pub data_dir: PathBuf,
}

/// Starts consensus for a node. It votes at every height whose validator set holds its key's
/// address and otherwise follows decided blocks (an observer).
pub async fn start<L: BlockApp>(
    ledger: Arc<L>,
    node: NodeIdentity<'_>,
    settings: &ConsensusSettings,
    max_block_bytes: usize,
) -> eyre::Result<Consensus> {
    let NodeIdentity { genesis, signer, network_key, moniker, data_dir: home } = node;
    let chain_id = genesis.chain_id.clone();
    let signer =
        Arc::new(DojangSigner::from_signer(signer, chain_id.clone()).map_err(|e| eyre!("validator key: {e}"))?);
    let public_key = signer.public_key();
    let address = ValidatorAddress(dojang_types::PublicKey::Ed25519(public_key.0).address());
    let validators = ValidatorSet::from_ledger(&ledger.validator_set());
    let is_validator = validators.validators().iter().any(|v| v.address == address);

    let mut consensus = ConsensusConfig { value_payload: ValuePayload::ProposalAndParts, ..Default::default() };
    consensus.p2p.listen_addr = settings
        .listen_addr
        .parse::<Multiaddr>()
        .wrap_err_with(|| format!("consensus.listen_addr '{}' is not a multiaddr", settings.listen_addr))?;
    consensus.p2p.persistent_peers = settings
        .persistent_peers
        .iter()
        .map(|p| p.parse::<Multiaddr>().wrap_err_with(|| format!("persistent peer '{p}' is not a multiaddr")))
        .collect::<eyre::Result<_>>()?;
    consensus.p2p.pubsub_max_size = bytesize_for(max_block_bytes);
    consensus.p2p.rpc_max_size = bytesize_for(max_block_bytes * 4);
    // Peers tell each other their heights every second (the engine's default, 10 s, is sized for
    // a WAN): a validator that fell behind, paused or partitioned, learns it at once and asks
    // for the blocks it missed instead of refusing proposals far ahead of it for 10 s at a time.
    let value_sync = ValueSyncConfig {
        max_response_size: bytesize_for(max_block_bytes * 4),
        status_update_interval: Duration::from_secs(1),
        ..Default::default()
    };
    let config = EngineConfig { moniker: moniker.clone(), consensus, value_sync };

    // Every node with a key starts as a validator: the engine checks membership per height, so
    // a node added by governance starts voting at the boundary without a restart, and a node
    // outside the set (an observer) only follows.
    let keypair = Keypair::ed25519_from_bytes(network_key.to_bytes()).map_err(|e| eyre!("network key: {e}"))?;
    let peer_id = keypair.public().to_peer_id().to_bytes();
    let proof = signer
        .sign_validator_proof(public_key.0.to_vec(), peer_id)
        .await
        .map_err(|e| eyre!("cannot sign the validator proof: {e:?}"))?;
    let proof_bytes = DojangCodec.encode(&proof)?;
    let identity = NetworkIdentity::new_validator(moniker, keypair, address.to_string(), proof_bytes);
    let consensus_ctx = ConsensusContext::new_validator(
        address,
        Box::new(DojangVerifier::new(chain_id.clone())),
        Box::new(DojangSigner::clone(&signer)),
    );

    let (mut channels, engine) = malachitebft_app_channel::start_engine(
        DojangContext,
        config,
        WalContext::new(home.join("wal").join("consensus.wal"), DojangCodec),
        NetworkContext::new(identity, DojangCodec),
        consensus_ctx,
        SyncContext::new(DojangCodec),
        RequestContext::new(100),
    )
    .await?;

    let timeouts = LinearTimeouts {
        propose: Duration::from_millis(settings.timeout_propose_ms),
        propose_delta: Duration::from_millis(settings.timeout_propose_ms / 2),
        prevote: Duration::from_millis(settings.timeout_prevote_ms),
        prevote_delta: Duration::from_millis(settings.timeout_prevote_ms / 2),
        precommit: Duration::from_millis(settings.timeout_precommit_ms),
        precommit_delta: Duration::from_millis(settings.timeout_precommit_ms / 2),
        rebroadcast: Duration::from_millis(
            settings.timeout_propose_ms + settings.timeout_prevote_ms + settings.timeout_precommit_ms,
        ),
        max_timeout: Duration::from_secs(30),
    };
    info!(%address, is_validator, validators = validators.validators().len(), "starting consensus");
    let config = HostConfig {
        chain_id: chain_id.clone(),
        address,
        timeouts,
        idle_interval: Duration::from_millis(settings.idle_block_interval_ms),
        max_block_bytes,
        max_clock_drift: Duration::from_millis(settings.max_clock_drift_ms),
    };
    let stats = Arc::new(ConsensusStats::default());
    let (members, vote_chain) = (ledger.clone(), chain_id.clone());
    let checks: crate::stats::VoteCheck = Box::new(move |vote, signature| {
        let set = members.validator_set();
        let Some(member) = set.iter().find(|v| v.address == vote.validator.0) else { return false };
        let dojang_types::PublicKey::Ed25519(key) = member.public_key else { return false };
        crate::signing::verify_ed25519(
            &crate::signing::PublicKey(key),
            &crate::signing::vote_sign_bytes(&vote_chain, vote),
            signature,
        )
    });
    stats.follow(&channels.events, channels.net_requests.clone(), checks);
    let host = Host::new(ledger, signer, config);
    let host = tokio::spawn(async move {
        if let Err(e) = host.run(&mut channels).await {
            tracing::error!(error = %e, "consensus host stopped");
        }
    });
    Ok(Consensus { engine, host, stats })
}

fn bytesize_for(bytes: usize) -> bytesize::ByteSize {
    bytesize::ByteSize::b((bytes as u64).max(1024 * 1024) + 64 * 1024)
}
