//! Logins end to end in process: the facility's request, the wallet's checks and answer, the
//! service's verdict, the code exchanged for an ID token. Each AUTH rule with its failure.

mod common;

use common::*;
use dojang_credentials::jose::Jws;
use dojang_login_service::authorize::AuthorizeError;
use dojang_login_service::{LoginError, Progress, TokenForm};
use dojang_wallet::{answer, check_login_request, record_login};
use serde_json::{json, Map, Value};

const RESPONSE_URI: &str = "https://login.seoul.go.kr/login/response";

/// The wallet's side of a login: the request object checked against the chain's view and the
/// facility's registration, then answered. Returns the vp_token.
fn wallet_answers(c: &City, who: &mut Citizen, session: &str, client: &str) -> Result<Map<String, Value>, String> {
    let jwt = c.provider.request_object(session, c.facility(client), RESPONSE_URI, NOW).map_err(|e| e.to_string())?;
    let login =
        check_login_request(&jwt, &c.snapshot, Some(c.facility(client).clone()), NOW).map_err(|e| e.to_string())?;
    let r = &login.request;
    let vp = answer(&mut who.wallet, &r.request, &r.policy, &r.query, NOW).map_err(|e| e.to_string())?;
    record_login(&mut who.wallet, &login, r.query.credentials.len());
    Ok(vp.as_object().cloned().unwrap_or_default())
}

#[derive(Debug)]
struct Done {
    redirect: String,
    verifier: String,
}

/// A whole login up to the redirect with the code.
fn log_in(
    c: &City,
    who: &mut Citizen,
    client: &str,
    edit: impl FnOnce(&mut dojang_login_service::authorize::AuthorizeParams),
) -> Result<Done, String> {
    let (verifier, challenge) = pkce(&format!("verifier-{client}-{}", who.secret));
    let mut p = params(client, &challenge);
    edit(&mut p);
    let session = c.provider.authorize(&p, Some(c.facility(client)), NOW).map_err(|e| e.to_string())?.id;
    let vp = wallet_answers(c, who, &session, client)?;
    let redirect =
        c.provider.respond(&session, &session, &vp, c.facility(client), NOW).map_err(|(e, _)| e.to_string())?;
    Ok(Done { redirect, verifier })
}

fn exchange(c: &City, client: &str, done: &Done) -> Result<dojang_login_service::TokenResponse, String> {
    let form = TokenForm {
        grant_type: Some("authorization_code".into()),
        code: query_param(&done.redirect, "code"),
        redirect_uri: Some(format!("https://{client}.seoul.go.kr/cb")),
        client_id: Some(client.into()),
        code_verifier: Some(done.verifier.clone()),
    };
    c.provider.token(&form, NOW + 1).map_err(|e| e.to_string())
}

/// The ID token's claims, after checking its signature with the key the JWKS publishes.
fn id_token_claims(c: &City, id_token: &str) -> Map<String, Value> {
    let jwks = c.provider.jwks();
    let jwk: dojang_credentials::jose::Jwk = serde_json::from_value(jwks["keys"][0].clone()).expect("a JWK");
    let jws = Jws::parse(id_token).expect("a JWT");
    assert_eq!(jws.alg(), "ES256");
    assert_eq!(jws.header["kid"], jwks["keys"][0]["kid"]);
    jws.verify(&jwk.to_public_key().expect("a P-256 key")).expect("signed with the published key");
    jws.payload.clone()
}

