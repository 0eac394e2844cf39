//! The registrar in process, over trust data held in memory: an eligible resident gets one
//! blind signature and no second (VOTE-02); each ineligible person is refused with the rule
//! they fail (VOTE-01); its request names the blinded message and a lost answer is signed
//! again for that message only; a registrar is not set up over a wrong key or policy; and its
//! HTTP face answers malformed requests with clear errors.

use std::sync::Arc;

use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine;
use blind_rsa_signatures::{KeyPair, Options};
use dojang_ballot::Element;
use dojang_credentials::issue::kid_url;
use dojang_credentials::status::token_hash;
use dojang_credentials::trust::Snapshot;
use dojang_credentials::*;
use dojang_crypto::{Algorithm, Keypair};
use dojang_verifier::{open_request, Application, DecisionStore, Office};
use dojang_voting::credential::{token_verifies, RegistrarKey};
use dojang_voting::msg::{Eligibility, PollKind, PollSpec, Question, Revote, Trustee};
use dojang_voting_service::credential::Blinding;
use dojang_voting_service::registrar::{claims_needed, request_names, Registrar, RegistrarError};
use dojang_voting_service::registrar_http::{router, RegistrarService};
use serde_json::{json, Map, Value};

const ISS: &str = "did:web:mois.seoul.go.kr";
const VCT: &str = "urn:dojang:resident:1";
const URI: &str = "https://mois.seoul.go.kr/status/1";
const REGISTRAR: &str = "did:web:vote.mapo.seoul.go.kr";
const POLL: &str = "mapo-budget-2027";
const POLICY: &str = "vote-mapo-budget-2027";

fn now() -> u64 {
    static CLOCK: std::sync::OnceLock<u64> = std::sync::OnceLock::new();
    *CLOCK.get_or_init(|| dojang_types::wall_clock_ms() / 1000)
}

fn eligibility() -> Eligibility {
    Eligibility { district: "mapo-gu".into(), min_months_resident: 3, min_age: 16, policy: POLICY.into() }
}

fn policy(claims: Vec<Vec<Value>>) -> Policy {
    let claims: Vec<Value> = claims.into_iter().map(|p| json!({"path": p})).collect();
    Policy {
        id: POLICY.into(),
        verifier: REGISTRAR.into(),
        dcql: DcqlQuery::parse(&json!({"credentials": [
            {"id": "resident", "format": "dc+sd-jwt", "meta": {"vct_values": [VCT]}, "claims": claims}]}))
        .unwrap(),
        legal_basis: "Mapo-gu Participatory Budget Ordinance".into(),
        purpose: "one voting credential per eligible resident".into(),
        retention_days: 180,
        withdrawn_at: None,
    }
}

struct World {
    issuer: IssuerKey,
    trust: Snapshot,
    rsa: KeyPair,
    spec: PollSpec,
    dir: tempfile::TempDir,
}

fn world() -> World {
    let issuer = IssuerKey { did: ISS.into(), kid: "k".into(), key: Keypair::generate(Algorithm::P256) };
    let mut s = Snapshot::default();
    s.keys.insert(
        (ISS.into(), "k".into()),
        KeyValidity { public_key: issuer.key.public_key(), valid_from: 0, valid_until: None },
    );
    s.accreditations.insert((ISS.into(), VCT.into()), Accreditation { active: vec![(0, None)], now: Standing::Active });
    let token: Arc<str> = StatusList::new(0).to_token(&issuer.key, &kid_url(ISS, "k"), URI, now(), 600).into();
    s.anchors
        .insert((ISS.into(), URI.into()), StatusAnchor { version: 1, hash: token_hash(&token), anchored_at_ms: 0 });
    s.tokens.insert(URI.into(), token);
    s.policies.insert(POLICY.into(), policy(claims_needed(POLL, &eligibility())));
    let rsa = KeyPair::generate(&mut rand::thread_rng(), 2048).unwrap();
    let spec = PollSpec {
        kind: PollKind::ParticipatoryBudget,
        title: "Mapo-gu participatory budget 2027".into(),
        questions: vec![Question { text: "Which?".into(), options: vec!["a".into(), "b".into()], min: 0, max: 1 }],
        eligibility: eligibility(),
        dealings_until_ms: Some(1_000),
        opens_ms: 2_000,
        closes_ms: (now() + 3_600) * 1000,
        results_from_ms: None,
        revote: Revote::Reject,
        trustees: vec![Trustee {
            account: Keypair::generate(Algorithm::Ed25519).public_key().address(),
            transport_key: Element::new(dojang_ballot::group::G),
        }],
        threshold: 1,
        registrar: Keypair::generate(Algorithm::Ed25519).public_key().address(),
        registrar_key: B64.encode(rsa.pk.to_spki(Some(&Options::default())).unwrap()),
        eligible: 10,
    };
    World { issuer, trust: s, rsa, spec, dir: tempfile::tempdir().unwrap() }
}

