//! The payments module's checks and the handlers for its registries: officers and the bank,
//! projects and their contract tree, guarantees (PAY-05), workers and their accounts, change
//! orders (PAY-09) and recorded causes (PAY-06). Progress payments are in [`crate::progress`],
//! deadlines in [`crate::deadlines`].

use dojang_governance::rules::looks_like_personal_identifier;
use dojang_ledger::{ModuleError, Permit, StateRead, StateWrite, TxContext};
use dojang_types::{Address, Date, Event, Hash};

use crate::events::PaymentsEvent;
use crate::msg::{ContractKind, PaymentsMsg, RecordedCause};
use crate::params;
use crate::rules::{self, DirectCause};
use crate::state::{self, Bank, Contract, Guarantee, Officer, PassThrough, Project};

/// The longest public name (a project's, a department's, a bank's).
pub const MAX_NAME: usize = 100;
/// The largest contract or payment: KRW 10 trillion.
pub const MAX_KRW: u64 = 10_000_000_000_000;
/// The most parts one progress payment has, and workers one labour part pays.
pub const MAX_PARTS: usize = 64;
pub const MAX_WORKERS: usize = 500;
/// The fewest workers a labour part pays, so that its total is no one's wage (decision 0025).
pub const MIN_CREW: usize = 3;
/// How long after signing a contract or a project may be registered, or after its receipt a
/// piece of work may be submitted: a year.
pub const MAX_DAYS_BACK: i64 = 366;
/// The most contracts in one project's tree.
pub const MAX_CONTRACTS: usize = 1_000;
/// The most agreed days a contract may state (PAY-01 caps what applies anyway).
pub const MAX_AGREED_DAYS: u32 = 365;

pub(crate) fn invalid(reason: impl Into<String>) -> ModuleError {
    ModuleError::InvalidMessage(reason.into())
}

pub(crate) fn refuse(reason: impl Into<String>) -> ModuleError {
    ModuleError::by_rule(reason.into())
}

pub(crate) fn event(e: PaymentsEvent) -> Event {
    Event::typed(&e)
}

/// The Korean date of a transaction's block.
pub(crate) fn today(ctx: &TxContext) -> Date {
    Date::from_unix_ms_kst(ctx.time_ms)
}

/// An id (`road-7`, `sub-2a`): 1 to 32 lower-case letters, digits and dashes.
fn slug(value: &str, what: &str) -> Result<(), ModuleError> {
    let ok = (1..=32).contains(&value.len())
        && value.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-');
    if ok {
        Ok(())
    } else {
        Err(invalid(format!("{what} '{value}' is not 1-32 lower-case letters, digits or dashes")))
    }
}

fn name(value: &str, what: &str) -> Result<(), ModuleError> {
    if value.trim().is_empty() || value.chars().count() > MAX_NAME || value.chars().any(char::is_control) {
        return Err(invalid(format!("{what}: 1 to {MAX_NAME} characters, no control characters")));
    }
    if looks_like_personal_identifier(value) {
        return Err(invalid(format!(
            "{what} holds an e-mail address or a long number (a resident, phone or account number): the ledger keeps none"
        )));
    }
    Ok(())
}

fn krw(value: u64, what: &str) -> Result<(), ModuleError> {
    if (1..=MAX_KRW).contains(&value) {
        Ok(())
    } else {
        Err(invalid(format!("{what}: 1 to {MAX_KRW} won, not {value}")))
    }
}

/// A date the message states about the past: not after today, and at most a year before.
pub(crate) fn recent(day: Date, ctx: &TxContext, what: &str) -> Result<(), ModuleError> {
    let today = today(ctx);
    if day > today || day < today.plus_days(-MAX_DAYS_BACK) {
        return Err(refuse(format!(
            "{what} {day} is not between {} and today ({today})",
            today.plus_days(-MAX_DAYS_BACK)
        )));
    }
    Ok(())
}

