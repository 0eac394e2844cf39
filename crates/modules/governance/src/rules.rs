//! Governance rules as pure functions, each named for what it checks. Rule ids (GOV-xx) are
//! cited in docs/modules/governance.md and in the tests.

use dojang_ledger::ValidatorUpdate;
use dojang_types::{is_plain_name, Date};

use crate::msg::Role;
use crate::state::{AccountRecord, ParamHistory, ParamVersion};

/// Why a governance rule refused a change.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RuleViolation {
    pub rule: &'static str,
    pub reason: String,
}

fn violation(rule: &'static str, reason: impl Into<String>) -> RuleViolation {
    RuleViolation { rule, reason: reason.into() }
}

/// GOV-01: only an admin grants, revokes and edits parameters.
pub fn sender_is_admin(sender: &AccountRecord) -> Result<(), RuleViolation> {
    if sender.roles.contains_key(&Role::Admin) {
        Ok(())
    } else {
        Err(violation("GOV-01", "only an account with the admin role may do this"))
    }
}

/// GOV-02: the chain is never left without an admin (nobody could grant roles again).
pub fn not_removing_last_admin(role: Role, admins_left_after: usize) -> Result<(), RuleViolation> {
    if role == Role::Admin && admins_left_after == 0 {
        Err(violation("GOV-02", "cannot revoke the last admin; grant admin to another account first"))
    } else {
        Ok(())
    }
}

/// GOV-03: parameter tables and keys have plain names: 1-64 of `a-z 0-9 _ . -`.
pub fn param_name_is_valid(name: &str) -> Result<(), RuleViolation> {
    if dojang_types::is_plain_name(name, 64) {
        Ok(())
    } else {
        Err(violation("GOV-03", format!("'{name}' must be 1-64 characters of a-z, 0-9, '_', '.', '-'")))
    }
}

/// GOV-04: a parameter change is never retroactive: it takes effect today or later, and a
/// version already in force cannot be replaced. Past decisions stay reproducible.
pub fn change_is_not_retroactive(
    history: &ParamHistory,
    effective_from: Date,
    today: Date,
) -> Result<(), RuleViolation> {
    if effective_from < today {
        return Err(violation(
            "GOV-04",
            format!("effective date {effective_from} is before today ({today}); changes cannot be retroactive"),
        ));
    }
    if history.versions.iter().any(|v| v.effective_from == effective_from && v.effective_from <= today) {
        return Err(violation("GOV-04", format!("the version effective {effective_from} is already in force")));
    }
    Ok(())
}

/// GOV-05: the version in force on a date is the latest one whose effective date is on or
/// before that date.
pub fn version_in_force(history: &ParamHistory, on: Date) -> Option<&ParamVersion> {
    history.versions.iter().rev().find(|v| v.effective_from <= on)
}

/// GOV-06: the legal basis is stated (1-200 characters), so every figure traces to the law.
pub fn legal_basis_is_stated(basis: &str) -> Result<(), RuleViolation> {
    if basis.trim().is_empty() || basis.len() > 200 {
        Err(violation("GOV-06", "legal_basis must name the statute or notice (1-200 characters)"))
    } else {
        Ok(())
    }
}

/// GOV-07: a validator-set change names 1 to 16 updates, each for a node with a plain name
/// (an agency's node, `a-z 0-9 _ . -`, never a person), each key at most once.
pub fn validator_updates_are_well_formed(updates: &[ValidatorUpdate]) -> Result<(), RuleViolation> {
    if updates.is_empty() || updates.len() > MAX_VALIDATOR_UPDATES {
        return Err(violation("GOV-07", format!("a change names 1 to {MAX_VALIDATOR_UPDATES} validators")));
    }
    for (i, u) in updates.iter().enumerate() {
        if !is_plain_name(&u.name, 64) {
            return Err(violation(
                "GOV-07",
                format!("validator name '{}' must be 1-64 of a-z, 0-9, '_', '.', '-'", u.name),
            ));
        }
        if updates[..i].iter().any(|earlier| earlier.public_key == u.public_key) {
            return Err(violation("GOV-07", format!("validator key {} is listed twice", u.public_key)));
        }
    }
    Ok(())
}

/// The most validator updates one message may carry.
pub const MAX_VALIDATOR_UPDATES: usize = 16;

