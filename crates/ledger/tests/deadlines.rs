//! Deadlines and block hooks: scheduled work runs once, in the first block whose time reaches
//! it, in (time, module, key) order, bounded per block with the rest carried over, with the
//! same result on every validator; what it emits is kept in state.

use std::time::Duration;

use dojang_crypto::{Algorithm, Keypair};
use dojang_ledger::{
    hook_events_key, read_record, write_record, BlockApp, BlockContext, Genesis, GenesisValidator, Ledger,
    LedgerConfig, ModuleError, NoGenesis, Permit, Router, StateRead, StateWrite, TxContext, TypedModule,
    MAX_DEADLINES_PER_BLOCK,
};
use dojang_store::Store;
use dojang_types::{encode, wall_clock_ms, Block, Commit, Event, TxBody};
use serde::Deserialize;
use serde_json::json;

#[derive(Deserialize)]
#[serde(tag = "type", rename_all = "snake_case", deny_unknown_fields)]
enum TimerMsg {
    Schedule { at_ms: u64, keys: Vec<String> },
    Cancel { at_ms: u64, key: String },
}

/// Schedules keys; a due key is recorded as fired (`fail` refuses, writing first); the end
/// hook counts blocks.
struct Timer;

impl TypedModule for Timer {
    const NAME: &'static str = "timer";
    type Msg = TimerMsg;
    type Genesis = NoGenesis;

    fn init_genesis(&self, _: &mut dyn StateWrite, _: NoGenesis) -> Result<(), ModuleError> {
        Ok(())
    }

    fn check(&self, _: &TimerMsg) -> Result<Permit, ModuleError> {
        Ok(Permit::OwnRules)
    }

    fn execute(&self, _: &TxContext, state: &mut dyn StateWrite, msg: TimerMsg) -> Result<Vec<Event>, ModuleError> {
        match msg {
            TimerMsg::Schedule { at_ms, keys } => {
                for k in keys {
                    state.schedule(at_ms, k.as_bytes())?;
                }
            }
            TimerMsg::Cancel { at_ms, key } => state.unschedule(at_ms, key.as_bytes()),
        }
        Ok(vec![])
    }

    fn on_deadline(
        &self,
        ctx: &BlockContext,
        state: &mut dyn StateWrite,
        key: &[u8],
    ) -> Result<Vec<Event>, ModuleError> {
        let key = String::from_utf8_lossy(key).to_string();
        write_record(state, format!("fired/{key}").as_bytes(), &ctx.height);
        let mut order: Vec<String> = read_record(&*state, b"order")?.unwrap_or_default();
        order.push(key.clone());
        write_record(state, b"order", &order);
        if key == "fail" {
            return Err(ModuleError::Rejected { code: "T-01".into(), reason: "refused".into() });
        }
        Ok(vec![Event::new("timer", "fired").with("key", key)])
    }

    fn end_block(&self, _: &BlockContext, state: &mut dyn StateWrite) -> Result<Vec<Event>, ModuleError> {
        let n: u64 = read_record(&*state, b"blocks")?.unwrap_or(0);
        write_record(state, b"blocks", &(n + 1));
        Ok(vec![])
    }

    fn query(
        &self,
        state: &dyn StateRead,
        path: &str,
        _: &serde_json::Value,
    ) -> Result<serde_json::Value, ModuleError> {
        Ok(match read_record::<serde_json::Value>(state, path.as_bytes())? {
            Some(v) => v,
            None => serde_json::Value::Null,
        })
    }
}

fn node(validator: &Keypair) -> (Ledger, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    let genesis = Genesis {
        chain_id: "timers".into(),
        genesis_time_ms: 1_700_000_000_000,
        validators: vec![GenesisValidator { name: "v".into(), public_key: validator.public_key(), power: 1 }],
        modules: Default::default(),
    };
    let store = Store::open(&dir.path().join("db.redb")).unwrap();
    (Ledger::open(store, Router::new().with_typed(Timer), genesis, LedgerConfig::default()).unwrap(), dir)
}

fn send(l: &Ledger, k: &Keypair, nonce: u64, msg: serde_json::Value) {
    let tx = k.sign_tx(TxBody {
        chain_id: "timers".into(),
        sender: k.public_key(),
        nonce,
        expires_at_ms: wall_clock_ms() + 60_000,
        module: "timer".into(),
        msg: serde_json::to_vec(&msg).unwrap(),
    });
    l.submit(&encode(&tx)).unwrap();
}

fn block(l: &Ledger) -> Block {
    let h = l.next_height();
    let b = l.propose(h, l.validators()[0].address, Duration::from_secs(1)).unwrap();
    l.commit(h, &b.hash(), Commit { height: h, round: 0, block_hash: b.hash(), signatures: vec![] }).unwrap();
    b
}

fn q(l: &Ledger, path: &str) -> serde_json::Value {
    l.query("timer", path, &json!({})).unwrap()
}