#[test]
fn a_citizen_logs_in_to_the_library_and_the_facility_learns_only_its_claims() {
    let c = city();
    let mut kim = c.citizen("kim", 10, 1, "substantial");
    let done = log_in(&c, &mut kim, "library", |_| {}).expect("logged in");
    assert!(done.redirect.starts_with("https://library.seoul.go.kr/cb?code="), "{}", done.redirect);
    assert_eq!(query_param(&done.redirect, "state").as_deref(), Some("xyz"));
    assert_eq!(query_param(&done.redirect, "iss").as_deref(), Some(ISSUER_URL), "RFC 9207");

    let tokens = exchange(&c, "library", &done).expect("the code is exchanged");
    assert_eq!((tokens.token_type, tokens.scope, tokens.expires_in), ("Bearer", "openid", 300));
    let claims = id_token_claims(&c, &tokens.id_token);
    assert_eq!(claims["iss"], ISSUER_URL);
    assert_eq!(claims["aud"], "library");
    assert_eq!(claims["nonce"], "n-0S6_WzA2Mj");
    assert_eq!(claims["resident_of_seoul"], true);
    assert_eq!(claims["acr"], "urn:dojang:loa:low", "the library asked no assurance claim");
    assert_eq!(claims["exp"].as_u64(), Some(NOW + 1 + 300));
    let mut names: Vec<&str> = claims.keys().map(String::as_str).collect();
    names.sort();
    assert_eq!(
        names,
        ["acr", "action", "aud", "auth_time", "exp", "iat", "iss", "nonce", "resident_of_seoul", "sub"],
        "AUTH-04: nothing beyond the library's policy, no registry token, no age"
    );
    let info = c.provider.userinfo(&tokens.access_token, NOW + 2).expect("userinfo");
    assert_eq!(info["sub"], claims["sub"]);
    assert_eq!(info["resident_of_seoul"], true);
    assert!(c.provider.userinfo("not-a-token", NOW).is_none());
    assert!(c.provider.userinfo(&tokens.access_token, NOW + 1 + 300).is_none(), "the access token lapses");

    // AUTH-06: the wallet's history names the facility, the login service and what it saw.
    let h = kim.wallet.history.last().expect("a history entry");
    assert_eq!(h.facility.as_deref(), Some("Mapo Library"));
    assert_eq!(h.verifier, PROVIDER);
    assert_eq!(h.policy, "login-library");
    assert_eq!(h.claims, ["[resident_of_seoul]", "[program_pseudonyms.library]"]);
}

#[test]
fn auth_05_subjects_are_stable_at_one_facility_and_differ_across_facilities_and_people() {
    let c = city();
    let mut kim = c.citizen("kim", 10, 1, "substantial");
    let mut lee = c.citizen("lee", 10, 2, "substantial");
    let sub = |who: &mut Citizen, client: &str| {
        let done = log_in(&c, who, client, |_| {}).expect("logged in");
        id_token_claims(&c, &exchange(&c, client, &done).expect("tokens").id_token)["sub"].clone()
    };
    let kim_library = sub(&mut kim, "library");
    assert_eq!(sub(&mut kim, "library"), kim_library, "stable for one facility");
    let kim_pool = sub(&mut kim, "pool");
    assert_ne!(kim_pool, kim_library, "two facilities cannot link Kim");
    assert_ne!(sub(&mut lee, "library"), kim_library, "two citizens are two subjects");
    assert_ne!(kim_library, kim.token("library").as_str(), "the subject is not the registry's token");
    assert_eq!(
        kim_library,
        dojang_login_service::tokens::pairwise_subject("library", &kim.token("library")).as_str(),
        "it is the facility's hash of it"
    );
}

#[test]
fn auth_08_a_stale_residency_credential_is_refused_with_what_to_do() {
    let c = city();
    let mut old = c.citizen("park", 31, 3, "substantial");
    let e = log_in(&c, &mut old, "pool", |_| {}).unwrap_err();
    assert!(e.starts_with("AUTH-08: ") && e.contains("31 days old") && e.contains("at most 30"), "{e}");
    assert!(log_in(&c, &mut old, "library", |_| {}).is_ok(), "the library accepts a year");

    // The facility hears access_denied, with state, and the page shows the reason.
    let (_, challenge) = pkce("stale");
    let session = c.provider.authorize(&params("pool", &challenge), Some(c.facility("pool")), NOW).unwrap();
    let vp = wallet_answers(&c, &mut old, &session.id, "pool").unwrap();
    let (err, redirect) = c.provider.respond(&session.id, &session.id, &vp, c.facility("pool"), NOW).unwrap_err();
    assert!(matches!(err, LoginError::Rule(ref r) if r.starts_with("AUTH-08")), "{err}");
    let redirect = redirect.expect("the facility is told");
    assert_eq!(query_param(&redirect, "error").as_deref(), Some("access_denied"));
    assert_eq!(query_param(&redirect, "state").as_deref(), Some("xyz"));
    assert!(query_param(&redirect, "code").is_none());
    assert!(matches!(c.provider.progress(&session.id, Some(&session.browser), NOW), Ok(Progress::Failed { .. })));
    assert_eq!(c.provider.progress(&session.id, None, NOW), Err(LoginError::OtherBrowser), "only the starting browser");
    assert_eq!(
        query_param(&redirect, "error_description").as_deref(),
        Some(dojang_login_service::provider::FAILED_FOR_FACILITY),
        "the facility is not told the citizen's reason"
    );
}

