use dojang_governance::{readers::holds_role, Role};
use dojang_ledger::{ModuleError, Permit, StateWrite, TxContext};
use dojang_types::{Event, Hash, PublicKey};

use crate::events::IdentityEvent;
use crate::msg::IdentityMsg;
use crate::rules;
use crate::state::{self, *};

/// The sender may not do this (ID-02, ID-03, ID-05 and the role checks).
fn deny(reason: String) -> ModuleError {
    ModuleError::Unauthorized(reason)
}

/// Accounts that keep organisations in the registries.
const REGISTRANTS: &[&str] = &["admin", "issuer", "verifier"];

/// Who may send each message: the trust root is the council's (ID-05); status lists are
/// issuers' (ID-08), policies verifiers'; everything else an account governance registered
/// as an agency (ID-02), whose control of the organisation is checked on execution.
fn permit(msg: &IdentityMsg) -> Permit {
    use IdentityMsg::*;
    match msg {
        SetRoot { .. } => Permit::Council,
        AnchorStatusList { .. } => Permit::AnyRole(&["issuer"]),
        RegisterPolicy { .. } | WithdrawPolicy { .. } => Permit::AnyRole(&["verifier"]),
        _ => Permit::AnyRole(REGISTRANTS),
    }
}

/// The stateless rules (names, shapes, the policy's DCQL), run at admission so that a refused
/// free-text field never reaches a block, and who may send the message.
pub fn check(msg: &IdentityMsg) -> Result<Permit, ModuleError> {
    check_shape(msg)?;
    Ok(permit(msg))
}

fn check_shape(msg: &IdentityMsg) -> Result<(), ModuleError> {
    use IdentityMsg::*;
    let r = match msg {
        RegisterOrg { did, kid, .. } | AddKey { did, kid, .. } | RevokeKey { did, kid, .. } => {
            rules::did_is_valid(did).and_then(|_| rules::name_is_valid("key id", kid))
        }
        RotateKey { did, old_kid, new_kid, .. } => rules::did_is_valid(did)
            .and_then(|_| rules::name_is_valid("key id", old_kid))
            .and_then(|_| rules::name_is_valid("key id", new_kid)),
        SetRoot { did } => rules::did_is_valid(did),
        Accredit { issuer, vct }
        | SuspendAccreditation { issuer, vct }
        | ReinstateAccreditation { issuer, vct }
        | RevokeAccreditation { issuer, vct } => rules::did_is_valid(issuer).and_then(|_| rules::vct_is_valid(vct)),
        RegisterType { vct, concealable, thresholds, .. } => rules::vct_is_valid(vct)
            .and_then(|_| rules::claim_names_are_plain(concealable))
            .and_then(|_| rules::claim_names_are_plain(thresholds)),
        AnchorStatusList { did, uri, .. } => rules::did_is_valid(did).and_then(|_| rules::status_uri_is_valid(uri)),
        RegisterPolicy { id, verifier, legal_basis, purpose, dcql, retention_days } => {
            rules::name_is_valid("policy id", id)
                .and_then(|_| rules::did_is_valid(verifier))
                .and_then(|_| rules::policy_is_well_formed(legal_basis, purpose, *retention_days, dcql))
        }
        WithdrawPolicy { id } => rules::name_is_valid("policy id", id),
    };
    r.map_err(ModuleError::by_rule)
}

