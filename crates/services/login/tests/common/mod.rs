//! A city in memory for the login service's tests: a resident registry accredited for the
//! resident credential, a login service with three facilities (a library, a pool, a district
//! office whose e-signature needs a high login), and citizens with wallets.

#![allow(dead_code)]

use std::sync::Arc;

use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;
use dojang_credentials::issue::kid_url;
use dojang_credentials::status::token_hash;
use dojang_credentials::trust::Snapshot;
use dojang_credentials::*;
use dojang_crypto::{Algorithm, Keypair};
use dojang_login::state::RelyingParty;
use dojang_login::{Action, ActionKind, Level, Registration};
use dojang_login_service::authorize::AuthorizeParams;
use dojang_login_service::tokens::Signer;
use dojang_login_service::Provider;
use dojang_wallet::store::{Contents, Copy, StoredCredential};
use serde_json::{json, Value};
use sha2::{Digest, Sha256};

pub const REGISTRY: &str = "did:web:registry.seoul.go.kr";
pub const PROVIDER: &str = "did:web:login.seoul.go.kr";
pub const ISSUER_URL: &str = "https://login.seoul.go.kr";
pub const RESIDENT: &str = "urn:dojang:resident:1";
pub const GUARDIAN: &str = "urn:dojang:guardian:1";
pub const STATUS_URI: &str = "https://registry.seoul.go.kr/status/1";
pub const NOW: u64 = 1_790_000_000;
pub const DAY: u64 = 86_400;
/// The status index of the citizen whose credential the registry revoked.
pub const REVOKED_INDEX: u64 = 77;

pub struct City {
    pub registry: IssuerKey,
    pub provider: Provider<Snapshot>,
    pub provider_key: dojang_types::PublicKey,
    signing_key: Keypair,
    pub facilities: Vec<RelyingParty>,
    pub snapshot: Snapshot,
}

pub struct Citizen {
    pub wallet: Contents,
    pub secret: String,
}

fn dcql(claims: &[Value]) -> DcqlQuery {
    DcqlQuery::parse(&json!({"credentials": [{"id": "resident", "format": "dc+sd-jwt",
        "meta": {"vct_values": [RESIDENT]}, "claims": claims.iter().map(|c| json!({"path": c})).collect::<Vec<_>>()}]}))
    .expect("a well-formed query")
}

fn policy(id: &str, claims: &[Value]) -> Policy {
    Policy {
        id: id.into(),
        verifier: PROVIDER.into(),
        dcql: dcql(claims),
        legal_basis: "Seoul citizen card ordinance art. 5".into(),
        purpose: format!("login to {id}"),
        retention_days: 1,
        withdrawn_at: None,
    }
}

fn facility(id: &str, name: &str, actions: Vec<Action>, max_age: u32) -> RelyingParty {
    RelyingParty {
        registration: Registration {
            id: id.into(),
            name: name.into(),
            provider: PROVIDER.into(),
            redirect_uris: vec![format!("https://{id}.seoul.go.kr/cb")],
            policy: format!("login-{id}"),
            actions,
            residency_max_age_days: max_age,
            guardian_policy: None,
        },
        registered_ms: NOW * 1000,
        updated_ms: NOW * 1000,
        suspended: None,
    }
}

fn action(id: &str, kind: ActionKind, level: Level) -> Action {
    Action { id: id.into(), kind, level }
}

pub fn city() -> City {
    city_at(NOW)
}

