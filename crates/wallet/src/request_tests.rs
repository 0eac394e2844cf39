use dojang_credentials::jose::sign_compact;
use dojang_credentials::trust::Snapshot;
use dojang_credentials::KeyValidity;
use dojang_crypto::{Algorithm, Keypair};
use serde_json::{json, Map};

use super::*;

const OFFICE: &str = "did:web:jobs.seoul.go.kr";
const OTHER: &str = "did:web:youth.seoul.go.kr";
const NOW: u64 = 1_790_000_000;

fn query() -> Value {
    json!({"credentials": [{"id": "income", "format": "dc+sd-jwt", "meta": {"vct_values": ["urn:dojang:income-band:1"]},
        "claims": [{"path": ["income_le_65pct"]}]}]})
}

fn policy(id: &str, verifier: &str) -> Policy {
    Policy {
        id: id.into(),
        verifier: verifier.into(),
        dcql: DcqlQuery::parse(&query()).unwrap(),
        legal_basis: "Public Works Act art. 3".into(),
        purpose: "selecting workers".into(),
        retention_days: 365,
        withdrawn_at: None,
    }
}

struct World {
    office: Keypair,
    other: Keypair,
    trust: Snapshot,
}

fn world() -> World {
    let office = Keypair::generate(Algorithm::P256);
    let other = Keypair::generate(Algorithm::P256);
    let mut trust = Snapshot::default();
    for (did, k) in [(OFFICE, &office), (OTHER, &other)] {
        trust.keys.insert(
            (did.into(), "k1".into()),
            KeyValidity { public_key: k.public_key(), valid_from: NOW - 100, valid_until: None },
        );
    }
    trust.policies.insert("jobs".into(), policy("jobs", OFFICE));
    trust.policies.insert("youth".into(), policy("youth", OTHER));
    World { office, other, trust }
}

fn payload() -> Value {
    json!({"iss": OFFICE, "client_id": OFFICE, "response_type": "vp_token", "response_mode": "direct_post",
        "response_uri": "https://jobs.seoul.go.kr/response", "nonce": "n-1", "state": "s-1", "policy": "jobs",
        "program": "pw", "dcql_query": query(), "iat": NOW, "exp": NOW + 600})
}

fn sign(key: &Keypair, kid: &str, typ: &str, payload: &Value) -> String {
    let mut header = Map::new();
    header.insert("typ".into(), json!(typ));
    header.insert("kid".into(), json!(kid));
    sign_compact(key, header, payload)
}

fn signed(w: &World, edit: impl FnOnce(&mut Value)) -> String {
    let mut p = payload();
    edit(&mut p);
    sign(&w.office, &format!("{OFFICE}#k1"), REQUEST_TYP, &p)
}

#[test]
fn a_request_signed_by_the_verifiers_registered_key_within_its_policy_opens() {
    let w = world();
    let v = check_signed_request(&signed(&w, |_| {}), &w.trust, NOW).unwrap();
    assert_eq!(v.request.client_id, OFFICE);
    assert_eq!(v.request.nonce, "n-1");
    assert_eq!(v.state, "s-1");
    assert_eq!(v.policy.id, "jobs");
    assert_eq!(v.program.as_deref(), Some("pw"));
}

#[test]
fn a_request_by_a_key_the_chain_does_not_register_is_refused() {
    let w = world();
    let stranger = Keypair::generate(Algorithm::P256);
    let jwt = sign(&stranger, &format!("{OFFICE}#k9"), REQUEST_TYP, &payload());
    let err = check_signed_request(&jwt, &w.trust, NOW).unwrap_err();
    assert!(matches!(err, RequestError::UnregisteredKey { ref kid, .. } if kid == "k9"), "{err}");
    // The registered key id, but signed by another key.
    let jwt = sign(&stranger, &format!("{OFFICE}#k1"), REQUEST_TYP, &payload());
    assert!(matches!(check_signed_request(&jwt, &w.trust, NOW), Err(RequestError::BadSignature { .. })));
}

