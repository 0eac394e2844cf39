//! The wallet file: every credential copy and its holder key, encrypted at rest with a key
//! derived from the holder's passphrase (PBKDF2-HMAC-SHA256, 600,000 iterations; AES-256-GCM).
//! The file is replaced atomically, so a crash leaves the old or the new wallet, never half.

use std::num::NonZeroU32;
use std::path::Path;

use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;
use ring::aead::{Aad, LessSafeKey, Nonce, UnboundKey, AES_256_GCM};
use ring::pbkdf2;
use ring::rand::{SecureRandom, SystemRandom};
use serde::{Deserialize, Serialize};

use crate::WalletError;

const ITERATIONS: u32 = 600_000;

/// One single-use copy of a credential and the key it is bound to.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Copy {
    pub sd_jwt: String,
    /// The holder key's PKCS#8 document, base64.
    pub key_pkcs8: String,
    pub used: bool,
}

/// A credential as received: several copies of the same claims.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct StoredCredential {
    pub id: String,
    pub issuer: String,
    pub vct: String,
    pub received_at: u64,
    pub copies: Vec<Copy>,
}

/// What was disclosed to whom and when (ELIG-06 consent receipt, AUTH-06 history).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Disclosure {
    pub at: u64,
    pub verifier: String,
    pub policy: String,
    pub purpose: String,
    pub credential: String,
    pub claims: Vec<String>,
    /// The facility a login was for, by its registered name (AUTH-06: the login service asks,
    /// the facility sees).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub facility: Option<String>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Contents {
    pub credentials: Vec<StoredCredential>,
    #[serde(default)]
    pub history: Vec<Disclosure>,
    /// Decision receipts received from program offices (ELIG-05), kept for appeals.
    #[serde(default)]
    pub receipts: Vec<serde_json::Value>,
}

#[derive(Serialize, Deserialize)]
struct Sealed {
    version: u32,
    kdf: String,
    iterations: u32,
    salt: String,
    nonce: String,
    ciphertext: String,
}

fn key_for(passphrase: &str, salt: &[u8], iterations: u32) -> Result<LessSafeKey, WalletError> {
    let iterations = NonZeroU32::new(iterations).ok_or(WalletError::Corrupt("zero KDF iterations".into()))?;
    let mut k = [0u8; 32];
    pbkdf2::derive(pbkdf2::PBKDF2_HMAC_SHA256, iterations, salt, passphrase.as_bytes(), &mut k);
    let unbound = UnboundKey::new(&AES_256_GCM, &k).map_err(|_| WalletError::Corrupt("key setup".into()))?;
    Ok(LessSafeKey::new(unbound))
}

/// Encrypts and writes `contents` to `path`.
pub fn save(path: &Path, passphrase: &str, contents: &Contents) -> Result<(), WalletError> {
    let rng = SystemRandom::new();
    let mut salt = [0u8; 16];
    let mut nonce = [0u8; 12];
    rng.fill(&mut salt).map_err(|_| WalletError::Corrupt("no system randomness".into()))?;
    rng.fill(&mut nonce).map_err(|_| WalletError::Corrupt("no system randomness".into()))?;
    let key = key_for(passphrase, &salt, ITERATIONS)?;
    let mut data = serde_json::to_vec(contents).map_err(|e| WalletError::Corrupt(e.to_string()))?;
    key.seal_in_place_append_tag(Nonce::assume_unique_for_key(nonce), Aad::from(b"dojang-wallet-v1"), &mut data)
        .map_err(|_| WalletError::Corrupt("encryption failed".into()))?;
    let sealed = Sealed {
        version: 1,
        kdf: "pbkdf2-hmac-sha256".into(),
        iterations: ITERATIONS,
        salt: STANDARD.encode(salt),
        nonce: STANDARD.encode(nonce),
        ciphertext: STANDARD.encode(&data),
    };
    let tmp = path.with_extension("tmp");
    let text = serde_json::to_vec_pretty(&sealed).map_err(|e| WalletError::Corrupt(e.to_string()))?;
    {
        use std::io::Write as _;
        let mut f =
            std::fs::File::create(&tmp).map_err(|e| WalletError::Io(path.display().to_string(), e.to_string()))?;
        f.write_all(&text)
            .and_then(|_| f.sync_all())
            .map_err(|e| WalletError::Io(path.display().to_string(), e.to_string()))?;
    }
    std::fs::rename(&tmp, path).map_err(|e| WalletError::Io(path.display().to_string(), e.to_string()))
}

/// Reads and decrypts the wallet at `path`.
pub fn load(path: &Path, passphrase: &str) -> Result<Contents, WalletError> {
    let text = std::fs::read(path).map_err(|e| WalletError::Io(path.display().to_string(), e.to_string()))?;
    let sealed: Sealed = serde_json::from_slice(&text).map_err(|e| WalletError::Corrupt(e.to_string()))?;
    if sealed.version != 1 || sealed.kdf != "pbkdf2-hmac-sha256" {
        return Err(WalletError::Corrupt(format!("unknown wallet format {} / {}", sealed.version, sealed.kdf)));
    }
    let decode = |s: &str| STANDARD.decode(s).map_err(|e| WalletError::Corrupt(e.to_string()));
    let (salt, nonce, mut data) = (decode(&sealed.salt)?, decode(&sealed.nonce)?, decode(&sealed.ciphertext)?);
    let nonce: [u8; 12] = nonce.try_into().map_err(|_| WalletError::Corrupt("nonce size".into()))?;
    let key = key_for(passphrase, &salt, sealed.iterations)?;
    let plain = key
        .open_in_place(Nonce::assume_unique_for_key(nonce), Aad::from(b"dojang-wallet-v1"), &mut data)
        .map_err(|_| WalletError::WrongPassphrase)?;
    serde_json::from_slice(plain).map_err(|e| WalletError::Corrupt(e.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_wrong_passphrase_and_tampering() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("wallet.json");
        let mut c = Contents::default();
        c.credentials.push(StoredCredential {
            id: "c1".into(),
            issuer: "did:web:x.kr".into(),
            vct: "urn:x".into(),
            received_at: 1,
            copies: vec![Copy { sd_jwt: "secret-claims".into(), key_pkcs8: "AA".into(), used: false }],
        });
        save(&path, "correct horse", &c).unwrap();
        let raw = std::fs::read_to_string(&path).unwrap();
        assert!(!raw.contains("secret-claims") && !raw.contains("did:web:x.kr"), "encrypted at rest");
        assert_eq!(load(&path, "correct horse").unwrap().credentials[0].copies[0].sd_jwt, "secret-claims");
        assert!(matches!(load(&path, "wrong"), Err(WalletError::WrongPassphrase)));
        let mut sealed: serde_json::Value = serde_json::from_str(&raw).unwrap();
        let ct = sealed["ciphertext"].as_str().unwrap().to_string();
        let flipped = if ct.starts_with('A') { ct.replacen('A', "B", 1) } else { format!("A{}", &ct[1..]) };
        sealed["ciphertext"] = flipped.into();
        std::fs::write(&path, sealed.to_string()).unwrap();
        assert!(load(&path, "correct horse").is_err());
        std::fs::write(&path, "not json").unwrap();
        assert!(matches!(load(&path, "correct horse"), Err(WalletError::Corrupt(_))));
    }
}
