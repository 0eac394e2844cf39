use dojang_ledger::{ModuleError, Permit, StateWrite, TxContext, ValidatorUpdate};
use dojang_types::{Address, Date, Event};

use crate::council::{self, CouncilRecord};
use crate::events::GovernanceEvent;
use crate::msg::{CouncilSpec, GenesisSection, GovernanceMsg, ParamValue, Role};
use crate::proposal;
use crate::rules::{self, RuleViolation};
use crate::state::{self, Activation, ParamVersion, RoleGrant};

impl From<RuleViolation> for ModuleError {
    fn from(v: RuleViolation) -> Self {
        if v.rule == "GOV-08" {
            ModuleError::Unauthorized(format!("{}: {}", v.rule, v.reason))
        } else {
            ModuleError::Rejected { code: v.rule.to_string(), reason: v.reason }
        }
    }
}

/// Writes the council, the genesis accounts and parameters. A council is required, and at
/// least one admin (GOV-02).
pub fn init_genesis(state: &mut dyn StateWrite, section: GenesisSection) -> Result<(), ModuleError> {
    let Some(genesis_council) = &section.council else {
        return Err(ModuleError::Rejected {
            code: "GOV-11".into(),
            reason: "genesis must name the governing council (members and threshold)".into(),
        });
    };
    let spec = CouncilSpec { members: genesis_council.members.clone(), threshold: genesis_council.threshold };
    let current = council::council_from_spec(&spec, genesis_council.min_members)?;
    council::put_record(state, &CouncilRecord { current, min_members: genesis_council.min_members, next: None });
    if !section.accounts.iter().any(|a| a.roles.contains(&Role::Admin)) {
        return Err(ModuleError::Rejected {
            code: "GOV-02".into(),
            reason: "genesis must name at least one admin account".into(),
        });
    }
    for acc in &section.accounts {
        let before = state::account(state, &acc.address)?;
        let mut after = before.clone();
        after.label = acc.label.clone();
        for role in &acc.roles {
            after.roles.insert(*role, RoleGrant { granted_by: None, height: 0 });
        }
        state::put_account(state, &acc.address, &before, &after);
    }
    for p in &section.params {
        rules::param_name_is_valid(&p.table)?;
        rules::param_name_is_valid(&p.key)?;
        rules::legal_basis_is_stated(&p.legal_basis)?;
        let history = state::param_history(state, &p.table, &p.key)?;
        let version = ParamVersion {
            effective_from: p.effective_from,
            value: p.value,
            legal_basis: p.legal_basis.clone(),
            set_by: None,
            height: 0,
        };
        state::put_param_history(state, &p.table, &p.key, &rules::with_version(history, version));
    }
    Ok(())
}

/// The rules that need no state (names GOV-03, legal basis GOV-06, validator updates GOV-07,
/// reasons GOV-15; typed values GOV-14 hold by decoding), and who may send each message:
/// only council members propose and vote (GOV-08, refused at admission for anyone else); every
/// change of who decides or of the law's figures is the council's alone (GOV-01).
pub fn check(msg: &GovernanceMsg) -> Result<Permit, ModuleError> {
    match msg {
        GovernanceMsg::Propose { reason, .. } => {
            rules::reason_is_stated(reason)?;
            Ok(Permit::CouncilMember)
        }
        GovernanceMsg::Approve { .. } | GovernanceMsg::Reject { .. } => Ok(Permit::CouncilMember),
        GovernanceMsg::SetParam { table, key, legal_basis, .. } => {
            rules::param_name_is_valid(table)?;
            rules::param_name_is_valid(key)?;
            rules::legal_basis_is_stated(legal_basis)?;
            Ok(Permit::Council)
        }
        GovernanceMsg::UpdateValidators { updates } => {
            rules::validator_updates_are_well_formed(updates)?;
            Ok(Permit::Council)
        }
        GovernanceMsg::Activate { module, version, .. } => {
            rules::activation_is_well_formed(module, version.as_deref())?;
            Ok(Permit::Council)
        }
        GovernanceMsg::SetCouncil { .. } | GovernanceMsg::GrantRole { .. } | GovernanceMsg::RevokeRole { .. } => {
            Ok(Permit::Council)
        }
    }
}

pub fn execute(ctx: &TxContext, state: &mut dyn StateWrite, msg: GovernanceMsg) -> Result<Vec<Event>, ModuleError> {
    match msg {
        GovernanceMsg::Propose { proposal, reason, expires_at_ms } => {
            proposal::propose(ctx, state, proposal, reason, expires_at_ms)
        }
        GovernanceMsg::Approve { id } => proposal::approve(ctx, state, id),
        GovernanceMsg::Reject { id } => proposal::reject(ctx, state, id),
        GovernanceMsg::SetCouncil { council } => set_council(ctx, state, &council),
        GovernanceMsg::GrantRole { account, role } => grant(ctx, state, account, role),
        GovernanceMsg::RevokeRole { account, role } => revoke(ctx, state, account, role),
        GovernanceMsg::SetParam { table, key, effective_from, value, legal_basis } => {
            set_param(ctx, state, &table, &key, effective_from, value, legal_basis)
        }
        GovernanceMsg::UpdateValidators { updates } => update_validators(ctx, state, &updates),
        GovernanceMsg::Activate { module, version, at_height } => {
            activate(ctx, state, &module, version.as_deref(), at_height)
        }
    }
}

