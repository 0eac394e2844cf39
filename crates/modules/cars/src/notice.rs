//! The dealer's notice as a credential the buyer holds (CAR-03): two compact JWS over the same
//! [`Notice`], one by the dealer and one by the inspector, each with its public key in the
//! header. Anyone can check it offline against the two accounts the notice names, and the
//! chain records a sale only with it.

use dojang_credentials::jose::{sign_compact, Jwk, Jws};
use dojang_crypto::Keypair;
use dojang_types::{sha256, Hash};
use serde_json::{json, Map, Value};

use crate::msg::{Notice, SignedNotice};

/// The JWS `typ` of a notice's signatures.
pub const NOTICE_TYP: &str = "car-notice+jws";

/// Why a signed notice does not stand.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum NoticeError {
    #[error("CAR-03: the {who}'s signature of the notice is malformed: {reason}")]
    Malformed { who: &'static str, reason: String },
    #[error("CAR-03: the {who}'s signature has typ '{found}', not '{NOTICE_TYP}'")]
    Typ { who: &'static str, found: String },
    #[error("CAR-03: the dealer and the inspector signed different notices")]
    Different,
    #[error("CAR-03: the notice's fields are not a complete notice: {0}")]
    Incomplete(String),
    #[error("CAR-03: the {who}'s signature is by {signer}, the notice names {named}")]
    WrongSigner { who: &'static str, signer: String, named: String },
    #[error("CAR-03: the {who}'s signature does not verify: {reason}")]
    Signature { who: &'static str, reason: String },
}

/// One party's signature of `notice`, with its public key in the header.
pub fn sign(notice: &Notice, key: &Keypair) -> String {
    let mut header = Map::new();
    header.insert("typ".into(), json!(NOTICE_TYP));
    header.insert("jwk".into(), json!(Jwk::from_public_key(&key.public_key())));
    sign_compact(key, header, &json!(notice))
}

/// Both signatures of `notice`, as the buyer receives them.
pub fn sign_both(notice: &Notice, dealer: &Keypair, inspector: &Keypair) -> SignedNotice {
    SignedNotice { dealer: sign(notice, dealer), inspector: sign(notice, inspector) }
}

fn checked<'a>(who: &'static str, compact: &'a str) -> Result<(Jws<'a>, dojang_types::Address), NoticeError> {
    let jws = Jws::parse(compact).map_err(|e| NoticeError::Malformed { who, reason: e.to_string() })?;
    if jws.typ() != NOTICE_TYP {
        return Err(NoticeError::Typ { who, found: jws.typ().to_string() });
    }
    // The header stays in the chain's history with the sale: nothing in it but the three.
    if let Some(extra) = jws.header.keys().find(|k| !["alg", "typ", "jwk"].contains(&k.as_str())) {
        return Err(NoticeError::Malformed {
            who,
            reason: format!("the header holds '{extra}'; only alg, typ and jwk"),
        });
    }
    if let Some(extra) = jws
        .header
        .get("jwk")
        .and_then(|j| j.as_object())
        .and_then(|j| j.keys().find(|k| !["kty", "crv", "x", "y"].contains(&k.as_str())).cloned())
    {
        return Err(NoticeError::Malformed { who, reason: format!("the jwk holds '{extra}'; only kty, crv, x and y") });
    }
    let key = jws.header_key().map_err(|e| NoticeError::Malformed { who, reason: e.to_string() })?;
    jws.verify(&key).map_err(|e| NoticeError::Signature { who, reason: e.to_string() })?;
    Ok((jws, key.address()))
}

/// The notice both signatures carry and its hash, once both verify and are by the dealer and
/// the inspector it names.
pub fn open(signed: &SignedNotice) -> Result<(Notice, Hash), NoticeError> {
    let (dealer, dealer_key) = checked("dealer", &signed.dealer)?;
    let (inspector, inspector_key) = checked("inspector", &signed.inspector)?;
    if dealer.payload != inspector.payload {
        return Err(NoticeError::Different);
    }
    let notice: Notice =
        serde_json::from_value(Value::Object(dealer.payload)).map_err(|e| NoticeError::Incomplete(e.to_string()))?;
    for (who, signer, named) in [("dealer", dealer_key, notice.dealer), ("inspector", inspector_key, notice.inspector)]
    {
        if signer != named {
            return Err(NoticeError::WrongSigner { who, signer: signer.to_string(), named: named.to_string() });
        }
    }
    let hash = sha256(&[b"dojang/cars/notice/v1", &serde_json::to_vec(&notice).expect("a notice serializes")]);
    Ok((notice, hash))
}
