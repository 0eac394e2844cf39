//! The program office end to end in process (trust data from a snapshot): decisions with
//! reasons, receipts under anchored roots, replay across programs, duplicates, revocation and
//! issuer suspension handled as each rule set says, appeals replaying old rule sets, the lottery.

mod common;

use common::*;
use dojang_credentials::*;
use dojang_eligibility::{evaluate, Evidence, Outcome};
use dojang_types::{merkle_root, sha256, Hash};
use dojang_verifier::*;
use serde_json::{json, Map, Value};
use std::sync::Arc;

#[test]
fn decisions_reasons_receipts_and_anchoring() {
    let dir = tempfile::tempdir().unwrap();
    let w = world(&StatusList::new(0), Standing::Active);
    let (o, k) = office(&w, "a", &dir);
    let p = program("a", rules("reject", "manual_review"), 10);
    let people = [person(&w, 1, "t1", true, true), person(&w, 2, "t2", false, false)];
    let apps = people.iter().map(|x| answer(&o, &k, &p, x)).collect();
    let r = o.decide(&p, apps, now());
    let ok = r[0].as_ref().unwrap();
    assert_eq!(ok.decision.outcome, Outcome::Eligible);
    assert_eq!(
        ok.decision.conditions,
        vec![("seoul_resident".to_string(), true), ("income_le_65pct".to_string(), true)]
    );
    let Outcome::NotEligible { failed } = &r[1].as_ref().unwrap().decision.outcome else {
        panic!("not eligible expected")
    };
    assert_eq!(
        failed.iter().map(|f| f.reason.as_str()).collect::<Vec<_>>(),
        ["not a Seoul resident", "income above 65% of the median"]
    );

    let receipt = o.receipt(ok.decision.seq).unwrap().unwrap();
    assert_eq!(receipt.verify(&Hash([0; 32])), Err(ReceiptError::NotAnchored));
    let Unanchored { seqs, leaves, root } = o.unanchored("a").unwrap().unwrap();
    assert_eq!(root, merkle_root(&leaves.iter().map(|l| l.0).collect::<Vec<_>>()));
    o.anchored(&Batch { program: "a".into(), batch: 1, root, seqs, leaves, anchored_height: 9 }).unwrap();
    assert!(o.unanchored("a").unwrap().is_none());
    let receipt = o.receipt(ok.decision.seq).unwrap().unwrap();
    receipt.verify(&root).unwrap();
    assert_eq!(receipt.verify(&sha256(&[b"other"])), Err(ReceiptError::RootNotAnchored(1)));
    let mut altered = receipt.clone();
    altered.decision.outcome = Outcome::NotEligible { failed: vec![] };
    assert_eq!(altered.verify(&root), Err(ReceiptError::Leaf));
    drop(o);
    let store = DecisionStore::open(&dir.path().join("a.redb")).unwrap();
    assert!(store.decision(ok.decision.seq).unwrap().is_some(), "decisions survive a restart");
}

#[test]
fn a_presentation_for_a_cannot_be_replayed_to_b_or_to_a_again() {
    let dir = tempfile::tempdir().unwrap();
    let w = world(&StatusList::new(0), Standing::Active);
    let (oa, ka) = office(&w, "a", &dir);
    let (ob, _) = office(&w, "b", &dir);
    let (pa, pb) =
        (program("a", rules("reject", "manual_review"), 5), program("b", rules("reject", "manual_review"), 5));
    let who = person(&w, 1, "t", true, true);
    let app = answer(&oa, &ka, &pa, &who);
    assert!(oa.decide(&pa, vec![app.clone()], now())[0].is_ok());
    assert_eq!(oa.decide(&pa, vec![app.clone()], now())[0].as_ref().unwrap_err(), &ApplyError::UnknownRequest);
    let fresh_a = oa.request(&pa, now()).unwrap();
    let state = open_request(&fresh_a, &ka.public_key(), now()).unwrap().state;
    let again = Application { state, vp_token: app.vp_token.clone() };
    assert!(matches!(
        oa.decide(&pa, vec![again], now())[0],
        Err(ApplyError::Presentation { error: VerifyError::WrongNonce, .. })
    ));
    let jwt_b = ob.request(&pb, now()).unwrap();
    let state_b = dojang_credentials::jose::Jws::parse(&jwt_b).unwrap().payload["state"].as_str().unwrap().to_string();
    let to_b = Application { state: state_b, vp_token: app.vp_token };
    assert!(matches!(ob.decide(&pb, vec![to_b], now())[0], Err(ApplyError::Presentation { .. })));
}