/// The city with its keys and lists valid around `now` (the HTTP tests run on the wall clock).
pub fn city_at(now: u64) -> City {
    let registry = IssuerKey { did: REGISTRY.into(), kid: "r1".into(), key: Keypair::generate(Algorithm::P256) };
    let signer = Signer { key: Keypair::generate(Algorithm::P256), kid: "login-1".into() };
    let provider_key = signer.key.public_key();
    let signing_key = Keypair::p256_from_pkcs8(&signer.key.secret_bytes()).expect("the same key");
    let mut s = Snapshot::default();
    s.keys.insert(
        (REGISTRY.into(), "r1".into()),
        KeyValidity { public_key: registry.key.public_key(), valid_from: now - 1000 * DAY, valid_until: None },
    );
    s.keys.insert(
        (PROVIDER.into(), "login-1".into()),
        KeyValidity { public_key: provider_key.clone(), valid_from: now - DAY, valid_until: None },
    );
    s.accreditations.insert(
        (REGISTRY.into(), RESIDENT.into()),
        Accreditation { active: vec![(now - 1000 * DAY, None)], now: Standing::Active },
    );
    let mut list = StatusList::new(0);
    list.set(REVOKED_INDEX, Status::Revoked).expect("an index in the list");
    let token: Arc<str> = list.to_token(&registry.key, &kid_url(REGISTRY, "r1"), STATUS_URI, now, 3600).into();
    s.anchors.insert(
        (REGISTRY.into(), STATUS_URI.into()),
        StatusAnchor { version: 1, hash: token_hash(&token), anchored_at_ms: now * 1000 },
    );
    s.tokens.insert(STATUS_URI.into(), token);
    let pseudonym = |id: &str| json!(["program_pseudonyms", id]);
    for p in [
        policy("login-library", &[json!(["resident_of_seoul"]), pseudonym("library")]),
        policy("login-pool", &[json!(["age_over_65"]), pseudonym("pool")]),
        policy("login-district", &[json!(["resident_of_seoul"]), json!(["assurance"]), pseudonym("district")]),
    ] {
        s.policies.insert(p.id.clone(), p);
    }
    let mut guardian = policy("login-library-guardian", &[pseudonym("library")]);
    guardian.dcql = DcqlQuery::parse(&json!({"credentials": [
        {"id": "resident", "format": "dc+sd-jwt", "meta": {"vct_values": [RESIDENT]}, "claims": [{"path": ["program_pseudonyms", "library"]}]},
        {"id": "guardian", "format": "dc+sd-jwt", "meta": {"vct_values": [GUARDIAN]},
         "claims": [{"path": ["relationship"]}, {"path": ["scope"]}, {"path": ["ward_pseudonyms", "library"]},
                    {"path": ["guardian_pseudonyms", "library"]}]},
    ]}))
    .expect("a well-formed query");
    s.policies.insert(guardian.id.clone(), guardian);
    s.accreditations.insert(
        (REGISTRY.into(), GUARDIAN.into()),
        Accreditation { active: vec![(now - 1000 * DAY, None)], now: Standing::Active },
    );
    let mut library = facility("library", "Mapo Library", vec![action("catalogue", ActionKind::Read, Level::Low)], 365);
    library.registration.guardian_policy = Some("login-library-guardian".into());
    let facilities = vec![
        library,
        facility("pool", "Jamsil Pool", vec![action("book-lane", ActionKind::Use, Level::Low)], 30),
        facility(
            "district",
            "Mapo District Office",
            vec![action("certificate", ActionKind::Read, Level::Low), action("sign", ActionKind::Sign, Level::High)],
            90,
        ),
    ];
    let provider = Provider::new(ISSUER_URL, PROVIDER, signer, s.clone());
    City { registry, provider, provider_key, signing_key, facilities, snapshot: s }
}

impl City {
    /// A second provider over the same trust and key, answering as `issuer` (for HTTP tests).
    pub fn provider_at(&self, issuer: &str) -> Provider<Snapshot> {
        let key = Keypair::p256_from_pkcs8(&self.signing_key.secret_bytes()).expect("the same key");
        Provider::new(issuer, PROVIDER, Signer { key, kid: "login-1".into() }, self.snapshot.clone())
    }

    /// The login service's own key, to forge what only it could sign.
    pub fn provider_signing_key(&self) -> &Keypair {
        &self.signing_key
    }

    pub fn facility(&self, id: &str) -> &RelyingParty {
        self.facilities.iter().find(|f| f.registration.id == id).expect("a facility of the city")
    }

