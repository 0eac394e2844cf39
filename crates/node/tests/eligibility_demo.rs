//! The eligibility demo against a real node, then every file under the node's home (the redb
//! store, the consensus write-ahead log, the node's log, keys and config) searched for the
//! demo's personal data: names, birth dates, resident numbers, agency subject ids, incomes,
//! as written, case-folded and without separators, and as their SHA-256 (hex and raw). None
//! may be there (docs/architecture.md, personal data). Planted copies prove the search finds what it looks for.

mod common;

use std::collections::{BTreeSet, HashMap};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use aho_corasick::AhoCorasick;
use common::{NodeProcess, EXE};
use dojang_crypto::KeyFile;
use serde_json::Value;
use sha2::{Digest as _, Sha256};

/// The personal fields of a demo citizen (crates/services/eligibility/src/demo/citizens.rs).
const FIELDS: [&str; 5] = ["name", "birth_date", "resident_number", "subject", "monthly_income_krw"];

/// What a pattern stands for: a personal value (or a control) in one form.
#[derive(Clone, Debug)]
struct Label {
    field: &'static str,
    value: String,
    form: String,
}

/// One occurrence of a pattern in a file.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
struct Finding {
    file: PathBuf,
    field: &'static str,
    value: String,
    form: String,
    offset: usize,
}

/// Many byte patterns searched in one pass per file, ASCII case-insensitively (so every
/// mix of upper and lower case of a form, and upper- and lower-case hex, is found).
struct Scanner {
    automaton: AhoCorasick,
    patterns: Vec<Vec<u8>>,
    labels: Vec<Vec<Label>>,
    /// A textual form that starts or ends with a digit only counts where the file has no digit
    /// next to it: an income of 2564238 is not found inside a timestamp 1772564238123.
    digit_bounded: Vec<bool>,
}

/// Separators people and systems put inside such values.
fn without_separators(s: &str) -> String {
    s.chars().filter(|c| !matches!(c, ' ' | '-' | '.' | '/' | '_' | ',' | ':')).collect()
}

