//! Four validators as real processes on loopback: kill -9 and restart, validators paused
//! with SIGSTOP, a validator down, growing from one validator to four by governance, and a
//! validator key running twice.

mod common;

use std::path::Path;
use std::process::Command;
use std::sync::Arc;
use std::time::{Duration, Instant};

use common::net::*;
use common::{Ack, Load, NodeProcess, EXE, IDLE_BLOCK_INTERVAL_MS};
use dojang_crypto::{KeyFile, Keypair};
use dojang_sdk::{Client, TxBuilder};
use dojang_types::wall_clock_ms;
use serde_json::{json, Value};

const ROUNDS: usize = 20;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kill_9_a_random_validator_twenty_times_under_load() {
    let mut net = Net::create(4, 0);
    for i in 0..4 {
        net.start(i);
    }
    wait_height(&net.urls[0], 2, Duration::from_secs(30)).await;
    // Acknowledgements are tagged with the round they arrive in: 0 before the first kill,
    // 1..=20 during the rounds.
    let load = Load::start(net.urls.clone(), "net-test", &net.anchoring_keys(), 7, 10);
    load.wait_for(1, Duration::from_secs(30)).await;

    // The acknowledgements each victim answered in the instant before it was killed.
    let mut last_words: Vec<Ack> = Vec::new();
    for round in 1..=ROUNDS {
        load.set_phase(round);
        let victim = rand::random::<usize>() % 4;
        let witness = (victim + 1) % 4;
        let before = height(&net.urls[witness]).await;
        // Mostly the victim dies right after acknowledging a transaction; if it has none to
        // acknowledge within 5 s it dies anyway.
        let just_acked = load.next_ack_from(victim, Duration::from_secs(5)).await;
        net.kill9(victim);
        last_words.extend(just_acked);
        tokio::time::sleep(Duration::from_millis(200 + rand::random::<u64>() % 800)).await;
        net.start(victim);
        // The survivors keep finalizing and the restarted node catches up with them.
        wait_height(&net.urls[witness], before + 2, Duration::from_secs(30)).await;
        let target = height(&net.urls[witness]).await;
        wait_height(&net.urls[victim], target, Duration::from_secs(30)).await;
        eprintln!("round {round}: killed node-{victim} at height {before}; all at {target} again");
    }
    let acks = load.stop();

    let during: Vec<&Ack> = acks.iter().filter(|a| (1..=ROUNDS).contains(&a.phase)).collect();
    let per_round: Vec<usize> = (1..=ROUNDS).map(|r| during.iter().filter(|a| a.phase == r).count()).collect();
    eprintln!(
        "acknowledged committed: {} before the first kill, {} during the rounds (per round {per_round:?}); \
         {} of {ROUNDS} victims killed right after acknowledging one",
        acks.len() - during.len(),
        during.len(),
        last_words.len()
    );
    // The check below means something only if the rounds produced acknowledgements, in
    // (nearly) every round and from every node.
    let quiet_rounds = per_round.iter().filter(|&&n| n == 0).count();
    assert!(during.len() >= 100, "only {} transactions acknowledged during the rounds", during.len());
    assert!(quiet_rounds <= 2, "{quiet_rounds} of {ROUNDS} rounds acknowledged nothing: {per_round:?}");
    for i in 0..4 {
        assert!(during.iter().any(|a| a.node == i), "node-{i} acknowledged nothing during the rounds");
    }
    // Mostly the victim died right after acknowledging, and those acknowledgements are among
    // the ones checked below.
    assert!(
        last_words.len() * 2 >= ROUNDS,
        "only {} of {ROUNDS} victims were killed right after acknowledging a transaction",
        last_words.len()
    );
    for w in &last_words {
        assert!(during.iter().any(|a| a.id == w.id), "the last acknowledgement {} before a kill is checked", w.id);
    }

    // Every acknowledged transaction (before and during the rounds, including each victim's
    // last) is on all four nodes, at the height and with the receipt it was acknowledged with.
    let top_ack = acks.iter().map(|a| a.receipt["height"].as_u64().expect("a receipt has a height")).max().unwrap();
    wait_all(&net.urls, top_ack, Duration::from_secs(30)).await;
    assert_acks_everywhere(&net.urls, &acks).await;

    // Same blocks and state roots on all nodes at every height.
    let top = lowest_height(&net.urls).await;
    assert!(top >= top_ack);
    assert_identical_chains(&net.urls, top).await;
    eprintln!("{} acknowledged transactions on all nodes; {top} blocks identical on all nodes", acks.len());
}

