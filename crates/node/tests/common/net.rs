//! A local testnet of real `dojang` processes (`dojang testnet`) and the checks the network
//! tests share: heights, blocks, identical chains on every node, acknowledged transactions.

use std::path::PathBuf;
use std::process::Command;
use std::sync::Arc;
use std::time::{Duration, Instant};

use dojang_crypto::{KeyFile, Keypair};
use dojang_sdk::{Client, TxBuilder};
use dojang_types::sha256;
use serde_json::{json, Value};

use super::{assert_acks_hold, Ack, NodeProcess, EXE};

/// A base port with room for `n` nodes (API on base+i, consensus on base+100+i).
///
/// The ports are taken below the kernel's ephemeral range: a port inside it that is free when
/// checked can be taken a moment later by any outgoing connection (the nodes' own links to each
/// other among them) before the node that should listen on it starts. Tests run in parallel
/// processes, and a base checked free by one can be checked free by another before either
/// starts its nodes: each base is claimed with a marker file (stale after ten minutes), so no
/// two tests running together get the same one.
pub fn free_base(n: usize) -> u16 {
    let ephemeral_low = std::fs::read_to_string("/proc/sys/net/ipv4/ip_local_port_range")
        .ok()
        .and_then(|r| r.split_whitespace().next().and_then(|p| p.parse::<u16>().ok()))
        .unwrap_or(32_768);
    let first = 10_000u16;
    let slots = (ephemeral_low.saturating_sub(first).saturating_sub(200) / 100).max(1);
    let claims = std::env::temp_dir().join("dojang-test-port-claims");
    let _ = std::fs::create_dir_all(&claims);
    loop {
        let base = first + (rand::random::<u16>() % slots) * 100;
        if !claim(&claims.join(base.to_string())) {
            continue;
        }
        let free = (0..n).all(|i| {
            std::net::TcpListener::bind(("127.0.0.1", base + i as u16)).is_ok()
                && std::net::TcpListener::bind(("127.0.0.1", base + 100 + i as u16)).is_ok()
        });
        if free {
            return base;
        }
    }
}

/// Claims a base for this test: the marker is new, or older than any test runs.
fn claim(marker: &std::path::Path) -> bool {
    if std::fs::OpenOptions::new().write(true).create_new(true).open(marker).is_ok() {
        return true;
    }
    let stale = std::fs::metadata(marker)
        .and_then(|m| m.modified())
        .ok()
        .and_then(|t| t.elapsed().ok())
        .is_some_and(|age| age > Duration::from_secs(600));
    // Taken over by rewriting it, so its age starts again.
    stale && std::fs::write(marker, b"").is_ok()
}

/// A testnet's homes and running nodes. Fields drop in order: the nodes are killed (paused
/// ones continued first) before their directory is removed.
pub struct Net {
    pub nodes: Vec<Option<NodeProcess>>,
    pub urls: Vec<String>,
    pub dir: tempfile::TempDir,
}

impl Net {
    pub fn create(validators: usize, observers: usize) -> Net {
        let mut dir = tempfile::tempdir().unwrap();
        let total = validators + observers;
        let base = free_base(total);
        let out = Command::new(EXE)
            .args(["testnet", "--validators", &validators.to_string(), "--observers", &observers.to_string()])
            .args(["--chain-id", "net-test", "--base-port", &base.to_string(), "--dir"])
            .arg(dir.path())
            .output()
            .unwrap();
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        if std::env::var_os("KEEP_TESTNET_DIR").is_some() {
            // For looking into a failure: the homes and the nodes' logs stay.
            dir.disable_cleanup(true);
            eprintln!("KEEP_TESTNET_DIR: keeping {}", dir.path().display());
        }
        let urls = (0..total).map(|i| format!("http://127.0.0.1:{}", base + i as u16)).collect();
        Net { nodes: (0..total).map(|_| None).collect(), urls, dir }
    }

    pub fn home(&self, i: usize) -> PathBuf {
        self.dir.path().join(format!("node-{i}"))
    }

    pub fn start(&mut self, i: usize) {
        self.nodes[i] = Some(NodeProcess::start_configured(&self.home(i)));
    }

    pub fn kill9(&mut self, i: usize) {
        if let Some(n) = self.nodes[i].take() {
            n.kill9();
        }
    }

