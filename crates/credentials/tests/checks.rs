//! Every check of a presentation, each failing with its own error (issue 4's must-hold list).

use std::sync::Arc;

use dojang_credentials::issue::kid_url;
use dojang_credentials::jose::{b64, sign_compact, Jws};
use dojang_credentials::sdjwt::{Disclosure, SdJwt};
use dojang_credentials::status::token_hash;
use dojang_credentials::trust::Snapshot;
use dojang_credentials::*;
use dojang_crypto::{Algorithm, Keypair};
use serde_json::{json, Map, Value};

const ISS: &str = "did:web:income.seoul.go.kr";
const VCT: &str = "urn:dojang:income-band:1";
const URI: &str = "https://income.seoul.go.kr/status/1";
const AUD: &str = "did:web:jobs.seoul.go.kr";
const NOW: u64 = 1_790_000_000;

struct World {
    issuer: IssuerKey,
    holder: Keypair,
    list: StatusList,
    verifier: Verifier<Snapshot>,
}

fn policy_query() -> DcqlQuery {
    DcqlQuery::parse(&json!({"credentials": [{
        "id": "income", "format": "dc+sd-jwt", "meta": {"vct_values": [VCT]},
        "claims": [{"path": ["income_le_65pct"]}, {"path": ["household_size"]}],
    }]}))
    .unwrap()
}

fn snapshot(issuer: &IssuerKey, list: &StatusList) -> Snapshot {
    let mut s = Snapshot::default();
    s.keys.insert(
        (ISS.into(), issuer.kid.clone()),
        KeyValidity { public_key: issuer.key.public_key(), valid_from: NOW - 1000, valid_until: None },
    );
    s.accreditations
        .insert((ISS.into(), VCT.into()), Accreditation { active: vec![(NOW - 2000, None)], now: Standing::Active });
    publish(&mut s, issuer, list, 1);
    s.policies.insert(
        "jobs.public-works.2026".into(),
        Policy {
            id: "jobs.public-works.2026".into(),
            verifier: AUD.into(),
            dcql: policy_query(),
            legal_basis: "Public Works Act art. 3".into(),
            purpose: "selecting public-works workers".into(),
            retention_days: 365,
            withdrawn_at: None,
        },
    );
    s
}

fn publish(s: &mut Snapshot, issuer: &IssuerKey, list: &StatusList, version: u64) {
    let token: Arc<str> = list.to_token(&issuer.key, &kid_url(ISS, &issuer.kid), URI, NOW, 3600).into();
    s.anchors.insert(
        (ISS.into(), URI.into()),
        StatusAnchor { version, hash: token_hash(&token), anchored_at_ms: NOW * 1000 },
    );
    s.tokens.insert(URI.into(), token);
}

fn world() -> World {
    let issuer = IssuerKey { did: ISS.into(), kid: "key-1".into(), key: Keypair::generate(Algorithm::P256) };
    let list = StatusList::new(0);
    let verifier = Verifier::new(snapshot(&issuer, &list), 300);
    World { issuer, holder: Keypair::generate(Algorithm::P256), list, verifier }
}

fn credential(w: &World, issued_at: u64, expires_at: u64) -> String {
    let claims = json!({"income_le_65pct": true, "income_le_150pct": true, "household_size": 3, "monthly_income_krw": 1_900_000});
    issue(
        &w.issuer,
        &CredentialSpec {
            vct: VCT.into(),
            claims: claims.as_object().unwrap().clone(),
            holder: w.holder.public_key(),
            status: StatusRef { idx: 4242, uri: URI.into() },
            issued_at,
            expires_at,
        },
    )
    .unwrap()
}

fn request(w: &World) -> Request {
    Request { nonce: w.verifier.nonce(NOW), audience: AUD.into(), policy_id: "jobs.public-works.2026".into() }
}

fn asked() -> CredentialQuery {
    policy_query().credentials[0].clone()
}

fn presentation(w: &World, cred: &str, req: &Request) -> String {
    present(cred, &w.holder, &asked(), &Challenge { nonce: &req.nonce, audience: &req.audience, now: NOW }).unwrap()
}

#[test]
fn a_good_presentation_verifies_and_reveals_only_what_was_asked() {
    let w = world();
    let cred = credential(&w, NOW - 10, NOW + 1000);
    let req = request(&w);
    let v = w.verifier.verify(&presentation(&w, &cred, &req), &req, NOW).unwrap();
    assert_eq!(v.claims["income_le_65pct"], json!(true));
    assert_eq!(v.claims["household_size"], json!(3));
    assert!(!v.claims.contains_key("monthly_income_krw"), "an income is never shown");
    assert!(!v.claims.contains_key("income_le_150pct"));
    assert_eq!(v.status_version, 1);
    assert_eq!((v.issuer.as_str(), v.vct.as_str()), (ISS, VCT));
}

