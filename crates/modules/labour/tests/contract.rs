//! LAB-01: a draft becomes a contract only with every mandatory item, and each missing or
//! wrong item is named, in Korean and English.

mod common;

use common::*;
use dojang_labour::terms::Shift;
use dojang_labour::{lint, Draft};

/// A change that spoils one item of a complete draft.
type Change = fn(&mut Draft);

fn items(d: &Draft) -> Vec<&'static str> {
    lint(d).unwrap_err().iter().map(|p| p.item).collect()
}

#[test]
fn a_complete_draft_is_a_contract() {
    let t = lint(&draft()).unwrap();
    assert_eq!(t.weekly_minutes(), 990);
    assert_eq!(t.workplace, "café, Mapo-gu");
}

#[test]
fn each_missing_mandatory_item_is_named() {
    let cases: Vec<(&str, Change)> = vec![
        ("period", |d| d.start = None),
        ("period", |d| d.end = None),
        ("workplace", |d| d.workplace = Some("  ".into())),
        ("duties", |d| d.duties = None),
        ("hours", |d| d.shifts = None),
        ("hours", |d| d.shifts = Some(vec![])),
        ("weekly_holiday", |d| d.weekly_holiday = None),
        ("wage_amount", |d| d.wage_krw = None),
        ("wage_amount", |d| d.wage_basis = None),
        ("wage_components", |d| d.wage_components = Some(vec![" ".into()])),
        ("wage_calculation", |d| d.wage_calculation = None),
        ("payment_day", |d| d.payment_day = Some(32)),
        ("payment_method", |d| d.payment_method = None),
        ("annual_leave", |d| d.annual_leave = None),
        ("part_time", |d| d.part_time = None),
        ("workplace_employees", |d| d.workplace_employees = None),
        ("worker_birth_date", |d| d.worker_birth_date = None),
    ];
    for (item, change) in cases {
        let mut d = draft();
        change(&mut d);
        let problems = lint(&d).unwrap_err();
        assert_eq!(problems.iter().map(|p| p.item).collect::<Vec<_>>(), vec![item], "{item}");
        assert!(!problems[0].en.is_empty() && !problems[0].ko.is_empty(), "both languages for {item}");
    }
    let open_ended = Draft { end: None, open_ended: true, ..draft() };
    assert!(lint(&open_ended).is_ok(), "an open-ended contract needs no end");
    let every = [
        "period",
        "workplace",
        "duties",
        "hours",
        "weekly_holiday",
        "wage_amount",
        "wage_components",
        "wage_calculation",
        "payment_day",
        "payment_method",
        "annual_leave",
        "part_time",
        "workplace_employees",
        "worker_birth_date",
    ];
    assert_eq!(items(&Draft::default()), every, "an empty draft lacks every item, each named once");
}

#[test]
fn wrong_items_are_named() {
    let backwards = Draft { end: common::d("2025-12-31").into(), ..draft() };
    assert_eq!(items(&backwards), vec!["period"]);
    let holiday_worked = Draft { weekly_holiday: Some(0), ..draft() };
    assert_eq!(items(&holiday_worked), vec!["weekly_holiday"]);
    let shift = |weekday, start, end, brk| Shift { weekday, start, end, break_minutes: brk };
    let no_time = Draft { shifts: Some(vec![shift(0, 600, 630, 30)]), ..draft() };
    assert_eq!(items(&no_time), vec!["hours"]);
    let twice = Draft { shifts: Some(vec![shift(0, 600, 700, 0), shift(0, 800, 900, 0)]), ..draft() };
    assert_eq!(items(&twice), vec!["hours"]);
    let bad_day = Draft { shifts: Some(vec![shift(7, 600, 700, 0)]), ..draft() };
    assert_eq!(items(&bad_day), vec!["hours"]);
    let night = Draft { shifts: Some(vec![shift(0, hm("22:00"), hm("06:00"), 60)]), ..draft() };
    assert_eq!(lint(&night).unwrap().weekly_minutes(), 420, "a night shift runs through midnight");
    // Free text is bounded (500 characters, Korean counted by character, not byte).
    let long = "가".repeat(501);
    let wordy = Draft { duties: Some(long.clone()), annual_leave: Some(long.clone()), ..draft() };
    assert_eq!(items(&wordy), vec!["duties", "annual_leave"]);
    let component = Draft { wage_components: Some(vec!["base".into(), long]), ..draft() };
    assert_eq!(items(&component), vec!["wage_components"]);
    let ok = Draft { duties: Some("가".repeat(500)), ..draft() };
    assert!(lint(&ok).is_ok(), "500 characters are fine");
}

#[test]
fn drafts_with_unknown_fields_are_refused_when_decoded() {
    let mut v = serde_json::to_value(draft()).unwrap();
    v["salary_note"] = serde_json::json!("x");
    assert!(serde_json::from_value::<Draft>(v).is_err());
}