#[test]
fn a_second_application_by_the_same_person_is_a_duplicate() {
    let dir = tempfile::tempdir().unwrap();
    let w = world(&StatusList::new(0), Standing::Active);
    let (o, k) = office(&w, "a", &dir);
    let p = program("a", rules("reject", "manual_review"), 5);
    let (x, x_again) = (person(&w, 1, "same", true, true), person(&w, 2, "same", true, true));
    let first = o.decide(&p, vec![answer(&o, &k, &p, &x)], now())[0].clone().unwrap();
    let second = o.decide(&p, vec![answer(&o, &k, &p, &x_again)], now());
    assert_eq!(
        second[0].as_ref().unwrap_err(),
        &ApplyError::Duplicate(first.decision.seq),
        "even with another wallet's credentials"
    );
    let other = person(&w, 3, "someone-else", true, true);
    assert!(o.decide(&p, vec![answer(&o, &k, &p, &other)], now())[0].is_ok());
}

#[test]
fn revoked_credentials_follow_each_programs_rule() {
    let mut list = StatusList::new(0);
    list.set(3, Status::Revoked).unwrap();
    let w = world(&list, Standing::Active);
    let dir = tempfile::tempdir().unwrap();
    for (handling, program_id) in [("reject", "a"), ("manual_review", "b")] {
        let (o, k) = office(&w, program_id, &dir);
        let p = program(program_id, rules(handling, "manual_review"), 5);
        let who = person(&w, 1, "t", true, true);
        let d = o.decide(&p, vec![answer(&o, &k, &p, &who)], now())[0].clone().unwrap();
        match handling {
            "reject" => assert!(
                matches!(d.decision.outcome, Outcome::NotEligible { ref failed } if failed[0].id == "credential_status")
            ),
            _ => assert!(
                matches!(d.decision.outcome, Outcome::ManualReview { ref reason } if reason.contains("revoked"))
            ),
        }
    }
}

#[test]
fn an_issuer_suspended_after_issuance_follows_each_programs_rule() {
    let w = world(&StatusList::new(0), Standing::Suspended { since: now() - 10 });
    let dir = tempfile::tempdir().unwrap();
    for (handling, program_id) in [("manual_review", "a"), ("reject", "b")] {
        let (o, k) = office(&w, program_id, &dir);
        let p = program(program_id, rules("reject", handling), 5);
        let who = person(&w, 1, "t", true, true);
        let d = o.decide(&p, vec![answer(&o, &k, &p, &who)], now())[0].clone().unwrap();
        match handling {
            "manual_review" => assert!(matches!(d.decision.outcome, Outcome::ManualReview { .. })),
            _ => assert!(
                matches!(d.decision.outcome, Outcome::NotEligible { ref failed } if failed[0].id == "issuer_accreditation")
            ),
        }
    }
}

