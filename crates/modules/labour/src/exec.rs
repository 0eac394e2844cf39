//! The labour module's handlers: the contract registry's rules (CON-01..07), its deadlines
//! (an alert the alert days before, a missed event after the due day), and its events.

use dojang_governance::{readers, Role};
use dojang_ledger::{BlockContext, ModuleError, Permit, StateWrite, TxContext};
use dojang_types::{Address, Date, Event};

use crate::events::LabourEvent;
use crate::msg::{DeadlineKind, LabourMsg};
use crate::state::{self, Contract, Deadline, Employer, TimesheetRecord, Version};
use crate::tables::keys;

/// The most versions and deadlines one contract record holds (a bound on its size, and on the
/// deadlines it can put in the ledger's shared queue).
pub const MAX_VERSIONS: usize = 100;
pub const MAX_DEADLINES: usize = 64;
/// How far ahead a deadline set by message may fall (a statutory deadline is weeks away).
pub const MAX_DUE_AHEAD_DAYS: i64 = 366;

/// The four social insurances a report deadline may name.
pub const INSURANCES: [&str; 4] = ["industrial_accident", "employment", "pension", "health"];

fn invalid(reason: impl Into<String>) -> ModuleError {
    ModuleError::InvalidMessage(reason.into())
}

/// CON-01: a contract id is 32 lowercase hex characters, drawn at random (so it says nothing
/// about the parties).
pub fn contract_id_is_valid(id: &str) -> bool {
    id.len() == 32 && id.bytes().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
}

/// The stateless rules and who may send each message.
pub fn check(msg: &LabourMsg) -> Result<Permit, ModuleError> {
    let Some(id) = msg.contract() else { return Ok(Permit::AnyRole(&["issuer"])) };
    if !contract_id_is_valid(id) {
        return Err(invalid(format!(
            "CON-01: contract id '{id}' is not 32 lowercase hex characters (draw it at random)"
        )));
    }
    match msg {
        LabourMsg::Register { starts, ends: Some(ends), .. } if ends < starts => {
            Err(invalid("CON-01: the contract ends before it starts"))
        }
        LabourMsg::SetDeadline { deadline: DeadlineKind::InsuranceReport { insurance }, .. }
        | LabourMsg::MeetDeadline { deadline: DeadlineKind::InsuranceReport { insurance }, .. }
            if !INSURANCES.contains(&insurance.as_str()) =>
        {
            Err(invalid(format!("'{insurance}' is not one of the four insurances ({})", INSURANCES.join(", "))))
        }
        _ => Ok(Permit::OwnRules),
    }
}

fn contract(state: &dyn StateWrite, id: &str) -> Result<Contract, ModuleError> {
    state::read(state, &state::contract_key(id))?.ok_or_else(|| ModuleError::NotFound(format!("contract {id}")))
}

fn days_param(state: &dyn StateWrite, k: (&str, &str), date: Date) -> Result<u32, ModuleError> {
    readers::days_in_force(state, k, date)
}

fn deadline_key(kind: &str, contract: &str, index: usize) -> Vec<u8> {
    format!("{kind}/{contract}/{index}").into_bytes()
}

/// Puts a deadline on the contract and schedules its alert and its due time.
fn schedule(
    state: &mut dyn StateWrite,
    id: &str,
    c: &mut Contract,
    kind: DeadlineKind,
    due: Date,
) -> Result<Event, ModuleError> {
    if c.deadlines.iter().any(|d| d.kind == kind) {
        return Err(ModuleError::by_rule(format!("CON-07: contract {id} already has this deadline")));
    }
    if c.deadlines.len() >= MAX_DEADLINES {
        return Err(ModuleError::by_rule(format!("CON-07: contract {id} has {MAX_DEADLINES} deadlines")));
    }
    let alert = days_param(state, keys::ALERT_DAYS_BEFORE, due)?;
    let index = c.deadlines.len();
    state.schedule(due.plus_days(-i64::from(alert)).kst_start_ms(), &deadline_key("near", id, index))?;
    state.schedule(due.plus_days(1).kst_start_ms(), &deadline_key("due", id, index))?;
    c.deadlines.push(Deadline { kind: kind.clone(), due, met_height: None, missed: false });
    Ok(Event::typed(&LabourEvent::DeadlineSet { contract: id.into(), deadline: kind, due }))
}

