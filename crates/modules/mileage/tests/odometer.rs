//! Car mileage's evidence from odometer readings (MIL-04, MIL-06): the reduction worked by
//! hand, the readings that do not compare, the commitment to a vehicle and year, and the
//! auditor's check of an award against the readings on chain.

use dojang_mileage::odometer::{audit, evidence, evidence_id, km_driven_less, pick_span, salt, Reading, Span, KIND};
use dojang_types::Date;

const VIN: &str = "KMHDN45D02U000017";
const SECRET: [u8; 32] = [7; 32];

fn d(s: &str) -> Date {
    s.parse().unwrap()
}

fn r(seq: u32, on: &str, km: u64) -> Reading {
    Reading { seq, on: d(on), km, segment: 0 }
}

/// 12,000 km in the year before (365 days), 9,000 in the year awarded (365 days).
fn span() -> Span {
    Span { baseline: r(1, "2024-03-01", 20_000), start: r(2, "2025-03-01", 32_000), end: r(3, "2026-03-01", 41_000) }
}

#[test]
fn kilometres_driven_less_by_hand() {
    assert_eq!(km_driven_less(&span()).unwrap(), 3_000);
    // Driven more than before: nothing less, and no error.
    let mut more = span();
    more.end.km = 45_000;
    assert_eq!(km_driven_less(&more).unwrap(), 0);
    // A leap-year award period of 366 days (2027-03-01 to 2028-03-01 spans 29 February)
    // against 365 before: 12,000 × 366 / 365 = 12,032.87..., rounded down to 12,032; driven
    // 10,000, so 2,032 less.
    let leap =
        Span { baseline: r(1, "2026-03-01", 0), start: r(2, "2027-03-01", 12_000), end: r(3, "2028-03-01", 22_000) };
    assert_eq!(km_driven_less(&leap).unwrap(), 2_032);
}

#[test]
fn readings_that_do_not_compare_are_refused_with_the_reason() {
    let mut replaced = span();
    replaced.end.segment = 1;
    assert!(km_driven_less(&replaced).unwrap_err().contains("not all of one odometer"));

    let mut short_before = span();
    short_before.baseline.on = d("2024-06-01");
    assert!(km_driven_less(&short_before).unwrap_err().contains("the year before runs 273 days"));

    let mut short = span();
    short.end.on = d("2025-12-01");
    assert!(km_driven_less(&short).unwrap_err().contains("award period runs 275 days"));
    let mut long = span();
    long.end.on = d("2026-05-01");
    assert!(km_driven_less(&long).unwrap_err().contains("award period runs 426 days"));

    let mut rolled_back = span();
    rolled_back.end.km = 30_000;
    assert!(km_driven_less(&rolled_back).unwrap_err().contains("goes back"));
}

#[test]
fn one_evidence_id_per_vehicle_and_year_whatever_the_readings() {
    let (first, _) = evidence(&SECRET, VIN, span()).unwrap();
    assert_eq!(first.kind, KIND);
    assert_eq!(first.on, d("2026-03-01"));
    assert_eq!(first.measure, 3_000);
    // Another span ending the same year names the same evidence: MIL-04 refuses the second.
    // 12,000 × 356 / 365 = 11,704 expected, 8,000 driven: 3,704 less, cited as 3,500, in
    // February.
    let mut other = span();
    other.end = r(4, "2026-02-20", 40_000);
    let (again, _) = evidence(&SECRET, VIN, other).unwrap();
    assert_eq!(again.id, first.id);
    assert_eq!((again.on, again.measure), (d("2026-02-01"), 3_500));
    // Another year, another vehicle or another office's secret: another id.
    let next_year = Span { baseline: span().start, start: span().end, end: r(5, "2027-03-01", 49_000) };
    assert_ne!(evidence(&SECRET, VIN, next_year).unwrap().0.id, first.id);
    assert_ne!(evidence(&SECRET, "KMHDN45D02U000025", span()).unwrap().0.id, first.id);
    assert_ne!(evidence(&[8; 32], VIN, span()).unwrap().0.id, first.id);
    // The id is not a hash of the VIN anyone could compute: without the salt it does not open.
    assert_ne!(evidence_id(&dojang_types::Hash([0; 32]), VIN, 2026), first.id);
    assert_eq!(evidence_id(&salt(&SECRET, VIN, 2026), VIN, 2026), first.id);
}

