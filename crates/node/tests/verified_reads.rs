//! The SDK checks a state read end to end against a real node: the chain id, the height (never
//! below what was already seen), the header's age, the Merkle proof against the header's state
//! root, and the header's commit certificate against the validator set pinned from genesis.
//! A node replaying an older genuine answer (from before a revocation) is detected.

mod common;

use common::{init, NodeProcess};
use dojang_crypto::{Algorithm, Keypair};
use dojang_identity::views::OrgQuery;
use dojang_identity::IdentityMsg;
use dojang_ledger::Genesis;
use std::time::Duration;

use dojang_sdk::{Client, ClientError, CommitError, TrustedChain, Validator, VerifyError, DEFAULT_MAX_AGE};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sdk_verifies_reads_and_refuses_a_wrong_validator_set() {
    let dir = tempfile::tempdir().unwrap();
    let home = dir.path().join("node");
    init(&home, "verify-test");
    let node = NodeProcess::start(&home);
    let client = Client::new(&node.url);
    let genesis = Genesis::load(&home.join("genesis.json")).unwrap();
    let validators = genesis.validator_set();
    let chain = TrustedChain::new("verify-test", validators.clone(), DEFAULT_MAX_AGE);

    // Wait for block 1 (genesis state has no header to check against).
    for _ in 0..100 {
        if client.status().await.unwrap()["height"].as_u64().unwrap() >= 1 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    let account_key = std::fs::read_to_string(home.join("keys/admin.json")).unwrap();
    let address =
        serde_json::from_str::<serde_json::Value>(&account_key).unwrap()["address"].as_str().unwrap().to_string();

    let present = client.read_verified(&format!("governance/accounts/{address}"), &chain).await.unwrap();
    assert!(present.height >= 1);
    let record: serde_json::Value = serde_json::from_slice(&present.value.unwrap()).unwrap();
    assert!(record["roles"]["admin"].is_object(), "{record}");

    let absent =
        client.read_verified("governance/accounts/dj0000000000000000000000000000000000000000", &chain).await.unwrap();
    assert!(absent.value.is_none(), "absence is proven too");

    // A typed read of one record with its proof, at the key the client computes: the record
    // comes back decoded into the module's own type, with the height it was proven at, and a
    // record that does not exist is proven absent.
    let admin = dojang_crypto::KeyFile::load(&home.join("keys/admin.json")).unwrap();
    let org_key = Keypair::generate(Algorithm::P256);
    let did = "did:web:verify.seoul.go.kr";
    let register = IdentityMsg::RegisterOrg { did: did.into(), kid: "k1".into(), public_key: org_key.public_key() };
    let receipt = dojang_sdk::Chain::connect(&node.url).await.unwrap().send(&admin, &register).await.unwrap();
    let proven = client.ask_verified(&OrgQuery(did.into()), &chain).await.unwrap().expect("registered");
    assert_eq!((proven.record.did.as_str(), proven.record.controller), (did, admin.public_key().address()));
    assert_eq!(proven.record.keys[0].public_key, org_key.public_key());
    assert_eq!(proven.key, format!("identity/orgs/{did}"));
    assert!(proven.height >= receipt["height"].as_u64().unwrap(), "proven at or after the block that wrote it");
    assert_eq!(client.ask_verified(&OrgQuery("did:web:nobody.kr".into()), &chain).await.unwrap(), None);

    let stranger = Keypair::generate(Algorithm::Ed25519).public_key();
    let strangers =
        vec![Validator { address: stranger.address(), public_key: stranger, power: 1, name: "stranger".into() }];
    // Pinned to strangers, the node's headers name a set that cannot be followed from them:
    // the node's own set is never taken.
    let strangers = TrustedChain::new("verify-test", strangers, DEFAULT_MAX_AGE);
    let err = client.ask_verified(&OrgQuery(did.into()), &strangers).await.unwrap_err();
    assert!(matches!(err, ClientError::Verify(_)), "a typed read is checked like any other: {err}");
    let err = client.read_verified(&format!("governance/accounts/{address}"), &strangers).await.unwrap_err();
    // At height 1 the header names another set than the pinned genesis one; later, no step
    // towards the node's set carries the strangers' signatures.
    assert!(
        matches!(
            err,
            ClientError::Verify(
                VerifyError::Follow { .. } | VerifyError::Commit(CommitError::NotEnoughPower { got: 0, .. })
            )
        ),
        "{err}"
    );
    node.stop();
}

/// A "node" that answers every request with one recorded body: a genuine, certified answer
/// from the past.
async fn replaying(body: serde_json::Value) -> String {
    let app = axum::Router::new().fallback(move || {
        let body = body.clone();
        async move { axum::Json(body) }
    });
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await });
    url
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_node_serving_stale_or_foreign_state_is_detected() {
    let dir = tempfile::tempdir().unwrap();
    let home = dir.path().join("node");
    init(&home, "stale-test");
    let node = NodeProcess::start(&home);
    let client = Client::new(&node.url);
    let genesis = Genesis::load(&home.join("genesis.json")).unwrap();
    for _ in 0..100 {
        if client.status().await.unwrap()["height"].as_u64().unwrap() >= 2 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let key = "governance/params";

    // Another chain's name: refused before anything else.
    let foreign = TrustedChain::new("another-chain", genesis.validator_set(), DEFAULT_MAX_AGE);
    let err = client.read_verified(key, &foreign).await.unwrap_err();
    assert!(matches!(err, ClientError::Verify(VerifyError::WrongChain { .. })), "{err}");

    // Record a genuine answer, then let the chain move on and read fresh state.
    let old = client.get(&format!("/v1/state?key={key}")).await.unwrap();
    let old_height = old["height"].as_u64().unwrap();
    let chain = TrustedChain::new("stale-test", genesis.validator_set(), Duration::from_secs(5));
    for _ in 0..100 {
        if client.status().await.unwrap()["height"].as_u64().unwrap() > old_height {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let fresh = client.read_verified(key, &chain).await.unwrap();
    assert!(fresh.height > old_height);
    assert!(chain.min_height() >= fresh.height);

    // A node replaying the older, correctly certified answer is refused: below the height seen.
    let stale = Client::new(&replaying(old.clone()).await);
    let err = stale.read_verified(key, &chain).await.unwrap_err();
    assert!(matches!(err, ClientError::Verify(VerifyError::BelowMinHeight { .. })), "{err}");
    // A client that has seen nothing newer still refuses it once the header is too old.
    let newcomer = TrustedChain::new("stale-test", genesis.validator_set(), Duration::from_secs(5));
    assert!(stale.read_verified(key, &newcomer).await.is_ok(), "fresh enough now, and genuine");
    tokio::time::sleep(Duration::from_millis(5500)).await;
    let newcomer = TrustedChain::new("stale-test", genesis.validator_set(), Duration::from_secs(5));
    let err = stale.read_verified(key, &newcomer).await.unwrap_err();
    assert!(matches!(err, ClientError::Verify(VerifyError::TooOld { .. })), "{err}");
    // A minimum height required by the caller (e.g. where a revocation was seen) holds too.
    let strict = TrustedChain::new("stale-test", genesis.validator_set(), DEFAULT_MAX_AGE);
    strict.require_height(u64::MAX);
    let err = client.read_verified(key, &strict).await.unwrap_err();
    assert!(matches!(err, ClientError::Verify(VerifyError::BelowMinHeight { .. })), "{err}");
    node.stop();
}