fn may_manage_deadlines(state: &dyn StateWrite, c: &Contract, a: &Address) -> Result<bool, ModuleError> {
    Ok(*a == c.employer || readers::holds_role(state, a, Role::Auditor)?)
}

pub fn execute(ctx: &TxContext, state: &mut dyn StateWrite, msg: LabourMsg) -> Result<Vec<Event>, ModuleError> {
    let me = ctx.sender;
    let today = Date::from_unix_ms_kst(ctx.time_ms);
    match msg {
        LabourMsg::VouchEmployer { employer } => {
            state::write(
                state,
                &state::employer_key(&employer),
                &Employer { vouched_by: me, height: ctx.height, withdrawn: false },
            );
            Ok(vec![Event::typed(&LabourEvent::EmployerVouched { employer, by: me })])
        }
        LabourMsg::WithdrawEmployer { employer } => {
            let mut e: Employer = state::read(state, &state::employer_key(&employer))?
                .ok_or_else(|| ModuleError::NotFound(format!("employer {employer}")))?;
            e.withdrawn = true;
            state::write(state, &state::employer_key(&employer), &e);
            Ok(vec![Event::typed(&LabourEvent::EmployerWithdrawn { employer })])
        }
        LabourMsg::Register { contract: id, worker, commitment, starts, ends } => {
            let vouched: Option<Employer> = state::read(state, &state::employer_key(&me))?;
            if vouched.is_none_or(|e| e.withdrawn) {
                return Err(ModuleError::by_rule(format!(
                    "CON-02: {me} is not an employer vouched for by the small-business federation"
                )));
            }
            if worker == me {
                return Err(ModuleError::by_rule("CON-02: the worker's account cannot be the employer's".into()));
            }
            if state::read::<Contract>(state, &state::contract_key(&id))?.is_some() {
                return Err(ModuleError::by_rule(format!("CON-01: contract {id} is already registered")));
            }
            let c = Contract {
                employer: me,
                worker,
                starts,
                ends,
                versions: vec![Version { commitment, registered_height: ctx.height, signed_height: None, ends }],
                terminated: false,
                deadlines: vec![],
            };
            state::write(state, &state::contract_key(&id), &c);
            Ok(vec![Event::typed(&LabourEvent::Registered { contract: id, employer: me, worker, commitment })])
        }
        LabourMsg::Sign { contract: id, version, commitment } => {
            let mut c = contract(state, &id)?;
            if me != c.worker {
                return Err(ModuleError::by_rule(format!("CON-03: only the contract's worker signs contract {id}")));
            }
            let latest = c.versions.len() as u32;
            let v = c.versions.last_mut().ok_or_else(|| invalid("a contract without versions"))?;
            if version != latest || v.commitment != commitment {
                return Err(ModuleError::by_rule(format!(
                    "CON-03: version {version} with that commitment is not the version awaiting signature ({latest})"
                )));
            }
            if v.signed_height.is_some() {
                return Err(ModuleError::by_rule(format!("CON-03: version {version} is already signed")));
            }
            v.signed_height = Some(ctx.height);
            // The signed version's end is the contract's end, an open-ended one included; after a
            // termination the termination's end stands (CON-05).
            if !c.terminated {
                c.ends = v.ends;
            }
            state::write(state, &state::contract_key(&id), &c);
            Ok(vec![Event::typed(&LabourEvent::Signed { contract: id, version, commitment })])
        }
        LabourMsg::Amend { contract: id, commitment, ends } => {
            let mut c = contract(state, &id)?;
            if me != c.employer || c.terminated {
                return Err(ModuleError::by_rule(format!(
                    "CON-04: only the employer amends contract {id}, while it runs"
                )));
            }
            if ends.is_some_and(|e| e < c.starts) {
                return Err(invalid("CON-04: the amended contract ends before it starts"));
            }
            if c.versions.len() >= MAX_VERSIONS {
                return Err(ModuleError::by_rule(format!(
                    "CON-04: contract {id} has {MAX_VERSIONS} versions; register a new contract"
                )));
            }
            // The new end applies once the worker signs the version that carries it.
            c.versions.push(Version { commitment, registered_height: ctx.height, signed_height: None, ends });
            let version = c.versions.len() as u32;
            state::write(state, &state::contract_key(&id), &c);
            Ok(vec![Event::typed(&LabourEvent::Amended { contract: id, version, commitment })])
        }
        LabourMsg::Terminate { contract: id, ends } => {
            let mut c = contract(state, &id)?;
            if !c.party(&me) || c.terminated {
                return Err(ModuleError::by_rule(format!("CON-05: only a party ends contract {id}, once")));
            }
            if ends < c.starts {
                return Err(ModuleError::by_rule("CON-05: a contract cannot end before it starts".into()));
            }
            // Not later than the notice period from today (LSA art. 26), so the first party to
            // terminate cannot push the end, and the final pay, into the far future.
            let notice = days_param(state, keys::DISMISSAL_NOTICE_DAYS, today)?;
            if ends > today.plus_days(i64::from(notice)) {
                return Err(ModuleError::by_rule(format!(
                    "CON-05: the end {ends} is more than {notice} days from today"
                )));
            }
            let days = days_param(state, keys::FINAL_PAY_DAYS, ends)?;
            let due = ends.plus_days(i64::from(days));
            c.terminated = true;
            c.ends = Some(ends);
            let set = schedule(state, &id, &mut c, DeadlineKind::FinalPay, due)?;
            state::write(state, &state::contract_key(&id), &c);
            Ok(vec![Event::typed(&LabourEvent::Terminated { contract: id, ends, final_pay_due: due }), set])
        }
        LabourMsg::Timesheet { contract: id, monday, commitment } => {
            let c = contract(state, &id)?;
            if me != c.employer {
                return Err(ModuleError::by_rule(format!(
                    "CON-06: only the employer submits timesheets of contract {id}"
                )));
            }
            let within = monday.plus_days(6) >= c.starts && c.ends.is_none_or(|e| monday <= e) && monday <= today;
            if monday.weekday() != 0 || !within {
                return Err(ModuleError::by_rule(format!(
                    "CON-06: {monday} is not a Monday of a week of the contract up to now"
                )));
            }
            let key = state::timesheet_key(&id, monday);
            if state::read::<TimesheetRecord>(state, &key)?.is_some() {
                return Err(ModuleError::by_rule(format!("CON-06: the week of {monday} is already submitted")));
            }
            state::write(state, &key, &TimesheetRecord { commitment, height: ctx.height, agreed: None });
            Ok(vec![Event::typed(&LabourEvent::TimesheetCommitted { contract: id, monday, commitment })])
        }
        LabourMsg::ConfirmTimesheet { contract: id, monday, agree } => {
            let c = contract(state, &id)?;
            if me != c.worker {
                return Err(ModuleError::by_rule(format!(
                    "CON-06: only the worker confirms timesheets of contract {id}"
                )));
            }
            let key = state::timesheet_key(&id, monday);
            let mut t: TimesheetRecord =
                state::read(state, &key)?.ok_or_else(|| ModuleError::NotFound(format!("timesheet {id}/{monday}")))?;
            if t.agreed.is_some() {
                return Err(ModuleError::by_rule(format!("CON-06: the week of {monday} is already answered")));
            }
            t.agreed = Some(agree);
            state::write(state, &key, &t);
            Ok(vec![Event::typed(&LabourEvent::TimesheetConfirmed { contract: id, monday, agree })])
        }
        LabourMsg::SetDeadline { contract: id, deadline, due } => {
            let mut c = contract(state, &id)?;
            if !may_manage_deadlines(state, &c, &me)? {
                return Err(ModuleError::by_rule(format!(
                    "CON-07: only the employer or the labour office sets deadlines of contract {id}"
                )));
            }
            match &deadline {
                DeadlineKind::FinalPay => {
                    return Err(ModuleError::by_rule(
                        "CON-07: the final pay's deadline follows from the termination, not from a message".into(),
                    ));
                }
                DeadlineKind::WagePayment { month_end } => {
                    if *month_end < c.starts
                        || *month_end > today
                        || c.ends.is_some_and(|e| *month_end > e.plus_days(31))
                    {
                        return Err(ModuleError::by_rule(format!(
                            "CON-07: {month_end} is not the end of a month of the contract up to now"
                        )));
                    }
                }
                DeadlineKind::InsuranceReport { .. } => {}
            }
            if due < today || due > today.plus_days(MAX_DUE_AHEAD_DAYS) {
                return Err(ModuleError::by_rule(format!(
                    "CON-07: a deadline is due from today up to {MAX_DUE_AHEAD_DAYS} days ahead, not {due}"
                )));
            }
            let set = schedule(state, &id, &mut c, deadline, due)?;
            state::write(state, &state::contract_key(&id), &c);
            Ok(vec![set])
        }
        LabourMsg::MeetDeadline { contract: id, deadline } => {
            let mut c = contract(state, &id)?;
            // Not the employer for its own duties: the worker confirms being paid, the labour
            // office confirms reports (and may confirm pay).
            let office = readers::holds_role(state, &me, Role::Auditor)?;
            let allowed = match deadline {
                DeadlineKind::InsuranceReport { .. } => office,
                DeadlineKind::WagePayment { .. } | DeadlineKind::FinalPay => office || me == c.worker,
            };
            if !allowed {
                return Err(ModuleError::by_rule(format!(
                    "CON-07: only the worker (being paid) or the labour office (reports and pay) records a deadline of contract {id} as met"
                )));
            }
            let d = c
                .deadlines
                .iter_mut()
                .find(|d| d.kind == deadline)
                .ok_or_else(|| ModuleError::NotFound(format!("that deadline of contract {id}")))?;
            if d.met_height.is_some() {
                return Err(ModuleError::by_rule("CON-07: the deadline is already met".into()));
            }
            d.met_height = Some(ctx.height);
            let late = today > d.due;
            state::write(state, &state::contract_key(&id), &c);
            Ok(vec![Event::typed(&LabourEvent::DeadlineMet { contract: id, deadline, late })])
        }
    }
}

