//! A secret sealed under a passphrase: Argon2id turns the passphrase into a 256-bit key, and
//! AES-256-GCM (ring) encrypts the secret with the key file's public part as associated data,
//! so neither the ciphertext nor the clear fields (algorithm, public key, KDF parameters) can be
//! changed without decryption failing.

use ring::aead::{Aad, LessSafeKey, Nonce, UnboundKey, AES_256_GCM, NONCE_LEN};
use ring::rand::{SecureRandom, SystemRandom};
use serde::{Deserialize, Serialize};
use zeroize::Zeroizing;

use crate::passphrase::Passphrase;

/// The only key-derivation function and cipher a key file may name.
pub const KDF_ARGON2ID: &str = "argon2id";
pub const CIPHER_AES_256_GCM: &str = "aes-256-gcm";

/// Refused above these: a key file is outside input, and its parameters decide how much memory
/// and time loading it takes. 1 GiB and 20 passes are far above any sensible setting.
pub const MAX_M_KIB: u32 = 1024 * 1024;
pub const MAX_T: u32 = 20;
pub const MAX_P: u32 = 16;
const SALT_LEN: usize = 16;
const TAG_LEN: usize = 16;
/// The largest secret we open: a P-256 PKCS#8 document is 138 bytes, an Ed25519 seed 32, an
/// RSA-8192 private key in PEM (the largest a voting registrar may use, crate::secret_file)
/// about 6.3 KB.
const MAX_SECRET_LEN: usize = 8192;

/// Argon2id cost parameters, stored in the file so each file says how it was sealed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct KdfParams {
    /// Memory in KiB.
    pub m_kib: u32,
    /// Passes over the memory.
    pub t: u32,
    /// Lanes.
    pub p: u32,
}

impl KdfParams {
    /// For real keys: 64 MiB, 3 passes, 1 lane (RFC 9106's second recommended option), about a
    /// quarter of a second per load on one core.
    pub const STRONG: KdfParams = KdfParams { m_kib: 64 * 1024, t: 3, p: 1 };
    /// For tests and throwaway chains: 64 KiB, 1 pass. Still a valid, stored choice, so a
    /// file sealed this way loads anywhere, but it offers little against guessing.
    pub const LIGHT: KdfParams = KdfParams { m_kib: 64, t: 1, p: 1 };

    fn check(&self) -> Result<argon2::Params, String> {
        if self.m_kib > MAX_M_KIB || self.t > MAX_T || self.p > MAX_P {
            return Err(format!(
                "m_kib={} t={} p={} exceed the limits m_kib<={MAX_M_KIB} t<={MAX_T} p<={MAX_P}",
                self.m_kib, self.t, self.p
            ));
        }
        argon2::Params::new(self.m_kib, self.t, self.p, Some(32)).map_err(|e| {
            format!("m_kib={} t={} p={} are not valid Argon2id parameters: {e}", self.m_kib, self.t, self.p)
        })
    }
}

/// The encrypted part of a key file.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Sealed {
    pub kdf: String,
    pub m_kib: u32,
    pub t: u32,
    pub p: u32,
    /// Hex, 16 bytes.
    pub salt: String,
    pub cipher: String,
    /// Hex, 12 bytes.
    pub nonce: String,
    /// Hex: the secret followed by the 16-byte tag.
    pub ciphertext: String,
}

impl Sealed {
    pub fn params(&self) -> KdfParams {
        KdfParams { m_kib: self.m_kib, t: self.t, p: self.p }
    }
}

/// Why a sealed secret did not open.
#[derive(Debug)]
pub(crate) enum OpenError {
    /// The structure is wrong (names, lengths, hex, limits): the file is damaged or not ours.
    Malformed(String),
    /// The structure is right but the tag does not verify: wrong passphrase or altered file.
    Rejected,
}

fn derive(pass: &Passphrase, salt: &[u8], params: argon2::Params) -> Result<Zeroizing<[u8; 32]>, String> {
    let mut key = Zeroizing::new([0u8; 32]);
    argon2::Argon2::new(argon2::Algorithm::Argon2id, argon2::Version::V0x13, params)
        .hash_password_into(pass.as_bytes(), salt, key.as_mut())
        .map_err(|e| format!("key derivation failed: {e}"))?;
    Ok(key)
}