/// The longest a live chain may go without a block while one of four validators is frozen,
/// from the consensus timeouts in the node's configuration. A frozen validator costs the
/// heights it would propose one failed round: the others wait out the propose timeout, vote
/// nil and move to the next round, whose proposer is live. The engine lengthens each timeout
/// by half its base per round (dojang-consensus `engine.rs`), and a quiet chain makes a block
/// only every idle interval. The bound allows rounds 0 and 1 to fail in full (every timeout
/// of both rounds running out) and round 2 to run out its timeouts too before deciding, plus
/// one idle interval: twice the slack the one-failed-round argument needs, so it holds on a
/// busy two-core machine, yet far below the 10 s a validator stays frozen, so a chain that
/// waited for it would fail.
fn stall_bound(home: &Path) -> Duration {
    let cfg: toml::Table = std::fs::read_to_string(home.join("config.toml")).unwrap().parse().unwrap();
    let ms = |key: &str| cfg["consensus"][key].as_integer().unwrap_or_else(|| panic!("consensus.{key} is set")) as u64;
    let (propose, prevote, precommit) =
        (ms("timeout_propose_ms"), ms("timeout_prevote_ms"), ms("timeout_precommit_ms"));
    let round = |r: u64| propose + r * (propose / 2) + prevote + r * (prevote / 2) + precommit + r * (precommit / 2);
    Duration::from_millis((0..=2).map(round).sum::<u64>() + IDLE_BLOCK_INTERVAL_MS)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pausing_one_validator_then_another_stalls_nothing_longer_than_the_timeouts() {
    const PAUSE: Duration = Duration::from_secs(10);
    let mut net = Net::create(4, 0);
    for i in 0..4 {
        net.start(i);
    }
    wait_height(&net.urls[0], 2, Duration::from_secs(30)).await;
    let bound = stall_bound(&net.home(0));
    for i in 1..4 {
        assert_eq!(stall_bound(&net.home(i)), bound, "the nodes run the same timeouts");
    }
    // Node-3 is never paused: the test watches the chain through it.
    let watched = 3;
    let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let watcher = tokio::spawn(watch_arrivals(net.urls[watched].clone(), stop.clone()));
    let load = Load::start(net.urls.clone(), "net-test", &net.anchoring_keys(), 11, 10);
    load.wait_for(10, Duration::from_secs(30)).await;
    let from = height(&net.urls[watched]).await;

    // What happened when (wall clock, to set beside block times).
    let mut events: Vec<(u64, String)> = vec![(wall_clock_ms(), format!("load running; node-{watched} at {from}"))];
    let mut lagging = None;
    // Phase 1 and 3: node-1 and then node-2 frozen. Phase 2 and 4: after each is continued.
    for (k, victim) in [1usize, 2].into_iter().enumerate() {
        load.avoid(victim, true);
        load.set_phase(2 * k + 1);
        let before = height(&net.urls[watched]).await;
        net.pause(victim);
        let paused_at = Instant::now();
        events.push((wall_clock_ms(), format!("SIGSTOP node-{victim} (load average {})", load_average())));
        let at_stop = counters(&net.urls[watched]).await;
        tokio::time::sleep(PAUSE - Duration::from_secs(2)).await;
        let silent = tokio::time::timeout(Duration::from_secs(1), Client::new(&net.urls[victim]).status()).await;
        assert!(silent.is_err(), "node-{victim} answered while stopped");
        tokio::time::sleep_until((paused_at + PAUSE).into()).await;
        let during = height(&net.urls[watched]).await;
        let at_resume = counters(&net.urls[watched]).await;
        let mut others = Vec::new();
        for i in (0..4).filter(|&i| i != victim && i != watched) {
            others.push((i, counters(&net.urls[i]).await));
        }
        net.resume(victim);
        let resumed_at = Instant::now();
        events.push((wall_clock_ms(), format!("SIGCONT node-{victim} (load average {})", load_average())));
        load.set_phase(2 * k + 2);
        eprintln!("node-{victim} stopped for {:?}: the chain went {before} -> {during}", resumed_at - paused_at);
        eprintln!("  node-{watched} when it stopped: {at_stop}\n  node-{watched} when it resumed: {at_resume}");
        for (i, c) in &others {
            eprintln!("  node-{i} before SIGCONT: {c}");
        }
        assert!(during > before, "nothing finalized while node-{victim} was stopped ({before} -> {during})");
        // It catches up with the others (it has what the live node had a moment before, so it
        // votes again) and takes load again. Only then may the next validator stop: one
        // faulty validator at a time is what four tolerate.
        match wait_caught_up(&net.urls[victim], &net.urls[watched], Duration::from_secs(60)).await {
            Ok(at) => {
                eprintln!("node-{victim} caught up at {at} {:?} after SIGCONT", resumed_at.elapsed());
                events.push((wall_clock_ms(), format!("node-{victim} caught up at {at}")));
            }
            Err(why) => {
                events.push((wall_clock_ms(), format!("node-{victim} still behind")));
                lagging = Some(format!("node-{victim} after SIGCONT: {why}"));
                break;
            }
        }
        load.avoid(victim, false);
        tokio::time::sleep(Duration::from_secs(3)).await;
    }
    let to = height(&net.urls[watched]).await;
    events.push((wall_clock_ms(), format!("end of faults at {to} (load average {})", load_average())));
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    let arrivals = watcher.await.unwrap();
    let acks = load.stop();

    // The largest gap between consecutive blocks, by block time and by arrival at node-3.
    let (by_time, by_arrival) = largest_gaps(&net.urls[watched], from, to, &arrivals, &events).await;
    eprintln!("bound from the timeouts: {bound:?}");
    if let Some(why) = lagging {
        panic!("{why}");
    }
    // Under load throughout: transactions were acknowledged while each validator was frozen.
    let per_phase: Vec<usize> = (0..=4).map(|p| acks.iter().filter(|a| a.phase == p).count()).collect();
    eprintln!("acknowledged per phase (before, node-1 stopped, after, node-2 stopped, after): {per_phase:?}");
    assert!(per_phase[1] > 0 && per_phase[3] > 0, "no load while a validator was stopped: {per_phase:?}");
    assert!(to > from + 10, "the chain moved ({from} -> {to})");
    assert!(arrivals.len() > 10, "the watcher saw the chain move");
    assert!(by_time <= bound, "a {by_time:?} gap between block times; the timeouts allow {bound:?}");
    assert!(by_arrival <= bound, "node-{watched} saw no block for {by_arrival:?}; the timeouts allow {bound:?}");

    // All four caught up, with identical blocks and state roots at every height, and every
    // acknowledged transaction on each of them with its receipt.
    let top_ack = acks.iter().map(|a| a.receipt["height"].as_u64().unwrap()).max().unwrap();
    wait_all(&net.urls, to.max(top_ack), Duration::from_secs(30)).await;
    let top = lowest_height(&net.urls).await;
    assert_identical_chains(&net.urls, top).await;
    assert_acks_everywhere(&net.urls, &acks).await;
    eprintln!("all four at {top} or beyond with identical chains; {} acknowledged transactions on each", acks.len());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_validator_down_the_others_keep_finalizing() {
    let mut net = Net::create(4, 0);
    for i in 0..4 {
        net.start(i);
    }
    wait_height(&net.urls[0], 2, Duration::from_secs(30)).await;
    let live: Vec<String> = net.urls[..3].to_vec();
    let window = Duration::from_secs(12);
    let accounts = net.anchoring_keys();
    let flooder = tokio::spawn(async move { flood(live, "net-test", accounts, 1, Duration::from_secs(40)).await });
    tokio::time::sleep(Duration::from_secs(3)).await;
    let h0 = height(&net.urls[0]).await;
    tokio::time::sleep(window).await;
    let h1 = height(&net.urls[0]).await;
    let healthy = txs_between(&net.urls[0], h0, h1).await;
    net.kill9(3);
    tokio::time::sleep(Duration::from_secs(2)).await;
    let from = height(&net.urls[0]).await;
    tokio::time::sleep(window).await;
    let to = height(&net.urls[0]).await;
    let degraded = txs_between(&net.urls[0], from, to).await;
    flooder.abort();
    let live: Vec<String> = net.urls[..3].to_vec();
    eprintln!("finalized in {window:?}: {healthy} transactions healthy, {degraded} with one validator down");
    eprintln!("heights: healthy {h0} -> {h1}, one down {from} -> {to}");
    assert!(to >= from + 4, "the chain kept finalizing ({from} -> {to})");
    // Throughput itself is measured by `dojang bench` (docs/PERFORMANCE.md), not asserted here:
    // on two cores shared with the other tests the ratio swings (0.5-1.0 in recent runs). What
    // is asserted is that losing a validator does not cripple the others.
    assert!(
        degraded * 3 >= healthy,
        "with one validator down the others still finalize a third of the healthy load ({degraded} of {healthy})"
    );
    // A dead proposer costs one propose timeout (500 ms here) per turn, set by configuration.
    // The gaps are printed, not asserted: on two cores shared by three validators and this
    // load generator they are dominated by how long the slowest validator takes to execute a
    // block (all three are needed for a quorum), not by the timeout.
    let healthy_gaps = gaps(&net.urls[0], h0, h1).await;
    let degraded_gaps = gaps(&net.urls[0], from, to).await;
    let median = |g: &[u64]| g[g.len() / 2];
    eprintln!(
        "gap between blocks: median {} ms / longest {} ms healthy, median {} ms / longest {} ms with a validator down",
        median(&healthy_gaps),
        healthy_gaps.last().unwrap(),
        median(&degraded_gaps),
        degraded_gaps.last().unwrap()
    );
    assert_same_chain(&live, to).await;
}

/// The council of one proposes `msg`; its proposal is its approval, so it executes (or fails)
/// in the block that carries it. Returns the receipt.
async fn council(url: &str, admin: &TxBuilder, msg: Value) -> Value {
    let expires = dojang_types::wall_clock_ms() + 60_000;
    let proposal = json!({"type": "propose", "reason": "network test", "expires_at_ms": expires,
                          "proposal": {"module": "governance", "msg": msg}});
    let done = Client::new(url).submit(&admin.build("governance", &proposal), true).await.unwrap();
    let receipt = done.receipt.expect("final");
    assert_eq!(receipt["result"]["status"], "ok", "{receipt}");
    receipt
}

fn has_event(receipt: &Value, kind: &str) -> bool {
    receipt["events"].as_array().is_some_and(|events| events.iter().any(|e| e["kind"] == kind))
}

fn validator_key(home: &Path) -> Keypair {
    KeyFile::load(&home.join("keys/validator.json")).unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn grow_from_one_validator_to_four_and_remove_one() {
    let mut net = Net::create(1, 3);
    net.start(0);
    wait_height(&net.urls[0], 3, Duration::from_secs(30)).await;
    for i in 1..4 {
        net.start(i);
    }
    // Observers follow the chain and serve reads.
    let h = height(&net.urls[0]).await;
    wait_height(&net.urls[3], h, Duration::from_secs(30)).await;

    // The council (the admin, a council of one on this chain) cannot add three validators of
    // the genesis validator's power at once: one change moves at most a third (GOV-12).
    let admin = TxBuilder::new("net-test", net.key("admin"));
    let key = |i: usize| validator_key(&net.home(i)).public_key();
    let set_power = |nodes: &[usize], power: u64| -> Value {
        let updates: Vec<Value> =
            nodes.iter().map(|&i| json!({"public_key": key(i), "power": power, "name": format!("node-{i}")})).collect();
        json!({"type": "update_validators", "updates": updates})
    };
    let refused = council(&net.urls[1], &admin, set_power(&[1, 2, 3], 100)).await;
    assert!(has_event(&refused, "proposal_failed"), "{refused}");
    // In steps, through an observer (which relays to the validator): 100 -> 100+3x11 ->
    // 56+3x11 -> 56+3x20 -> 4x20, each moving at most a third of the power in force.
    let mut changed_at = 0;
    for (nodes, power) in [(&[1, 2, 3][..], 11), (&[0][..], 56), (&[1, 2, 3][..], 20), (&[0][..], 20)] {
        let receipt = council(&net.urls[1], &admin, set_power(nodes, power)).await;
        assert!(has_event(&receipt, "proposal_executed"), "{receipt}");
        changed_at = receipt["height"].as_u64().unwrap();
    }

    let set: Value = Client::new(&net.urls[0]).get("/v1/validators").await.unwrap();
    assert_eq!(set["validators"].as_array().unwrap().len(), 4, "{set}");
    // Blocks after the boundary carry the new validators' signatures.
    wait_height(&net.urls[0], changed_at + 3, Duration::from_secs(30)).await;
    let b = block(&net.urls[0], changed_at + 2).await;
    assert!(b["commit"]["signatures"].as_array().unwrap().len() >= 3, "{}", b["commit"]);

    // A reader pinned to the genesis set follows the four changes to the set now deciding,
    // each proven where it was made (the node keeps no older state), and reads with proof.
    let chain = dojang_sdk::TrustedChain::from_genesis_file(&net.home(0).join("genesis.json")).unwrap();
    let account = format!("governance/accounts/{}", net.key("admin").public_key().address());
    let read = Client::new(&net.urls[2]).read_verified(&account, &chain).await.unwrap();
    assert!(read.value.is_some() && read.height > changed_at, "{}", read.height);
    assert!(chain.pinned().0 > changed_at, "pinned from {} after the change at {changed_at}", chain.pinned().0);
    let kept: Value =
        Client::new(&net.urls[0]).get(&format!("/v1/validators?height={}", changed_at + 2)).await.unwrap();
    assert_eq!(kept["proof"]["version"], changed_at, "the set is proven at the block that set it: {kept}");

    // With four, the original validator can go down and the chain goes on.
    net.kill9(0);
    let live: Vec<String> = net.urls[1..].to_vec();
    let h = height(&live[0]).await;
    wait_height(&live[0], h + 3, Duration::from_secs(30)).await;

    // Removing a validator works the same way.
    let remove = json!({"type": "update_validators", "updates": [{"public_key": validator_key(&net.home(0)).public_key(), "power": 0, "name": "node-0"}]});
    assert!(has_event(&council(&live[0], &admin, remove).await, "proposal_executed"));
    let set: Value = Client::new(&live[0]).get("/v1/validators").await.unwrap();
    assert_eq!(set["validators"].as_array().unwrap().len(), 3);
    let h = height(&live[0]).await;
    wait_height(&live[2], h + 2, Duration::from_secs(30)).await;
    assert_same_chain(&live, h + 2).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_validator_key_running_twice_is_caught_and_strangers_are_ignored() {
    let mut net = Net::create(4, 0);
    // A standby copy of node-3 with the same validator key (the classic operator mistake) and
    // a stranger that believes it is the only validator of a chain with the same id.
    let twin = net.dir.path().join("twin");
    let stranger = net.dir.path().join("stranger");
    let base = free_base(2);
    let peers: Vec<String> = (0..4)
        .map(|i| {
            let text = std::fs::read_to_string(net.home(i).join("config.toml")).unwrap();
            let cfg: toml::Table = text.parse().unwrap();
            cfg["consensus"]["listen_addr"].as_str().unwrap().to_string()
        })
        .collect();
    let genesis = net.home(0).join("genesis.json");
    for (home, port) in [(&twin, base), (&stranger, base + 1)] {
        let mut args =
            vec!["join".to_string(), "--insecure-clear-keys".into(), "--home".into(), home.display().to_string()];
        args.extend(["--genesis".into(), genesis.display().to_string(), "--moniker".into(), "extra".into()]);
        args.extend(["--api-listen".into(), format!("127.0.0.1:{port}")]);
        args.extend(["--p2p-listen".into(), format!("/ip4/127.0.0.1/tcp/{}", port + 100)]);
        for p in &peers {
            args.extend(["--peer-p2p".into(), p.clone()]);
        }
        let out = Command::new(EXE).args(&args).output().unwrap();
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    }
    std::fs::copy(net.home(3).join("keys/validator.json"), twin.join("keys/validator.json")).unwrap();
    // The stranger's own genesis makes it the sole validator of "net-test".
    let mut g: Value = serde_json::from_str(&std::fs::read_to_string(&genesis).unwrap()).unwrap();
    g["validators"] = json!([{"name": "stranger", "public_key": validator_key(&stranger).public_key(), "power": 1}]);
    std::fs::write(stranger.join("genesis.json"), serde_json::to_string(&g).unwrap()).unwrap();

    for i in 0..4 {
        net.start(i);
    }
    wait_height(&net.urls[0], 2, Duration::from_secs(30)).await;
    // The twin gives up on each proposal at once and prevotes nil where node-3, which waits for
    // it, prevotes the block: the same key, two votes in one round, in most rounds.
    let _twin = NodeProcess::start_configured_with_env(&twin, &[("DOJANG_CONSENSUS__TIMEOUT_PROPOSE_MS", "1")]);
    let _stranger = NodeProcess::start_configured(&stranger);
    let load = Load::start(net.urls.clone(), "net-test", &net.anchoring_keys(), 3, 10);

    let culprit = validator_key(&net.home(3)).public_key().address().to_string();
    // The twin equivocates when it votes in the same round as node-3 with another value; left
    // to chance, that race took more than two minutes to come up in a CI run, hence its short
    // propose timeout. The window stays generous.
    let deadline = Instant::now() + Duration::from_secs(120);
    let mut found = None;
    while found.is_none() && Instant::now() < deadline {
        for url in &net.urls {
            let ev: Value = Client::new(url).get("/v1/evidence").await.unwrap();
            if let Some(e) = ev["evidence"].as_array().unwrap().iter().find(|e| e["validator"] == culprit.as_str()) {
                found = Some(e.clone());
            }
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    drop(load);
    let e = found.expect("the double-signing validator's evidence is served by /v1/evidence");
    assert_ne!(e["first"], e["second"], "{e}");
    assert_ne!(e["first_signature"], e["second_signature"]);

    // The stranger's blocks never entered the chain; the members agree.
    let stranger_addr = validator_key(&stranger).public_key().address().to_string();
    let top = height(&net.urls[0]).await;
    for h in 1..=top {
        assert_ne!(block(&net.urls[0], h).await["block"]["header"]["proposer"], stranger_addr.as_str());
    }
    assert_same_chain(&net.urls, lowest_height(&net.urls).await).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_two_two_split_finalizes_nothing_and_heals() {
    let mut net = Net::create(4, 0);
    // Every node reaches every other through a link the test controls.
    let p2p_port = |i: usize| -> u16 {
        let cfg: toml::Table = std::fs::read_to_string(net.home(i).join("config.toml")).unwrap().parse().unwrap();
        cfg["consensus"]["listen_addr"].as_str().unwrap().rsplit('/').next().unwrap().parse().unwrap()
    };
    let ports: Vec<u16> = (0..4).map(p2p_port).collect();
    let mut links = Vec::new();
    for i in 0..4 {
        let mut peers = Vec::new();
        for j in (0..4).filter(|&j| j != i) {
            let link = Link::to(ports[j]);
            peers.push(toml::Value::String(format!("/ip4/127.0.0.1/tcp/{}", link.port)));
            links.push(((i, j), link));
        }
        let path = net.home(i).join("config.toml");
        let mut cfg: toml::Table = std::fs::read_to_string(&path).unwrap().parse().unwrap();
        cfg["consensus"].as_table_mut().unwrap().insert("persistent_peers".into(), toml::Value::Array(peers));
        std::fs::write(&path, toml::to_string(&cfg).unwrap()).unwrap();
    }
    for i in 0..4 {
        net.start(i);
    }
    wait_height(&net.urls[0], 3, Duration::from_secs(30)).await;

    let side = |i: usize| i / 2;
    for ((i, j), link) in &links {
        if side(*i) != side(*j) {
            link.pause(true);
        }
    }
    // What was in flight settles; after that nothing may be finalized on either side.
    tokio::time::sleep(Duration::from_secs(1)).await;
    let mut before = Vec::new();
    for u in &net.urls {
        before.push(height(u).await);
    }
    tokio::time::sleep(Duration::from_secs(6)).await;
    for (u, b) in net.urls.iter().zip(&before) {
        let now = height(u).await;
        assert!(now <= b + 1, "{u} finalized {now} during the split (was {b})");
    }

    let healed_at = Instant::now();
    for (_, link) in &links {
        link.pause(false);
    }
    let top = before.iter().max().unwrap() + 2;
    for u in &net.urls {
        wait_height(u, top, Duration::from_secs(30)).await;
    }
    let took = healed_at.elapsed();
    eprintln!("progress resumed {took:?} after healing");
    assert!(took <= Duration::from_secs(5), "progress resumed only {took:?} after healing");
    assert_same_chain(&net.urls, top).await;
}
