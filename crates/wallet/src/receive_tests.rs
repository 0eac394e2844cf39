use dojang_credentials::trust::{CredentialType, Snapshot};
use dojang_credentials::{issue, Accreditation, CredentialSpec, IssuerKey, KeyValidity, Standing, StatusRef};
use dojang_crypto::{Algorithm, Keypair};
use serde_json::json;

use super::*;

const ISS: &str = "did:web:income.seoul.go.kr";
const VCT: &str = "urn:dojang:income-band:1";
const NOW: u64 = 1_790_000_000;

fn issuer() -> IssuerKey {
    IssuerKey { did: ISS.into(), kid: "key-1".into(), key: Keypair::generate(Algorithm::P256) }
}

fn chain(issuer: &IssuerKey) -> Snapshot {
    let mut s = Snapshot::default();
    s.keys.insert(
        (ISS.into(), issuer.kid.clone()),
        KeyValidity { public_key: issuer.key.public_key(), valid_from: NOW - 1000, valid_until: None },
    );
    s.accreditations
        .insert((ISS.into(), VCT.into()), Accreditation { active: vec![(NOW - 2000, None)], now: Standing::Active });
    s.types.insert(VCT.into(), CredentialType { vct: VCT.into(), concealable: vec!["household_size".into()] });
    s
}

fn credential(by: &IssuerKey, vct: &str, holder: &Keypair) -> String {
    let claims = json!({"income_le_65pct": true, "household_size": 3});
    let spec = CredentialSpec {
        vct: vct.into(),
        claims: claims.as_object().cloned().unwrap_or_default(),
        holder: holder.public_key(),
        status: StatusRef { idx: 1, uri: "https://income.seoul.go.kr/status/1".into() },
        issued_at: NOW - 10,
        expires_at: NOW + 3600,
    };
    issue(by, &spec).unwrap()
}

fn copy(by: &IssuerKey, vct: &str) -> (String, Keypair) {
    let holder = Keypair::generate(Algorithm::P256);
    (credential(by, vct, &holder), holder)
}

fn accept_one(copies: Vec<(String, Keypair)>, trust: &Snapshot) -> Result<StoredCredential, Refusal> {
    accept("income-1".into(), VCT, copies, trust, NOW)
}

#[test]
fn a_credential_the_chain_vouches_for_is_kept_with_the_issuer_the_chain_names() {
    let i = issuer();
    let c = accept_one(vec![copy(&i, VCT), copy(&i, VCT)], &chain(&i)).unwrap();
    assert_eq!(c.issuer, ISS);
    assert_eq!(c.vct, VCT);
    assert_eq!(c.copies.len(), 2);
}

#[test]
fn garbage_is_refused() {
    let i = issuer();
    for bad in ["", "garbage", "a.b.c~", "~~~", "eyJhbGciOiJFUzI1NiJ9.e30.AAAA~"] {
        let holder = Keypair::generate(Algorithm::P256);
        let err = accept_one(vec![(bad.to_string(), holder)], &chain(&i)).unwrap_err();
        assert!(matches!(err, Refusal::Garbage(_)), "{bad}: {err}");
    }
}

#[test]
fn a_credential_signed_by_an_unregistered_key_is_refused() {
    let registered = issuer();
    let impostor = IssuerKey { did: ISS.into(), kid: "key-1".into(), key: Keypair::generate(Algorithm::P256) };
    let err = accept_one(vec![copy(&impostor, VCT)], &chain(&registered)).unwrap_err();
    assert!(matches!(err, Refusal::BadSignature(_)), "same key id, another key: {err}");
    let unknown_kid = IssuerKey { did: ISS.into(), kid: "key-9".into(), key: Keypair::generate(Algorithm::P256) };
    let err = accept_one(vec![copy(&unknown_kid, VCT)], &chain(&registered)).unwrap_err();
    assert!(matches!(err, Refusal::UnregisteredKey { ref kid, .. } if kid == "key-9"), "{err}");
}

#[test]
fn a_credential_from_an_issuer_not_accredited_for_the_type_is_refused() {
    let i = issuer();
    let other = "urn:dojang:residence:1";
    let mut trust = chain(&i);
    trust.types.insert(other.into(), CredentialType { vct: other.into(), concealable: vec![] });
    let err = accept("r".into(), other, vec![copy(&i, other)], &trust, NOW).unwrap_err();
    assert!(matches!(err, Refusal::NotAccredited { ref vct, .. } if vct == other), "{err}");
    trust.accreditations.insert(
        (ISS.into(), VCT.into()),
        Accreditation { active: vec![(NOW - 2000, Some(NOW - 5))], now: Standing::Revoked { since: NOW - 5 } },
    );
    let err = accept_one(vec![copy(&i, VCT)], &trust).unwrap_err();
    assert!(matches!(err, Refusal::NotAccredited { .. }), "revoked accreditation: {err}");
}

#[test]
fn a_credential_bound_to_another_holder_key_is_refused() {
    let i = issuer();
    let asked = Keypair::generate(Algorithm::P256);
    let someone_else = Keypair::generate(Algorithm::P256);
    let err = accept_one(vec![(credential(&i, VCT, &someone_else), asked)], &chain(&i)).unwrap_err();
    assert_eq!(err, Refusal::WrongHolder);
}

#[test]
fn a_credential_of_an_unregistered_type_is_refused() {
    let i = issuer();
    let mut trust = chain(&i);
    trust.types.clear();
    let err = accept_one(vec![copy(&i, VCT)], &trust).unwrap_err();
    assert_eq!(err, Refusal::UnregisteredType(VCT.into()));
}

#[test]
fn a_copy_of_another_type_than_offered_is_refused() {
    let i = issuer();
    let other = "urn:dojang:residence:1";
    let mut trust = chain(&i);
    trust.types.insert(other.into(), CredentialType { vct: other.into(), concealable: vec![] });
    trust
        .accreditations
        .insert((ISS.into(), other.into()), Accreditation { active: vec![(NOW - 2000, None)], now: Standing::Active });
    let err = accept_one(vec![copy(&i, VCT), copy(&i, other)], &trust).unwrap_err();
    assert!(matches!(err, Refusal::Inconsistent(_)), "{err}");
    assert!(matches!(accept_one(vec![], &trust), Err(Refusal::Garbage(_))), "no copies at all");
}