/// Asks the ledger to switch the part on (it refuses what this release lacks, what needs no
/// activation, a height not ahead, a part already on) and keeps the decision for the record.
fn activate(
    ctx: &TxContext,
    state: &mut dyn StateWrite,
    module: &str,
    version: Option<&str>,
    at_height: u64,
) -> Result<Vec<Event>, ModuleError> {
    state.activate(module, version, at_height)?;
    let record = Activation {
        module: module.to_string(),
        version: version.map(str::to_string),
        at_height,
        decided_at_height: ctx.height,
    };
    state::put_activation(state, &record);
    Ok(vec![Event::typed(&GovernanceEvent::ActivationScheduled {
        module: module.to_string(),
        at_height,
        version: version.map(str::to_string),
    })])
}

/// Applies the updates in order; if any is refused, the transaction fails and none applies.
/// Their shape (GOV-07) was checked by `check` before the transaction entered the block.
fn update_validators(
    ctx: &TxContext,
    state: &mut dyn StateWrite,
    updates: &[ValidatorUpdate],
) -> Result<Vec<Event>, ModuleError> {
    let mut events = Vec::with_capacity(updates.len() + 1);
    let mut size = 0;
    for u in updates {
        size = state.update_validator(u)?.len();
        let (address, name, power) = (u.public_key.address(), u.name.clone(), u.power);
        events.push(Event::typed(&if power == 0 {
            GovernanceEvent::ValidatorRemoved { address, name, power }
        } else {
            GovernanceEvent::ValidatorSet { address, name, power }
        }));
    }
    let (deciding, after) = state.validator_sets()?;
    rules::power_moved_is_bounded(&deciding, &after)?;
    events.push(Event::typed(&GovernanceEvent::ValidatorSetChanged {
        validators: size as u64,
        from_height: ctx.height + 1,
        by: ctx.sender,
    }));
    Ok(events)
}

/// Stages a new council for the next block (GOV-11 workable, GOV-13 not in this block).
fn set_council(ctx: &TxContext, state: &mut dyn StateWrite, spec: &CouncilSpec) -> Result<Vec<Event>, ModuleError> {
    let min = council::record(state)?.min_members;
    let next = council::council_from_spec(spec, min)?;
    council::stage(state, ctx.height, next)?;
    Ok(vec![Event::typed(&GovernanceEvent::CouncilChanged {
        members: spec.members.len() as u64,
        threshold: spec.threshold,
        from_height: ctx.height + 1,
    })])
}

fn grant(ctx: &TxContext, state: &mut dyn StateWrite, account: Address, role: Role) -> Result<Vec<Event>, ModuleError> {
    let before = state::account(state, &account)?;
    if before.roles.contains_key(&role) {
        return Err(ModuleError::Rejected {
            code: "already_granted".into(),
            reason: format!("{account} already has the {} role", role.as_str()),
        });
    }
    let mut after = before.clone();
    after.roles.insert(role, RoleGrant { granted_by: Some(ctx.sender), height: ctx.height });
    state::put_account(state, &account, &before, &after);
    Ok(vec![Event::typed(&GovernanceEvent::RoleGranted { account, role, by: ctx.sender })])
}

fn revoke(
    ctx: &TxContext,
    state: &mut dyn StateWrite,
    account: Address,
    role: Role,
) -> Result<Vec<Event>, ModuleError> {
    let before = state::account(state, &account)?;
    if !before.roles.contains_key(&role) {
        return Err(ModuleError::Rejected {
            code: "not_granted".into(),
            reason: format!("{account} does not have the {} role", role.as_str()),
        });
    }
    if role == Role::Admin {
        let admins = state::accounts_with_role(state, Role::Admin, None, 2)?.len();
        rules::not_removing_last_admin(role, admins - 1)?;
    }
    let mut after = before.clone();
    after.roles.remove(&role);
    state::put_account(state, &account, &before, &after);
    Ok(vec![Event::typed(&GovernanceEvent::RoleRevoked { account, role, by: ctx.sender })])
}

fn set_param(
    ctx: &TxContext,
    state: &mut dyn StateWrite,
    table: &str,
    key: &str,
    effective_from: Date,
    value: ParamValue,
    legal_basis: String,
) -> Result<Vec<Event>, ModuleError> {
    let history = state::param_history(state, table, key)?;
    rules::change_is_not_retroactive(&history, effective_from, Date::from_unix_ms_kst(ctx.time_ms))?;
    let version = ParamVersion { effective_from, value, legal_basis, set_by: Some(ctx.sender), height: ctx.height };
    state::put_param_history(state, table, key, &rules::with_version(history, version));
    Ok(vec![Event::typed(&GovernanceEvent::ParamSet {
        table: table.to_string(),
        key: key.to_string(),
        effective_from,
    })])
}
