//! Keys for the command line and the node: where passphrases come from (a `--passphrase-file`,
//! `DOJANG_KEY_PASSPHRASE_FILE`, `DOJANG_KEY_PASSPHRASE`, else a prompt when a person is at a
//! terminal), which [`Signer`] signs (a key file or a PKCS#11 key), and `dojang keys`.

use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use anyhow::{bail, Context};
use dojang_crypto::{
    Algorithm, KdfParams, KeyFile, KeyFileError, KeyProtection, Keypair, Passphrase, Signer, PASSPHRASE_ENV,
    PASSPHRASE_FILE_ENV,
};
use dojang_pkcs11::{Pkcs11Config, Pkcs11Signer};
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

/// Gets a passphrase once per command and reuses it for every key file the command opens.
pub struct Passphrases {
    file: Option<PathBuf>,
    cached: Option<Passphrase>,
}

impl Passphrases {
    pub fn new(file: Option<PathBuf>) -> Self {
        Passphrases { file, cached: None }
    }

    /// From `--passphrase-file` or the environment, without asking anyone.
    fn unattended(&self) -> anyhow::Result<Option<Passphrase>> {
        if let Some(f) = &self.file {
            return Ok(Some(Passphrase::from_file(f)?));
        }
        Ok(Passphrase::from_env()?)
    }

    /// The passphrase to open existing keys, asking at a terminal if none was given.
    pub fn for_opening(&mut self, what: &str) -> anyhow::Result<Option<&Passphrase>> {
        if self.cached.is_none() {
            self.cached = match self.unattended()? {
                Some(p) => Some(p),
                None if std::io::stdin().is_terminal() => {
                    let s = rpassword::prompt_password(format!("passphrase for {what}: "))?;
                    Some(Passphrase::new(s, "the prompt")?)
                }
                None => None,
            };
        }
        Ok(self.cached.as_ref())
    }

    /// The passphrase to seal new keys: given, or typed twice at a terminal; `None` when there
    /// is no way to get one. Too-short passphrases are refused.
    pub fn for_new_keys(&mut self) -> anyhow::Result<Option<&Passphrase>> {
        if self.cached.is_none() {
            self.cached = match self.unattended()? {
                Some(p) => Some(p),
                None if std::io::stdin().is_terminal() => {
                    let a = zeroize::Zeroizing::new(rpassword::prompt_password("passphrase for the new keys: ")?);
                    let b = zeroize::Zeroizing::new(rpassword::prompt_password("the same passphrase again: ")?);
                    if a != b {
                        bail!("the two passphrases differ; nothing was written");
                    }
                    Some(Passphrase::new(a.to_string(), "the prompt")?)
                }
                None => None,
            };
            if let Some(p) = &self.cached {
                p.check_new("the passphrase")?;
            }
        }
        Ok(self.cached.as_ref())
    }

    /// Opens a key file, asking for the passphrase only if it is encrypted.
    pub fn load(&mut self, path: &Path) -> anyhow::Result<Keypair> {
        let file = KeyFile::read(path)?;
        let pass = if file.is_encrypted() { self.for_opening(&path.display().to_string())? } else { None };
        Ok(file.unlock(path, pass)?)
    }
}

/// How `init`, `join` and `keys new` protect the keys they write.
pub fn protection<'a>(
    passphrases: &'a mut Passphrases,
    insecure_clear: bool,
    demo: bool,
) -> anyhow::Result<KeyProtection<'a>> {
    if insecure_clear {
        tracing::warn!("writing keys IN CLEAR as asked (--insecure-clear-keys): anyone who copies them holds them");
        return Ok(if demo { KeyProtection::ClearDemo } else { KeyProtection::Clear });
    }
    match passphrases.for_new_keys()? {
        Some(passphrase) => Ok(KeyProtection::Encrypted { passphrase, kdf: KdfParams::STRONG }),
        None if demo => {
            eprintln!("WARNING: no passphrase given, so the demo keys are written IN CLEAR (marked clear_demo_key); never use them on a real chain");
            Ok(KeyProtection::ClearDemo)
        }
        None => bail!(
            "keys are written encrypted and no passphrase was given: pass --passphrase-file, set {PASSPHRASE_FILE_ENV} or {PASSPHRASE_ENV}, run in a terminal to be asked, or (throwaway chains only) pass --insecure-clear-keys"
        ),
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

/// The signer for a transaction: a key file or a PKCS#11 key.
pub fn tx_signer(
    key: Option<&Path>,
    pkcs11: Option<Pkcs11Config>,
    passphrases: &mut Passphrases,
) -> anyhow::Result<Box<dyn Signer>> {
    match (key, pkcs11) {
        (Some(path), None) => Ok(Box::new(passphrases.load(path)?)),
        (None, Some(c)) => Ok(Box::new(Pkcs11Signer::open(&c)?)),
        _ => bail!("give either --key <file> or the --pkcs11-* options"),
    }
}
