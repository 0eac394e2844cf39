//! Running a node: open the ledger, start consensus and the gateway, stop cleanly on a signal.

use std::sync::Arc;

use anyhow::{bail, Context};
use dojang_consensus::NodeIdentity;
use dojang_crypto::{KdfParams, KeyFile, KeyProtection, Keypair};
use dojang_ledger::{Genesis, Ledger};
use tracing::{info, warn};

use crate::config::{Config, Home};
use crate::keys::Passphrases;

/// Runs the node in `home` until SIGINT or SIGTERM.
/// With `dev_hints`, prints the demos to try against the address the API really listens on.
pub async fn run_node(
    home: &Home,
    config: Config,
    mut passphrases: Passphrases,
    dev_hints: bool,
) -> anyhow::Result<()> {
    // Sockets count against the open-file limit; the gateway sizes its connection cap from it.
    match dojang_api::raise_open_file_limit() {
        Ok(limit) => info!(open_file_limit = limit, "open-file limit"),
        Err(e) => warn!(error = %e, "cannot raise the open-file limit; the API connection cap stays small"),
    }
    if config.api.health_max_block_age_ms <= config.consensus.idle_block_interval_ms {
        warn!(
            health_max_block_age_ms = config.api.health_max_block_age_ms,
            idle_block_interval_ms = config.consensus.idle_block_interval_ms,
            "api.health_max_block_age_ms is not above the idle block interval: an idle chain will look stale"
        );
    }
    let genesis = Genesis::load(&home.genesis())?;
    let signer = crate::keys::validator_signer(home, &config.signer, &mut passphrases)?;
    let network_key = network_key(home, &mut passphrases)?;
    let (store, latest) =
        crate::integrity::open_store(home, config.state.options()).map_err(crate::integrity::exit_if_damaged)?;
    let ledger = Arc::new(Ledger::open(store, crate::services::modules(), genesis.clone(), config.ledger.clone())?);
    crate::integrity::check_certificate(home, &ledger, latest.as_ref()).map_err(crate::integrity::exit_if_damaged)?;

    let listener = tokio::net::TcpListener::bind(config.api.listen_addr).await.with_context(|| {
        format!("cannot listen on {} (api.listen_addr): is another node running?", config.api.listen_addr)
    })?;
    let api_addr = listener.local_addr()?;
    let status = dojang_api::NodeStatus::new();
    status.set_admin_token(crate::backup::admin_token(home)?);
    status.set_build(env!("CARGO_PKG_VERSION"), env!("BUILD_GIT_COMMIT"));
    let vault = private_vault(home, &config, &ledger, &mut passphrases)?;
    // The API, and the pages people open in a browser at the same address.
    let app = dojang_api::gateway(ledger.clone(), config.api.clone(), status.clone(), vault.clone())
        .merge(dojang_web::pages());

    // The API serves from the start, so peers that are catching up at the same time can read
    // this node's height instead of waiting on it.
    let (stop_tx, stop_rx) = tokio::sync::oneshot::channel::<()>();
    let mut api_settings = config.api.clone();
    if let Some(tls) = &mut api_settings.tls {
        // Relative to the home, like every other path in the config.
        tls.cert_file = home.0.join(&tls.cert_file);
        tls.key_file = home.0.join(&tls.key_file);
        tls.acceptor().context("api.tls: the node cannot serve HTTPS with these files")?;
    }
    let scheme = if api_settings.tls.is_some() { "https" } else { "http" };
    let server = tokio::spawn(async move {
        dojang_api::serve(listener, app, &api_settings, async move {
            let _ = stop_rx.await;
        })
        .await
    });
    if !config.api.peers.is_empty() {
        // `/health` says `catching_up` and `/ready` answers 503 meanwhile.
        status.set_catching_up(true);
        let caught = crate::catchup::catch_up(&ledger, &config.api.peers, config.ledger.max_block_bytes, &status).await;
        status.set_catching_up(false);
        status.set_catch_up_target(0);
        let caught = caught?;
        if caught.blocks > 0 {
            println!(
                "caught up {} blocks from peers in {:.2} s ({:.0} blocks/s)",
                caught.blocks,
                caught.elapsed.as_secs_f64(),
                caught.blocks_per_second()
            );
        }
    }
    // What catch-up applied without an fsync is on disk before consensus signs anything.
    ledger.store().flush()?;
    if let Some(decided) = ledger.unrecovered_decision()? {
        let how = if config.api.peers.is_empty() {
            "set api.peers in config.toml to nodes of this chain and start it again"
        } else {
            "none of api.peers brought it there (are they up, and past that height?): start it again when they are"
        };
        anyhow::bail!(
            "this node decided block {decided} before it stopped ({}), but its store ends at height {} and the \
             block is not kept here. Its consensus log may be past that height, so it may run consensus only \
             once it has caught up to it: {how}",
            ledger.store().decided_path().display(),
            ledger.head().0
        );
    }
    let identity =
        NodeIdentity { genesis: &genesis, signer, network_key, moniker: config.moniker.clone(), data_dir: home.data() };
    let consensus = dojang_consensus::start(ledger.clone(), identity, &config.consensus, config.ledger.max_block_bytes)
        .await
        .map_err(|e| anyhow::anyhow!("cannot start consensus: {e:#}"))?;
    status.set_facts(facts_source(consensus.stats()));

    if let Some(vault) = &vault {
        tokio::spawn(vault.clone().run());
    }
    let (height, _, _) = ledger.head();
    info!(chain_id = %genesis.chain_id, height, api = %api_addr, "node started");
    println!("dojang node ready: chain {} at height {height}, API on {scheme}://{api_addr}", genesis.chain_id);
    if dev_hints {
        let home = home.0.display();
        println!("open {scheme}://{api_addr}/ in a browser for the explorer (and /#/operator with {home}/admin.token)");
        println!("in another terminal, try:");
        println!("  dojang demo eligibility --node http://{api_addr} --home {home}");
        println!("  dojang demo council --node http://{api_addr} --home {home}");
        println!("  dojang status --node http://{api_addr}");
    }
    shutdown_signal().await;
    info!("stopping");
    let _ = stop_tx.send(());
    consensus.stop().await;
    let _ = server.await;
    info!("stopped");
    Ok(())
}

