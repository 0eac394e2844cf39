//! Activation at a height: a module a release adds, and a new message version, stay off until
//! the council switches them on, and then run from exactly that height (GOV-16).

use dojang_ledger::{
    BlockApp, BlockContext, ModuleError, NoGenesis, Permit, StateRead, StateWrite, SubmitError, TxContext, TypedModule,
};
use dojang_testkit::{event_attr, Chain};
use dojang_types::{Block, Event, TxError};
use serde::Deserialize;
use serde_json::{json, Value};

#[derive(Deserialize)]
#[serde(tag = "type", rename_all = "snake_case", deny_unknown_fields)]
enum LaterMsg {
    Note { text: String },
    NoteV2 { text: String, tag: String },
}

/// A module a later release brings: it keeps notes, and records the first block its end hook
/// ran in.
struct Later;

impl TypedModule for Later {
    const NAME: &'static str = "later";
    type Msg = LaterMsg;
    type Genesis = NoGenesis;
    const NEEDS_ACTIVATION: bool = true;
    const VERSIONS: &'static [&'static str] = &["v2"];

    fn init_genesis(&self, _: &mut dyn StateWrite, _: NoGenesis) -> Result<(), ModuleError> {
        Ok(())
    }

    fn check(&self, _: &LaterMsg) -> Result<Permit, ModuleError> {
        Ok(Permit::OwnRules)
    }

    fn version_of(&self, msg: &LaterMsg) -> Option<&'static str> {
        matches!(msg, LaterMsg::NoteV2 { .. }).then_some("v2")
    }

    fn execute(&self, _: &TxContext, state: &mut dyn StateWrite, msg: LaterMsg) -> Result<Vec<Event>, ModuleError> {
        let (text, tag) = match msg {
            LaterMsg::Note { text } => (text, String::new()),
            LaterMsg::NoteV2 { text, tag } => (text, tag),
        };
        state.put(format!("note/{text}").as_bytes(), tag.into_bytes());
        Ok(vec![])
    }

    fn end_block(&self, ctx: &BlockContext, state: &mut dyn StateWrite) -> Result<Vec<Event>, ModuleError> {
        if state.get(b"first_hook")?.is_none() {
            state.put(b"first_hook", ctx.height.to_be_bytes().to_vec());
        }
        Ok(vec![])
    }

    fn query(&self, state: &dyn StateRead, path: &str, _: &Value) -> Result<Value, ModuleError> {
        let height = |b: Vec<u8>| b.try_into().map(u64::from_be_bytes).ok();
        match path {
            "first_hook" => Ok(json!(state.get(b"first_hook")?.and_then(height))),
            _ => Ok(json!(state
                .get(format!("note/{path}").as_bytes())?
                .map(|t| String::from_utf8_lossy(&t).to_string()))),
        }
    }
}

fn note(text: &str) -> Value {
    json!({"type": "note", "text": text})
}

/// Admission's refusal of a message for a part that is off, as text.
fn not_active(chain: &Chain, msg: Value) -> String {
    let tx = chain.tx(&chain.admin, "later", msg);
    match chain.submit(&tx) {
        Err(SubmitError::Tx(TxError::NotActive { what, detail })) => format!("{what}: {detail}"),
        other => panic!("expected a not-active refusal, got {other:?}"),
    }
}

fn activations(chain: &Chain) -> Value {
    chain.ledger.query("governance", "activations", &Value::Null).unwrap()["activations"].clone()
}

#[test]
fn a_module_a_release_adds_is_off_until_the_council_switches_it_on_from_a_height() {
    let chain = Chain::builder().with(Later).build();
    chain.block();

    // Off: admission refuses its messages, its queries say so, its hook has not run.
    let why = not_active(&chain, note("early"));
    assert!(why.contains("module 'later'") && why.contains("has not activated"), "{why}");
    let q = chain.ledger.query("later", "first_hook", &Value::Null).unwrap_err();
    assert!(matches!(q, ModuleError::NotFound(ref s) if s.contains("not active")), "{q}");

    // The council switches it on three blocks ahead.
    let at = chain.ledger.next_height() + 3;
    chain.council("governance", json!({"type": "activate", "module": "later", "at_height": at}));
    let list = activations(&chain);
    assert_eq!(list.as_array().map(Vec::len), Some(1), "{list}");
    assert_eq!(list[0]["module"], "later");
    assert_eq!(list[0]["at_height"], at);
    assert_eq!(list[0]["active"], false);

    // Before the height it stays off and says from when it runs.
    while chain.ledger.next_height() < at {
        let why = not_active(&chain, note("early"));
        assert!(why.contains(&format!("from height {at}")), "{why}");
        chain.block();
    }
    // From the height: its messages execute and its hooks run, starting with that block.
    let r = chain.ok(&chain.admin, "later", note("first"));
    assert_eq!(r.height, at);
    assert_eq!(chain.ledger.query("later", "first_hook", &Value::Null).unwrap(), json!(at));
    assert_eq!(chain.ledger.query("later", "first", &Value::Null).unwrap(), json!(""));
    assert_eq!(activations(&chain)[0]["active"], true);

    // Its version 2 messages wait for their own activation.
    let v2 = json!({"type": "note_v2", "text": "second", "tag": "t"});
    let why = not_active(&chain, v2.clone());
    assert!(why.contains("version v2") && why.contains("has not activated"), "{why}");
    let at2 = chain.ledger.next_height() + 2;
    chain.council("governance", json!({"type": "activate", "module": "later", "version": "v2", "at_height": at2}));
    while chain.ledger.next_height() < at2 {
        let why = not_active(&chain, v2.clone());
        assert!(why.contains(&format!("from height {at2}")), "{why}");
        chain.block();
    }
    assert_eq!(chain.ok(&chain.admin, "later", v2).height, at2);
    assert_eq!(chain.ledger.query("later", "second", &Value::Null).unwrap(), json!("t"));
}

