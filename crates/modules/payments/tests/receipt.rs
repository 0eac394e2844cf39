//! A worker's payment receipt: written only for a confirmed labour line that pays the worker,
//! from attendance that holds together, after PAY-08 holds on each work date's minimum wage.

use dojang_payments::msg::{Method, Part, PartKind};
use dojang_payments::receipt::{receipt, Day, OnChain, Receipt, ReceiptError};
use dojang_payments::state::{Line, LineStatus};
use dojang_types::{Address, Date, Hash};

fn d(s: &str) -> Date {
    s.parse().unwrap()
}

const EMPLOYER: Address = Address([7; 20]);
const WORKERS: [Address; 3] = [Address([1; 20]), Address([2; 20]), Address([3; 20])];
const OUTSIDER: Address = Address([9; 20]);

fn line(kind: PartKind, status: LineStatus) -> Line {
    Line {
        part: Part {
            contract: Some("sub-a".into()),
            kind,
            krw: 600_000,
            method: Method::Transfer,
            workers: if kind == PartKind::Labour { WORKERS.to_vec() } else { vec![] },
            lines: (kind == PartKind::Labour).then_some(Hash([5; 32])),
            worker_days: None,
        },
        payee: EMPLOYER,
        due: d("2026-02-20"),
        remind: None,
        direct: false,
        status,
        missed: false,
        interest_from: d("2026-03-06"),
        attempt: 1,
    }
}

fn confirmed(interest_krw: u64) -> LineStatus {
    LineStatus::Confirmed { value_date: d("2026-02-18"), late_days: 0, interest_krw }
}

/// The minimum wage of 2025 and of 2026 (KRW 10,030 and 10,320 an hour); the tables start
/// on 1 February 2025.
fn minimum_on(date: Date) -> Result<u64, String> {
    match date.year {
        2025 if date >= Date::new(2025, 2, 1).unwrap() => Ok(10_030),
        2026 => Ok(10_320),
        _ => Err(format!("no minimum wage in the tables on {date}")),
    }
}

fn at(line: &Line) -> OnChain<'_> {
    OnChain { project: "road-7", number: 3, index: 2, line, received: d("2026-01-05") }
}

/// Eight hours on the last day of 2025 and on 2 January 2026: 8 × 10,030 + 8 × 10,320 =
/// 162,800 won at least.
fn new_year() -> Vec<Day> {
    vec![Day { date: d("2026-01-02"), minutes: 480 }, Day { date: d("2025-12-31"), minutes: 480 }]
}

#[test]
fn a_receipt_states_the_site_the_period_the_days_minutes_and_pay_of_a_confirmed_line() {
    let l = line(PartKind::Labour, confirmed(1_234));
    let mut days = new_year();
    days.push(Day { date: d("2026-01-03"), minutes: 290 });
    // 162,800 + 290 min at 10,320 (49,880) = 212,680.
    let r = receipt(at(&l), &WORKERS[1], 212_680, &days, minimum_on).unwrap();
    assert_eq!(
        r,
        Receipt {
            project: "road-7".into(),
            employer_account: EMPLOYER.to_string(),
            payment: "road-7/3/2".into(),
            period_start: d("2025-12-31"),
            period_end: d("2026-01-03"),
            days_worked: 3,
            minutes_worked: 1_250,
            amount_krw: 212_680,
            paid_on: d("2026-02-18"),
            late_interest_on_line_krw: 1_234,
            minimum_wage_met: true,
        }
    );
}

#[test]
fn pay_08_no_receipt_below_each_work_dates_minimum_wage() {
    let l = line(PartKind::Labour, confirmed(0));
    assert!(receipt(at(&l), &WORKERS[0], 162_800, &new_year(), minimum_on).is_ok());
    let why = receipt(at(&l), &WORKERS[0], 162_799, &new_year(), minimum_on).unwrap_err();
    match why {
        ReceiptError::BelowMinimumWage(text) => {
            assert!(text.starts_with("PAY-08") && text.contains("162800"), "{text}")
        }
        other => panic!("expected PAY-08, got {other}"),
    }
    // A work date the tables give no minimum wage for: no receipt, and the reason says why.
    let before = [Day { date: d("2025-01-10"), minutes: 480 }];
    let why = receipt(at(&l), &WORKERS[0], 1_000_000, &before, minimum_on).unwrap_err();
    assert_eq!(why, ReceiptError::NoMinimumWage("no minimum wage in the tables on 2025-01-10".into()));
}

#[test]
fn only_a_confirmed_labour_line_gives_receipts_and_only_to_its_workers() {
    for status in [LineStatus::Pending, LineStatus::Rejected { code: "AC04".into() }] {
        let l = line(PartKind::Labour, status);
        assert_eq!(
            receipt(at(&l), &WORKERS[0], 200_000, &new_year(), minimum_on).unwrap_err(),
            ReceiptError::NotConfirmed { line: 2 }
        );
    }
    let l = line(PartKind::Equipment, confirmed(0));
    assert_eq!(
        receipt(at(&l), &WORKERS[0], 200_000, &new_year(), minimum_on).unwrap_err(),
        ReceiptError::NotLabour { line: 2 }
    );
    let l = line(PartKind::Labour, confirmed(0));
    assert_eq!(
        receipt(at(&l), &OUTSIDER, 200_000, &new_year(), minimum_on).unwrap_err(),
        ReceiptError::NotOnLine { worker: OUTSIDER, line: 2 }
    );
}

#[test]
fn attendance_that_does_not_hold_together_gives_no_receipt() {
    let l = line(PartKind::Labour, confirmed(0));
    let refuse = |days: &[Day]| receipt(at(&l), &WORKERS[0], 10_000_000, days, minimum_on).unwrap_err();
    assert_eq!(refuse(&[]), ReceiptError::NoAttendance);
    let twice = [Day { date: d("2026-01-02"), minutes: 60 }, Day { date: d("2026-01-02"), minutes: 60 }];
    assert_eq!(refuse(&twice), ReceiptError::DayTwice { date: d("2026-01-02") });
    for minutes in [0, 24 * 60 + 1] {
        let day = [Day { date: d("2026-01-02"), minutes }];
        assert_eq!(refuse(&day), ReceiptError::DayOutOfRange { date: d("2026-01-02"), minutes });
    }
    let full_day = [Day { date: d("2026-01-02"), minutes: 24 * 60 }];
    assert!(receipt(at(&l), &WORKERS[0], 10_000_000, &full_day, minimum_on).is_ok());
    let later = [Day { date: d("2026-01-06"), minutes: 60 }];
    assert_eq!(refuse(&later), ReceiptError::AfterReceived { date: d("2026-01-06"), received: d("2026-01-05") });
    // The day of the take-over is a work date; 366 days before it is the earliest.
    let edges = [Day { date: d("2026-01-05"), minutes: 60 }, Day { date: d("2025-01-04"), minutes: 60 }];
    assert!(receipt(at(&l), &WORKERS[0], 10_000_000, &edges, |_| Ok(10_320)).is_ok());
    let long_before = [Day { date: d("2025-01-03"), minutes: 60 }];
    assert_eq!(
        refuse(&long_before),
        ReceiptError::LongBeforeReceived { date: d("2025-01-03"), received: d("2026-01-05") }
    );
}
