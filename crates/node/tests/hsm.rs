//! Keys in an HSM, end to end: a node whose consensus key is an Ed25519 key in SoftHSM2 makes
//! blocks, and `dojang tx` signs with a P-256 key in SoftHSM2 and gets a successful receipt.
//! SoftHSM2 comes from scripts/softhsm.sh (run by scripts/test.sh); without it this fails.

mod common;

use std::process::Command;
use std::time::Duration;

use common::net::wait_height;
use common::{NodeProcess, EXE};
use dojang_crypto::{Algorithm, Signer};
use dojang_pkcs11::softhsm::SoftHsm;
use dojang_pkcs11::{Pkcs11Config, Pkcs11Signer};
use serde_json::Value;

const TOKEN: &str = "dojang-node";
const PIN: &str = "246810";

#[tokio::test(flavor = "multi_thread")]
async fn node_signs_blocks_and_cli_signs_a_transaction_with_softhsm_keys() {
    let dir = tempfile::tempdir().unwrap();
    let hsm = SoftHsm::create(&dir.path().join("hsm")).unwrap_or_else(|e| panic!("{e}"));
    hsm.init_token(TOKEN, "135790", PIN).unwrap_or_else(|e| panic!("{e}"));
    // The node and the CLI started below inherit this, so they see the same token.
    std::env::set_var("SOFTHSM2_CONF", &hsm.conf);
    let pin_file = dir.path().join("pin");
    std::fs::write(&pin_file, format!("{PIN}\n")).unwrap();
    let config = |label: &str| Pkcs11Config {
        module: hsm.module.clone(),
        token: TOKEN.into(),
        key_label: label.into(),
        pin_file: Some(pin_file.clone()),
    };
    let validator = Pkcs11Signer::generate(&config("validator"), PIN, Algorithm::Ed25519).unwrap().public_key();
    let agency = Pkcs11Signer::generate(&config("agency"), PIN, Algorithm::P256).unwrap().public_key();

    // A home whose genesis names the HSM keys: the validator, and the admin (a council of one
    // that may anchor) as the agency key. Nothing in keys/ can sign for either.
    let home = dir.path().join("node");
    let out = Command::new(EXE)
        .args(["init", "--insecure-clear-keys", "--chain-id", "hsm-test", "--home"])
        .arg(&home)
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let genesis_path = home.join("genesis.json");
    let text = std::fs::read_to_string(&genesis_path).unwrap();
    let old_validator: Value = serde_json::from_str::<Value>(&text).unwrap()["validators"][0]["public_key"].clone();
    let admin = dojang_crypto::KeyFile::load(&home.join("keys/admin.json")).unwrap().public_key();
    let text = text
        .replace(old_validator.as_str().unwrap(), &validator.to_string())
        .replace(&admin.address().to_string(), &agency.address().to_string());
    std::fs::write(&genesis_path, text).unwrap();
    std::fs::remove_file(home.join("keys/validator.json")).unwrap();
    let mut cfg: toml::Table = std::fs::read_to_string(home.join("config.toml")).unwrap().parse().unwrap();
    let signer = format!(
        "kind = \"pkcs11\"\nmodule = \"{}\"\ntoken = \"{TOKEN}\"\nkey_label = \"validator\"\npin_file = \"{}\"\n",
        hsm.module.display(),
        pin_file.display()
    );
    cfg.insert("signer".into(), toml::Value::Table(signer.parse().unwrap()));
    std::fs::write(home.join("config.toml"), toml::to_string(&cfg).unwrap()).unwrap();

    let node = NodeProcess::start(&home);
    wait_height(&node.url, 3, Duration::from_secs(30)).await;
    let block: Value = reqwest::get(format!("{}/v1/blocks/2", node.url)).await.unwrap().json().await.unwrap();
    assert!(block.to_string().contains(&validator.address().to_string()), "block 2 is not the HSM key's: {block}");

    let root = hex::encode(dojang_types::sha256(&[b"hsm"]).0);
    let msg = format!(r#"{{"type":"anchor","namespace":"hsm","root":"{root}","leaves":1}}"#);
    let out = Command::new(EXE)
        .args(["tx", "--node", &node.url, "--wait", "--pkcs11-module"])
        .arg(&hsm.module)
        .args(["--pkcs11-token", TOKEN, "--pkcs11-key", "agency", "--pkcs11-pin-file"])
        .arg(&pin_file)
        .args(["anchor", &msg])
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{stdout}{}", String::from_utf8_lossy(&out.stderr));
    let printed: Value = serde_json::from_str(&stdout).unwrap_or_else(|e| panic!("{e}: {stdout}"));
    assert_eq!(printed["receipt"]["result"]["status"], "ok", "{printed}");
    node.stop();
}
