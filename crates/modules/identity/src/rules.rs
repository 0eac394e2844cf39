//! Identity rules (ID-xx), pure functions. Each returns the reason a message is refused,
//! starting with its rule id.

use dojang_credentials::DcqlQuery;
use dojang_types::{is_plain_name, PublicKey};

use crate::state::{KeyRecord, OrgRecord, Standing};

pub type Verdict = Result<(), String>;

/// ID-01: an organisation identifier is a did:web name (`did:web:host[:path]...`), lower case,
/// at most 120 characters. Only organisations are registered, never people.
pub fn did_is_valid(did: &str) -> Verdict {
    let ok = did.len() <= 120
        && did.strip_prefix("did:web:").is_some_and(|rest| {
            let mut parts = rest.split(':');
            let host_ok = parts.next().is_some_and(|h| {
                !h.is_empty()
                    && h.contains('.')
                    && h.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '.' || c == '-')
            });
            host_ok && parts.all(|p| is_plain_name(p, 64))
        });
    if ok {
        Ok(())
    } else {
        Err(format!(
            "ID-01: '{did}' is not a did:web identifier (did:web:<lower-case host>[:<path>], ≤ 120 characters)"
        ))
    }
}

/// ID-01: key ids and policy ids are plain names.
pub fn name_is_valid(what: &str, name: &str) -> Verdict {
    if is_plain_name(name, 64) {
        Ok(())
    } else {
        Err(format!("ID-01: {what} '{name}' must be 1-64 characters of a-z, 0-9, '_', '.', '-'"))
    }
}

/// ID-01: a credential type (`vct`) is a URN or an https URL without spaces, ≤ 120 characters.
pub fn vct_is_valid(vct: &str) -> Verdict {
    let charset = vct.chars().all(|c| c.is_ascii_alphanumeric() || ":._-/".contains(c));
    if (vct.starts_with("urn:") || vct.starts_with("https://")) && vct.len() <= 120 && charset {
        Ok(())
    } else {
        Err(format!("ID-01: credential type '{vct}' must be a urn: or https:// identifier of ≤ 120 plain characters"))
    }
}

/// ID-02: only accounts governance trusts with an issuer, verifier or admin role register
/// organisations.
pub fn sender_may_register(is_issuer: bool, is_verifier: bool, is_admin: bool) -> Verdict {
    if is_issuer || is_verifier || is_admin {
        Ok(())
    } else {
        Err("ID-02: registering an organisation needs the issuer, verifier or admin role (ask a governance admin)"
            .into())
    }
}

/// ID-03: only an organisation's controller changes it or acts for it.
pub fn sender_controls(org: &OrgRecord, sender: &dojang_types::Address) -> Verdict {
    if &org.controller == sender {
        Ok(())
    } else {
        Err(format!("ID-03: {} is controlled by {}, not by {sender}", org.did, org.controller))
    }
}

/// ID-04: a new key has a kid the organisation never used and a P-256 or Ed25519 key, and is
/// not back-dated (an old signature must not become valid by adding a key later).
pub fn new_key_is_acceptable(org: &OrgRecord, kid: &str, key: &PublicKey, valid_from_ms: u64, now_ms: u64) -> Verdict {
    name_is_valid("key id", kid)?;
    if org.keys.iter().any(|k| k.kid == kid) {
        return Err(format!("ID-04: {} already had a key '{kid}'; key ids are never reused", org.did));
    }
    if org.keys.iter().any(|k| &k.public_key == key) {
        return Err(format!("ID-04: this public key is already registered for {}", org.did));
    }
    if valid_from_ms < now_ms {
        return Err("ID-04: a key cannot be valid before it is registered".into());
    }
    Ok(())
}

/// ID-04: a key is ended at most once by rotation, and a revocation can only move its end
/// earlier, never before it began.
pub fn key_end_is_acceptable(key: &KeyRecord, end_ms: u64) -> Verdict {
    if end_ms < key.valid_from_ms {
        return Err(format!("ID-04: key '{}' began at {}; it cannot end before that", key.kid, key.valid_from_ms));
    }
    if key.revoked {
        return Err(format!("ID-04: key '{}' is already revoked", key.kid));
    }
    Ok(())
}

