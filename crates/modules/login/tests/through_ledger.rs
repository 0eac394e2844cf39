//! The registry of relying parties through the real ledger: only the council registers,
//! changes, suspends and reinstates; a registration's policy must be its login service's own.

use dojang_crypto::{Algorithm, Keypair};
use dojang_identity::Identity;
use dojang_ledger::BlockApp;
use dojang_login::Login;
use dojang_testkit::{event_attr, Chain};
use serde_json::{json, Value};

const PROVIDER: &str = "did:web:login.seoul.go.kr";
const OTHER: &str = "did:web:jobs.seoul.go.kr";

fn chain() -> Chain {
    let c = Chain::builder().with(Identity).with(Login).build();
    let at = c.ledger.next_height() + 2;
    c.council("governance", json!({"type": "activate", "module": "login", "at_height": at}));
    while c.ledger.next_height() < at {
        c.block();
    }
    c
}

fn dcql() -> Value {
    json!({"credentials": [{"id": "resident", "format": "dc+sd-jwt", "meta": {"vct_values": ["urn:dojang:resident:1"]},
           "claims": [{"path": ["resident_of_seoul"]}]}]})
}

/// Registers `did` as an organisation with a policy `policy` of its own.
fn org_with_policy(c: &Chain, did: &str, policy: &str) {
    let office = Keypair::generate(Algorithm::Ed25519);
    c.grant(&office, "verifier");
    let key = Keypair::generate(Algorithm::P256);
    c.ok(&office, "identity", json!({"type": "register_org", "did": did, "kid": "k1", "public_key": key.public_key()}));
    c.ok(
        &office,
        "identity",
        json!({"type": "register_policy", "id": policy, "verifier": did, "legal_basis": "Library Act art. 30",
         "purpose": "library membership", "retention_days": 1, "dcql": dcql()}),
    );
}

fn library(policy: &str) -> Value {
    json!({"type": "register_relying_party", "id": "mapo-library", "name": "Mapo Library", "provider": PROVIDER,
           "redirect_uris": ["https://library.mapo.go.kr/cb"], "policy": policy,
           "actions": [{"id": "catalogue", "kind": "read", "level": "low"}], "residency_max_age_days": 365})
}

/// The failure code of a council proposal carrying `msg`.
fn council_fails(c: &Chain, msg: Value) -> String {
    let proposal = json!({"type": "propose", "proposal": {"module": "login", "msg": msg},
                          "reason": "test", "expires_at_ms": c.ledger.clock_ms() + 60_000});
    let r = c.ok(&c.admin, "governance", proposal);
    event_attr(&r, "proposal_failed", "code")
}

fn rp(c: &Chain) -> Value {
    c.ledger.query("login", "relying_party/mapo-library", &json!({})).expect("registered")
}

#[test]
fn the_council_registers_a_facility_bounded_by_its_login_services_policy() {
    let c = chain();
    org_with_policy(&c, PROVIDER, "login-mapo-library");
    org_with_policy(&c, OTHER, "public-works");
    let stranger = Keypair::generate(Algorithm::Ed25519);
    assert_eq!(c.code(&stranger, "login", library("login-mapo-library")), "not-permitted", "the council's alone");
    assert_eq!(c.code(&c.admin, "login", library("login-mapo-library")), "not-permitted", "even the admin's key");

    assert_eq!(council_fails(&c, library("public-works")), "AUTH-04", "another verifier's policy");
    assert_eq!(council_fails(&c, library("no-such-policy")), "AUTH-04");
    let mut unknown_provider = library("login-mapo-library");
    unknown_provider["provider"] = json!("did:web:nobody.seoul.go.kr");
    assert_eq!(council_fails(&c, unknown_provider), "AUTH-04");

    c.council("login", library("login-mapo-library"));
    let r = rp(&c);
    assert_eq!(r["key"], "login/rp/mapo-library", "the full state key, for a read with a proof");
    assert_eq!(r["record"]["name"], "Mapo Library");
    assert_eq!(r["record"]["policy"], "login-mapo-library");
    assert_eq!(r["record"]["actions"][0]["level"], "low");
    assert!(r["record"].get("suspended").is_none());
    assert_eq!(council_fails(&c, library("login-mapo-library")), "AUTH-04", "registered once");
    assert!(c.ledger.query("login", "relying_party/nobody", &json!({})).is_err());
    assert!(c.ledger.query("login", "relying_parties", &json!({})).is_err());
}

