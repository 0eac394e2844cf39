//! Running real `dojang` processes on loopback for integration tests. Every process is killed
//! when its handle drops (a paused one is continued first), so a failing test leaves nothing
//! behind.

// Each test binary compiles this module on its own and uses a different part of it.
#![allow(dead_code)]

pub mod net;

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{mpsc, Arc, Mutex};
use std::time::{Duration, Instant};

use dojang_crypto::Keypair;
use dojang_sdk::{Client, TxBuilder};
use dojang_types::{sha256, Hash};
use serde_json::{json, Value};

pub const EXE: &str = env!("CARGO_BIN_EXE_dojang");

/// The empty-block interval every test node runs with (`consensus.idle_block_interval_ms`).
pub const IDLE_BLOCK_INTERVAL_MS: u64 = 200;

pub struct NodeProcess {
    pub child: Child,
    pub url: String,
    pub stderr_log: PathBuf,
    /// Stopped with SIGSTOP and not yet continued.
    paused: bool,
}

impl NodeProcess {
    /// Starts `dojang node --home home` on a free loopback port and waits until it is ready.
    pub fn start(home: &Path) -> NodeProcess {
        Self::launch(home, true, &[])
    }

    /// Starts a node on a free port with settings overridden from the environment.
    pub fn start_with_env(home: &Path, env: &[(&str, &str)]) -> NodeProcess {
        Self::launch(home, true, env)
    }

    /// Starts a node on the API address its config names (for networks, where peers know it).
    pub fn start_configured(home: &Path) -> NodeProcess {
        Self::launch(home, false, &[])
    }

    /// Starts a node on the API address its config names, with settings overridden from the
    /// environment.
    pub fn start_configured_with_env(home: &Path, env: &[(&str, &str)]) -> NodeProcess {
        Self::launch(home, false, env)
    }

