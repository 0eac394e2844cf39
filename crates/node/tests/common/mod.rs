//! Running real `dojang` processes on loopback for integration tests. Every process is killed
//! when its handle drops, so a failing test leaves nothing behind.

// Each test binary compiles this module on its own and uses a different part of it.
#![allow(dead_code)]

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{mpsc, Arc, Mutex};
use std::time::{Duration, Instant};

use dojang_crypto::Keypair;
use dojang_sdk::{Client, TxBuilder};
use dojang_types::{sha256, Hash};
use serde_json::json;

pub const EXE: &str = env!("CARGO_BIN_EXE_dojang");

pub struct NodeProcess {
    pub child: Child,
    pub url: String,
    pub stderr_log: PathBuf,
}

impl NodeProcess {
    /// Starts `dojang node --home home` on a free loopback port and waits until it is ready.
    pub fn start(home: &Path) -> NodeProcess {
        Self::launch(home, true)
    }

    /// Starts a node on the API address its config names (for networks, where peers know it).
    pub fn start_configured(home: &Path) -> NodeProcess {
        Self::launch(home, false)
    }

    fn launch(home: &Path, free_port: bool) -> NodeProcess {
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
            .env("DOJANG_CONSENSUS__IDLE_BLOCK_INTERVAL_MS", "200")
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
        NodeProcess { child, url, stderr_log }
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
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

pub fn init(home: &Path, chain_id: &str) {
    let out = Command::new(EXE).args(["init", "--home"]).arg(home).args(["--chain-id", chain_id]).output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
}

/// Submit-and-wait load from eight accounts, spread over `urls` and tolerating nodes that are
/// down: each round sends `batch - 1` fire-and-forget anchors and waits for one. Returns the
/// ids some node reported final.
pub async fn load(urls: Vec<String>, chain_id: &str, seed: u8, run_for: Duration, batch: u8) -> Vec<Hash> {
    let committed = Arc::new(Mutex::new(Vec::new()));
    let deadline = Instant::now() + run_for;
    let mut tasks = Vec::new();
    for a in 0..8u8 {
        let (urls, chain_id, committed) = (urls.clone(), chain_id.to_string(), committed.clone());
        tasks.push(tokio::spawn(async move {
            let b = TxBuilder::new(chain_id, Keypair::ed25519_from_seed([seed ^ a; 32]));
            let mut n = 0u64;
            while Instant::now() < deadline {
                let client = Client::new(&urls[(a as usize + n as usize) % urls.len()]);
                let txs: Vec<_> = (0..batch)
                    .map(|i| {
                        let root = sha256(&[&[seed, a], &n.to_le_bytes(), &[i]]);
                        b.build("anchor", &json!({"type": "anchor", "namespace": "load", "root": root, "leaves": 1}))
                    })
                    .collect();
                let _ = client.submit_batch(&txs[1..]).await;
                match client.submit(&txs[0], true).await {
                    Ok(s) if s.receipt.is_some() => committed.lock().unwrap().push(s.id),
                    Ok(_) => {}
                    Err(_) => tokio::time::sleep(Duration::from_millis(50)).await,
                }
                n += 1;
            }
        }));
    }
    for t in tasks {
        let _ = t.await;
    }
    Arc::try_unwrap(committed).unwrap().into_inner().unwrap()
}