#[test]
fn a_request_signed_by_one_office_in_the_name_of_another_is_refused() {
    let w = world();
    // youth's own registered key signs a request claiming to come from jobs.
    let jwt = sign(&w.other, &format!("{OTHER}#k1"), REQUEST_TYP, &payload());
    let err = check_signed_request(&jwt, &w.trust, NOW).unwrap_err();
    assert!(matches!(err, RequestError::SignerIsNotClient { .. }), "{err}");
}

#[test]
fn a_request_under_another_verifiers_policy_or_beyond_it_is_refused() {
    let w = world();
    let err = check_signed_request(&signed(&w, |p| p["policy"] = json!("youth")), &w.trust, NOW).unwrap_err();
    assert!(matches!(err, RequestError::Policy(ref m) if m.contains("belongs to")), "{err}");
    let err = check_signed_request(&signed(&w, |p| p["policy"] = json!("nope")), &w.trust, NOW).unwrap_err();
    assert!(matches!(err, RequestError::Policy(ref m) if m.contains("not registered")), "{err}");
    let greedy = json!({"credentials": [{"id": "income", "format": "dc+sd-jwt",
        "meta": {"vct_values": ["urn:dojang:income-band:1"]}, "claims": [{"path": ["monthly_income_krw"]}]}]});
    let err = check_signed_request(&signed(&w, |p| p["dcql_query"] = greedy), &w.trust, NOW).unwrap_err();
    assert!(matches!(err, RequestError::Policy(ref m) if m.contains("more than")), "{err}");
}

#[test]
fn an_expired_long_lived_or_future_request_is_refused() {
    let w = world();
    let err = check_signed_request(&signed(&w, |_| {}), &w.trust, NOW + 600).unwrap_err();
    assert_eq!(err, RequestError::Expired(NOW + 600));
    let err = check_signed_request(&signed(&w, |p| p["exp"] = json!(NOW + MAX_REQUEST_LIFETIME + 1)), &w.trust, NOW);
    assert!(matches!(err, Err(RequestError::TooLongLived { .. })));
    let err = check_signed_request(&signed(&w, |p| p["iat"] = json!(NOW + 3000)), &w.trust, NOW);
    assert!(matches!(err, Err(RequestError::FromTheFuture(_))));
}

#[test]
fn a_request_with_a_key_no_longer_valid_is_refused() {
    let mut w = world();
    if let Some(k) = w.trust.keys.get_mut(&(OFFICE.to_string(), "k1".to_string())) {
        k.valid_until = Some(NOW - 1);
    }
    let err = check_signed_request(&signed(&w, |_| {}), &w.trust, NOW).unwrap_err();
    assert!(matches!(err, RequestError::KeyNotValid { .. }), "{err}");
}

