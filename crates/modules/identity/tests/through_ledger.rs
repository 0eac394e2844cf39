//! The identity registries through the real ledger path, with governance granting the roles.

use dojang_crypto::{Algorithm, Keypair};
use dojang_identity::Identity;
use dojang_ledger::SubmitError;
use dojang_testkit::Chain;
use dojang_types::{encode, sha256, TxError};
use serde_json::{json, Value};

fn chain() -> Chain {
    Chain::builder().with(Identity).build()
}

/// The failure code of an identity message: a receipt's, or `not-permitted` when admission
/// refuses a sender without the role the message needs.
fn fails(c: &Chain, k: &Keypair, msg: Value) -> String {
    let code = c.code(k, "identity", msg.clone());
    assert_ne!(code, "ok", "should have failed: {msg}");
    code
}

const ROOT: &str = "did:web:seoul.go.kr";
const AGENCY: &str = "did:web:income.seoul.go.kr";
const OFFICE: &str = "did:web:jobs.seoul.go.kr";
const VCT: &str = "urn:dojang:income-band:1";

fn key_json(k: &Keypair) -> Value {
    json!(k.public_key())
}

#[test]
fn the_registries_from_root_to_policy() {
    let c = chain();
    let agency = Keypair::generate(Algorithm::Ed25519);
    let office = Keypair::generate(Algorithm::Ed25519);
    let stranger = Keypair::generate(Algorithm::Ed25519);
    let (k1, k2, k3) =
        (Keypair::generate(Algorithm::P256), Keypair::generate(Algorithm::P256), Keypair::generate(Algorithm::P256));
    c.grant(&agency, "issuer");
    c.grant(&office, "verifier");

    assert_eq!(
        fails(
            &c,
            &stranger,
            json!({"type": "register_org", "did": "did:web:evil.kr", "kid": "k1", "public_key": key_json(&k1)})
        ),
        "not-permitted",
        "ID-02: an unregistered key is refused at admission"
    );
    c.ok(
        &c.admin,
        "identity",
        json!({"type": "register_org", "did": ROOT, "kid": "root-1", "public_key": key_json(&k3)}),
    );
    assert_eq!(fails(&c, &c.admin, json!({"type": "set_root", "did": ROOT})), "not-permitted", "ID-05: the council's");
    c.council("identity", json!({"type": "set_root", "did": ROOT}));
    c.ok(&agency, "identity", json!({"type": "register_org", "did": AGENCY, "kid": "k1", "public_key": key_json(&k1)}));
    c.ok(&office, "identity", json!({"type": "register_org", "did": OFFICE, "kid": "o1", "public_key": key_json(&k3)}));

    // Types and accreditation are the root's.
    let ty = json!({"type": "register_type", "vct": VCT, "schema_hash": sha256(&[b"schema"]), "concealable": ["income_le_65pct", "household_size"], "thresholds": ["income_le_65pct"]});
    assert_eq!(fails(&c, &agency, ty.clone()), "unauthorized");
    c.ok(&c.admin, "identity", ty);
    assert_eq!(fails(&c, &agency, json!({"type": "accredit", "issuer": AGENCY, "vct": VCT})), "unauthorized");
    c.ok(&c.admin, "identity", json!({"type": "accredit", "issuer": AGENCY, "vct": VCT}));
    assert_eq!(fails(&c, &c.admin, json!({"type": "accredit", "issuer": AGENCY, "vct": VCT})), "ID-05");
    c.ok(&c.admin, "identity", json!({"type": "suspend_accreditation", "issuer": AGENCY, "vct": VCT}));
    c.ok(&c.admin, "identity", json!({"type": "reinstate_accreditation", "issuer": AGENCY, "vct": VCT}));
    let acc = c.ledger.query("identity", &format!("accreditation/{AGENCY}/{VCT}"), &json!({})).unwrap();
    assert_eq!(acc["record"]["periods"].as_array().unwrap().len(), 2, "{acc}");
    assert_eq!(acc["record"]["standing"]["state"], "active");
    assert_eq!(acc["record"]["accredited_by"], ROOT);

    // Key history: rotation keeps the old key for its interval; only the controller rotates.
    let rotate =
        json!({"type": "rotate_key", "did": AGENCY, "old_kid": "k1", "new_kid": "k2", "public_key": key_json(&k2)});
    assert_eq!(fails(&c, &office, rotate.clone()), "unauthorized");
    c.ok(&agency, "identity", rotate);
    let org = c.ledger.query("identity", &format!("org/{AGENCY}"), &json!({})).unwrap();
    let keys = org["record"]["keys"].as_array().unwrap();
    assert_eq!(keys.len(), 2);
    assert!(keys[0]["valid_until_ms"].as_u64().unwrap() <= keys[1]["valid_from_ms"].as_u64().unwrap());
    assert_eq!(
        fails(&c, &agency, json!({"type": "add_key", "did": AGENCY, "kid": "k1", "public_key": key_json(&k3)})),
        "ID-04"
    );
    let k2_from = keys[1]["valid_from_ms"].as_u64().unwrap();
    c.ok(
        &agency,
        "identity",
        json!({"type": "revoke_key", "did": AGENCY, "kid": "k2", "effective_from_ms": k2_from + 1}),
    );
    let org = c.ledger.query("identity", &format!("org/{AGENCY}"), &json!({})).unwrap();
    assert_eq!(org["record"]["keys"][1]["revoked"], true);

    // Status anchors go up by one, by the issuer only.
    let uri = "https://income.seoul.go.kr/status/1";
    let anchor = |v: u64| json!({"type": "anchor_status_list", "did": AGENCY, "uri": uri, "version": v, "hash": sha256(&[&v.to_be_bytes()])});
    assert_eq!(fails(&c, &agency, anchor(2)), "ID-06");
    c.ok(&agency, "identity", anchor(1));
    c.ok(&agency, "identity", anchor(2));
    assert_eq!(fails(&c, &office, anchor(3)), "not-permitted", "status lists need the issuer role");
    let st = c.ledger.query("identity", "status", &json!({"did": AGENCY, "uri": uri})).unwrap();
    assert_eq!(st["record"]["version"], 2);
    let v1 = c.ledger.query("identity", "status_version", &json!({"did": AGENCY, "uri": uri, "version": "1"})).unwrap();
    assert_eq!(v1["record"]["hash"], json!(sha256(&[&1u64.to_be_bytes()])));

    // Policies: verifier role, own organisation, valid DCQL; never changed, only withdrawn.
    let policy = json!({"type": "register_policy", "id": "jobs.public-works.2026", "verifier": OFFICE,
        "legal_basis": "Framework Act on Employment Policy art. 16", "purpose": "selecting public-works workers",
        "retention_days": 365, "dcql": {"credentials": [{"id": "income", "format": "dc+sd-jwt",
        "meta": {"vct_values": [VCT]}, "claims": [{"path": ["income_le_65pct"]}]}]}});
    assert_eq!(fails(&c, &agency, policy.clone()), "not-permitted", "policies need the verifier role");
    c.ok(&office, "identity", policy.clone());
    assert_eq!(fails(&c, &office, policy), "ID-07");
    c.ok(&office, "identity", json!({"type": "withdraw_policy", "id": "jobs.public-works.2026"}));
    let p = c.ledger.query("identity", "policy/jobs.public-works.2026", &json!({})).unwrap();
    assert!(p["record"]["withdrawn_ms"].is_u64());
    assert_eq!(p["key"], "identity/policies/jobs.public-works.2026");
}

