//! The login service's rules as pure functions, named for what they check and cited by rule
//! id (DOMAIN.md §5). The module applies the registration rules when the council registers a
//! facility; the login service applies the login rules at every login.

use crate::msg::{Action, ActionKind, Level, Registration};

/// A verdict: `Err` holds the reason, starting with its rule id.
pub type Verdict = Result<(), String>;

/// The most redirect URIs one facility registers.
pub const MAX_REDIRECT_URIS: usize = 10;
/// The longest redirect URI, in bytes.
pub const MAX_URI_LEN: usize = 512;
/// The most actions one facility registers.
pub const MAX_ACTIONS: usize = 32;
/// The longest a residency credential may be accepted for: ten years, in days.
pub const MAX_RESIDENCY_AGE_DAYS: u32 = 3650;
/// The longest public name of a facility, in characters.
pub const MAX_NAME: usize = 100;

/// 1-64 characters of a-z, 0-9, '-', '_' or '.': a relying party's or an action's id, the
/// same alphabet as the identity registry's names so that an id can also be a program id.
pub fn is_plain_id(id: &str) -> bool {
    (1..=64).contains(&id.len())
        && id.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || "-_.".contains(c))
}

/// AUTH-04: a redirect URI is absolute, `https://` (or plain `http://` to this machine only,
/// for development), names a host, carries no user information and no fragment (OpenID
/// Connect Core §3.1.2.1), and holds no spaces or control characters.
pub fn redirect_uri_is_acceptable(uri: &str) -> Verdict {
    let bad = |why: &str| Err(format!("AUTH-04: redirect URI '{uri}' {why}"));
    if uri.len() > MAX_URI_LEN || uri.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return bad(&format!("is longer than {MAX_URI_LEN} bytes or holds spaces or control characters"));
    }
    if uri.contains('#') {
        return bad("has a fragment, which a redirect URI may not have");
    }
    let lower = uri.to_ascii_lowercase();
    let (secure, rest) = match (lower.strip_prefix("https://"), lower.strip_prefix("http://")) {
        (Some(rest), _) => (true, rest),
        (None, Some(rest)) => (false, rest),
        (None, None) => return bad("is not an https URL"),
    };
    let authority = rest.split(['/', '?']).next().unwrap_or_default();
    if authority.contains('@') {
        return bad("carries user information before the host");
    }
    let host = match authority.strip_prefix('[') {
        Some(v6) => match v6.split_once(']') {
            Some((addr, _)) => &authority[..addr.len() + 2],
            None => return bad("has an IPv6 host not closed by ']'"),
        },
        None => authority.split(':').next().unwrap_or_default(),
    };
    if host.is_empty() || host == "[]" {
        return bad("names no host");
    }
    if secure || matches!(host, "127.0.0.1" | "[::1]" | "localhost") {
        Ok(())
    } else {
        bad("is plain http to another machine; only https, or http to this machine in development")
    }
}

/// AUTH-04: a login returns only to a URI the facility registered, compared exactly.
pub fn redirect_uri_is_registered(registered: &[String], uri: &str) -> Verdict {
    if registered.iter().any(|r| r == uri) {
        Ok(())
    } else {
        Err(format!("AUTH-04: '{uri}' is not one of the facility's registered redirect URIs"))
    }
}

/// AUTH-07: the least level an action of this kind may be registered with. Votes, contracts
/// (signing) and payments need a strong login; applying in one's own name a substantial one.
pub fn least_level(kind: ActionKind) -> Level {
    match kind {
        ActionKind::Read | ActionKind::Use => Level::Low,
        ActionKind::Apply => Level::Substantial,
        ActionKind::Sign | ActionKind::Payment | ActionKind::Vote => Level::High,
    }
}

/// AUTH-07: an action is registered with at least the level its kind needs.
pub fn action_level_is_enough(action: &Action) -> Verdict {
    let least = least_level(action.kind);
    if action.level >= least {
        Ok(())
    } else {
        Err(format!(
            "AUTH-07: action '{}' is a {:?} action and needs at least a {} login, not {}",
            action.id,
            action.kind,
            least.as_str(),
            action.level.as_str()
        ))
    }
}

