//! Progress payments: the prime's split (PAY-04, PAY-07, PAY-10, PAY-11), two officers'
//! approval, the instruction to the bank with each line's due day (PAY-01, PAY-02), and the
//! bank's report on each line: confirmed (late interest if late, PAY-03) or rejected and
//! escalated until sent again. The same report twice changes nothing.

use dojang_ledger::{ModuleError, StateWrite, TxContext};
use dojang_types::{sha256, Address, Date, Event, Hash};

use crate::events::PaymentsEvent;
use crate::exec::{
    contract_of, department_officer, event, invalid, project_of, recent, refuse, today, MAX_PARTS, MAX_WORKERS,
    MIN_CREW,
};
use crate::msg::{Answer, Method, Outcome, Part, PartKind};
use crate::params;
use crate::rules::{self, Rate};
use crate::state::{self, Contract, Line, LineStatus, Progress, ProgressStatus};

/// The officers who must approve a progress payment, each of them once.
pub const APPROVALS: usize = 2;

/// The shape of a split, before any state is read.
pub fn check_parts(parts: &[Part]) -> Result<(), ModuleError> {
    if parts.is_empty() || parts.len() > MAX_PARTS {
        return Err(invalid(format!("parts: 1 to {MAX_PARTS}")));
    }
    for (i, p) in parts.iter().enumerate() {
        if p.krw == 0 {
            return Err(invalid(format!("part {i} pays nothing")));
        }
        let labour = p.kind == PartKind::Labour;
        if labour == p.workers.is_empty() || labour != p.lines.is_some() {
            return Err(invalid(format!(
                "part {i}: a labour part, and only one, names its workers and the commitment to their lines"
            )));
        }
        if labour && !(MIN_CREW..=MAX_WORKERS).contains(&p.workers.len()) {
            return Err(invalid(format!(
                "part {i}: a labour part pays {MIN_CREW} to {MAX_WORKERS} workers ({MIN_CREW} at least, so that its total is no one's wage); put a smaller crew's wages with another crew of the same employer"
            )));
        }
        if (p.kind == PartKind::MutualAid) != p.worker_days.is_some() {
            return Err(invalid(format!("part {i}: a mutual-aid part, and only one, gives its worker_days")));
        }
    }
    Ok(())
}