pub fn execute(ctx: &TxContext, st: &mut dyn StateWrite, msg: IdentityMsg) -> Result<Vec<Event>, ModuleError> {
    use IdentityMsg::*;
    match msg {
        RegisterOrg { did, kid, public_key } => register_org(ctx, st, did, kid, public_key),
        AddKey { did, kid, public_key, valid_from_ms } => {
            add_key(ctx, st, &did, kid, public_key, valid_from_ms.unwrap_or(ctx.time_ms))
        }
        RotateKey { did, old_kid, new_kid, public_key } => {
            end_key(ctx, st, &did, &old_kid, ctx.time_ms, false)?;
            add_key(ctx, st, &did, new_kid, public_key, ctx.time_ms)
        }
        RevokeKey { did, kid, effective_from_ms } => end_key(ctx, st, &did, &kid, effective_from_ms, true),
        SetRoot { did } => set_root(ctx, st, did),
        Accredit { issuer, vct } => accredit(ctx, st, issuer, vct),
        SuspendAccreditation { issuer, vct } => change_standing(ctx, st, &issuer, &vct, "suspend"),
        ReinstateAccreditation { issuer, vct } => change_standing(ctx, st, &issuer, &vct, "reinstate"),
        RevokeAccreditation { issuer, vct } => change_standing(ctx, st, &issuer, &vct, "revoke"),
        RegisterType { vct, schema_hash, concealable, thresholds } => {
            register_type(ctx, st, vct, schema_hash, concealable, thresholds)
        }
        AnchorStatusList { did, uri, version, hash } => anchor_status(ctx, st, did, uri, version, hash),
        RegisterPolicy { id, verifier, legal_basis, purpose, dcql, retention_days } => {
            let record = PolicyRecord {
                id,
                verifier,
                legal_basis,
                purpose,
                dcql,
                retention_days,
                registered_ms: ctx.time_ms,
                withdrawn_ms: None,
            };
            register_policy(ctx, st, record)
        }
        WithdrawPolicy { id } => withdraw_policy(ctx, st, &id),
    }
}

fn register_org(
    ctx: &TxContext,
    st: &mut dyn StateWrite,
    did: String,
    kid: String,
    public_key: PublicKey,
) -> Result<Vec<Event>, ModuleError> {
    let has = |role| holds_role(&*st, &ctx.sender, role);
    rules::sender_may_register(has(Role::Issuer)?, has(Role::Verifier)?, has(Role::Admin)?).map_err(deny)?;
    if state::read::<OrgRecord>(&*st, &org_key(&did))?.is_some() {
        return Err(ModuleError::Rejected {
            code: "ID-01".into(),
            reason: format!("ID-01: {did} is already registered"),
        });
    }
    let mut org = OrgRecord { did: did.clone(), controller: ctx.sender, keys: vec![], registered_height: ctx.height };
    rules::new_key_is_acceptable(&org, &kid, &public_key, ctx.time_ms, ctx.time_ms).map_err(ModuleError::by_rule)?;
    org.keys.push(KeyRecord {
        kid: kid.clone(),
        public_key,
        valid_from_ms: ctx.time_ms,
        valid_until_ms: None,
        revoked: false,
    });
    state::write(st, &org_key(&did), &org);
    Ok(vec![Event::typed(&IdentityEvent::OrgRegistered { did, kid, controller: ctx.sender })])
}

fn add_key(
    ctx: &TxContext,
    st: &mut dyn StateWrite,
    did: &str,
    kid: String,
    public_key: PublicKey,
    valid_from_ms: u64,
) -> Result<Vec<Event>, ModuleError> {
    let mut org = state::org(&*st, did)?;
    rules::sender_controls(&org, &ctx.sender).map_err(deny)?;
    rules::new_key_is_acceptable(&org, &kid, &public_key, valid_from_ms, ctx.time_ms).map_err(ModuleError::by_rule)?;
    org.keys.push(KeyRecord { kid: kid.clone(), public_key, valid_from_ms, valid_until_ms: None, revoked: false });
    state::write(st, &org_key(did), &org);
    Ok(vec![Event::typed(&IdentityEvent::KeyAdded { did: did.to_string(), kid, valid_from_ms })])
}

