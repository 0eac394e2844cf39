//! A node for a demo or a benchmark: the one given with `--node`, or a fresh development chain
//! started from this same binary in a working directory and stopped afterwards.

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::Duration;

use anyhow::{bail, Context};
use dojang_crypto::{KeyFile, Keypair};
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::{Child, Command};

/// The home a node uses when none is given: `$DOJANG_HOME`, else `~/.dojang`.
pub fn default_home() -> PathBuf {
    if let Ok(h) = std::env::var("DOJANG_HOME") {
        return PathBuf::from(h);
    }
    std::env::var("HOME").map(|h| PathBuf::from(h).join(".dojang")).unwrap_or_else(|_| PathBuf::from(".dojang"))
}

/// A working directory: one the user named (kept), or a temporary one removed when dropped.
pub enum WorkDir {
    Kept(PathBuf),
    Temp(PathBuf),
}

impl WorkDir {
    /// `given`, or a fresh directory `<tmp>/<prefix>-<pid>`.
    pub fn new(given: Option<&Path>, prefix: &str) -> WorkDir {
        match given {
            Some(d) => WorkDir::Kept(d.to_path_buf()),
            None => {
                let p = std::env::temp_dir().join(format!("{prefix}-{}", std::process::id()));
                let _ = std::fs::remove_dir_all(&p);
                WorkDir::Temp(p)
            }
        }
    }

    pub fn path(&self) -> &PathBuf {
        match self {
            WorkDir::Kept(p) | WorkDir::Temp(p) => p,
        }
    }
}

impl Drop for WorkDir {
    fn drop(&mut self) {
        if let WorkDir::Temp(p) = self {
            let _ = std::fs::remove_dir_all(p);
        }
    }
}

/// A node this program started; [`StartedNode::stop`] stops it (dropping it kills it).
pub struct StartedNode {
    pub url: String,
    pub pid: u32,
    pub home: PathBuf,
    child: Child,
}

impl StartedNode {
    /// The node's data directory (blocks and state).
    pub fn data_dir(&self) -> PathBuf {
        self.home.join("data")
    }

    /// Asks the node to stop (SIGTERM) and waits for it.
    pub async fn stop(mut self) {
        let _ = std::process::Command::new("kill").arg("-TERM").arg(self.pid.to_string()).status();
        if tokio::time::timeout(Duration::from_secs(20), self.child.wait()).await.is_err() {
            let _ = self.child.kill().await;
        }
    }
}

fn exe() -> anyhow::Result<PathBuf> {
    std::env::current_exe().context("cannot find the dojang executable")
}

/// Starts the node whose home is `home`. A home that holds no node yet becomes a one-validator
/// development chain with the demo agencies (their keys in `home/keys`, in clear: demo only).
/// A home with encrypted keys asks for their passphrase at the terminal, or reads
/// `DOJANG_KEY_PASSPHRASE_FILE` / `DOJANG_KEY_PASSPHRASE`.
/// The API listens on a free loopback port, without rate limits (the caller is the only client).
pub async fn start_node(home: &Path) -> anyhow::Result<StartedNode> {
    init_demo_home(home)?;
    start_home(home).await
}

/// Makes `home` a one-validator development chain with the demo agencies, unless it holds a
/// node already.
pub fn init_demo_home(home: &Path) -> anyhow::Result<()> {
    if !home.join("config.toml").exists() {
        let out = std::process::Command::new(exe()?)
            .args(["init", "--chain-id", "dojang-demo", "--moniker", "demo-node", "--demo", "--insecure-clear-keys"])
            .arg("--home")
            .arg(home)
            .env("DOJANG_LOG__FILTER", "error")
            .stdin(Stdio::null())
            .output()
            .context("cannot run dojang init")?;
        if !out.status.success() {
            bail!("dojang init failed for {}: {}", home.display(), String::from_utf8_lossy(&out.stderr).trim());
        }
    }
    Ok(())
}

/// Makes `home` a node that follows the chain of `of_home` without a vote: the same genesis,
/// a key of its own, no member key of any private collection, and `peer_api` to catch up
/// from when it starts. A demo uses it as another agency's node, whose whole home must hold
/// nothing personal. A home that holds a node already only gets its peer replaced, since a
/// restarted demo node listens on a new port.
pub fn init_follower_home(home: &Path, of_home: &Path, peer_api: &str) -> anyhow::Result<()> {
    let config = home.join("config.toml");
    if !config.exists() {
        let out = std::process::Command::new(exe()?)
            .arg("join")
            .arg("--home")
            .arg(home)
            .arg("--genesis")
            .arg(of_home.join("genesis.json"))
            .args(["--moniker", "outside-the-collection", "--peer-api", peer_api])
            .args(["--api-listen", "127.0.0.1:0", "--p2p-listen", "/ip4/127.0.0.1/tcp/0", "--insecure-clear-keys"])
            .env("DOJANG_LOG__FILTER", "error")
            .stdin(Stdio::null())
            .output()
            .context("cannot run dojang join")?;
        if !out.status.success() {
            bail!("dojang join failed for {}: {}", home.display(), String::from_utf8_lossy(&out.stderr).trim());
        }
        return Ok(());
    }
    let mut doc: toml::Table = std::fs::read_to_string(&config)?.parse()?;
    let api = doc.get_mut("api").and_then(|a| a.as_table_mut()).context("the follower's config has no [api]")?;
    api.insert("peers".into(), toml::Value::Array(vec![peer_api.into()]));
    std::fs::write(&config, toml::to_string(&doc)?)?;
    Ok(())
}

