//! Checking a credential as a wallet receives it, before any presentation: the holder must not
//! keep (and later show) a credential that no verifier would accept, and must learn who issued
//! it from the chain rather than from the issuer's own metadata.

use dojang_types::PublicKey;
use serde_json::Value;

use crate::jose::Jwk;
use crate::sdjwt::{disclose, SdJwt};
use crate::trust::TrustView;
use crate::verify::{check_issuer_signed, num_field, VerifyError};

/// What a checked, freshly issued credential establishes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Issued {
    /// The issuer's identifier as registered on chain (its key was found there under it).
    pub issuer: String,
    pub kid: String,
    pub vct: String,
    /// The key the credential is bound to (`cnf.jwk`).
    pub holder: PublicKey,
    pub issued_at: u64,
    pub expires_at: u64,
}

/// Checks an issued SD-JWT VC (no key-binding JWT yet) against the chain's view: the issuer's
/// signature by a key registered on chain and valid at issuance, the issuer's accreditation
/// for the type, the type in the registry, the validity period, the disclosures, and a
/// readable holder key. The caller compares [`Issued::holder`] with the key it asked to bind.
pub fn check_issued(credential: &str, trust: &dyn TrustView, now: u64) -> Result<Issued, VerifyError> {
    let sd = SdJwt::parse(credential).map_err(VerifyError::Malformed)?;
    let signed = check_issuer_signed(&sd, trust)?;
    let (p, vct) = (&signed.jws.payload, signed.vct.as_str());
    let exp = num_field(p, "exp")?;
    if trust.credential_type(vct)?.is_none() {
        return Err(VerifyError::UnregisteredType(vct.into()));
    }
    if now >= exp {
        return Err(VerifyError::Expired(exp));
    }
    disclose(p, &sd.disclosures).map_err(VerifyError::TamperedDisclosure)?;
    let holder: Jwk = p
        .get("cnf")
        .and_then(|c| c.get("jwk"))
        .and_then(|j| serde_json::from_value(j.clone()).ok())
        .ok_or(VerifyError::MissingField("cnf"))?;
    let holder = holder.to_public_key().map_err(|e| VerifyError::KeyBindingJwt(e.to_string()))?;
    if p.get("status").and_then(|s| s.get("status_list")).and_then(Value::as_object).is_none() {
        return Err(VerifyError::MissingField("status"));
    }
    Ok(Issued {
        issuer: signed.iss.clone(),
        kid: signed.kid.clone(),
        vct: vct.into(),
        holder,
        issued_at: signed.iat,
        expires_at: exp,
    })
}