pub fn submit(
    ctx: &TxContext,
    state: &mut dyn StateWrite,
    project: String,
    number: u32,
    approved_krw: u64,
    received: Date,
    parts: Vec<Part>,
) -> Result<Vec<Event>, ModuleError> {
    let mut p = project_of(state, &project)?;
    if p.prime != ctx.sender {
        return Err(ModuleError::Unauthorized(format!("only {}, the prime, submits the split", p.prime)));
    }
    // The prime numbers its payments; a number is used once. Numbers need not follow each
    // other (splits sent together may reach a block in any order).
    if number == 0 {
        return Err(refuse("progress payments are numbered from 1"));
    }
    if state::read::<Progress>(state, &state::progress_key(&project, number))?.is_some() {
        return Err(refuse(format!("progress payment {number} of '{project}' is submitted already")));
    }
    recent(received, ctx, "the day the work was received")?;
    // The figures the instruction will need must be in force now, not fail its approval later.
    let max_days = params::days(state, params::DUE_DAYS, received)?;
    params::days(state, params::PASS_THROUGH_DAYS, received)?;
    params::days(state, params::REMINDER_DAYS, received)?;
    let amounts: Vec<u64> = parts.iter().map(|x| x.krw).collect();
    rules::split_sums(&amounts, approved_krw).map_err(refuse)?;
    let mut cash_per_contract: Vec<(Option<&str>, u64, u64)> = Vec::new();
    let mut contracts: Vec<Contract> = Vec::new();
    for (i, part) in parts.iter().enumerate() {
        if part.method == Method::InKind {
            return Err(refuse(format!("PAY-10: part {i} would be paid in kind; pay it in money")));
        }
        if let Some(id) = &part.contract {
            let at = match contracts.iter().position(|c| &c.id == id) {
                Some(at) => at,
                None => {
                    contracts.push(contract_of(state, &project, id)?);
                    contracts.len() - 1
                }
            };
            let c = &mut contracts[at];
            if part.kind == PartKind::Interest {
                c.interest_committed_krw = c.interest_committed_krw.saturating_add(part.krw);
                if c.interest_committed_krw > c.interest_krw {
                    return Err(refuse(format!(
                        "PAY-03: the interest parts for '{id}' would pay {} won, more than the {} won of interest it accrued",
                        c.interest_committed_krw, c.interest_krw
                    )));
                }
            } else {
                c.committed_krw = c.committed_krw.saturating_add(part.krw);
                if c.committed_krw > c.amount_krw {
                    return Err(refuse(format!(
                        "PAY-07: the parts for '{id}' would bring what it is given to {} won, more than its contract ({} won)",
                        c.committed_krw, c.amount_krw
                    )));
                }
            }
        }
        if part.kind == PartKind::Labour {
            workers_may_be_paid(state, &project, part, i)?;
        }
        if let Some(days) = part.worker_days {
            let daily = params::krw(state, params::MUTUAL_AID_DAILY_KRW, received)?;
            let due = rules::mutual_aid(days, daily).map_err(refuse)?;
            if part.krw != due {
                return Err(refuse(format!(
                    "PAY-11: {days} worker-days at {daily} won a day are {due} won of mutual aid, not {}",
                    part.krw
                )));
            }
        }
        let cash = if part.method == Method::Transfer { part.krw } else { 0 };
        match cash_per_contract.iter_mut().find(|(c, ..)| *c == part.contract.as_deref()) {
            Some(entry) => {
                entry.1 += cash;
                entry.2 += part.krw;
            }
            None => cash_per_contract.push((part.contract.as_deref(), cash, part.krw)),
        }
    }
    // The owner pays the whole payment by transfer: every payee gets its share in cash too.
    for (contract, cash, total) in &cash_per_contract {
        rules::cash_ratio_kept(approved_krw, approved_krw, *cash, *total)
            .map_err(|e| refuse(format!("{e} ({})", contract.unwrap_or("the prime's own parts"))))?;
    }
    let instruction = sha256(&[b"dojang/payments/instruction/v1", project.as_bytes(), &number.to_le_bytes()]);
    let lines = parts
        .into_iter()
        .map(|part| Line {
            payee: p.prime,
            due: received,
            remind: None,
            direct: false,
            status: LineStatus::Pending,
            missed: false,
            interest_from: received.plus_days(i64::from(max_days)),
            attempt: 1,
            part,
        })
        .collect();
    let progress = Progress {
        number,
        approved_krw,
        received,
        status: ProgressStatus::Submitted,
        approvals: Vec::new(),
        instruction,
        lines,
        next_due: None,
        next_remind: None,
    };
    state::write(state, &state::progress_key(&project, number), &progress);
    for c in &contracts {
        state::write(state, &state::contract_key(&project, &c.id), c);
    }
    p.progress += 1;
    state::write(state, &state::project_key(&project), &p);
    Ok(vec![event(PaymentsEvent::ProgressSubmitted { project, number, approved_krw })])
}

/// PAY-07: labour goes only to workers engaged on the part's contract, each into the account
/// they bound themselves.
fn workers_may_be_paid(
    state: &dyn dojang_ledger::StateRead,
    project: &str,
    part: &Part,
    i: usize,
) -> Result<(), ModuleError> {
    let mut seen: Vec<&Address> = Vec::with_capacity(part.workers.len());
    for w in &part.workers {
        if seen.contains(&w) {
            return Err(refuse(format!("PAY-07: part {i} names worker {w} twice")));
        }
        seen.push(w);
        if state::read::<u64>(state, &state::engagement_key(project, part.contract.as_deref(), w))?.is_none() {
            return Err(refuse(format!(
                "PAY-07: {w} is not a worker engaged on {}: labour goes only to its workers",
                part.contract.as_deref().unwrap_or("the prime's own work")
            )));
        }
        if state::read::<Hash>(state, &state::bound_account_key(project, w))?.is_none() {
            return Err(refuse(format!(
                "PAY-07: worker {w} has bound no account: labour goes only into a worker's own account, which the worker binds"
            )));
        }
    }
    Ok(())
}

pub fn approve(
    ctx: &TxContext,
    state: &mut dyn StateWrite,
    project: String,
    number: u32,
) -> Result<Vec<Event>, ModuleError> {
    let p = project_of(state, &project)?;
    department_officer(state, &ctx.sender, &p)?;
    let mut pr = progress_of(state, &project, number)?;
    if pr.status != ProgressStatus::Submitted {
        return Err(refuse(format!("progress payment {number} of '{project}' went to the bank already")));
    }
    if pr.approvals.contains(&ctx.sender) {
        return Err(refuse(format!("{} approved it already: a second officer must", ctx.sender)));
    }
    pr.approvals.push(ctx.sender);
    let mut events = vec![event(PaymentsEvent::Approved { project: project.clone(), number, by: ctx.sender })];
    if pr.approvals.len() >= APPROVALS {
        events.extend(instruct(ctx, state, &project, &mut pr)?);
    }
    state::write(state, &state::progress_key(&project, number), &pr);
    Ok(events)
}