/// ID-05: only the root's controller accredits and defines credential types.
pub fn sender_is_root(root: Option<&OrgRecord>, sender: &dojang_types::Address) -> Verdict {
    match root {
        None => Err("ID-05: no trust root is set (a governance admin sends set_root first)".into()),
        Some(r) if &r.controller == sender => Ok(()),
        Some(r) => Err(format!("ID-05: only the root {}'s controller accredits issuers and registers types", r.did)),
    }
}

/// ID-05: accreditation moves Active ⇄ Suspended, and either to Revoked (final).
pub fn standing_change_is_allowed(now: Standing, to: &str) -> Verdict {
    match (now, to) {
        (Standing::Active, "suspend") | (Standing::Suspended { .. }, "reinstate") => Ok(()),
        (Standing::Active | Standing::Suspended { .. }, "revoke") => Ok(()),
        (Standing::Revoked { .. }, _) => {
            Err("ID-05: a revoked accreditation is final; accredit again for a new period".into())
        }
        (s, to) => Err(format!("ID-05: cannot {to} an accreditation that is {s:?}")),
    }
}

/// ID-06: status list versions go up by one, so nobody can skip or rewrite a version.
pub fn status_version_follows(previous: Option<u64>, version: u64) -> Verdict {
    let want = previous.map_or(1, |p| p + 1);
    if version == want {
        Ok(())
    } else {
        Err(format!("ID-06: the next version of this status list is {want}, not {version}"))
    }
}

/// ID-06: a status list URI is an https URL of plain characters.
pub fn status_uri_is_valid(uri: &str) -> Verdict {
    let charset = uri.chars().all(|c| c.is_ascii_alphanumeric() || ":._-/".contains(c));
    let scheme = uri.starts_with("https://") || uri.starts_with("http://");
    if scheme && charset && uri.len() <= 200 {
        return Ok(());
    }
    Err(format!("ID-06: status list URI '{uri}' must be an http(s) URL of ≤ 200 plain characters"))
}

/// ID-07: a policy states its legal basis and purpose (bounded plain text, no one's name has a
/// reason to be there), a retention between 1 day and 10 years, and a valid DCQL query.
pub fn policy_is_well_formed(
    legal_basis: &str,
    purpose: &str,
    retention_days: u32,
    dcql: &serde_json::Value,
) -> Verdict {
    for (what, text) in [("legal basis", legal_basis), ("purpose", purpose)] {
        if text.trim().is_empty() || text.chars().count() > 200 {
            return Err(format!("ID-07: the policy's {what} must be stated in 1-200 characters"));
        }
    }
    if !(1..=3650).contains(&retention_days) {
        return Err(format!("ID-07: retention of {retention_days} days is outside 1-3650"));
    }
    DcqlQuery::parse(dcql).map(|_| ()).map_err(|e| format!("ID-07: {e}"))
}

