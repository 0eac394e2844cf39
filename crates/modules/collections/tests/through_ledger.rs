//! The collections module through the real ledger: the council defines, members record
//! commitments, erasure by enough members or at the end of retention (COL-02..06).

use dojang_collections::{commitment, Collections};
use dojang_crypto::{Algorithm, Keypair};
use dojang_ledger::BlockApp;
use dojang_testkit::{event_attr, Chain};
use dojang_types::{Hash, TxStatus};
use serde_json::{json, Value};

const DAY_MS: u64 = 86_400_000;

struct Setup {
    chain: Chain,
    comwel: Keypair,
    district: Keypair,
    outsider: Keypair,
}

/// A chain where the council has switched the module on.
fn activated() -> Chain {
    let chain = Chain::builder().with(Collections).build();
    let at = chain.ledger.next_height() + 2;
    chain.council("governance", json!({"type": "activate", "module": "collections", "at_height": at}));
    while chain.ledger.next_height() < at {
        chain.block();
    }
    chain
}

fn setup(erasure_approvals: u32, retention_days: u32) -> Setup {
    let chain = activated();
    let (comwel, district, outsider) = (
        Keypair::generate(Algorithm::Ed25519),
        Keypair::generate(Algorithm::Ed25519),
        Keypair::generate(Algorithm::Ed25519),
    );
    chain.council(
        "collections",
        json!({"type": "define", "id": "labour-contracts",
               "members": [comwel.public_key().address(), district.public_key().address()],
               "erasure_approvals": erasure_approvals, "retention_days": retention_days}),
    );
    Setup { chain, comwel, district, outsider }
}

fn record(key: &str, c: Hash) -> Value {
    json!({"type": "record", "collection": "labour-contracts", "key": key, "commitment": c})
}

fn erase(key: &str) -> Value {
    json!({"type": "request_erasure", "collection": "labour-contracts", "key": key})
}

fn q(chain: &Chain, path: &str) -> Value {
    chain.ledger.query("collections", path, &Value::Null).unwrap()
}

fn some_commitment(n: u8) -> Hash {
    commitment("labour-contracts", K1, &[n; 32], b"{\"wage_krw\": 10320}")
}

/// Record keys, as member nodes draw them (COL-01).
const K1: &str = "0000000000000000000000000000c017";
const K2: &str = "0000000000000000000000000000c018";
const K9: &str = "00000000000000000000000000000999";

/// The hook events of the block at `height` (deadlines, purges by retention).
fn hook_events(chain: &Chain, height: u64) -> Vec<dojang_types::Event> {
    let key = dojang_ledger::hook_events_key(height);
    let rel = &key[b"ledger/".len()..];
    match dojang_ledger::StateRead::read_module(&chain.ledger.committed_state(), "ledger", rel).unwrap() {
        Some(bytes) => serde_json::from_slice(&bytes).unwrap(),
        None => Vec::new(),
    }
}

#[test]
fn nothing_can_be_defined_before_the_council_switches_the_module_on() {
    let chain = Chain::builder().with(Collections).build();
    let m = Keypair::generate(Algorithm::Ed25519);
    let define = json!({"type": "define", "id": "labour-contracts", "members": [m.public_key().address()],
                        "erasure_approvals": 1, "retention_days": 30});
    let proposal = json!({"type": "propose", "proposal": {"module": "collections", "msg": define},
                          "reason": "too early", "expires_at_ms": chain.ledger.clock_ms() + 60_000});
    let r = chain.ok(&chain.admin, "governance", proposal);
    assert_eq!(event_attr(&r, "proposal_failed", "code"), "not_active");
    assert!(chain.ledger.query("collections", "collections", &Value::Null).is_err(), "its queries wait too");
}