fn registrar(w: &World) -> (Registrar<Snapshot>, Keypair) {
    let key = Keypair::generate(Algorithm::P256);
    let copy = Keypair::p256_from_pkcs8(&key.secret_bytes()).unwrap();
    let store = DecisionStore::open(&w.dir.path().join("registrar.redb")).unwrap();
    let office = Office::new(REGISTRAR, "r", key, "https://vote.mapo.seoul.go.kr/response", w.trust.clone(), store);
    let policy = w.trust.policies[POLICY].clone();
    (Registrar::new(POLL, &w.spec, policy, office, w.rsa.sk.clone()).unwrap(), copy)
}

/// A resident credential: district, months at the address, age thresholds, the poll pseudonym.
fn resident(w: &World, holder: &Keypair, district: &str, months: u32, over_16: bool, pseudonym: &str) -> String {
    let claims = json!({"district": district, "months_in_district": months, "age_over_16": over_16,
        "program_pseudonyms": {POLL: pseudonym}});
    issue(
        &w.issuer,
        &CredentialSpec {
            vct: VCT.into(),
            claims: claims.as_object().unwrap().clone(),
            holder: holder.public_key(),
            status: StatusRef { idx: 0, uri: URI.into() },
            issued_at: now() - 100,
            expires_at: now() + 10_000,
        },
    )
    .unwrap()
}

/// The wallet's side: answer the registrar's request with the credential.
fn answer(jwt: &str, office_key: &Keypair, holder: &Keypair, credential: &str) -> Application {
    let claims = open_request(jwt, &office_key.public_key(), now()).unwrap();
    let query = DcqlQuery::parse(&claims.dcql_query).unwrap();
    let q = &query.credentials[0];
    let challenge = Challenge { nonce: &claims.nonce, audience: &claims.client_id, now: now() };
    let mut vp = Map::new();
    vp.insert(q.id.clone(), json!([present(credential, holder, q, &challenge).unwrap()]));
    Application { state: claims.state, vp_token: vp }
}

#[test]
fn vote_02_an_eligible_resident_gets_one_blind_signature_that_makes_a_valid_token_and_no_second() {
    let w = world();
    let (r, office_key) = registrar(&w);
    let holder = Keypair::generate(Algorithm::P256);
    let voter = Keypair::generate(Algorithm::Ed25519).public_key().address();
    let blinding = Blinding::new(&w.spec.registrar_key, POLL, &voter).unwrap();
    let jwt = r.request(&blinding.blinded_message(), now()).unwrap();
    let cred = resident(&w, &holder, "mapo-gu", 12, true, "p-1");
    let issued = r.issue(answer(&jwt, &office_key, &holder, &cred), &blinding.blinded_message(), now()).unwrap();
    let token = blinding.finalize(&issued.blind_signature).unwrap();
    let key = RegistrarKey::from_public(&w.rsa.pk).unwrap();
    assert_eq!(token_verifies(&key, POLL, &voter, &token), Ok(()));
    assert!(token_verifies(&key, "another-poll", &voter, &token).is_err(), "the token is for this poll only");
    assert_eq!(r.issued().unwrap(), 1);

    // The same person (the same pseudonym), with a fresh credential and a fresh voting key.
    let other = Keypair::generate(Algorithm::Ed25519).public_key().address();
    let again = Blinding::new(&w.spec.registrar_key, POLL, &other).unwrap();
    let jwt = r.request(&again.blinded_message(), now()).unwrap();
    let cred = resident(&w, &holder, "mapo-gu", 12, true, "p-1");
    let refused = r.issue(answer(&jwt, &office_key, &holder, &cred), &again.blinded_message(), now()).unwrap_err();
    assert!(matches!(refused, RegistrarError::AlreadyIssued), "{refused}");
    assert_eq!(r.issued().unwrap(), 1, "a refusal issues nothing");
}