/// The stateless checks and who may send each message.
pub fn check(msg: &PaymentsMsg) -> Result<Permit, ModuleError> {
    match msg {
        PaymentsMsg::AppointOfficer { department, .. } => {
            name(department, "department")?;
            Ok(Permit::Council)
        }
        PaymentsMsg::DismissOfficer { .. } => Ok(Permit::Council),
        PaymentsMsg::AppointBank { name: n, .. } => {
            name(n, "name")?;
            Ok(Permit::Council)
        }
        PaymentsMsg::RegisterProject { id, name: n, amount_krw, .. } => {
            slug(id, "project")?;
            name(n, "name")?;
            krw(*amount_krw, "amount_krw")?;
            Ok(Permit::OwnRules)
        }
        PaymentsMsg::RegisterContract { project, id, parent, amount_krw, agreed_days, .. } => {
            slug(project, "project")?;
            slug(id, "contract")?;
            if let Some(p) = parent {
                slug(p, "parent")?;
            }
            krw(*amount_krw, "amount_krw")?;
            if !(1..=MAX_AGREED_DAYS).contains(agreed_days) {
                return Err(invalid(format!("agreed_days: 1 to {MAX_AGREED_DAYS}")));
            }
            Ok(Permit::OwnRules)
        }
        PaymentsMsg::GiveGuarantee { project, contract, .. } | PaymentsMsg::RecordCause { project, contract, .. } => {
            slug(project, "project")?;
            slug(contract, "contract")?;
            Ok(Permit::OwnRules)
        }
        PaymentsMsg::EngageWorker { project, contract, .. } => {
            slug(project, "project")?;
            if let Some(c) = contract {
                slug(c, "contract")?;
            }
            Ok(Permit::OwnRules)
        }
        PaymentsMsg::BindAccount { project, .. } => {
            slug(project, "project")?;
            Ok(Permit::OwnRules)
        }
        PaymentsMsg::SubmitProgress { project, approved_krw, parts, .. } => {
            slug(project, "project")?;
            krw(*approved_krw, "approved_krw")?;
            crate::progress::check_parts(parts)?;
            Ok(Permit::OwnRules)
        }
        PaymentsMsg::Approve { project, .. } | PaymentsMsg::Resend { project, .. } => {
            slug(project, "project")?;
            Ok(Permit::OwnRules)
        }
        PaymentsMsg::Report { project, answers, .. } => {
            slug(project, "project")?;
            if answers.is_empty() || answers.len() > MAX_PARTS {
                return Err(invalid(format!("answers: 1 to {MAX_PARTS}")));
            }
            for (i, a) in answers.iter().enumerate() {
                if answers[..i].iter().any(|b| b.line == a.line) {
                    return Err(invalid(format!("line {} is answered twice", a.line)));
                }
                if let crate::msg::Outcome::Rejected { code } = &a.outcome {
                    slug(code.as_str().replace('_', "-").as_str(), "reason code")?;
                }
            }
            Ok(Permit::OwnRules)
        }
        PaymentsMsg::ChangeOrder { project, increase_krw, .. } => {
            slug(project, "project")?;
            krw(*increase_krw, "increase_krw")?;
            Ok(Permit::OwnRules)
        }
        PaymentsMsg::AmendContract { project, contract, increase_krw } => {
            slug(project, "project")?;
            slug(contract, "contract")?;
            krw(*increase_krw, "increase_krw")?;
            Ok(Permit::OwnRules)
        }
    }
}