fn end_key(
    ctx: &TxContext,
    st: &mut dyn StateWrite,
    did: &str,
    kid: &str,
    end_ms: u64,
    revoked: bool,
) -> Result<Vec<Event>, ModuleError> {
    let mut org = state::org(&*st, did)?;
    rules::sender_controls(&org, &ctx.sender).map_err(deny)?;
    let key = org
        .keys
        .iter_mut()
        .find(|k| k.kid == kid)
        .ok_or_else(|| ModuleError::NotFound(format!("key '{kid}' of {did}")))?;
    rules::key_end_is_acceptable(key, end_ms).map_err(ModuleError::by_rule)?;
    if !revoked && key.valid_until_ms.is_some() {
        return Err(ModuleError::by_rule(format!("ID-04: key '{kid}' has already ended; rotate from the current key")));
    }
    key.valid_until_ms = Some(key.valid_until_ms.map_or(end_ms, |u| u.min(end_ms)));
    key.revoked |= revoked;
    state::write(st, &org_key(did), &org);
    let (did, kid, valid_until_ms) = (did.to_string(), kid.to_string(), end_ms);
    Ok(vec![Event::typed(&if revoked {
        IdentityEvent::KeyRevoked { did, kid, valid_until_ms }
    } else {
        IdentityEvent::KeyEnded { did, kid, valid_until_ms }
    })])
}

fn set_root(ctx: &TxContext, st: &mut dyn StateWrite, did: String) -> Result<Vec<Event>, ModuleError> {
    if ctx.sender != dojang_governance::council_account() {
        return Err(ModuleError::Unauthorized("ID-05: only the council names the trust root, by a proposal".into()));
    }
    state::org(&*st, &did)?;
    state::write(st, ROOT_KEY, &did);
    Ok(vec![Event::typed(&IdentityEvent::RootSet { did, by: ctx.sender })])
}

fn root_org(st: &dyn StateWrite) -> Result<Option<OrgRecord>, ModuleError> {
    state::root(st)?.map(|did| state::org(st, &did)).transpose()
}

fn accredit(ctx: &TxContext, st: &mut dyn StateWrite, issuer: String, vct: String) -> Result<Vec<Event>, ModuleError> {
    let root = root_org(&*st)?;
    rules::sender_is_root(root.as_ref(), &ctx.sender).map_err(deny)?;
    state::org(&*st, &issuer)?;
    if state::read::<TypeRecord>(&*st, &type_key(&vct))?.is_none() {
        return Err(ModuleError::NotFound(format!("credential type {vct} (register it first)")));
    }
    let key = accreditation_key(&issuer, &vct);
    let mut rec = match state::read::<AccreditationRecord>(&*st, &key)? {
        Some(r) if !matches!(r.standing, Standing::Revoked { .. }) => {
            return Err(ModuleError::by_rule(format!(
                "ID-05: {issuer} is already accredited for {vct}; reinstate a suspended one"
            )));
        }
        Some(r) => r,
        None => AccreditationRecord {
            issuer: issuer.clone(),
            vct: vct.clone(),
            accredited_by: String::new(),
            periods: vec![],
            standing: Standing::Active,
        },
    };
    rec.accredited_by = root.map(|r| r.did).unwrap_or_default();
    rec.periods.push(Period { from_ms: ctx.time_ms, until_ms: None });
    rec.standing = Standing::Active;
    state::write(st, &key, &rec);
    Ok(vec![Event::typed(&IdentityEvent::Accredited { issuer, vct })])
}

fn change_standing(
    ctx: &TxContext,
    st: &mut dyn StateWrite,
    issuer: &str,
    vct: &str,
    to: &str,
) -> Result<Vec<Event>, ModuleError> {
    rules::sender_is_root(root_org(&*st)?.as_ref(), &ctx.sender).map_err(deny)?;
    let key = accreditation_key(issuer, vct);
    let mut rec: AccreditationRecord = state::read(&*st, &key)?
        .ok_or_else(|| ModuleError::NotFound(format!("accreditation of {issuer} for {vct}")))?;
    rules::standing_change_is_allowed(rec.standing, to).map_err(ModuleError::by_rule)?;
    let now = ctx.time_ms;
    if let Some(open) = rec.periods.last_mut().filter(|p| p.until_ms.is_none()) {
        open.until_ms = Some(now);
    }
    rec.standing = match to {
        "suspend" => Standing::Suspended { since_ms: now },
        "revoke" => Standing::Revoked { since_ms: now },
        _ => {
            rec.periods.push(Period { from_ms: now, until_ms: None });
            Standing::Active
        }
    };
    state::write(st, &key, &rec);
    Ok(vec![Event::typed(&IdentityEvent::AccreditationChanged {
        issuer: issuer.to_string(),
        vct: vct.to_string(),
        change: to.to_string(),
    })])
}

