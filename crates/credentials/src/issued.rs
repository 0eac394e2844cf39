//! Checking a credential as a wallet receives it, before any presentation: the holder must not
//! keep (and later show) a credential that no verifier would accept, and must learn who issued
//! it from the chain rather than from the issuer's own metadata.

use dojang_types::PublicKey;
use serde_json::Value;

use crate::jose::{Jwk, Jws};
use crate::sdjwt::{disclose, SdJwt};
use crate::trust::TrustView;
use crate::verify::{check_accreditation, kid_of, num_field, str_field, VerifyError, ACCEPTED_TYPS};

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
    let jws = Jws::parse(&sd.jwt).map_err(VerifyError::IssuerJwt)?;
    if !ACCEPTED_TYPS.contains(&jws.typ()) {
        return Err(VerifyError::NotSdJwtVc(jws.typ().to_string()));
    }
    let p = &jws.payload;
    let iss = str_field(p, "iss")?;
    let kid = kid_of(&jws.header, iss)?;
    let vct = str_field(p, "vct")?;
    let iat = num_field(p, "iat")?;
    let exp = num_field(p, "exp")?;
    let key = trust
        .issuer_key(iss, &kid)?
        .ok_or_else(|| VerifyError::UnknownIssuerKey { iss: iss.into(), kid: kid.clone() })?;
    jws.verify(&key.public_key).map_err(VerifyError::IssuerSignature)?;
    if !key.covers(iat) {
        return Err(VerifyError::KeyNotValidAtIssuance { kid, iat });
    }
    check_accreditation(trust, iss, vct, iat)?;
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
    Ok(Issued { issuer: iss.into(), kid, vct: vct.into(), holder, issued_at: iat, expires_at: exp })
}