    pub fn pause(&mut self, i: usize) {
        self.nodes[i].as_mut().expect("node is running").pause();
    }

    pub fn resume(&mut self, i: usize) {
        self.nodes[i].as_mut().expect("node is running").resume();
    }

    pub fn key(&self, name: &str) -> Keypair {
        KeyFile::load(&self.dir.path().join("keys").join(format!("{name}.json"))).unwrap()
    }

    /// The network's accounts that may anchor (admin and demo agencies).
    pub fn anchoring_keys(&self) -> Vec<Keypair> {
        super::anchoring_keys(&self.dir.path().join("keys"))
    }
}

/// The node's status, or `None` if it does not answer within 5 s (down, or paused).
pub async fn status(url: &str) -> Option<Value> {
    tokio::time::timeout(Duration::from_secs(5), Client::new(url).status()).await.ok()?.ok()
}

pub async fn height(url: &str) -> u64 {
    status(url).await.and_then(|s| s["height"].as_u64()).unwrap_or(0)
}

/// The node's counters that say where submissions went (height, committed transactions,
/// mempool, relay), one line, for a test to print beside a failure. Empty if it does not answer.
pub async fn counters(url: &str) -> String {
    let get = async { reqwest::get(format!("{url}/metrics")).await?.text().await };
    let Ok(Ok(text)) = tokio::time::timeout(Duration::from_secs(5), get).await else { return String::new() };
    let wanted = ["dojang_height ", "dojang_txs_committed_total ", "dojang_mempool_size ", "dojang_relay_"];
    text.lines().filter(|l| wanted.iter().any(|w| l.starts_with(w))).collect::<Vec<_>>().join(", ")
}

