//! A local network of validators for trying multi-agency operation on one machine: shared
//! genesis, one home per node, loopback ports, and a runner that starts and stops them all.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{bail, Context};
use clap::{Args, Subcommand};
use dojang_crypto::{Algorithm, KdfParams, KeyFile, KeyProtection, Keypair, Passphrase};
use dojang_ledger::GenesisValidator;

use crate::config::{Config, Home};
use crate::init::{new_genesis, write_genesis};

#[derive(Args)]
#[command(args_conflicts_with_subcommands = true)]
pub struct TestnetArgs {
    #[command(subcommand)]
    pub action: Option<TestnetAction>,
    /// Validators to create (use 1 or 4 or more; with 2 or 3 a single failure stops the chain).
    #[arg(long, default_value_t = 4)]
    pub validators: usize,
    /// Observers (non-voting full nodes) to create beside the validators.
    #[arg(long, default_value_t = 0)]
    pub observers: usize,
    /// Directory for the homes (`node-0`, `node-1`, …) and the shared demo keys (`keys/`).
    #[arg(long)]
    pub dir: Option<PathBuf>,
    #[arg(long, default_value = "dojang-testnet")]
    pub chain_id: String,
    /// Node i serves its API on base+i and consensus on base+100+i (all on 127.0.0.1).
    #[arg(long, default_value_t = 27000)]
    pub base_port: u16,
}

#[derive(Subcommand)]
pub enum TestnetAction {
    /// Start every node under DIR, and stop them all on Ctrl-C.
    Start {
        #[arg(long)]
        dir: PathBuf,
    },
}

fn api_addr(base: u16, i: usize) -> String {
    format!("127.0.0.1:{}", base as usize + i)
}

fn p2p_addr(base: u16, i: usize) -> String {
    format!("/ip4/127.0.0.1/tcp/{}", base as usize + 100 + i)
}

/// Writes the homes of a new local network.
pub fn create(args: &TestnetArgs) -> anyhow::Result<()> {
    let dir = args.dir.clone().context("--dir is required")?;
    let total = args.validators + args.observers;
    if args.validators == 0 || total > 100 {
        bail!("--validators must be at least 1, and validators + observers at most 100");
    }
    if args.base_port as usize + 100 + total > u16::MAX as usize {
        bail!("--base-port {} leaves no room for {total} nodes", args.base_port);
    }
    if dir.join("node-0").exists() {
        bail!("{} already holds a testnet; choose another --dir", dir.display());
    }
    // A local test network: keys in clear and marked as demo keys, unless a passphrase is in
    // the environment (then every node needs it to start).
    let passphrase = Passphrase::from_env()?;
    let protection = match &passphrase {
        Some(p) => KeyProtection::Encrypted { passphrase: p, kdf: KdfParams::STRONG },
        None => KeyProtection::ClearDemo,
    };
    let mut keys = Vec::with_capacity(total);
    for i in 0..total {
        let home = Home(dir.join(format!("node-{i}")));
        std::fs::create_dir_all(home.0.join("keys")).with_context(|| format!("cannot create {}", home.0.display()))?;
        let key = Keypair::generate(Algorithm::Ed25519);
        KeyFile::save_new(&key, &home.validator_key(), protection)?;
        keys.push(key);
    }
    let validators = keys[..args.validators]
        .iter()
        .enumerate()
        .map(|(i, k)| GenesisValidator {
            name: format!("node-{i}"),
            public_key: k.public_key(),
            power: crate::init::GENESIS_POWER,
        })
        .collect();
    let genesis = new_genesis(&args.chain_id, validators, true, &dir.join("keys"), protection)?;
    for i in 0..total {
        let home = Home(dir.join(format!("node-{i}")));
        write_genesis(&genesis, &home.genesis())?;
        let mut config = Config::new(&format!("node-{i}"));
        config.api.listen_addr = api_addr(args.base_port, i).parse()?;
        config.consensus.listen_addr = p2p_addr(args.base_port, i);
        let others = (0..total).filter(|&j| j != i);
        config.consensus.persistent_peers = others.clone().map(|j| p2p_addr(args.base_port, j)).collect();
        config.api.peers = others.map(|j| format!("http://{}", api_addr(args.base_port, j))).collect();
        config.save(&home.config())?;
    }
    println!(
        "wrote {} validator and {} observer homes for chain '{}' in {}",
        args.validators,
        args.observers,
        args.chain_id,
        dir.display()
    );
    for i in 0..total {
        let role = if i < args.validators { "validator" } else { "observer" };
        println!(
            "  node-{i} ({role}): API http://{}, consensus {}",
            api_addr(args.base_port, i),
            p2p_addr(args.base_port, i)
        );
    }
    println!("demo agency keys (admin, issuers, verifiers) are in {}", dir.join("keys").display());
    println!("start them all with: dojang testnet start --dir {}", dir.display());
    Ok(())
}