#[test]
fn an_appeal_replays_the_recorded_rule_set_and_a_new_one_changes_nothing_past() {
    let dir = tempfile::tempdir().unwrap();
    let w = world(&StatusList::new(0), Standing::Active);
    let (o, k) = office(&w, "a", &dir);
    let v1 = rules("reject", "manual_review");
    let p = program("a", v1.clone(), 5);
    let who = person(&w, 1, "t", true, false);
    let d = o.decide(&p, vec![answer(&o, &k, &p, &who)], now())[0].clone().unwrap();
    assert!(matches!(d.decision.outcome, Outcome::NotEligible { .. }));
    // The applicant re-presents the same evidence; the appeal body replays rule set v1.
    let mut evidence = Evidence::new();
    evidence.insert("resident".into(), json!({"resident_of_seoul": true}).as_object().unwrap().clone());
    evidence.insert("income".into(), json!({"income_le_65pct": false}).as_object().unwrap().clone());
    let (replayed, bits) = evaluate(&v1, &evidence);
    assert_eq!((replayed, bits), (d.decision.outcome.clone(), d.decision.conditions.clone()));
    // Rule set v2 drops the income condition: a new application would pass, the past one stands.
    let mut v2 = v1.clone();
    v2.conditions.retain(|c| c.id != "income_le_65pct");
    assert_eq!(evaluate(&v2, &evidence).0, Outcome::Eligible);
    let stored = o.receipt(d.decision.seq).unwrap().unwrap();
    assert_eq!(stored.decision.ruleset_version, 1);
    assert_eq!(stored.decision.outcome, d.decision.outcome);
}

