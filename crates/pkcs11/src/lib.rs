//! A [`Signer`] whose private key never leaves an HSM. Agencies keep validator and signing keys
//! in hardware they already run; the node, the CLI and the services reach it through PKCS#11,
//! the interface every HSM vendor ships (tested against SoftHSM2).
//!
//! Ed25519 keys sign with `CKM_EDDSA` (pure Ed25519, no parameters). P-256 keys sign with
//! `CKM_ECDSA` over the SHA-256 digest of the message, computed here, because `CKM_ECDSA` signs
//! a digest and `CKM_ECDSA_SHA256` is missing on some tokens; the token's `r || s` is exactly our
//! signature format. The module is loaded at run time, so this crate builds everywhere.

mod der;
pub mod softhsm;

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Mutex, OnceLock};

use cryptoki::context::{CInitializeArgs, CInitializeFlags, Pkcs11};
use cryptoki::error::{Error as CkError, RvError};
use cryptoki::mechanism::eddsa::{EddsaParams, EddsaSignatureScheme};
use cryptoki::mechanism::Mechanism;
use cryptoki::object::{Attribute, AttributeType, KeyType, ObjectClass, ObjectHandle};
use cryptoki::session::{Session, UserType};
use cryptoki::types::AuthPin;
use dojang_crypto::{Algorithm, Signer, SignerError};
use dojang_types::{PublicKey, Signature};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use zeroize::Zeroizing;

/// The user PIN itself (prefer the file variable or `pin_file`).
pub const PIN_ENV: &str = "DOJANG_PKCS11_PIN";
/// A file holding the user PIN (its first line).
pub const PIN_FILE_ENV: &str = "DOJANG_PKCS11_PIN_FILE";

/// Where a key lives in an HSM. In a node's `config.toml` this is the `[signer]` section with
/// `kind = "pkcs11"`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Pkcs11Config {
    /// The vendor's PKCS#11 module, e.g. `/usr/lib/softhsm/libsofthsm2.so`.
    pub module: PathBuf,
    /// The token's label.
    pub token: String,
    /// The label of the key pair (private and public key objects carry the same label).
    pub key_label: String,
    /// A file holding the user PIN; without it the PIN comes from `DOJANG_PKCS11_PIN_FILE` or
    /// `DOJANG_PKCS11_PIN`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pin_file: Option<PathBuf>,
}

