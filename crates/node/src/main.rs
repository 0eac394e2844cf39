//! The `dojang` command: run a node, create homes and keys, talk to a node, benchmark.

mod backup;
mod bench;
mod catchup;
mod cli;
mod commands;
mod config;
mod init;
mod integrity;
mod keys;
mod logging;
mod run;
mod services;
mod testnet;
mod verify;

use std::net::SocketAddr;

use anyhow::Context;
use clap::FromArgMatches as _;

use cli::{Cli, Command, KeysCommand};
use config::{default_home, Config, Home};

fn main() -> anyhow::Result<()> {
    limit_malloc_arenas();
    let matches = cli::command_line().get_matches();
    let service = services::chosen(&matches).unwrap_or_else(|e| e.exit());
    let runtime =
        tokio::runtime::Builder::new_multi_thread().enable_all().build().context("cannot start the async runtime")?;
    match service {
        Some(run) => {
            // A service's settings file has no [log]: it logs by DOJANG_LOG__* (default warn).
            let (filter, json) = dojang_service::settings::log_from_env();
            logging::init(&filter, json, true);
            runtime.block_on(run)
        }
        None => {
            let cli = Cli::from_arg_matches(&matches).unwrap_or_else(|e| e.exit());
            runtime.block_on(dispatch(cli.command))
        }
    }
}

/// Blocks are built, executed and freed on different worker threads; with glibc's default of
/// one malloc arena per thread, freed blocks fragment across arenas and a loaded node holds
/// ~180 MB more than it uses. Two arenas are plenty for two cores.
fn limit_malloc_arenas() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: mallopt only adjusts allocator tuning; it is called before any thread starts.
    unsafe {
        libc::mallopt(libc::M_ARENA_MAX, 2);
    }
}

/// Runs the node in `home`; `dev` overrides its API address (when given) and prints, once the
/// node listens, the demos to try against the address it really uses.
async fn start(home: Home, passphrases: keys::Passphrases, dev: Option<Option<SocketAddr>>) -> anyhow::Result<()> {
    let mut config = Config::load(&home.config())?;
    if let Some(Some(addr)) = dev {
        config.api.listen_addr = addr;
    }
    // Without peers every gossip publish fails with an ERROR line; those are filtered out.
    logging::init(&config.log.filter, config.log.format == "json", config.consensus.persistent_peers.is_empty());
    run::run_node(&home, config, passphrases, dev.is_some()).await
}

async fn dispatch(command: Command) -> anyhow::Result<()> {
    match command {
        Command::Dev { home, chain_id, api_listen } => {
            let home = Home(home.unwrap_or_else(default_home));
            if !home.config().exists() {
                init::init_home(&home, &chain_id, "seoul-city-hall", true, dojang_crypto::KeyProtection::ClearDemo)?;
                println!(
                    "created a development chain '{chain_id}' in {} (demo agency keys in keys/)",
                    home.0.display()
                );
                println!(
                    "WARNING: a development chain keeps its keys IN CLEAR (marked clear_demo_key); for a real chain use `dojang init`, which encrypts them"
                );
            } else {
                println!("resuming the chain in {}", home.0.display());
            }
            start(home, keys::Passphrases::new(None), Some(api_listen)).await
        }
        Command::Init { home, chain_id, moniker, demo, passphrase_file, insecure_clear_keys } => {
            let home = Home(home.unwrap_or_else(default_home));
            commands::check_home_free(&home.0)?;
            let mut passphrases = keys::Passphrases::new(passphrase_file);
            let protection = keys::protection(&mut passphrases, insecure_clear_keys, demo)?;
            let g = init::init_home(&home, &chain_id, &moniker, demo, protection)?;
            println!("initialised {} for chain '{}' (genesis {})", home.0.display(), g.chain_id, g.hash());
            Ok(())
        }
        Command::Node { home, passphrase_file } => {
            start(Home(home.unwrap_or_else(default_home)), keys::Passphrases::new(passphrase_file), None).await
        }
        Command::Join {
            home,
            genesis,
            moniker,
            peer_api,
            peer_p2p,
            api_listen,
            p2p_listen,
            passphrase_file,
            insecure_clear_keys,
        } => {
            let home = Home(home);
            let genesis = dojang_ledger::Genesis::load(&genesis)?;
            let mut config = Config::new(&moniker);
            config.api.peers = peer_api;
            config.api.listen_addr = api_listen;
            config.consensus.persistent_peers = peer_p2p;
            config.consensus.listen_addr = p2p_listen;
            let mut passphrases = keys::Passphrases::new(passphrase_file);
            let protection = keys::protection(&mut passphrases, insecure_clear_keys, false)?;
            let key = init::join_home(&home, &genesis, &config, protection)?;
            println!("created {} to join chain '{}'", home.0.display(), genesis.chain_id);
            println!("its validator key: {} (address {})", key.public_key(), key.public_key().address());
            println!("it follows the chain as an observer until an admin adds this key with update_validators");
            Ok(())
        }
        Command::Testnet(args) => match &args.action {
            Some(testnet::TestnetAction::Start { dir }) => testnet::start(dir).await,
            None => testnet::create(&args),
        },
        Command::Keys { command } => match command {
            KeysCommand::New { out, algorithm, passphrase_file, insecure_clear_keys } => {
                keys::keys_new(&out, &algorithm, &mut keys::Passphrases::new(passphrase_file), insecure_clear_keys)
            }
            KeysCommand::Show { file } => keys::keys_show(&file),
            KeysCommand::Encrypt { file, passphrase_file } => {
                keys::keys_encrypt(&file, &mut keys::Passphrases::new(passphrase_file))
            }
        },
        Command::Tx { node, signer, wait, module, msg } => {
            commands::tx(&node, signer.signer()?, wait, &module, &msg).await
        }
        Command::Query { node, module, path, params } => commands::query(&node, &module, &path, &params).await,
        Command::State { node, key, verify } => commands::state(&node, &key, verify.as_deref()).await,
        Command::Block { node, height } => commands::block(&node, &height).await,
        Command::Status { node } => commands::status(&node).await,
        Command::Bench(args) => bench::run(args).await,
        // `demo` always names a service's demo (handled above); clap requires one.
        Command::Demo => anyhow::bail!("name a demo: dojang demo --help lists them"),
        Command::Verify { home } => {
            let home = Home(home.unwrap_or_else(default_home));
            tokio::task::spawn_blocking(move || verify::verify(&home)).await?
        }
        Command::Backup { home, node, out } => {
            backup::backup(&Home(home.unwrap_or_else(default_home)), node.as_deref(), &out).await
        }
        Command::Restore { home, from, force } => {
            let home = Home(home.unwrap_or_else(default_home));
            tokio::task::spawn_blocking(move || backup::restore(&home, &from, force)).await?
        }
    }
}