fn register_type(
    ctx: &TxContext,
    st: &mut dyn StateWrite,
    vct: String,
    schema_hash: Hash,
    concealable: Vec<String>,
    thresholds: Vec<String>,
) -> Result<Vec<Event>, ModuleError> {
    let root = root_org(&*st)?;
    rules::sender_is_root(root.as_ref(), &ctx.sender).map_err(deny)?;
    if state::read::<TypeRecord>(&*st, &type_key(&vct))?.is_some() {
        return Err(ModuleError::by_rule(format!(
            "ID-08: type {vct} is registered; a changed schema is a new type (version it)"
        )));
    }
    let rec = TypeRecord {
        vct: vct.clone(),
        schema_hash,
        concealable,
        thresholds,
        registered_by: root.map(|r| r.did).unwrap_or_default(),
        height: ctx.height,
    };
    state::write(st, &type_key(&vct), &rec);
    Ok(vec![Event::typed(&IdentityEvent::TypeRegistered { vct, schema_hash })])
}

fn anchor_status(
    ctx: &TxContext,
    st: &mut dyn StateWrite,
    did: String,
    uri: String,
    version: u64,
    hash: Hash,
) -> Result<Vec<Event>, ModuleError> {
    let org = state::org(&*st, &did)?;
    rules::sender_controls(&org, &ctx.sender).map_err(deny)?;
    if !holds_role(&*st, &ctx.sender, Role::Issuer)? {
        return Err(ModuleError::Unauthorized("ID-06: anchoring a status list needs the issuer role".into()));
    }
    let key = status_key(&did, &uri);
    let previous: Option<StatusAnchorRecord> = state::read(&*st, &key)?;
    rules::status_version_follows(previous.map(|p| p.version), version).map_err(ModuleError::by_rule)?;
    let rec = StatusAnchorRecord {
        did: did.clone(),
        uri: uri.clone(),
        version,
        hash,
        time_ms: ctx.time_ms,
        height: ctx.height,
    };
    state::write(st, &key, &rec);
    state::write(st, &status_version_key(&did, &uri, version), &rec);
    Ok(vec![Event::typed(&IdentityEvent::StatusListAnchored { did, uri, version, hash })])
}

fn register_policy(ctx: &TxContext, st: &mut dyn StateWrite, rec: PolicyRecord) -> Result<Vec<Event>, ModuleError> {
    if !holds_role(&*st, &ctx.sender, Role::Verifier)? {
        return Err(ModuleError::Unauthorized("ID-07: registering a policy needs the verifier role".into()));
    }
    let org = state::org(&*st, &rec.verifier)?;
    rules::sender_controls(&org, &ctx.sender).map_err(deny)?;
    if state::read::<PolicyRecord>(&*st, &policy_key(&rec.id))?.is_some() {
        return Err(ModuleError::by_rule(format!(
            "ID-07: policy '{}' exists; policies never change, register a new id",
            rec.id
        )));
    }
    state::write(st, &policy_key(&rec.id), &rec);
    Ok(vec![Event::typed(&IdentityEvent::PolicyRegistered { id: rec.id.clone(), verifier: rec.verifier.clone() })])
}

fn withdraw_policy(ctx: &TxContext, st: &mut dyn StateWrite, id: &str) -> Result<Vec<Event>, ModuleError> {
    let mut rec: PolicyRecord =
        state::read(&*st, &policy_key(id))?.ok_or_else(|| ModuleError::NotFound(format!("policy '{id}'")))?;
    rules::sender_controls(&state::org(&*st, &rec.verifier)?, &ctx.sender).map_err(deny)?;
    if rec.withdrawn_ms.is_some() {
        return Err(ModuleError::by_rule(format!("ID-07: policy '{id}' is already withdrawn")));
    }
    rec.withdrawn_ms = Some(ctx.time_ms);
    state::write(st, &policy_key(id), &rec);
    Ok(vec![Event::typed(&IdentityEvent::PolicyWithdrawn { id: id.to_string() })])
}