#[derive(Debug, thiserror::Error)]
pub enum Pkcs11Error {
    #[error("cannot load the PKCS#11 module {path}: {reason} (is the vendor's library installed?)")]
    Module { path: String, reason: String },
    #[error("no token labelled '{token}' (tokens present: {available:?})")]
    TokenNotFound { token: String, available: Vec<String> },
    #[error("no PKCS#11 PIN: set pin_file in the signer settings, {PIN_FILE_ENV}, or {PIN_ENV}")]
    NoPin,
    #[error("cannot read the PIN file {path}: {source}")]
    PinFile { path: String, source: std::io::Error },
    #[error("cannot log in to token '{token}': {reason} (is the PIN right?)")]
    Login { token: String, reason: String },
    #[error("token '{token}' has {found} {class} objects labelled '{label}', expected exactly one")]
    KeyNotFound { token: String, label: String, class: &'static str, found: usize },
    #[error("key '{label}' is not usable: {reason}")]
    UnsupportedKey { label: String, reason: String },
    #[error("PKCS#11 {what} failed: {source}")]
    Call { what: &'static str, source: CkError },
}

fn call<T>(what: &'static str, r: Result<T, CkError>) -> Result<T, Pkcs11Error> {
    r.map_err(|source| Pkcs11Error::Call { what, source })
}

/// One initialized context per module for the whole process: `C_Initialize` may be called only
/// once, and `C_Finalize` (on drop) would close every other user's sessions.
fn context(module: &Path) -> Result<Pkcs11, Pkcs11Error> {
    static CONTEXTS: OnceLock<Mutex<HashMap<PathBuf, Pkcs11>>> = OnceLock::new();
    let mut map = CONTEXTS.get_or_init(Default::default).lock().unwrap_or_else(|e| e.into_inner());
    if let Some(c) = map.get(module) {
        return Ok(c.clone());
    }
    let err = |reason: String| Pkcs11Error::Module { path: module.display().to_string(), reason };
    let ctx = Pkcs11::new(module).map_err(|e| err(e.to_string()))?;
    match ctx.initialize(CInitializeArgs::new(CInitializeFlags::OS_LOCKING_OK)) {
        Ok(()) | Err(CkError::Pkcs11(RvError::CryptokiAlreadyInitialized, _)) => {}
        Err(e) => return Err(err(e.to_string())),
    }
    map.insert(module.to_path_buf(), ctx.clone());
    Ok(ctx)
}

fn read_pin(config: &Pkcs11Config) -> Result<Zeroizing<String>, Pkcs11Error> {
    let from_file = |p: &Path| {
        let text = Zeroizing::new(
            std::fs::read_to_string(p)
                .map_err(|source| Pkcs11Error::PinFile { path: p.display().to_string(), source })?,
        );
        Ok(Zeroizing::new(text.lines().next().unwrap_or_default().to_string()))
    };
    if let Some(p) = &config.pin_file {
        return from_file(p);
    }
    if let Some(p) = std::env::var_os(PIN_FILE_ENV) {
        return from_file(Path::new(&p));
    }
    std::env::var(PIN_ENV).map(Zeroizing::new).map_err(|_| Pkcs11Error::NoPin)
}

/// Opens a logged-in read-write session on the token labelled `config.token`.
fn open_session(config: &Pkcs11Config, pin: &str) -> Result<Session, Pkcs11Error> {
    let ctx = context(&config.module)?;
    let mut available = Vec::new();
    for slot in call("C_GetSlotList", ctx.get_slots_with_token())? {
        let info = call("C_GetTokenInfo", ctx.get_token_info(slot))?;
        let label = info.label().trim_end().to_string();
        if label == config.token {
            let session = call("C_OpenSession", ctx.open_rw_session(slot))?;
            match session.login(UserType::User, Some(&AuthPin::from(pin.to_string()))) {
                Ok(()) | Err(CkError::Pkcs11(RvError::UserAlreadyLoggedIn, _)) => return Ok(session),
                Err(e) => return Err(Pkcs11Error::Login { token: config.token.clone(), reason: e.to_string() }),
            }
        }
        available.push(label);
    }
    Err(Pkcs11Error::TokenNotFound { token: config.token.clone(), available })
}

fn find_one(
    session: &Session,
    config: &Pkcs11Config,
    class: ObjectClass,
    name: &'static str,
) -> Result<ObjectHandle, Pkcs11Error> {
    let found = call(
        "C_FindObjects",
        session.find_objects(&[Attribute::Class(class), Attribute::Label(config.key_label.as_bytes().to_vec())]),
    )?;
    match found.as_slice() {
        [one] => Ok(*one),
        _ => Err(Pkcs11Error::KeyNotFound {
            token: config.token.clone(),
            label: config.key_label.clone(),
            class: name,
            found: found.len(),
        }),
    }
}

/// Reads the public key object's type, curve and point.
fn read_public_key(session: &Session, config: &Pkcs11Config) -> Result<PublicKey, Pkcs11Error> {
    let handle = find_one(session, config, ObjectClass::PUBLIC_KEY, "public key")?;
    let attrs = call(
        "C_GetAttributeValue",
        session.get_attributes(handle, &[AttributeType::KeyType, AttributeType::EcParams, AttributeType::EcPoint]),
    )?;
    let (mut key_type, mut params, mut point) = (None, None, None);
    for a in attrs {
        match a {
            Attribute::KeyType(t) => key_type = Some(t),
            Attribute::EcParams(p) => params = Some(p),
            Attribute::EcPoint(p) => point = Some(p),
            _ => {}
        }
    }
    let unsupported =
        |reason: &str| Pkcs11Error::UnsupportedKey { label: config.key_label.clone(), reason: reason.into() };
    let point = point.ok_or_else(|| unsupported("the public key has no CKA_EC_POINT"))?;
    match key_type {
        Some(t) if t == KeyType::EC_EDWARDS => {
            if !params.as_deref().is_some_and(der::is_ed25519_params) {
                return Err(unsupported("an Edwards key on a curve other than Ed25519"));
            }
            der::ec_point(&point, 32)
                .map(|b| PublicKey::Ed25519(b.try_into().expect("length checked")))
                .map_err(|e| unsupported(&e))
        }
        Some(t) if t == KeyType::EC => {
            if params.as_deref() != Some(der::P256_PARAMS) {
                return Err(unsupported("an EC key on a curve other than P-256"));
            }
            let b = der::ec_point(&point, 65).map_err(|e| unsupported(&e))?;
            if b[0] != 4 {
                return Err(unsupported("the P-256 point is not uncompressed"));
            }
            Ok(PublicKey::P256(b.try_into().expect("length checked")))
        }
        _ => Err(unsupported("only Ed25519 (CKK_EC_EDWARDS) and P-256 (CKK_EC) keys are supported")),
    }
}

/// A key pair on a PKCS#11 token, used through one logged-in session.
pub struct Pkcs11Signer {
    session: Mutex<Session>,
    key: ObjectHandle,
    public_key: PublicKey,
    label: String,
}

impl std::fmt::Debug for Pkcs11Signer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Pkcs11Signer({}, {})", self.label, self.public_key)
    }
}