#[test]
fn tampered_disclosure() {
    let w = world();
    let cred = credential(&w, NOW - 10, NOW + 1000);
    let req = request(&w);
    let mut sd = SdJwt::parse(&presentation(&w, &cred, &req)).unwrap();
    sd.disclosures[0] = Disclosure::property("income_le_65pct", json!(true)).encoded;
    let err = w.verifier.verify(&sd.serialize(), &req, NOW).unwrap_err();
    assert!(matches!(err, VerifyError::TamperedDisclosure(_)), "{err}");
}

#[test]
fn added_disclosure_breaks_the_sd_hash() {
    let w = world();
    let cred = credential(&w, NOW - 10, NOW + 1000);
    let all = SdJwt::parse(&cred).unwrap().disclosures;
    let req = request(&w);
    let mut sd = SdJwt::parse(&presentation(&w, &cred, &req)).unwrap();
    let extra = all.iter().find(|d| !sd.disclosures.contains(d)).unwrap().clone();
    sd.disclosures.push(extra);
    assert_eq!(w.verifier.verify(&sd.serialize(), &req, NOW).unwrap_err(), VerifyError::SdHashMismatch);
}

#[test]
fn wrong_nonce() {
    let w = world();
    let cred = credential(&w, NOW - 10, NOW + 1000);
    let req = request(&w);
    let other = request(&w);
    let p = presentation(&w, &cred, &other);
    assert_eq!(w.verifier.verify(&p, &req, NOW).unwrap_err(), VerifyError::WrongNonce);
}

#[test]
fn wrong_audience() {
    let w = world();
    let cred = credential(&w, NOW - 10, NOW + 1000);
    let req = request(&w);
    let p = present(&cred, &w.holder, &asked(), &Challenge { nonce: &req.nonce, audience: "did:web:evil", now: NOW })
        .unwrap();
    assert_eq!(w.verifier.verify(&p, &req, NOW).unwrap_err(), VerifyError::WrongAudience("did:web:evil".into()));
}

#[test]
fn replayed_presentation() {
    let w = world();
    let cred = credential(&w, NOW - 10, NOW + 1000);
    let req = request(&w);
    let p = presentation(&w, &cred, &req);
    w.verifier.verify(&p, &req, NOW).unwrap();
    assert_eq!(w.verifier.verify(&p, &req, NOW + 1).unwrap_err(), VerifyError::Replayed);
}

#[test]
fn a_nonce_never_issued_is_refused() {
    let w = world();
    let cred = credential(&w, NOW - 10, NOW + 1000);
    let req = Request { nonce: "made-up".into(), audience: AUD.into(), policy_id: "jobs.public-works.2026".into() };
    let p = presentation(&w, &cred, &req);
    assert_eq!(w.verifier.verify(&p, &req, NOW).unwrap_err(), VerifyError::UnknownNonce);
}

#[test]
fn stale_key_binding() {
    let w = world();
    let cred = credential(&w, NOW - 10, NOW + 1000);
    let req = request(&w);
    let p =
        present(&cred, &w.holder, &asked(), &Challenge { nonce: &req.nonce, audience: AUD, now: NOW - 3600 }).unwrap();
    assert!(matches!(w.verifier.verify(&p, &req, NOW).unwrap_err(), VerifyError::StaleKeyBinding { .. }));
}

#[test]
fn another_holders_key_binding() {
    let w = world();
    let cred = credential(&w, NOW - 10, NOW + 1000);
    let req = request(&w);
    let thief = Keypair::generate(Algorithm::P256);
    let p = present(&cred, &thief, &asked(), &Challenge { nonce: &req.nonce, audience: AUD, now: NOW }).unwrap();
    assert_eq!(w.verifier.verify(&p, &req, NOW).unwrap_err(), VerifyError::HolderSignature);
    let bare = SdJwt { kb_jwt: None, ..SdJwt::parse(&p).unwrap() }.serialize();
    assert_eq!(w.verifier.verify(&bare, &req, NOW).unwrap_err(), VerifyError::KeyBindingMissing);
}

