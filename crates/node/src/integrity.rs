//! The node's checks of its own store at start-up. A node that started on a damaged store
//! would serve blocks no validator signed and build on state that is not the chain's, so it
//! refuses to start instead, saying where the damage is and how to restore.

use std::fmt;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use dojang_ledger::Ledger;
use dojang_store::{Damage, LatestBlock, StateOptions, Store, StoreError};
use dojang_types::SignedTx;
use tracing::{info, warn};

use crate::config::Home;

/// The error a node stops with when its store is damaged; its text is the whole message to
/// the operator.
#[derive(Debug)]
pub struct DamagedStore {
    home: PathBuf,
    data: PathBuf,
    damage: Damage,
}

impl fmt::Display for DamagedStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (data, home) = (self.data.display(), self.home.display());
        match self.damage.height {
            Some(h) => writeln!(f, "the node's store is damaged at height {h}: {}", self.damage.what)?,
            None => writeln!(f, "the node's store is damaged (not tied to one height): {}", self.damage.what)?,
        }
        writeln!(f, "The node will not start on it. To restore:")?;
        writeln!(f, "  1. keep the node stopped (stop its service so that nothing restarts it);")?;
        writeln!(f, "  2. delete {data} (or move it aside to keep it for inspection);")?;
        writeln!(
            f,
            "  3. start the node again with api.peers set to other nodes' APIs: it fetches every block from them and checks each one."
        )?;
        write!(
            f,
            "Or restore {data} from a backup taken while the node was stopped, check it with `dojang verify --home {home}`, and start the node."
        )
    }
}

impl std::error::Error for DamagedStore {}

/// The exit status of a node that refuses a damaged store, so that a supervisor can tell it
/// from other failures (and not restart it in a loop).
pub const EXIT_DAMAGED: i32 = 3;

/// Ends the process when `e` is a [`DamagedStore`]: prints its message alone (no `Error:`
/// prefix or backtrace, whatever `RUST_BACKTRACE` says) and exits with [`EXIT_DAMAGED`].
/// Nothing is running yet when the store is checked, so there is nothing to stop first.
/// Other errors are returned as they are.
pub fn exit_if_damaged(e: anyhow::Error) -> anyhow::Error {
    if let Some(damaged) = e.downcast_ref::<DamagedStore>() {
        eprintln!("{damaged}");
        std::process::exit(EXIT_DAMAGED);
    }
    e
}

fn damaged(home: &Home, damage: Damage) -> anyhow::Error {
    DamagedStore { home: home.0.clone(), data: home.data(), damage }.into()
}

/// Opens the store after redb's check of every page and the checks of the latest block
/// ([`Store::check_latest`]). Returns the latest block for [`check_certificate`], which needs
/// the ledger. A damaged store is a [`DamagedStore`] error.
pub fn open_store(home: &Home, state: StateOptions) -> anyhow::Result<(Store, Option<LatestBlock>)> {
    let path = home.db();
    let (store, check) = match Store::open_checked(&path, state) {
        Ok(opened) => opened,
        Err(StoreError::Corrupt(why)) => return Err(damaged(home, locate(&path, why))),
        Err(e) => return Err(anyhow::Error::new(e).context("cannot open the node's store")),
    };
    info!(
        file_mb = Store::disk_bytes(&path) / (1024 * 1024),
        ms = check.elapsed.as_millis() as u64,
        "store integrity checked (every page)"
    );
    if check.rolled_back {
        warn!("the store's last write was incomplete (a crash?) and was rolled back; the node re-executes its last decided block, or fetches what it lost from peers");
    }
    match store.check_latest() {
        Ok(latest) => Ok((store, latest)),
        Err(damage) => Err(damaged(home, damage)),
    }
}

/// Checks the latest block's certificate against the validator set that decided its height.
pub fn check_certificate(home: &Home, ledger: &Ledger, latest: Option<&LatestBlock>) -> anyhow::Result<()> {
    let Some(latest) = latest else { return Ok(()) };
    let height = latest.block.header.height;
    let set = match ledger.validators_at(height) {
        Ok(Some((set, _))) => set,
        Ok(None) => return Err(damaged(home, Damage::at(height, "no validator set is recorded for this height"))),
        Err(e) => return Err(damaged(home, Damage::at(height, format!("the validator set for this height: {e}")))),
    };
    dojang_crypto::verify_commit(&latest.block.header, &latest.commit, &set)
        .map_err(|e| damaged(home, Damage::at(height, format!("the block's certificate does not finalize it: {e}"))))
}

/// Finds the lowest damaged height of a file redb refused, reading it read-only. Reading a
/// damaged file may panic inside redb; that only means the height stays unknown, so the panic
/// is caught and kept off the terminal (the operator gets one message, not a backtrace).
fn locate(path: &Path, redb_says: String) -> Damage {
    let quiet = std::panic::take_hook();
    std::panic::set_hook(Box::new(|_| {}));
    let found = std::panic::catch_unwind(|| {
        let store = Store::open_read_only(path)?;
        let latest = store.latest_height()?;
        let damage = match store.find_damage()? {
            Some(d) => Some(d),
            None => bad_signature(&store, latest.unwrap_or(0)),
        };
        Ok::<_, StoreError>((latest, damage, store.has_state_trie()))
    });
    std::panic::set_hook(quiet);
    match found {
        Ok(Ok((_, Some(d), _))) => Damage { height: d.height, what: format!("{} ({redb_says})", d.what) },
        Ok(Ok((Some(latest), None, true))) => Damage::untied(format!(
            "{redb_says}; every block up to the recorded height {latest}, its signatures and the latest state check out, so the damage is in redb's own bookkeeping"
        )),
        Ok(Ok((Some(latest), None, false))) => Damage::untied(format!(
            "{redb_says}; every block up to the recorded height {latest} and its signatures check out (the state was not checked: the state trie could not be opened)"
        )),
        Ok(Ok((None, None, _))) | Ok(Err(_)) | Err(_) => Damage::untied(redb_says),
    }
}

/// How long the signature scan may take before the message goes out without a height.
const SIGNATURE_SCAN_BUDGET: Duration = Duration::from_secs(60);

/// The first block holding a transaction whose signature no longer verifies. Block hashes
/// commit to transaction ids, which leave the signature out, so a flipped signature byte is
/// seen only by redb's page checksums; this finds its height.
fn bad_signature(store: &Store, latest: u64) -> Option<Damage> {
    let started = Instant::now();
    for h in 1..=latest {
        if started.elapsed() > SIGNATURE_SCAN_BUDGET {
            return None;
        }
        let block = store.block(h).ok()??;
        let txs: Vec<&SignedTx> = block.txs.iter().collect();
        if let Some(i) = dojang_crypto::verify_txs(&txs).iter().position(|ok| !ok) {
            return Some(Damage::at(h, format!("the signature of transaction {i} does not verify")));
        }
    }
    None
}