#[test]
fn malformed_registrations_never_reach_a_block() {
    let c = chain();
    let mut cases = Vec::new();
    let mut low_payment = library("p");
    low_payment["actions"] = json!([{"id": "pay", "kind": "payment", "level": "substantial"}]);
    cases.push(low_payment);
    let mut http = library("p");
    http["redirect_uris"] = json!(["http://library.mapo.go.kr/cb"]);
    cases.push(http);
    let mut personal = library("p");
    personal["name"] = json!("Kim 010-1234-5678");
    cases.push(personal);
    let mut bad_did = library("p");
    bad_did["provider"] = json!("login.seoul.go.kr");
    cases.push(bad_did);
    let mut extra = library("p");
    extra["client_secret"] = json!("s3cret");
    cases.push(extra);
    let mut level = library("p");
    level["actions"] = json!([{"id": "x", "kind": "read", "level": "medium"}]);
    cases.push(level);
    cases.push(json!({"type": "suspend_relying_party", "id": "mapo-library", "reason": ""}));
    cases.push(json!({"type": "reinstate_relying_party", "id": "Mapo Library"}));
    cases.push(json!({"type": "register_relying_party"}));
    for (i, msg) in cases.into_iter().enumerate() {
        assert_eq!(c.code(&c.members[0], "login", msg.clone()), "invalid-message", "case {i}: {msg}");
    }
}

#[test]
fn updates_keep_the_service_and_suspension_stops_the_facility_until_reinstated() {
    let c = chain();
    org_with_policy(&c, PROVIDER, "login-mapo-library");
    org_with_policy(&c, OTHER, "public-works");
    c.council("login", library("login-mapo-library"));

    let mut update = library("login-mapo-library");
    update["type"] = json!("update_relying_party");
    update["redirect_uris"] = json!(["https://library.mapo.go.kr/cb", "https://app.mapo.go.kr/cb"]);
    update["actions"] = json!([{"id": "catalogue", "kind": "read", "level": "low"}, {"id": "borrow", "kind": "use", "level": "substantial"}]);
    c.council("login", update.clone());
    let r = rp(&c);
    assert_eq!(r["record"]["redirect_uris"][1], "https://app.mapo.go.kr/cb");
    assert_eq!(r["record"]["actions"][1]["level"], "substantial");

    let mut moved = update.clone();
    moved["provider"] = json!(OTHER);
    moved["policy"] = json!("public-works");
    assert_eq!(council_fails(&c, moved), "AUTH-04", "a registration keeps its login service");
    let mut unknown = update.clone();
    unknown["id"] = json!("nowhere");
    assert_eq!(council_fails(&c, unknown), "not_found");

    c.council(
        "login",
        json!({"type": "suspend_relying_party", "id": "mapo-library", "reason": "leaked client software"}),
    );
    assert_eq!(rp(&c)["record"]["suspended"]["reason"], "leaked client software");
    assert_eq!(
        council_fails(&c, json!({"type": "suspend_relying_party", "id": "mapo-library", "reason": "again"})),
        "rejected"
    );
    c.council("login", json!({"type": "reinstate_relying_party", "id": "mapo-library"}));
    assert!(rp(&c)["record"].get("suspended").is_none());
    assert_eq!(council_fails(&c, json!({"type": "reinstate_relying_party", "id": "mapo-library"})), "rejected");
}
