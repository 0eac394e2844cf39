//! The personal-data scan: every byte of every file under the given places (the node's
//! store, blocks, logs; the desk's index), except the private store, searched for each name.

use std::collections::{BTreeMap, HashSet};
use std::path::{Path, PathBuf};

pub struct Found {
    pub files: usize,
    pub bytes: u64,
    /// A file and the needle found in it.
    pub hits: Vec<(PathBuf, String)>,
}

fn files(place: &Path, skip: &[PathBuf], out: &mut Vec<PathBuf>) {
    if skip.iter().any(|s| place.starts_with(s)) {
        return;
    }
    if place.is_file() {
        out.push(place.to_path_buf());
        return;
    }
    for e in std::fs::read_dir(place).into_iter().flatten().flatten() {
        files(&e.path(), skip, out);
    }
}

/// Searches every file under `places` (but not under `skip`) for each of `needles`, as UTF-8
/// bytes. Needles are grouped by length, so each file is read once per distinct length.
pub fn search(places: &[PathBuf], skip: &[PathBuf], needles: &[String]) -> std::io::Result<Found> {
    let mut by_len: BTreeMap<usize, HashSet<&[u8]>> = BTreeMap::new();
    for n in needles.iter().filter(|n| !n.is_empty()) {
        by_len.entry(n.len()).or_default().insert(n.as_bytes());
    }
    let mut list = Vec::new();
    for p in places {
        files(p, skip, &mut list);
    }
    let mut found = Found { files: 0, bytes: 0, hits: Vec::new() };
    for f in list {
        let Ok(bytes) = std::fs::read(&f) else { continue };
        found.files += 1;
        found.bytes += bytes.len() as u64;
        for (len, set) in &by_len {
            let mut seen = HashSet::new();
            for w in bytes.windows(*len) {
                if set.contains(w) && seen.insert(w) {
                    found.hits.push((f.clone(), String::from_utf8_lossy(w).into_owned()));
                }
            }
        }
    }
    Ok(found)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_each_needle_in_the_files_searched_and_none_in_those_skipped() {
        let dir = tempfile::tempdir().unwrap();
        let private = dir.path().join("private");
        std::fs::create_dir_all(&private).unwrap();
        std::fs::write(dir.path().join("a.bin"), b"\x00\x01\xea\xb9\x80\xeb\xaf\xbc\xec\x88\x98 tail").unwrap();
        std::fs::write(private.join("p.json"), "김민수 이서연").unwrap();
        let needles = vec!["김민수".to_string(), "이서연".to_string(), "도장카페 1호점".to_string()];
        let found = search(&[dir.path().to_path_buf()], &[private], &needles).unwrap();
        assert_eq!(found.files, 1);
        assert_eq!(found.hits, vec![(dir.path().join("a.bin"), "김민수".to_string())]);
    }
}
