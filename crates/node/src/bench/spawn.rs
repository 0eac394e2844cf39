//! Starting and stopping the node a benchmark runs against.

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::Duration;

use anyhow::{bail, Context};
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::{Child, Command};

use super::BenchHome;
use crate::config::Home;

pub struct StartedNode {
    pub url: String,
    pub pid: u32,
    pub data_dir: PathBuf,
    child: Child,
}

impl StartedNode {
    /// Asks the node to stop (SIGTERM) and waits for it.
    pub async fn stop(mut self) {
        let _ = std::process::Command::new("kill").arg("-TERM").arg(self.pid.to_string()).status();
        if tokio::time::timeout(Duration::from_secs(20), self.child.wait()).await.is_err() {
            let _ = self.child.kill().await;
        }
    }
}

/// Starts a node in `home`, creating a one-validator chain there first (with the demo
/// agencies' keys and roles when `demo`).
pub async fn start_node(home: &BenchHome, demo: bool) -> anyhow::Result<StartedNode> {
    let h = Home(home.path().clone());
    if !h.config().exists() {
        let chain_id = if demo { "dojang-demo" } else { "dojang-bench" };
        crate::init::init_home(&h, chain_id, "bench-node", demo, dojang_crypto::KeyProtection::ClearDemo)?;
    }
    let exe = std::env::current_exe().context("cannot find the dojang executable")?;
    let mut child = Command::new(exe)
        .arg("node")
        .arg("--home")
        .arg(home.path())
        .env("DOJANG_API__LISTEN_ADDR", "127.0.0.1:0")
        .env("DOJANG_API__RATE_LIMIT_PER_SECOND", "1000000")
        .env("DOJANG_API__RATE_LIMIT_BURST", "1000000")
        .env("DOJANG_LOG__FILTER", "warn")
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .kill_on_drop(true)
        .spawn()
        .context("cannot start the node")?;
    let pid = child.id().context("node exited at once")?;
    let stdout = child.stdout.take().context("no stdout")?;
    let mut lines = BufReader::new(stdout).lines();
    let url = tokio::time::timeout(Duration::from_secs(60), async {
        while let Some(line) = lines.next_line().await? {
            if let Some(rest) = line.split("API on ").nth(1) {
                return Ok(rest.trim().to_string());
            }
        }
        bail!("node exited before it was ready")
    })
    .await
    .context("node did not become ready within 60 s")??;
    tokio::spawn(async move { while let Ok(Some(_)) = lines.next_line().await {} });
    Ok(StartedNode { url, pid, data_dir: h.data(), child })
}

/// Resident memory of a process in MB (Linux).
pub fn rss_mb(pid: u32) -> Option<f64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let kb: f64 = status.lines().find(|l| l.starts_with("VmRSS:"))?.split_whitespace().nth(1)?.parse().ok()?;
    Some(kb / 1024.0)
}

/// Total size of the files under a directory.
pub fn dir_bytes(dir: &Path) -> u64 {
    let Ok(entries) = std::fs::read_dir(dir) else { return 0 };
    entries
        .flatten()
        .map(|e| match e.metadata() {
            Ok(m) if m.is_dir() => dir_bytes(&e.path()),
            Ok(m) => m.len(),
            Err(_) => 0,
        })
        .sum()
}
