//! What an operator watches, on a 4-validator network: `/metrics` names peers, consensus
//! rounds, the height each validator was last heard voting at, store size and disk waits,
//! refusals by reason and the build; `/v1/node` (behind the admin token) gives the same to the
//! operator page with recent warnings.

mod common;

use std::time::{Duration, Instant};

use common::net::{wait_all, Net};

async fn metrics(url: &str) -> String {
    reqwest::get(format!("{url}/metrics")).await.unwrap().text().await.unwrap()
}

/// The value of the sample `name` (with its labels, if any) in a scrape.
fn sample(text: &str, name: &str) -> Option<f64> {
    text.lines()
        .find(|l| l.starts_with(name) && l[name.len()..].starts_with(' '))
        .and_then(|l| l[name.len() + 1..].parse().ok())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn metrics_and_the_node_report_tell_an_operator_what_the_network_is_doing() {
    let mut net = Net::create(4, 0);
    for i in 0..4 {
        net.start(i);
    }
    wait_all(&net.urls, 4, Duration::from_secs(60)).await;
    let url = net.urls[0].clone();

    // A refused transaction is counted by its reason.
    let http = reqwest::Client::new();
    let refused = http.post(format!("{url}/v1/txs")).json(&serde_json::json!({"tx": "00"})).send().await.unwrap();
    assert_eq!(refused.status(), 400);

    // Peers are polled every few seconds; wait for the first poll to see all three.
    let deadline = Instant::now() + Duration::from_secs(30);
    let text = loop {
        let text = metrics(&url).await;
        if sample(&text, "dojang_peers_connected") == Some(3.0) || Instant::now() > deadline {
            break text;
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
    };
    assert_eq!(sample(&text, "dojang_peers_connected"), Some(3.0), "{text}");
    let height = sample(&text, "dojang_height").unwrap();
    assert!(height >= 4.0);
    assert!(sample(&text, "dojang_consensus_heights_decided_total").unwrap() >= 1.0, "{text}");
    assert!(sample(&text, "dojang_consensus_rounds_started_total").unwrap() >= 1.0, "{text}");
    assert!(sample(&text, "dojang_consensus_round_changes_total").is_some(), "{text}");
    let voters: Vec<&str> = text.lines().filter(|l| l.starts_with("dojang_validator_last_vote_height{")).collect();
    assert_eq!(voters.len(), 4, "every validator was heard: {voters:?}");
    for v in &voters {
        let h: f64 = v.rsplit(' ').next().unwrap().parse().unwrap();
        assert!(h >= height - 3.0, "a validator heard long ago: {v} (height {height})");
    }
    assert!(sample(&text, "dojang_store_bytes").unwrap() > 0.0);
    let occupancy = sample(&text, "dojang_state_table_occupancy").unwrap();
    assert!((0.0..0.8).contains(&occupancy), "a new chain's table is far from full: {occupancy}");
    assert!(sample(&text, "dojang_store_commit_seconds_count").unwrap() >= 1.0, "{text}");
    assert!(sample(&text, "dojang_store_commit_max_seconds").unwrap() > 0.0, "{text}");
    assert_eq!(sample(&text, "dojang_tx_refused_total{reason=\"malformed-transaction\"}"), Some(1.0), "{text}");
    assert_eq!(sample(&text, "dojang_catching_up"), Some(0.0));
    let build = text.lines().find(|l| l.starts_with("dojang_build_info{")).expect("build info");
    assert!(build.contains(&format!("version=\"{}\"", env!("CARGO_PKG_VERSION"))), "{build}");
    assert!(!build.contains("commit=\"\""), "{build}");

    // Every metric the alert rules and the dashboard in deploy/ use is one the node exports.
    let exported: Vec<&str> =
        text.lines().filter_map(|l| l.strip_prefix("# TYPE ")).filter_map(|l| l.split(' ').next()).collect();
    for file in ["prometheus/alerts.yml", "grafana/dojang.json"] {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../deploy").join(file);
        let body = std::fs::read_to_string(&path).unwrap();
        let mut used: Vec<&str> = body
            .match_indices("dojang_")
            .map(|(i, _)| {
                let end =
                    body[i..].find(|c: char| !(c.is_ascii_alphanumeric() || c == '_')).map_or(body.len(), |n| i + n);
                &body[i..end]
            })
            .collect();
        used.sort();
        used.dedup();
        assert!(used.len() >= 5, "{file} names metrics");
        for name in used.into_iter().filter(|n| *n != "dojang_") {
            let family = name.strip_suffix("_sum").or_else(|| name.strip_suffix("_count")).unwrap_or(name);
            assert!(exported.contains(&family), "{file} uses {name}, which the node does not export");
        }
    }

    // The operator's report, only with the token.
    let node = format!("{url}/v1/node");
    assert_eq!(http.get(&node).send().await.unwrap().status(), 401);
    let token = std::fs::read_to_string(net.home(0).join("admin.token")).unwrap();
    let report: serde_json::Value =
        http.get(&node).bearer_auth(token.trim()).send().await.unwrap().json().await.unwrap();
    assert_eq!(report["chain_id"], "net-test");
    assert_eq!(report["peers"].as_array().unwrap().len(), 3, "{report}");
    let validators = report["validators"].as_array().unwrap();
    assert_eq!(validators.len(), 4);
    assert!(validators.iter().all(|v| v["last_vote_height"].as_u64().is_some()), "{report}");
    assert_eq!(report["mempool"]["refused"]["malformed-transaction"], 1);
    assert!(report["store"]["bytes"].as_u64().unwrap() > 0);
    assert!(report["recent_warnings"].is_array());
    assert!(report["latest_block_age_ms"].as_u64().is_some());
}
