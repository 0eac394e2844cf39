//! Private data collections on a 4-validator network of real processes. Node-0 and node-1
//! serve the two member organisations of a collection; node-2 serves an organisation outside
//! it and node-3 none. Payloads reach members only, are refused to everyone else, reach a
//! member that was down when it returns, and are gone from both members once purged.

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use common::net::*;
use common::EXE;
use dojang_collections::CollectionsMsg;
use dojang_crypto::{Algorithm, KeyFile, KeyProtection, Keypair};
use dojang_governance::GovernanceMsg;
use dojang_private::client::ClientError;
use dojang_private::{Held, PrivateClient};
use dojang_sdk::{Client, TxBuilder};
use dojang_types::wall_clock_ms;
use serde_json::{json, Value};

const COLLECTION: &str = "labour-contracts";

/// Gives node `i` the key of the organisation it serves.
fn serve_member(net: &Net, i: usize, key: &Keypair) {
    let home = net.home(i);
    KeyFile::save_new(key, &home.join("keys").join("member.json"), KeyProtection::Clear).unwrap();
    let path = home.join("config.toml");
    let mut doc: toml::Table = std::fs::read_to_string(&path).unwrap().parse().unwrap();
    let mut section = toml::Table::new();
    section.insert("member_key".into(), toml::Value::String("keys/member.json".into()));
    doc.insert("private".into(), toml::Value::Table(section));
    std::fs::write(&path, toml::to_string(&doc).unwrap()).unwrap();
}

async fn send(url: &str, key: &Keypair, module: &str, msg: Value) -> Value {
    let tx = TxBuilder::new("net-test", key.duplicate()).try_build(module, &msg).unwrap();
    let s = Client::new(url).submit(&tx, true).await.unwrap();
    let receipt = s.receipt.expect("final within the wait");
    assert_eq!(receipt["result"]["status"], "ok", "{msg}: {receipt}");
    receipt
}

/// Stores a payload on the writer's node and records its commitment: the key the node drew,
/// the commitment and the height that recorded it.
async fn put_and_record(url: &str, writer: &Keypair, payload: &[u8]) -> (String, String, u64) {
    let stored = PrivateClient::new(url, "net-test").store(writer, COLLECTION, payload).await.unwrap();
    let receipt = Client::new(url).send(&TxBuilder::new("net-test", writer.duplicate()), &stored.record).await.unwrap();
    (stored.key, stored.commitment.to_string(), receipt["height"].as_u64().unwrap())
}