pub async fn wait_height(url: &str, h: u64, within: Duration) {
    let deadline = Instant::now() + within;
    while height(url).await < h {
        assert!(Instant::now() < deadline, "{url} did not reach height {h} within {within:?}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

pub async fn block(url: &str, h: u64) -> Value {
    Client::new(url).block(h).await.unwrap()
}

/// Keeps the mempools full: batches of fire-and-forget transactions to the given nodes.
pub async fn flood(urls: Vec<String>, chain_id: &str, accounts: Vec<Keypair>, seed: u8, run_for: Duration) {
    let deadline = Instant::now() + run_for;
    let mut tasks = Vec::new();
    for a in 0..4u8 {
        let (urls, chain_id) = (urls.clone(), chain_id.to_string());
        let key = accounts[a as usize % accounts.len()].duplicate();
        tasks.push(tokio::spawn(async move {
            let b = TxBuilder::new(chain_id, key);
            let mut n = 0u64;
            while Instant::now() < deadline {
                let client = Client::new(&urls[(a as usize + n as usize) % urls.len()]);
                let batch: Vec<_> = (0..300u32)
                    .map(|i| {
                        let root = sha256(&[&[seed, a], &n.to_le_bytes(), &i.to_le_bytes()]);
                        b.build("anchor", &json!({"type": "anchor", "namespace": "flood", "root": root, "leaves": 1}))
                    })
                    .collect();
                if client.submit_batch(&batch).await.is_err() {
                    tokio::time::sleep(Duration::from_millis(50)).await;
                }
                // Stay ahead of the chain without burying the nodes under admission work.
                while Instant::now() < deadline {
                    let pending = status(&urls[0]).await.and_then(|s| s["mempool_size"].as_u64()).unwrap_or(0);
                    if pending < 6000 {
                        break;
                    }
                    tokio::time::sleep(Duration::from_millis(20)).await;
                }
                n += 1;
            }
        }));
    }
    for t in tasks {
        let _ = t.await;
    }
}

/// Times between consecutive blocks in `from ..= to`, by header times, sorted.
pub async fn gaps(url: &str, from: u64, to: u64) -> Vec<u64> {
    let mut out = Vec::new();
    let mut prev = block(url, from).await["block"]["header"]["time_ms"].as_u64().unwrap();
    for h in from + 1..=to {
        let t = block(url, h).await["block"]["header"]["time_ms"].as_u64().unwrap();
        out.push(t - prev);
        prev = t;
    }
    out.sort_unstable();
    out
}

/// Transactions finalized in blocks `from+1 ..= to`.
pub async fn txs_between(url: &str, from: u64, to: u64) -> usize {
    let mut n = 0;
    for h in from + 1..=to {
        n += block(url, h).await["block"]["txs"].as_array().map_or(0, |t| t.len());
    }
    n
}

/// Every node at `h` or beyond has the same block hash and state root at `h`.
pub async fn assert_same_chain(urls: &[String], h: u64) {
    let first = block(&urls[0], h).await;
    for url in &urls[1..] {
        let other = block(url, h).await;
        assert_eq!(first["hash"], other["hash"], "block {h} differs between {} and {url}", urls[0]);
        assert_eq!(first["block"]["header"]["state_root"], other["block"]["header"]["state_root"]);
    }
}

/// Waits until the node at `url` has every block the node at `reference` had a moment before
/// (polled in that order), so it is in step with the chain. Returns that height, or why not.
pub async fn wait_caught_up(url: &str, reference: &str, within: Duration) -> Result<u64, String> {
    let deadline = Instant::now() + within;
    loop {
        let live = height(reference).await;
        let here = height(url).await;
        if here >= live && live > 0 {
            return Ok(here);
        }
        if Instant::now() >= deadline {
            return Err(format!(
                "{url} is at {here}, still behind {reference} at {live} after {within:?}: it does not get back in \
                 step with the chain, so one more fault would stall it"
            ));
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// The lowest height among the nodes.
pub async fn lowest_height(urls: &[String]) -> u64 {
    let mut low = u64::MAX;
    for u in urls {
        low = low.min(height(u).await);
    }
    low
}

/// Waits until every node is at `h` or beyond.
pub async fn wait_all(urls: &[String], h: u64, within: Duration) {
    for u in urls {
        wait_height(u, h, within).await;
    }
}

/// Every node has the same block (hash and header, so the same state root) at every height
/// from 1 to `top`.
pub async fn assert_identical_chains(urls: &[String], top: u64) {
    let fetch = |url: String| {
        tokio::spawn(async move {
            let client = Client::new(&url);
            let mut out = Vec::with_capacity(top as usize);
            for h in 1..=top {
                let b = client.block(h).await.unwrap_or_else(|e| panic!("{url} cannot serve block {h}: {e}"));
                out.push((b["hash"].clone(), b["block"]["header"].clone()));
            }
            out
        })
    };
    let handles: Vec<_> = urls.iter().map(|u| fetch(u.clone())).collect();
    let mut chains = Vec::new();
    for h in handles {
        chains.push(h.await.unwrap_or_else(|e| std::panic::resume_unwind(e.into_panic())));
    }
    for (url, chain) in urls.iter().zip(&chains).skip(1) {
        for (i, ((hash0, head0), (hash, head))) in chains[0].iter().zip(chain).enumerate() {
            let h = i as u64 + 1;
            assert_eq!(head0["height"], h, "{} served the wrong block for height {h}", urls[0]);
            assert_eq!(hash0, hash, "block {h} differs between {} and {url}", urls[0]);
            assert_eq!(head0["state_root"], head["state_root"], "state root {h} differs between {} and {url}", urls[0]);
            assert_eq!(head0, head, "header {h} differs between {} and {url}", urls[0]);
        }
    }
}

/// Every acknowledged transaction is on every node with the receipt it was acknowledged with.
pub async fn assert_acks_everywhere(urls: &[String], acks: &[Ack]) {
    let acks = Arc::new(acks.to_vec());
    let handles: Vec<_> = urls
        .iter()
        .map(|u| {
            let (u, acks) = (u.clone(), acks.clone());
            tokio::spawn(async move { assert_acks_hold(&u, &acks).await })
        })
        .collect();
    for h in handles {
        if let Err(e) = h.await {
            std::panic::resume_unwind(e.into_panic());
        }
    }
}

/// The machine's one-minute load average, for judging a liveness failure.
pub fn load_average() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .ok()
        .and_then(|l| l.split(' ').next().map(str::to_string))
        .unwrap_or_default()
}

/// When each new height shows up on the node at `url`, polled every 20 ms until `stop`.
pub async fn watch_arrivals(url: String, stop: Arc<std::sync::atomic::AtomicBool>) -> Vec<(Instant, u64)> {
    let mut seen = Vec::new();
    let mut last = 0;
    while !stop.load(std::sync::atomic::Ordering::Relaxed) {
        if let Some(h) = status(&url).await.and_then(|s| s["height"].as_u64()) {
            if h > last {
                seen.push((Instant::now(), h));
                last = h;
            }
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    seen
}

/// The largest gaps between consecutive blocks `from ..= to` as the node at `url` has them: by
/// block time, and by when the watcher saw them arrive. Prints a timeline of the test's
/// events beside every block that came more than a second after its parent.
pub async fn largest_gaps(
    url: &str,
    from: u64,
    to: u64,
    arrivals: &[(Instant, u64)],
    events: &[(u64, String)],
) -> (Duration, Duration) {
    let mut blocks = Vec::new();
    for h in from..=to {
        blocks.push(block(url, h).await);
    }
    let time = |b: &Value| b["block"]["header"]["time_ms"].as_u64().unwrap();
    let by_time = Duration::from_millis(blocks.windows(2).map(|w| time(&w[1]) - time(&w[0])).max().unwrap_or(0));
    let arrivals: Vec<&(Instant, u64)> = arrivals.iter().filter(|(_, h)| (from..=to).contains(h)).collect();
    let by_arrival = arrivals.windows(2).map(|w| w[1].0 - w[0].0).max().unwrap_or_default();
    let rounds: Vec<u64> = blocks[1..].iter().map(|b| b["commit"]["round"].as_u64().unwrap_or_default()).collect();
    let mut timeline = events.to_vec();
    for w in blocks.windows(2) {
        let gap = time(&w[1]) - time(&w[0]);
        if gap > 1000 {
            let b = &w[1]["block"];
            let (h, round, proposer) = (&b["header"]["height"], &w[1]["commit"]["round"], &b["header"]["proposer"]);
            let txs = b["txs"].as_array().map_or(0, |t| t.len());
            timeline.push((
                time(&w[1]),
                format!("block {h} {gap} ms after its parent (round {round}, {txs} txs, proposer {proposer})"),
            ));
        }
    }
    timeline.sort();
    let t0 = timeline[0].0;
    for (t, what) in &timeline {
        eprintln!("  +{:>6} ms  {what}", t.saturating_sub(t0));
    }
    eprintln!(
        "heights {from} -> {to}: largest gap {by_time:?} by block time, {by_arrival:?} by arrival ({} blocks seen \
         arriving); {} heights decided after round 0, highest round {}",
        arrivals.len(),
        rounds.iter().filter(|&&r| r > 0).count(),
        rounds.iter().max().copied().unwrap_or_default()
    );
    (by_time, by_arrival)
}

/// A one-way TCP relay between two nodes that the test can pause: while paused it holds the
/// bytes back (a link that drops out); resumed, it delivers them. Pausing rather than cutting
/// keeps the engine's connections, so healing does not wait on its redial back-off.
pub struct Link {
    pub port: u16,
    paused: Arc<std::sync::atomic::AtomicBool>,
}

impl Link {
    pub fn to(target: u16) -> Link {
        use std::io::{Read, Write};
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let paused = Arc::new(std::sync::atomic::AtomicBool::new(false));
        let p = paused.clone();
        std::thread::spawn(move || {
            for inbound in listener.incoming().map_while(Result::ok) {
                let Ok(outbound) = std::net::TcpStream::connect(("127.0.0.1", target)) else { continue };
                for (mut from, mut to) in
                    [(inbound.try_clone().unwrap(), outbound.try_clone().unwrap()), (outbound, inbound)]
                {
                    let p = p.clone();
                    std::thread::spawn(move || {
                        let mut buf = vec![0u8; 64 * 1024];
                        while let Ok(n) = from.read(&mut buf) {
                            if n == 0 {
                                break;
                            }
                            while p.load(std::sync::atomic::Ordering::Relaxed) {
                                std::thread::sleep(Duration::from_millis(5));
                            }
                            if to.write_all(&buf[..n]).is_err() {
                                break;
                            }
                        }
                        let _ = to.shutdown(std::net::Shutdown::Both);
                    });
                }
            }
        });
        Link { port, paused }
    }

    pub fn pause(&self, on: bool) {
        self.paused.store(on, std::sync::atomic::Ordering::Relaxed);
    }
}