pub fn execute(ctx: &TxContext, state: &mut dyn StateWrite, msg: PaymentsMsg) -> Result<Vec<Event>, ModuleError> {
    match msg {
        PaymentsMsg::AppointOfficer { account, department } => {
            state::write(state, &state::officer_key(&account), &Officer { department: department.clone() });
            Ok(vec![event(PaymentsEvent::OfficerAppointed { account, department })])
        }
        PaymentsMsg::DismissOfficer { account } => {
            if state::read::<Officer>(state, &state::officer_key(&account))?.is_none() {
                return Err(refuse(format!("{account} is no ordering officer")));
            }
            state.delete(state::officer_key(&account).as_bytes());
            Ok(vec![event(PaymentsEvent::OfficerDismissed { account })])
        }
        PaymentsMsg::AppointBank { account, name } => {
            state::write(state, &state::bank_key(&account), &Bank { name });
            Ok(vec![event(PaymentsEvent::BankAppointed { account })])
        }
        PaymentsMsg::RegisterProject { id, name, prime, amount_krw, signed } => {
            let officer = officer_of(state, &ctx.sender)?;
            recent(signed, ctx, "the project's signing date")?;
            if state::read::<Project>(state, &state::project_key(&id))?.is_some() {
                return Err(refuse(format!("project '{id}' is registered already")));
            }
            let p = Project {
                id: id.clone(),
                name,
                department: officer.department,
                prime,
                amount_krw,
                signed,
                allotted_krw: 0,
                contracts: 0,
                progress: 0,
                change_orders: 0,
            };
            state::write(state, &state::project_key(&id), &p);
            Ok(vec![event(PaymentsEvent::ProjectRegistered { project: id, prime, amount_krw })])
        }
        PaymentsMsg::RegisterContract { project, id, parent, contractor, kind, amount_krw, signed, agreed_days } => {
            register_contract(ctx, state, project, id, parent, contractor, kind, amount_krw, signed, agreed_days)
        }
        PaymentsMsg::GiveGuarantee { project, contract, reference } => {
            give_guarantee(ctx, state, project, contract, reference)
        }
        PaymentsMsg::EngageWorker { project, contract, worker } => {
            let p = project_of(state, &project)?;
            let employer = match &contract {
                None => p.prime,
                Some(c) => contract_of(state, &project, c)?.contractor,
            };
            if employer != ctx.sender {
                return Err(ModuleError::Unauthorized(format!("only {employer}, the employer on it, engages workers")));
            }
            state::write(state, &state::engagement_key(&project, contract.as_deref(), &worker), &ctx.height);
            Ok(vec![event(PaymentsEvent::WorkerEngaged { project, contract, worker })])
        }
        PaymentsMsg::BindAccount { project, account } => {
            project_of(state, &project)?;
            state::write(state, &state::bound_account_key(&project, &ctx.sender), &account);
            Ok(vec![event(PaymentsEvent::AccountBound { project, worker: ctx.sender })])
        }
        PaymentsMsg::SubmitProgress { project, number, approved_krw, received, parts } => {
            crate::progress::submit(ctx, state, project, number, approved_krw, received, parts)
        }
        PaymentsMsg::Approve { project, number } => crate::progress::approve(ctx, state, project, number),
        PaymentsMsg::Report { project, number, answers } => {
            crate::progress::report(ctx, state, project, number, answers)
        }
        PaymentsMsg::Resend { project, number, line } => crate::progress::resend(ctx, state, project, number, line),
        PaymentsMsg::ChangeOrder { project, increase_krw, on } => change_order(ctx, state, project, increase_krw, on),
        PaymentsMsg::AmendContract { project, contract, increase_krw } => {
            amend(ctx, state, project, contract, increase_krw)
        }
        PaymentsMsg::RecordCause { project, contract, cause } => {
            let p = project_of(state, &project)?;
            department_officer(state, &ctx.sender, &p)?;
            let cause = match cause {
                RecordedCause::Insolvency => DirectCause::Insolvency,
                RecordedCause::ThreePartyAgreement => DirectCause::ThreePartyAgreement,
            };
            let mut c = contract_of(state, &project, &contract)?;
            Ok(make_direct(state, &project, &mut c, cause).into_iter().collect())
        }
    }
}

