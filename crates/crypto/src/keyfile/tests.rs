use serde_json::{json, Value};

use super::*;
use crate::MAX_M_KIB;

fn pass(s: &str) -> Passphrase {
    Passphrase::new(s.to_string(), "test").unwrap()
}

fn light(p: &Passphrase) -> KeyProtection<'_> {
    KeyProtection::Encrypted { passphrase: p, kdf: KdfParams::LIGHT }
}

/// An encrypted file's JSON for a fresh key of `alg`.
fn encrypted_json(alg: Algorithm, p: &Passphrase) -> (Keypair, Value) {
    let k = Keypair::generate(alg);
    let file = KeyFile::new(&k, light(p)).unwrap();
    (k, serde_json::to_value(&file).unwrap())
}

fn unlock_value(v: &Value, p: Option<&Passphrase>) -> Result<Keypair, KeyFileError> {
    let path = Path::new("k.json");
    KeyFile::parse(&v.to_string(), path)?.unlock(path, p)
}

#[test]
fn save_load_and_refuse_overwrite_and_garbage() {
    let dir = tempfile::tempdir().unwrap();
    let p = pass("correct horse");
    for alg in [Algorithm::Ed25519, Algorithm::P256] {
        for (name, protection) in [("enc", light(&p)), ("clear", KeyProtection::Clear)] {
            let path = dir.path().join(format!("{alg:?}-{name}.json"));
            let k = Keypair::generate(alg);
            KeyFile::save_new(&k, &path, protection).unwrap();
            assert_eq!(KeyFile::load_with(&path, Some(&p)).unwrap().public_key(), k.public_key());
            assert!(KeyFile::save_new(&k, &path, protection).is_err());
            #[cfg(unix)]
            {
                use std::os::unix::fs::PermissionsExt;
                assert_eq!(std::fs::metadata(&path).unwrap().permissions().mode() & 0o777, 0o600);
            }
        }
    }
    let bad = dir.path().join("bad.json");
    std::fs::write(&bad, "{not json").unwrap();
    assert!(matches!(KeyFile::load(&bad), Err(KeyFileError::Invalid { .. })));
    assert!(matches!(KeyFile::load(&dir.path().join("none")), Err(KeyFileError::Read { .. })));
}

#[test]
fn encrypted_file_keeps_public_part_in_clear_and_no_secret() {
    let p = pass("correct horse");
    let (k, v) = encrypted_json(Algorithm::P256, &p);
    assert_eq!(v["public_key"], k.public_key().to_string());
    assert_eq!(v["address"], k.public_key().address().to_string());
    assert!(v.get("secret_hex").is_none());
    let text = v.to_string();
    assert!(!text.contains(&hex::encode(k.secret_bytes())), "the secret must not appear in the file");
    assert_eq!(v["encrypted"]["kdf"], "argon2id");
    assert_eq!(v["encrypted"]["m_kib"], KdfParams::LIGHT.m_kib);
}

#[test]
fn wrong_or_missing_passphrase_is_a_typed_error() {
    let (_, v) = encrypted_json(Algorithm::Ed25519, &pass("correct horse"));
    assert!(matches!(unlock_value(&v, Some(&pass("wrong horse"))), Err(KeyFileError::WrongPassphrase { .. })));
    let e = unlock_value(&v, None).err().unwrap();
    assert!(matches!(e, KeyFileError::NeedPassphrase { .. }));
    assert!(e.to_string().contains(PASSPHRASE_FILE_ENV), "{e}");
}

#[test]
fn tampered_ciphertext_or_clear_fields_do_not_open() {
    let p = pass("correct horse");
    let (_, v) = encrypted_json(Algorithm::Ed25519, &p);
    // Flip one bit of the ciphertext.
    let mut t = v.clone();
    let mut ct = hex::decode(t["encrypted"]["ciphertext"].as_str().unwrap()).unwrap();
    ct[0] ^= 1;
    t["encrypted"]["ciphertext"] = json!(hex::encode(ct));
    assert!(matches!(unlock_value(&t, Some(&p)), Err(KeyFileError::WrongPassphrase { .. })));
    // Another key's public part pasted over this file's: the AEAD refuses.
    let (other, _) = encrypted_json(Algorithm::Ed25519, &p);
    let mut t = v.clone();
    t["public_key"] = json!(other.public_key().to_string());
    t["address"] = json!(other.public_key().address().to_string());
    assert!(matches!(unlock_value(&t, Some(&p)), Err(KeyFileError::WrongPassphrase { .. })));
    // Other salt or nonce: a different key or stream.
    for field in ["salt", "nonce"] {
        let mut t = v.clone();
        let mut b = hex::decode(t["encrypted"][field].as_str().unwrap()).unwrap();
        b[0] ^= 0x80;
        t["encrypted"][field] = json!(hex::encode(b));
        assert!(matches!(unlock_value(&t, Some(&p)), Err(KeyFileError::WrongPassphrase { .. })), "{field}");
    }
    // Other (valid) KDF parameters: a different key.
    let mut t = v.clone();
    t["encrypted"]["t"] = json!(2);
    assert!(matches!(unlock_value(&t, Some(&p)), Err(KeyFileError::WrongPassphrase { .. })));
}

