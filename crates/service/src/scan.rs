//! The personal-data scan the demos run (DESIGN.md §7): every byte of every file under the
//! given places (a node's store, blocks and logs; a service's own store), except the places
//! allowed to hold personal data, searched for each name, number or link that must not be
//! there.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use aho_corasick::AhoCorasick;

pub struct Found {
    pub files: usize,
    pub bytes: u64,
    /// A file and the label of the needle found in it.
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

/// Searches every file under `places` (but not under `skip`) for each needle's bytes, and
/// names a hit by the needle's label. All needles are matched in one pass over each file
/// (Aho-Corasick, overlapping matches included), so the scan stays linear in the bytes.
/// A needle of decimal digits (an amount, a number) counts only where it stands alone: inside
/// a longer run of hex digits it is part of a hash or a key written in hex, where any
/// seven-digit amount turns up by chance in a few megabytes.
pub fn search(places: &[PathBuf], skip: &[PathBuf], needles: &[(String, Vec<u8>)]) -> std::io::Result<Found> {
    let needles: Vec<&(String, Vec<u8>)> = needles.iter().filter(|(_, b)| !b.is_empty()).collect();
    let matcher = AhoCorasick::new(needles.iter().map(|(_, b)| b)).map_err(std::io::Error::other)?;
    let mut list = Vec::new();
    for p in places {
        files(p, skip, &mut list);
    }
    let mut found = Found { files: 0, bytes: 0, hits: Vec::new() };
    for f in list {
        let Ok(bytes) = std::fs::read(&f) else { continue };
        found.files += 1;
        found.bytes += bytes.len() as u64;
        let seen: BTreeSet<usize> = matcher
            .find_overlapping_iter(&bytes)
            .filter(|m| !inside_hex(&bytes, needles[m.pattern().as_usize()].1.as_slice(), m.start(), m.end()))
            .map(|m| m.pattern().as_usize())
            .collect();
        found.hits.extend(seen.into_iter().map(|i| (f.clone(), needles[i].0.clone())));
    }
    Ok(found)
}

/// Whether a match of an all-digit `needle` at `start..end` is part of a longer hex-digit run.
fn inside_hex(bytes: &[u8], needle: &[u8], start: usize, end: usize) -> bool {
    let hex = |i: Option<usize>| i.and_then(|i| bytes.get(i)).is_some_and(u8::is_ascii_hexdigit);
    needle.iter().all(u8::is_ascii_digit) && (hex(start.checked_sub(1)) || hex(Some(end)))
}

/// A name as it could leak: as written, and as its unsalted SHA-256 in hex and raw.
pub fn forms(name: &str) -> Vec<(String, Vec<u8>)> {
    let hash = dojang_types::sha256(&[name.as_bytes()]);
    vec![
        (name.to_string(), name.as_bytes().to_vec()),
        (format!("sha256-hex({name})"), hash.to_hex().into_bytes()),
        (format!("sha256({name})"), hash.0.to_vec()),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_each_needle_in_the_files_searched_and_none_in_those_skipped() {
        let dir = tempfile::tempdir().unwrap();
        let private = dir.path().join("private");
        std::fs::create_dir_all(&private).unwrap();
        let hashed = dojang_types::sha256(&["이서연".as_bytes()]);
        let mut planted = b"\x00\x01\xea\xb9\x80\xeb\xaf\xbc\xec\x88\x98 tail ".to_vec();
        planted.extend_from_slice(&hashed.0);
        std::fs::write(dir.path().join("a.bin"), planted).unwrap();
        std::fs::write(private.join("p.json"), "김민수 이서연 도장카페 1호점").unwrap();
        let needles: Vec<_> = ["김민수", "이서연", "도장카페 1호점"].iter().flat_map(|n| forms(n)).collect();
        let found = search(&[dir.path().to_path_buf()], &[private], &needles).unwrap();
        assert_eq!(found.files, 1);
        let mut hits: Vec<&str> = found.hits.iter().map(|(_, l)| l.as_str()).collect();
        hits.sort();
        assert_eq!(hits, ["sha256(이서연)", "김민수"]);
    }

    #[test]
    fn a_number_counts_where_it_stands_alone_not_inside_a_hex_run() {
        let dir = tempfile::tempdir().unwrap();
        let needles = vec![("a wage of 2101104".to_string(), b"2101104".to_vec())];
        let scan = |text: &str| {
            std::fs::write(dir.path().join("f"), text).unwrap();
            search(&[dir.path().to_path_buf()], &[], &needles).unwrap().hits.len()
        };
        assert_eq!(scan("{\"wage\":2101104,\"x\":1}"), 1, "a JSON number");
        assert_eq!(scan("2101104"), 1, "the whole file");
        assert_eq!(scan("paid 2101104 KRW"), 1);
        assert_eq!(scan("\"root\":\"9fa2101104c3e\""), 0, "inside a hash in hex");
        assert_eq!(scan("ab2101104"), 0);
        assert_eq!(scan("2101104f0"), 0);
        assert_eq!(scan("21011049"), 0, "another, longer number");
    }
}
