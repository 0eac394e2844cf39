//! Who may write: permits checked at admission and again at execution, the council's
//! account, and per-account quotas per block and per minute.

use std::collections::HashSet;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use dojang_crypto::{Algorithm, Keypair};
use dojang_ledger::{
    Authority, BlockApp, Genesis, GenesisValidator, Ledger, LedgerConfig, Module, ModuleError, Permit, Quota,
    QuotaConfig, Router, StateRead, StateWrite, SubmitError, TxContext,
};
use dojang_store::Store;
use dojang_types::{encode, Address, Commit, Event, SignedTx, TxBody, TxError, TxStatus};

/// `clerk` needs the clerk role, `council` the council, `any` nothing.
struct Office;

impl Module for Office {
    fn name(&self) -> &'static str {
        "office"
    }

    fn init_genesis(&self, _: &mut dyn StateWrite, _: &serde_json::Value) -> Result<(), ModuleError> {
        Ok(())
    }

    fn check(&self, msg: &[u8]) -> Result<Permit, ModuleError> {
        match msg {
            b"clerk" => Ok(Permit::AnyRole(&["clerk", "chief"])),
            b"council" => Ok(Permit::Council),
            b"any" | b"act" => Ok(Permit::OwnRules),
            _ => Err(ModuleError::InvalidMessage("unknown".into())),
        }
    }

    fn execute(&self, ctx: &TxContext, state: &mut dyn StateWrite, msg: &[u8]) -> Result<Vec<Event>, ModuleError> {
        if msg == b"act" {
            // Tries to speak for the council without being the module that keeps it.
            return state.execute_as_council("office", b"council");
        }
        state.put(ctx.tx_id.0.as_slice(), vec![1]);
        Ok(vec![Event::new("office", "done")])
    }

    fn query(&self, _: &dyn StateRead, _: &str, _: &serde_json::Value) -> Result<serde_json::Value, ModuleError> {
        Ok(serde_json::Value::Null)
    }
}

/// The authority's own module: `appoint` makes its sender a clerk, in state.
struct Registry;

impl Module for Registry {
    fn name(&self) -> &'static str {
        "registry"
    }

    fn init_genesis(&self, _: &mut dyn StateWrite, _: &serde_json::Value) -> Result<(), ModuleError> {
        Ok(())
    }

    fn check(&self, msg: &[u8]) -> Result<Permit, ModuleError> {
        match msg {
            b"appoint" => Ok(Permit::OwnRules),
            _ => Err(ModuleError::InvalidMessage("unknown".into())),
        }
    }

    fn execute(&self, ctx: &TxContext, state: &mut dyn StateWrite, _: &[u8]) -> Result<Vec<Event>, ModuleError> {
        state.put(&clerk_key(&ctx.sender), vec![1]);
        Ok(vec![])
    }

    fn query(&self, _: &dyn StateRead, _: &str, _: &serde_json::Value) -> Result<serde_json::Value, ModuleError> {
        Ok(serde_json::Value::Null)
    }
}

fn clerk_key(a: &Address) -> Vec<u8> {
    [b"clerk/".as_slice(), &a.0].concat()
}

/// Clerks held in memory (so a test can revoke one between admission and execution) or
/// appointed in the registry's state.
#[derive(Default)]
struct Clerks(Mutex<HashSet<Address>>);

impl Authority for Clerks {
    fn module(&self) -> &'static str {
        "registry"
    }

    fn is_council_member(&self, _: &dyn StateRead, _: &Address) -> Result<bool, ModuleError> {
        Ok(false)
    }

    fn roles_of(&self, state: &dyn StateRead, a: &Address) -> Result<Vec<&'static str>, ModuleError> {
        let appointed = state.read_module("registry", &clerk_key(a))?.is_some();
        Ok(if appointed || self.0.lock().unwrap().contains(a) { vec!["clerk"] } else { vec![] })
    }

    fn council_account(&self) -> Address {
        Address([0xcc; 20])
    }
}

fn ledger(clerks: Arc<Clerks>, quotas: QuotaConfig) -> (Ledger, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    let validator = Keypair::generate(Algorithm::Ed25519);
    let genesis = Genesis {
        chain_id: "permits".into(),
        genesis_time_ms: 1_700_000_000_000,
        validators: vec![GenesisValidator { name: "city".into(), public_key: validator.public_key(), power: 1 }],
        modules: Default::default(),
    };
    let store = Store::open(&dir.path().join("db.redb")).unwrap();
    let router = Router::new().with(Arc::new(Office)).with(Arc::new(Registry)).with_authority(clerks);
    let config = LedgerConfig { quotas, ..LedgerConfig::default() };
    (Ledger::open(store, router, genesis, config).unwrap(), dir)
}

fn tx(k: &Keypair, nonce: u64, msg: &[u8]) -> SignedTx {
    tx_for(k, nonce, "office", msg)
}

fn tx_for(k: &Keypair, nonce: u64, module: &str, msg: &[u8]) -> SignedTx {
    k.sign_tx(TxBody {
        chain_id: "permits".into(),
        sender: k.public_key(),
        nonce,
        expires_at_ms: dojang_types::wall_clock_ms() + 60_000,
        module: module.into(),
        msg: msg.to_vec(),
    })
}

fn block(l: &Ledger) -> dojang_types::Block {
    let height = l.next_height();
    let b = l.propose(height, l.validators()[0].address, Duration::from_secs(1)).unwrap();
    l.commit(height, &b.hash(), Commit { height, round: 0, block_hash: b.hash(), signatures: vec![] }).unwrap();
    b
}

