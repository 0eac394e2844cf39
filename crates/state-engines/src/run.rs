//! Drives one engine through a workload and reports what it cost.

use std::time::{Duration, Instant};

use serde::Serialize;

use crate::engine::{Engine, EngineError};
use crate::process::{allocated_bytes, peak_rss_bytes, reset_peak_rss, resident_split, written_bytes};
use crate::workload::{Stream, Workload};

/// One engine's figures for one workload.
#[derive(Debug, Clone, Serialize)]
pub struct Report {
    pub engine: &'static str,
    /// Keys before the measured blocks, and after.
    pub keys_before: u64,
    pub keys_after: u64,
    pub load_seconds: f64,
    pub blocks: u64,
    pub updates: u64,
    /// Updates per second over the measured blocks: root computed and durable.
    pub updates_per_second: f64,
    pub root_ms_p50: f64,
    pub root_ms_p99: f64,
    pub commit_ms_p50: f64,
    pub commit_ms_p99: f64,
    /// A whole block (root and durable commit).
    pub block_ms_p50: f64,
    pub block_ms_p99: f64,
    pub block_ms_max: f64,
    /// Bytes the process made the disk write during the measured blocks, per update.
    pub written_bytes_per_update: Option<f64>,
    /// Disk space of the engine's files at the end, and per key in the state.
    pub disk_bytes: u64,
    pub disk_bytes_per_key: f64,
    pub proofs: usize,
    /// Proofs made and checked per second, of keys drawn from the whole state.
    pub proofs_per_second: f64,
    pub proof_bytes_mean: f64,
    /// Resident memory of the process when the measured blocks began (after loading, and
    /// whatever the allocator kept of earlier engines in the same run), and its peak during the
    /// measured blocks and proofs; `None` where the kernel could not restart the peak.
    pub rss_at_start_bytes: Option<u64>,
    pub peak_rss_bytes: Option<u64>,
    /// Resident memory at the end, the process's own and mapped files' apart.
    pub rss_anon_bytes_end: Option<u64>,
    pub rss_file_bytes_end: Option<u64>,
    /// How full the engine's fixed-size structure is at the end, where it has one.
    pub occupancy: Option<f64>,
    /// The last root, in hex.
    pub root: String,
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

/// The value at quantile `q` of sorted `xs`.
fn quantile(xs: &[Duration], q: f64) -> Duration {
    if xs.is_empty() {
        return Duration::ZERO;
    }
    let i = ((xs.len() as f64 * q).ceil() as usize).clamp(1, xs.len()) - 1;
    xs[i]
}

/// Loads the workload's keys, applies its measured blocks, then proves `proofs` keys drawn from
/// the whole state and checks each proof. `progress` hears a line now and then.
pub fn measure(
    engine: &mut dyn Engine,
    w: &Workload,
    proofs: usize,
    progress: &mut dyn FnMut(String),
) -> Result<Report, EngineError> {
    w.check().map_err(EngineError::Workload)?;
    let mut stream = Stream::new(w);
    let started = Instant::now();
    let mut last_said = Instant::now();
    let mut loaded = 0u64;
    while let Some(block) = stream.next_load() {
        loaded += block.writes.len() as u64;
        engine.apply(block.version, block.writes)?;
        if last_said.elapsed() > Duration::from_secs(10) {
            progress(format!("{}: loaded {loaded} of {} keys", engine.name(), w.keys));
            last_said = Instant::now();
        }
    }
    let load_seconds = started.elapsed().as_secs_f64();
    let rss_at_start = reset_peak_rss().then(peak_rss_bytes).flatten();

    let written_before = written_bytes();
    let (mut roots, mut commits, mut wholes) = (Vec::new(), Vec::new(), Vec::new());
    let mut updates = 0u64;
    let mut root = [0u8; 32];
    for _ in 0..w.blocks {
        let block = stream.next_block();
        updates += block.writes.len() as u64;
        let applied = engine.apply(block.version, block.writes)?;
        roots.push(applied.root_time);
        commits.push(applied.commit_time);
        wholes.push(applied.root_time + applied.commit_time);
        root = applied.root;
    }
    let written = written_before.zip(written_bytes()).map(|(a, b)| b.saturating_sub(a));
    let busy: Duration = wholes.iter().sum();
    for xs in [&mut roots, &mut commits, &mut wholes] {
        xs.sort_unstable();
    }

    let started = Instant::now();
    let mut proof_bytes = 0usize;
    for _ in 0..proofs {
        let (key, value) = stream.sample();
        proof_bytes += engine.prove(&key, &value)?.proof_bytes;
    }
    let proving = started.elapsed().as_secs_f64();

    let keys_after = w.final_keys().unwrap_or(u64::MAX);
    let disk_bytes = allocated_bytes(engine.path());
    let resident = resident_split();
    Ok(Report {
        engine: engine.name(),
        keys_before: w.keys,
        keys_after,
        load_seconds,
        blocks: w.blocks,
        updates,
        updates_per_second: if busy.is_zero() { 0.0 } else { updates as f64 / busy.as_secs_f64() },
        root_ms_p50: ms(quantile(&roots, 0.5)),
        root_ms_p99: ms(quantile(&roots, 0.99)),
        commit_ms_p50: ms(quantile(&commits, 0.5)),
        commit_ms_p99: ms(quantile(&commits, 0.99)),
        block_ms_p50: ms(quantile(&wholes, 0.5)),
        block_ms_p99: ms(quantile(&wholes, 0.99)),
        block_ms_max: ms(wholes.last().copied().unwrap_or_default()),
        written_bytes_per_update: written.filter(|_| updates > 0).map(|b| b as f64 / updates as f64),
        disk_bytes,
        disk_bytes_per_key: disk_bytes as f64 / keys_after.max(1) as f64,
        proofs,
        proofs_per_second: if proving > 0.0 { proofs as f64 / proving } else { 0.0 },
        proof_bytes_mean: if proofs > 0 { proof_bytes as f64 / proofs as f64 } else { 0.0 },
        rss_at_start_bytes: rss_at_start,
        peak_rss_bytes: rss_at_start.and(peak_rss_bytes()),
        rss_anon_bytes_end: resident.map(|(anon, _)| anon),
        rss_file_bytes_end: resident.map(|(_, file)| file),
        occupancy: engine.occupancy(),
        root: hex::encode(root),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quantiles_pick_the_rank_that_covers_the_share() {
        let xs: Vec<Duration> = (1..=100).map(Duration::from_millis).collect();
        assert_eq!(quantile(&xs, 0.5), Duration::from_millis(50));
        assert_eq!(quantile(&xs, 0.99), Duration::from_millis(99));
        assert_eq!(quantile(&xs, 1.0), Duration::from_millis(100));
        assert_eq!(quantile(&[], 0.5), Duration::ZERO);
    }
}