#[test]
fn the_request_names_the_blinded_message_and_a_lost_answer_is_signed_again_for_that_message_only() {
    let w = world();
    let (r, office_key) = registrar(&w);
    let holder = Keypair::generate(Algorithm::P256);
    let voter = Keypair::generate(Algorithm::Ed25519).public_key().address();
    let blinding = Blinding::new(&w.spec.registrar_key, POLL, &voter).unwrap();
    let jwt = r.request(&blinding.blinded_message(), now()).unwrap();
    // The signed request names this blinded message, and no other.
    assert!(request_names(&jwt, &blinding.blinded_message()));
    let someone_else = Blinding::new(&w.spec.registrar_key, POLL, &voter).unwrap();
    assert!(!request_names(&jwt, &someone_else.blinded_message()), "a request fetched for another key");
    assert!(!request_names(&jwt, "not base64!"));
    let claims = open_request(&jwt, &office_key.public_key(), now()).unwrap();
    assert!(!claims.nonce.is_empty(), "the request is the office's, signed");

    let cred = resident(&w, &holder, "mapo-gu", 12, true, "p-9");
    let first = r.issue(answer(&jwt, &office_key, &holder, &cred), &blinding.blinded_message(), now()).unwrap();
    assert!(!first.resent);
    // The answer is lost: the same person asks again with the same blinded message.
    let jwt = r.request(&blinding.blinded_message(), now()).unwrap();
    let cred = resident(&w, &holder, "mapo-gu", 12, true, "p-9");
    let again = r.issue(answer(&jwt, &office_key, &holder, &cred), &blinding.blinded_message(), now()).unwrap();
    assert!(again.resent);
    assert_eq!(again.receipt.decision.seq, first.receipt.decision.seq, "the first decision's receipt");
    let mine = blinding.blinded_message();
    let token = blinding.finalize(&again.blind_signature).unwrap();
    let key = RegistrarKey::from_public(&w.rsa.pk).unwrap();
    assert_eq!(token_verifies(&key, POLL, &voter, &token), Ok(()));
    assert_eq!(r.issued().unwrap(), 1, "signing again issues no second credential");

    // An answer to a request made for another blinded message (a relayed request, answered
    // by a wallet that did not blind it) is refused before anything is decided.
    let stranger = Keypair::generate(Algorithm::P256);
    let jwt = r.request(&someone_else.blinded_message(), now()).unwrap();
    let cred = resident(&w, &stranger, "mapo-gu", 12, true, "p-10");
    let refused = r.issue(answer(&jwt, &office_key, &stranger, &cred), &mine, now()).unwrap_err();
    assert!(matches!(refused, RegistrarError::NotThisMessage), "{refused}");
    let jwt = r.request(&someone_else.blinded_message(), now()).unwrap();
    let cred = resident(&w, &stranger, "mapo-gu", 12, true, "p-10");
    let theirs = r.issue(answer(&jwt, &office_key, &stranger, &cred), &someone_else.blinded_message(), now());
    assert!(theirs.is_ok_and(|i| !i.resent), "the refused answer decided nothing for its person");
    assert_eq!(r.issued().unwrap(), 2);

    // With another blinded message (another voting key) the same person is refused.
    let jwt = r.request(&someone_else.blinded_message(), now()).unwrap();
    let cred = resident(&w, &holder, "mapo-gu", 12, true, "p-9");
    let refused =
        r.issue(answer(&jwt, &office_key, &holder, &cred), &someone_else.blinded_message(), now()).unwrap_err();
    assert!(matches!(refused, RegistrarError::AlreadyIssued), "{refused}");
    assert_eq!(r.issued().unwrap(), 2);
}

#[test]
fn vote_01_each_ineligible_person_is_refused_with_the_rule_they_fail() {
    let w = world();
    let (r, office_key) = registrar(&w);
    let cases = [
        ("gangnam-gu", 12, true, "not registered as a resident of mapo-gu"),
        ("mapo-gu", 2, true, "fewer than 3 months"),
        ("mapo-gu", 12, false, "younger than 16"),
    ];
    for (i, (district, months, over_16, why)) in cases.into_iter().enumerate() {
        let holder = Keypair::generate(Algorithm::P256);
        let voter = Keypair::generate(Algorithm::Ed25519).public_key().address();
        let blinding = Blinding::new(&w.spec.registrar_key, POLL, &voter).unwrap();
        let jwt = r.request(&blinding.blinded_message(), now()).unwrap();
        let cred = resident(&w, &holder, district, months, over_16, &format!("q-{i}"));
        match r.issue(answer(&jwt, &office_key, &holder, &cred), &blinding.blinded_message(), now()) {
            Err(RegistrarError::NotEligible(reasons)) => {
                assert_eq!(reasons.len(), 1, "{reasons:?}");
                assert!(reasons[0].contains(why), "{reasons:?}");
            }
            other => panic!("{district}/{months}/{over_16}: {:?}", other.map(|i| i.blind_signature)),
        }
    }
    assert_eq!(r.issued().unwrap(), 0);
}

