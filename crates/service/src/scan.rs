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
/// A needle of decimal digits (an amount, a number) does not count inside a run of at least
/// [`HEX_RUN`] hex digits: that is a hash, a salt or a key written in hex, where any
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

/// The shortest run of hex digits taken for a hash written in hex (a 64-bit value's hex; our
/// hashes and salts are 64).
const HEX_RUN: usize = 16;

/// Whether a match of an all-digit `needle` at `start..end` lies in a run of at least
/// [`HEX_RUN`] hex digits.
fn inside_hex(bytes: &[u8], needle: &[u8], start: usize, end: usize) -> bool {
    if !needle.iter().all(u8::is_ascii_digit) {
        return false;
    }
    let before = bytes[..start].iter().rev().take_while(|b| b.is_ascii_hexdigit()).count();
    let after = bytes[end..].iter().take_while(|b| b.is_ascii_hexdigit()).count();
    before + (end - start) + after >= HEX_RUN
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
    fn a_number_counts_anywhere_but_inside_a_hash_written_in_hex() {
        let dir = tempfile::tempdir().unwrap();
        let needles = vec![("a wage of 2101104".to_string(), b"2101104".to_vec())];
        let scan = |bytes: &[u8]| {
            std::fs::write(dir.path().join("f"), bytes).unwrap();
            search(&[dir.path().to_path_buf()], &[], &needles).unwrap().hits.len()
        };
        assert_eq!(scan(b"{\"wage\":2101104,\"x\":1}"), 1, "a JSON number");
        assert_eq!(scan(b"2101104"), 1, "the whole file");
        assert_eq!(scan(b"paid 2101104 KRW"), 1);
        assert_eq!(scan(b"fee2101104"), 1, "beside a few letters that happen to be hex");
        assert_eq!(scan(b"\x00\xfe2101104\x0a\x41"), 1, "between binary bytes");
        let hash = "9fa3c0de2101104c3e77aa01b2c3d4e5f60718293a4b5c6d7e8f90a1b2c3d4e5";
        assert_eq!(hash.len(), 64);
        assert_eq!(scan(format!("\"root\":\"{hash}\"").as_bytes()), 0, "inside a hash in hex");
        assert_eq!(scan(b"ab2101104cd3e5f7"), 0, "a run of 16 hex digits");
        assert_eq!(scan(b"ab2101104cd3e5f"), 1, "a run of 15 is not taken for a hash");
    }
}
