//! A used car sold on a real node, its notice contradicted inside the window, and the buyer's
//! evidence package: `dojang cars evidence` gathers it with every proof, `dojang cars
//! check-evidence` checks it offline against the genesis file alone (the node stopped). Any
//! altered part of the package, or another chain's genesis, makes the check fail and say why.

mod common;

use std::process::Command;
use std::time::Duration;

use common::net::{height, wait_height};
use common::{NodeProcess, EXE};
use dojang_cars::msg::{CarsMsg, Grade, Notice, Party, Record, Severity};
use dojang_cars::notice::sign_both;
use dojang_cars_service::evidence::{self, EvidencePackage};
use dojang_cars_service::lookup::history_verified;
use dojang_crypto::{Algorithm, KeyFile, Keypair};
use dojang_governance::GovernanceMsg;
use dojang_sdk::{Client, TxBuilder};
use dojang_types::{wall_clock_ms, Address, Date, Hash, Validator};
use serde_json::Value;

const CHAIN: &str = "cars-test";
const VIN: &str = "KMHDN45D22U123456";

fn addr(k: &Keypair) -> Address {
    k.public_key().address()
}

fn ago(days: i64) -> Date {
    Date::from_unix_ms_kst(wall_clock_ms()).plus_days(-days)
}

async fn send(client: &Client, key: &Keypair, msg: &CarsMsg) {
    let r = client.send(&TxBuilder::new(CHAIN, key.duplicate()), msg).await.unwrap_or_else(|e| panic!("{msg:?}: {e}"));
    assert_eq!(r["result"]["status"], "ok", "{msg:?}: {r}");
}

async fn attest(client: &Client, key: &Keypair, record: Record) {
    send(client, key, &CarsMsg::Attest { vin: VIN.into(), record }).await;
}

fn refused(package: &EvidencePackage, chain: &str, genesis: &[Validator]) -> String {
    match evidence::check(package, chain, genesis) {
        Ok(report) => panic!("an altered package was accepted: {report:?}"),
        Err(e) => e.to_string(),
    }
}