/// A contract's deadline came: its alert (`near/…`) or its end (`due/…`), unless already met.
pub fn on_deadline(_ctx: &BlockContext, state: &mut dyn StateWrite, key: &[u8]) -> Result<Vec<Event>, ModuleError> {
    let text = std::str::from_utf8(key).map_err(|_| invalid("a labour deadline key is not text"))?;
    let mut parts = text.splitn(3, '/');
    let (Some(kind), Some(id), Some(index)) = (parts.next(), parts.next(), parts.next()) else {
        return Err(invalid(format!("labour deadline key '{text}' is malformed")));
    };
    let index: usize = index.parse().map_err(|_| invalid(format!("labour deadline key '{text}' is malformed")))?;
    let mut c = contract(state, id)?;
    let Some(d) = c.deadlines.get_mut(index) else { return Ok(vec![]) };
    if d.met_height.is_some() {
        return Ok(vec![]);
    }
    let (deadline, due) = (d.kind.clone(), d.due);
    match kind {
        "near" => Ok(vec![Event::typed(&LabourEvent::DeadlineNear { contract: id.into(), deadline, due })]),
        "due" => {
            d.missed = true;
            state::write(state, &state::contract_key(id), &c);
            Ok(vec![Event::typed(&LabourEvent::DeadlineMissed { contract: id.into(), deadline, due })])
        }
        _ => Err(invalid(format!("labour deadline key '{text}' is malformed"))),
    }
}
