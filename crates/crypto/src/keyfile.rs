use std::path::{Path, PathBuf};

use dojang_types::PublicKey;
use serde::{Deserialize, Serialize};
use zeroize::{Zeroize, Zeroizing};

use crate::keypair::{Algorithm, Keypair};
use crate::passphrase::{Passphrase, PassphraseError, PASSPHRASE_ENV, PASSPHRASE_FILE_ENV};
use crate::sealed::{self, KdfParams, OpenError, Sealed};

/// Key files larger than this are not key files (an encrypted P-256 key is about 700 bytes).
const MAX_FILE_BYTES: u64 = 64 * 1024;

/// A private key on disk, readable only by its owner. Operators keep validator and agency keys
/// in these files (or in an HSM, see `dojang-pkcs11`).
///
/// The public key and address are always in clear so tools can say whose key a file holds
/// without the passphrase. The secret is either `encrypted` (the default: Argon2id and
/// AES-256-GCM, see [`KdfParams`]) or, for demo chains and old files, `secret_hex` in clear;
/// loading a clear key logs a warning every time, because a copied clear file is a stolen key.
#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct KeyFile {
    pub algorithm: String,
    pub public_key: String,
    pub address: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub encrypted: Option<Sealed>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub secret_hex: Option<String>,
    /// Set on clear keys written for a development chain, so nobody mistakes them for real ones.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub clear_demo_key: bool,
}

impl Drop for KeyFile {
    fn drop(&mut self) {
        if let Some(s) = self.secret_hex.as_mut() {
            s.zeroize();
        }
    }
}

/// How a new key file keeps its secret.
#[derive(Clone, Copy, Debug)]
pub enum KeyProtection<'a> {
    /// Sealed under a passphrase (the default for every real key).
    Encrypted { passphrase: &'a Passphrase, kdf: KdfParams },
    /// In clear and marked `clear_demo_key`: development and test chains only.
    ClearDemo,
    /// In clear, because the operator explicitly asked for it.
    Clear,
}

#[derive(Debug, thiserror::Error)]
pub enum KeyFileError {
    #[error("cannot read key file {path}: {source}")]
    Read { path: String, source: std::io::Error },
    #[error("cannot write key file {path}: {source}")]
    Write { path: String, source: std::io::Error },
    #[error("key file {path} is damaged or not a dojang key file ({reason}); restore it from a backup")]
    Invalid { path: String, reason: String },
    #[error(
        "key file {path} is encrypted and no passphrase was given: set {PASSPHRASE_FILE_ENV} (a file holding it) or {PASSPHRASE_ENV}, pass --passphrase-file, or run the command in a terminal to be asked"
    )]
    NeedPassphrase { path: String },
    #[error("cannot decrypt key file {path}: the passphrase is wrong, or the file was altered")]
    WrongPassphrase { path: String },
    #[error("key file {path} is already encrypted")]
    AlreadyEncrypted { path: String },
    #[error("cannot encrypt key file {path}: {reason}")]
    Seal { path: String, reason: String },
    #[error(transparent)]
    Passphrase(#[from] PassphraseError),
}

impl KeyFileError {
    fn invalid(path: &Path, reason: impl Into<String>) -> Self {
        KeyFileError::Invalid { path: path.display().to_string(), reason: reason.into() }
    }
}

/// The associated data of the encryption: the clear fields, so that swapping the public key
/// (or the algorithm) of an encrypted file makes it fail to open instead of lying about whose
/// key it is.
fn aad(algorithm: &str, public_key: &str) -> Vec<u8> {
    format!("dojang/keyfile/v1\n{algorithm}\n{public_key}").into_bytes()
}

impl KeyFile {
    fn new(k: &Keypair, protection: KeyProtection<'_>) -> Result<Self, String> {
        let pk = k.public_key();
        let (algorithm, public_key) = (pk.algorithm().to_string(), pk.to_string());
        let secret = Zeroizing::new(k.secret_bytes());
        let (encrypted, secret_hex, clear_demo_key) = match protection {
            KeyProtection::Encrypted { passphrase, kdf } => {
                (Some(sealed::seal(&secret, passphrase, kdf, &aad(&algorithm, &public_key))?), None, false)
            }
            KeyProtection::ClearDemo => (None, Some(hex::encode(&*secret)), true),
            KeyProtection::Clear => (None, Some(hex::encode(&*secret)), false),
        };
        Ok(KeyFile { algorithm, address: pk.address().to_string(), public_key, encrypted, secret_hex, clear_demo_key })
    }