    fn launch(home: &Path, free_port: bool, env: &[(&str, &str)]) -> NodeProcess {
        let stderr_log = home.join(format!(
            "stderr-{}.log",
            std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_nanos()
        ));
        let mut cmd = Command::new(EXE);
        cmd.arg("node").arg("--home").arg(home);
        if free_port {
            cmd.env("DOJANG_API__LISTEN_ADDR", "127.0.0.1:0");
        }
        cmd.env("DOJANG_API__RATE_LIMIT_PER_SECOND", "100000")
            .env("DOJANG_CONSENSUS__IDLE_BLOCK_INTERVAL_MS", IDLE_BLOCK_INTERVAL_MS.to_string())
            .envs(env.iter().copied())
            .env_remove("RUST_LOG")
            .stdout(Stdio::piped())
            .stderr(std::fs::File::create(&stderr_log).unwrap());
        let mut child = cmd.spawn().expect("dojang starts");
        let stdout = child.stdout.take().unwrap();
        let (tx, rx) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                if let Some(url) = line.split("API on ").nth(1) {
                    let _ = tx.send(url.trim().to_string());
                }
            }
        });
        let url = rx.recv_timeout(Duration::from_secs(60)).unwrap_or_else(|_| {
            let _ = child.kill();
            panic!("node did not start: {}", std::fs::read_to_string(&stderr_log).unwrap_or_default())
        });
        NodeProcess { child, url, stderr_log, paused: false }
    }

    fn signal(&self, sig: libc::c_int) {
        // SAFETY: kill only sends a signal, to a child this handle started and has not reaped.
        let rc = unsafe { libc::kill(self.child.id() as libc::pid_t, sig) };
        assert_eq!(rc, 0, "cannot signal pid {}: {}", self.child.id(), std::io::Error::last_os_error());
    }

    /// SIGSTOP: the process freezes with its sockets open (a hung machine, a long GC pause).
    pub fn pause(&mut self) {
        self.signal(libc::SIGSTOP);
        self.paused = true;
    }

    /// SIGCONT after [`NodeProcess::pause`].
    pub fn resume(&mut self) {
        self.signal(libc::SIGCONT);
        self.paused = false;
    }

    pub fn kill9(mut self) {
        self.child.kill().unwrap();
        self.child.wait().unwrap();
    }

    /// SIGTERM and wait: the clean stop an operator uses.
    pub fn stop(mut self) {
        let _ = Command::new("kill").arg("-TERM").arg(self.child.id().to_string()).status();
        for _ in 0..200 {
            if self.child.try_wait().unwrap().is_some() {
                return;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        panic!("node did not stop within 10 s of SIGTERM");
    }
}

impl Drop for NodeProcess {
    fn drop(&mut self) {
        if self.paused {
            // SAFETY: as in `signal`; the child is not reaped yet.
            unsafe { libc::kill(self.child.id() as libc::pid_t, libc::SIGCONT) };
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The accounts of a home's (or a testnet's) `keys/` directory that may anchor: the admin and
/// the demo agencies (issuers, verifiers, the auditor), whichever exist. Unregistered keys
/// cannot write to the chain.
pub fn anchoring_keys(keys_dir: &Path) -> Vec<Keypair> {
    let names = [
        "admin",
        "audit-office",
        "resident-registry",
        "social-security",
        "employment-insurance",
        "public-works-office",
        "youth-allowance-office",
    ];
    let keys: Vec<Keypair> = names
        .iter()
        .map(|n| keys_dir.join(format!("{n}.json")))
        .filter(|p| p.exists())
        .map(|p| dojang_crypto::KeyFile::load(&p).unwrap())
        .collect();
    assert!(!keys.is_empty(), "no anchoring keys in {}", keys_dir.display());
    keys
}

pub fn init(home: &Path, chain_id: &str) {
    init_with(home, chain_id, &[]);
}

/// A home with the demo agencies' keys (in clear) and the legal parameter tables.
pub fn init_demo(home: &Path, chain_id: &str) {
    init_with(home, chain_id, &["--demo"]);
}

fn init_with(home: &Path, chain_id: &str, extra: &[&str]) {
    let out = Command::new(EXE)
        .args(["init", "--insecure-clear-keys", "--home"])
        .arg(home)
        .args(["--chain-id", chain_id])
        .args(extra)
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
}

/// One transaction a node reported committed: the receipt it answered a submit-and-wait with.
#[derive(Clone, Debug)]
pub struct Ack {
    pub id: Hash,
    pub receipt: Value,
    /// Index into the loader's URLs of the node that answered.
    pub node: usize,
    /// The phase the test had set when the answer arrived (a kill round, a pause, ...).
    pub phase: usize,
    pub at: Instant,
}

/// Submit-and-wait load that records every acknowledgement the moment it arrives, so a test
/// can check afterwards that each one holds, including those answered just before a crash.
/// Eight senders over the given accounts (which must hold a role that may anchor: see
/// [`anchoring_keys`]); each round sends `batch - 1` fire-and-forget anchors and waits for
/// one, spread over the nodes not marked as avoided. The tasks stop when the handle drops.
pub struct Load {
    acks: Arc<Mutex<Vec<Ack>>>,
    phase: Arc<AtomicUsize>,
    avoided: Arc<Mutex<Vec<bool>>>,
    acked: Arc<tokio::sync::Notify>,
    tasks: Vec<tokio::task::JoinHandle<()>>,
}

impl Load {
    pub fn start(urls: Vec<String>, chain_id: &str, accounts: &[Keypair], seed: u8, batch: u8) -> Load {
        assert!(batch >= 1 && !urls.is_empty() && !accounts.is_empty());
        let acks = Arc::new(Mutex::new(Vec::new()));
        let phase = Arc::new(AtomicUsize::new(0));
        let avoided = Arc::new(Mutex::new(vec![false; urls.len()]));
        let acked = Arc::new(tokio::sync::Notify::new());
        let mut tasks = Vec::new();
        for a in 0..8u8 {
            let (urls, chain_id) = (urls.clone(), chain_id.to_string());
            let (acks, phase, avoided, acked) = (acks.clone(), phase.clone(), avoided.clone(), acked.clone());
            let key = accounts[a as usize % accounts.len()].duplicate();
            tasks.push(tokio::spawn(async move {
                let b = TxBuilder::new(chain_id, key);
                let mut n = 0u64;
                loop {
                    n += 1;
                    let live: Vec<usize> = {
                        let avoided = avoided.lock().unwrap();
                        (0..urls.len()).filter(|&i| !avoided[i]).collect()
                    };
                    if live.is_empty() {
                        tokio::time::sleep(Duration::from_millis(50)).await;
                        continue;
                    }
                    let node = live[(a as usize + n as usize) % live.len()];
                    let client = Client::new(&urls[node]);
                    let txs: Vec<_> = (0..batch)
                        .map(|i| {
                            let root = sha256(&[&[seed, a], &n.to_le_bytes(), &[i]]);
                            b.build(
                                "anchor",
                                &json!({"type": "anchor", "namespace": "load", "root": root, "leaves": 1}),
                            )
                        })
                        .collect();
                    // A paused node holds requests without answering: give up on it in time.
                    if batch > 1 {
                        let _ = tokio::time::timeout(Duration::from_secs(5), client.submit_batch(&txs[1..])).await;
                    }
                    match tokio::time::timeout(Duration::from_secs(20), client.submit(&txs[0], true)).await {
                        Ok(Ok(s)) => {
                            if let Some(receipt) = s.receipt {
                                let phase = phase.load(Ordering::SeqCst);
                                acks.lock().unwrap().push(Ack { id: s.id, receipt, node, phase, at: Instant::now() });
                                acked.notify_waiters();
                            }
                        }
                        _ => tokio::time::sleep(Duration::from_millis(50)).await,
                    }
                }
            }));
        }
        Load { acks, phase, avoided, acked, tasks }
    }

    /// Tags the acknowledgements that arrive from now on.
    pub fn set_phase(&self, phase: usize) {
        self.phase.store(phase, Ordering::SeqCst);
    }

    /// Stops (or resumes) sending to node `i`.
    pub fn avoid(&self, i: usize, avoid: bool) {
        self.avoided.lock().unwrap()[i] = avoid;
    }

    pub fn count(&self) -> usize {
        self.acks.lock().unwrap().len()
    }

    /// Waits until at least `n` acknowledgements have arrived in all.
    pub async fn wait_for(&self, n: usize, within: Duration) {
        let deadline = Instant::now() + within;
        while self.count() < n {
            assert!(
                Instant::now() < deadline,
                "only {} of {n} transactions acknowledged within {within:?}",
                self.count()
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    /// Returns as soon as the next acknowledgement has been recorded.
    pub async fn next_ack(&self, within: Duration) {
        let next = self.acked.notified();
        tokio::time::timeout(within, next).await.expect("an acknowledgement arrives");
    }

    /// Waits for the next acknowledgement that node `i` answers and returns it; `None` if none
    /// comes in time.
    pub async fn next_ack_from(&self, i: usize, within: Duration) -> Option<Ack> {
        let (seen, deadline) = (self.count(), Instant::now() + within);
        while Instant::now() < deadline {
            if let Some(ack) = self.acks.lock().unwrap()[seen..].iter().find(|a| a.node == i) {
                return Some(ack.clone());
            }
            tokio::time::sleep(Duration::from_millis(1)).await;
        }
        None
    }

    /// Stops the load; the acknowledgements recorded until now.
    pub fn stop(mut self) -> Vec<Ack> {
        for t in self.tasks.drain(..) {
            t.abort();
        }
        std::mem::take(&mut *self.acks.lock().unwrap())
    }
}

impl Drop for Load {
    fn drop(&mut self) {
        for t in &self.tasks {
            t.abort();
        }
    }
}

/// Every acknowledged transaction is on the node at `url` with the receipt it was acknowledged
/// with (same height, index, result and events).
pub async fn assert_acks_hold(url: &str, acks: &[Ack]) {
    let client = Client::new(url);
    for ack in acks {
        assert_eq!(ack.receipt["tx_id"], json!(ack.id), "an acknowledgement's receipt names its transaction");
        let got = client.tx(&ack.id).await.unwrap_or_else(|e| {
            panic!("{url} lost transaction {} acknowledged committed (phase {}): {e}", ack.id, ack.phase)
        });
        assert_eq!(
            got["receipt"], ack.receipt,
            "{url} holds transaction {} with another receipt than the one acknowledged",
            ack.id
        );
    }
}
