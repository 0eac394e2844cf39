//! The tests' world: an issuing agency with a status list, people holding credentials, a
//! program and its office, and answers to the office's requests, all in process.
#![allow(dead_code)]

use std::sync::Arc;

use dojang_credentials::issue::kid_url;
use dojang_credentials::status::token_hash;
use dojang_credentials::trust::Snapshot;
use dojang_credentials::*;
use dojang_crypto::{Algorithm, Keypair};
use dojang_eligibility::RuleSet;
use dojang_verifier::*;
use serde_json::{json, Map, Value};

pub const ISS: &str = "did:web:agency.seoul.go.kr";
pub const URI: &str = "https://agency.seoul.go.kr/status/1";
/// The tests' clock: real time, fixed once, so that the HTTP service (which reads the clock)
/// agrees with the credentials' times.
pub fn now() -> u64 {
    static CLOCK: std::sync::OnceLock<u64> = std::sync::OnceLock::new();
    *CLOCK.get_or_init(|| dojang_types::wall_clock_ms() / 1000)
}

pub fn office_did(p: &str) -> String {
    format!("did:web:{p}.seoul.go.kr")
}

pub fn dcql(program: &str) -> DcqlQuery {
    DcqlQuery::parse(&json!({"credentials": [
        {"id": "resident", "format": "dc+sd-jwt", "meta": {"vct_values": ["urn:resident"]},
         "claims": [{"path": ["resident_of_seoul"]}, {"path": ["program_pseudonyms", program]}]},
        {"id": "income", "format": "dc+sd-jwt", "meta": {"vct_values": ["urn:income"]}, "claims": [{"path": ["income_le_65pct"]}]},
    ]}))
    .unwrap()
}

pub fn rules(revoked: &str, suspended: &str) -> RuleSet {
    serde_json::from_value(json!({"conditions": [
        {"id": "seoul_resident", "credential": "resident", "claim": ["resident_of_seoul"], "op": "equals", "value": true, "reason": "not a Seoul resident"},
        {"id": "income_le_65pct", "credential": "income", "claim": ["income_le_65pct"], "op": "equals", "value": true, "reason": "income above 65% of the median"},
    ], "on_credential_revoked": revoked, "on_issuer_suspended": suspended}))
    .unwrap()
}

pub struct World {
    pub issuer: IssuerKey,
    pub snapshot: Snapshot,
}

pub fn world(list: &StatusList, standing: Standing) -> World {
    let issuer = IssuerKey { did: ISS.into(), kid: "k".into(), key: Keypair::generate(Algorithm::P256) };
    let mut s = Snapshot::default();
    s.keys.insert(
        (ISS.into(), "k".into()),
        KeyValidity { public_key: issuer.key.public_key(), valid_from: 0, valid_until: None },
    );
    for vct in ["urn:resident", "urn:income"] {
        s.accreditations
            .insert((ISS.into(), vct.into()), Accreditation { active: vec![(0, Some(now() - 10))], now: standing });
    }
    let token: Arc<str> = list.to_token(&issuer.key, &kid_url(ISS, "k"), URI, now(), 60).into();
    s.anchors
        .insert((ISS.into(), URI.into()), StatusAnchor { version: 1, hash: token_hash(&token), anchored_at_ms: 0 });
    s.tokens.insert(URI.into(), token);
    for p in ["a", "b"] {
        s.policies.insert(
            p.into(),
            Policy {
                id: p.into(),
                verifier: office_did(p),
                dcql: dcql(p),
                legal_basis: "x".into(),
                purpose: "y".into(),
                retention_days: 30,
                withdrawn_at: None,
            },
        );
    }
    World { issuer, snapshot: s }
}

pub struct Person {
    pub holder: Keypair,
    pub creds: Vec<(String, String)>,
}

pub fn person(w: &World, idx: u64, token: &str, seoul: bool, low_income: bool) -> Person {
    let holder = Keypair::generate(Algorithm::P256);
    let mk = |vct: &str, claims: Value, i: u64| {
        issue(
            &w.issuer,
            &CredentialSpec {
                vct: vct.into(),
                claims: claims.as_object().unwrap().clone(),
                holder: holder.public_key(),
                status: StatusRef { idx: i, uri: URI.into() },
                issued_at: now() - 100,
                expires_at: now() + 10_000,
            },
        )
        .unwrap()
    };
    let creds = vec![
        (
            "resident".to_string(),
            mk(
                "urn:resident",
                json!({"resident_of_seoul": seoul, "program_pseudonyms": {"a": format!("{token}-a"), "b": format!("{token}-b")}}),
                idx * 2,
            ),
        ),
        ("income".to_string(), mk("urn:income", json!({"income_le_65pct": low_income}), idx * 2 + 1)),
    ];
    Person { holder, creds }
}

pub fn program(id: &str, rules: RuleSet, quota: u32) -> Program {
    let policy = Policy {
        id: id.into(),
        verifier: office_did(id),
        dcql: dcql(id),
        legal_basis: "x".into(),
        purpose: "y".into(),
        retention_days: 30,
        withdrawn_at: None,
    };
    Program {
        id: id.into(),
        policy,
        ruleset_version: 1,
        rules,
        quota,
        window_opens_ms: 0,
        window_closes_ms: (now() + 3600) * 1000,
        pseudonym: ("resident".into(), vec!["program_pseudonyms".into(), id.into()]),
    }
}

pub fn office(w: &World, id: &str, dir: &tempfile::TempDir) -> (Office<Snapshot>, Keypair) {
    let key = Keypair::generate(Algorithm::P256);
    let store = DecisionStore::open(&dir.path().join(format!("{id}.redb"))).unwrap();
    let copy = Keypair::p256_from_pkcs8(&key.secret_bytes()).unwrap();
    (Office::new(&office_did(id), "o", key, "https://x/response", w.snapshot.clone(), store), copy)
}

pub fn answer(o: &Office<Snapshot>, okey: &Keypair, p: &Program, who: &Person) -> Application {
    let jwt = o.request(p, now()).unwrap();
    let claims = open_request(&jwt, &okey.public_key(), now()).unwrap();
    let query = DcqlQuery::parse(&claims.dcql_query).unwrap();
    let mut vp = Map::new();
    for q in &query.credentials {
        let cred = &who.creds.iter().find(|(id, _)| id == &q.id).unwrap().1;
        let challenge = Challenge { nonce: &claims.nonce, audience: &claims.client_id, now: now() };
        vp.insert(q.id.clone(), json!([present(cred, &who.holder, q, &challenge).unwrap()]));
    }
    Application { state: claims.state, vp_token: vp }
}
