//! The PKCS#11 signer against a real token: SoftHSM2 (Debian's `softhsm2`, installed by
//! scripts/softhsm.sh, which scripts/test.sh runs). These tests fail, never skip, when the
//! module is missing.

use std::path::PathBuf;
use std::sync::OnceLock;

use dojang_crypto::{verify, verify_txs, Algorithm, Signer};
use dojang_pkcs11::softhsm::SoftHsm;
use dojang_pkcs11::{Pkcs11Config, Pkcs11Error, Pkcs11Signer};
use dojang_types::{PublicKey, TxBody};

const TOKEN: &str = "dojang-test";
const LOCKED_TOKEN: &str = "dojang-locked";
const PIN: &str = "123456";

struct Fixture {
    hsm: SoftHsm,
    dir: PathBuf,
}

/// One token for the whole test process: SoftHSM reads `SOFTHSM2_CONF` when the module is
/// first initialized, and a process initializes it once.
fn fixture() -> &'static Fixture {
    static F: OnceLock<Fixture> = OnceLock::new();
    F.get_or_init(|| {
        let dir = tempfile::tempdir().expect("temp dir").keep();
        let hsm = SoftHsm::create(&dir).unwrap_or_else(|e| panic!("{e}"));
        hsm.init_token(TOKEN, "654321", PIN).unwrap_or_else(|e| panic!("{e}"));
        // Logging in is per process and token: a token nobody opens with the right PIN checks
        // that a wrong one is refused.
        hsm.init_token(LOCKED_TOKEN, "654321", PIN).unwrap_or_else(|e| panic!("{e}"));
        std::env::set_var("SOFTHSM2_CONF", &hsm.conf);
        Fixture { hsm, dir }
    })
}

fn config(label: &str) -> Pkcs11Config {
    let f = fixture();
    let pin_file = f.dir.join("pin");
    std::fs::write(&pin_file, format!("{PIN}\n")).unwrap();
    Pkcs11Config {
        module: f.hsm.module.clone(),
        token: TOKEN.into(),
        key_label: label.into(),
        pin_file: Some(pin_file),
    }
}

fn sign_and_verify(alg: Algorithm, label: &str) {
    let signer = Pkcs11Signer::generate(&config(label), PIN, alg).unwrap();
    let pk = signer.public_key();
    assert_eq!(pk.algorithm(), alg.name());
    for msg in [b"".as_slice(), b"a vote", &[7u8; 5000]] {
        let sig = signer.sign(msg).unwrap();
        assert!(verify(&pk, msg, &sig), "{alg:?} signature over {} bytes does not verify", msg.len());
        let mut other = msg.to_vec();
        other.push(0);
        assert!(!verify(&pk, &other, &sig));
    }
    // A transaction signed in the HSM passes the ledger's batch verifier.
    let body = TxBody {
        chain_id: "c".into(),
        sender: pk.clone(),
        nonce: 1,
        expires_at_ms: 1,
        module: "anchor".into(),
        msg: b"{}".to_vec(),
    };
    let tx = signer.sign_tx(body).unwrap();
    assert_eq!(verify_txs(&[&tx]), vec![true]);
    // Reopened by label with the PIN from the file: the same key.
    let again = Pkcs11Signer::open(&config(label)).unwrap();
    assert_eq!(again.public_key(), pk);
    assert!(verify(&pk, b"again", &again.sign(b"again").unwrap()));
}

#[test]
fn ed25519_key_in_softhsm_signs_what_our_verifier_accepts() {
    sign_and_verify(Algorithm::Ed25519, "ed-key");
}

#[test]
fn p256_key_in_softhsm_signs_what_our_verifier_accepts() {
    sign_and_verify(Algorithm::P256, "p256-key");
}

#[test]
fn wrong_pin_token_label_or_module_are_clear_errors() {
    let good = config("err-key");
    Pkcs11Signer::generate(&good, PIN, Algorithm::Ed25519).unwrap();
    let locked = Pkcs11Config { token: LOCKED_TOKEN.into(), ..good.clone() };
    let e = Pkcs11Signer::open_with_pin(&locked, "000000").unwrap_err();
    assert!(matches!(e, Pkcs11Error::Login { .. }), "{e}");
    let e = Pkcs11Signer::open(&Pkcs11Config { token: "nope".into(), ..good.clone() }).unwrap_err();
    assert!(
        matches!(&e, Pkcs11Error::TokenNotFound { available, .. } if available.contains(&TOKEN.to_string())),
        "{e}"
    );
    let e = Pkcs11Signer::open(&Pkcs11Config { key_label: "missing".into(), ..good.clone() }).unwrap_err();
    assert!(matches!(e, Pkcs11Error::KeyNotFound { found: 0, .. }), "{e}");
    let e =
        Pkcs11Signer::open(&Pkcs11Config { module: "/nonexistent/libpkcs11.so".into(), ..good.clone() }).unwrap_err();
    assert!(matches!(e, Pkcs11Error::Module { .. }), "{e}");
    let e =
        Pkcs11Signer::open(&Pkcs11Config { pin_file: Some("/nonexistent/pin".into()), ..good.clone() }).unwrap_err();
    assert!(matches!(e, Pkcs11Error::PinFile { .. }), "{e}");
    // A second key under an existing label is refused rather than made ambiguous.
    assert!(Pkcs11Signer::generate(&good, PIN, Algorithm::P256).is_err());
}

#[test]
fn a_signer_behind_a_trait_object_is_shared_across_threads() {
    let signer: std::sync::Arc<dyn Signer> =
        std::sync::Arc::new(Pkcs11Signer::generate(&config("shared-key"), PIN, Algorithm::Ed25519).unwrap());
    let handles: Vec<_> = (0..4u8)
        .map(|i| {
            let s = signer.clone();
            std::thread::spawn(move || {
                let sig = s.sign(&[i; 10]).unwrap();
                verify(&s.public_key(), &[i; 10], &sig)
            })
        })
        .collect();
    assert!(handles.into_iter().all(|h| h.join().unwrap()));
    assert!(matches!(signer.public_key(), PublicKey::Ed25519(_)));
}