#[test]
fn auth_02_and_auth_01_a_revoked_credential_and_an_unaccredited_issuer_are_refused() {
    let c = city();
    let mut revoked = c.citizen("choi", 10, REVOKED_INDEX, "substantial");
    let e = log_in(&c, &mut revoked, "library", |_| {}).unwrap_err();
    assert!(e.starts_with("AUTH-02: ") && e.contains("revoked"), "{e}");

    // A registry the trust list does not accredit for residency.
    let mut other = city();
    other.registry = dojang_credentials::IssuerKey {
        did: "did:web:fake-registry.kr".into(),
        kid: "r1".into(),
        key: dojang_crypto::Keypair::generate(dojang_crypto::Algorithm::P256),
    };
    let mut forged = other.citizen("kim", 10, 1, "high");
    let e = log_in(&other, &mut forged, "library", |_| {}).unwrap_err();
    assert!(e.starts_with("AUTH-01: ") && e.contains("fake-registry"), "{e}");
}

#[test]
fn auth_07_the_district_offices_e_signature_needs_a_high_login() {
    let c = city();
    let mut online = c.citizen("kim", 10, 1, "substantial");
    let sign = |p: &mut dojang_login_service::authorize::AuthorizeParams| {
        p.action = Some("sign".into());
        p.document_hash = Some(document_hash("a contract"));
        p.document_title = Some("a contract".into());
    };
    let e = log_in(&c, &mut online, "district", sign).unwrap_err();
    assert!(e.starts_with("AUTH-07: ") && e.contains("needs a high login"), "{e}");
    let done = log_in(&c, &mut online, "district", |p| p.action = Some("certificate".into())).expect("a low action");
    let claims = id_token_claims(&c, &exchange(&c, "district", &done).unwrap().id_token);
    assert_eq!(claims["acr"], "urn:dojang:loa:substantial");
    assert!(claims.get("assurance").is_none(), "the level travels as acr only");

    let mut in_person = c.citizen("lee", 10, 2, "high");
    let done = log_in(&c, &mut in_person, "district", sign).expect("a high login");
    let claims = id_token_claims(&c, &exchange(&c, "district", &done).unwrap().id_token);
    assert_eq!((claims["acr"].as_str(), claims["action"].as_str()), (Some("urn:dojang:loa:high"), Some("sign")));

    // acr_values raises the bar above the action's.
    let e = log_in(&c, &mut online, "library", |p| p.acr_values = Some("urn:dojang:loa:high".into()));
    assert!(e.is_err(), "the library's policy asks no assurance, so no login there reaches high");
}

#[test]
fn auth_03_a_replayed_answer_and_one_for_another_login_are_refused() {
    let c = city();
    let mut kim = c.citizen("kim", 10, 1, "substantial");
    let (_, challenge) = pkce("replay");
    let first = c.provider.authorize(&params("library", &challenge), Some(c.facility("library")), NOW).unwrap().id;
    let vp = wallet_answers(&c, &mut kim, &first, "library").unwrap();
    c.provider.respond(&first, &first, &vp, c.facility("library"), NOW).expect("the real answer");
    let (e, _) = c.provider.respond(&first, &first, &vp, c.facility("library"), NOW).unwrap_err();
    assert_eq!(e, LoginError::UnknownSession, "the same answer again");

    let second = c.provider.authorize(&params("library", &challenge), Some(c.facility("library")), NOW).unwrap().id;
    let (e, redirect) = c.provider.respond(&second, &second, &vp, c.facility("library"), NOW).unwrap_err();
    assert!(
        e.to_string().starts_with("AUTH-03: ") && e.to_string().contains("nonce"),
        "bound to the first login's nonce: {e}"
    );
    let (e, _) = c.provider.respond(&second, &first, &vp, c.facility("library"), NOW).unwrap_err();
    assert_eq!(e, LoginError::WrongState);
    assert!(redirect.is_none(), "another login's answer does not end this one");

    // Garbage with the right state does not end the login either: the real wallet still can.
    let mut garbage = Map::new();
    garbage.insert("resident".into(), json!(["not.an.sd-jwt~"]));
    let (e, redirect) = c.provider.respond(&second, &second, &garbage, c.facility("library"), NOW).unwrap_err();
    assert!(redirect.is_none(), "{e}");
    let vp = wallet_answers(&c, &mut kim, &second, "library").unwrap();
    c.provider.respond(&second, &second, &vp, c.facility("library"), NOW).expect("the real wallet completes it");
}

