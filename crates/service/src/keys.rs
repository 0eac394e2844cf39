//! Signing keys for commands: where passphrases come from (a `--passphrase-file`,
//! `DOJANG_KEY_PASSPHRASE_FILE`, `DOJANG_KEY_PASSPHRASE`, else a prompt when a person is at a
//! terminal), how new keys are protected, and which [`Signer`] signs a transaction (a key file
//! or a PKCS#11 key in an agency's HSM).

use std::io::IsTerminal;
use std::path::{Path, PathBuf};

use anyhow::bail;
use clap::Args;
use dojang_crypto::{
    KdfParams, KeyFile, KeyProtection, Keypair, Passphrase, Signer, PASSPHRASE_ENV, PASSPHRASE_FILE_ENV,
};
use dojang_pkcs11::{Pkcs11Config, Pkcs11Signer};

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

/// Who signs a transaction: a key file or a key in an HSM through PKCS#11.
#[derive(Args)]
pub struct SignerArgs {
    /// Key file of the sender.
    #[arg(long, required_unless_present = "pkcs11_module", conflicts_with = "pkcs11_module")]
    pub key: Option<PathBuf>,
    /// A file holding the key file's passphrase, if it is encrypted.
    #[arg(long)]
    pub passphrase_file: Option<PathBuf>,
    /// Sign with a key in an HSM: its PKCS#11 module (e.g. /usr/lib/softhsm/libsofthsm2.so).
    #[arg(long, requires_all = ["pkcs11_token", "pkcs11_key"])]
    pub pkcs11_module: Option<PathBuf>,
    /// The HSM token's label.
    #[arg(long)]
    pub pkcs11_token: Option<String>,
    /// The key's label on the token.
    #[arg(long)]
    pub pkcs11_key: Option<String>,
    /// A file holding the token's user PIN (else $DOJANG_PKCS11_PIN_FILE or $DOJANG_PKCS11_PIN).
    #[arg(long)]
    pub pkcs11_pin_file: Option<PathBuf>,
}

impl SignerArgs {
    pub fn signer(self) -> anyhow::Result<Box<dyn Signer>> {
        let pkcs11 = match (self.pkcs11_module, self.pkcs11_token, self.pkcs11_key) {
            (Some(module), Some(token), Some(key_label)) => {
                Some(Pkcs11Config { module, token, key_label, pin_file: self.pkcs11_pin_file })
            }
            _ => None,
        };
        tx_signer(self.key.as_deref(), pkcs11, &mut Passphrases::new(self.passphrase_file))
    }
}
