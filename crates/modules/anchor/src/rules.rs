//! Anchor rules (ANC-xx), pure functions.

/// ANC-03: the roles that may anchor: offices and agencies, never an unregistered key.
pub const ANCHORING_ROLES: &[&str] = &["admin", "issuer", "verifier", "auditor"];

/// ANC-01: a namespace is 1-96 characters of `a-z 0-9 _ . -`, so it can never carry a name
/// or other personal text by accident of free-form input.
pub fn namespace_is_valid(ns: &str) -> Result<(), String> {
    if dojang_types::is_plain_name(ns, 96) {
        Ok(())
    } else {
        Err(format!("ANC-01: namespace '{ns}' must be 1-96 characters of a-z, 0-9, '_', '.', '-'"))
    }
}

/// ANC-02: a batch has at least one leaf and at most 2^32 (a bound on proof length).
pub fn leaf_count_is_valid(leaves: u64) -> Result<(), String> {
    if (1..=1u64 << 32).contains(&leaves) {
        Ok(())
    } else {
        Err(format!("ANC-02: a batch has 1 to 2^32 leaves, not {leaves}"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn anc01_namespaces() {
        assert!(namespace_is_valid("eligibility.public-works.2026").is_ok());
        for bad in ["", "Kim Minsu", "a/b", "이름", &"a".repeat(97)] {
            assert!(namespace_is_valid(bad).unwrap_err().starts_with("ANC-01"), "{bad}");
        }
    }

    #[test]
    fn anc02_leaf_counts() {
        assert!(leaf_count_is_valid(1).is_ok());
        assert!(leaf_count_is_valid(1 << 32).is_ok());
        assert!(leaf_count_is_valid(0).is_err());
        assert!(leaf_count_is_valid((1 << 32) + 1).is_err());
    }
}
