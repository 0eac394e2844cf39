//! Private data collections on a 4-validator network of real processes. Node-0 and node-1
//! serve the two member organisations of a collection; node-2 serves an organisation outside
//! it and node-3 none. Payloads reach members only, are refused to everyone else, reach a
//! member that was down when it returns, and are gone from both members once purged.

mod common;

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use common::net::*;
use dojang_crypto::{Algorithm, KeyFile, KeyProtection, Keypair};
use dojang_private::request;
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

/// A request to a node's private endpoint, signed by `key` (or unsigned); status and body.
async fn private(url: &str, method: &str, key: Option<&Keypair>, c: &str, k: &str, body: &[u8]) -> (u16, Value) {
    let path = format!("/v1/private/{c}/{k}");
    let client = reqwest::Client::new();
    let mut req = match method {
        "PUT" => client.put(format!("{url}{path}")).body(body.to_vec()),
        _ => client.get(format!("{url}{path}")),
    };
    if let Some(key) = key {
        for (name, value) in request::sign(key, method, &path, body, wall_clock_ms()).unwrap() {
            req = req.header(name, value);
        }
    }
    let r = req.send().await.unwrap();
    let status = r.status().as_u16();
    (status, r.json().await.unwrap_or(Value::Null))
}

async fn send(url: &str, key: &Keypair, module: &str, msg: Value) -> Value {
    let tx = TxBuilder::new("net-test", key.duplicate()).try_build(module, &msg).unwrap();
    let s = Client::new(url).submit(&tx, true).await.unwrap();
    let receipt = s.receipt.expect("final within the wait");
    assert_eq!(receipt["result"]["status"], "ok", "{msg}: {receipt}");
    receipt
}

/// Stores a payload on the writer's node and records its commitment; the commitment and the
/// height that recorded it.
async fn put_and_record(url: &str, writer: &Keypair, key: &str, payload: &[u8]) -> (String, u64) {
    let (status, answer) = private(url, "PUT", Some(writer), COLLECTION, key, payload).await;
    assert_eq!(status, 201, "{answer}");
    let receipt = send(url, writer, "collections", answer["record"].clone()).await;
    (answer["commitment"].as_str().unwrap().to_string(), receipt["height"].as_u64().unwrap())
}