#[test]
fn the_window_and_the_lottery() {
    let dir = tempfile::tempdir().unwrap();
    let w = world(&StatusList::new(0), Standing::Active);
    let (o, k) = office(&w, "a", &dir);
    let mut p = program("a", rules("reject", "manual_review"), 3);
    let apps = (0..8).map(|i| answer(&o, &k, &p, &person(&w, i + 1, &format!("t{i}"), true, i % 4 != 0))).collect();
    let eligible = o
        .decide(&p, apps, now())
        .iter()
        .filter(|r| matches!(r, Ok(d) if d.decision.outcome == Outcome::Eligible))
        .count();
    assert_eq!(eligible, 6);
    let seed = sha256(&[b"committed seed"]);
    let draw = o.draw(&p, &seed).unwrap();
    assert_eq!(draw.len(), 3);
    assert_eq!(o.draw(&p, &seed).unwrap(), draw, "the same seed draws the same applicants");
    // Anyone with the seed and the leaves recomputes the ranking.
    let Unanchored { seqs, leaves, .. } = o.unanchored("a").unwrap().unwrap();
    let mut ranked: Vec<(Hash, u64)> = seqs
        .iter()
        .zip(&leaves)
        .filter(|(s, _)| o.receipt(**s).unwrap().unwrap().decision.outcome == Outcome::Eligible)
        .map(|(s, l)| (sha256(&[&seed.0, &l.0]), *s))
        .collect();
    ranked.sort();
    assert_eq!(ranked.iter().take(3).map(|(_, s)| *s).collect::<Vec<_>>(), draw);

    p.window_closes_ms = (now() - 1) * 1000;
    let late = answer(&o, &k, &p, &person(&w, 20, "late", true, true));
    assert_eq!(o.decide(&p, vec![late], now())[0].as_ref().unwrap_err(), &ApplyError::WindowClosed("a".into()));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn over_http_request_answer_receipt_and_malformed_posts() {
    let dir = tempfile::tempdir().unwrap();
    let w = world(&StatusList::new(0), Standing::Active);
    let (o, k) = office(&w, "a", &dir);
    let p = program("a", rules("reject", "manual_review"), 5);
    let service = Arc::new(http::Service {
        office: o,
        programs: [("a".to_string(), p.clone())].into(),
        prepare: None,
        wallet_url: None,
    });
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let server = tokio::spawn(async move { axum::serve(listener, http::router(service)).await.unwrap() });
    let web = reqwest::Client::new();

    // A browser wallet at another origin may fetch the request and post its answer.
    let asked =
        web.get(format!("{url}/programs/a/request")).header("origin", "https://wallet.example").send().await.unwrap();
    assert_eq!(asked.headers()["access-control-allow-origin"], "*");
    let preflight = web
        .request(reqwest::Method::OPTIONS, format!("{url}/response"))
        .header("origin", "https://wallet.example")
        .header("access-control-request-method", "POST")
        .header("access-control-request-headers", "content-type")
        .send()
        .await
        .unwrap();
    assert!(preflight.status().is_success());
    assert_eq!(preflight.headers()["access-control-allow-origin"], "*");
    let jwt = asked.text().await.unwrap();
    let now = now();
    let claims = open_request(&jwt, &k.public_key(), now).unwrap();
    let who = person(&w, 1, "t", true, true);
    let query = DcqlQuery::parse(&claims.dcql_query).unwrap();
    let mut vp = Map::new();
    for q in &query.credentials {
        let cred = &who.creds.iter().find(|(id, _)| id == &q.id).unwrap().1;
        let ch = Challenge { nonce: &claims.nonce, audience: &claims.client_id, now };
        vp.insert(q.id.clone(), json!([present(cred, &who.holder, q, &ch).unwrap()]));
    }
    let form = [("vp_token", Value::Object(vp.clone()).to_string()), ("state", claims.state.clone())];
    let answer: Value = web.post(format!("{url}/response")).form(&form).send().await.unwrap().json().await.unwrap();
    assert_eq!(answer["decision"]["outcome"], "eligible", "{answer}");
    let receipt: Receipt = serde_json::from_value(answer["receipt"].clone()).unwrap();
    let fetched =
        web.get(format!("{url}/receipts/{}?leaf={}", receipt.decision.seq, receipt.leaf)).send().await.unwrap();
    assert_eq!(fetched.status().as_u16(), 200);
    let again = web.post(format!("{url}/response")).form(&form).send().await.unwrap();
    assert_eq!(again.status().as_u16(), 400, "the same answer twice is refused");

    let malformed: [Vec<(&str, String)>; 3] = [
        vec![("state", "x".into())],
        vec![("vp_token", "[1]".into()), ("state", "x".into())],
        vec![("vp_token", "{}".into()), ("state", "never-issued".into())],
    ];
    for form in malformed {
        let r: Value = web.post(format!("{url}/response")).form(&form).send().await.unwrap().json().await.unwrap();
        assert_eq!(r["error"], "invalid_request", "{form:?}: {r}");
    }
    let r = web.post(format!("{url}/response")).body("not a form").send().await.unwrap();
    assert_eq!(r.status().as_u16(), 400);
    let jwt = web.get(format!("{url}/programs/a/request")).send().await.unwrap().text().await.unwrap();
    let state = open_request(&jwt, &k.public_key(), now).unwrap().state;
    let r: Value = web
        .post(format!("{url}/response"))
        .form(&[("vp_token", "{}".to_string()), ("state", state)])
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(r["error"], "access_denied", "{r}");
    assert_eq!(web.get(format!("{url}/programs/zzz/request")).send().await.unwrap().status().as_u16(), 404);
    assert_eq!(
        web.get(format!("{url}/receipts/{}?leaf=00", receipt.decision.seq)).send().await.unwrap().status().as_u16(),
        404
    );
    assert_eq!(web.get(format!("{url}/receipts/abc")).send().await.unwrap().status().as_u16(), 400);
    server.abort();
}

#[test]
fn open_requests_are_bounded_and_lapse() {
    let dir = tempfile::tempdir().unwrap();
    let w = world(&StatusList::new(0), Standing::Active);
    let (o, k) = office(&w, "a", &dir);
    let o = o.with_max_pending(2);
    let p = program("a", rules("reject", "manual_review"), 5);
    let t = now();
    let first = o.request(&p, t).unwrap();
    o.request(&p, t).unwrap();
    assert_eq!(o.request(&p, t), Err(dojang_verifier::OfficeBusy(2)), "the third open request is refused");
    assert_eq!(o.pending_count(), 2);
    // Once the first two lapse, there is room again, and the lapsed request cannot be answered.
    let later = t + dojang_verifier::office::REQUEST_LIFETIME;
    let state = open_request(&first, &k.public_key(), t).unwrap().state;
    assert_eq!(o.pending_program(&state, later), None);
    o.request(&p, later).unwrap();
    assert_eq!(o.pending_count(), 1, "lapsed requests were dropped");
    let lapsed = Application { state, vp_token: Default::default() };
    assert_eq!(o.decide(&p, vec![lapsed], later)[0].as_ref().unwrap_err(), &ApplyError::UnknownRequest);
}