impl Pkcs11Signer {
    /// Opens the key named by `config`, with the PIN from its `pin_file` or the environment.
    pub fn open(config: &Pkcs11Config) -> Result<Self, Pkcs11Error> {
        let pin = read_pin(config)?;
        Self::open_with_pin(config, &pin)
    }

    pub fn open_with_pin(config: &Pkcs11Config, pin: &str) -> Result<Self, Pkcs11Error> {
        let session = open_session(config, pin)?;
        let public_key = read_public_key(&session, config)?;
        let key = find_one(&session, config, ObjectClass::PRIVATE_KEY, "private key")?;
        tracing::info!(token = %config.token, label = %config.key_label, %public_key, "using a PKCS#11 key");
        Ok(Pkcs11Signer { session: Mutex::new(session), key, public_key, label: config.key_label.clone() })
    }

    /// Generates a new key pair on the token (private key sensitive and never extractable) and
    /// opens it. Refuses if a key with the label already exists.
    pub fn generate(config: &Pkcs11Config, pin: &str, algorithm: Algorithm) -> Result<Self, Pkcs11Error> {
        let session = open_session(config, pin)?;
        let label = Attribute::Label(config.key_label.as_bytes().to_vec());
        let existing = call("C_FindObjects", session.find_objects(std::slice::from_ref(&label)))?;
        if !existing.is_empty() {
            return Err(Pkcs11Error::UnsupportedKey {
                label: config.key_label.clone(),
                reason: "a key with this label already exists on the token".into(),
            });
        }
        let (mechanism, params) = match algorithm {
            Algorithm::Ed25519 => (Mechanism::EccEdwardsKeyPairGen, der::ED25519_OID.to_vec()),
            Algorithm::P256 => (Mechanism::EccKeyPairGen, der::P256_PARAMS.to_vec()),
        };
        let public = [Attribute::Token(true), Attribute::Verify(true), Attribute::EcParams(params), label.clone()];
        let private = [
            Attribute::Token(true),
            Attribute::Private(true),
            Attribute::Sensitive(true),
            Attribute::Extractable(false),
            Attribute::Sign(true),
            label,
        ];
        call("C_GenerateKeyPair", session.generate_key_pair(&mechanism, &public, &private))?;
        drop(session);
        Self::open_with_pin(config, pin)
    }
}

impl Signer for Pkcs11Signer {
    fn public_key(&self) -> PublicKey {
        self.public_key.clone()
    }

    fn sign(&self, msg: &[u8]) -> Result<Signature, SignerError> {
        let backend = |e: CkError| SignerError::Backend { backend: "PKCS#11", reason: e.to_string() };
        let session = self.session.lock().unwrap_or_else(|e| e.into_inner());
        let raw = match self.public_key {
            PublicKey::Ed25519(_) => session
                .sign(&Mechanism::Eddsa(EddsaParams::new(EddsaSignatureScheme::Pure)), self.key, msg)
                .map_err(backend)?,
            PublicKey::P256(_) => session.sign(&Mechanism::Ecdsa, self.key, &Sha256::digest(msg)).map_err(backend)?,
        };
        let sig: [u8; 64] = raw.try_into().map_err(|r: Vec<u8>| SignerError::Backend {
            backend: "PKCS#11",
            reason: format!("the token returned a {}-byte signature, expected 64", r.len()),
        })?;
        Ok(match self.public_key {
            PublicKey::Ed25519(_) => Signature::Ed25519(sig),
            PublicKey::P256(_) => Signature::P256(sig),
        })
    }
}
