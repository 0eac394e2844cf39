//! The typed module adapter: strict decoding of messages and genesis sections, records in
//! state, and readers across modules.

use std::time::Duration;

use dojang_crypto::{Algorithm, Keypair};
use dojang_ledger::{
    read_module_record, read_record, write_record, BlockApp, Genesis, GenesisValidator, Ledger, LedgerConfig,
    ModuleError, Permit, Router, StateRead, StateWrite, SubmitError, TxContext, TypedModule,
};
use dojang_store::Store;
use dojang_types::{encode, Commit, Event, TxBody, TxError, TxStatus};
use serde::{Deserialize, Serialize};
use serde_json::json;

#[derive(Deserialize)]
#[serde(tag = "type", rename_all = "snake_case", deny_unknown_fields)]
enum CounterMsg {
    Add { by: u32 },
}

#[derive(Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct CounterGenesis {
    start: u64,
}

#[derive(Serialize, Deserialize, PartialEq, Debug)]
struct Count {
    value: u64,
}

struct Counter;

impl TypedModule for Counter {
    const NAME: &'static str = "counter";
    type Msg = CounterMsg;
    type Genesis = CounterGenesis;

    fn init_genesis(&self, state: &mut dyn StateWrite, genesis: CounterGenesis) -> Result<(), ModuleError> {
        write_record(state, b"count", &Count { value: genesis.start });
        Ok(())
    }

    fn check(&self, msg: &CounterMsg) -> Result<Permit, ModuleError> {
        let CounterMsg::Add { by } = msg;
        if *by == 0 {
            return Err(ModuleError::InvalidMessage("adding 0 changes nothing".into()));
        }
        Ok(Permit::OwnRules)
    }

    fn execute(&self, _: &TxContext, state: &mut dyn StateWrite, msg: CounterMsg) -> Result<Vec<Event>, ModuleError> {
        let CounterMsg::Add { by } = msg;
        let count: Count = read_record(&*state, b"count")?.unwrap_or(Count { value: 0 });
        write_record(state, b"count", &Count { value: count.value + u64::from(by) });
        Ok(vec![])
    }

    fn query(&self, state: &dyn StateRead, _: &str, _: &serde_json::Value) -> Result<serde_json::Value, ModuleError> {
        // Read through the cross-module door, as another module's typed reader would.
        let count: Option<Count> = read_module_record(state, Self::NAME, b"count")?;
        Ok(json!(count.map(|c| c.value)))
    }
}

fn open(section: Option<serde_json::Value>) -> Result<(Ledger, tempfile::TempDir), String> {
    let dir = tempfile::tempdir().unwrap();
    let validator = Keypair::generate(Algorithm::Ed25519);
    let genesis = Genesis {
        chain_id: "typed".into(),
        genesis_time_ms: 1_700_000_000_000,
        validators: vec![GenesisValidator { name: "v".into(), public_key: validator.public_key(), power: 1 }],
        modules: section.map(|s| [("counter".to_string(), s)].into()).unwrap_or_default(),
    };
    let store = Store::open(&dir.path().join("db.redb")).unwrap();
    let router = Router::new().with_typed(Counter);
    Ledger::open(store, router, genesis, LedgerConfig::default()).map(|l| (l, dir)).map_err(|e| e.to_string())
}

#[test]
fn genesis_sections_decode_strictly_or_default_when_absent() {
    let (l, _d) = open(None).unwrap();
    assert_eq!(l.query("counter", "", &json!({})).unwrap(), json!(0));
    let (l, _d) = open(Some(json!({"start": 7}))).unwrap();
    assert_eq!(l.query("counter", "", &json!({})).unwrap(), json!(7));
    for bad in [json!({"start": -1}), json!({"start": 1, "extra": true}), json!([1]), json!({"start": 1.5})] {
        let err = open(Some(bad.clone())).err().expect("refused");
        assert!(err.contains("counter genesis section"), "{bad}: {err}");
    }
}

#[test]
fn messages_decode_strictly_and_execute_typed() {
    let (l, _d) = open(Some(json!({"start": 1}))).unwrap();
    let k = Keypair::generate(Algorithm::Ed25519);
    let tx = |nonce: u64, msg: &[u8]| {
        encode(&k.sign_tx(TxBody {
            chain_id: "typed".into(),
            sender: k.public_key(),
            nonce,
            expires_at_ms: dojang_types::wall_clock_ms() + 60_000,
            module: "counter".into(),
            msg: msg.to_vec(),
        }))
    };
    for (n, bad) in [
        &b"{\"type\":\"add\"}"[..],
        b"{\"type\":\"add\",\"by\":1,\"x\":0}",
        b"{\"type\":\"sub\",\"by\":1}",
        b"\xff",
        b"{\"type\":\"add\",\"by\":0}",
    ]
    .iter()
    .enumerate()
    {
        let err = l.submit(&tx(n as u64, bad)).unwrap_err();
        assert!(
            matches!(&err, SubmitError::Tx(TxError::InvalidMessage { module, .. }) if module == "counter"),
            "{}: {err}",
            String::from_utf8_lossy(bad)
        );
    }
    let id = l.submit(&tx(10, br#"{"type":"add","by":41}"#)).unwrap();
    let h = l.next_height();
    let b = l.propose(h, l.validators()[0].address, Duration::from_secs(1)).unwrap();
    l.commit(h, &b.hash(), Commit { height: h, round: 0, block_hash: b.hash(), signatures: vec![] }).unwrap();
    assert_eq!(l.receipt(&id).unwrap().unwrap().0.result, TxStatus::Ok);
    assert_eq!(l.query("counter", "", &json!({})).unwrap(), json!(42));
}
