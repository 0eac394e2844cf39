//! Interoperability with the IETF reference implementation of SD-JWT (Python `sd-jwt`, pinned in
//! `tests/interop/requirements.txt`, installed by `scripts/test.sh`): our presentations verify
//! there, and its key-bound SD-JWTs verify here.

use std::io::Write as _;
use std::process::{Command, Stdio};

use dojang_credentials::issue::kid_url;
use dojang_credentials::jose::Jwk;
use dojang_credentials::status::token_hash;
use dojang_credentials::trust::Snapshot;
use dojang_credentials::*;
use dojang_crypto::{Algorithm, Keypair};
use serde_json::{json, Value};

const ISS: &str = "did:web:mois.seoul.go.kr";
const VCT: &str = "urn:dojang:resident:1";
const URI: &str = "https://mois.seoul.go.kr/status/1";
const AUD: &str = "did:web:jobs.seoul.go.kr";

fn reference(request: Value) -> Value {
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/interop/sdjwt_reference.py");
    let mut child = Command::new("python3")
        .arg(script)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("python3 runs");
    child.stdin.take().unwrap().write_all(request.to_string().as_bytes()).unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "the reference implementation failed (is `sd-jwt` installed? scripts/test.sh installs it):\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

fn now() -> u64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs()
}

fn query() -> DcqlQuery {
    DcqlQuery::parse(&json!({"credentials": [{"id": "resident", "format": "dc+sd-jwt", "meta": {"vct_values": [VCT]},
        "claims": [{"path": ["resident_of_seoul"]}, {"path": ["age_over_19"]}]}]}))
    .unwrap()
}

fn snapshot(issuer: &dojang_types::PublicKey, kid: &str, signer: &Keypair) -> Snapshot {
    let mut s = Snapshot::default();
    s.keys
        .insert((ISS.into(), kid.into()), KeyValidity { public_key: issuer.clone(), valid_from: 0, valid_until: None });
    s.accreditations.insert((ISS.into(), VCT.into()), Accreditation { active: vec![(0, None)], now: Standing::Active });
    let token: std::sync::Arc<str> = StatusList::new(0).to_token(signer, "k", URI, now(), 60).into();
    s.anchors
        .insert((ISS.into(), URI.into()), StatusAnchor { version: 1, hash: token_hash(&token), anchored_at_ms: 0 });
    s.tokens.insert(URI.into(), token);
    s.policies.insert(
        "p".into(),
        Policy {
            id: "p".into(),
            verifier: AUD.into(),
            dcql: query(),
            legal_basis: "x".into(),
            purpose: "y".into(),
            retention_days: 1,
            withdrawn_at: None,
        },
    );
    s
}

#[test]
fn our_presentation_verifies_in_the_reference_implementation() {
    let issuer = IssuerKey { did: ISS.into(), kid: "key-1".into(), key: Keypair::generate(Algorithm::P256) };
    let holder = Keypair::generate(Algorithm::P256);
    let claims = json!({"resident_of_seoul": true, "age_over_19": true, "district": "mapo", "nationalities": ["KR"]});
    let cred = issue(
        &issuer,
        &CredentialSpec {
            vct: VCT.into(),
            claims: claims.as_object().unwrap().clone(),
            holder: holder.public_key(),
            status: StatusRef { idx: 99, uri: URI.into() },
            issued_at: now() - 5,
            expires_at: now() + 3600,
        },
    )
    .unwrap();
    let p = present(&cred, &holder, &query().credentials[0], &Challenge { nonce: "n-123", audience: AUD, now: now() })
        .unwrap();
    let answer = reference(json!({
        "mode": "verify", "presentation": p, "nonce": "n-123", "aud": AUD,
        "issuer_jwk": Jwk::from_public_key(&issuer.key.public_key()),
    }));
    let c = &answer["claims"];
    assert_eq!(c["resident_of_seoul"], true);
    assert_eq!(c["age_over_19"], true);
    assert!(c.get("district").is_none(), "withheld claims stay hidden: {c}");
    assert_eq!(c["iss"], ISS);
    assert_eq!(c["vct"], VCT);
}

#[test]
fn the_reference_implementations_presentation_verifies_here() {
    let t = now();
    let key = reference(json!({"mode": "key"}));
    let issuer_key = serde_json::from_value::<Jwk>(key["public"].clone()).unwrap().to_public_key().unwrap();
    let verifier = Verifier::new(snapshot(&issuer_key, "py-1", &Keypair::generate(Algorithm::P256)), 60);
    let nonce = verifier.nonce(t);
    let answer = reference(json!({
        "mode": "issue", "issuer_private_jwk": key["private"], "kid": kid_url(ISS, "py-1"), "aud": AUD, "nonce": nonce,
        "always": {"iss": ISS, "vct": VCT, "iat": t - 5, "exp": t + 3600, "status": {"status_list": {"idx": 7, "uri": URI}}},
        "claims": {"resident_of_seoul": true, "age_over_19": true, "district": "mapo"},
        "disclose": ["resident_of_seoul", "age_over_19"],
    }));
    let presentation = answer["presentation"].as_str().unwrap();
    let request = Request { nonce: nonce.clone(), audience: AUD.into(), policy_id: "p".into() };
    let v = verifier.verify(presentation, &request, now()).unwrap();
    assert_eq!(v.claims["resident_of_seoul"], true);
    assert_eq!(v.claims["age_over_19"], true);
    assert!(!v.claims.contains_key("district"));
    assert_eq!(verifier.verify(presentation, &request, now()).unwrap_err(), VerifyError::Replayed);
}