#[test]
fn a_registrar_is_not_set_up_over_another_key_a_foreign_policy_or_one_that_asks_too_little() {
    let w = world();
    let office = || {
        let store = DecisionStore::open(&w.dir.path().join(format!("{}.redb", rand::random::<u64>()))).unwrap();
        Office::new(REGISTRAR, "r", Keypair::generate(Algorithm::P256), "https://x/response", w.trust.clone(), store)
    };
    let good = w.trust.policies[POLICY].clone();
    let other_rsa = KeyPair::generate(&mut rand::thread_rng(), 2048).unwrap();
    let refused = |policy: Policy, key: &blind_rsa_signatures::SecretKey| match Registrar::new(
        POLL,
        &w.spec,
        policy,
        office(),
        key.clone(),
    ) {
        Err(RegistrarError::Setup(e)) => e,
        _ => panic!("set up"),
    };
    assert!(refused(good.clone(), &other_rsa.sk).contains("registrar_key"));
    let mut foreign = good.clone();
    foreign.verifier = "did:web:elsewhere.seoul.go.kr".into();
    assert!(refused(foreign, &w.rsa.sk).contains("belongs to"));
    let mut renamed = good.clone();
    renamed.id = "another-policy".into();
    assert!(refused(renamed, &w.rsa.sk).contains("names policy"));
    let mut short = claims_needed(POLL, &eligibility());
    short.retain(|p| p != &vec![json!("age_over_16")]);
    assert!(refused(policy(short), &w.rsa.sk).contains("age_over_16"));
    let mut withdrawn = good.clone();
    withdrawn.withdrawn_at = Some(1);
    assert!(refused(withdrawn, &w.rsa.sk).contains("withdrawn"));
    // Asking more than the eligibility reads: the registrar would learn what it need not.
    let mut greedy = claims_needed(POLL, &eligibility());
    greedy.push(vec![json!("resident_of_seoul")]);
    assert!(refused(policy(greedy), &w.rsa.sk).contains("does not need"));
    let mut two = good;
    two.dcql = DcqlQuery::parse(&json!({"credentials": [
        {"id": "resident", "format": "dc+sd-jwt", "meta": {"vct_values": [VCT]},
         "claims": claims_needed(POLL, &eligibility()).into_iter().map(|p| json!({"path": p})).collect::<Vec<_>>()},
        {"id": "income", "format": "dc+sd-jwt", "meta": {"vct_values": ["urn:dojang:income-band:1"]},
         "claims": [{"path": ["income_le_50pct"]}]}]}))
    .unwrap();
    assert!(refused(two, &w.rsa.sk).contains("one credential"));
}

#[test]
fn vote_10_no_more_credentials_than_the_roll_and_an_eligible_decision_left_uncounted_is_counted_when_asked_again() {
    let mut w = world();
    w.spec.eligible = 1;
    let (r, office_key) = registrar(&w);
    let mut outcomes = Vec::new();
    let mut people = Vec::new();
    for person in ["p-1", "p-2"] {
        let holder = Keypair::generate(Algorithm::P256);
        let voter = Keypair::generate(Algorithm::Ed25519).public_key().address();
        let blinding = Blinding::new(&w.spec.registrar_key, POLL, &voter).unwrap();
        let jwt = r.request(&blinding.blinded_message(), now()).unwrap();
        let cred = resident(&w, &holder, "mapo-gu", 12, true, person);
        outcomes.push(r.issue(answer(&jwt, &office_key, &holder, &cred), &blinding.blinded_message(), now()));
        people.push((holder, voter, blinding));
    }
    assert!(outcomes[0].is_ok());
    assert!(matches!(outcomes[1], Err(RegistrarError::RollFull(1))), "{:?}", outcomes[1].as_ref().err());
    assert_eq!(r.issued().unwrap(), 1);

    // p-2's decision is stored eligible but was never counted nor signed (as after a crash
    // between the two). Asked again while the roll is still full, it is still refused.
    let (holder, voter, blinding) = people.pop().unwrap();
    let mine = blinding.blinded_message();
    let ask = |w: &World, r: &Registrar<Snapshot>, office_key: &Keypair, blinded: &str| {
        let jwt = r.request(blinded, now()).unwrap();
        let cred = resident(w, &holder, "mapo-gu", 12, true, "p-2");
        r.issue(answer(&jwt, office_key, &holder, &cred), blinded, now())
    };
    let still = ask(&w, &r, &office_key, &mine).unwrap_err();
    assert!(matches!(still, RegistrarError::RollFull(1)), "{still}");
    assert_eq!(r.issued().unwrap(), 1);

    // With room on the roll (the same store, reopened), the same decision is counted and
    // signed for the message asked with, once: its digest is kept, and another message is
    // refused.
    drop(r);
    w.spec.eligible = 2;
    let (r, office_key) = registrar(&w);
    let issued = ask(&w, &r, &office_key, &mine).unwrap();
    assert!(!issued.resent, "signed for the first time");
    assert_eq!(r.issued().unwrap(), 2);
    let token = blinding.finalize(&issued.blind_signature).unwrap();
    let key = RegistrarKey::from_public(&w.rsa.pk).unwrap();
    assert_eq!(token_verifies(&key, POLL, &voter, &token), Ok(()));
    let again = ask(&w, &r, &office_key, &mine).unwrap();
    assert!(again.resent, "the same message is signed again, not counted again");
    assert_eq!(r.issued().unwrap(), 2);
    let other = Blinding::new(&w.spec.registrar_key, POLL, &voter).unwrap();
    let refused = ask(&w, &r, &office_key, &other.blinded_message()).unwrap_err();
    assert!(matches!(refused, RegistrarError::AlreadyIssued), "{refused}");
    assert_eq!(r.issued().unwrap(), 2);
}

