//! `dojang backup` and `dojang restore`: an online, consistent copy of a node's store taken
//! through the running node (`GET /v1/admin/snapshot` with the admin token from its home),
//! checked before it is kept; and putting such a copy in place of a stopped node's store,
//! after checking it belongs to the home's chain. The consensus write-ahead log (data/wal) is
//! never touched: a restored validator keeps what it signed.

use std::io::Write as _;
use std::path::{Path, PathBuf};

use anyhow::{bail, Context};
use dojang_ledger::Genesis;
use dojang_store::{StateOptions, Store};

use crate::config::{Config, Home};

/// A file being written; removed when dropped unless kept.
struct Scratch(Option<PathBuf>);

impl Scratch {
    /// Claims `path`, which must not exist (another backup or restore may be writing it).
    fn claim(path: PathBuf) -> anyhow::Result<Scratch> {
        if path.exists() {
            bail!(
                "{} exists: another backup or restore is writing it, or one was cut; remove it and retry",
                path.display()
            );
        }
        Ok(Scratch(Some(path)))
    }

    fn path(&self) -> &Path {
        self.0.as_deref().expect("a scratch file is claimed until kept")
    }

    /// Renames the file to `to` and stops watching it.
    fn keep_as(mut self, to: &Path) -> anyhow::Result<()> {
        let from = self.0.take().expect("a scratch file is claimed until kept");
        std::fs::rename(&from, to).with_context(|| format!("cannot move {} to {}", from.display(), to.display()))
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        if let Some(p) = self.0.take() {
            let _ = std::fs::remove_file(p);
        }
    }
}

/// The admin token's file in a node's home.
pub fn token_path(home: &Home) -> PathBuf {
    home.0.join("admin.token")
}

/// The node's admin token, created (random, readable by its owner only) on first start.
pub fn admin_token(home: &Home) -> anyhow::Result<String> {
    let path = token_path(home);
    match std::fs::read_to_string(&path) {
        Ok(t) if t.trim().len() >= 32 => return Ok(t.trim().to_string()),
        Ok(_) => bail!(
            "{} is too short to be an admin token; delete it and restart the node to make a new one",
            path.display()
        ),
        Err(e) if e.kind() != std::io::ErrorKind::NotFound => {
            return Err(e).with_context(|| format!("cannot read {}", path.display()))
        }
        Err(_) => {}
    }
    let token = hex::encode(rand::random::<[u8; 32]>());
    let mut opts = std::fs::OpenOptions::new();
    opts.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        opts.mode(0o600);
    }
    let mut f = opts.open(&path).with_context(|| format!("cannot create {}", path.display()))?;
    f.write_all(token.as_bytes())?;
    f.sync_all()?;
    Ok(token)
}

/// Checks a store file on its own: every page's checksum, the latest block against everything
/// that refers to it, the latest state against the latest header's state root (opening it
/// builds a state trie from it), and that it is of `genesis`'s chain. Returns its height. The
/// trie built for the check is removed: the store it goes with rebuilds its own.
fn check(file: &Path, genesis: &Genesis, state: StateOptions) -> anyhow::Result<u64> {
    let checked = check_file(file, genesis, state);
    let trie = dojang_store::trie_dir(file);
    if trie.exists() {
        std::fs::remove_dir_all(&trie).with_context(|| format!("cannot remove {}", trie.display()))?;
    }
    checked
}

fn check_file(file: &Path, genesis: &Genesis, state: StateOptions) -> anyhow::Result<u64> {
    let (store, check) =
        Store::open_checked(file, state).with_context(|| format!("{} is not an intact store", file.display()))?;
    if check.rolled_back {
        bail!(
            "{}: its last commit was damaged (redb fell back to the one before); take another backup",
            file.display()
        );
    }
    let stored = store.genesis_hash()?.context("the file holds no genesis")?;
    if stored != genesis.hash() {
        bail!(
            "{} is of another chain (genesis {stored}), not this home's '{}' ({})",
            file.display(),
            genesis.chain_id,
            genesis.hash()
        );
    }
    let latest = store.check_latest().map_err(|d| anyhow::anyhow!("{}: {d}", file.display()))?;
    Ok(latest.map_or(0, |l| l.block.header.height))
}

