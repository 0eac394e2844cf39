//! The `dojang` command: run a node, create homes and keys, talk to a node, benchmark.

mod bench;
mod cli;
mod commands;
mod config;
mod init;
mod logging;
mod run;
mod verify;

use anyhow::Context;
use clap::Parser;

use cli::{Cli, Command, KeysCommand};
use config::{default_home, Config, Home};

fn main() -> anyhow::Result<()> {
    limit_malloc_arenas();
    let cli = Cli::parse();
    let runtime =
        tokio::runtime::Builder::new_multi_thread().enable_all().build().context("cannot start the async runtime")?;
    runtime.block_on(dispatch(cli.command))
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

async fn start(home: Home) -> anyhow::Result<()> {
    let config = Config::load(&home.config())?;
    let genesis = dojang_ledger::Genesis::load(&home.genesis())?;
    logging::init(&config.log.filter, config.log.format == "json", genesis.validators.len() == 1);
    run::run_node(&home, config).await
}

async fn dispatch(command: Command) -> anyhow::Result<()> {
    match command {
        Command::Dev { home, chain_id } => {
            let home = Home(home.unwrap_or_else(default_home));
            if !home.config().exists() {
                init::init_home(&home, &chain_id, "seoul-city-hall", true)?;
                println!(
                    "created a development chain '{chain_id}' in {} (demo agency keys in keys/)",
                    home.0.display()
                );
            } else {
                println!("resuming the chain in {}", home.0.display());
            }
            start(home).await
        }
        Command::Init { home, chain_id, moniker, demo } => {
            let home = Home(home.unwrap_or_else(default_home));
            commands::check_home_free(&home.0)?;
            let g = init::init_home(&home, &chain_id, &moniker, demo)?;
            println!("initialised {} for chain '{}' (genesis {})", home.0.display(), g.chain_id, g.hash());
            Ok(())
        }
        Command::Node { home } => start(Home(home.unwrap_or_else(default_home))).await,
        Command::Keys { command } => match command {
            KeysCommand::New { out, algorithm } => commands::keys_new(&out, &algorithm),
            KeysCommand::Show { file } => commands::keys_show(&file),
        },
        Command::Tx { node, key, wait, module, msg } => commands::tx(&node, &key, wait, &module, &msg).await,
        Command::Query { node, module, path, params } => commands::query(&node, &module, &path, &params).await,
        Command::State { node, key, verify } => commands::state(&node, &key, verify.as_deref()).await,
        Command::Block { node, height } => commands::block(&node, &height).await,
        Command::Status { node } => commands::status(&node).await,
        Command::Bench(args) => bench::run(args).await,
        Command::Verify { home } => {
            let home = Home(home.unwrap_or_else(default_home));
            tokio::task::spawn_blocking(move || verify::verify(&home)).await?
        }
    }
}