    /// A citizen's wallet holding one resident credential (three copies) issued `age_days`
    /// before now, at status index `index`, with the identity proofing `assurance`.
    pub fn citizen(&self, secret: &str, age_days: u64, index: u64, assurance: &str) -> Citizen {
        let token = |facility: &str| hex(&Sha256::new().chain_update(secret).chain_update(facility).finalize()[..16]);
        let claims = json!({
            "resident_of_seoul": true, "age_over_65": false, "assurance": assurance,
            "program_pseudonyms": {"library": token("library"), "pool": token("pool"), "district": token("district")},
        });
        let copies = (0..3)
            .map(|_| {
                let holder = Keypair::generate(Algorithm::P256);
                let spec = CredentialSpec {
                    vct: RESIDENT.into(),
                    claims: claims.as_object().cloned().unwrap_or_default(),
                    holder: holder.public_key(),
                    status: StatusRef { idx: index, uri: STATUS_URI.into() },
                    issued_at: NOW - age_days * DAY,
                    expires_at: NOW + 365 * DAY,
                };
                Copy {
                    sd_jwt: issue(&self.registry, &spec).expect("issued"),
                    key_pkcs8: STANDARD.encode(holder.secret_bytes()),
                    used: false,
                }
            })
            .collect();
        let cred = StoredCredential {
            id: format!("resident-{secret}"),
            issuer: REGISTRY.into(),
            vct: RESIDENT.into(),
            received_at: NOW,
            copies,
        };
        Citizen { wallet: Contents { credentials: vec![cred], ..Default::default() }, secret: secret.into() }
    }
}

impl City {
    /// A guardian credential for `ward`, covering `scope`, valid for `days`, into `guardian`'s
    /// wallet. It holds the ward's token at every facility, so only `scope` limits it.
    pub fn delegate(&self, guardian: &mut Citizen, ward: &Citizen, scope: &[&str], days: u64, index: u64) {
        let named = Citizen { wallet: Contents::default(), secret: guardian.secret.clone() };
        self.delegate_naming(guardian, &named, ward, scope, days, index)
    }

    /// [`City::delegate`], the credential naming `named` as the guardian but put into
    /// `holder`'s wallet (a credential passed to someone else).
    pub fn delegate_naming(
        &self,
        holder: &mut Citizen,
        named: &Citizen,
        ward: &Citizen,
        scope: &[&str],
        days: u64,
        index: u64,
    ) {
        let guardian = holder;
        let facilities = ["library", "pool", "district"];
        let wards: serde_json::Map<String, Value> =
            facilities.iter().map(|f| (f.to_string(), json!(ward.token(f)))).collect();
        let guardians: serde_json::Map<String, Value> =
            facilities.iter().map(|f| (f.to_string(), json!(named.token(f)))).collect();
        let claims = json!({"relationship": "parent", "scope": scope, "ward_pseudonyms": wards, "guardian_pseudonyms": guardians});
        let copies = (0..3)
            .map(|_| {
                let holder = Keypair::generate(Algorithm::P256);
                let spec = CredentialSpec {
                    vct: GUARDIAN.into(),
                    claims: claims.as_object().cloned().unwrap_or_default(),
                    holder: holder.public_key(),
                    status: StatusRef { idx: index, uri: STATUS_URI.into() },
                    issued_at: NOW - DAY,
                    expires_at: NOW + days * DAY,
                };
                Copy {
                    sd_jwt: issue(&self.registry, &spec).expect("issued"),
                    key_pkcs8: STANDARD.encode(holder.secret_bytes()),
                    used: false,
                }
            })
            .collect();
        let id = format!("guardian-{}", guardian.secret);
        guardian.wallet.credentials.push(StoredCredential {
            id,
            issuer: REGISTRY.into(),
            vct: GUARDIAN.into(),
            received_at: NOW,
            copies,
        });
    }
}

impl Citizen {
    /// The registry's token for this citizen at `facility`.
    pub fn token(&self, facility: &str) -> String {
        hex(&Sha256::new().chain_update(&self.secret).chain_update(facility).finalize()[..16])
    }
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// A PKCE pair: the verifier and its S256 challenge.
pub fn pkce(seed: &str) -> (String, String) {
    let verifier = format!("{seed:-<43}");
    let challenge = dojang_credentials::jose::b64(&Sha256::digest(verifier.as_bytes()));
    (verifier, challenge)
}

/// The facility's authorization request, as its OIDC client would send it.
pub fn params(client: &str, challenge: &str) -> AuthorizeParams {
    AuthorizeParams {
        response_type: Some("code".into()),
        client_id: Some(client.into()),
        redirect_uri: Some(format!("https://{client}.seoul.go.kr/cb")),
        scope: Some("openid".into()),
        state: Some("xyz".into()),
        nonce: Some("n-0S6_WzA2Mj".into()),
        code_challenge: Some(challenge.into()),
        code_challenge_method: Some("S256".into()),
        ..Default::default()
    }
}

pub use dojang_types::query_param;