#[test]
fn every_malformed_field_is_refused_as_invalid() {
    let p = pass("correct horse");
    let (_, v) = encrypted_json(Algorithm::Ed25519, &p);
    let long_ct = "00".repeat(9000);
    type Change = Box<dyn Fn(&mut Value)>;
    let cases: Vec<(&str, Change)> = vec![
        ("algorithm unknown", Box::new(|v| v["algorithm"] = json!("rsa"))),
        ("algorithm mismatch", Box::new(|v| v["algorithm"] = json!("p256"))),
        ("algorithm not a string", Box::new(|v| v["algorithm"] = json!(7))),
        ("public key not hex", Box::new(|v| v["public_key"] = json!("ed25519:zz"))),
        ("public key short", Box::new(|v| v["public_key"] = json!("ed25519:abcd"))),
        ("address wrong", Box::new(|v| v["address"] = json!("dj00"))),
        ("unknown field", Box::new(|v| v["extra"] = json!(1))),
        ("both secrets", Box::new(|v| v["secret_hex"] = json!("00"))),
        ("no secret", Box::new(|v| drop(v.as_object_mut().unwrap().remove("encrypted")))),
        ("encrypted demo", Box::new(|v| v["clear_demo_key"] = json!(true))),
        ("kdf unknown", Box::new(|v| v["encrypted"]["kdf"] = json!("scrypt"))),
        ("cipher unknown", Box::new(|v| v["encrypted"]["cipher"] = json!("aes-128-cbc"))),
        ("salt not hex", Box::new(|v| v["encrypted"]["salt"] = json!("xyz"))),
        ("salt short", Box::new(|v| v["encrypted"]["salt"] = json!("0011"))),
        ("nonce long", Box::new(|v| v["encrypted"]["nonce"] = json!("00".repeat(13)))),
        ("ciphertext not hex", Box::new(|v| v["encrypted"]["ciphertext"] = json!("q"))),
        ("ciphertext truncated", Box::new(|v| v["encrypted"]["ciphertext"] = json!("00".repeat(16)))),
        ("ciphertext huge", Box::new(move |v| v["encrypted"]["ciphertext"] = json!(long_ct.clone()))),
        ("m zero", Box::new(|v| v["encrypted"]["m_kib"] = json!(0))),
        ("t zero", Box::new(|v| v["encrypted"]["t"] = json!(0))),
        ("p zero", Box::new(|v| v["encrypted"]["p"] = json!(0))),
        ("m negative", Box::new(|v| v["encrypted"]["m_kib"] = json!(-1))),
        ("encrypted unknown field", Box::new(|v| v["encrypted"]["iv"] = json!("00"))),
        ("encrypted missing field", Box::new(|v| drop(v["encrypted"].as_object_mut().unwrap().remove("salt")))),
    ];
    for (name, change) in cases {
        let mut t = v.clone();
        change(&mut t);
        let r = unlock_value(&t, Some(&p));
        assert!(matches!(r, Err(KeyFileError::Invalid { .. })), "{name}: {:?}", r.err());
    }
}

