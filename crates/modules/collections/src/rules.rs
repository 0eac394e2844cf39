//! Collection rules (COL-xx, docs/modules/collections.md), pure functions.

use dojang_types::{sha256, Address, Hash};

/// COL-01: the longest collection id.
pub const MAX_ID_LEN: usize = 32;
/// COL-01: a record key is this many lowercase hex digits (128 random bits).
pub const KEY_LEN: usize = 32;
/// COL-02: the most member organisations of one collection.
pub const MAX_MEMBERS: usize = 16;
/// COL-02: the longest retention, in days (a hundred years).
pub const MAX_RETENTION_DAYS: u32 = 36_500;
/// COL-05: the length of the salt a member node draws for each payload.
pub const SALT_LEN: usize = 32;
pub const DAY_MS: u64 = 86_400_000;

const COMMITMENT_DOMAIN: &[u8] = b"dojang/collections/commitment/v1";

/// COL-01: a collection id (chosen by the council, public) is a plain name that starts with a
/// letter or digit (so it is never `.`, `..` or hidden) and holds no run of nine digits.
pub fn id_is_valid(id: &str) -> Result<(), String> {
    let longest_digits = id.split(|c: char| !c.is_ascii_digit()).map(str::len).max().unwrap_or(0);
    let starts_plain = id.bytes().next().is_some_and(|b| b.is_ascii_lowercase() || b.is_ascii_digit());
    if dojang_types::is_plain_name(id, MAX_ID_LEN) && starts_plain && longest_digits < 9 {
        Ok(())
    } else {
        Err(format!(
            "COL-01: collection id '{id}' must be 1-{MAX_ID_LEN} characters of a-z, 0-9, '_', '.', '-', start with a letter or digit, and hold no run of nine digits"
        ))
    }
}

/// COL-01: a record key is 32 lowercase hex digits drawn at random by the member's node, so
/// it can never carry a name, a case number or any other fact about a person; the member keeps
/// its own mapping from its cases to keys.
pub fn key_is_valid(key: &str) -> Result<(), String> {
    if key.len() == KEY_LEN && key.bytes().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b)) {
        Ok(())
    } else {
        Err(format!("COL-01: record key '{key}' must be {KEY_LEN} lowercase hex digits, as a member's node draws it"))
    }
}

/// A fresh record key (COL-01).
pub fn random_key(random: [u8; KEY_LEN / 2]) -> String {
    random.iter().map(|b| format!("{b:02x}")).collect()
}

/// COL-02: 1-16 distinct members; erasure needs 1 to all of them; records kept 1 day to a
/// hundred years.
pub fn definition_is_valid(members: &[Address], erasure_approvals: u32, retention_days: u32) -> Result<(), String> {
    let mut distinct = members.to_vec();
    distinct.sort();
    distinct.dedup();
    if members.is_empty() || members.len() > MAX_MEMBERS || distinct.len() != members.len() {
        return Err(format!("COL-02: a collection has 1-{MAX_MEMBERS} distinct members, not {}", members.len()));
    }
    if erasure_approvals == 0 || erasure_approvals as usize > members.len() {
        return Err(format!("COL-02: erasure needs 1 to {} member requests, not {erasure_approvals}", members.len()));
    }
    if !(1..=MAX_RETENTION_DAYS).contains(&retention_days) {
        return Err(format!("COL-02: retention is 1-{MAX_RETENTION_DAYS} days, not {retention_days}"));
    }
    Ok(())
}

/// COL-05: the commitment to a payload: SHA-256 over a fixed domain, the collection and key
/// (length-prefixed, so no two pairs share bytes), the 32-byte salt and the payload. Without
/// the salt nobody can test a guess of the payload against it; once the salt is purged, nobody
/// ever can.
pub fn commitment(collection: &str, key: &str, salt: &[u8; SALT_LEN], payload: &[u8]) -> Hash {
    sha256(&[
        COMMITMENT_DOMAIN,
        &(collection.len() as u32).to_be_bytes(),
        collection.as_bytes(),
        &(key.len() as u32).to_be_bytes(),
        key.as_bytes(),
        salt,
        payload,
    ])
}

/// The deadline key of a record's retention: `<collection>/<key>`.
pub fn deadline_key(collection: &str, key: &str) -> Vec<u8> {
    format!("{collection}/{key}").into_bytes()
}