#[test]
fn malformed_requests_are_refused_with_a_reason() {
    use RequestError as E;
    let w = world();
    let k = format!("{OFFICE}#k1");
    type Expect = fn(&RequestError) -> bool;
    let cases: Vec<(String, &str, Expect)> = vec![
        (String::new(), "empty", |e| matches!(e, E::Malformed(_))),
        ("not.a.jwt".into(), "garbage", |e| matches!(e, E::Malformed(_))),
        ("a~b~c".into(), "tildes", |e| matches!(e, E::Malformed(_))),
        (sign(&w.office, &k, "JWT", &payload()), "typ", |e| matches!(e, E::WrongType(t) if t == "JWT")),
        (sign(&w.office, OFFICE, REQUEST_TYP, &payload()), "kid without #", |e| *e == E::NoKeyId),
        (sign(&w.office, "#k1", REQUEST_TYP, &payload()), "empty did", |e| *e == E::NoKeyId),
        (signed(&w, |p| p["nonce"] = json!("")), "empty nonce", |e| *e == E::Missing("nonce")),
        (signed(&w, |p| p["state"] = json!("x".repeat(600))), "long state", |e| *e == E::Missing("state")),
        (
            signed(&w, |p| p["nonce"] = json!(5)),
            "nonce not a string",
            |e| matches!(e, E::Malformed(m) if m.contains("lacks a field")),
        ),
        (
            signed(&w, |p| p.as_object_mut().unwrap().remove("exp").map(|_| ()).unwrap_or(())),
            "no exp",
            |e| matches!(e, E::Malformed(m) if m.contains("exp")),
        ),
        (
            signed(&w, |p| p["response_type"] = json!("code")),
            "response type",
            |e| matches!(e, E::ResponseType(t) if t == "code"),
        ),
        (
            signed(&w, |p| p["response_uri"] = json!("javascript:alert(1)")),
            "response uri",
            |e| matches!(e, E::BadResponseUri { why, .. } if why.contains("not an https URL")),
        ),
        (signed(&w, |p| p["dcql_query"] = json!("all")), "dcql", |e| matches!(e, E::Policy(_))),
        (sign(&w.office, &k, REQUEST_TYP, &json!([1, 2])), "payload not an object", |e| matches!(e, E::Malformed(_))),
    ];
    for (jwt, what, expect) in cases {
        let err = check_signed_request(&jwt, &w.trust, NOW).expect_err(what);
        assert!(expect(&err), "{what}: refused for the wrong reason: {err:?}");
    }
}

#[test]
fn a_response_uri_must_be_https_or_plain_http_to_this_machine_only() {
    let w = world();
    for uri in [
        "https://jobs.seoul.go.kr/response",
        "https://jobs.seoul.go.kr:8443/response?x=1",
        "http://127.0.0.1/response",
        "http://127.0.0.1:8091/response",
        "http://localhost:8091/response",
        "HTTP://LOCALHOST/response",
        "http://[::1]:8091/response",
        "http://[::1]",
    ] {
        let jwt = signed(&w, |p| p["response_uri"] = json!(uri));
        let v = check_signed_request(&jwt, &w.trust, NOW).unwrap_or_else(|e| panic!("{uri}: {e}"));
        assert_eq!(v.request.response_uri.as_deref(), Some(uri));
    }
    // Plain http across a network: the presentation would travel unencrypted.
    for uri in [
        "http://jobs.seoul.go.kr/response",
        "http://10.0.0.5:8091/response",
        "http://127.0.0.2/response",
        "http://localhost.evil.example/response",
        "http://127.0.0.1.evil.example/response",
        "http://[::2]:8091/response",
    ] {
        let err = check_signed_request(&signed(&w, |p| p["response_uri"] = json!(uri)), &w.trust, NOW).unwrap_err();
        assert_eq!(err, RequestError::InsecureResponseUri(uri.into()), "{uri}");
        assert!(err.to_string().contains("unencrypted"), "{err}");
    }
    // Not a usable URL at all, each with its reason.
    for (uri, why) in [
        ("ftp://jobs.seoul.go.kr/response", "not an https URL"),
        ("jobs.seoul.go.kr/response", "not an https URL"),
        ("https:///response", "no host"),
        ("http://127.0.0.1@jobs.seoul.go.kr/response", "user information"),
        ("http://localhost:80@evil.example/", "user information"),
        ("http://127.0.0.1:99999/response", "port"),
        ("http://127.0.0.1:/response", "port"),
        ("http://[::1/response", "IPv6"),
        ("https://jobs.seoul.go.kr/re sponse", "spaces"),
    ] {
        let err = check_signed_request(&signed(&w, |p| p["response_uri"] = json!(uri)), &w.trust, NOW).unwrap_err();
        assert!(
            matches!(err, RequestError::BadResponseUri { why: reason, .. } if reason.contains(why)),
            "{uri}: {err}"
        );
    }
}
