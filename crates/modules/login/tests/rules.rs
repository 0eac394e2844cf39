//! The login rules from DOMAIN.md §5, case by case.

use dojang_login::rules::*;
use dojang_login::{Action, ActionKind, Level, Registration};

fn action(id: &str, kind: ActionKind, level: Level) -> Action {
    Action { id: id.into(), kind, level }
}

fn library() -> Registration {
    Registration {
        id: "mapo-library".into(),
        name: "Mapo Library".into(),
        provider: "did:web:login.seoul.go.kr".into(),
        redirect_uris: vec!["https://library.mapo.go.kr/oidc/callback".into()],
        policy: "login-mapo-library".into(),
        actions: vec![action("catalogue", ActionKind::Read, Level::Low), action("borrow", ActionKind::Use, Level::Low)],
        residency_max_age_days: 365,
        guardian_policy: None,
    }
}

#[test]
fn auth_04_redirect_uris_are_https_exact_and_without_fragments() {
    for ok in [
        "https://library.mapo.go.kr/cb",
        "https://pool.seoul.go.kr:8443/login?from=app",
        "http://127.0.0.1:8080/cb",
        "http://localhost/cb",
        "http://[::1]:9/cb",
    ] {
        assert_eq!(redirect_uri_is_acceptable(ok), Ok(()), "{ok}");
    }
    for (bad, why) in [
        ("http://library.mapo.go.kr/cb", "plain http"),
        ("https://library.mapo.go.kr/cb#top", "fragment"),
        ("https://user@library.mapo.go.kr/cb", "user information"),
        ("https:///cb", "no host"),
        ("https://[::1/cb", "IPv6"),
        ("ftp://library.mapo.go.kr/cb", "not an https URL"),
        ("https://library.mapo.go.kr/c b", "spaces"),
        ("library.mapo.go.kr/cb", "not an https URL"),
    ] {
        let e = redirect_uri_is_acceptable(bad).expect_err(bad);
        assert!(e.starts_with("AUTH-04: ") && e.contains(why), "{bad}: {e}");
    }
    let long = format!("https://a.kr/{}", "x".repeat(MAX_URI_LEN));
    assert!(redirect_uri_is_acceptable(&long).is_err());

    let registered = library().redirect_uris;
    assert_eq!(redirect_uri_is_registered(&registered, "https://library.mapo.go.kr/oidc/callback"), Ok(()));
    for near in [
        "https://library.mapo.go.kr/oidc/callback/",
        "https://library.mapo.go.kr/oidc/callback?x=1",
        "https://LIBRARY.mapo.go.kr/oidc/callback",
        "https://library.mapo.go.kr/oidc",
    ] {
        let e = redirect_uri_is_registered(&registered, near).expect_err(near);
        assert!(e.starts_with("AUTH-04: "), "{e}");
    }
}

#[test]
fn auth_07_votes_contracts_and_payments_need_a_high_login() {
    assert_eq!(least_level(ActionKind::Read), Level::Low);
    assert_eq!(least_level(ActionKind::Use), Level::Low);
    assert_eq!(least_level(ActionKind::Apply), Level::Substantial);
    for kind in [ActionKind::Sign, ActionKind::Payment, ActionKind::Vote] {
        assert_eq!(least_level(kind), Level::High, "{kind:?}");
        let e = action_level_is_enough(&action("x", kind, Level::Substantial)).unwrap_err();
        assert!(e.starts_with("AUTH-07: ") && e.contains("high"), "{e}");
        assert_eq!(action_level_is_enough(&action("x", kind, Level::High)), Ok(()));
    }
    assert!(action_level_is_enough(&action("apply", ActionKind::Apply, Level::Low)).is_err());
    assert_eq!(action_level_is_enough(&action("read", ActionKind::Read, Level::High)), Ok(()), "more is allowed");

    let actions = library().actions;
    assert_eq!(required_level(&actions, "borrow"), Ok(Level::Low));
    assert!(required_level(&actions, "pay-fine").unwrap_err().starts_with("AUTH-07: "));

    assert_eq!(level_is_reached(Level::Low, Level::Low), Ok(()));
    assert_eq!(level_is_reached(Level::Substantial, Level::High), Ok(()));
    let e = level_is_reached(Level::High, Level::Substantial).unwrap_err();
    assert!(e.starts_with("AUTH-07: ") && e.contains("in person"), "{e}");

    for level in [Level::Low, Level::Substantial, Level::High] {
        assert_eq!(Level::from_acr(&level.acr()), Some(level));
    }
    assert_eq!(Level::from_acr("urn:dojang:loa:medium"), None);
    assert_eq!(Level::from_acr("high"), None);
}

#[test]
fn auth_08_residency_older_than_the_facilitys_limit_is_refused() {
    let day = 86_400;
    let issued = 1_780_000_000;
    assert_eq!(residency_is_fresh(issued, issued, 30), Ok(()));
    assert_eq!(residency_is_fresh(issued, issued + 30 * day, 30), Ok(()), "the last day still counts");
    let e = residency_is_fresh(issued, issued + 30 * day + 1, 30).unwrap_err();
    assert!(e.starts_with("AUTH-08: ") && e.contains("30 days old") && e.contains("fresh one"), "{e}");
    assert_eq!(residency_is_fresh(issued, issued - 10, 1), Ok(()), "a clock behind the issuer's is not staleness");
}

#[test]
fn a_registration_is_checked_whole() {
    assert_eq!(registration_is_well_formed(&library()), Ok(()));
    type Change = fn(&mut Registration);
    let cases: Vec<(&str, Change)> = vec![
        ("AUTH-04", |r| r.id = "Mapo Library".into()),
        ("AUTH-04", |r| r.policy = String::new()),
        ("AUTH-04", |r| r.name = " ".into()),
        ("AUTH-04", |r| r.name = "x".repeat(MAX_NAME + 1)),
        ("AUTH-04", |r| r.redirect_uris.clear()),
        ("AUTH-04", |r| r.redirect_uris = vec!["https://a.kr/cb".into(); 2]),
        ("AUTH-04", |r| r.redirect_uris = (0..=MAX_REDIRECT_URIS).map(|i| format!("https://a.kr/{i}")).collect()),
        ("AUTH-04", |r| r.redirect_uris = vec!["http://library.mapo.go.kr/cb".into()]),
        ("AUTH-07", |r| r.actions.clear()),
        ("AUTH-07", |r| r.actions.push(action("catalogue", ActionKind::Read, Level::Low))),
        ("AUTH-07", |r| r.actions.push(action("pay-fine", ActionKind::Payment, Level::Low))),
        ("AUTH-07", |r| r.actions.push(action("Bad Id", ActionKind::Read, Level::Low))),
        ("AUTH-08", |r| r.residency_max_age_days = 0),
        ("AUTH-08", |r| r.residency_max_age_days = MAX_RESIDENCY_AGE_DAYS + 1),
    ];
    for (i, (rule, change)) in cases.into_iter().enumerate() {
        let mut r = library();
        change(&mut r);
        let e = registration_is_well_formed(&r).expect_err(&format!("case {i}"));
        assert!(e.starts_with(&format!("{rule}: ")), "case {i}: {e}");
    }
}