/// The instruction goes to the bank: each line's payee and due day (PAY-01; the pass-through
/// of PAY-02 is met by paying every tier in the same instruction), direct when the owner pays
/// that contract directly (PAY-06); a reminder and a due deadline for the payment.
fn instruct(
    ctx: &TxContext,
    state: &mut dyn StateWrite,
    project: &str,
    pr: &mut Progress,
) -> Result<Vec<Event>, ModuleError> {
    let max_days = params::days(state, params::DUE_DAYS, pr.received)?;
    let pass_days = params::days(state, params::PASS_THROUGH_DAYS, pr.received)?;
    let remind = i64::from(params::days(state, params::REMINDER_DAYS, pr.received)?);
    let prime_due = rules::due_date(None, pr.received, max_days);
    let paid_by_owner = today(ctx);
    for line in pr.lines.iter_mut() {
        let (payee, due, direct) = match &line.part.contract {
            None => (line.payee, prime_due, false),
            Some(id) => {
                let c: Contract = contract_of(state, project, id)?;
                let agreed = pr.received.plus_days(i64::from(c.agreed_days));
                let due = rules::pass_through_due(
                    paid_by_owner,
                    pass_days,
                    rules::due_date(Some(agreed), pr.received, max_days),
                );
                (c.contractor, due, c.direct.is_some())
            }
        };
        line.payee = payee;
        line.due = due;
        line.direct = direct;
        let reminder = due.plus_days(-remind);
        line.remind = (reminder > paid_by_owner).then_some(reminder);
    }
    reschedule(state, project, pr)?;
    pr.status = ProgressStatus::Instructed;
    Ok(vec![event(PaymentsEvent::Instructed {
        project: project.into(),
        number: pr.number,
        instruction: pr.instruction,
        lines: pr.lines.len() as u32,
    })])
}

pub fn report(
    ctx: &TxContext,
    state: &mut dyn StateWrite,
    project: String,
    number: u32,
    answers: Vec<Answer>,
) -> Result<Vec<Event>, ModuleError> {
    if state::read::<state::Bank>(state, &state::bank_key(&ctx.sender))?.is_none() {
        return Err(ModuleError::Unauthorized(format!("{} is not the partner bank the council appointed", ctx.sender)));
    }
    let mut pr = progress_of(state, &project, number)?;
    if pr.status != ProgressStatus::Instructed {
        return Err(refuse(format!("progress payment {number} of '{project}' has not gone to the bank")));
    }
    let mut rates: Option<Vec<Rate>> = None;
    let mut events = Vec::new();
    for a in answers {
        if let Some(e) = answer(ctx, state, &project, &mut pr, a, &mut rates)? {
            events.push(e);
        }
    }
    if !events.is_empty() {
        reschedule(state, &project, &mut pr)?;
        state::write(state, &state::progress_key(&project, number), &pr);
    }
    Ok(events)
}

/// The late-interest rate's versions, read once a statement has a line paid late.
fn rates_of<'a>(
    state: &dyn dojang_ledger::StateRead,
    rates: &'a mut Option<Vec<Rate>>,
) -> Result<&'a [Rate], ModuleError> {
    if rates.is_none() {
        let history = dojang_governance::readers::basis_points_history(state, params::LATE_INTEREST_BP)?;
        *rates = Some(history.into_iter().map(|(from, bp)| Rate { from, bp }).collect());
    }
    Ok(rates.as_deref().unwrap_or_default())
}