#[test]
fn absurd_kdf_parameters_are_refused_before_any_memory_is_spent() {
    let p = pass("correct horse");
    let (_, v) = encrypted_json(Algorithm::Ed25519, &p);
    for (field, value) in
        [("m_kib", u64::from(u32::MAX)), ("m_kib", u64::from(MAX_M_KIB) + 1), ("t", 1_000_000), ("p", 255)]
    {
        let mut t = v.clone();
        t["encrypted"][field] = json!(value);
        let started = std::time::Instant::now();
        let e = unlock_value(&t, Some(&p)).err().unwrap();
        assert!(matches!(e, KeyFileError::Invalid { .. }), "{field}={value}: {e}");
        assert!(e.to_string().contains("limits"), "{e}");
        assert!(started.elapsed() < std::time::Duration::from_secs(1), "{field}={value} was not refused up front");
    }
    let mut t = v.clone();
    t["encrypted"]["m_kib"] = json!(u64::from(u32::MAX) + 1);
    assert!(matches!(unlock_value(&t, Some(&p)), Err(KeyFileError::Invalid { .. })));
}

#[test]
fn damaged_clear_files_are_refused() {
    let k = Keypair::generate(Algorithm::Ed25519);
    let v = serde_json::to_value(KeyFile::new(&k, KeyProtection::ClearDemo).unwrap()).unwrap();
    assert_eq!(v["clear_demo_key"], true);
    assert_eq!(unlock_value(&v, None).unwrap().public_key(), k.public_key());
    for bad in [json!("zz"), json!("00".repeat(31)), json!(hex::encode([7u8; 32]))] {
        let mut t = v.clone();
        t["secret_hex"] = bad.clone();
        assert!(matches!(unlock_value(&t, None), Err(KeyFileError::Invalid { .. })), "{bad}");
    }
    // Truncated files and oversized files.
    let text = v.to_string();
    for cut in [0, 1, text.len() / 2, text.len() - 1] {
        assert!(matches!(KeyFile::parse(&text[..cut], Path::new("k")), Err(KeyFileError::Invalid { .. })), "{cut}");
    }
    let dir = tempfile::tempdir().unwrap();
    let big = dir.path().join("big.json");
    std::fs::write(&big, " ".repeat(MAX_FILE_BYTES as usize + 10)).unwrap();
    assert!(matches!(KeyFile::load(&big), Err(KeyFileError::Invalid { .. })));
}

#[test]
fn legacy_plaintext_file_without_new_fields_still_loads() {
    let k = Keypair::generate(Algorithm::P256);
    let pk = k.public_key();
    let legacy = json!({"algorithm": "p256", "public_key": pk.to_string(), "address": pk.address().to_string(), "secret_hex": hex::encode(k.secret_bytes())});
    assert_eq!(unlock_value(&legacy, None).unwrap().public_key(), pk);
}

#[test]
fn encrypt_in_place_keeps_the_key_and_permissions_and_refuses_twice() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("agency.json");
    let k = Keypair::generate(Algorithm::P256);
    KeyFile::save_new(&k, &path, KeyProtection::Clear).unwrap();
    let p = pass("correct horse");
    assert_eq!(KeyFile::encrypt_in_place(&path, &p, KdfParams::LIGHT).unwrap(), k.public_key());
    let file = KeyFile::read(&path).unwrap();
    assert!(file.is_encrypted() && file.secret_hex.is_none());
    assert_eq!(KeyFile::load_with(&path, Some(&p)).unwrap().public_key(), k.public_key());
    assert!(matches!(
        KeyFile::encrypt_in_place(&path, &p, KdfParams::LIGHT),
        Err(KeyFileError::AlreadyEncrypted { .. })
    ));
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        assert_eq!(std::fs::metadata(&path).unwrap().permissions().mode() & 0o777, 0o600);
    }
    let names: Vec<_> = std::fs::read_dir(dir.path()).unwrap().map(|e| e.unwrap().file_name()).collect();
    assert_eq!(names, vec![std::ffi::OsString::from("agency.json")], "no temporary file is left behind");
}

#[test]
fn passphrase_file_takes_its_first_line_and_refuses_empty() {
    let dir = tempfile::tempdir().unwrap();
    let f = dir.path().join("pass");
    std::fs::write(&f, "correct horse\n").unwrap();
    let p = Passphrase::from_file(&f).unwrap();
    assert_eq!(p.as_bytes(), b"correct horse");
    std::fs::write(&f, "\n").unwrap();
    assert!(matches!(Passphrase::from_file(&f), Err(PassphraseError::Empty { .. })));
    assert!(matches!(Passphrase::from_file(&dir.path().join("none")), Err(PassphraseError::File { .. })));
    assert!(pass("short").check_new("test").is_err());
    assert!(pass("long enough").check_new("test").is_ok());
}
