//! The collections module through the real ledger: the council defines, members record
//! commitments, erasure by enough members or at the end of retention (COL-02..06).

use dojang_collections::{commitment, Collections};
use dojang_crypto::{Algorithm, Keypair};
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

fn setup(erasure_approvals: u32, retention_days: u32) -> Setup {
    let chain = Chain::builder().with(Collections).build();
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
    commitment("labour-contracts", "c", &[n; 32], b"{\"wage_krw\": 10320}")
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
    let r = s.chain.ok(&s.comwel, "collections", record("contract-17", some_commitment(1)));
    assert_eq!(event_attr(&r, "recorded", "commitment"), some_commitment(1).to_string());
    assert_eq!(s.chain.code(&s.outsider, "collections", record("contract-18", some_commitment(2))), "COL-04");
    assert_eq!(s.chain.code(&s.district, "collections", record("contract-17", some_commitment(3))), "COL-04");
    let rec = q(&s.chain, "record/labour-contracts/contract-17");
    assert_eq!(rec["commitment"], json!(some_commitment(1)));
    assert_eq!(rec["recorded_by"], json!(s.comwel.public_key().address()));
    assert_eq!(rec["purged"], Value::Null);
    assert_eq!(q(&s.chain, "records/labour-contracts")["records"].as_array().map(Vec::len), Some(1));
    // Unknown collections and malformed names.
    let unknown = json!({"type": "record", "collection": "nope", "key": "k", "commitment": some_commitment(4)});
    assert_eq!(s.chain.code(&s.comwel, "collections", unknown), "unknown_collection");
    assert_eq!(
        s.chain.code(&s.comwel, "collections", record("worker-900101123456", some_commitment(5))),
        "invalid-message"
    );
    assert_eq!(s.chain.code(&s.comwel, "collections", record("Kim Minsu", some_commitment(5))), "invalid-message");
}

#[test]
fn erasure_needs_the_collections_number_of_distinct_members_and_is_final() {
    let s = setup(2, 1095);
    s.chain.ok(&s.comwel, "collections", record("contract-17", some_commitment(1)));
    let r = s.chain.ok(&s.comwel, "collections", erase("contract-17"));
    assert_eq!(event_attr(&r, "erasure_requested", "requests"), "1");
    assert!(r.events.iter().all(|e| e.kind != "purged"), "one of two is not enough");
    assert_eq!(s.chain.code(&s.comwel, "collections", erase("contract-17")), "already_requested");
    assert_eq!(s.chain.code(&s.outsider, "collections", erase("contract-17")), "COL-04");
    let r = s.chain.ok(&s.district, "collections", erase("contract-17"));
    assert_eq!(event_attr(&r, "purged", "reason"), "erasure");
    let rec = q(&s.chain, "record/labour-contracts/contract-17");
    assert_eq!(rec["purged"]["reason"], "erasure");
    assert_eq!(rec["commitment"], json!(some_commitment(1)), "the commitment stays, meaning nothing now");
    // COL-06: final. No second purge, and its retention deadline no longer fires.
    assert_eq!(s.chain.code(&s.district, "collections", erase("contract-17")), "COL-06");
    s.chain.advance_clock(1096 * DAY_MS);
    s.chain.block();
    assert_eq!(q(&s.chain, "record/labour-contracts/contract-17")["purged"]["height"], rec["purged"]["height"]);
    assert_eq!(s.chain.code(&s.comwel, "collections", record("contract-17", some_commitment(9))), "COL-04");
}

#[test]
fn a_record_is_purged_in_the_first_block_after_its_retention_ends() {
    let s = setup(2, 30);
    let r = s.chain.ok(&s.comwel, "collections", record("contract-17", some_commitment(1)));
    let purge_at: u64 = event_attr(&r, "recorded", "purge_at_ms").parse().unwrap();
    let recorded_at = q(&s.chain, "record/labour-contracts/contract-17")["time_ms"].as_u64().unwrap();
    assert_eq!(purge_at, recorded_at + 30 * DAY_MS);
    s.chain.advance_clock(29 * DAY_MS);
    s.chain.block();
    assert_eq!(q(&s.chain, "record/labour-contracts/contract-17")["purged"], Value::Null, "not before its time");
    s.chain.advance_clock(DAY_MS + 1_000);
    let b = s.chain.block();
    let rec = q(&s.chain, "record/labour-contracts/contract-17");
    assert_eq!(rec["purged"]["reason"], "retention");
    assert_eq!(rec["purged"]["height"], b.header.height);
    // Members can still write new records after the clock moved.
    let r = s.chain.send(&s.district, "collections", record("contract-18", some_commitment(2))).unwrap();
    assert_eq!(r.result, TxStatus::Ok);
}