#[allow(clippy::too_many_arguments)]
fn register_contract(
    ctx: &TxContext,
    state: &mut dyn StateWrite,
    project: String,
    id: String,
    parent: Option<String>,
    contractor: Address,
    kind: ContractKind,
    amount_krw: u64,
    signed: Date,
    agreed_days: u32,
) -> Result<Vec<Event>, ModuleError> {
    let mut p = project_of(state, &project)?;
    recent(signed, ctx, "the contract's signing date")?;
    if state::read::<Contract>(state, &state::contract_key(&project, &id))?.is_some() {
        return Err(refuse(format!("contract '{id}' of '{project}' is registered already")));
    }
    let (payer, room) = match &parent {
        None => (p.prime, p.amount_krw - p.allotted_krw.min(p.amount_krw)),
        Some(parent_id) => {
            let parent = contract_of(state, &project, parent_id)?;
            if parent.kind != ContractKind::Subcontract {
                return Err(refuse(format!(
                    "'{parent_id}' supplies {:?}; only a subcontract has contracts under it",
                    parent.kind
                )));
            }
            (parent.contractor, parent.amount_krw - parent.allotted_krw.min(parent.amount_krw))
        }
    };
    if payer != ctx.sender {
        return Err(ModuleError::Unauthorized(format!(
            "only {payer}, who pays it, registers a contract under its own"
        )));
    }
    if contractor == payer {
        return Err(refuse("a contractor cannot contract with itself"));
    }
    if p.contracts as usize >= MAX_CONTRACTS {
        return Err(refuse(format!("a project has at most {MAX_CONTRACTS} contracts")));
    }
    if amount_krw > room {
        return Err(refuse(format!(
            "the contracts under it would come to more than it is worth: {room} won of it is left to contract"
        )));
    }
    let due = rules::guarantee_due(
        signed,
        amount_krw,
        params::krw(state, params::GUARANTEE_OVER_KRW, signed)?,
        params::days(state, params::GUARANTEE_DAYS, signed)?,
    );
    // A supply of material carries no payment guarantee: the Subcontracting Act's is for
    // construction work, the Construction Machinery Management Act's for equipment rental.
    let guarantee_by = due.filter(|_| kind != ContractKind::Material);
    if let Some(by) = guarantee_by {
        state.schedule(by.plus_days(1).kst_start_ms(), state::guarantee_deadline(&project, &id).as_bytes())?;
    }
    let c = Contract {
        id: id.clone(),
        parent: parent.clone(),
        contractor,
        payer,
        kind,
        amount_krw,
        signed,
        agreed_days,
        allotted_krw: 0,
        guarantee: guarantee_by.map_or(Guarantee::NotNeeded, |by| Guarantee::Due { by }),
        missed: Vec::new(),
        direct: None,
        paid_krw: 0,
        committed_krw: 0,
        interest_committed_krw: 0,
        interest_krw: 0,
        pass_through: Vec::new(),
    };
    state::write(state, &state::contract_key(&project, &id), &c);
    match parent {
        None => p.allotted_krw += amount_krw,
        Some(parent_id) => {
            let mut parent = contract_of(state, &project, &parent_id)?;
            parent.allotted_krw += amount_krw;
            state::write(state, &state::contract_key(&project, &parent_id), &parent);
        }
    }
    p.contracts += 1;
    state::write(state, &state::project_key(&project), &p);
    Ok(vec![event(PaymentsEvent::ContractRegistered { project, contract: id, contractor, amount_krw, guarantee_by })])
}

fn give_guarantee(
    ctx: &TxContext,
    state: &mut dyn StateWrite,
    project: String,
    contract: String,
    reference: Hash,
) -> Result<Vec<Event>, ModuleError> {
    let mut c = contract_of(state, &project, &contract)?;
    if c.payer != ctx.sender {
        return Err(ModuleError::Unauthorized(format!("only {}, who pays '{contract}', gives its guarantee", c.payer)));
    }
    match c.guarantee {
        Guarantee::Given { .. } => return Err(refuse(format!("PAY-05: '{contract}' has its guarantee already"))),
        Guarantee::Due { by } => {
            state.unschedule(by.plus_days(1).kst_start_ms(), state::guarantee_deadline(&project, &contract).as_bytes())
        }
        // Late, or not required: it is still recorded; a direct payment already triggered stays.
        Guarantee::Missed { .. } | Guarantee::NotNeeded => {}
    }
    c.guarantee = Guarantee::Given { reference, height: ctx.height };
    state::write(state, &state::contract_key(&project, &contract), &c);
    Ok(vec![event(PaymentsEvent::GuaranteeGiven { project, contract })])
}

/// PAY-09: a change order raises the prime contract; each contract directly under the prime
/// owes the same ratio, by the day the law allows.
fn change_order(
    ctx: &TxContext,
    state: &mut dyn StateWrite,
    project: String,
    increase_krw: u64,
    on: Date,
) -> Result<Vec<Event>, ModuleError> {
    let mut p = project_of(state, &project)?;
    department_officer(state, &ctx.sender, &p)?;
    recent(on, ctx, "PAY-09: a change order is recorded once made; its date")?;
    let by = on.plus_days(i64::from(params::days(state, params::CHANGE_ORDER_DAYS, on)?));
    p.change_orders += 1;
    let order = p.change_orders;
    let mut events = vec![event(PaymentsEvent::ChangeOrdered { project: project.clone(), order, increase_krw })];
    let before = p.amount_krw;
    for (key, bytes) in state.scan(format!("contracts/{project}/").as_bytes(), None, MAX_CONTRACTS)? {
        let mut c: Contract = dojang_ledger::decode_record(&bytes, &String::from_utf8_lossy(&key))?;
        if c.parent.is_some() {
            continue;
        }
        let owed = rules::pass_through_change(before, increase_krw, c.amount_krw).map_err(refuse)?;
        if owed == 0 {
            continue;
        }
        c.pass_through.push(PassThrough { order, increase_krw: owed, by });
        state.schedule(
            by.plus_days(1).kst_start_ms(),
            state::pass_through_deadline(&project, &c.id, order).as_bytes(),
        )?;
        events.push(event(PaymentsEvent::PassThroughDue {
            project: project.clone(),
            contract: c.id.clone(),
            order,
            increase_krw: owed,
            by,
        }));
        state::write(state, &state::contract_key(&project, &c.id), &c);
    }
    p.amount_krw = p.amount_krw.saturating_add(increase_krw);
    state::write(state, &state::project_key(&project), &p);
    Ok(events)
}

