//! Programs through the real ledger: who may register them, rule sets within the policy and
//! versioned, the seed revealed only after the window and only if it matches, anchors.

use dojang_crypto::{Algorithm, Keypair};
use dojang_eligibility::Eligibility;
use dojang_identity::Identity;
use dojang_testkit::Chain;
use dojang_types::{encode, sha256, wall_clock_ms};
use serde_json::{json, Value};

fn chain() -> Chain {
    Chain::builder().with(Identity).with(Eligibility).build()
}

const OFFICE: &str = "did:web:jobs.seoul.go.kr";

fn rules(claim: &str) -> Value {
    json!({"conditions": [{"id": "income", "credential": "income", "claim": [claim], "op": "equals", "value": true, "reason": "income too high"}]})
}

#[test]
fn programs_rule_sets_seeds_and_anchors() {
    let c = chain();
    let office = Keypair::generate(Algorithm::Ed25519);
    let stranger = Keypair::generate(Algorithm::Ed25519);
    c.grant(&office, "verifier");
    let key = Keypair::generate(Algorithm::P256);
    assert_eq!(
        c.code(
            &office,
            "identity",
            json!({"type": "register_org", "did": OFFICE, "kid": "o1", "public_key": key.public_key()})
        ),
        "ok"
    );
    let dcql = json!({"credentials": [{"id": "income", "format": "dc+sd-jwt", "meta": {"vct_values": ["urn:income"]}, "claims": [{"path": ["income_le_65pct"]}]}]});
    assert_eq!(c.code(&office, "identity", json!({"type": "register_policy", "id": "pw", "verifier": OFFICE, "legal_basis": "act", "purpose": "jobs", "retention_days": 30, "dcql": dcql})), "ok");

    let seed = sha256(&[b"secret seed"]);
    let now = wall_clock_ms();
    let program = |closes: u64| {
        json!({"type": "register_program", "id": "pw.2026", "office": OFFICE, "name": "Public works", "policy": "pw",
        "window_opens_ms": now - 1000, "window_closes_ms": closes, "quota": 10, "seed_commitment": sha256(&[&seed.0])})
    };
    assert_eq!(c.code(&stranger, "eligibility", program(now + 2_000)), "not-permitted", "needs the verifier role");
    assert_eq!(c.code(&office, "eligibility", program(now + 2_000)), "ok");
    assert_eq!(c.code(&office, "eligibility", program(now + 2_000)), "PRG-01", "registered once");

    let publish = |v: u32, claim: &str| json!({"type": "publish_rule_set", "program": "pw.2026", "version": v, "rules": rules(claim)});
    assert_eq!(
        c.code(&office, "eligibility", publish(1, "monthly_income_krw")),
        "PRG-02",
        "a rule may not read beyond the policy"
    );
    assert_eq!(c.code(&office, "eligibility", publish(2, "income_le_65pct")), "PRG-03");
    assert_eq!(c.code(&office, "eligibility", publish(1, "income_le_65pct")), "ok");
    assert_eq!(c.code(&office, "eligibility", publish(2, "income_le_65pct")), "ok");
    let v1 = c.ledger.query("eligibility", "ruleset/pw.2026/1", &json!({})).unwrap();
    assert_eq!(v1["record"]["rules"]["conditions"][0]["claim"][0], "income_le_65pct");

    let reveal = |s: dojang_types::Hash| json!({"type": "reveal_seed", "program": "pw.2026", "seed": s});
    assert_eq!(c.code(&office, "eligibility", reveal(seed)), "PRG-04", "not before the window closes");
    std::thread::sleep(std::time::Duration::from_millis(2_100));
    assert_eq!(c.code(&office, "eligibility", reveal(sha256(&[b"another"]))), "PRG-04", "must match the commitment");
    assert_eq!(c.code(&office, "eligibility", reveal(seed)), "ok");
    assert_eq!(c.code(&office, "eligibility", reveal(seed)), "PRG-04", "once");

    let root = sha256(&[b"batch"]);
    assert_eq!(
        c.code(
            &stranger,
            "eligibility",
            json!({"type": "anchor_decisions", "program": "pw.2026", "root": root, "leaves": 3})
        ),
        "not-permitted"
    );
    assert_eq!(
        c.code(
            &office,
            "eligibility",
            json!({"type": "anchor_decisions", "program": "pw.2026", "root": root, "leaves": 3})
        ),
        "ok"
    );
    let b = c.ledger.query("eligibility", "batch/pw.2026/1", &json!({})).unwrap();
    assert_eq!(b["record"]["root"], json!(root));
    let p = c.ledger.query("eligibility", "program/pw.2026", &json!({})).unwrap();
    assert_eq!((p["record"]["ruleset_versions"].as_u64(), p["record"]["batches"].as_u64()), (Some(2), Some(1)));
    assert_eq!(p["record"]["seed"], json!(seed));
}

#[test]
fn malformed_messages_and_queries() {
    let c = chain();
    for msg in [
        json!({"type": "register_program", "id": "Bad Id", "office": OFFICE, "name": "x", "policy": "p", "window_opens_ms": 1, "window_closes_ms": 2, "quota": 1, "seed_commitment": sha256(&[b"s"])}),
        json!({"type": "register_program", "id": "p", "office": OFFICE, "name": "x", "policy": "p", "window_opens_ms": 5, "window_closes_ms": 2, "quota": 1, "seed_commitment": sha256(&[b"s"])}),
        json!({"type": "anchor_decisions", "program": "p", "root": sha256(&[b"r"]), "leaves": 0}),
        json!({"type": "publish_rule_set", "program": "p", "version": 1, "rules": {"conditions": [{"id": "x"}]}}),
        json!({"type": "nope"}),
    ] {
        let t = c.tx(&c.admin, "eligibility", msg.clone());
        assert!(c.ledger.submit(&encode(&t)).is_err(), "{msg}");
    }
    for q in ["program/none", "ruleset/none/x", "batch/none/1", "what"] {
        assert!(c.ledger.query("eligibility", q, &json!({})).is_err(), "{q}");
    }
}
