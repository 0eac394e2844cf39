//! A labour line's receipts: one per worker the bank paid, only from the payroll the chain
//! committed to, and none at all when any worker's days or pay do not hold (PAY-08).

use dojang_payments::msg::{Method, Part, PartKind};
use dojang_payments::receipt::{Day, ReceiptError};
use dojang_payments::state::{Line, LineStatus, Progress, ProgressStatus};
use dojang_payments_service::bank::file::{lines_commitment, AccountOpening, WorkerCredit};
use dojang_payments_service::receipts::{line_receipts, payment_receipts, PayrollLine, ReceiptsError, Wage};
use dojang_types::{Address, Date, Hash};

fn d(s: &str) -> Date {
    s.parse().unwrap()
}

const SALT: Hash = Hash([4; 32]);

fn credit(n: u8, krw: u64) -> WorkerCredit {
    WorkerCredit {
        worker: Address([n; 20]),
        krw,
        account: AccountOpening { number: format!("110-000-00{n}"), salt: Hash([n; 32]) },
    }
}

/// Three workers paid 660,000, 700,000 and 800,000 won on one confirmed labour line (line 1;
/// line 0 is a subcontract).
fn paid() -> (Progress, Vec<WorkerCredit>) {
    let credits = vec![credit(1, 660_000), credit(2, 700_000), credit(3, 800_000)];
    let wages: Vec<(Address, u64)> = credits.iter().map(|c| (c.worker, c.krw)).collect();
    let line = |kind, krw, workers: Vec<Address>, lines| Line {
        part: Part {
            contract: Some("sub-a".into()),
            kind,
            krw,
            method: Method::Transfer,
            workers,
            lines,
            worker_days: None,
        },
        payee: Address([9; 20]),
        due: d("2026-07-15"),
        remind: None,
        direct: false,
        status: LineStatus::Confirmed { value_date: d("2026-07-10"), late_days: 0, interest_krw: 0 },
        missed: false,
        interest_from: d("2026-08-30"),
        attempt: 1,
    };
    let pr = Progress {
        number: 4,
        approved_krw: 7_160_000,
        received: d("2026-06-30"),
        status: ProgressStatus::Instructed,
        approvals: vec![],
        instruction: Hash([8; 32]),
        lines: vec![
            line(PartKind::Subcontract, 5_000_000, vec![], None),
            line(
                PartKind::Labour,
                2_160_000,
                wages.iter().map(|w| w.0).collect(),
                Some(lines_commitment(&SALT, &wages)),
            ),
        ],
        next_due: None,
        next_remind: None,
    };
    (pr, credits)
}

/// Eight hours a day in June 2026 (10,320 won an hour): 82,560 won a day.
fn june(days: u32) -> Vec<Day> {
    (1..=days).map(|n| Day { date: Date::new(2026, 6, n as u8).unwrap(), minutes: 480 }).collect()
}

fn minimum_on(date: Date) -> Result<u64, String> {
    (date.year == 2026).then_some(10_320).ok_or_else(|| format!("no minimum wage for {date}"))
}

/// Line `line`'s payroll as the employer sends it: the credits' amounts under `salt`, and each
/// worker's first `days` days of June.
fn payroll(line: u32, credits: &[WorkerCredit], salt: Hash, days: [u32; 3]) -> PayrollLine {
    PayrollLine {
        line,
        salt,
        wages: credits.iter().map(|c| Wage { worker: c.worker, krw: c.krw }).collect(),
        attendance: credits.iter().zip(days).map(|(c, n)| (c.worker, june(n))).collect(),
    }
}

#[test]
fn every_worker_the_bank_paid_gets_a_receipt_of_their_own_days_and_pay() {
    let (pr, credits) = paid();
    // 8 days need 660,480 won: the first worker's 660,000 would not do; 7 days (577,920) do.
    let receipts = line_receipts("road-7", &pr, &payroll(1, &credits, SALT, [7, 8, 9]), minimum_on).unwrap();
    assert_eq!(receipts.len(), 3);
    for ((worker, r), (c, days)) in receipts.iter().zip(credits.iter().zip([7u32, 8, 9])) {
        assert_eq!(*worker, c.worker);
        assert_eq!((r.amount_krw, r.days_worked, r.minutes_worked), (c.krw, days, days * 480));
        assert_eq!((r.period_start, r.period_end), (d("2026-06-01"), Date::new(2026, 6, days as u8).unwrap()));
        assert_eq!((r.payment.as_str(), r.paid_on), ("road-7/4/1", d("2026-07-10")));
        assert_eq!(r.employer_account, Address([9; 20]).to_string());
    }
    let all = payment_receipts("road-7", &pr, &[payroll(1, &credits, SALT, [7, 8, 9])], minimum_on).unwrap();
    assert_eq!(all, receipts);
}