#[tokio::test]
async fn malformed_requests_and_answers_get_clear_errors_and_nothing_is_issued() {
    let w = world();
    let (r, _) = registrar(&w);
    let service = Arc::new(RegistrarService { registrar: r, prepare: None });
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let app = router(service.clone());
    let server = tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    let http = reqwest::Client::new();
    let request = |poll: &str, body: String| {
        http.post(format!("{url}/polls/{poll}/request")).header("content-type", "application/json").body(body).send()
    };
    let good =
        Blinding::new(&w.spec.registrar_key, POLL, &Keypair::generate(Algorithm::Ed25519).public_key().address())
            .unwrap()
            .blinded_message();
    let cases: Vec<(&str, String, u16, &str)> = vec![
        ("another-poll", json!({"blinded_message": good}).to_string(), 404, "serves poll"),
        (POLL, "not json".into(), 400, "blinded_message"),
        (POLL, json!({}).to_string(), 400, "blinded_message"),
        (POLL, json!({"blinded_message": good, "extra": 1}).to_string(), 400, "blinded_message"),
        (POLL, json!({"blinded_message": 7}).to_string(), 400, "blinded_message"),
        (POLL, json!({"blinded_message": "***"}).to_string(), 400, "256 bytes"),
        (POLL, json!({"blinded_message": B64.encode([1u8; 32])}).to_string(), 400, "256 bytes"),
        (
            POLL,
            json!({"blinded_message": B64.encode([0xffu8; 256])}).to_string(),
            400,
            "below the registrar key's modulus",
        ),
        (POLL, json!({"blinded_message": good}).to_string(), 200, "."),
    ];
    for (poll, body, status, says) in cases {
        let resp = request(poll, body.clone()).await.unwrap();
        assert_eq!(resp.status().as_u16(), status, "{body}");
        let text = resp.text().await.unwrap();
        assert!(text.contains(says), "{body}: {text}");
    }
    let answers: Vec<(Vec<(&str, &str)>, &str)> = vec![
        (vec![], "blinded_message"),
        (vec![("state", "s"), ("blinded_message", "AAAA")], "vp_token and state"),
        (vec![("vp_token", "[1]"), ("state", "s"), ("blinded_message", "AAAA")], "JSON object"),
        (vec![("vp_token", "{not json"), ("state", "s"), ("blinded_message", "AAAA")], "JSON object"),
        (vec![("vp_token", "{}"), ("state", "no-such-state")], "blinded_message"),
        (vec![("vp_token", "{}"), ("state", "no-such-state"), ("blinded_message", "AAAA")], "no open request"),
    ];
    for (form, says) in answers {
        let resp = http.post(format!("{url}/response")).form(&form).send().await.unwrap();
        assert_eq!(resp.status().as_u16(), 400, "{form:?}");
        let body: Value = resp.json().await.unwrap();
        assert_eq!(body["error"], "invalid_request");
        assert!(body["error_description"].as_str().unwrap().contains(says), "{form:?}: {body}");
    }
    let resp = http.post(format!("{url}/response")).body("vp_token=%7B%7D&state=x").send().await.unwrap();
    assert_eq!(resp.status().as_u16(), 400, "a form without its content type");
    assert_eq!(service.registrar.issued().unwrap(), 0);
    server.abort();
}
