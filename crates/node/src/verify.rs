//! `dojang verify`: replays every stored block into a scratch ledger and checks that each
//! block's state root, and the stored state root, are what re-execution gives. For operators
//! after a restore, and for anyone who doubts a copy of the chain.

use std::time::Instant;

use anyhow::{bail, Context};
use dojang_ledger::{BlockApp, Genesis, Ledger, LedgerConfig};
use dojang_store::{StateOptions, Store};

use crate::config::Home;
use crate::services::modules;

pub fn verify(home: &Home) -> anyhow::Result<()> {
    let genesis = Genesis::load(&home.genesis())?;
    let state = crate::config::Config::load(&home.config())?.state.options();
    let stored = Store::open_with(&home.db(), state)
        .with_context(|| format!("cannot open {} (stop the node first)", home.db().display()))?;
    let latest = stored.latest_height()?.context("the store holds no chain yet")?;
    let scratch = std::env::temp_dir().join(format!("dojang-verify-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&scratch);
    let result = replay(&genesis, &stored, latest, &scratch, state);
    let _ = std::fs::remove_dir_all(&scratch);
    result
}

fn replay(
    genesis: &Genesis,
    stored: &Store,
    latest: u64,
    scratch: &std::path::Path,
    state: StateOptions,
) -> anyhow::Result<()> {
    let fresh = Ledger::open(
        Store::open_with(&scratch.join("db.redb"), state)?,
        modules(),
        genesis.clone(),
        LedgerConfig::default(),
    )?;
    let started = Instant::now();
    let mut txs = 0usize;
    for h in 1..=latest {
        let block = stored.block(h)?.with_context(|| format!("block {h} is missing"))?;
        let commit = stored.commit(h)?.with_context(|| format!("the certificate of block {h} is missing"))?;
        if commit.block_hash != block.hash() {
            bail!("the certificate of block {h} is for another block");
        }
        fresh.validate(&block).with_context(|| format!("block {h} does not re-execute"))?;
        fresh.commit(h, &block.hash(), commit)?;
        let (_, replayed) = fresh.store().latest_state_root()?;
        if replayed != block.header.state_root {
            bail!("state root mismatch at height {h}: re-execution gives {replayed}");
        }
        txs += block.txs.len();
        if h % 1000 == 0 {
            eprintln!("verified {h} of {latest} blocks");
        }
    }
    // The stored trie keeps the latest state only: its root is checked at the latest height.
    let (at, stored_root) = stored.latest_state_root()?;
    let (_, replayed) = fresh.store().latest_state_root()?;
    if at != latest || stored_root != replayed {
        bail!("the stored state trie's root at height {at} is {stored_root}; re-execution gives {replayed}");
    }
    println!(
        "verified {latest} blocks ({txs} transactions) in {:.1} s: every state root matches re-execution",
        started.elapsed().as_secs_f64()
    );
    Ok(())
}
