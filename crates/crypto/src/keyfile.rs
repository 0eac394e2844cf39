use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::keypair::{Algorithm, Keypair};

/// A private key on disk: JSON with the algorithm and the secret in hex, readable only by its
/// owner. Operators keep validator and agency keys in these files (or in an HSM later).
#[derive(Serialize, Deserialize)]
pub struct KeyFile {
    pub algorithm: String,
    pub public_key: String,
    pub address: String,
    pub secret_hex: String,
}

#[derive(Debug, thiserror::Error)]
pub enum KeyFileError {
    #[error("cannot read key file {path}: {source}")]
    Read { path: String, source: std::io::Error },
    #[error("cannot write key file {path}: {source}")]
    Write { path: String, source: std::io::Error },
    #[error("key file {path} is not valid: {reason}")]
    Invalid { path: String, reason: String },
}

impl KeyFile {
    pub fn from_keypair(k: &Keypair) -> Self {
        let pk = k.public_key();
        KeyFile {
            algorithm: pk.algorithm().to_string(),
            public_key: pk.to_string(),
            address: pk.address().to_string(),
            secret_hex: hex::encode(k.secret_bytes()),
        }
    }

    pub fn to_keypair(&self) -> Result<Keypair, String> {
        let secret = hex::decode(&self.secret_hex).map_err(|e| format!("secret is not hex: {e}"))?;
        let alg: Algorithm = self.algorithm.parse()?;
        let k = match alg {
            Algorithm::Ed25519 => {
                let seed: [u8; 32] = secret.try_into().map_err(|_| "ed25519 secret must be 32 bytes".to_string())?;
                Keypair::ed25519_from_seed(seed)
            }
            Algorithm::P256 => Keypair::p256_from_pkcs8(&secret)?,
        };
        if k.public_key().to_string() != self.public_key {
            return Err("public key does not match the secret".into());
        }
        Ok(k)
    }

    pub fn load(path: &Path) -> Result<Keypair, KeyFileError> {
        let p = path.display().to_string();
        let text = std::fs::read_to_string(path).map_err(|source| KeyFileError::Read { path: p.clone(), source })?;
        let file: KeyFile = serde_json::from_str(&text)
            .map_err(|e| KeyFileError::Invalid { path: p.clone(), reason: e.to_string() })?;
        file.to_keypair().map_err(|reason| KeyFileError::Invalid { path: p, reason })
    }

    /// Writes the key with owner-only permissions; refuses to overwrite an existing key.
    pub fn save_new(k: &Keypair, path: &Path) -> Result<(), KeyFileError> {
        use std::io::Write;
        let p = path.display().to_string();
        let err = |source| KeyFileError::Write { path: p.clone(), source };
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir).map_err(err)?;
        }
        let mut opts = std::fs::OpenOptions::new();
        opts.write(true).create_new(true);
        #[cfg(unix)]
        {
            use std::os::unix::fs::OpenOptionsExt;
            opts.mode(0o600);
        }
        let mut f = opts.open(path).map_err(err)?;
        let text = serde_json::to_string_pretty(&KeyFile::from_keypair(k)).expect("key file serializes");
        f.write_all(text.as_bytes()).map_err(err)?;
        f.sync_all().map_err(err)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn save_load_and_refuse_overwrite_and_garbage() {
        let dir = tempfile::tempdir().unwrap();
        for alg in [Algorithm::Ed25519, Algorithm::P256] {
            let path = dir.path().join(format!("{alg:?}.json"));
            let k = Keypair::generate(alg);
            KeyFile::save_new(&k, &path).unwrap();
            assert_eq!(KeyFile::load(&path).unwrap().public_key(), k.public_key());
            assert!(KeyFile::save_new(&k, &path).is_err());
        }
        let bad = dir.path().join("bad.json");
        std::fs::write(&bad, "{not json").unwrap();
        assert!(matches!(KeyFile::load(&bad), Err(KeyFileError::Invalid { .. })));
        assert!(matches!(KeyFile::load(&dir.path().join("none")), Err(KeyFileError::Read { .. })));
    }
}