fn set_in(v: &mut Value, path: &[&str], new: Value) {
    let mut at = v;
    for p in path {
        at = match p.parse::<usize>() {
            Ok(i) => &mut at[i],
            Err(_) => &mut at[*p],
        };
    }
    *at = new;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_contradicted_notice_gives_the_buyer_evidence_that_checks_offline_and_fails_when_altered() {
    let dir = tempfile::tempdir().unwrap();
    let home = dir.path().join("node");
    common::init_demo(&home, CHAIN);
    let node = NodeProcess::start(&home);
    let client = Client::new(&node.url);
    let admin = TxBuilder::new(CHAIN, KeyFile::load(&home.join("keys/admin.json")).unwrap());
    let council = |msg: &CarsMsg| GovernanceMsg::propose(msg, "used-car registry", wall_clock_ms() + 600_000);
    let at = height(&node.url).await + 4;
    let activate = GovernanceMsg::Activate { module: "cars".into(), version: None, at_height: at };
    client.send(&admin, &GovernanceMsg::propose(&activate, "cars", wall_clock_ms() + 600_000)).await.unwrap();
    wait_height(&node.url, at, Duration::from_secs(30)).await;

    let k = || Keypair::generate(Algorithm::Ed25519);
    let (office, inspector, dealer, insurer, owner) = (k(), k(), k(), k(), k());
    for (key, party, name) in [
        (&office, Party::RegistrationOffice, "Seoul Vehicle Registration Office"),
        (&inspector, Party::Inspector, "Janganpyeong Inspection Co."),
        (&dealer, Party::Dealer, "Janganpyeong Motors"),
        (&insurer, Party::Insurer, "Hangang Insurance"),
    ] {
        let accredit = CarsMsg::Accredit { account: addr(key), party, organisation: name.into() };
        let r = client.send(&admin, &council(&accredit)).await.unwrap();
        assert_eq!(r["result"]["status"], "ok", "{r}");
    }
    attest(&client, &office, Record::Registration { on: ago(1500), km: 12 }).await;
    attest(&client, &office, Record::Transfer { on: ago(1500), owner: addr(&owner) }).await;
    let inspection = Record::Inspection {
        on: ago(10),
        km: 84_000,
        flood: false,
        accident: false,
        grade: Grade::Good,
        photos: vec![Hash([5; 32])],
        report: Hash([6; 32]),
    };
    attest(&client, &inspector, inspection).await;
    send(&client, &owner, &CarsMsg::Mandate { vin: VIN.into(), dealer: addr(&dealer), until: ago(-30) }).await;
    let notice = Notice {
        vin: VIN.into(),
        dealer: addr(&dealer),
        inspector: addr(&inspector),
        inspection: 3,
        inspected_on: ago(10),
        km: 84_000,
        flood: false,
        accident: false,
        grade: Grade::Good,
        photos: vec![Hash([5; 32])],
        liens: vec![],
        fees_krw: 330_000,
        issued_on: ago(5),
    };
    let sale = CarsMsg::RecordSale {
        vin: VIN.into(),
        notice: sign_both(&notice, &dealer, &inspector),
        buyer: addr(&k()),
        contract_on: ago(3),
        delivered_on: ago(3),
    };
    send(&client, &dealer, &sale).await;
    // The insurer reports last summer's flood, which the notice denied.
    attest(&client, &insurer, Record::Accident { on: ago(120), km: None, severity: Severity::Minor, flood: true })
        .await;

    let genesis_file = home.join("genesis.json");
    // Anyone considering the car reads its whole history with one proof.
    let pinned = dojang_sdk::TrustedChain::from_genesis_file(&genesis_file).unwrap();
    let h = history_verified(&client, &pinned, VIN).await.unwrap().expect("a history");
    assert_eq!(h.records.len(), 4);
    assert_eq!(h.records[3].flags.len(), 1, "the flood record carries its contradiction");
    assert!(history_verified(&client, &pinned, "1M8GDM9AXKP042788").await.unwrap().is_none());
    let package_file = dir.path().join("evidence.json");
    let out = Command::new(EXE)
        .args(["cars", "evidence", VIN, "1", "--node", &node.url, "--genesis"])
        .arg(&genesis_file)
        .arg("--out")
        .arg(&package_file)
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    // No contradiction, no evidence: the first sale of another car does not exist.
    let none = Command::new(EXE)
        .args(["cars", "evidence", "1M8GDM9AXKP042788", "1", "--node", &node.url, "--genesis"])
        .arg(&genesis_file)
        .arg("--out")
        .arg(dir.path().join("none.json"))
        .output()
        .unwrap();
    assert!(!none.status.success());
    node.stop();

    // Offline: the node is gone, the genesis file is all the checker trusts.
    let check = |file: &std::path::Path| {
        Command::new(EXE)
            .args(["cars", "check-evidence"])
            .arg(file)
            .arg("--genesis")
            .arg(&genesis_file)
            .arg("--json")
            .output()
            .unwrap()
    };
    let out = check(&package_file);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let report: Value = serde_json::from_slice(out.stdout.trim_ascii()).unwrap();
    assert_eq!(report["vin"], VIN);
    assert_eq!(report["dealer"], addr(&dealer).to_string());
    let contradictions = report["contradictions"].as_array().unwrap();
    assert_eq!(contradictions.len(), 1, "{report}");
    assert_eq!((contradictions[0]["seq"].as_u64(), contradictions[0]["fact"].as_str()), (Some(4), Some("flood")));
    assert_eq!(contradictions[0]["attester"], addr(&insurer).to_string());

    let package: EvidencePackage = serde_json::from_slice(&std::fs::read(&package_file).unwrap()).unwrap();
    let genesis = dojang_ledger::Genesis::load(&genesis_file).unwrap();
    let validators = genesis.validator_set();
    assert!(evidence::check(&package, CHAIN, &validators).is_ok());
    let as_value = serde_json::to_value(&package).unwrap();
    let altered = |path: &[&str], new: Value| -> EvidencePackage {
        let mut v = as_value.clone();
        set_in(&mut v, path, new);
        serde_json::from_value(v).unwrap()
    };

    // Another chain's genesis, or another validator set: nothing is proven.
    let stranger = k();
    let other = vec![Validator {
        address: addr(&stranger),
        public_key: stranger.public_key(),
        power: 10,
        name: "elsewhere".into(),
    }];
    assert!(refused(&package, CHAIN, &other).contains("validator"), "{}", refused(&package, CHAIN, &other));
    assert!(refused(&package, "another-chain", &validators).contains("another-chain"));
    // The sale record's value changed (the notice's hash, say): its Merkle proof fails.
    let states = as_value["proofs"]["states"].as_array().unwrap();
    let sale_at = states.iter().position(|s| s["key"] == format!("cars/sales/{VIN}/0001")).unwrap();
    let value = states[sale_at]["value_hex"].as_str().unwrap();
    let mut bytes = hex::decode(value).unwrap();
    let i = bytes.len() / 2;
    bytes[i] ^= 1;
    let e = refused(
        &altered(&["proofs", "states", &sale_at.to_string(), "value_hex"], Value::from(hex::encode(&bytes))),
        CHAIN,
        &validators,
    );
    assert!(e.contains("cars/sales"), "{e}");
    // The sale's transaction swapped for the insurer's: its bytes no longer hash to the id.
    let txs = as_value["proofs"]["txs"].as_array().unwrap();
    let other_tx = txs[1]["answer"]["tx_hex"].clone();
    let e = refused(&altered(&["proofs", "txs", "0", "answer", "tx_hex"], other_tx), CHAIN, &validators);
    assert!(e.contains("hash to its id"), "{e}");
    // The contradicting record's transaction left out.
    let mut v = as_value.clone();
    v["proofs"]["txs"].as_array_mut().unwrap().pop();
    let e = refused(&serde_json::from_value(v).unwrap(), CHAIN, &validators);
    assert!(e.contains("no proof of the transaction of record 4"), "{e}");
    // A certificate's signature altered.
    let sig = txs[0]["block"]["commit"]["signatures"][0]["signature"].as_str().expect("a hex signature").to_string();
    let flipped = format!("{}{}", if sig.starts_with('0') { '1' } else { '0' }, &sig[1..]);
    let e = refused(
        &altered(&["proofs", "txs", "0", "block", "commit", "signatures", "0", "signature"], Value::from(flipped)),
        CHAIN,
        &validators,
    );
    assert!(!e.is_empty());
    // Another format.
    let e = refused(&altered(&["format"], Value::from("dojang/cars/evidence/v0")), CHAIN, &validators);
    assert!(e.contains("format"), "{e}");
    // The CLI says so and exits 1 for a damaged file.
    let damaged = dir.path().join("damaged.json");
    let mut v = as_value.clone();
    v["proofs"]["states"].as_array_mut().unwrap().remove(sale_at);
    std::fs::write(&damaged, serde_json::to_vec(&v).unwrap()).unwrap();
    let out = check(&damaged);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("no proof of cars/sales"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    std::fs::write(&damaged, b"{not json").unwrap();
    let out = check(&damaged);
    assert!(!out.status.success() && String::from_utf8_lossy(&out.stderr).contains("not an evidence package"));
}