/// Starts the node of an existing home (see [`start_node`]).
pub async fn start_home(home: &Path) -> anyhow::Result<StartedNode> {
    start_home_with(home, &[]).await
}

/// [`start_home`] with more settings as environment overrides (`DOJANG_<SECTION>__<KEY>`):
/// a demo that restarts its node with a clock offset to let a year pass.
pub async fn start_home_with(home: &Path, settings: &[(&str, String)]) -> anyhow::Result<StartedNode> {
    Ok(start_home_reading(home, settings, Duration::from_secs(60)).await?.0)
}

/// [`start_home_with`], waiting up to `ready_within` for the node to be ready, and returning
/// what it printed before: a bench reads how long its catch-up took.
pub async fn start_home_reading(
    home: &Path,
    settings: &[(&str, String)],
    ready_within: Duration,
) -> anyhow::Result<(StartedNode, Vec<String>)> {
    let mut child = Command::new(exe()?)
        .arg("node")
        .arg("--home")
        .arg(home)
        .envs(settings.iter().map(|(k, v)| (*k, v.as_str())))
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
    let mut before = Vec::new();
    let url = tokio::time::timeout(ready_within, async {
        while let Some(line) = lines.next_line().await? {
            if let Some(rest) = line.split("API on ").nth(1) {
                return Ok(rest.trim().to_string());
            }
            before.push(line);
        }
        bail!("node exited before it was ready")
    })
    .await
    .with_context(|| format!("node did not become ready within {} s", ready_within.as_secs()))??;
    tokio::spawn(async move { while let Ok(Some(_)) = lines.next_line().await {} });
    Ok((StartedNode { url, pid, home: home.to_path_buf(), child }, before))
}

/// The node a demo runs against: the one at `--node` (its home, for the demo agencies' keys,
/// from `--home` or the default), or one started in `work/node`.
pub async fn demo_node(
    node: Option<&str>,
    home: Option<&Path>,
    work: &Path,
) -> anyhow::Result<(Option<StartedNode>, String, PathBuf)> {
    Ok(match node {
        Some(url) => (None, url.to_string(), home.map(Path::to_path_buf).unwrap_or_else(default_home)),
        None => {
            let s = start_node(&work.join("node")).await?;
            let (url, home) = (s.url.clone(), s.home.clone());
            (Some(s), url, home)
        }
    })
}

/// A demo agency's key from a development chain's home (`keys/<name>.json`, in clear).
pub fn demo_key(home: &Path, name: &str) -> anyhow::Result<Keypair> {
    KeyFile::load(&home.join(format!("keys/{name}.json")))
        .with_context(|| format!("the demo needs the demo key {name} (a `dojang dev` home)"))
}

/// Resident memory of a process in MB (Linux).
pub fn rss_mb(pid: u32) -> Option<f64> {
    status_mb(pid, "VmRSS:")
}

/// The most memory process `pid` has held resident since it started (Linux).
pub fn peak_rss_mb(pid: u32) -> Option<f64> {
    status_mb(pid, "VmHWM:")
}

fn status_mb(pid: u32, field: &str) -> Option<f64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let kb: f64 = status.lines().find(|l| l.starts_with(field))?.split_whitespace().nth(1)?.parse().ok()?;
    Some(kb / 1024.0)
}

/// CPU seconds a process has used, user and system (Linux, where `/proc` counts in clock
/// ticks of `USER_HZ`, 100 a second on every architecture Linux builds for by default).
pub fn cpu_seconds(pid: u32) -> Option<f64> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // The command name may hold spaces; the fields after it are space-separated.
    let fields: Vec<&str> = stat.rsplit_once(')')?.1.split_whitespace().collect();
    let ticks = |i: usize| fields.get(i)?.parse::<u64>().ok();
    Some((ticks(11)? + ticks(12)?) as f64 / 100.0)
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_temporary_work_dir_is_removed_and_a_named_one_kept() {
        let named = tempfile::tempdir().unwrap();
        std::fs::write(named.path().join("f"), b"x").unwrap();
        drop(WorkDir::new(Some(named.path()), "unused"));
        assert!(named.path().join("f").exists());
        let temp = WorkDir::new(None, "dojang-kit-test");
        std::fs::create_dir_all(temp.path().join("a")).unwrap();
        std::fs::write(temp.path().join("a/f"), b"hello").unwrap();
        assert_eq!(dir_bytes(temp.path()), 5);
        let p = temp.path().clone();
        drop(temp);
        assert!(!p.exists());
    }
}
