//! What the process costs while an engine runs, read from Linux's `/proc`: bytes it made the
//! disk write, its peak memory, and the disk space its files really take.

use std::path::Path;

fn proc_field(file: &str, field: &str) -> Option<u64> {
    let text = std::fs::read_to_string(file).ok()?;
    let line = text.lines().find(|l| l.starts_with(field))?;
    line[field.len()..].split_whitespace().next()?.parse().ok()
}

/// Bytes this process has caused to be written to storage so far (every thread), or `None`
/// where the kernel does not account for it.
pub fn written_bytes() -> Option<u64> {
    proc_field("/proc/self/io", "write_bytes:")
}

/// The most memory this process has held resident since it started or since
/// [`reset_peak_rss`].
pub fn peak_rss_bytes() -> Option<u64> {
    proc_field("/proc/self/status", "VmHWM:").map(|kb| kb * 1024)
}

/// The process's resident memory now, split into its own (heap, stacks: `RssAnon`) and pages
/// of files it maps (`RssFile`, which the kernel can drop and read again under pressure).
pub fn resident_split() -> Option<(u64, u64)> {
    let anon = proc_field("/proc/self/status", "RssAnon:")?;
    let file = proc_field("/proc/self/status", "RssFile:")?;
    Some((anon * 1024, file * 1024))
}

/// Starts a new peak-memory measurement, so that each engine's peak is its own; false where
/// the kernel does not allow it (the peak then covers the run so far).
pub fn reset_peak_rss() -> bool {
    std::fs::write("/proc/self/clear_refs", "5").is_ok()
}

/// Disk space the file or directory takes: allocated blocks, so that a sparse or preallocated
/// file counts for what it occupies, not for its length.
pub fn allocated_bytes(path: &Path) -> u64 {
    use std::os::unix::fs::MetadataExt as _;
    let Ok(meta) = std::fs::metadata(path) else { return 0 };
    if !meta.is_dir() {
        return meta.blocks() * 512;
    }
    let Ok(entries) = std::fs::read_dir(path) else { return 0 };
    entries.flatten().map(|e| allocated_bytes(&e.path())).sum()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A file of 1 MiB written out takes at least 1 MiB; a directory counts its files.
    #[test]
    fn allocated_bytes_counts_written_files_in_directories() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("a"), vec![1u8; 1 << 20]).unwrap();
        std::fs::create_dir(dir.path().join("sub")).unwrap();
        std::fs::write(dir.path().join("sub/b"), vec![1u8; 1 << 20]).unwrap();
        let file = allocated_bytes(&dir.path().join("a"));
        assert!(file >= 1 << 20, "{file}");
        assert!(allocated_bytes(dir.path()) >= 2 * file, "{}", allocated_bytes(dir.path()));
        assert_eq!(allocated_bytes(&dir.path().join("missing")), 0);
    }

    /// The process's own counters are readable on Linux and the peak is at least a megabyte.
    #[test]
    fn process_counters_are_read() {
        assert!(written_bytes().is_some());
        assert!(peak_rss_bytes().is_some_and(|b| b > 1 << 20));
        let (anon, file) = resident_split().unwrap();
        assert!(anon > 0 && file > 0 && anon + file <= peak_rss_bytes().unwrap() + (64 << 20), "{anon} {file}");
    }
}