fn homes(dir: &Path) -> anyhow::Result<Vec<PathBuf>> {
    let mut homes: Vec<(usize, PathBuf)> = std::fs::read_dir(dir)
        .with_context(|| format!("cannot read {}", dir.display()))?
        .filter_map(|e| e.ok())
        .filter_map(|e| {
            let name = e.file_name().into_string().ok()?;
            let i: usize = name.strip_prefix("node-")?.parse().ok()?;
            Some((i, e.path()))
        })
        .filter(|(_, p)| p.join("config.toml").exists())
        .collect();
    homes.sort();
    if homes.is_empty() {
        bail!("no node homes (node-0, node-1, …) in {}; create them with `dojang testnet --dir`", dir.display());
    }
    Ok(homes.into_iter().map(|(_, p)| p).collect())
}

/// Starts every node under `dir` (logs in each home's `node.log`) and stops them on Ctrl-C
/// or SIGTERM, or as soon as one of them exits.
pub async fn start(dir: &Path) -> anyhow::Result<()> {
    let exe = std::env::current_exe().context("cannot find the dojang binary")?;
    let mut children: Vec<(PathBuf, Child)> = Vec::new();
    for home in homes(dir)? {
        let log = std::fs::File::create(home.join("node.log"))
            .with_context(|| format!("cannot create {}", home.join("node.log").display()))?;
        let child = Command::new(&exe)
            .args(["node", "--home"])
            .arg(&home)
            .stdout(Stdio::from(log.try_clone()?))
            .stderr(Stdio::from(log))
            .spawn()
            .with_context(|| format!("cannot start the node in {}", home.display()))?;
        println!("started {} (pid {}), log in {}", home.display(), child.id(), home.join("node.log").display());
        children.push((home, child));
    }
    println!("{} nodes running; Ctrl-C stops them all", children.len());
    let exited = tokio::select! {
        _ = crate::run::shutdown_signal() => None,
        home = watch(&mut children) => Some(home),
    };
    if let Some(home) = exited {
        eprintln!("the node in {} exited; stopping the others (see its node.log)", home.display());
    }
    stop_all(&mut children);
    println!("all nodes stopped");
    Ok(())
}

async fn watch(children: &mut [(PathBuf, Child)]) -> PathBuf {
    loop {
        for (home, child) in children.iter_mut() {
            if let Ok(Some(_)) = child.try_wait() {
                return home.clone();
            }
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

fn stop_all(children: &mut [(PathBuf, Child)]) {
    for (_, child) in children.iter() {
        // SAFETY: kill only sends a signal to a child process we started.
        unsafe {
            libc::kill(child.id() as i32, libc::SIGTERM);
        }
    }
    let deadline = Instant::now() + Duration::from_secs(10);
    for (home, child) in children.iter_mut() {
        while Instant::now() < deadline && matches!(child.try_wait(), Ok(None)) {
            std::thread::sleep(Duration::from_millis(50));
        }
        if matches!(child.try_wait(), Ok(None)) {
            eprintln!("{} did not stop within 10 s; killing it", home.display());
            let _ = child.kill();
        }
        let _ = child.wait();
    }
}