#[test]
fn expired_credential() {
    let w = world();
    let cred = credential(&w, NOW - 100, NOW - 1);
    let req = request(&w);
    assert_eq!(
        w.verifier.verify(&presentation(&w, &cred, &req), &req, NOW).unwrap_err(),
        VerifyError::Expired(NOW - 1)
    );
}

#[test]
fn revoked_and_suspended_status() {
    let mut w = world();
    let cred = credential(&w, NOW - 10, NOW + 1000);
    for (status, version) in [(Status::Revoked, 2), (Status::Suspended, 3)] {
        w.list.set(4242, status).unwrap();
        let mut snap = snapshot(&w.issuer, &w.list);
        publish(&mut snap, &w.issuer, &w.list, version);
        let verifier = Verifier::new(snap, 300);
        let req =
            Request { nonce: verifier.nonce(NOW), audience: AUD.into(), policy_id: "jobs.public-works.2026".into() };
        let err = verifier.verify(&presentation(&w, &cred, &req), &req, NOW).unwrap_err();
        match status {
            Status::Revoked => assert_eq!(err, VerifyError::Revoked { uri: URI.into() }),
            _ => assert_eq!(err, VerifyError::Suspended { uri: URI.into() }),
        }
    }
}

#[test]
fn a_status_list_that_differs_from_its_anchor() {
    let w = world();
    let mut snap = snapshot(&w.issuer, &w.list);
    let mut tailored = w.list.clone();
    tailored.set(1, Status::Revoked).unwrap();
    let token: Arc<str> = tailored.to_token(&w.issuer.key, "k", URI, NOW, 60).into();
    snap.tokens.insert(URI.into(), token);
    let verifier = Verifier::new(snap, 300);
    let cred = credential(&w, NOW - 10, NOW + 1000);
    let req = Request { nonce: verifier.nonce(NOW), audience: AUD.into(), policy_id: "jobs.public-works.2026".into() };
    let err = verifier.verify(&presentation(&w, &cred, &req), &req, NOW).unwrap_err();
    assert_eq!(err, VerifyError::StatusListMismatch { uri: URI.into(), version: 1 });
}

#[test]
fn unaccredited_issuer_and_accreditation_lost_after_issuance() {
    let w = world();
    let cred = credential(&w, NOW - 10, NOW + 1000);
    let cases = [
        (Accreditation { active: vec![], now: Standing::Revoked { since: NOW - 5000 } }, "unaccredited"),
        (
            Accreditation { active: vec![(NOW - 2000, Some(NOW - 5))], now: Standing::Suspended { since: NOW - 5 } },
            "suspended",
        ),
        (
            Accreditation { active: vec![(NOW - 2000, Some(NOW - 5))], now: Standing::Revoked { since: NOW - 5 } },
            "revoked",
        ),
    ];
    for (acc, want) in cases {
        let mut snap = snapshot(&w.issuer, &w.list);
        snap.accreditations.insert((ISS.into(), VCT.into()), acc);
        let verifier = Verifier::new(snap, 300);
        let req =
            Request { nonce: verifier.nonce(NOW), audience: AUD.into(), policy_id: "jobs.public-works.2026".into() };
        let err = verifier.verify(&presentation(&w, &cred, &req), &req, NOW).unwrap_err();
        let ok = match want {
            "unaccredited" => matches!(err, VerifyError::UnaccreditedIssuer { .. }),
            "suspended" => matches!(err, VerifyError::IssuerSuspended { .. }),
            _ => matches!(err, VerifyError::IssuerRevoked { .. }),
        };
        assert!(ok, "{want}: {err}");
    }
    let mut snap = snapshot(&w.issuer, &w.list);
    snap.accreditations.clear();
    let verifier = Verifier::new(snap, 300);
    let req = Request { nonce: verifier.nonce(NOW), audience: AUD.into(), policy_id: "jobs.public-works.2026".into() };
    let err = verifier.verify(&presentation(&w, &cred, &req), &req, NOW).unwrap_err();
    assert!(matches!(err, VerifyError::UnaccreditedIssuer { .. }));
}