#[test]
fn only_the_council_defines_and_only_members_record_each_key_once() {
    let s = setup(2, 1095);
    let c = q(&s.chain, "collection/labour-contracts");
    assert_eq!(c["members"].as_array().map(Vec::len), Some(2));
    assert_eq!(c["erasure_approvals"], 2);
    // COL-03: defining is the council's, and once.
    let again = json!({"type": "define", "id": "labour-contracts", "members": [s.outsider.public_key().address()],
                       "erasure_approvals": 1, "retention_days": 1});
    assert_eq!(s.chain.code(&s.comwel, "collections", again.clone()), "not-permitted");
    let proposal = json!({"type": "propose", "proposal": {"module": "collections", "msg": again},
                          "reason": "redefine", "expires_at_ms": s.chain.ledger.clock_ms() + 60_000});
    let r = s.chain.ok(&s.chain.admin, "governance", proposal);
    assert_eq!(event_attr(&r, "proposal_failed", "code"), "COL-03");

    // COL-04: members record; an outsider cannot; a key is recorded once.
    let r = s.chain.ok(&s.comwel, "collections", record(K1, some_commitment(1)));
    assert_eq!(event_attr(&r, "recorded", "commitment"), some_commitment(1).to_string());
    assert_eq!(s.chain.code(&s.outsider, "collections", record(K2, some_commitment(2))), "COL-04");
    assert_eq!(s.chain.code(&s.district, "collections", record(K1, some_commitment(3))), "COL-04");
    let rec = q(&s.chain, &format!("record/labour-contracts/{K1}"));
    assert_eq!(rec["commitment"], json!(some_commitment(1)));
    assert_eq!(rec["recorded_by"], json!(s.comwel.public_key().address()));
    assert_eq!(rec["purged"], Value::Null);
    assert_eq!(q(&s.chain, "records/labour-contracts")["records"].as_array().map(Vec::len), Some(1));
    // Unknown collections and malformed names.
    let unknown = json!({"type": "record", "collection": "nope", "key": K9, "commitment": some_commitment(4)});
    assert_eq!(s.chain.code(&s.comwel, "collections", unknown), "unknown_collection");
    assert_eq!(
        s.chain.code(&s.comwel, "collections", record("worker-900101-1234567", some_commitment(5))),
        "invalid-message"
    );
    assert_eq!(s.chain.code(&s.comwel, "collections", record("Kim Minsu", some_commitment(5))), "invalid-message");
}

#[test]
fn erasure_needs_the_collections_number_of_distinct_members_and_is_final() {
    let s = setup(2, 1095);
    s.chain.ok(&s.comwel, "collections", record(K1, some_commitment(1)));
    let r = s.chain.ok(&s.comwel, "collections", erase(K1));
    assert_eq!(event_attr(&r, "erasure_requested", "requests"), "1");
    assert!(r.events.iter().all(|e| e.kind != "purged"), "one of two is not enough");
    assert_eq!(s.chain.code(&s.comwel, "collections", erase(K1)), "already_requested");
    assert_eq!(s.chain.code(&s.outsider, "collections", erase(K1)), "COL-04");
    let r = s.chain.ok(&s.district, "collections", erase(K1));
    assert_eq!(event_attr(&r, "purged", "reason"), "erasure");
    let rec = q(&s.chain, &format!("record/labour-contracts/{K1}"));
    assert_eq!(rec["purged"]["reason"], "erasure");
    assert_eq!(rec["commitment"], json!(some_commitment(1)), "the commitment stays, meaning nothing now");
    // COL-06: final. No second purge, and its retention deadline no longer fires.
    assert_eq!(s.chain.code(&s.district, "collections", erase(K1)), "COL-06");
    s.chain.advance_clock(1096 * DAY_MS);
    let b = s.chain.block();
    assert!(
        hook_events(&s.chain, b.header.height).iter().all(|e| e.kind != "deadline" && e.kind != "purged"),
        "an erased record's retention deadline was removed with it"
    );
    assert_eq!(q(&s.chain, &format!("record/labour-contracts/{K1}"))["purged"]["height"], rec["purged"]["height"]);
    assert_eq!(s.chain.code(&s.comwel, "collections", record(K1, some_commitment(9))), "COL-04");
}

#[test]
fn a_record_is_purged_in_the_first_block_after_its_retention_ends() {
    let s = setup(2, 30);
    let r = s.chain.ok(&s.comwel, "collections", record(K1, some_commitment(1)));
    let purge_at: u64 = event_attr(&r, "recorded", "purge_at_ms").parse().unwrap();
    let recorded_at = q(&s.chain, &format!("record/labour-contracts/{K1}"))["time_ms"].as_u64().unwrap();
    assert_eq!(purge_at, recorded_at + 30 * DAY_MS);
    s.chain.advance_clock(29 * DAY_MS);
    s.chain.block();
    assert_eq!(q(&s.chain, &format!("record/labour-contracts/{K1}"))["purged"], Value::Null, "not before its time");
    s.chain.advance_clock(DAY_MS + 1_000);
    let b = s.chain.block();
    let rec = q(&s.chain, &format!("record/labour-contracts/{K1}"));
    assert_eq!(rec["purged"]["reason"], "retention");
    let events = hook_events(&s.chain, b.header.height);
    assert!(
        events.iter().any(|e| e.kind == "purged" && e.attributes.iter().any(|(k, v)| k == "key" && v == K1)),
        "{events:?}"
    );
    assert_eq!(rec["purged"]["height"], b.header.height);
    // Members can still write new records after the clock moved.
    let r = s.chain.send(&s.district, "collections", record(K2, some_commitment(2))).unwrap();
    assert_eq!(r.result, TxStatus::Ok);
}