#[test]
fn malformed_and_personal_text_never_enters_a_block() {
    let c = chain();
    let k = Keypair::generate(Algorithm::P256);
    let bad = [
        json!({"type": "register_org", "did": "did:web:Hong Gildong", "kid": "k1", "public_key": key_json(&k)}),
        json!({"type": "register_type", "vct": VCT, "schema_hash": sha256(&[b"s"]), "concealable": ["Kim Minsu"], "thresholds": []}),
        json!({"type": "register_policy", "id": "p", "verifier": OFFICE, "legal_basis": "", "purpose": "x", "retention_days": 1,
               "dcql": {"credentials": []}}),
        json!({"type": "anchor_status_list", "did": AGENCY, "uri": "file:///etc/passwd", "version": 1, "hash": sha256(&[b"x"])}),
        json!({"type": "no_such_message"}),
        json!({"type": "set_root"}),
    ];
    for msg in bad {
        let t = c.tx(&c.admin, "identity", msg.clone());
        assert!(matches!(c.ledger.submit(&encode(&t)), Err(SubmitError::Tx(TxError::InvalidMessage { .. }))), "{msg}");
    }
    assert!(c.ledger.query("identity", "nothing/here", &json!({})).is_err());
    assert!(c.ledger.query("identity", "status", &json!({})).is_err());
    assert!(c.ledger.query("identity", "org/did:web:nobody.kr", &json!({})).is_err());
}