#[test]
fn the_wallet_refuses_a_request_beyond_the_facilitys_registration() {
    let c = city();
    let (_, challenge) = pkce("overask");
    let session = c.provider.authorize(&params("library", &challenge), Some(c.facility("library")), NOW).unwrap().id;
    let jwt = c.provider.request_object(&session, c.facility("library"), RESPONSE_URI, NOW).unwrap();
    // The pool's registration with the library's request: another policy.
    let e = check_login_request(&jwt, &c.snapshot, Some(c.facility("pool").clone()), NOW).unwrap_err();
    assert!(e.to_string().contains("not a facility registered"), "{e}");
    let mut borrowed = c.facility("library").clone();
    borrowed.registration.policy = "login-district".into();
    let e = check_login_request(&jwt, &c.snapshot, Some(borrowed), NOW).unwrap_err();
    assert!(e.to_string().contains("AUTH-04") && e.to_string().contains("cites 'login-library'"), "{e}");
    let mut suspended = c.facility("library").clone();
    suspended.suspended = Some(dojang_login::state::Suspension { at_ms: 0, reason: "audit".into() });
    assert!(check_login_request(&jwt, &c.snapshot, Some(suspended), NOW).is_err());
    assert!(check_login_request(&jwt, &c.snapshot, None, NOW).is_err(), "not registered at all");

    // A request signed by the login service asking the library's policy for more than it holds.
    let mut payload = Jws::parse(&jwt).unwrap().payload.clone();
    payload.insert(
        "dcql_query".into(),
        json!({"credentials": [{"id": "resident", "format": "dc+sd-jwt", "meta": {"vct_values": [RESIDENT]},
               "claims": [{"path": ["resident_of_seoul"]}, {"path": ["age_over_65"]}]}]}),
    );
    let key = c.provider_signing_key();
    let mut header = Map::new();
    header.insert("typ".into(), json!("oauth-authz-req+jwt"));
    header.insert("kid".into(), json!(format!("{PROVIDER}#login-1")));
    let greedy = dojang_credentials::jose::sign_compact(key, header, &Value::Object(payload));
    let e = check_login_request(&greedy, &c.snapshot, Some(c.facility("library").clone()), NOW).unwrap_err();
    assert!(e.to_string().contains("asks more than policy"), "{e}");
}

#[test]
fn the_token_endpoint_checks_pkce_client_redirect_and_spends_the_code_once() {
    let c = city();
    let mut kim = c.citizen("kim", 10, 1, "substantial");
    let done = log_in(&c, &mut kim, "library", |_| {}).unwrap();
    let form = |edit: &dyn Fn(&mut TokenForm)| {
        let mut f = TokenForm {
            grant_type: Some("authorization_code".into()),
            code: query_param(&done.redirect, "code"),
            redirect_uri: Some("https://library.seoul.go.kr/cb".into()),
            client_id: Some("library".into()),
            code_verifier: Some(done.verifier.clone()),
        };
        edit(&mut f);
        f
    };
    type Edit = fn(&mut TokenForm);
    let cases: Vec<(&str, Edit)> = vec![
        ("unsupported_grant_type", |f| f.grant_type = Some("password".into())),
        ("invalid_request", |f| f.code = None),
        ("invalid_request", |f| f.code_verifier = None),
        ("invalid_grant", |f| f.code_verifier = Some("x".repeat(43))),
        ("invalid_grant", |f| f.client_id = Some("pool".into())),
        ("invalid_grant", |f| f.redirect_uri = Some("https://library.seoul.go.kr/cb2".into())),
        ("invalid_grant", |f| f.code = Some("guessed".into())),
    ];
    for (i, (error, edit)) in cases.iter().enumerate() {
        let e = c.provider.token(&form(edit), NOW).unwrap_err();
        assert_eq!(e.error, *error, "case {i}: {e}");
    }
    assert_eq!(c.provider.token(&form(&|_| {}), NOW + 60).unwrap_err().error, "invalid_grant", "a code lives 60 s");
    let tokens = c.provider.token(&form(&|_| {}), NOW + 1).expect("the right exchange");
    let again = c.provider.token(&form(&|_| {}), NOW + 2).unwrap_err();
    assert!(again.description.contains("used already"), "{again}");
    assert!(c.provider.userinfo(&tokens.access_token, NOW + 3).is_none(), "RFC 6749 §4.1.2: the tokens are revoked");
}

