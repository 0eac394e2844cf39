//! The node's keys: which [`Signer`] signs its votes (a key file or a PKCS#11 key), and
//! `dojang keys`. Passphrases and transaction signers are the service kit's
//! ([`dojang_service::keys`]).

use std::path::{Path, PathBuf};
use std::sync::Arc;

use anyhow::{bail, Context};
use dojang_crypto::{
    Algorithm, KdfParams, KeyFile, KeyFileError, Keypair, Signer, PASSPHRASE_ENV, PASSPHRASE_FILE_ENV,
};
use dojang_pkcs11::{Pkcs11Config, Pkcs11Signer};
pub use dojang_service::keys::{protection, Passphrases};
use serde::{Deserialize, Serialize};

/// Which key signs for the node (its consensus votes and proposals): `[signer]` in config.toml.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum SignerSettings {
    /// A key file: `keys/validator.json` unless `path` says otherwise (relative to the home).
    KeyFile {
        #[serde(default, skip_serializing_if = "Option::is_none")]
        path: Option<PathBuf>,
    },
    /// A key in an HSM through its PKCS#11 module (`module`, `token`, `key_label`, `pin_file`).
    Pkcs11(Pkcs11Config),
}

impl Default for SignerSettings {
    fn default() -> Self {
        SignerSettings::KeyFile { path: None }
    }
}

/// The node's validator signer, from the `[signer]` settings.
pub fn validator_signer(
    home: &crate::config::Home,
    settings: &SignerSettings,
    passphrases: &mut Passphrases,
) -> anyhow::Result<Arc<dyn Signer>> {
    let key_file = |path: PathBuf, passphrases: &mut Passphrases| -> anyhow::Result<Arc<dyn Signer>> {
        let key = passphrases.load(&path)?;
        if key.algorithm() != Algorithm::Ed25519 {
            bail!("{} must hold an ed25519 key", path.display());
        }
        Ok(Arc::new(key))
    };
    match settings {
        SignerSettings::KeyFile { path: None } => key_file(home.validator_key(), passphrases),
        SignerSettings::KeyFile { path: Some(p) } => key_file(crate::config::relative(&home.0, p), passphrases),
        SignerSettings::Pkcs11(c) => {
            let mut c = c.clone();
            c.pin_file = c.pin_file.map(|p| crate::config::relative(&home.0, &p));
            let s =
                Pkcs11Signer::open(&c).context("cannot open the validator key in the HSM ([signer] in config.toml)")?;
            Ok(Arc::new(s))
        }
    }
}

pub fn keys_new(
    out: &Path,
    algorithm: &str,
    passphrases: &mut Passphrases,
    insecure_clear: bool,
) -> anyhow::Result<()> {
    let alg: Algorithm = algorithm.parse().map_err(anyhow::Error::msg)?;
    let protection = protection(passphrases, insecure_clear, false)?;
    let k = Keypair::generate(alg);
    KeyFile::save_new(&k, out, protection)?;
    println!("{} {}", k.public_key().address(), k.public_key());
    Ok(())
}

pub fn keys_show(file: &Path) -> anyhow::Result<()> {
    let f = KeyFile::read(file)?;
    let stored = match (&f.encrypted, f.clear_demo_key) {
        (Some(s), _) => format!("encrypted ({}, {} KiB, {} passes, {} lanes; {})", s.kdf, s.m_kib, s.t, s.p, s.cipher),
        (None, true) => "IN CLEAR (a demo key: never use it on a real chain)".to_string(),
        (None, false) => "IN CLEAR (encrypt it: dojang keys encrypt <file>)".to_string(),
    };
    println!("address:    {}\npublic key: {}\nstored:     {stored}", f.address, f.public_key);
    Ok(())
}

pub fn keys_encrypt(file: &Path, passphrases: &mut Passphrases) -> anyhow::Result<()> {
    if KeyFile::read(file)?.is_encrypted() {
        return Err(KeyFileError::AlreadyEncrypted { path: file.display().to_string() }.into());
    }
    let pass = passphrases.for_new_keys()?.with_context(|| {
        format!("no passphrase: pass --passphrase-file, set {PASSPHRASE_FILE_ENV} or {PASSPHRASE_ENV}, or run in a terminal")
    })?;
    let pk = KeyFile::encrypt_in_place(file, pass, KdfParams::STRONG)?;
    println!("encrypted {} ({} {pk})", file.display(), pk.address());
    Ok(())
}
