//! Governance rules as pure functions, each named for what it checks. Rule ids (GOV-xx) are
//! cited in docs/modules/governance.md and in the tests.

use dojang_ledger::ValidatorUpdate;
use dojang_types::{is_plain_name, Address, Date, Validator};

use crate::msg::Role;
use crate::state::{ParamHistory, ParamVersion};

/// Why a governance rule refused a change.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RuleViolation {
    pub rule: &'static str,
    pub reason: String,
}

fn violation(rule: &'static str, reason: impl Into<String>) -> RuleViolation {
    RuleViolation { rule, reason: reason.into() }
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

/// GOV-16: an activation names a module (and optionally one of its message versions) by a
/// plain name, and a height; whether this release has it, needs it switched on, and the
/// height is still ahead, the ledger checks when the council executes it.
pub fn activation_is_well_formed(module: &str, version: Option<&str>) -> Result<(), RuleViolation> {
    if !dojang_types::is_plain_name(module, 64) {
        return Err(violation(
            "GOV-16",
            format!("module '{module}' must be 1-64 characters of a-z, 0-9, '_', '.', '-'"),
        ));
    }
    if let Some(v) = version {
        if !dojang_types::is_plain_name(v, 32) {
            return Err(violation(
                "GOV-16",
                format!("version '{v}' must be 1-32 characters of a-z, 0-9, '_', '.', '-'"),
            ));
        }
    }
    Ok(())
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

/// GOV-06: the legal basis is stated (1-200 characters, no personal identifier), so every
/// figure traces to the law.
pub fn legal_basis_is_stated(basis: &str) -> Result<(), RuleViolation> {
    if basis.trim().is_empty() || basis.len() > 200 || basis.chars().any(char::is_control) {
        Err(violation("GOV-06", "legal_basis must name the statute or notice (1-200 characters, one line)"))
    } else if looks_like_personal_identifier(basis) {
        Err(violation("GOV-06", "legal_basis may not carry an e-mail address or a long number"))
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

/// The largest council: every member's vote is a transaction, and a council is a handful of
/// agencies, not an electorate.
pub const MAX_COUNCIL: usize = 31;

/// The longest a proposal may stay open: 30 days of chain time.
pub const MAX_PROPOSAL_LIFETIME_MS: u64 = 30 * 24 * 3_600_000;

/// GOV-08: only council members propose, approve and reject.
pub fn sender_is_member(is_member: bool) -> Result<(), RuleViolation> {
    if is_member {
        Ok(())
    } else {
        Err(violation("GOV-08", "only a member of the governing council may propose, approve or reject"))
    }
}

/// GOV-09: a proposal expires after the block it is made in and at most 30 days later; once
/// expired it can be neither approved nor executed.
pub fn expiry_is_valid(expires_at_ms: u64, now_ms: u64) -> Result<(), RuleViolation> {
    if expires_at_ms <= now_ms {
        return Err(violation("GOV-09", format!("expiry {expires_at_ms} ms is not after the block time {now_ms} ms")));
    }
    if expires_at_ms - now_ms > MAX_PROPOSAL_LIFETIME_MS {
        return Err(violation("GOV-09", "a proposal may stay open at most 30 days"));
    }
    Ok(())
}

/// GOV-09: a proposal is still open to votes at `now_ms`.
pub fn proposal_is_open(expires_at_ms: u64, now_ms: u64) -> Result<(), RuleViolation> {
    if now_ms < expires_at_ms {
        Ok(())
    } else {
        Err(violation("GOV-09", "the proposal has expired; it can no longer pass (propose it again)"))
    }
}

/// GOV-11: a council can always decide and never splits: 1 to 31 distinct members, at least
/// the genesis minimum, a threshold that is a strict majority and reachable.
pub fn council_is_workable(members: &[Address], threshold: u32, min_members: u32) -> Result<(), RuleViolation> {
    let n = members.len();
    if n == 0 || n > MAX_COUNCIL {
        return Err(violation("GOV-11", format!("a council has 1 to {MAX_COUNCIL} members, not {n}")));
    }
    if (1..n).any(|i| members[..i].contains(&members[i])) {
        return Err(violation("GOV-11", "a council member is listed twice"));
    }
    if (n as u64) < u64::from(min_members) {
        return Err(violation("GOV-11", format!("the council may not shrink below {min_members} members")));
    }
    if threshold as usize > n || (threshold as usize) * 2 <= n {
        return Err(violation(
            "GOV-11",
            format!("the threshold must be a strict majority of the {n} members and at most {n}, not {threshold}"),
        ));
    }
    Ok(())
}

/// GOV-12: one change moves at most a third of the voting power of the set that decides the
/// block (the sum of every validator's power change, added, removed or adjusted), so the
/// validators a client trusted at the start of the block still hold more than two thirds.
pub fn power_moved_is_bounded(before: &[Validator], after: &[Validator]) -> Result<(), RuleViolation> {
    let power =
        |set: &[Validator], a: &Address| set.iter().find(|v| v.address == *a).map_or(0u128, |v| u128::from(v.power));
    let total: u128 = before.iter().map(|v| u128::from(v.power)).sum();
    let moved: u128 = before
        .iter()
        .chain(after.iter())
        .map(|v| v.address)
        .collect::<std::collections::BTreeSet<_>>()
        .iter()
        .map(|a| power(before, a).abs_diff(power(after, a)))
        .sum();
    if moved * 3 > total {
        return Err(violation(
            "GOV-12",
            format!(
                "this change moves {moved} of {total} voting power; one proposal may move at most a third: split it into steps"
            ),
        ));
    }
    Ok(())
}

/// GOV-15: a proposal states its reason: 1-300 characters of plain text, no control
/// characters, and nothing shaped like a personal identifier (it is public forever; it names
/// agencies and statutes, never people).
pub fn reason_is_stated(reason: &str) -> Result<(), RuleViolation> {
    let n = reason.chars().count();
    if reason.trim().is_empty() || n > 300 || reason.chars().any(char::is_control) {
        return Err(violation("GOV-15", "a proposal's reason is 1-300 characters of plain text on one line"));
    }
    if looks_like_personal_identifier(reason) {
        return Err(violation(
            "GOV-15",
            "a proposal's reason may not carry an e-mail address or a long number (a resident, phone or account number)",
        ));
    }
    Ok(())
}

/// A cheap screen for what must never be on the ledger (docs/architecture.md, personal data) in free text: an e-mail
/// address, or nine or more digits written as one number, possibly split by `-`, `.`, spaces
/// or parentheses (resident registration numbers have 13, phone numbers 9-11, account numbers
/// 10-14). Dates (8 digits) and statute numbers pass.
pub fn looks_like_personal_identifier(text: &str) -> bool {
    if text.contains('@') {
        return true;
    }
    let mut digits = 0;
    for c in text.chars() {
        if c.is_ascii_digit() {
            digits += 1;
            if digits >= 9 {
                return true;
            }
        } else if !matches!(c, '-' | '.' | ' ' | '(' | ')') {
            digits = 0;
        }
    }
    false
}

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
    use crate::msg::ParamValue;

    fn d(s: &str) -> Date {
        s.parse().unwrap()
    }

    fn v(date: &str, value: u64) -> ParamVersion {
        ParamVersion {
            effective_from: d(date),
            value: ParamValue::Krw(value),
            legal_basis: "x".into(),
            set_by: None,
            height: 0,
        }
    }

    fn member(n: u8) -> Address {
        Address([n; 20])
    }

    fn validator(n: u8, power: u64) -> Validator {
        Validator {
            address: Address([n; 20]),
            public_key: dojang_types::PublicKey::Ed25519([n; 32]),
            power,
            name: format!("node-{n}"),
        }
    }

    #[test]
    fn gov08_only_members_vote() {
        assert!(sender_is_member(true).is_ok());
        assert_eq!(sender_is_member(false).unwrap_err().rule, "GOV-08");
    }

    #[test]
    fn gov09_expiry_after_now_and_within_thirty_days() {
        assert!(expiry_is_valid(1_001, 1_000).is_ok());
        assert!(expiry_is_valid(1_000 + MAX_PROPOSAL_LIFETIME_MS, 1_000).is_ok());
        for bad in [1_000, 999, 1_001 + MAX_PROPOSAL_LIFETIME_MS] {
            assert_eq!(expiry_is_valid(bad, 1_000).unwrap_err().rule, "GOV-09", "{bad}");
        }
        assert!(proposal_is_open(2_000, 1_999).is_ok());
        assert_eq!(proposal_is_open(2_000, 2_000).unwrap_err().rule, "GOV-09");
    }

    #[test]
    fn gov11_council_is_workable() {
        let five: Vec<Address> = (1..=5).map(member).collect();
        assert!(council_is_workable(&five, 3, 3).is_ok());
        assert!(council_is_workable(&five, 5, 3).is_ok());
        assert!(council_is_workable(&[member(1)], 1, 1).is_ok(), "a development council of one");
        for (members, threshold, min) in [
            (five.clone(), 2, 3),                          // not a majority: two halves could each pass
            (five.clone(), 6, 3),                          // unreachable
            (five[..2].to_vec(), 2, 3),                    // below the genesis minimum
            (vec![], 0, 0),                                // empty
            (vec![member(1), member(1), member(2)], 2, 1), // duplicate
            ((0..32).map(member).collect(), 17, 3),        // too large
        ] {
            assert_eq!(council_is_workable(&members, threshold, min).unwrap_err().rule, "GOV-11", "{members:?}");
        }
    }

    #[test]
    fn gov12_one_change_moves_at_most_a_third_of_the_power() {
        let before = vec![validator(1, 100)];
        let add = |n, p| [before.clone(), vec![validator(n, p)]].concat();
        assert!(power_moved_is_bounded(&before, &add(2, 33)).is_ok());
        assert_eq!(power_moved_is_bounded(&before, &add(2, 34)).unwrap_err().rule, "GOV-12");
        let four: Vec<Validator> = (1..=4).map(|n| validator(n, 10)).collect();
        assert!(power_moved_is_bounded(&four, &four[1..]).is_ok(), "removing one of four moves a quarter");
        assert_eq!(power_moved_is_bounded(&four, &four[2..]).unwrap_err().rule, "GOV-12", "two of four is half");
        let mut shifted = four.clone();
        shifted[0].power = 15;
        shifted[1].power = 7;
        assert!(power_moved_is_bounded(&four, &shifted).is_ok(), "5 up and 3 down is 8 of 40");
        shifted[1].power = 0;
        assert_eq!(power_moved_is_bounded(&four, &shifted).unwrap_err().rule, "GOV-12", "5 + 10 of 40");
        assert!(power_moved_is_bounded(&[validator(1, 1)], &[validator(1, 1), validator(2, 1)]).is_err());
    }

    #[test]
    fn gov15_reason_is_plain_text_without_identifiers() {
        for ok in [
            "Minimum Wage Notice for 2027",
            "effective 2027-01-01 to 2027-12-31",
            "Act No. 20519, art. 13(1)",
            "district office 2 joins; 3 of 5",
        ] {
            assert!(reason_is_stated(ok).is_ok(), "{ok}");
        }
        for bad in [
            "",
            "   ",
            "line\nbreak",
            &"x".repeat(301),
            "for 900101-1234567",
            "call 010-1234-5678",
            "call 02 123 4567",
            "account 110.123.456789",
            "mail kim@example.kr",
        ] {
            assert_eq!(reason_is_stated(bad).unwrap_err().rule, "GOV-15", "{bad}");
        }
        assert_eq!(legal_basis_is_stated("notice by 010-9876-5432").unwrap_err().rule, "GOV-06");
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
        // docs/domain.md §2: 2025: KRW 10,030/h; 2026: KRW 10,320/h.
        let h = with_version(with_version(ParamHistory::default(), v("2026-01-01", 10320)), v("2025-01-01", 10030));
        assert_eq!(version_in_force(&h, d("2025-12-31")).unwrap().value, ParamValue::Krw(10030));
        assert_eq!(version_in_force(&h, d("2026-01-01")).unwrap().value, ParamValue::Krw(10320));
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