/// Polls until the node answers the record to `key` (Ok) or refuses it with `status` (Err).
async fn wait_answer(url: &str, key: &Keypair, k: &str, want: Option<u16>, within: Duration) -> Option<Held> {
    let deadline = Instant::now() + within;
    let client = PrivateClient::new(url, "net-test");
    loop {
        let got = client.fetch(key, COLLECTION, k).await;
        match (&got, want) {
            (Ok(_), None) => return got.ok(),
            (Err(ClientError::Refused { status, .. }), Some(w)) if *status == w => return None,
            _ => {}
        }
        assert!(Instant::now() < deadline, "{url}: {k} answered {got:?}, not {want:?}, within {within:?}");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

/// The status a node refuses a fetch with.
async fn refusal(url: &str, key: &Keypair, k: &str) -> (u16, String) {
    match PrivateClient::new(url, "net-test").fetch(key, COLLECTION, k).await {
        Err(ClientError::Refused { status, kind, .. }) => {
            (status, kind.rsplit('/').next().unwrap_or_default().to_string())
        }
        other => panic!("{url}: expected a refusal, got {other:?}"),
    }
}

fn files(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir).into_iter().flatten().flatten() {
        let p = e.path();
        if p.is_dir() {
            out.extend(files(&p));
        } else {
            out.push(p);
        }
    }
    out
}

/// The files under a node's home (store, logs, keys, private store) that contain `needle`.
fn holding(home: &Path, needle: &[u8]) -> Vec<PathBuf> {
    files(home)
        .into_iter()
        .filter(|f| std::fs::read(f).map(|b| b.windows(needle.len()).any(|w| w == needle)).unwrap_or(false))
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn payloads_live_only_on_members_reach_a_returning_member_and_are_purged_everywhere() {
    let mut net = Net::create(4, 0);
    let comwel = Keypair::generate(Algorithm::Ed25519);
    let district = Keypair::generate(Algorithm::Ed25519);
    let outsider = Keypair::generate(Algorithm::Ed25519);
    serve_member(&net, 0, &comwel);
    serve_member(&net, 1, &district);
    serve_member(&net, 2, &outsider);
    for i in 0..4 {
        net.start(i);
    }
    wait_height(&net.urls[0], 2, Duration::from_secs(30)).await;
    let admin = net.key("admin");
    let admin_tx = TxBuilder::new("net-test", admin.duplicate());
    let client = Client::new(&net.urls[0]);
    // The council (the admin alone on a test network) switches the module on, then defines
    // the collection.
    let at = height(&net.urls[0]).await + 3;
    let activate = GovernanceMsg::Activate { module: "collections".into(), version: None, at_height: at };
    client
        .send(
            &admin_tx,
            &GovernanceMsg::propose(&activate, "private collections from this release", wall_clock_ms() + 600_000),
        )
        .await
        .unwrap();
    wait_height(&net.urls[0], at, Duration::from_secs(30)).await;
    let define = CollectionsMsg::Define {
        id: COLLECTION.into(),
        members: vec![comwel.public_key().address(), district.public_key().address()],
        erasure_approvals: 2,
        retention_days: 1095,
    };
    let r = client
        .send(
            &admin_tx,
            &GovernanceMsg::propose(
                &define,
                "labour contracts shared by COMWEL and the district office",
                wall_clock_ms() + 600_000,
            ),
        )
        .await
        .unwrap();
    assert!(r["events"].as_array().unwrap().iter().any(|e| e["kind"] == "proposal_executed"), "{r}");

    // A member stores a contract on its node and records the commitment.
    let marker1 = format!("PDC-ONE-{:016x}", rand::random::<u64>());
    let payload1 = format!("{{\"worker\": \"Kim Minsu\", \"wage_krw\": 10320, \"note\": \"{marker1}\"}}");
    let (k1, c1, h1) = put_and_record(&net.urls[0], &comwel, payload1.as_bytes()).await;
    wait_height(&net.urls[3], h1, Duration::from_secs(30)).await;
    let rec = Client::new(&net.urls[3]).query("collections", &format!("record/{COLLECTION}/{k1}"), &[]).await.unwrap();
    assert_eq!(rec["commitment"], json!(c1), "every node sees the commitment, and only it");

    // The other member's node fetches it and serves it to its organisation.
    let held = wait_answer(&net.urls[1], &district, &k1, None, Duration::from_secs(30)).await.unwrap();
    assert_eq!(held.commitment.to_string(), c1);
    assert_eq!(held.payload, payload1.as_bytes());
    let salt1 = hex::encode(held.salt);

    // With the command line: the member fetches it; an auditor shown payload and salt checks
    // them against the ledger, and a wrong salt does not pass.
    let member_key = net.home(1).join("keys").join("member.json");
    let fetched = Command::new(EXE)
        .args(["private", "fetch", "--node", &net.urls[1], "--collection", COLLECTION, &k1, "--key"])
        .arg(&member_key)
        .output()
        .unwrap();
    assert!(fetched.status.success(), "{}", String::from_utf8_lossy(&fetched.stderr));
    assert_eq!(fetched.stdout, payload1.as_bytes());
    let shown = net.dir.path().join("shown-to-auditor.json");
    std::fs::write(&shown, &payload1).unwrap();
    let verify = |salt: &str| {
        Command::new(EXE)
            .args(["private", "verify", "--node", &net.urls[3], "--collection", COLLECTION, &k1, "--salt", salt])
            .arg(&shown)
            .output()
            .unwrap()
    };
    let ok = verify(&salt1);
    assert!(ok.status.success() && String::from_utf8_lossy(&ok.stdout).contains("match the commitment"), "{ok:?}");
    let wrong = verify(&"00".repeat(32));
    assert!(!wrong.status.success() && String::from_utf8_lossy(&wrong.stderr).contains("do NOT match"), "{wrong:?}");
    std::fs::remove_file(&shown).unwrap();

    // Everyone else is refused: an outsider at a member node, a member at a non-member's node,
    // any node without a member key.
    assert_eq!(refusal(&net.urls[0], &outsider, &k1).await, (403, "not-a-member".into()));
    assert_eq!(refusal(&net.urls[2], &comwel, &k1).await, (403, "not-a-member-node".into()));
    assert_eq!(refusal(&net.urls[3], &comwel, &k1).await.0, 404);
    let at_outsider = PrivateClient::new(&net.urls[2], "net-test").store(&outsider, COLLECTION, b"{}").await;
    assert!(
        matches!(at_outsider, Err(ClientError::Refused { status: 403, .. })),
        "a non-member's node takes no payload"
    );

    // A member that was down fetches what was recorded meanwhile when it returns.
    net.kill9(1);
    let marker2 = format!("PDC-TWO-{:016x}", rand::random::<u64>());
    let payload2 = format!("{{\"worker\": \"Lee Jiwoo\", \"wage_krw\": 11000, \"note\": \"{marker2}\"}}");
    let (k2, c2, _) = put_and_record(&net.urls[0], &comwel, payload2.as_bytes()).await;
    net.start(1);
    let held2 = wait_answer(&net.urls[1], &district, &k2, None, Duration::from_secs(60)).await.unwrap();
    assert_eq!(held2.commitment.to_string(), c2);

    // Non-members never held the payload bytes, anywhere in their homes; members do.
    for i in [2, 3] {
        for m in [&marker1, &marker2] {
            assert_eq!(holding(&net.home(i), m.as_bytes()), Vec::<PathBuf>::new(), "node-{i} holds {m}");
        }
    }
    for i in [0, 1] {
        assert!(!holding(&net.home(i), marker1.as_bytes()).is_empty(), "member node-{i} holds the first payload");
    }

    // Erasure by both members: the payload and salt leave both members' homes.
    let erase = json!({"type": "request_erasure", "collection": COLLECTION, "key": k1});
    send(&net.urls[0], &comwel, "collections", erase.clone()).await;
    let r = send(&net.urls[1], &district, "collections", erase).await;
    assert!(r["events"].as_array().unwrap().iter().any(|e| e["kind"] == "purged"), "{r}");
    wait_height(&net.urls[2], r["height"].as_u64().unwrap(), Duration::from_secs(30)).await;
    for (i, key) in [(0, &comwel), (1, &district)] {
        wait_answer(&net.urls[i], key, &k1, Some(410), Duration::from_secs(30)).await;
    }
    let salt_raw = hex::decode(&salt1).unwrap();
    let deadline = Instant::now() + Duration::from_secs(30);
    for i in 0..4 {
        loop {
            let left: Vec<PathBuf> = [marker1.as_bytes(), salt1.as_bytes(), &salt_raw]
                .iter()
                .flat_map(|n| holding(&net.home(i), n))
                .collect();
            if left.is_empty() {
                break;
            }
            assert!(Instant::now() < deadline, "node-{i} still holds the first payload or salt in {left:?}");
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    }
    // The other record is untouched.
    assert!(!holding(&net.home(1), marker2.as_bytes()).is_empty());
    wait_answer(&net.urls[0], &comwel, &k2, None, Duration::from_secs(5)).await;
    let rec = Client::new(&net.urls[2]).query("collections", &format!("record/{COLLECTION}/{k1}"), &[]).await.unwrap();
    assert_eq!(rec["purged"]["reason"], "erasure");
}