/// One line's answer: its event, or nothing when it repeats what the chain has or answers an
/// earlier attempt than the line's.
fn answer(
    ctx: &TxContext,
    state: &mut dyn StateWrite,
    project: &str,
    pr: &mut Progress,
    Answer { line, attempt, outcome }: Answer,
    rates: &mut Option<Vec<Rate>>,
) -> Result<Option<Event>, ModuleError> {
    let number = pr.number;
    let l = pr.lines.get_mut(line as usize).ok_or_else(|| refuse(format!("the instruction has no line {line}")))?;
    if attempt < l.attempt {
        return Ok(None);
    }
    if attempt > l.attempt {
        return Err(refuse(format!(
            "line {line} was sent {} time(s); there is no attempt {attempt} to answer",
            l.attempt
        )));
    }
    match (&l.status, outcome) {
        // Idempotent: the same answer again is accepted and changes nothing.
        (LineStatus::Confirmed { value_date, .. }, Outcome::Confirmed { value_date: again })
            if *value_date == again =>
        {
            Ok(None)
        }
        (LineStatus::Rejected { code }, Outcome::Rejected { code: again }) if *code == again => Ok(None),
        (LineStatus::Confirmed { .. }, _) => {
            Err(refuse(format!("line {line} was confirmed paid; a paid line is never reported otherwise")))
        }
        (LineStatus::Rejected { .. }, _) => {
            Err(refuse(format!("line {line} was rejected; the prime sends it again before the bank reports anew")))
        }
        (LineStatus::Pending, Outcome::Rejected { code }) => {
            l.status = LineStatus::Rejected { code: code.clone() };
            Ok(Some(event(PaymentsEvent::LineRejected { project: project.into(), number, line, code })))
        }
        (LineStatus::Pending, Outcome::Confirmed { value_date }) => {
            if value_date > today(ctx) {
                return Err(refuse(format!("line {line}: the value date {value_date} is after today")));
            }
            let late_days = (value_date.days() - l.due.days()).max(0) as u32;
            let interest_krw = if value_date > l.interest_from {
                rules::late_interest(l.part.krw, l.interest_from, value_date, rates_of(state, rates)?)
                    .map_err(refuse)?
            } else {
                0
            };
            l.status = LineStatus::Confirmed { value_date, late_days, interest_krw };
            let krw = l.part.krw;
            if let Some(id) = l.part.contract.clone() {
                let mut c = contract_of(state, project, &id)?;
                c.paid_krw = c.paid_krw.saturating_add(krw);
                c.interest_krw = c.interest_krw.saturating_add(interest_krw);
                state::write(state, &state::contract_key(project, &id), &c);
            }
            Ok(Some(event(PaymentsEvent::LineConfirmed {
                project: project.into(),
                number,
                line,
                value_date,
                late_days,
                interest_krw,
            })))
        }
    }
}

/// Whether a line is still owed: not confirmed paid (a rejected line is owed until paid).
fn open(l: &Line) -> bool {
    !matches!(l.status, LineStatus::Confirmed { .. })
}

/// Sets the payment's two deadlines to its earliest open due day and reminder, moving or
/// removing them when those change: a statement that pays every line leaves none behind.
pub(crate) fn reschedule(state: &mut dyn StateWrite, project: &str, pr: &mut Progress) -> Result<(), ModuleError> {
    let due_key = state::due_deadline(project, pr.number);
    let next_due = pr.lines.iter().filter(|l| open(l) && !l.missed).map(|l| l.due).min();
    if next_due != pr.next_due {
        if let Some(old) = pr.next_due {
            state.unschedule(old.plus_days(1).kst_start_ms(), due_key.as_bytes());
        }
        if let Some(new) = next_due {
            state.schedule(new.plus_days(1).kst_start_ms(), due_key.as_bytes())?;
        }
        pr.next_due = next_due;
    }
    let remind_key = state::reminder_deadline(project, pr.number);
    let next_remind = pr.lines.iter().filter(|l| open(l)).filter_map(|l| l.remind).min();
    if next_remind != pr.next_remind {
        if let Some(old) = pr.next_remind {
            state.unschedule(old.kst_start_ms(), remind_key.as_bytes());
        }
        if let Some(new) = next_remind {
            state.schedule(new.kst_start_ms(), remind_key.as_bytes())?;
        }
        pr.next_remind = next_remind;
    }
    Ok(())
}

pub fn resend(
    ctx: &TxContext,
    state: &mut dyn StateWrite,
    project: String,
    number: u32,
    line: u32,
) -> Result<Vec<Event>, ModuleError> {
    let p = project_of(state, &project)?;
    if p.prime != ctx.sender {
        return Err(ModuleError::Unauthorized(format!("only {}, the prime, sends a line again", p.prime)));
    }
    let mut pr = progress_of(state, &project, number)?;
    let l = pr.lines.get_mut(line as usize).ok_or_else(|| refuse(format!("the instruction has no line {line}")))?;
    if !matches!(l.status, LineStatus::Rejected { .. }) {
        return Err(refuse(format!("line {line} was not rejected; only a rejected line is sent again")));
    }
    if l.part.kind == PartKind::Labour {
        workers_may_be_paid(state, &project, &l.part, line as usize)?;
    }
    l.status = LineStatus::Pending;
    l.attempt += 1;
    state::write(state, &state::progress_key(&project, number), &pr);
    Ok(vec![event(PaymentsEvent::LineResent { project, number, line })])
}

pub(crate) fn progress_of(
    state: &dyn dojang_ledger::StateRead,
    project: &str,
    number: u32,
) -> Result<Progress, ModuleError> {
    state::read(state, &state::progress_key(project, number))?
        .ok_or_else(|| refuse(format!("project '{project}' has no progress payment {number}")))
}
