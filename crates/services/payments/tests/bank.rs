//! The partner bank simulator and the city's side of a file: lines paid or rejected as a bank
//! would, a file sent twice paid once, labour paid only into the accounts workers bound, every
//! malformed file refused with its reason, and the answers reconciled with the chain.

use dojang_crypto::{Algorithm, Keypair};
use dojang_payments::msg::{Method, Outcome, Part, PartKind};
use dojang_payments::state::{Line, LineStatus, Progress, ProgressStatus};
use dojang_payments_service::bank::file::{
    account_commitment, end_to_end_id, lines_commitment, AccountOpening, Creditor, FileError, WorkerCredit,
};
use dojang_payments_service::bank::simulator::{BankSimulator, ChainFacts};
use dojang_payments_service::bank::PartnerBank;
use dojang_payments_service::instruction::{build, reconcile, Payroll};
use dojang_types::{Address, Date, Hash};

fn addr() -> Address {
    Keypair::generate(Algorithm::Ed25519).public_key().address()
}

fn d(s: &str) -> Date {
    s.parse().unwrap()
}

fn line(kind: PartKind, krw: u64, payee: Address, workers: Vec<Address>, lines: Option<Hash>) -> Line {
    Line {
        part: Part {
            contract: Some("sub-a".into()),
            kind,
            krw,
            method: Method::Transfer,
            workers,
            lines,
            worker_days: None,
        },
        payee,
        due: d("2026-06-15"),
        remind: None,
        direct: false,
        status: LineStatus::Pending,
        missed: false,
        interest_from: d("2026-07-30"),
        attempt: 1,
    }
}

struct Case {
    bank: BankSimulator,
    pr: Progress,
    payroll: Payroll,
    workers: Vec<(Address, AccountOpening)>,
}

/// A progress payment of a subcontract line (5 M), a labour line of two workers (1.2 M and
/// 0.8 M) and mutual aid (143,000), with the bank knowing the chain's facts.
fn case() -> Case {
    let sub = addr();
    let workers: Vec<(Address, AccountOpening)> = (0..2)
        .map(|i| (addr(), AccountOpening { number: format!("110-000-00000{i}"), salt: Hash([i as u8 + 1; 32]) }))
        .collect();
    let wages = vec![(workers[0].0, 1_200_000), (workers[1].0, 800_000)];
    let salt = Hash([9; 32]);
    let mut aid = line(PartKind::MutualAid, 143_000, sub, vec![], None);
    aid.part.worker_days = Some(22);
    let pr = Progress {
        number: 1,
        approved_krw: 7_143_000,
        received: d("2026-05-31"),
        status: ProgressStatus::Instructed,
        approvals: vec![],
        instruction: Hash([7; 32]),
        lines: vec![
            line(PartKind::Subcontract, 5_000_000, sub, vec![], None),
            line(
                PartKind::Labour,
                2_000_000,
                sub,
                wages.iter().map(|w| w.0).collect(),
                Some(lines_commitment(&salt, &wages)),
            ),
            aid,
        ],
        next_due: None,
        next_remind: None,
    };
    let mut bank = BankSimulator::new();
    bank.dedicate(sub, "301-0000-0001");
    for (_, a) in &workers {
        bank.open_account(&a.number);
    }
    let bound = workers.iter().map(|(w, a)| (*w, account_commitment(&a.salt, &a.number))).collect();
    bank.learn(pr.instruction, ChainFacts { lines: pr.lines.clone(), bound });
    let credits = workers
        .iter()
        .zip(&wages)
        .map(|((w, a), (_, krw))| WorkerCredit { worker: *w, krw: *krw, account: a.clone() })
        .collect();
    let mut payroll = Payroll::default();
    payroll.labour.insert(1, (credits, salt));
    Case { bank, pr, payroll, workers }
}

fn bytes(file: &impl serde::Serialize) -> Vec<u8> {
    serde_json::to_vec(file).unwrap()
}