/// AUTH-07: the level the facility registered for `action`; an action it did not register
/// cannot be logged in for.
pub fn required_level(actions: &[Action], action: &str) -> Result<Level, String> {
    actions
        .iter()
        .find(|a| a.id == action)
        .map(|a| a.level)
        .ok_or_else(|| format!("AUTH-07: the facility registered no action '{action}'"))
}

/// AUTH-07: a login reached at least the level the action needs.
pub fn level_is_reached(required: Level, reached: Level) -> Verdict {
    if reached >= required {
        Ok(())
    } else {
        Err(format!(
            "AUTH-07: this needs a {} login and the credential shown gives {}; a citizen card enrolled in person at a district office gives high",
            required.as_str(),
            reached.as_str()
        ))
    }
}

/// AUTH-08: a residency credential issued at `issued_at` (seconds) is at most `max_age_days`
/// old at `now`.
pub fn residency_is_fresh(issued_at: u64, now: u64, max_age_days: u32) -> Verdict {
    let age = now.saturating_sub(issued_at);
    let limit = u64::from(max_age_days) * 86_400;
    if age <= limit {
        Ok(())
    } else {
        Err(format!(
            "AUTH-08: the residency credential is {} days old and this facility accepts at most {max_age_days}; fetch a fresh one from the resident registry in the wallet",
            age / 86_400
        ))
    }
}

/// The registration's own shape: ids, the name, the redirect URIs, the actions and their
/// levels (AUTH-07), and the residency limit (AUTH-08). The policy's owner is checked against
/// the chain by the module (AUTH-04).
pub fn registration_is_well_formed(r: &Registration) -> Verdict {
    if !is_plain_id(&r.id) {
        return Err(format!("AUTH-04: relying party id '{}' must be 1-64 characters of a-z, 0-9, '-', '_', '.'", r.id));
    }
    if !is_plain_id(&r.policy) {
        return Err(format!("AUTH-04: policy id '{}' is not a registry name", r.policy));
    }
    if r.name.trim().is_empty() || r.name.chars().count() > MAX_NAME || r.name.chars().any(char::is_control) {
        return Err(format!("AUTH-04: the name must be 1 to {MAX_NAME} characters without control characters"));
    }
    if r.redirect_uris.is_empty() || r.redirect_uris.len() > MAX_REDIRECT_URIS {
        return Err(format!("AUTH-04: register 1 to {MAX_REDIRECT_URIS} redirect URIs"));
    }
    for (i, uri) in r.redirect_uris.iter().enumerate() {
        redirect_uri_is_acceptable(uri)?;
        if r.redirect_uris[..i].contains(uri) {
            return Err(format!("AUTH-04: redirect URI '{uri}' is listed twice"));
        }
    }
    if r.actions.is_empty() || r.actions.len() > MAX_ACTIONS {
        return Err(format!("AUTH-07: register 1 to {MAX_ACTIONS} actions"));
    }
    for (i, a) in r.actions.iter().enumerate() {
        if !is_plain_id(&a.id) {
            return Err(format!("AUTH-07: action id '{}' must be 1-64 characters of a-z, 0-9, '-', '_', '.'", a.id));
        }
        if r.actions[..i].iter().any(|b| b.id == a.id) {
            return Err(format!("AUTH-07: action '{}' is listed twice", a.id));
        }
        action_level_is_enough(a)?;
    }
    if let Some(g) = r.guardian_policy.as_deref().filter(|g| !is_plain_id(g)) {
        return Err(format!("AUTH-04: guardian policy id '{g}' is not a registry name"));
    }
    if !(1..=MAX_RESIDENCY_AGE_DAYS).contains(&r.residency_max_age_days) {
        return Err(format!("AUTH-08: the residency limit is 1 to {MAX_RESIDENCY_AGE_DAYS} days"));
    }
    Ok(())
}

/// A guardian acts for a ward only where the delegation's scope names the facility (the
/// guardian credential's `scope`, set by the registry when the delegation was made).
pub fn delegation_covers(scope: &[String], facility: &str) -> Verdict {
    if scope.iter().any(|s| s == facility) {
        Ok(())
    } else {
        Err(format!(
            "AUTH-04: the guardian credential's delegation does not cover '{facility}' (it covers {})",
            scope.join(", ")
        ))
    }
}