/// 2564238 -> 2,564,238.
fn thousands(digits: &str) -> String {
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// The textual forms of a value: as written, case-folded both ways, without separators (and,
/// for an amount, with thousands separators).
fn text_forms(field: &str, value: &str) -> Vec<(String, String)> {
    let bare = without_separators(value);
    let mut forms = vec![
        ("exact".to_string(), value.to_string()),
        ("lowercase".to_string(), value.to_lowercase()),
        ("uppercase".to_string(), value.to_uppercase()),
        ("separator-less".to_string(), bare.clone()),
        ("lowercase separator-less".to_string(), bare.to_lowercase()),
        ("uppercase separator-less".to_string(), bare.to_uppercase()),
    ];
    if field == "monthly_income_krw" {
        forms.push(("thousands-separated".to_string(), thousands(value)));
    }
    let mut seen = BTreeSet::new();
    forms.retain(|(_, f)| seen.insert(f.clone()));
    forms
}

impl Scanner {
    /// Patterns for every personal value (each textual form, and the SHA-256 of each textual
    /// form as hex and as raw bytes) and for the controls (public bytes that must be found).
    fn new(values: &[(&'static str, String)], controls: &[(&'static str, Vec<u8>)]) -> Scanner {
        let mut by_pattern: HashMap<Vec<u8>, usize> = HashMap::new();
        let mut scanner = Scanner {
            automaton: AhoCorasick::new([""]).unwrap(),
            patterns: vec![],
            labels: vec![],
            digit_bounded: vec![],
        };
        let mut add = |pattern: Vec<u8>, label: Label, bounded: bool| {
            let i = *by_pattern.entry(pattern.to_ascii_lowercase()).or_insert_with(|| {
                scanner.patterns.push(pattern);
                scanner.labels.push(Vec::new());
                scanner.digit_bounded.push(bounded);
                scanner.patterns.len() - 1
            });
            scanner.labels[i].push(label);
        };
        for &(field, ref value) in values {
            for (form, text) in text_forms(field, value) {
                let label = |form: String| Label { field, value: value.clone(), form };
                let digit_ends =
                    text.starts_with(|c: char| c.is_ascii_digit()) || text.ends_with(|c: char| c.is_ascii_digit());
                add(text.as_bytes().to_vec(), label(form.clone()), digit_ends);
                let digest = Sha256::digest(text.as_bytes());
                add(hex::encode(digest).into_bytes(), label(format!("SHA-256 hex of {form}")), false);
                add(digest.to_vec(), label(format!("SHA-256 raw of {form}")), false);
            }
        }
        for (field, bytes) in controls {
            let value = String::from_utf8(bytes.clone()).unwrap_or_else(|_| hex::encode(bytes));
            add(bytes.clone(), Label { field, value, form: "control".into() }, false);
        }
        scanner.automaton =
            AhoCorasick::builder().ascii_case_insensitive(true).build(&scanner.patterns).expect("patterns compile");
        scanner
    }

    /// Every occurrence of every pattern in `bytes`.
    fn search(&self, file: &Path, bytes: &[u8], out: &mut Vec<Finding>) {
        let digit = |i: Option<usize>| i.and_then(|i| bytes.get(i)).is_some_and(|b| b.is_ascii_digit());
        for m in self.automaton.find_overlapping_iter(bytes) {
            let p = m.pattern().as_usize();
            if self.digit_bounded[p] {
                let pat = &self.patterns[p];
                let before = pat[0].is_ascii_digit() && digit(m.start().checked_sub(1));
                let after = pat[pat.len() - 1].is_ascii_digit() && digit(Some(m.end()));
                if before || after {
                    continue;
                }
            }
            for l in &self.labels[p] {
                out.push(Finding {
                    file: file.to_path_buf(),
                    field: l.field,
                    value: l.value.clone(),
                    form: l.form.clone(),
                    offset: m.start(),
                });
            }
        }
    }

    /// Reads every file under `root` once, recursively, and searches it. Returns the findings
    /// (paths relative to `root`) and the files read with their sizes.
    fn scan_tree(&self, root: &Path) -> (Vec<Finding>, Vec<(PathBuf, u64)>) {
        let (mut findings, mut files) = (Vec::new(), Vec::new());
        let mut dirs = vec![root.to_path_buf()];
        while let Some(dir) = dirs.pop() {
            for entry in std::fs::read_dir(&dir).unwrap() {
                let entry = entry.unwrap();
                let kind = entry.file_type().unwrap();
                let path = entry.path();
                if kind.is_dir() {
                    dirs.push(path);
                } else {
                    assert!(kind.is_file(), "{} is neither a file nor a directory", path.display());
                    let bytes = std::fs::read(&path).unwrap();
                    let rel = path.strip_prefix(root).unwrap().to_path_buf();
                    self.search(&rel, &bytes, &mut findings);
                    files.push((rel, bytes.len() as u64));
                }
            }
        }
        findings.sort();
        files.sort();
        (findings, files)
    }
}

fn personal(findings: &[Finding]) -> Vec<&Finding> {
    findings.iter().filter(|f| f.form != "control").collect()
}

/// The distinct (file, field, value) triples found.
fn found_values(findings: &[&Finding]) -> BTreeSet<(PathBuf, &'static str, String)> {
    findings.iter().map(|f| (f.file.clone(), f.field, f.value.clone())).collect()
}

#[test]
fn the_node_home_holds_no_personal_data_after_the_demo() {
    let dir = tempfile::tempdir().unwrap();
    let home = dir.path().join("node");
    let out =
        Command::new(EXE).args(["init", "--demo", "--chain-id", "demo-scan", "--home"]).arg(&home).output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let node = NodeProcess::start(&home);
    // The demo's personal data goes outside the home: the agencies' records to `work`, the
    // list of citizens to `people.json`.
    let people_file = dir.path().join("people.json");
    let demo = Command::new(EXE)
        .args(["demo", "eligibility", "--citizens", "40", "--node", &node.url, "--home"])
        .arg(&home)
        .arg("--dir")
        .arg(dir.path().join("work"))
        .arg("--personal-data-out")
        .arg(&people_file)
        .env("RUST_BACKTRACE", "0")
        .output()
        .unwrap();
    let printed = String::from_utf8_lossy(&demo.stdout).to_string();
    assert!(demo.status.success(), "demo failed:\n{printed}\n{}", String::from_utf8_lossy(&demo.stderr));
    assert!(printed.contains("A receipt, checked against batch"), "{printed}");
    assert!(printed.contains("refused: the request asks more than policy"), "{printed}");
    assert!(printed.contains("duplicate application"), "{printed}");
    // Stop the node at a moment its consensus WAL holds one of its votes, which carry its
    // validator address (between heights the WAL holds only a header): freeze it, look, and
    // kill it frozen or let it run a moment more. The scan must then find the address there.
    let validator = KeyFile::load(&home.join("keys/validator.json")).unwrap().public_key().address();
    let wal = home.join("data/wal/consensus.wal");
    let mut node = node;
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        node.pause();
        if std::fs::read(&wal).unwrap_or_default().windows(20).any(|w| w == validator.0) {
            break;
        }
        assert!(Instant::now() < deadline, "the consensus WAL never held a vote of the node");
        node.resume();
        std::thread::sleep(Duration::from_millis(30));
    }
    node.kill9();

    let store = dojang_store::Store::open(&home.join("data/ledger.redb")).unwrap();
    let top = store.latest_height().unwrap().unwrap();
    assert!(top > 20, "the demo wrote blocks");
    drop(store);

    // Every personal value the demo generated, once each (two citizens may share a name).
    let people: Vec<Value> = serde_json::from_slice(&std::fs::read(&people_file).unwrap()).unwrap();
    assert_eq!(people.len(), 40);
    let mut values: Vec<(&'static str, String)> = Vec::new();
    for p in &people {
        for field in FIELDS {
            let v = match &p[field] {
                Value::String(s) => s.clone(),
                Value::Number(n) => n.to_string(),
                other => panic!("{field} is {other}"),
            };
            assert!(v.len() >= 5, "{field} '{v}' is long enough to search for");
            values.push((field, v));
        }
    }
    values.sort();
    values.dedup();
    // Public text that must be found where it lives: the identity registry's DID in the store,
    // the engine's start-up line in the node's log.
    // the engine's start-up line in the node's log, the validator's address in the WAL's votes.
    let controls = [
        ("control: registry DID", b"did:web:ssis.seoul.go.kr".to_vec()),
        ("control: log line", b"starting consensus".to_vec()),
        ("control: WAL vote", validator.0.to_vec()),
    ];
    let scanner = Scanner::new(&values, &controls);

    // The search finds every value in the demo's own list of citizens.
    let mut in_list = Vec::new();
    scanner.search(Path::new("people.json"), &std::fs::read(&people_file).unwrap(), &mut in_list);
    let listed: BTreeSet<(&str, String)> = personal(&in_list).iter().map(|f| (f.field, f.value.clone())).collect();
    let missing: Vec<_> = values.iter().filter(|(f, v)| !listed.contains(&(*f, v.clone()))).collect();
    assert!(missing.is_empty(), "the search misses values that are in people.json: {missing:?}");

    // Planted positive controls under the home: one citizen's name case-folded without its
    // space and another's birth date as upper-case hex SHA-256 in a text file, a third's
    // resident number as raw SHA-256 bytes inside random bytes in a subdirectory.
    let pick = |field: &str, nth: usize| people[nth][field].as_str().unwrap().to_string();
    let (name, birth, resident) = (pick("name", 5), pick("birth_date", 6), pick("resident_number", 7));
    let notes = PathBuf::from("planted-notes.txt");
    let blob = PathBuf::from("data").join("planted.bin");
    std::fs::write(
        home.join(&notes),
        format!(
            "caseworker note: applicant={} verified\nref {}\n",
            without_separators(&name).to_lowercase(),
            hex::encode_upper(Sha256::digest(birth.as_bytes()))
        ),
    )
    .unwrap();
    let mut bytes: Vec<u8> = (0..8192).map(|_| rand::random::<u8>()).collect();
    bytes.splice(5000..5000, Sha256::digest(resident.as_bytes()));
    std::fs::write(home.join(&blob), bytes).unwrap();

    let (findings, files) = scanner.scan_tree(&home);
    let found = found_values(&personal(&findings));
    let planted: BTreeSet<_> = [
        (notes.clone(), "name", name.clone()),
        (notes.clone(), "birth_date", birth.clone()),
        (blob.clone(), "resident_number", resident.clone()),
    ]
    .into_iter()
    .collect();
    assert_eq!(found, planted, "with the plants, the scan finds exactly them: {:#?}", personal(&findings));
    let forms: BTreeSet<&str> = personal(&findings).iter().map(|f| f.form.as_str()).collect();
    for form in ["lowercase separator-less", "SHA-256 hex of exact", "SHA-256 raw of exact"] {
        assert!(forms.contains(form), "the plants are found as {form}: {forms:?}");
    }

    // What the scan read: every file, including the store, the consensus WAL and the log.
    let total: u64 = files.iter().map(|(_, n)| n).sum();
    eprintln!("scanned {} files, {total} bytes:", files.len());
    for (f, n) in &files {
        eprintln!("  {} ({n} bytes)", f.display());
    }
    let has = |pred: &dyn Fn(&Path) -> bool| files.iter().any(|(f, n)| pred(f) && *n > 0);
    assert!(has(&|f| f == Path::new("data/ledger.redb")), "the scan read the store");
    assert!(has(&|f| f.to_string_lossy().contains("wal")), "the scan read the consensus WAL");
    assert!(has(&|f| f.to_string_lossy().ends_with(".log")), "the scan read the node's log");
    let controls_in = |field: &str| -> BTreeSet<PathBuf> {
        findings.iter().filter(|f| f.field == field).map(|f| f.file.clone()).collect()
    };
    assert!(
        controls_in("control: registry DID").contains(Path::new("data/ledger.redb")),
        "the store's bytes are searchable as written (the registry's DID is found in it)"
    );
    assert!(
        controls_in("control: log line").iter().any(|f| f.to_string_lossy().ends_with(".log")),
        "the log is searchable (its start-up line is found)"
    );
    assert!(
        controls_in("control: WAL vote").contains(Path::new("data/wal/consensus.wal")),
        "the consensus WAL is searchable (the node's address in its votes is found in it)"
    );

    // Without the plants: nothing personal anywhere under the home.
    std::fs::remove_file(home.join(&notes)).unwrap();
    std::fs::remove_file(home.join(&blob)).unwrap();
    let (findings, files_again) = scanner.scan_tree(&home);
    assert_eq!(files_again.len(), files.len() - 2);
    let leaked = personal(&findings);
    assert!(leaked.is_empty(), "personal data under the node's home: {leaked:#?}");
}