#[test]
fn a_role_is_needed_at_admission_and_again_at_execution() {
    let clerks = Arc::new(Clerks::default());
    let (l, _dir) = ledger(clerks.clone(), QuotaConfig::default());
    let stranger = Keypair::generate(Algorithm::Ed25519);
    let clerk = Keypair::generate(Algorithm::Ed25519);
    clerks.0.lock().unwrap().insert(clerk.public_key().address());

    let err = l.submit(&encode(&tx(&stranger, 1, b"clerk"))).unwrap_err();
    match err {
        SubmitError::Tx(TxError::NotPermitted { ref needed, .. }) => {
            assert!(needed.contains("clerk, chief"), "{needed}")
        }
        other => panic!("{other}"),
    }
    // Nothing can be sent from the council's account, and no one else sends council matters.
    let err = l.submit(&encode(&tx(&clerk, 2, b"council"))).unwrap_err().to_string();
    assert!(err.contains("council"), "{err}");
    l.submit(&encode(&tx(&stranger, 3, b"any"))).unwrap();

    // Admitted while a clerk, revoked before the block: a failed receipt says what was needed.
    let admitted = l.submit(&encode(&tx(&clerk, 4, b"clerk"))).unwrap();
    let kept = l.submit(&encode(&tx(&clerk, 5, b"any"))).unwrap();
    clerks.0.lock().unwrap().clear();
    block(&l);
    let (r, _) = l.receipt(&admitted).unwrap().unwrap();
    match r.result {
        TxStatus::Failed { code, reason } => {
            assert_eq!(code, "not_permitted");
            assert!(reason.contains("clerk"), "{reason}");
        }
        TxStatus::Ok => panic!("executed without the role"),
    }
    assert!(r.events.is_empty());
    assert_eq!(l.receipt(&kept).unwrap().unwrap().0.result, TxStatus::Ok);
}

#[test]
fn a_role_granted_earlier_in_the_block_counts_for_later_transactions() {
    let clerks = Arc::new(Clerks::default());
    let (l, _dir) = ledger(clerks.clone(), QuotaConfig::default());
    let k = Keypair::generate(Algorithm::Ed25519);
    // Admitted while a clerk in memory; by execution only the appointment in the same block,
    // before it, makes the sender a clerk. Roles read for the first transaction must not be
    // reused for the second.
    clerks.0.lock().unwrap().insert(k.public_key().address());
    let appoint = l.submit(&encode(&tx_for(&k, 1, "registry", b"appoint"))).unwrap();
    let act = l.submit(&encode(&tx(&k, 2, b"clerk"))).unwrap();
    clerks.0.lock().unwrap().clear();
    let b = block(&l);
    assert_eq!(b.txs.len(), 2);
    assert_eq!(l.receipt(&appoint).unwrap().unwrap().0.result, TxStatus::Ok);
    assert_eq!(l.receipt(&act).unwrap().unwrap().0.result, TxStatus::Ok, "the appointment is seen");
}

#[test]
fn only_the_authority_module_may_act_in_the_councils_name() {
    let (l, _dir) = ledger(Arc::new(Clerks::default()), QuotaConfig::default());
    let anyone = Keypair::generate(Algorithm::Ed25519);
    let id = l.submit(&encode(&tx(&anyone, 1, b"act"))).unwrap();
    block(&l);
    match l.receipt(&id).unwrap().unwrap().0.result {
        TxStatus::Failed { code, reason } => {
            assert_eq!(code, "unauthorized");
            assert!(reason.contains("only the module that keeps the council"), "{reason}");
        }
        TxStatus::Ok => panic!("a module other than the authority acted for the council"),
    }
}

/// Waits out the end of a wall-clock minute when fewer than 3 s are left, so a test counting
/// per-minute quotas runs within one minute.
fn within_one_minute() {
    let into_minute = dojang_types::wall_clock_ms() % 60_000;
    if into_minute > 57_000 {
        std::thread::sleep(Duration::from_millis(60_100 - into_minute));
    }
}

#[test]
fn quotas_hold_per_block_and_per_minute_by_role() {
    let clerks = Arc::new(Clerks::default());
    let quotas = QuotaConfig {
        default: Quota { per_block: 2, per_minute: 3 },
        roles: [("clerk".to_string(), Quota { per_block: 10, per_minute: 100 })].into(),
    };
    let (l, _dir) = ledger(clerks.clone(), quotas);
    within_one_minute();
    let citizen = Keypair::generate(Algorithm::Ed25519);
    let clerk = Keypair::generate(Algorithm::Ed25519);
    clerks.0.lock().unwrap().insert(clerk.public_key().address());

    let first = encode(&tx(&citizen, 0, b"any"));
    let mut ids = vec![l.submit(&first).unwrap(), l.submit(&encode(&tx(&citizen, 1, b"any"))).unwrap()];
    // A refusal for another reason (already waiting) does not use up the minute.
    let dup = l.submit(&first).unwrap_err();
    assert!(matches!(dup, SubmitError::Mempool(_)), "{dup}");
    ids.push(l.submit(&encode(&tx(&citizen, 2, b"any"))).unwrap());
    let err = l.submit(&encode(&tx(&citizen, 3, b"any"))).unwrap_err();
    assert!(matches!(err, SubmitError::MinuteQuota { limit: 3, .. }), "{err}");
    for n in 0..5 {
        l.submit(&encode(&tx(&clerk, n, b"clerk"))).unwrap();
    }

    let first = block(&l);
    let from_citizen = first.txs.iter().filter(|t| t.body.sender == citizen.public_key()).count();
    assert_eq!(from_citizen, 2, "two per block for an account without a role");
    assert_eq!(first.txs.len(), 7, "the clerk's five all fit");
    let second = block(&l);
    assert_eq!(second.txs.len(), 1, "the deferred one waits for the next block, it is not dropped");
    assert!(ids.iter().all(|id| l.receipt(id).unwrap().is_some()));
}