/// Polls until the node answers `want` for the record, signed by `key`.
async fn wait_status(url: &str, key: &Keypair, k: &str, want: u16, within: Duration) -> Value {
    let deadline = Instant::now() + within;
    loop {
        let (status, body) = private(url, "GET", Some(key), COLLECTION, k, b"").await;
        if status == want {
            return body;
        }
        assert!(Instant::now() < deadline, "{url}: {k} answered {status} {body}, not {want}, within {within:?}");
        tokio::time::sleep(Duration::from_millis(200)).await;
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
    // The council (the admin alone on a test network) defines the collection.
    let define = json!({"type": "define", "id": COLLECTION,
                        "members": [comwel.public_key().address(), district.public_key().address()],
                        "erasure_approvals": 2, "retention_days": 1095});
    let proposal = json!({"type": "propose", "proposal": {"module": "collections", "msg": define},
                          "reason": "labour contracts shared by COMWEL and the district office",
                          "expires_at_ms": wall_clock_ms() + 600_000});
    send(&net.urls[0], &admin, "governance", proposal).await;

    // A member stores a contract on its node and records the commitment.
    let marker1 = format!("PDC-ONE-{:016x}", rand::random::<u64>());
    let payload1 = format!("{{\"worker\": \"Kim Minsu\", \"wage_krw\": 10320, \"note\": \"{marker1}\"}}");
    let (c1, h1) = put_and_record(&net.urls[0], &comwel, "contract-1", payload1.as_bytes()).await;
    wait_height(&net.urls[3], h1, Duration::from_secs(30)).await;
    let rec =
        Client::new(&net.urls[3]).query("collections", &format!("record/{COLLECTION}/contract-1"), &[]).await.unwrap();
    assert_eq!(rec["commitment"], json!(c1), "every node sees the commitment, and only it");

    // The other member's node fetches it and serves it to its organisation.
    let held = wait_status(&net.urls[1], &district, "contract-1", 200, Duration::from_secs(30)).await;
    assert_eq!(held["commitment"], json!(c1));
    use base64::Engine;
    let got = base64::engine::general_purpose::STANDARD.decode(held["payload_base64"].as_str().unwrap()).unwrap();
    assert_eq!(got, payload1.as_bytes());
    let salt1 = held["salt"].as_str().unwrap().to_string();

    // Everyone else is refused: an outsider at a member node, a member at a non-member's node,
    // any node without a member key, an unsigned request.
    let (s, b) = private(&net.urls[0], "GET", Some(&outsider), COLLECTION, "contract-1", b"").await;
    assert_eq!((s, b["type"].as_str().unwrap_or_default().ends_with("/not-a-member")), (403, true), "{b}");
    let (s, b) = private(&net.urls[2], "GET", Some(&comwel), COLLECTION, "contract-1", b"").await;
    assert_eq!((s, b["type"].as_str().unwrap_or_default().ends_with("/not-a-member-node")), (403, true), "{b}");
    let (s, _) = private(&net.urls[3], "GET", Some(&comwel), COLLECTION, "contract-1", b"").await;
    assert_eq!(s, 404);
    let (s, _) = private(&net.urls[0], "GET", None, COLLECTION, "contract-1", b"").await;
    assert_eq!(s, 401);
    let (s, _) = private(&net.urls[2], "PUT", Some(&outsider), COLLECTION, "contract-9", b"{}").await;
    assert_eq!(s, 403, "a non-member's node takes no payload");

    // A member that was down fetches what was recorded meanwhile when it returns.
    net.kill9(1);
    let marker2 = format!("PDC-TWO-{:016x}", rand::random::<u64>());
    let payload2 = format!("{{\"worker\": \"Lee Jiwoo\", \"wage_krw\": 11000, \"note\": \"{marker2}\"}}");
    let (c2, _) = put_and_record(&net.urls[0], &comwel, "contract-2", payload2.as_bytes()).await;
    net.start(1);
    let held2 = wait_status(&net.urls[1], &district, "contract-2", 200, Duration::from_secs(60)).await;
    assert_eq!(held2["commitment"], json!(c2));

    // Non-members never held the payload bytes, anywhere in their homes; members do.
    for i in [2, 3] {
        for m in [&marker1, &marker2] {
            assert_eq!(holding(&net.home(i), m.as_bytes()), Vec::<PathBuf>::new(), "node-{i} holds {m}");
        }
    }
    for i in [0, 1] {
        assert!(!holding(&net.home(i), marker1.as_bytes()).is_empty(), "member node-{i} holds contract-1");
    }

    // Erasure by both members: the payload and salt leave both members' homes.
    send(
        &net.urls[0],
        &comwel,
        "collections",
        json!({"type": "request_erasure", "collection": COLLECTION, "key": "contract-1"}),
    )
    .await;
    let r = send(
        &net.urls[1],
        &district,
        "collections",
        json!({"type": "request_erasure", "collection": COLLECTION, "key": "contract-1"}),
    )
    .await;
    assert!(r["events"].as_array().unwrap().iter().any(|e| e["kind"] == "purged"), "{r}");
    wait_height(&net.urls[2], r["height"].as_u64().unwrap(), Duration::from_secs(30)).await;
    for (i, key) in [(0, &comwel), (1, &district)] {
        wait_status(&net.urls[i], key, "contract-1", 410, Duration::from_secs(30)).await;
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
            assert!(Instant::now() < deadline, "node-{i} still holds contract-1's payload or salt in {left:?}");
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    }
    // The other record is untouched.
    assert!(!holding(&net.home(1), marker2.as_bytes()).is_empty());
    wait_status(&net.urls[0], &comwel, "contract-2", 200, Duration::from_secs(5)).await;
    let rec =
        Client::new(&net.urls[2]).query("collections", &format!("record/{COLLECTION}/contract-1"), &[]).await.unwrap();
    assert_eq!(rec["purged"]["reason"], "erasure");
}