#[test]
fn each_line_is_paid_with_its_value_date_and_a_file_sent_twice_is_paid_once() {
    let mut c = case();
    let file = build("road-7", &c.pr, &c.payroll, None, d("2026-06-01")).unwrap();
    assert_eq!(file.total_krw(), 7_143_000);
    c.bank.delay(end_to_end_id(&c.pr.instruction, 0, 1), 2);
    let answers = c.bank.submit(&bytes(&file), 1).unwrap();
    let outcomes: Vec<_> = answers.iter().map(|a| a.outcome.clone()).collect();
    assert_eq!(
        outcomes,
        [
            Outcome::Confirmed { value_date: d("2026-06-03") },
            Outcome::Confirmed { value_date: d("2026-06-01") },
            Outcome::Confirmed { value_date: d("2026-06-01") },
        ]
    );
    assert_eq!(c.bank.credited("301-0000-0001"), 5_000_000);
    assert_eq!(c.bank.credited(&c.workers[0].1.number), 1_200_000);
    assert_eq!(c.bank.credited(&c.workers[1].1.number), 800_000);
    assert_eq!(c.bank.mutual_aid_credited(), 143_000);
    // Sent again (a retried transfer): the same answers, nobody paid twice.
    assert_eq!(c.bank.submit(&bytes(&file), 1).unwrap(), answers);
    assert_eq!(c.bank.credited("301-0000-0001"), 5_000_000);
    assert_eq!(c.bank.credited(&c.workers[0].1.number), 1_200_000);
    // A new file attempt that lists a line already paid: answered as paid, not paid again.
    let mut again_file = build("road-7", &c.pr, &c.payroll, Some(&[0]), d("2026-06-09")).unwrap();
    again_file.requested_execution = d("2026-06-09");
    let again = c.bank.submit(&bytes(&again_file), 2).unwrap();
    assert_eq!(again[0].outcome, Outcome::Confirmed { value_date: d("2026-06-03") });
    assert_eq!(c.bank.credited("301-0000-0001"), 5_000_000);
    // Changed contents under the same attempt are refused whole.
    let mut changed = file.clone();
    changed.requested_execution = d("2026-06-02");
    assert!(matches!(c.bank.submit(&bytes(&changed), 1), Err(FileError::ChangedOnResend(_))));
}

#[test]
fn labour_is_paid_only_into_the_accounts_the_workers_bound_and_a_rejected_line_pays_no_one() {
    let mut c = case();
    // The employer puts another account under the first worker: not the one the worker bound.
    c.payroll.labour.get_mut(&1).unwrap().0[0].account =
        AccountOpening { number: "999-employer-own".into(), salt: Hash([3; 32]) };
    c.bank.open_account("999-employer-own");
    let file = build("road-7", &c.pr, &c.payroll, Some(&[1]), d("2026-06-01")).unwrap();
    let answers = c.bank.submit(&bytes(&file), 1).unwrap();
    assert_eq!(answers[0].outcome, Outcome::Rejected { code: "account_not_bound".into() });
    assert_eq!(c.bank.credited("999-employer-own"), 0);
    assert_eq!(c.bank.credited(&c.workers[1].1.number), 0, "no worker of a rejected line is paid");

    // Amounts moved between workers: the line's commitment no longer matches.
    let mut c = case();
    let (credits, _) = c.payroll.labour.get_mut(&1).unwrap();
    credits[0].krw = 1_000_000;
    credits[1].krw = 1_000_000;
    let file = build("road-7", &c.pr, &c.payroll, Some(&[1]), d("2026-06-01")).unwrap();
    assert_eq!(
        c.bank.submit(&bytes(&file), 1).unwrap()[0].outcome,
        Outcome::Rejected { code: "lines_mismatch".into() }
    );

    // A worker's account closed: rejected; after the worker's new account is bound on chain
    // (the bank reads the chain again) and the prime resends, attempt 2 pays.
    let mut c = case();
    c.bank.close_account(&c.workers[0].1.number);
    let file = build("road-7", &c.pr, &c.payroll, Some(&[1]), d("2026-06-01")).unwrap();
    assert_eq!(
        c.bank.submit(&bytes(&file), 1).unwrap()[0].outcome,
        Outcome::Rejected { code: "account_closed".into() }
    );
    let new = AccountOpening { number: "110-000-000077".into(), salt: Hash([4; 32]) };
    c.bank.open_account(&new.number);
    let mut bound: std::collections::BTreeMap<_, _> =
        c.workers.iter().map(|(w, a)| (*w, account_commitment(&a.salt, &a.number))).collect();
    bound.insert(c.workers[0].0, account_commitment(&new.salt, &new.number));
    c.bank.learn(c.pr.instruction, ChainFacts { lines: c.pr.lines.clone(), bound });
    c.payroll.labour.get_mut(&1).unwrap().0[0].account = new.clone();
    let again = build("road-7", &c.pr, &c.payroll, Some(&[1]), d("2026-06-05")).unwrap();
    assert_eq!(
        c.bank.submit(&bytes(&again), 2).unwrap()[0].outcome,
        Outcome::Confirmed { value_date: d("2026-06-05") }
    );
    assert_eq!(c.bank.credited(&new.number), 1_200_000);
}