/// What became of a proposal to execute `msg`: `executed`, the failed proposal's code, or
/// admission's refusal.
fn activation_outcome(chain: &Chain, msg: Value) -> String {
    let proposal = json!({"type": "propose", "proposal": {"module": "governance", "msg": msg},
                          "reason": "switch it on", "expires_at_ms": dojang_types::wall_clock_ms() + 60_000});
    match chain.send(&chain.admin, "governance", proposal) {
        Ok(r) if r.events.iter().any(|e| e.kind == "proposal_failed") => event_attr(&r, "proposal_failed", "code"),
        Ok(r) if r.events.iter().any(|e| e.kind == "proposal_executed") => "executed".into(),
        Ok(r) => panic!("neither executed nor failed: {r:?}"),
        Err(e) => format!("refused: {e}"),
    }
}

#[test]
fn the_council_cannot_activate_what_the_release_lacks_what_needs_none_a_past_height_or_twice() {
    let chain = Chain::builder().with(Later).build();
    chain.block();
    let activate = |module: &str, version: Option<&str>, at: u64| json!({"type": "activate", "module": module, "version": version, "at_height": at});
    let ahead = chain.ledger.next_height() + 5;
    assert_eq!(activation_outcome(&chain, activate("voting", None, ahead)), "unknown_module");
    assert_eq!(activation_outcome(&chain, activate("governance", None, ahead)), "always_active");
    assert_eq!(activation_outcome(&chain, activate("later", Some("v9"), ahead)), "unknown_version");
    // The proposal executes in the next block: a height not after it is refused.
    let next = chain.ledger.next_height();
    assert_eq!(activation_outcome(&chain, activate("later", None, next)), "activation_height");
    // A malformed name never reaches a block (GOV-16).
    let refused = activation_outcome(&chain, activate("Later!", None, next + 5));
    assert!(refused.starts_with("refused") && refused.contains("GOV-16"), "{refused}");
    // Not sendable directly: it is the council's.
    assert_eq!(chain.code(&chain.admin, "governance", activate("later", None, next + 5)), "not-permitted");
    assert_eq!(activations(&chain), json!([]), "nothing refused was recorded");

    // Scheduled, it can be moved while still ahead; once on, never again.
    let at = chain.ledger.next_height() + 3;
    assert_eq!(activation_outcome(&chain, activate("later", None, at + 10)), "executed");
    assert_eq!(activation_outcome(&chain, activate("later", None, at)), "executed");
    while chain.ledger.next_height() <= at {
        chain.block();
    }
    assert_eq!(activation_outcome(&chain, activate("later", None, at + 20)), "already_active");
    assert_eq!(activations(&chain)[0]["at_height"], at);
}

/// A proposer that skipped admission puts `msg` in the next block: every honest validator
/// refuses that block, naming the transaction.
fn smuggled_block_is_refused(chain: &Chain, msg: Value) {
    let tx = chain.tx(&chain.admin, "later", msg.clone());
    let height = chain.ledger.next_height();
    let proposer = chain.ledger.validators()[0].address;
    let mut block: Block = chain.ledger.propose(height, proposer, std::time::Duration::from_secs(1)).unwrap();
    block.txs = vec![tx.clone()];
    block.header.txs_root = Block::txs_root_of(&[tx.id()]);
    let err = chain.ledger.validate(&block).unwrap_err().to_string();
    assert!(err.contains("not active") && err.contains(&tx.id().to_string()), "{msg}: {err}");
    // The chain goes on without it.
    assert!(chain.block().txs.is_empty());
}

#[test]
fn a_block_carrying_a_message_for_a_part_that_is_off_is_invalid() {
    let chain = Chain::builder().with(Later).build();
    chain.block();
    // Never activated.
    smuggled_block_is_refused(&chain, note("smuggled"));
    // Activated, but from a height not reached yet.
    let at = chain.ledger.next_height() + 4;
    chain.council("governance", json!({"type": "activate", "module": "later", "at_height": at}));
    smuggled_block_is_refused(&chain, note("early"));
    while chain.ledger.next_height() < at {
        chain.block();
    }
    // The module is on, its version 2 is not.
    chain.ok(&chain.admin, "later", note("on time"));
    smuggled_block_is_refused(&chain, json!({"type": "note_v2", "text": "v2", "tag": "t"}));
}