/// `dojang backup`: fetches a snapshot from the node serving `home` (or `node`), writes it to
/// `out` (a new file), and checks it.
pub async fn backup(home: &Home, node: Option<&str>, out: &Path) -> anyhow::Result<()> {
    if out.exists() {
        bail!("{} already exists; choose a new file", out.display());
    }
    let genesis = Genesis::load(&home.genesis())?;
    let token = std::fs::read_to_string(token_path(home)).with_context(|| {
        format!("cannot read {}: start the node once (it writes its admin token there)", token_path(home).display())
    })?;
    let base = match node {
        Some(n) => n.trim_end_matches('/').to_string(),
        None => {
            let api = Config::load(&home.config())?.api;
            let scheme = if api.tls.is_some() { "https" } else { "http" };
            format!("{scheme}://{}", api.listen_addr)
        }
    };
    let started = std::time::Instant::now();
    let partial = Scratch::claim(dojang_store::partial_path(out))?;
    let written = fetch(&base, token.trim(), partial.path()).await.context("no backup was kept")?;
    let state = Config::load(&home.config())?.state.options();
    let height =
        check(partial.path(), &genesis, state).context("the snapshot did not check out; no backup was kept")?;
    if out.exists() {
        bail!("{} appeared while the backup ran; nothing was overwritten", out.display());
    }
    partial.keep_as(out)?;
    println!(
        "backup of chain '{}' at height {height}: {} ({:.1} MB in {:.1} s), checked",
        genesis.chain_id,
        out.display(),
        written as f64 / 1e6,
        started.elapsed().as_secs_f64()
    );
    Ok(())
}

/// Streams the node's snapshot into `partial`; returns the bytes written.
async fn fetch(base: &str, token: &str, partial: &Path) -> anyhow::Result<u64> {
    let mut res = reqwest::Client::new()
        .get(format!("{base}/v1/admin/snapshot"))
        .bearer_auth(token)
        .send()
        .await
        .with_context(|| format!("cannot reach the node at {base}"))?;
    if !res.status().is_success() {
        let status = res.status();
        bail!("the node refused the snapshot ({status}): {}", res.text().await.unwrap_or_default());
    }
    let expected = res.content_length();
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(partial)
        .with_context(|| format!("cannot create {}", partial.display()))?;
    let mut written = 0u64;
    while let Some(chunk) = res.chunk().await.context("the transfer was cut")? {
        file.write_all(&chunk)?;
        written += chunk.len() as u64;
    }
    file.sync_all()?;
    if let Some(n) = expected.filter(|n| *n != written) {
        bail!("the transfer ended after {written} of {n} bytes; try again");
    }
    Ok(written)
}

/// `dojang restore`: puts a checked backup in place of a stopped node's store. An existing
/// store is kept beside it (`ledger.redb.before-restore`) and only replaced with `force`.
pub fn restore(home: &Home, from: &Path, force: bool) -> anyhow::Result<()> {
    let genesis = Genesis::load(&home.genesis())?;
    if !from.is_file() {
        bail!("{} is not a file", from.display());
    }
    let db = home.db();
    if db.exists() && !force {
        bail!(
            "{} exists; stop the node and pass --force to replace it (it is kept as {}.before-restore)",
            db.display(),
            db.display()
        );
    }
    // The backup is copied, and the copy checked: checking opens the file for writing (redb
    // may repair it), and the backup itself stays untouched.
    std::fs::create_dir_all(home.data())?;
    let copy = Scratch::claim(db.with_extension("redb.restoring"))?;
    std::fs::copy(from, copy.path())
        .with_context(|| format!("cannot copy {} into {}", from.display(), home.data().display()))?;
    let state = Config::load(&home.config())?.state.options();
    let height = check(copy.path(), &genesis, state).context("nothing was restored")?;
    if db.exists() {
        // Opening it proves the node is stopped: a running node holds the file's lock.
        drop(
            Store::open_with(&db, state)
                .with_context(|| format!("cannot open {}: is the node still running? stop it first", db.display()))?,
        );
        let kept = db.with_extension("redb.before-restore");
        if kept.exists() {
            bail!("{} is kept from an earlier restore; move it away first, nothing was changed", kept.display());
        }
        std::fs::rename(&db, &kept).with_context(|| format!("cannot move the old store to {}", kept.display()))?;
        // The old store's state trie is derived from it; the restored store builds its own.
        let trie = dojang_store::trie_dir(&db);
        if trie.exists() {
            std::fs::remove_dir_all(&trie).with_context(|| format!("cannot remove {}", trie.display()))?;
        }
    }
    std::fs::File::open(copy.path())?.sync_all()?;
    copy.keep_as(&db)?;
    std::fs::File::open(home.data())?.sync_all()?;
    println!(
        "restored chain '{}' at height {height} into {}; start the node: it checks the store and catches up from its peers",
        genesis.chain_id,
        db.display()
    );
    Ok(())
}