#[test]
fn a_malformed_file_is_refused_whole_with_its_reason() {
    let mut c = case();
    let good = build("road-7", &c.pr, &c.payroll, None, d("2026-06-01")).unwrap();
    let refuse = |bank: &mut BankSimulator, bytes: &[u8]| bank.submit(bytes, 1).unwrap_err().to_string();
    assert!(refuse(&mut c.bank, b"not json").contains("not an instruction file"));
    let mut v = serde_json::to_value(&good).unwrap();
    v["fee"] = 1.into();
    assert!(refuse(&mut c.bank, &bytes(&v)).contains("unknown field"));
    let mut twice = good.clone();
    twice.credits.push(twice.credits[0].clone());
    assert!(refuse(&mut c.bank, &bytes(&twice)).contains("line 0: listed twice"));
    let mut zero = good.clone();
    zero.credits[0].krw = 0;
    assert!(refuse(&mut c.bank, &bytes(&zero)).contains("credits nothing"));
    // A bad credit last: refused whole before the lines above it are paid.
    let mut more = good.clone();
    more.credits[2].krw = 143_001;
    assert!(refuse(&mut c.bank, &bytes(&more)).contains("line 2: credits 143001 won, the chain approved 143000"));
    // A labour line filed as a contractor's credit (its payee is the employer), mutual aid
    // sent to a contractor, a labour line naming other workers: each refused whole.
    let mut to_employer = good.clone();
    to_employer.credits[1].creditor = Creditor::Contractor { address: c.pr.lines[1].payee };
    assert!(refuse(&mut c.bank, &bytes(&to_employer)).contains("labour goes only to its workers"));
    let mut aid = good.clone();
    aid.credits[2].creditor = Creditor::Contractor { address: c.pr.lines[2].payee };
    assert!(refuse(&mut c.bank, &bytes(&aid)).contains("line 2"));
    let mut others = good.clone();
    if let Creditor::Workers { credits, .. } = &mut others.credits[1].creditor {
        credits.swap(0, 1);
    }
    assert!(refuse(&mut c.bank, &bytes(&others)).contains("not the line's workers"));
    let mut e2e = good.clone();
    e2e.credits[2].end_to_end_id = "x".into();
    assert!(refuse(&mut c.bank, &bytes(&e2e)).contains("end-to-end id"));
    let mut unknown = good.clone();
    unknown.instruction = Hash([1; 32]);
    for credit in &mut unknown.credits {
        credit.end_to_end_id = end_to_end_id(&unknown.instruction, credit.line, credit.attempt);
    }
    assert!(refuse(&mut c.bank, &bytes(&unknown)).contains("not on the chain"));
    let mut empty = good.clone();
    empty.credits.clear();
    assert!(refuse(&mut c.bank, &bytes(&empty)).contains("credits no one"));
    // Nothing above paid anyone.
    assert_eq!(c.bank.credited("301-0000-0001"), 0);
    for (_, a) in &c.workers {
        assert_eq!(c.bank.credited(&a.number), 0);
    }
    assert_eq!(c.bank.mutual_aid_credited(), 0);
    // A labour line without its payroll cannot be built.
    assert!(build("road-7", &c.pr, &Payroll::default(), None, d("2026-06-01"))
        .unwrap_err()
        .contains("line 1 is labour"));
}

#[test]
fn reconciliation_finds_every_line_confirmed_escalated_or_open() {
    let mut c = case();
    c.bank.close_account("301-0000-0001");
    let file = build("road-7", &c.pr, &c.payroll, None, d("2026-06-01")).unwrap();
    let answers = c.bank.submit(&bytes(&file), 1).unwrap();
    // Before the chain has the bank's reports, every line is open.
    assert_eq!(reconcile(&c.pr, &answers).open, vec![0, 1, 2]);
    c.pr.lines[0].status = LineStatus::Rejected { code: "account_closed".into() };
    c.pr.lines[1].status = LineStatus::Confirmed { value_date: d("2026-06-01"), late_days: 0, interest_krw: 0 };
    // The chain says a different value date than the bank: open, for the operator.
    c.pr.lines[2].status = LineStatus::Confirmed { value_date: d("2026-06-02"), late_days: 0, interest_krw: 0 };
    let r = reconcile(&c.pr, &answers);
    assert_eq!(r.confirmed, vec![1]);
    assert_eq!(r.escalated, vec![(0, "account_closed".to_string())]);
    assert_eq!(r.open, vec![2]);
}
