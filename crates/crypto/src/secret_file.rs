//! A secret that is not an account key (a voting registrar's RSA key), kept at rest the way
//! account keys are (decision 0010): sealed under the operator's passphrase with Argon2id and
//! AES-256-GCM. The file names what it holds (`label`), and the label is bound to the
//! ciphertext, so a sealed file cannot be handed to a service as another kind of secret, and a
//! changed label fails to open. A file that is not a sealed one is read as the secret in clear,
//! with a warning: demo chains keep their keys in clear.

use std::path::Path;

use serde::{Deserialize, Serialize};
use zeroize::Zeroizing;

use crate::passphrase::{Passphrase, PassphraseError, PASSPHRASE_ENV, PASSPHRASE_FILE_ENV};
use crate::sealed::{open, seal, KdfParams, OpenError, Sealed};

/// What a sealed secret file says it is.
pub const SECRET_FILE_KIND: &str = "dojang-sealed-secret/v1";

/// The largest secret file read: an RSA-8192 key in PEM is about 6.3 KB, sealed and in hex
/// about 13 KB.
const MAX_FILE_LEN: u64 = 64 * 1024;

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct SecretFileJson {
    kind: String,
    label: String,
    sealed: Sealed,
}

#[derive(Debug, thiserror::Error)]
pub enum SecretFileError {
    #[error("cannot read or write {path}: {source}")]
    Io { path: String, source: std::io::Error },
    #[error("{path} is not a sealed secret file this version reads: {detail}")]
    Malformed { path: String, detail: String },
    #[error("{path} holds a '{found}', not a '{expected}'")]
    WrongLabel { path: String, found: String, expected: String },
    #[error("{path} is sealed: set {PASSPHRASE_FILE_ENV} (a file holding the passphrase) or {PASSPHRASE_ENV}")]
    NoPassphrase { path: String },
    #[error("{path} does not open with this passphrase, or the file was altered")]
    Rejected { path: String },
    #[error(transparent)]
    Passphrase(#[from] PassphraseError),
}

fn aad(label: &str) -> Vec<u8> {
    format!("{SECRET_FILE_KIND}\n{label}").into_bytes()
}

/// Writes `secret` sealed under `pass` to a new owner-only file (never over an existing one).
pub fn write_sealed_secret(
    path: &Path,
    label: &str,
    secret: &[u8],
    pass: &Passphrase,
    params: KdfParams,
) -> Result<(), SecretFileError> {
    let p = || path.display().to_string();
    let sealed =
        seal(secret, pass, params, &aad(label)).map_err(|detail| SecretFileError::Malformed { path: p(), detail })?;
    let json = SecretFileJson { kind: SECRET_FILE_KIND.into(), label: label.into(), sealed };
    let text = serde_json::to_vec_pretty(&json)
        .map_err(|e| SecretFileError::Malformed { path: p(), detail: e.to_string() })?;
    crate::write_secret_file(path, &text).map_err(|source| SecretFileError::Io { path: p(), source })
}

/// Reads the secret `label` from `path`: opened with the passphrase from the environment
/// when the file is sealed, as it is (with a warning) when it is not.
pub fn read_secret(path: &Path, label: &str) -> Result<Zeroizing<Vec<u8>>, SecretFileError> {
    read_secret_with(path, label, || Ok(Passphrase::from_env()?))
}

/// [`read_secret`] with the passphrase from `pass` (asked only if the file is sealed).
pub fn read_secret_with(
    path: &Path,
    label: &str,
    pass: impl FnOnce() -> Result<Option<Passphrase>, SecretFileError>,
) -> Result<Zeroizing<Vec<u8>>, SecretFileError> {
    let p = || path.display().to_string();
    let io = |source| SecretFileError::Io { path: p(), source };
    let len = std::fs::metadata(path).map_err(io)?.len();
    if len > MAX_FILE_LEN {
        return Err(SecretFileError::Malformed {
            path: p(),
            detail: format!("{len} bytes; a secret file is at most {MAX_FILE_LEN}"),
        });
    }
    let bytes = Zeroizing::new(std::fs::read(path).map_err(io)?);
    // A sealed file is JSON, perhaps saved by an editor with a byte-order mark or a blank line
    // first; anything else is the secret in clear.
    let body = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(&bytes);
    if body.iter().find(|b| !b.is_ascii_whitespace()) != Some(&b'{') {
        tracing::warn!(path = %p(), what = label, "loading a secret stored IN CLEAR: seal it with a passphrase (docs/operations.md)");
        return Ok(bytes);
    }
    let file: SecretFileJson =
        serde_json::from_slice(body).map_err(|e| SecretFileError::Malformed { path: p(), detail: e.to_string() })?;
    if file.kind != SECRET_FILE_KIND {
        return Err(SecretFileError::Malformed {
            path: p(),
            detail: format!("kind '{}', not '{SECRET_FILE_KIND}'", file.kind),
        });
    }
    if file.label != label {
        return Err(SecretFileError::WrongLabel { path: p(), found: file.label, expected: label.into() });
    }
    let pass = pass()?.ok_or_else(|| SecretFileError::NoPassphrase { path: p() })?;
    open(&file.sealed, &pass, &aad(label)).map_err(|e| match e {
        OpenError::Malformed(detail) => SecretFileError::Malformed { path: p(), detail },
        OpenError::Rejected => SecretFileError::Rejected { path: p() },
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const LABEL: &str = "voting registrar RSA key";

    fn pass(s: &str) -> Passphrase {
        Passphrase::new(s.into(), "test").unwrap()
    }

    #[test]
    fn a_sealed_secret_opens_only_with_its_passphrase_and_label() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("rsa.sealed");
        let secret = vec![b'k'; 3300];
        write_sealed_secret(&path, LABEL, &secret, &pass("correct horse"), KdfParams::LIGHT).unwrap();
        let text = std::fs::read_to_string(&path).unwrap();
        assert!(!text.contains("kkkk"), "the secret is not in the file");
        let opened = read_secret_with(&path, LABEL, || Ok(Some(pass("correct horse")))).unwrap();
        assert_eq!(*opened, secret);
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            assert_eq!(std::fs::metadata(&path).unwrap().permissions().mode() & 0o777, 0o600);
        }
        let err = write_sealed_secret(&path, LABEL, b"again", &pass("correct horse"), KdfParams::LIGHT).unwrap_err();
        assert!(matches!(err, SecretFileError::Io { .. }), "never over an existing file: {err}");

        let wrong = read_secret_with(&path, LABEL, || Ok(Some(pass("wrong horse")))).unwrap_err();
        assert!(matches!(wrong, SecretFileError::Rejected { .. }), "{wrong}");
        let none = read_secret_with(&path, LABEL, || Ok(None)).unwrap_err();
        assert!(none.to_string().contains(PASSPHRASE_FILE_ENV), "{none}");
        let other = read_secret_with(&path, "an issuer key", || Ok(Some(pass("correct horse")))).unwrap_err();
        assert!(matches!(other, SecretFileError::WrongLabel { .. }), "{other}");
    }

    #[test]
    fn an_altered_or_malformed_file_is_refused_with_what_is_wrong() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("rsa.sealed");
        write_sealed_secret(&path, LABEL, b"secret", &pass("correct horse"), KdfParams::LIGHT).unwrap();
        let good: serde_json::Value = serde_json::from_slice(&std::fs::read(&path).unwrap()).unwrap();
        let open_as = |v: &serde_json::Value, name: &str| {
            let p = dir.path().join(name);
            std::fs::write(&p, serde_json::to_vec(v).unwrap()).unwrap();
            read_secret_with(&p, LABEL, || Ok(Some(pass("correct horse")))).unwrap_err().to_string()
        };
        let mut relabelled = good.clone();
        relabelled["label"] = "another label".into();
        assert!(open_as(&relabelled, "a").contains("not a 'voting registrar RSA key'"));
        let mut flipped = good.clone();
        let ct = good["sealed"]["ciphertext"].as_str().unwrap();
        flipped["sealed"]["ciphertext"] = format!("{}{}", if ct.starts_with('0') { "1" } else { "0" }, &ct[1..]).into();
        assert!(open_as(&flipped, "b").contains("does not open"));
        let mut kind = good.clone();
        kind["kind"] = "something-else".into();
        assert!(open_as(&kind, "c").contains("kind 'something-else'"));
        let mut extra = good.clone();
        extra["extra"] = 1.into();
        assert!(open_as(&extra, "d").contains("not a sealed secret file"));
        let mut costly = good.clone();
        costly["sealed"]["m_kib"] = (u32::MAX).into();
        assert!(open_as(&costly, "e").contains("exceed the limits"));
        std::fs::write(dir.path().join("f"), b"{not json").unwrap();
        let e = read_secret_with(&dir.path().join("f"), LABEL, || Ok(None)).unwrap_err();
        assert!(matches!(e, SecretFileError::Malformed { .. }), "{e}");
        std::fs::write(dir.path().join("g"), vec![b'{'; 70_000]).unwrap();
        let e = read_secret_with(&dir.path().join("g"), LABEL, || Ok(None)).unwrap_err();
        assert!(e.to_string().contains("at most"), "{e}");
        let e = read_secret_with(&dir.path().join("missing"), LABEL, || Ok(None)).unwrap_err();
        assert!(matches!(e, SecretFileError::Io { .. }), "{e}");
    }