#[test]
fn a_payroll_other_than_the_one_the_chain_committed_to_gives_no_receipts() {
    let (pr, credits) = paid();
    let refused = |p: &PayrollLine| line_receipts("road-7", &pr, p, minimum_on).unwrap_err().to_string();
    let mut more = payroll(1, &credits, SALT, [7, 8, 9]);
    more.wages[2].krw += 1;
    assert!(refused(&more).contains("do not add up"), "{}", refused(&more));
    // The same total and workers, two amounts swapped: only the commitment tells.
    let mut swapped = payroll(1, &credits, SALT, [7, 8, 9]);
    (swapped.wages[1].krw, swapped.wages[2].krw) = (swapped.wages[2].krw, swapped.wages[1].krw);
    assert!(refused(&swapped).contains("does not open the line's commitment"), "{}", refused(&swapped));
    let salted = payroll(1, &credits, Hash([5; 32]), [7, 8, 9]);
    assert!(refused(&salted).contains("does not open the line's commitment"), "{}", refused(&salted));
    let mut other = payroll(1, &credits, SALT, [7, 8, 9]);
    let stranger = Address([7; 20]);
    other.attendance.insert(stranger, other.attendance[&other.wages[2].worker].clone());
    other.attendance.remove(&other.wages[2].worker);
    other.wages[2].worker = stranger;
    assert!(refused(&other).contains("other workers than the line"), "{}", refused(&other));
    let err = line_receipts("road-7", &pr, &payroll(0, &credits, SALT, [7, 8, 9]), minimum_on).unwrap_err();
    assert!(matches!(err, ReceiptsError::Line { line: 0, why: ReceiptError::NotLabour { .. } }), "{err}");
    let err = line_receipts("road-7", &pr, &payroll(2, &credits, SALT, [7, 8, 9]), minimum_on).unwrap_err();
    assert!(matches!(err, ReceiptsError::NoLine { number: 4, line: 2 }), "{err}");
    let mut pending = pr.clone();
    pending.lines[1].status = LineStatus::Pending;
    let err = line_receipts("road-7", &pending, &payroll(1, &credits, SALT, [7, 8, 9]), minimum_on).unwrap_err();
    assert!(matches!(err, ReceiptsError::Line { line: 1, why: ReceiptError::NotConfirmed { .. } }), "{err}");
}

#[test]
fn one_worker_below_the_minimum_wage_or_without_days_stops_the_whole_line() {
    let (pr, credits) = paid();
    let err = line_receipts("road-7", &pr, &payroll(1, &credits, SALT, [8, 8, 9]), minimum_on).unwrap_err();
    match err {
        ReceiptsError::Worker { worker, line: 1, why: ReceiptError::BelowMinimumWage(text) } => {
            assert_eq!(worker, Address([1; 20]));
            assert!(text.starts_with("PAY-08") && text.contains("660480"), "{text}");
        }
        other => panic!("expected PAY-08 for the first worker, got {other}"),
    }
    let many = payment_receipts(
        "road-7",
        &pr,
        &[payroll(1, &credits, SALT, [7, 8, 9]), payroll(1, &credits, SALT, [8, 8, 9])],
        minimum_on,
    );
    assert!(many.is_err(), "a payment's receipts are all or none");
    let mut missing = payroll(1, &credits, SALT, [7, 8, 9]);
    missing.attendance.remove(&Address([2; 20]));
    let err = line_receipts("road-7", &pr, &missing, minimum_on).unwrap_err();
    assert!(matches!(err, ReceiptsError::NoAttendance { line: 1, .. }), "{err}");
    let mut unpaid = payroll(1, &credits, SALT, [7, 8, 9]);
    unpaid.attendance.insert(Address([8; 20]), june(3));
    let err = line_receipts("road-7", &pr, &unpaid, minimum_on).unwrap_err();
    assert!(err.to_string().contains("whom it does not pay"), "{err}");
}

#[test]
fn the_payroll_file_is_read_and_every_malformed_one_refused_with_its_reason() {
    use dojang_payments_service::office::PayrollFile;
    let w = Address([1; 20]).to_string();
    let line = format!(
        r#"{{"line": 1, "salt": "{}", "wages": [{{"worker": "{w}", "krw": 660000}}],
            "attendance": {{"{w}": [{{"date": "2026-06-01", "minutes": 480}}]}}}}"#,
        "04".repeat(32)
    );
    let good = format!(r#"{{"lines": [{line}]}}"#);
    let file = PayrollFile::parse(good.as_bytes()).unwrap();
    assert_eq!(file.lines.len(), 1);
    assert_eq!(file.lines[0].salt, SALT);
    assert_eq!(file.lines[0].wages[0].krw, 660_000);
    assert_eq!(file.lines[0].attendance[&Address([1; 20])], vec![Day { date: d("2026-06-01"), minutes: 480 }]);

    let cases: Vec<(String, &str)> = vec![
        ("{\"lines\": [}".into(), "the payroll file is malformed: expected value"),
        (r#"{"lines": []}"#.into(), "no labour line"),
        (good.replace(r#""line": 1"#, r#""line": 1, "extra": 2"#), "unknown field `extra`"),
        (good.replace(&w, "dj1234"), "address"),
        (good.replace("2026-06-01", "2026-13-01"), "month 13 is not 1-12"),
        (good.replace(r#""minutes": 480"#, r#""minutes": 480, "note": "late""#), "unknown field `note`"),
        (good.replace(r#""krw": 660000"#, r#""krw": -1"#), "invalid value: integer `-1`"),
        (good.replace(&"04".repeat(32), "04"), "hash"),
        (good.replace(&format!(r#"[{{"worker": "{w}", "krw": 660000}}]"#), "[]"), "pays no worker"),
        (format!(r#"{{"lines": [{line}, {line}]}}"#), "line 1 twice"),
        (good.replace(r#"{"worker""#, &format!(r#"{{"worker": "{w}", "krw": 1}}, {{"worker""#)), "pays worker"),
    ];
    let wrong: Vec<String> = cases
        .iter()
        .filter_map(|(text, expected)| match PayrollFile::parse(text.as_bytes()) {
            Err(err) if err.contains(expected) => None,
            Err(err) => Some(format!("{text}\n  expected '{expected}', got: {err}")),
            Ok(_) => Some(format!("{text}\n  was accepted")),
        })
        .collect();
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}
