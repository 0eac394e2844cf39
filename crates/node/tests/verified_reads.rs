//! The SDK checks a state read end to end against a real node: the Merkle proof against the
//! header's state root, and the header's commit certificate against the validator set.

mod common;

use common::{init, NodeProcess};
use dojang_crypto::{Algorithm, Keypair};
use dojang_ledger::Genesis;
use dojang_sdk::{Client, ClientError, CommitError, Validator, VerifyError};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sdk_verifies_reads_and_refuses_a_wrong_validator_set() {
    let dir = tempfile::tempdir().unwrap();
    let home = dir.path().join("node");
    init(&home, "verify-test");
    let node = NodeProcess::start(&home);
    let client = Client::new(&node.url);
    let genesis = Genesis::load(&home.join("genesis.json")).unwrap();
    let validators = genesis.validator_set();

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

    let present = client.read_verified(&format!("governance/accounts/{address}"), &validators).await.unwrap();
    assert!(present.height >= 1);
    let record: serde_json::Value = serde_json::from_slice(&present.value.unwrap()).unwrap();
    assert!(record["roles"]["admin"].is_object(), "{record}");

    let absent = client
        .read_verified("governance/accounts/dj0000000000000000000000000000000000000000", &validators)
        .await
        .unwrap();
    assert!(absent.value.is_none(), "absence is proven too");

    let stranger = Keypair::generate(Algorithm::Ed25519).public_key();
    let strangers =
        vec![Validator { address: stranger.address(), public_key: stranger, power: 1, name: "stranger".into() }];
    let err = client.read_verified(&format!("governance/accounts/{address}"), &strangers).await.unwrap_err();
    assert!(
        matches!(err, ClientError::Verify(VerifyError::Commit(CommitError::NotEnoughPower { got: 0, .. }))),
        "{err}"
    );
    node.stop();
}