#[test]
fn malformed_authorization_requests_are_refused_where_the_error_may_go() {
    let c = city();
    let (_, challenge) = pkce("malformed");
    let library = Some(c.facility("library"));
    type Edit = fn(&mut dojang_login_service::authorize::AuthorizeParams);
    let shown: Vec<Edit> = vec![
        |p| p.client_id = None,
        |p| p.redirect_uri = None,
        |p| p.redirect_uri = Some("https://evil.example/cb".into()),
        |p| p.state = Some("\u{7}".into()),
    ];
    for (i, edit) in shown.iter().enumerate() {
        let mut p = params("library", &challenge);
        edit(&mut p);
        let e = c.provider.authorize(&p, library, NOW).unwrap_err();
        assert!(matches!(e, AuthorizeError::Unredirectable(_)), "case {i}: {e}");
    }
    assert!(matches!(
        c.provider.authorize(&params("nowhere", &challenge), None, NOW),
        Err(AuthorizeError::Unredirectable(_))
    ));
    let redirected: Vec<(&str, Edit)> = vec![
        ("unsupported_response_type", |p| p.response_type = Some("token".into())),
        ("unsupported_response_type", |p| p.response_type = None),
        ("invalid_scope", |p| p.scope = Some("profile".into())),
        ("invalid_request", |p| p.code_challenge = None),
        ("invalid_request", |p| p.code_challenge_method = Some("plain".into())),
        ("invalid_request", |p| p.code_challenge = Some("short".into())),
        ("invalid_request", |p| p.action = Some("pay".into())),
        ("invalid_request", |p| p.acr_values = Some("urn:dojang:loa:extreme".into())),
        ("invalid_request", |p| p.nonce = Some("n".repeat(600))),
        ("invalid_request", |p| p.response_mode = Some("fragment".into())),
        ("request_not_supported", |p| p.request = Some("eyJ...".into())),
        ("login_required", |p| p.prompt = Some("none".into())),
    ];
    for (i, (error, edit)) in redirected.iter().enumerate() {
        let mut p = params("library", &challenge);
        edit(&mut p);
        match c.provider.authorize(&p, library, NOW) {
            Err(AuthorizeError::Redirect { error: got, state, redirect_uri, .. }) => {
                assert_eq!(
                    (got, state.as_deref(), redirect_uri.as_str()),
                    (*error, Some("xyz"), "https://library.seoul.go.kr/cb"),
                    "case {i}"
                );
            }
            other => panic!("case {i}: {other:?}"),
        }
    }
    let mut suspended = c.facility("library").clone();
    suspended.suspended = Some(dojang_login::state::Suspension { at_ms: 0, reason: "audit".into() });
    let e = c.provider.authorize(&params("library", &challenge), Some(&suspended), NOW).unwrap_err();
    assert!(matches!(e, AuthorizeError::Redirect { error: "unauthorized_client", .. }), "{e}");
}

/// A document's SHA-256 in base64url.
fn document_hash(text: &str) -> String {
    use sha2::Digest as _;
    dojang_credentials::jose::b64(&sha2::Sha256::digest(text.as_bytes()))
}