fn hook_events(l: &Ledger, height: u64) -> Vec<serde_json::Value> {
    let state = l.committed_state();
    state.get(&hook_events_key(height)).unwrap().map(|b| serde_json::from_slice(&b).unwrap()).unwrap_or_default()
}

#[test]
fn a_deadline_runs_once_in_the_first_block_that_reaches_it_and_its_events_are_kept() {
    let v = Keypair::generate(Algorithm::Ed25519);
    let (l, _d) = node(&v);
    let k = Keypair::generate(Algorithm::Ed25519);
    let now = wall_clock_ms();
    send(&l, &k, 1, json!({"type": "schedule", "at_ms": now + 1_000, "keys": ["b", "a"]}));
    send(&l, &k, 2, json!({"type": "schedule", "at_ms": now + 60_000, "keys": ["later"]}));
    send(&l, &k, 3, json!({"type": "schedule", "at_ms": now + 1_000, "keys": ["cancelled"]}));
    send(&l, &k, 4, json!({"type": "cancel", "at_ms": now + 1_000, "key": "cancelled"}));
    let scheduled = block(&l).header.height;
    assert_eq!(q(&l, "fired/a"), serde_json::Value::Null, "not before its time");
    std::thread::sleep(Duration::from_millis(1_100));
    let due = block(&l).header.height;
    assert_eq!(q(&l, "fired/a"), json!(due));
    assert_eq!(q(&l, "fired/b"), json!(due));
    assert_eq!(q(&l, "order"), json!(["a", "b"]), "same time: in key order");
    assert_eq!(q(&l, "fired/later"), serde_json::Value::Null);
    assert_eq!(q(&l, "fired/cancelled"), serde_json::Value::Null, "a cancelled deadline never runs");
    let events = hook_events(&l, due);
    let fired: Vec<&str> =
        events.iter().filter(|e| e["kind"] == "fired").filter_map(|e| e["attributes"][0][1].as_str()).collect();
    assert_eq!(fired, vec!["a", "b"], "{events:?}");
    block(&l);
    assert_eq!(q(&l, "order"), json!(["a", "b"]), "and never again");
    assert!(hook_events(&l, scheduled).is_empty());
    assert_eq!(q(&l, "blocks"), json!(3), "the end-of-block hook ran in every block");
}

#[test]
fn deadlines_beyond_the_per_block_bound_carry_over_and_every_validator_agrees() {
    let v = Keypair::generate(Algorithm::Ed25519);
    let (a, _da) = node(&v);
    let (b, _db) = node(&v);
    let k = Keypair::generate(Algorithm::Ed25519);
    let at = wall_clock_ms() + 500;
    let keys: Vec<String> = (0..MAX_DEADLINES_PER_BLOCK + 44).map(|i| format!("k{i:04}")).collect();
    send(&a, &k, 1, json!({"type": "schedule", "at_ms": at, "keys": keys[..150]}));
    send(&a, &k, 2, json!({"type": "schedule", "at_ms": at, "keys": keys[150..]}));
    send(&a, &k, 3, json!({"type": "schedule", "at_ms": at, "keys": ["fail"]}));
    let mut blocks = vec![block(&a)];
    std::thread::sleep(Duration::from_millis(600));
    blocks.push(block(&a));
    let first: Vec<String> = serde_json::from_value(q(&a, "order")).unwrap();
    // 256 ran: "fail" (first in key order, its writes discarded) and 255 others.
    assert_eq!(first.len(), MAX_DEADLINES_PER_BLOCK - 1, "bounded per block");
    let failed = hook_events(&a, blocks[1].header.height);
    assert!(failed.iter().any(|e| e["kind"] == "hook_failed" && e["attributes"][2][1] == "T-01"), "{failed:?}");
    blocks.push(block(&a));
    let all: Vec<String> = serde_json::from_value(q(&a, "order")).unwrap();
    assert_eq!(all.len(), MAX_DEADLINES_PER_BLOCK + 44, "the rest in the next block; the failing one left nothing");
    let mut sorted = all.clone();
    sorted.sort();
    assert_eq!(all, sorted, "in key order across blocks");
    assert_eq!(q(&a, "fired/fail"), serde_json::Value::Null, "a refused deadline's writes are discarded");
    blocks.push(block(&a));
    assert_eq!(serde_json::from_value::<Vec<String>>(q(&a, "order")).unwrap().len(), all.len(), "each ran once");

    // Another validator executing the same blocks reaches the same state roots.
    for blk in &blocks {
        b.validate(blk).expect("the same block is valid elsewhere");
        let h = blk.header.height;
        b.commit(h, &blk.hash(), Commit { height: h, round: 0, block_hash: blk.hash(), signatures: vec![] }).unwrap();
        assert_eq!(b.store().state_root(h).unwrap(), blk.header.state_root, "height {h}");
    }
}