#[test]
fn key_used_outside_its_validity_interval() {
    let w = world();
    let mut snap = snapshot(&w.issuer, &w.list);
    snap.keys.get_mut(&(ISS.to_string(), "key-1".to_string())).unwrap().valid_until = Some(NOW - 100);
    let verifier = Verifier::new(snap, 300);
    let before_rotation = credential(&w, NOW - 200, NOW + 1000);
    let after_rotation = credential(&w, NOW - 50, NOW + 1000);
    let req = Request { nonce: verifier.nonce(NOW), audience: AUD.into(), policy_id: "jobs.public-works.2026".into() };
    verifier.verify(&presentation(&w, &before_rotation, &req), &req, NOW).unwrap();
    let req = Request { nonce: verifier.nonce(NOW), audience: AUD.into(), policy_id: "jobs.public-works.2026".into() };
    let err = verifier.verify(&presentation(&w, &after_rotation, &req), &req, NOW).unwrap_err();
    assert!(matches!(err, VerifyError::KeyNotValidAtIssuance { .. }), "{err}");
    let forged = IssuerKey { did: ISS.into(), kid: "key-1".into(), key: Keypair::generate(Algorithm::P256) };
    let w2 = World { issuer: forged, ..world() };
    let cred = credential(&w2, NOW - 10, NOW + 1000);
    let req = request(&w);
    let err = w.verifier.verify(&presentation(&w, &cred, &req), &req, NOW).unwrap_err();
    assert!(matches!(err, VerifyError::IssuerSignature(_)), "{err}");
}

#[test]
fn disclosure_beyond_policy() {
    let w = world();
    let cred = credential(&w, NOW - 10, NOW + 1000);
    let req = request(&w);
    let mut greedy = asked();
    greedy.claims.push(serde_json::from_value(json!({"path": ["monthly_income_krw"]})).unwrap());
    let p = present(&cred, &w.holder, &greedy, &Challenge { nonce: &req.nonce, audience: AUD, now: NOW }).unwrap();
    let err = w.verifier.verify(&p, &req, NOW).unwrap_err();
    assert!(matches!(err, VerifyError::BeyondPolicy { ref path, .. } if path == "[monthly_income_krw]"), "{err}");
    let req = request(&w);
    let mut shy = asked();
    shy.claims.truncate(1);
    let p = present(&cred, &w.holder, &shy, &Challenge { nonce: &req.nonce, audience: AUD, now: NOW }).unwrap();
    assert!(matches!(w.verifier.verify(&p, &req, NOW).unwrap_err(), VerifyError::MissingClaim { .. }));
    let req = Request { policy_id: "nobody.registered".into(), ..request(&w) };
    let p = presentation(&w, &cred, &req);
    assert!(matches!(w.verifier.verify(&p, &req, NOW).unwrap_err(), VerifyError::UnknownPolicy(_)));
    let req = Request { audience: "did:web:other-office.seoul.go.kr".into(), ..request(&w) };
    let p = presentation(&w, &cred, &req);
    assert!(matches!(w.verifier.verify(&p, &req, NOW).unwrap_err(), VerifyError::PolicyOfAnotherVerifier { .. }));
}

#[test]
fn malformed_presentations_never_panic() {
    let w = world();
    let req = request(&w);
    let cred = credential(&w, NOW - 10, NOW + 1000);
    let good = presentation(&w, &cred, &req);
    let unsigned_typ = {
        let mut h = Map::new();
        h.insert("typ".into(), json!("JWT"));
        sign_compact(&w.issuer.key, h, &json!({"iss": ISS}))
    };
    let no_kid = {
        let mut h = Map::new();
        h.insert("typ".into(), json!("dc+sd-jwt"));
        format!("{}~", sign_compact(&w.issuer.key, h, &json!({"iss": ISS, "vct": VCT, "iat": NOW})))
    };
    let inputs = vec![
        String::new(),
        "~".into(),
        "a.b.c".into(),
        format!("{unsigned_typ}~"),
        no_kid,
        format!("{}~{}~", good.split('~').next().unwrap(), b64(b"not json")),
        good.replace('~', "~~"),
        good.chars().rev().collect(),
        format!("{}.{}.{}", b64(b"{}"), b64(b"[]"), b64(b"x")),
    ];
    for input in inputs {
        assert!(w.verifier.verify(&input, &req, NOW).is_err(), "{input}");
    }
    let mut rng_state = 0x9e3779b97f4a7c15u64;
    let bytes = good.as_bytes();
    for _ in 0..3000 {
        rng_state ^= rng_state << 13;
        rng_state ^= rng_state >> 7;
        rng_state ^= rng_state << 17;
        let mut mutated = bytes.to_vec();
        let at = (rng_state as usize) % mutated.len();
        mutated[at] = b"~.-_AZaz09{}\"[]"[(rng_state >> 32) as usize % 15];
        let s = String::from_utf8_lossy(&mutated);
        let _ = w.verifier.verify(&s, &req, NOW);
        let _ = Jws::parse(&s).map(|j| j.payload.get("x").cloned().unwrap_or(Value::Null));
    }
}
