//! What the provider hands the facility: ID tokens signed with its key (ES256), the JWKS that
//! publishes that key, and the pairwise subject identifier (AUTH-05).

use dojang_credentials::jose::{sign_compact, Jwk};
use dojang_crypto::Keypair;
use serde_json::{json, Map, Value};
use sha2::{Digest, Sha256};

/// Claim names an ID token sets itself; a credential's claim of the same name is not copied.
pub const RESERVED: &[&str] = &[
    "iss",
    "sub",
    "aud",
    "exp",
    "iat",
    "nbf",
    "jti",
    "nonce",
    "auth_time",
    "acr",
    "amr",
    "azp",
    "at_hash",
    "sid",
    "action",
    "document_signature",
];

/// AUTH-05: the subject a facility sees. The resident registry issues each citizen one token
/// per facility inside the resident credential (`program_pseudonyms.<facility id>`,
/// docs/decisions/0008), so two facilities never receive the same value; hashing it with the
/// facility's id keeps the registry's token out of the facility's ID tokens (a signature's
/// presentation, which the facility keeps whole, is the exception: decision 0026). It needs
/// no secret of the provider's, so every replica of the login service, and a rebuilt one,
/// gives a citizen the same subject at the same facility.
pub fn pairwise_subject(client_id: &str, registry_token: &str) -> String {
    let digest = Sha256::new()
        .chain_update(b"dojang-login-sub:1\0")
        .chain_update(client_id.as_bytes())
        .chain_update([0])
        .chain_update(registry_token.as_bytes())
        .finalize();
    dojang_credentials::jose::b64(&digest)
}

/// The provider's signing key and how the facility finds it.
pub struct Signer {
    pub key: Keypair,
    pub kid: String,
}

impl Signer {
    /// The JSON Web Key Set (RFC 7517) the discovery document points at.
    pub fn jwks(&self) -> Value {
        let jwk = Jwk::from_public_key(&self.key.public_key());
        let mut jwk = serde_json::to_value(jwk).unwrap_or_default();
        if let Some(o) = jwk.as_object_mut() {
            o.insert("kid".into(), json!(self.kid));
            o.insert("use".into(), json!("sig"));
            o.insert("alg".into(), json!("ES256"));
        }
        json!({ "keys": [jwk] })
    }

    /// A signed JWT of `claims` (an ID token, typ `JWT`).
    pub fn sign(&self, claims: &Map<String, Value>) -> String {
        let mut header = Map::new();
        header.insert("typ".into(), json!("JWT"));
        header.insert("kid".into(), json!(self.kid));
        sign_compact(&self.key, header, &Value::Object(claims.clone()))
    }
}

/// The discovery document (OpenID Connect Discovery 1.0 §3) for `issuer`.
pub fn discovery(issuer: &str, claims: &[String]) -> Value {
    json!({
        "issuer": issuer,
        "authorization_endpoint": format!("{issuer}/authorize"),
        "token_endpoint": format!("{issuer}/token"),
        "userinfo_endpoint": format!("{issuer}/userinfo"),
        "jwks_uri": format!("{issuer}/jwks"),
        "scopes_supported": ["openid"],
        "response_types_supported": ["code"],
        "response_modes_supported": ["query"],
        "grant_types_supported": ["authorization_code"],
        "subject_types_supported": ["pairwise"],
        "id_token_signing_alg_values_supported": ["ES256"],
        "token_endpoint_auth_methods_supported": ["none"],
        "code_challenge_methods_supported": ["S256"],
        "acr_values_supported": [
            dojang_login::Level::Low.acr(), dojang_login::Level::Substantial.acr(), dojang_login::Level::High.acr()
        ],
        "claims_supported": claims,
        "claims_parameter_supported": false,
        "request_parameter_supported": false,
        "request_uri_parameter_supported": false,
        "authorization_response_iss_parameter_supported": true,
    })
}

/// RFC 7636 §4.6: the verifier (43-128 unreserved characters) hashes to the challenge.
pub fn pkce_matches(verifier: &str, challenge: &str) -> bool {
    let well_formed = (43..=128).contains(&verifier.len())
        && verifier.bytes().all(|b| b.is_ascii_alphanumeric() || b"-._~".contains(&b));
    well_formed && dojang_credentials::jose::b64(&Sha256::digest(verifier.as_bytes())) == challenge
}
