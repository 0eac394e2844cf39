//! Where the passphrase of an encrypted key file comes from: an environment variable or a file
//! named by one (services, CI), or a caller-supplied string (a terminal prompt in the CLI).
//! Held in zeroizing memory and never printed.

use std::path::Path;

use zeroize::Zeroizing;

/// The passphrase itself, for unattended runs (prefer the file variable: the environment of a
/// process is readable by its user through /proc).
pub const PASSPHRASE_ENV: &str = "DOJANG_KEY_PASSPHRASE";
/// A file holding the passphrase (its first line), e.g. a systemd credential or a mounted secret.
pub const PASSPHRASE_FILE_ENV: &str = "DOJANG_KEY_PASSPHRASE_FILE";

/// Shortest passphrase accepted when sealing a key.
pub const MIN_PASSPHRASE_LEN: usize = 8;

/// A key-file passphrase; the memory is wiped when it is dropped.
pub struct Passphrase(Zeroizing<String>);

impl std::fmt::Debug for Passphrase {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Passphrase(..)")
    }
}

#[derive(Debug, thiserror::Error)]
pub enum PassphraseError {
    #[error("cannot read the passphrase file {path}: {source}")]
    File { path: String, source: std::io::Error },
    #[error("the passphrase from {from} is empty")]
    Empty { from: String },
    #[error("the passphrase from {from} is shorter than {MIN_PASSPHRASE_LEN} characters; choose a longer one")]
    TooShort { from: String },
}

impl Passphrase {
    /// Any non-empty passphrase (for opening: the file decides whether it is right).
    pub fn new(s: String, from: &str) -> Result<Self, PassphraseError> {
        let s = Zeroizing::new(s);
        if s.is_empty() {
            return Err(PassphraseError::Empty { from: from.to_string() });
        }
        Ok(Passphrase(s))
    }

    /// Checks the length a new key's passphrase must have.
    pub fn check_new(&self, from: &str) -> Result<(), PassphraseError> {
        if self.0.chars().count() < MIN_PASSPHRASE_LEN {
            return Err(PassphraseError::TooShort { from: from.to_string() });
        }
        Ok(())
    }

    /// The first line of a file (a trailing newline is not part of the passphrase).
    pub fn from_file(path: &Path) -> Result<Self, PassphraseError> {
        let from = path.display().to_string();
        let text = Zeroizing::new(
            std::fs::read_to_string(path).map_err(|source| PassphraseError::File { path: from.clone(), source })?,
        );
        let line = text.lines().next().unwrap_or_default();
        Self::new(line.to_string(), &from)
    }

    /// `DOJANG_KEY_PASSPHRASE_FILE`, else `DOJANG_KEY_PASSPHRASE`, else none.
    pub fn from_env() -> Result<Option<Self>, PassphraseError> {
        if let Some(path) = std::env::var_os(PASSPHRASE_FILE_ENV) {
            return Self::from_file(Path::new(&path)).map(Some);
        }
        match std::env::var(PASSPHRASE_ENV) {
            Ok(s) => Self::new(s, PASSPHRASE_ENV).map(Some),
            Err(_) => Ok(None),
        }
    }

    pub(crate) fn as_bytes(&self) -> &[u8] {
        self.0.as_bytes()
    }
}
