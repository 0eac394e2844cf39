//! A validator whose clock runs an hour ahead, in a network of four under load. Its proposals
//! carry block times an hour ahead; the others refuse them (no prevote), so chain time stays
//! with the honest clocks, its turns go to the next round's proposer, and transactions keep
//! committing. Without the bound, one such block would have expired every transaction.

mod common;

use std::path::Path;
use std::time::Duration;

use common::net::{assert_acks_everywhere, assert_identical_chains, block, height, wait_all, wait_height, Net};
use common::Load;
use dojang_crypto::{KeyFile, Keypair};

const SKEW_MS: i64 = 3_600_000;
/// `consensus.max_clock_drift_ms` as the testnet configures it (the default).
const MAX_DRIFT_MS: u64 = 3_000;

/// Sets one integer in a node's config file before it starts (a fault to inject).
fn set_config(home: &Path, section: &str, key: &str, value: i64) {
    let path = home.join("config.toml");
    let mut doc: toml::Table = std::fs::read_to_string(&path).unwrap().parse().unwrap();
    doc.entry(section)
        .or_insert_with(|| toml::Value::Table(Default::default()))
        .as_table_mut()
        .unwrap()
        .insert(key.into(), toml::Value::Integer(value));
    std::fs::write(&path, toml::to_string(&doc).unwrap()).unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_proposer_with_a_skewed_clock_cannot_move_chain_time_ahead() {
    let mut net = Net::create(4, 0);
    let skewed = 1;
    set_config(&net.home(skewed), "ledger", "fault_clock_offset_ms", SKEW_MS);
    for i in 0..4 {
        net.start(i);
    }
    let key: Keypair = KeyFile::load(&net.home(skewed).join("keys").join("validator.json")).unwrap();
    let skewed_address = serde_json::to_value(key.public_key().address()).unwrap();

    let load = Load::start(net.urls.clone(), "net-test", &net.anchoring_keys(), 0x5c, 4);
    // With four equal validators the skewed one is the first proposer of every fourth height:
    // 40 heights give it ten turns.
    let from = height(&net.urls[0]).await;
    wait_height(&net.urls[0], from + 40, Duration::from_secs(180)).await;
    let acks = load.stop();
    let checked_at = dojang_types::wall_clock_ms();
    let top = height(&net.urls[0]).await;
    wait_all(&net.urls, top, Duration::from_secs(60)).await;

    let mut later_rounds = 0;
    let mut prev_time = 0;
    for h in 1..=top {
        let b = block(&net.urls[0], h).await;
        let header = &b["block"]["header"];
        let time = header["time_ms"].as_u64().unwrap();
        assert!(
            time <= checked_at + MAX_DRIFT_MS,
            "block {h} is stamped {} ms ahead of the clock: a skewed proposer moved chain time",
            time - checked_at
        );
        assert!(time > prev_time, "block {h}'s time does not follow its parent's");
        prev_time = time;
        assert_ne!(header["proposer"], skewed_address, "block {h} was proposed by the skewed validator");
        if b["commit"]["round"].as_u64().unwrap() > 0 {
            later_rounds += 1;
        }
    }
    // Its turns really came and were refused: those heights were decided in a later round.
    assert!(later_rounds >= 8, "only {later_rounds} of {top} heights needed a second round");
    // The chain went on, with transactions, and nothing acknowledged was lost.
    assert!(acks.len() >= 20, "only {} transactions acknowledged in {} heights", acks.len(), top - from);
    assert_acks_everywhere(&net.urls, &acks).await;
    assert_identical_chains(&net.urls, top).await;
}
