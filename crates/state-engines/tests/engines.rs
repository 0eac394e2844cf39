//! Both engines driven through the same small workload: every block applied and durable, every
//! proof checked, a proof of a wrong value refused, and the same workload giving the same root.

use dojang_state_engines::{measure, Engine, EngineError, JmtRedb, NomtTrie, Workload};

fn workload() -> Workload {
    Workload {
        keys: 3_000,
        blocks: 6,
        per_block: 400,
        insert_percent: 50,
        load_batch: 1_000,
        value_bytes: 64,
        seed: 11,
    }
}

fn engines(dir: &std::path::Path) -> Vec<Box<dyn Engine>> {
    let expected = 3_000 + 6 * 400;
    vec![
        Box::new(JmtRedb::create(&dir.join("jmt/state.redb")).unwrap()),
        Box::new(NomtTrie::create(&dir.join("nomt"), expected, 2, 64).unwrap()),
    ]
}

/// Each engine loads, applies the blocks and proves keys from the whole state (`measure` fails
/// on the first proof that does not check against the root), and the report has what was done:
/// the blocks' writes, timings, proof sizes, disk used, memory, a root.
#[test]
fn both_engines_apply_every_block_and_prove_sampled_keys() {
    let dir = tempfile::tempdir().unwrap();
    let mut roots = Vec::new();
    for mut engine in engines(dir.path()) {
        let r = measure(engine.as_mut(), &workload(), 300, &mut |_| {}).unwrap();
        assert_eq!(r.updates, 6 * 400, "{}: every write of every measured block applied", r.engine);
        assert!(r.proof_bytes_mean > 32.0, "{}: a proof holds at least one sibling", r.engine);
        assert!(r.updates_per_second > 0.0 && r.proofs_per_second > 0.0 && r.block_ms_max > 0.0);
        assert!(r.disk_bytes > 0, "{}: the engine's files take space", r.engine);
        assert!(r.peak_rss_bytes >= r.rss_at_start_bytes && r.rss_at_start_bytes.is_some(), "{r:?}");
        assert_eq!(r.root.len(), 64);
        assert_ne!(r.root, "0".repeat(64), "{}: the state has a root", r.engine);
        if r.engine == "nomt" {
            assert!(r.occupancy.is_some_and(|o| o > 0.0 && o < 0.9), "{:?}", r.occupancy);
        } else {
            assert_eq!(r.occupancy, None, "jmt grows without a fixed-size table");
        }
        roots.push(r.root);
    }
    assert_ne!(roots[0], roots[1], "the engines hash different trees: the roots are their own");
}

/// A workload the state cannot give is refused before any engine work.
#[test]
fn a_workload_too_large_for_the_state_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let too_few = Workload { keys: 100, ..workload() };
    for mut engine in engines(dir.path()) {
        match measure(engine.as_mut(), &too_few, 10, &mut |_| {}) {
            Err(EngineError::Workload(why)) => assert!(why.contains("load at least 400 keys"), "{why}"),
            other => panic!("{}: {other:?}", engine.name()),
        }
    }
}

/// A proof checked against a value the key does not hold fails, in both engines: the check is
/// against the root, not a formality.
#[test]
fn a_proof_of_another_value_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    for mut engine in engines(dir.path()) {
        engine.apply(0, vec![(b"a/1".to_vec(), b"one".to_vec()), (b"a/2".to_vec(), b"two".to_vec())]).unwrap();
        engine.apply(1, vec![(b"a/1".to_vec(), b"uno".to_vec())]).unwrap();
        engine.prove(b"a/1", b"uno").unwrap();
        engine.prove(b"a/2", b"two").unwrap();
        for (key, wrong) in [(&b"a/1"[..], &b"one"[..]), (b"a/2", b"uno"), (b"a/3", b"none")] {
            match engine.prove(key, wrong) {
                Err(EngineError::BadProof { .. }) => {}
                other => panic!("{}: proving {key:?} = {wrong:?} gave {other:?}", engine.name()),
            }
        }
    }
}

/// The same writes give the same root in two fresh databases of one engine, and a changed
/// value changes it.
#[test]
fn the_same_writes_give_the_same_root() {
    let dir = tempfile::tempdir().unwrap();
    let writes = |v: &[u8]| (0..200u32).map(|i| (format!("k/{i:04}").into_bytes(), v.to_vec())).collect::<Vec<_>>();
    let mut a = engines(&dir.path().join("a"));
    let mut b = engines(&dir.path().join("b"));
    let mut c = engines(&dir.path().join("c"));
    for i in 0..a.len() {
        let ra = a[i].apply(0, writes(b"x")).unwrap().root;
        let rb = b[i].apply(0, writes(b"x")).unwrap().root;
        let rc = c[i].apply(0, writes(b"y")).unwrap().root;
        assert_eq!(ra, rb, "{}", a[i].name());
        assert_ne!(ra, rc, "{}", a[i].name());
    }
}