/// What `/metrics` and `/v1/node` report beyond the ledger: consensus counters and peers, and
/// the recent warnings of the log.
fn facts_source(stats: Arc<dojang_consensus::ConsensusStats>) -> dojang_api::FactsSource {
    use std::sync::atomic::Ordering::Relaxed;
    Arc::new(move || {
        let (recent_warnings, warnings_total, errors_total) = crate::logging::recent();
        dojang_api::NodeFacts {
            peers: stats
                .peers()
                .into_iter()
                .map(|p| dojang_api::PeerFact {
                    peer_id: p.peer_id,
                    moniker: p.moniker,
                    address: p.address,
                    validator: p.validator,
                })
                .collect(),
            last_votes: stats.last_votes(),
            rounds_started: stats.rounds_started.load(Relaxed),
            round_changes: stats.round_changes.load(Relaxed),
            heights_decided: stats.heights_decided.load(Relaxed),
            last_decided_round: stats.last_decided_round.load(Relaxed),
            recent_warnings,
            warnings_total,
            errors_total,
        }
    })
}

/// The vault of private collection payloads, when `[private] member_key` names the
/// organisation this node serves.
fn private_vault(
    home: &Home,
    config: &Config,
    ledger: &Arc<Ledger>,
    passphrases: &mut Passphrases,
) -> anyhow::Result<Option<Arc<dojang_private::Vault>>> {
    let Some(path) = &config.private.member_key else { return Ok(None) };
    let key = passphrases.load(&crate::config::relative(&home.0, path)).context("[private] member_key")?;
    let store = dojang_private::PrivateStore::open(&home.private())?;
    let vault = dojang_private::Vault::new(store, ledger.clone(), Some(Arc::new(key)), &config.api.peers);
    info!(member = %vault.member().map(|a| a.to_string()).unwrap_or_default(), "holding private collections for this member");
    Ok(Some(Arc::new(vault)))
}

/// The node's libp2p identity key (written by `init`; generated here for older homes,
/// encrypted when a passphrase is at hand, else in clear with a warning on every load).
fn network_key(home: &Home, passphrases: &mut Passphrases) -> anyhow::Result<ed25519_dalek::SigningKey> {
    let path = home.network_key();
    if !path.exists() {
        let key = Keypair::generate(dojang_crypto::Algorithm::Ed25519);
        let protection = match passphrases.for_opening("the new network key")? {
            Some(passphrase) => KeyProtection::Encrypted { passphrase, kdf: KdfParams::STRONG },
            None => KeyProtection::Clear,
        };
        KeyFile::save_new(&key, &path, protection)?;
    }
    match passphrases.load(&path)? {
        Keypair::Ed25519(k) => Ok(k),
        Keypair::P256 { .. } => bail!("{} must hold an ed25519 key", path.display()),
    }
}

pub async fn shutdown_signal() {
    let ctrl_c = tokio::signal::ctrl_c();
    #[cfg(unix)]
    {
        let mut term =
            tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()).expect("signal handler installs");
        tokio::select! {
            _ = ctrl_c => {}
            _ = term.recv() => {}
        }
    }
    #[cfg(not(unix))]
    {
        let _ = ctrl_c.await;
    }
}