/// A contract raised by its payer: first toward the change orders it owes (PAY-09), oldest first.
fn amend(
    ctx: &TxContext,
    state: &mut dyn StateWrite,
    project: String,
    contract: String,
    increase_krw: u64,
) -> Result<Vec<Event>, ModuleError> {
    let mut c = contract_of(state, &project, &contract)?;
    if c.payer != ctx.sender {
        return Err(ModuleError::Unauthorized(format!("only {}, who pays '{contract}', amends it", c.payer)));
    }
    // The raise comes out of what is left to contract above it, as a new contract would.
    let too_much = |room: u64| {
        refuse(format!(
            "the contracts under it would come to more than it is worth: {room} won of it is left to contract"
        ))
    };
    match &c.parent {
        None => {
            let mut p = project_of(state, &project)?;
            let room = p.amount_krw.saturating_sub(p.allotted_krw);
            if increase_krw > room {
                return Err(too_much(room));
            }
            p.allotted_krw += increase_krw;
            state::write(state, &state::project_key(&project), &p);
        }
        Some(parent_id) => {
            let mut parent = contract_of(state, &project, parent_id)?;
            let room = parent.amount_krw.saturating_sub(parent.allotted_krw);
            if increase_krw > room {
                return Err(too_much(room));
            }
            parent.allotted_krw += increase_krw;
            state::write(state, &state::contract_key(&project, parent_id), &parent);
        }
    }
    let mut left = increase_krw;
    let mut kept = Vec::new();
    for owed in std::mem::take(&mut c.pass_through) {
        if left >= owed.increase_krw {
            left -= owed.increase_krw;
            state.unschedule(
                owed.by.plus_days(1).kst_start_ms(),
                state::pass_through_deadline(&project, &contract, owed.order).as_bytes(),
            );
        } else {
            kept.push(PassThrough { increase_krw: owed.increase_krw - left, ..owed });
            left = 0;
        }
    }
    c.pass_through = kept;
    c.amount_krw = c.amount_krw.saturating_add(increase_krw);
    state::write(state, &state::contract_key(&project, &contract), &c);
    Ok(vec![event(PaymentsEvent::ContractAmended { project, contract, increase_krw })])
}

/// PAY-06: from now on the owner pays `c` directly; the event, the first time a cause arises.
pub(crate) fn make_direct(
    state: &mut dyn StateWrite,
    project: &str,
    c: &mut Contract,
    cause: DirectCause,
) -> Option<Event> {
    if c.direct.is_some() {
        return None;
    }
    c.direct = Some(cause);
    state::write(state, &state::contract_key(project, &c.id), c);
    Some(event(PaymentsEvent::DirectPaymentTriggered { project: project.into(), contract: c.id.clone(), cause }))
}

pub(crate) fn project_of(state: &dyn StateRead, id: &str) -> Result<Project, ModuleError> {
    state::read(state, &state::project_key(id))?.ok_or_else(|| refuse(format!("no project '{id}' is registered")))
}

pub(crate) fn contract_of(state: &dyn StateRead, project: &str, id: &str) -> Result<Contract, ModuleError> {
    state::read(state, &state::contract_key(project, id))?
        .ok_or_else(|| refuse(format!("project '{project}' has no contract '{id}'")))
}

pub(crate) fn officer_of(state: &dyn StateRead, who: &Address) -> Result<Officer, ModuleError> {
    state::read(state, &state::officer_key(who))?
        .ok_or_else(|| ModuleError::Unauthorized(format!("{who} is not an ordering officer the council appointed")))
}

/// The sender is an officer of the project's own department.
pub(crate) fn department_officer(state: &dyn StateRead, who: &Address, p: &Project) -> Result<(), ModuleError> {
    let o = officer_of(state, who)?;
    if o.department != p.department {
        return Err(ModuleError::Unauthorized(format!(
            "{who} is an officer of {}, not of {}, which ordered '{}'",
            o.department, p.department, p.id
        )));
    }
    Ok(())
}