/// ID-08: type metadata is names only: claim names are plain, a type lists each once.
pub fn claim_names_are_plain(names: &[String]) -> Verdict {
    if names.len() > 64 {
        return Err("ID-08: a type lists at most 64 claims".into());
    }
    if let Some(bad) = names.iter().find(|n| !is_plain_name(n, 64)) {
        return Err(format!("ID-08: claim name '{bad}' must be 1-64 characters of a-z, 0-9, '_', '.', '-'"));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn id01_identifiers() {
        for good in ["did:web:mois.go.kr", "did:web:seoul.go.kr:youth", "did:web:income.seoul.go.kr"] {
            assert!(did_is_valid(good).is_ok(), "{good}");
        }
        for bad in [
            "",
            "did:web:",
            "did:key:z6Mk",
            "did:web:Kim Minsu",
            "did:web:localhost",
            "did:web:a.kr:Hong",
            "did:web:한국.kr",
        ] {
            assert!(did_is_valid(bad).unwrap_err().starts_with("ID-01"), "{bad}");
        }
        assert!(vct_is_valid("urn:dojang:income-band:1").is_ok());
        assert!(vct_is_valid("https://credentials.seoul.go.kr/resident/1").is_ok());
        assert!(vct_is_valid("income band").is_err());
        assert!(name_is_valid("key id", "key-2026-01").is_ok());
        assert!(name_is_valid("key id", "Key 1").is_err());
    }

    #[test]
    fn id02_and_id05_who_may_act() {
        assert!(sender_may_register(false, false, false).unwrap_err().starts_with("ID-02"));
        assert!(sender_may_register(true, false, false).is_ok());
        assert!(sender_is_root(None, &dojang_types::Address([1; 20])).unwrap_err().starts_with("ID-05"));
    }

    fn org() -> OrgRecord {
        OrgRecord {
            did: "did:web:mois.go.kr".into(),
            controller: dojang_types::Address([1; 20]),
            keys: vec![KeyRecord {
                kid: "k1".into(),
                public_key: PublicKey::Ed25519([7; 32]),
                valid_from_ms: 100,
                valid_until_ms: None,
                revoked: false,
            }],
            registered_height: 1,
        }
    }

    #[test]
    fn id03_only_the_controller() {
        assert!(sender_controls(&org(), &dojang_types::Address([1; 20])).is_ok());
        assert!(sender_controls(&org(), &dojang_types::Address([2; 20])).unwrap_err().starts_with("ID-03"));
    }

    #[test]
    fn id04_key_history() {
        let o = org();
        assert!(new_key_is_acceptable(&o, "k2", &PublicKey::Ed25519([8; 32]), 500, 500).is_ok());
        assert!(new_key_is_acceptable(&o, "k1", &PublicKey::Ed25519([8; 32]), 500, 500)
            .unwrap_err()
            .starts_with("ID-04"));
        assert!(new_key_is_acceptable(&o, "k2", &PublicKey::Ed25519([7; 32]), 500, 500).is_err());
        assert!(new_key_is_acceptable(&o, "k2", &PublicKey::Ed25519([8; 32]), 400, 500).is_err(), "back-dated");
        assert!(key_end_is_acceptable(&o.keys[0], 50).is_err());
        assert!(key_end_is_acceptable(&o.keys[0], 150).is_ok());
        let mut revoked = o.keys[0].clone();
        revoked.revoked = true;
        assert!(key_end_is_acceptable(&revoked, 150).is_err());
    }

    #[test]
    fn id05_standing_transitions() {
        assert!(standing_change_is_allowed(Standing::Active, "suspend").is_ok());
        assert!(standing_change_is_allowed(Standing::Suspended { since_ms: 1 }, "reinstate").is_ok());
        assert!(standing_change_is_allowed(Standing::Active, "reinstate").is_err());
        assert!(standing_change_is_allowed(Standing::Revoked { since_ms: 1 }, "reinstate").is_err());
        assert!(standing_change_is_allowed(Standing::Suspended { since_ms: 1 }, "revoke").is_ok());
    }

    #[test]
    fn id06_status_versions_and_uris() {
        assert!(status_version_follows(None, 1).is_ok());
        assert!(status_version_follows(Some(4), 5).is_ok());
        assert!(status_version_follows(Some(4), 4).unwrap_err().starts_with("ID-06"));
        assert!(status_version_follows(None, 2).is_err());
        assert!(status_uri_is_valid("https://mois.go.kr/status/1").is_ok());
        assert!(status_uri_is_valid("ftp://x").is_err());
        assert!(status_uri_is_valid("https://x/a b").is_err());
    }

    #[test]
    fn id07_policies() {
        let q =
            serde_json::json!({"credentials": [{"id": "r", "format": "dc+sd-jwt", "meta": {"vct_values": ["urn:x"]}}]});
        assert!(policy_is_well_formed("Act art. 3", "selection", 365, &q).is_ok());
        assert!(policy_is_well_formed("", "selection", 365, &q).unwrap_err().starts_with("ID-07"));
        assert!(policy_is_well_formed("Act", "selection", 0, &q).is_err());
        assert!(policy_is_well_formed("Act", "selection", 365, &serde_json::json!({"credentials": []})).is_err());
    }

    #[test]
    fn id08_claim_names() {
        assert!(claim_names_are_plain(&["income_le_65pct".into()]).is_ok());
        assert!(claim_names_are_plain(&["Hong Gildong".into()]).unwrap_err().starts_with("ID-08"));
    }
}