#[test]
fn the_district_office_gets_a_document_signed_that_anyone_can_check_later() {
    use dojang_credentials::transaction::{check_document_signature, DocumentSignature};
    let c = city();
    let hash = document_hash("lease contract for the Mangwon market stall, 2027");
    let sign = |p: &mut dojang_login_service::authorize::AuthorizeParams| {
        p.action = Some("sign".into());
        p.document_hash = Some(hash.clone());
        p.document_title = Some("Mangwon market stall lease 2027".into());
    };
    let mut lee = c.citizen("lee", 10, 2, "high");
    let done = log_in(&c, &mut lee, "district", sign).expect("signed");
    let claims = id_token_claims(&c, &exchange(&c, "district", &done).unwrap().id_token);
    let sig = &claims["document_signature"];
    assert_eq!(
        (sig["document_hash"].as_str(), sig["title"].as_str()),
        (Some(hash.as_str()), Some("Mangwon market stall lease 2027"))
    );
    let presentation = sig["presentation"].as_str().expect("the signed presentation");
    let document = DocumentSignature::decode(sig["transaction_data"].as_str().expect("what was signed")).unwrap();
    assert_eq!(
        (document.document_hash.as_str(), document.title.as_str()),
        (hash.as_str(), "Mangwon market stall lease 2027")
    );
    check_document_signature(presentation, &c.registry.key.public_key(), &document).expect("verifiable by anyone");
    let other =
        DocumentSignature::new("resident", &document_hash("another contract"), "Mangwon market stall lease 2027")
            .unwrap();
    assert!(
        check_document_signature(presentation, &c.registry.key.public_key(), &other).is_err(),
        "only that document"
    );
    let stranger = dojang_crypto::Keypair::generate(dojang_crypto::Algorithm::P256).public_key();
    assert!(check_document_signature(presentation, &stranger, &document).is_err(), "only under the registry's key");

    // A signing action without a document, or a document with a reading action, is refused.
    let e = log_in(&c, &mut lee, "district", |p| p.action = Some("sign".into())).unwrap_err();
    assert!(e.contains("document_hash"), "{e}");
    let e = log_in(&c, &mut lee, "district", |p| {
        sign(p);
        p.action = Some("certificate".into());
    })
    .unwrap_err();
    assert!(e.contains("not a signing action"), "{e}");
    let e = log_in(&c, &mut lee, "district", |p| {
        sign(p);
        p.document_hash = Some("not-a-hash".into());
    })
    .unwrap_err();
    assert!(e.contains("SHA-256"), "{e}");

    // A wallet that answers without signing the document is refused.
    let (_, challenge) = pkce("unsigned");
    let mut p = params("district", &challenge);
    sign(&mut p);
    let session = c.provider.authorize(&p, Some(c.facility("district")), NOW).unwrap().id;
    let jwt = c.provider.request_object(&session, c.facility("district"), RESPONSE_URI, NOW).unwrap();
    let login = check_login_request(&jwt, &c.snapshot, Some(c.facility("district").clone()), NOW).unwrap();
    assert_eq!(login.request.documents, vec![document.clone()], "the wallet shows what it signs");
    let mut unsigned = login.request.request.clone();
    unsigned.transaction_data.clear();
    let vp = answer(&mut lee.wallet, &unsigned, &login.request.policy, &login.request.query, NOW).unwrap();
    let (e, _) =
        c.provider.respond(&session, &session, vp.as_object().unwrap(), c.facility("district"), NOW).unwrap_err();
    assert!(e.to_string().starts_with("AUTH-07: ") && e.to_string().contains("does not sign"), "{e}");

    // The wallet refuses transaction data it cannot show.
    let mut payload = Jws::parse(&jwt).unwrap().payload.clone();
    payload.insert(
        "transaction_data".into(),
        json!([dojang_credentials::jose::b64(br#"{"type":"payment","credential_ids":["resident"]}"#)]),
    );
    let mut header = Map::new();
    header.insert("typ".into(), json!("oauth-authz-req+jwt"));
    header.insert("kid".into(), json!(format!("{PROVIDER}#login-1")));
    let odd = dojang_credentials::jose::sign_compact(c.provider_signing_key(), header, &Value::Object(payload));
    let e = check_login_request(&odd, &c.snapshot, Some(c.facility("district").clone()), NOW).unwrap_err();
    assert!(e.to_string().contains("cannot show"), "{e}");
}

#[test]
fn a_guardian_logs_in_for_a_ward_within_the_delegation_only() {
    let c = city();
    let mut parent = c.citizen("parent", 10, 5, "substantial");
    let child = c.citizen("child", 10, 6, "substantial");
    let ward = |p: &mut dojang_login_service::authorize::AuthorizeParams| p.on_behalf = Some("ward".into());

    // Without a guardian credential the wallet has nothing to answer with.
    assert!(log_in(&c, &mut parent, "library", ward).unwrap_err().contains("urn:dojang:guardian:1"));

    c.delegate(&mut parent, &child, &["library"], 90, 8);
    let done = log_in(&c, &mut parent, "library", ward).expect("the parent logs in for the child");
    let claims = id_token_claims(&c, &exchange(&c, "library", &done).unwrap().id_token);
    let child_sub = dojang_login_service::tokens::pairwise_subject("library", &child.token("library"));
    let parent_sub = dojang_login_service::tokens::pairwise_subject("library", &parent.token("library"));
    assert_eq!(claims["sub"], child_sub.as_str(), "the library sees the child's subject");
    assert_eq!(claims["act"]["sub"], parent_sub.as_str(), "and the parent as the actor (RFC 8693)");
    assert_eq!(claims["delegation"]["relationship"], "parent");
    assert_eq!(claims["delegation"]["until"].as_u64(), Some(NOW + 90 * DAY), "time-limited");
    for withheld in ["ward_pseudonyms", "scope", "relationship", "program_pseudonyms"] {
        assert!(claims.get(withheld).is_none(), "{withheld} stays with the registry's tokens");
    }
    assert_eq!(parent.wallet.history.last().and_then(|h| h.facility.as_deref()), Some("Mapo Library"));

    // The pool registered no guardian policy; a delegation for the pool does not reach the library.
    let e = log_in(&c, &mut parent, "pool", ward).unwrap_err();
    assert!(e.contains("no logins on another's behalf"), "{e}");
    let mut other = c.citizen("other-parent", 10, 9, "substantial");
    c.delegate(&mut other, &child, &["pool"], 90, 10);
    let e = log_in(&c, &mut other, "library", ward).unwrap_err();
    assert!(e.starts_with("AUTH-04: ") && e.contains("does not cover 'library'"), "{e}");

    // A lapsed delegation, and one the registry revoked, are refused.
    let mut late = c.citizen("late-parent", 10, 11, "substantial");
    c.delegate(&mut late, &child, &["library"], 0, 12);
    let e = log_in(&c, &mut late, "library", ward).unwrap_err();
    assert!(e.starts_with("AUTH-02: ") && e.contains("expired"), "{e}");
    let mut revoked = c.citizen("revoked-parent", 10, 13, "substantial");
    c.delegate(&mut revoked, &child, &["library"], 90, REVOKED_INDEX);
    let e = log_in(&c, &mut revoked, "library", ward).unwrap_err();
    assert!(e.starts_with("AUTH-02: ") && e.contains("revoked"), "{e}");

    // Someone holding another person's guardian credential beside their own residency.
    let mut impostor = c.citizen("impostor", 10, 14, "substantial");
    c.delegate_naming(&mut impostor, &parent, &child, &["library"], 90, 15);
    let e = log_in(&c, &mut impostor, "library", ward).unwrap_err();
    assert!(e.starts_with("AUTH-03: ") && e.contains("another person"), "{e}");

    // A guardian cannot sign in the ward's name, nor ask on_behalf for anything but a ward.
    let e = log_in(&c, &mut parent, "library", |p| p.on_behalf = Some("spouse".into())).unwrap_err();
    assert!(e.contains("on_behalf"), "{e}");
}

#[test]
fn one_facility_cannot_take_every_other_facilitys_room() {
    let c = city();
    let provider = c.provider_at(ISSUER_URL).with_max_open(10).with_max_per_facility(2);
    let (_, challenge) = pkce("flood");
    for _ in 0..2 {
        provider.authorize(&params("library", &challenge), Some(c.facility("library")), NOW).expect("room");
    }
    match provider.authorize(&params("library", &challenge), Some(c.facility("library")), NOW) {
        Err(AuthorizeError::Redirect { error, .. }) => assert_eq!(error, "temporarily_unavailable"),
        other => panic!("a third open login for one facility: {other:?}"),
    }
    provider.authorize(&params("pool", &challenge), Some(c.facility("pool")), NOW).expect("the pool still has room");
    // Lapsed logins make room again.
    provider
        .authorize(&params("library", &challenge), Some(c.facility("library")), NOW + 601)
        .expect("the first two lapsed after ten minutes");
}