    /// Parses and checks the clear part: the fields agree with each other and exactly one form
    /// of the secret is present. Does not touch the secret.
    pub fn parse(text: &str, path: &Path) -> Result<Self, KeyFileError> {
        let file: KeyFile = serde_json::from_str(text).map_err(|e| KeyFileError::invalid(path, e.to_string()))?;
        let alg: Algorithm = file.algorithm.parse().map_err(|e: String| KeyFileError::invalid(path, e))?;
        let pk = PublicKey::parse(&file.public_key).map_err(|e| KeyFileError::invalid(path, e))?;
        if pk.algorithm() != alg.name() {
            return Err(KeyFileError::invalid(path, "the public key's algorithm differs from the file's"));
        }
        if pk.address().to_string() != file.address {
            return Err(KeyFileError::invalid(path, "the address is not the public key's"));
        }
        match (&file.encrypted, &file.secret_hex) {
            (Some(_), None) | (None, Some(_)) => {}
            _ => {
                return Err(KeyFileError::invalid(path, "exactly one of 'encrypted' and 'secret_hex' must be present"))
            }
        }
        if file.clear_demo_key && file.encrypted.is_some() {
            return Err(KeyFileError::invalid(path, "an encrypted key cannot be marked clear_demo_key"));
        }
        Ok(file)
    }

    /// Reads and checks a key file without decrypting it (for `dojang keys show`).
    pub fn read(path: &Path) -> Result<Self, KeyFileError> {
        use std::io::Read;
        let p = path.display().to_string();
        let f = std::fs::File::open(path).map_err(|source| KeyFileError::Read { path: p.clone(), source })?;
        let mut text = Zeroizing::new(String::new());
        f.take(MAX_FILE_BYTES + 1)
            .read_to_string(&mut text)
            .map_err(|source| KeyFileError::Read { path: p.clone(), source })?;
        if text.len() as u64 > MAX_FILE_BYTES {
            return Err(KeyFileError::invalid(path, format!("larger than {MAX_FILE_BYTES} bytes")));
        }
        Self::parse(&text, path)
    }

    pub fn is_encrypted(&self) -> bool {
        self.encrypted.is_some()
    }

    pub fn public_key(&self) -> Result<PublicKey, String> {
        PublicKey::parse(&self.public_key)
    }

    /// The key, decrypting with `passphrase` if the file is encrypted. A clear key is logged
    /// as a warning on every load.
    pub fn unlock(&self, path: &Path, passphrase: Option<&Passphrase>) -> Result<Keypair, KeyFileError> {
        let p = || path.display().to_string();
        let secret = match (&self.encrypted, &self.secret_hex) {
            (Some(sealed), _) => {
                let pass = passphrase.ok_or_else(|| KeyFileError::NeedPassphrase { path: p() })?;
                sealed::open(sealed, pass, &aad(&self.algorithm, &self.public_key)).map_err(|e| match e {
                    OpenError::Malformed(reason) => KeyFileError::Invalid { path: p(), reason },
                    OpenError::Rejected => KeyFileError::WrongPassphrase { path: p() },
                })?
            }
            (None, Some(hex_secret)) => {
                if self.clear_demo_key {
                    tracing::warn!(path = %p(), "loading a CLEAR DEMO key: anyone who copies this file holds the key; never use it on a real chain");
                } else {
                    tracing::warn!(path = %p(), "loading a key stored IN CLEAR: encrypt it with `dojang keys encrypt`");
                }
                Zeroizing::new(
                    hex::decode(hex_secret)
                        .map_err(|e| KeyFileError::invalid(path, format!("secret_hex is not hex: {e}")))?,
                )
            }
            (None, None) => return Err(KeyFileError::invalid(path, "no secret")),
        };
        let k = keypair_from_secret(&self.algorithm, &secret).map_err(|e| KeyFileError::invalid(path, e))?;
        if k.public_key().to_string() != self.public_key {
            return Err(KeyFileError::invalid(path, "the public key does not match the secret"));
        }
        Ok(k)
    }