/// The record a deadline key names, if it is well formed.
pub fn parse_deadline_key(k: &[u8]) -> Option<(&str, &str)> {
    let s = std::str::from_utf8(k).ok()?;
    let (c, key) = s.split_once('/')?;
    (id_is_valid(c).is_ok() && key_is_valid(key).is_ok()).then_some((c, key))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn addr(b: u8) -> Address {
        Address([b; 20])
    }

    #[test]
    fn col01_ids_are_plain_and_keys_are_random_hex_that_carry_nothing_about_a_person() {
        assert!(id_is_valid("labour-contracts").is_ok());
        assert!(id_is_valid("car.history-2026").is_ok());
        for bad in ["", ".", "..", ".hidden", "-x", "_x", "Labour", "a/b", "acct-123456789", &"c".repeat(33)] {
            assert!(id_is_valid(bad).unwrap_err().starts_with("COL-01"), "{bad}");
        }
        let key = random_key([0xab; KEY_LEN / 2]);
        assert_eq!(key.len(), KEY_LEN);
        assert!(key_is_valid(&key).is_ok());
        assert!(key_is_valid("0123456789abcdef0123456789abcdef").is_ok());
        for bad in [
            "",
            "contract-2026-000017",
            "kim-minsu",
            "worker-900101-1234567",
            "010-1234-5678",
            "0123456789ABCDEF0123456789ABCDEF",
            "0123456789abcdef0123456789abcde",
            "0123456789abcdef0123456789abcdef0",
            "../../../../../../data/ledger.redb",
        ] {
            assert!(key_is_valid(bad).unwrap_err().starts_with("COL-01"), "{bad}");
        }
    }

    #[test]
    fn col02_definitions() {
        assert!(definition_is_valid(&[addr(1), addr(2)], 2, 1095).is_ok());
        assert!(definition_is_valid(&[addr(1)], 1, 1).is_ok());
        for (members, approvals, days) in [
            (vec![], 1, 10),
            (vec![addr(1), addr(1)], 1, 10),
            ((0..17).map(addr).collect(), 1, 10),
            (vec![addr(1), addr(2)], 0, 10),
            (vec![addr(1), addr(2)], 3, 10),
            (vec![addr(1)], 1, 0),
            (vec![addr(1)], 1, MAX_RETENTION_DAYS + 1),
        ] {
            assert!(definition_is_valid(&members, approvals, days).unwrap_err().starts_with("COL-02"));
        }
    }

    #[test]
    fn col05_the_commitment_binds_collection_key_salt_and_payload() {
        let salt = [7u8; SALT_LEN];
        let c = commitment("labour", "c-1", &salt, b"payload");
        assert_eq!(c, commitment("labour", "c-1", &salt, b"payload"));
        assert_ne!(c, commitment("labour", "c-2", &salt, b"payload"));
        assert_ne!(c, commitment("labou", "rc-1", &salt, b"payload"), "length prefixes keep pairs apart");
        assert_ne!(c, commitment("labour", "c-1", &[8u8; SALT_LEN], b"payload"));
        assert_ne!(c, commitment("labour", "c-1", &salt, b"payloaD"));
        assert_ne!(c, sha256(&[b"payload"]), "never the bare hash of the payload");
        // The vector the TypeScript SDK checks too (sdk-ts/test/labour.test.ts).
        let v = commitment(
            "labour-contracts",
            "0123456789abcdef0123456789abcdef",
            &salt,
            "{\"kind\":\"x\",\"임금\":1}".as_bytes(),
        );
        assert_eq!(v.to_hex(), "e5df811d6582d37f9371c89b5debda31330d199e156ebe82d68e26e05cda4fff");
    }

    #[test]
    fn deadline_keys_round_trip_and_malformed_ones_are_refused() {
        let key = random_key([7; KEY_LEN / 2]);
        assert_eq!(parse_deadline_key(&deadline_key("labour", &key)), Some(("labour", key.as_str())));
        assert!(deadline_key(&"c".repeat(MAX_ID_LEN), &key).len() <= 128);
        for bad in [&b"labour"[..], b"Labour/c-1", b"labour/", b"labour/c-1", b"\xff/x"] {
            assert_eq!(parse_deadline_key(bad), None);
        }
    }
}