#[test]
fn an_auditor_opens_an_award_and_checks_it_against_the_readings() {
    let (awarded, opening) = evidence(&SECRET, VIN, span()).unwrap();
    let on_record = [span().baseline, span().start, r(9, "2025-09-01", 36_000), span().end];
    audit(&awarded, &opening, &on_record).unwrap();

    let mut inflated = awarded.clone();
    inflated.measure = 3_500;
    assert!(audit(&inflated, &opening, &on_record).unwrap_err().contains("readings give 3000 km"));

    let mut wrong_salt = opening.clone();
    wrong_salt.salt = salt(&[8; 32], VIN, 2026);
    assert!(audit(&awarded, &wrong_salt, &on_record).unwrap_err().contains("do not open"));

    let mut other_car = opening.clone();
    other_car.vin = "KMHDN45D02U000025".into();
    assert!(audit(&awarded, &other_car, &on_record).unwrap_err().contains("do not open"));

    // A reading the chain does not hold (or holds flagged, so left out of the trusted ones).
    let missing = [span().baseline, span().end];
    assert!(audit(&awarded, &opening, &missing).unwrap_err().contains("reading 2 (32000 km"));

    let mut redated = awarded.clone();
    redated.on = d("2026-02-01");
    assert!(audit(&redated, &opening, &on_record).unwrap_err().contains("dated 2026-02-01"));
    // Cited by month and in whole steps: read on the 17th (381 days: 12,526 km expected, 9,300
    // driven, 3,226 less), cited as the 1st and 3,000 km, and the audit agrees.
    let mut odd = span();
    odd.end = r(3, "2026-03-17", 41_300);
    let (coarse, opened) = evidence(&SECRET, VIN, odd).unwrap();
    assert_eq!((coarse.on, coarse.measure), (d("2026-03-01"), 3_000));
    audit(&coarse, &opened, &[odd.baseline, odd.start, odd.end]).unwrap();

    let mut other_kind = awarded;
    other_kind.kind = "meter-saving".into();
    assert!(audit(&other_kind, &opening, &on_record).unwrap_err().contains("not 'odometer-reduction'"));
}

#[test]
fn the_span_is_picked_from_the_latest_readings_on_the_last_odometer() {
    let readings = [
        r(0, "2023-02-01", 10),
        r(1, "2024-03-01", 20_000),
        r(2, "2024-09-01", 26_000),
        r(3, "2025-03-01", 32_000),
        r(4, "2025-09-01", 36_000),
        r(5, "2026-03-01", 41_000),
        r(6, "2026-06-01", 43_000),
    ];
    let picked = pick_span(&readings, d("2026-05-01")).unwrap();
    assert_eq!((picked.baseline.seq, picked.start.seq, picked.end.seq), (1, 3, 5));
    assert_eq!(km_driven_less(&picked).unwrap(), 3_000);

    // After an odometer replacement the earlier readings do not count.
    let mut replaced = readings;
    for x in replaced.iter_mut().skip(3) {
        x.segment = 1;
    }
    assert!(pick_span(&replaced, d("2026-05-01")).unwrap_err().contains("no reading a year before 2025-03-01"));
    assert!(pick_span(&readings, d("2023-01-01")).unwrap_err().contains("no trusted odometer reading"));
    assert!(pick_span(&readings[4..], d("2026-05-01")).unwrap_err().contains("no reading a year before 2026-03-01"));
}