fn aead_key(key: &[u8; 32]) -> LessSafeKey {
    LessSafeKey::new(UnboundKey::new(&AES_256_GCM, key).expect("a 32-byte key fits AES-256-GCM"))
}

/// Encrypts `secret`; `aad` binds the clear fields of the file to the ciphertext.
pub(crate) fn seal(secret: &[u8], pass: &Passphrase, params: KdfParams, aad: &[u8]) -> Result<Sealed, String> {
    if secret.len() > MAX_SECRET_LEN {
        return Err(format!("a secret of {} bytes; at most {MAX_SECRET_LEN} are sealed", secret.len()));
    }
    let argon = params.check()?;
    let rng = SystemRandom::new();
    let mut salt = [0u8; SALT_LEN];
    let mut nonce = [0u8; NONCE_LEN];
    rng.fill(&mut salt).map_err(|_| "the system random source failed".to_string())?;
    rng.fill(&mut nonce).map_err(|_| "the system random source failed".to_string())?;
    let key = derive(pass, &salt, argon)?;
    let mut buf = Zeroizing::new(secret.to_vec());
    aead_key(&key)
        .seal_in_place_append_tag(Nonce::assume_unique_for_key(nonce), Aad::from(aad), &mut *buf)
        .map_err(|_| "encryption failed".to_string())?;
    Ok(Sealed {
        kdf: KDF_ARGON2ID.into(),
        m_kib: params.m_kib,
        t: params.t,
        p: params.p,
        salt: hex::encode(salt),
        cipher: CIPHER_AES_256_GCM.into(),
        nonce: hex::encode(nonce),
        ciphertext: hex::encode(&*buf),
    })
}

fn fixed_hex<const N: usize>(field: &str, s: &str) -> Result<[u8; N], OpenError> {
    let bytes = hex::decode(s).map_err(|e| OpenError::Malformed(format!("{field} is not hex: {e}")))?;
    bytes.try_into().map_err(|b: Vec<u8>| OpenError::Malformed(format!("{field} must be {N} bytes, got {}", b.len())))
}

/// Decrypts; everything about the structure is checked before any memory is spent on the KDF.
pub(crate) fn open(sealed: &Sealed, pass: &Passphrase, aad: &[u8]) -> Result<Zeroizing<Vec<u8>>, OpenError> {
    if sealed.kdf != KDF_ARGON2ID {
        return Err(OpenError::Malformed(format!("unknown kdf '{}' (expected {KDF_ARGON2ID})", sealed.kdf)));
    }
    if sealed.cipher != CIPHER_AES_256_GCM {
        return Err(OpenError::Malformed(format!(
            "unknown cipher '{}' (expected {CIPHER_AES_256_GCM})",
            sealed.cipher
        )));
    }
    let argon = sealed.params().check().map_err(OpenError::Malformed)?;
    let salt: [u8; SALT_LEN] = fixed_hex("salt", &sealed.salt)?;
    let nonce: [u8; NONCE_LEN] = fixed_hex("nonce", &sealed.nonce)?;
    if sealed.ciphertext.len() > 2 * (MAX_SECRET_LEN + TAG_LEN) {
        return Err(OpenError::Malformed("ciphertext is longer than any key".into()));
    }
    let mut buf = Zeroizing::new(
        hex::decode(&sealed.ciphertext).map_err(|e| OpenError::Malformed(format!("ciphertext is not hex: {e}")))?,
    );
    if buf.len() <= TAG_LEN {
        return Err(OpenError::Malformed(format!("ciphertext is {} bytes, too short to hold a key", buf.len())));
    }
    let key = derive(pass, &salt, argon).map_err(OpenError::Malformed)?;
    let len = aead_key(&key)
        .open_in_place(Nonce::assume_unique_for_key(nonce), Aad::from(aad), &mut buf)
        .map_err(|_| OpenError::Rejected)?
        .len();
    buf.truncate(len);
    Ok(buf)
}
