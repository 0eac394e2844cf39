use dojang_credentials::DcqlQuery;
use dojang_governance::{readers::holds_role, Role};
use dojang_identity::readers;
use dojang_ledger::{ModuleError, Permit, StateRead, StateWrite, StoreError, TxContext};
use dojang_types::Event;

use crate::events::EligibilityEvent;
use crate::msg::EligibilityMsg;
use crate::rules;
use crate::state::{self, BatchRecord, ProgramRecord, RuleSetRecord};

/// The sender must control the office's organisation and hold the verifier role.
fn sender_runs_office(ctx: &TxContext, st: &dyn StateRead, office: &str) -> Result<(), ModuleError> {
    let org = readers::organisation(st, office)?
        .ok_or_else(|| ModuleError::NotFound(format!("organisation {office} (register it in identity first)")))?;
    if org.controller != ctx.sender || !holds_role(st, &ctx.sender, Role::Verifier)? {
        return Err(ModuleError::Unauthorized(format!(
            "only {office}'s controller, holding the verifier role, manages its programs"
        )));
    }
    Ok(())
}

fn policy_query(st: &dyn StateRead, program: &ProgramRecord) -> Result<DcqlQuery, ModuleError> {
    let policy = readers::policy(st, &program.policy)?
        .ok_or_else(|| ModuleError::NotFound(format!("policy '{}'", program.policy)))?;
    DcqlQuery::parse(&policy.dcql).map_err(|e| ModuleError::Storage(StoreError::Corrupt(e.to_string())))
}

/// The rules that need no state, at admission; every eligibility message is a program
/// office's, so it needs the verifier role.
pub fn check(msg: &EligibilityMsg) -> Result<Permit, ModuleError> {
    check_shape(msg)?;
    Ok(Permit::AnyRole(&["verifier"]))
}

fn check_shape(msg: &EligibilityMsg) -> Result<(), ModuleError> {
    match msg {
        EligibilityMsg::RegisterProgram { id, name, window_opens_ms, window_closes_ms, quota, .. } => {
            rules::program_is_well_formed(id, name, *window_opens_ms, *window_closes_ms, *quota)
                .map_err(ModuleError::by_rule)
        }
        EligibilityMsg::AnchorDecisions { leaves, .. } => rules::batch_is_valid(*leaves).map_err(ModuleError::by_rule),
        EligibilityMsg::PublishRuleSet { .. } | EligibilityMsg::RevealSeed { .. } => Ok(()),
    }
}

pub fn execute(ctx: &TxContext, st: &mut dyn StateWrite, msg: EligibilityMsg) -> Result<Vec<Event>, ModuleError> {
    match msg {
        EligibilityMsg::RegisterProgram {
            id,
            office,
            name,
            policy,
            window_opens_ms,
            window_closes_ms,
            quota,
            seed_commitment,
        } => {
            sender_runs_office(ctx, &*st, &office)?;
            if state::read::<ProgramRecord>(&*st, &state::program_key(&id))?.is_some() {
                return Err(ModuleError::by_rule(format!("PRG-01: program '{id}' exists")));
            }
            let p =
                readers::policy(&*st, &policy)?.ok_or_else(|| ModuleError::NotFound(format!("policy '{policy}'")))?;
            if p.verifier != office || p.withdrawn_ms.is_some() {
                return Err(ModuleError::by_rule(format!(
                    "PRG-01: policy '{policy}' is not an active policy of {office}"
                )));
            }
            let record = ProgramRecord {
                id: id.clone(),
                office,
                name,
                policy,
                window_opens_ms,
                window_closes_ms,
                quota,
                seed_commitment,
                seed: None,
                ruleset_versions: 0,
                batches: 0,
                registered_height: ctx.height,
            };
            state::write(st, &state::program_key(&id), &record);
            Ok(vec![Event::typed(&EligibilityEvent::ProgramRegistered { program: id, quota })])
        }
        EligibilityMsg::PublishRuleSet { program, version, rules: ruleset } => {
            let mut p = state::program(&*st, &program)?;
            sender_runs_office(ctx, &*st, &p.office)?;
            rules::version_follows(p.ruleset_versions, version).map_err(ModuleError::by_rule)?;
            rules::ruleset_fits_policy(&ruleset, &policy_query(&*st, &p)?).map_err(ModuleError::by_rule)?;
            let rec = RuleSetRecord {
                program: program.clone(),
                version,
                rules: ruleset,
                height: ctx.height,
                time_ms: ctx.time_ms,
            };
            state::write(st, &state::ruleset_key(&program, version), &rec);
            p.ruleset_versions = version;
            state::write(st, &state::program_key(&program), &p);
            Ok(vec![Event::typed(&EligibilityEvent::RulesetPublished { program, version })])
        }
        EligibilityMsg::RevealSeed { program, seed } => {
            let mut p = state::program(&*st, &program)?;
            sender_runs_office(ctx, &*st, &p.office)?;
            rules::seed_reveal_is_valid(&p.seed_commitment, &seed, p.seed.is_some(), p.window_closes_ms, ctx.time_ms)
                .map_err(ModuleError::by_rule)?;
            p.seed = Some(seed);
            state::write(st, &state::program_key(&program), &p);
            Ok(vec![Event::typed(&EligibilityEvent::SeedRevealed { program, seed })])
        }
        EligibilityMsg::AnchorDecisions { program, root, leaves } => {
            let mut p = state::program(&*st, &program)?;
            sender_runs_office(ctx, &*st, &p.office)?;
            p.batches += 1;
            let rec = BatchRecord {
                program: program.clone(),
                batch: p.batches,
                root,
                leaves,
                height: ctx.height,
                time_ms: ctx.time_ms,
            };
            state::write(st, &state::batch_key(&program, p.batches), &rec);
            state::write(st, &state::program_key(&program), &p);
            Ok(vec![Event::typed(&EligibilityEvent::DecisionsAnchored { program, batch: p.batches, root })])
        }
    }
}