    #[test]
    fn a_sealed_file_behind_a_byte_order_mark_opens_and_a_secret_too_long_is_not_sealed() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("rsa.sealed");
        write_sealed_secret(&path, LABEL, b"secret", &pass("correct horse"), KdfParams::LIGHT).unwrap();
        let bom = dir.path().join("bom.sealed");
        std::fs::write(&bom, [b"\xEF\xBB\xBF\n".as_slice(), &std::fs::read(&path).unwrap()].concat()).unwrap();
        let opened = read_secret_with(&bom, LABEL, || Ok(Some(pass("correct horse")))).unwrap();
        assert_eq!(&*opened, b"secret");
        let long = dir.path().join("long.sealed");
        let err =
            write_sealed_secret(&long, LABEL, &[0u8; 9000], &pass("correct horse"), KdfParams::LIGHT).unwrap_err();
        assert!(err.to_string().contains("at most 8192"), "{err}");
        assert!(!long.exists());
    }

    #[test]
    fn a_file_in_clear_is_read_as_it_is() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("rsa.pem");
        std::fs::write(&path, b"-----BEGIN PRIVATE KEY-----\n").unwrap();
        let read = read_secret_with(&path, LABEL, || panic!("no passphrase is asked for a clear file")).unwrap();
        assert_eq!(&*read, b"-----BEGIN PRIVATE KEY-----\n");
    }
}