    /// Loads a key, taking the passphrase (only if the file is encrypted) from
    /// `DOJANG_KEY_PASSPHRASE_FILE` or `DOJANG_KEY_PASSPHRASE`.
    pub fn load(path: &Path) -> Result<Keypair, KeyFileError> {
        let file = Self::read(path)?;
        let pass = if file.is_encrypted() { Passphrase::from_env()? } else { None };
        file.unlock(path, pass.as_ref())
    }

    /// Loads a key with the given passphrase (ignored for a clear file).
    pub fn load_with(path: &Path, passphrase: Option<&Passphrase>) -> Result<Keypair, KeyFileError> {
        Self::read(path)?.unlock(path, passphrase)
    }

    /// Writes a new key with owner-only permissions; refuses to overwrite an existing file.
    pub fn save_new(k: &Keypair, path: &Path, protection: KeyProtection<'_>) -> Result<(), KeyFileError> {
        let p = path.display().to_string();
        let file = KeyFile::new(k, protection).map_err(|reason| KeyFileError::Seal { path: p.clone(), reason })?;
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir).map_err(|source| KeyFileError::Write { path: p.clone(), source })?;
        }
        write_private(path, &file)
    }

    /// Encrypts a clear key file in place: the new file is written beside it with owner-only
    /// permissions and renamed over it, so a crash leaves either the old file or the new one.
    pub fn encrypt_in_place(path: &Path, passphrase: &Passphrase, kdf: KdfParams) -> Result<PublicKey, KeyFileError> {
        let p = path.display().to_string();
        let old = Self::read(path)?;
        if old.is_encrypted() {
            return Err(KeyFileError::AlreadyEncrypted { path: p });
        }
        let k = old.unlock(path, None)?;
        let new = KeyFile::new(&k, KeyProtection::Encrypted { passphrase, kdf })
            .map_err(|reason| KeyFileError::Seal { path: p.clone(), reason })?;
        let mut tmp_name = path.file_name().map(|n| n.to_os_string()).unwrap_or_default();
        tmp_name.push(".encrypting");
        let tmp = path.with_file_name(tmp_name);
        let _ = std::fs::remove_file(&tmp);
        write_private(&tmp, &new)?;
        std::fs::rename(&tmp, path).map_err(|source| KeyFileError::Write { path: p.clone(), source })?;
        sync_dir(path);
        Ok(k.public_key())
    }
}

fn keypair_from_secret(algorithm: &str, secret: &[u8]) -> Result<Keypair, String> {
    match algorithm.parse::<Algorithm>()? {
        Algorithm::Ed25519 => {
            let seed: [u8; 32] =
                secret.try_into().map_err(|_| format!("an ed25519 secret must be 32 bytes, got {}", secret.len()))?;
            Ok(Keypair::ed25519_from_seed(seed))
        }
        Algorithm::P256 => Keypair::p256_from_pkcs8(secret),
    }
}

fn write_private(path: &Path, file: &KeyFile) -> Result<(), KeyFileError> {
    let text = Zeroizing::new(serde_json::to_string_pretty(file).expect("a key file serializes"));
    write_secret_file(path, text.as_bytes())
        .map_err(|source| KeyFileError::Write { path: path.display().to_string(), source })
}

/// Writes secret bytes readable by the owner only (mode 0600 on Unix) and syncs them; it
/// never replaces an existing file (a key is never overwritten by accident).
pub fn write_secret_file(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    use std::io::Write;
    let mut opts = std::fs::OpenOptions::new();
    opts.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        opts.mode(0o600);
    }
    let mut f = opts.open(path)?;
    f.write_all(bytes)?;
    f.sync_all()
}

fn sync_dir(path: &Path) {
    let dir: PathBuf =
        path.parent().filter(|d| !d.as_os_str().is_empty()).map_or_else(|| ".".into(), Path::to_path_buf);
    if let Ok(d) = std::fs::File::open(dir) {
        let _ = d.sync_all();
    }
}

#[cfg(test)]
mod tests;