/// Inserts a version, replacing a scheduled one with the same date, keeping date order.
pub fn with_version(mut history: ParamHistory, version: ParamVersion) -> ParamHistory {
    history.versions.retain(|v| v.effective_from != version.effective_from);
    let pos = history.versions.partition_point(|v| v.effective_from < version.effective_from);
    history.versions.insert(pos, version);
    history
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::state::RoleGrant;

    fn d(s: &str) -> Date {
        s.parse().unwrap()
    }

    fn v(date: &str, value: i64) -> ParamVersion {
        ParamVersion { effective_from: d(date), value: value.into(), legal_basis: "x".into(), set_by: None, height: 0 }
    }

    #[test]
    fn gov01_only_admin() {
        let mut rec = AccountRecord::default();
        assert_eq!(sender_is_admin(&rec).unwrap_err().rule, "GOV-01");
        rec.roles.insert(Role::Issuer, RoleGrant { granted_by: None, height: 0 });
        assert!(sender_is_admin(&rec).is_err());
        rec.roles.insert(Role::Admin, RoleGrant { granted_by: None, height: 0 });
        assert!(sender_is_admin(&rec).is_ok());
    }

    #[test]
    fn gov02_last_admin_stays() {
        assert_eq!(not_removing_last_admin(Role::Admin, 0).unwrap_err().rule, "GOV-02");
        assert!(not_removing_last_admin(Role::Admin, 1).is_ok());
        assert!(not_removing_last_admin(Role::Issuer, 0).is_ok());
    }

    #[test]
    fn gov03_names() {
        assert!(param_name_is_valid("minimum_wage").is_ok());
        assert!(param_name_is_valid("hourly_krw.2026").is_ok());
        for bad in ["", "Minimum", "a/b", "한글", &"x".repeat(65)] {
            assert_eq!(param_name_is_valid(bad).unwrap_err().rule, "GOV-03", "{bad}");
        }
    }

    #[test]
    fn gov04_no_retroactive_change() {
        let h = ParamHistory { versions: vec![v("2025-01-01", 10030)] };
        assert!(change_is_not_retroactive(&h, d("2026-01-01"), d("2025-08-05")).is_ok());
        assert_eq!(change_is_not_retroactive(&h, d("2024-12-31"), d("2025-08-05")).unwrap_err().rule, "GOV-04");
        let h2 = ParamHistory { versions: vec![v("2025-08-05", 1)] };
        assert!(change_is_not_retroactive(&h2, d("2025-08-05"), d("2025-08-05")).is_err(), "in force today");
        let h3 = ParamHistory { versions: vec![v("2026-01-01", 1)] };
        assert!(change_is_not_retroactive(&h3, d("2026-01-01"), d("2025-08-05")).is_ok(), "scheduled may be corrected");
    }

    #[test]
    fn gov07_validator_updates() {
        let u = |n: u8, name: &str| ValidatorUpdate {
            public_key: dojang_types::PublicKey::Ed25519([n; 32]),
            power: 1,
            name: name.into(),
        };
        assert!(validator_updates_are_well_formed(&[u(1, "district-office-2"), u(2, "seoul-city-1")]).is_ok());
        assert_eq!(validator_updates_are_well_formed(&[]).unwrap_err().rule, "GOV-07");
        assert_eq!(validator_updates_are_well_formed(&[u(1, "Kim Minsu")]).unwrap_err().rule, "GOV-07");
        assert_eq!(validator_updates_are_well_formed(&[u(1, "a"), u(1, "b")]).unwrap_err().rule, "GOV-07");
        let many: Vec<_> = (0..17).map(|n| u(n, "n")).collect();
        assert_eq!(validator_updates_are_well_formed(&many).unwrap_err().rule, "GOV-07");
    }

    #[test]
    fn gov05_minimum_wage_by_date() {
        // DOMAIN.md §2: 2025: KRW 10,030/h; 2026: KRW 10,320/h.
        let h = with_version(with_version(ParamHistory::default(), v("2026-01-01", 10320)), v("2025-01-01", 10030));
        assert_eq!(version_in_force(&h, d("2025-12-31")).unwrap().value, 10030);
        assert_eq!(version_in_force(&h, d("2026-01-01")).unwrap().value, 10320);
        assert!(version_in_force(&h, d("2024-06-01")).is_none());
        let h = with_version(h, v("2026-01-01", 10400));
        assert_eq!(h.versions.len(), 2, "same date replaces");
    }

    #[test]
    fn gov06_legal_basis() {
        assert!(legal_basis_is_stated("Minimum Wage Act art. 10").is_ok());
        assert_eq!(legal_basis_is_stated("  ").unwrap_err().rule, "GOV-06");
    }
}
