//! A chain for module tests: governance with a council (of one by default, the admin), the
//! modules under test, one validator, blocks produced on demand through the real ledger path
//! (admission, permits, execution, commit). Every module's `tests/through_ledger.rs` starts
//! from here, so none carries its own copy of genesis and block plumbing.

use std::sync::atomic::{AtomicU64, Ordering};

use dojang_crypto::{Algorithm, Keypair};
use dojang_governance::Governance;
use dojang_ledger::{
    BlockApp, Genesis, GenesisValidator, Ledger, LedgerConfig, ModuleError, Router, SubmitError, TypedModule,
};
use dojang_store::Store;
use dojang_types::{encode, Block, Commit, Hash, ModuleQuery, Receipt, SignedTx, TxBody, TxStatus};
use serde_json::{json, Value};

/// The chain id every test chain uses.
pub const CHAIN_ID: &str = "test-chain";

/// How to build a test chain.
pub struct Builder {
    router: Router,
    members: usize,
    threshold: u32,
    min_members: u32,
    params: Vec<Value>,
    power: u64,
}

impl Default for Builder {
    fn default() -> Self {
        Builder { router: Router::new(), members: 1, threshold: 1, min_members: 1, params: Vec::new(), power: 100 }
    }
}

impl Builder {
    /// Adds a module under test (governance is always there).
    pub fn with<M: TypedModule>(mut self, module: M) -> Self {
        self.router = self.router.with_typed(module);
        self
    }

    /// A council of `members` fresh keys with this threshold and minimum size, instead of the
    /// admin alone.
    pub fn council(mut self, members: usize, threshold: u32, min_members: u32) -> Self {
        (self.members, self.threshold, self.min_members) = (members, threshold, min_members);
        self
    }

    /// A genesis parameter, as the governance genesis section spells it.
    pub fn param(mut self, param: Value) -> Self {
        self.params.push(param);
        self
    }

    pub fn build(self) -> Chain {
        let dir = tempfile::tempdir().expect("a temporary directory");
        let admin = Keypair::generate(Algorithm::Ed25519);
        let members: Vec<Keypair> = if self.members == 1 && self.threshold == 1 {
            vec![admin.duplicate()]
        } else {
            (0..self.members).map(|_| Keypair::generate(Algorithm::Ed25519)).collect()
        };
        let validator = Keypair::generate(Algorithm::Ed25519);
        let council: Vec<_> = members.iter().map(|k| k.public_key().address()).collect();
        let governance = json!({
            "council": {"members": council, "threshold": self.threshold, "min_members": self.min_members},
            "accounts": [{"address": admin.public_key().address(), "roles": ["admin"], "label": "city admin"}],
            "params": self.params,
        });
        let genesis = Genesis {
            chain_id: CHAIN_ID.into(),
            genesis_time_ms: 1_700_000_000_000,
            validators: vec![GenesisValidator {
                name: "city".into(),
                public_key: validator.public_key(),
                power: self.power,
            }],
            modules: [("governance".to_string(), governance)].into(),
        };
        let store = Store::open(&dir.path().join("db.redb")).expect("a store");
        let router = self.router.with_typed(Governance).with_authority(std::sync::Arc::new(Governance));
        let ledger = Ledger::open(store, router, genesis, LedgerConfig::default()).expect("the test genesis opens");
        Chain { ledger, admin, members, nonce: AtomicU64::new(0), _dir: dir }
    }
}

/// A running test chain.
pub struct Chain {
    pub ledger: Ledger,
    /// The genesis admin (a council of one unless the builder named a council).
    pub admin: Keypair,
    /// The council's members.
    pub members: Vec<Keypair>,
    nonce: AtomicU64,
    _dir: tempfile::TempDir,
}

impl Chain {
    pub fn builder() -> Builder {
        Builder::default()
    }

    /// A signed transaction for `module` with a fresh nonce, valid for a minute.
    pub fn tx(&self, k: &Keypair, module: &str, msg: Value) -> SignedTx {
        let nonce = self.nonce.fetch_add(1, Ordering::Relaxed);
        k.sign_tx(TxBody {
            chain_id: CHAIN_ID.into(),
            sender: k.public_key(),
            nonce,
            expires_at_ms: self.ledger.clock_ms() + 60_000,
            module: module.into(),
            msg: serde_json::to_vec(&msg).expect("JSON"),
        })
    }

    /// Submits to the mempool; admission's refusal is returned as is.
    pub fn submit(&self, tx: &SignedTx) -> Result<Hash, SubmitError> {
        self.ledger.submit(&encode(tx))
    }

    /// Proposes and commits the next block from the mempool.
    pub fn block(&self) -> Block {
        let height = self.ledger.next_height();
        let proposer = self.ledger.validators()[0].address;
        let block = self.ledger.propose(height, proposer, std::time::Duration::from_secs(1)).expect("a block");
        let commit = Commit { height, round: 0, block_hash: block.hash(), signatures: vec![] };
        self.ledger.commit(height, &block.hash(), commit).expect("commit");
        block
    }

    /// Moves the chain's clock forward: the next blocks are stamped `ms` later than the wall
    /// clock, so a deadline days away (a retention period, a notice window) falls due now.
    pub fn advance_clock(&self, ms: u64) {
        self.ledger.advance_clock(i64::try_from(ms).unwrap_or(i64::MAX));
    }

    pub fn receipt(&self, id: &Hash) -> Receipt {
        self.ledger.receipt(id).expect("store").expect("committed").0
    }

    /// Sends one message in its own block: the receipt, or admission's refusal.
    pub fn send(&self, k: &Keypair, module: &str, msg: Value) -> Result<Receipt, SubmitError> {
        let id = self.submit(&self.tx(k, module, msg))?;
        self.block();
        Ok(self.receipt(&id))
    }

    /// Like [`Chain::send`], and the message must succeed.
    pub fn ok(&self, k: &Keypair, module: &str, msg: Value) -> Receipt {
        let r = self.send(k, module, msg.clone()).unwrap_or_else(|e| panic!("{msg}: refused at admission: {e}"));
        assert_eq!(r.result, TxStatus::Ok, "{msg}: {r:?}");
        r
    }

    /// The outcome as one code: `ok`, the failed receipt's code, or `not-permitted` /
    /// `invalid-message` and the like when admission refused it.
    pub fn code(&self, k: &Keypair, module: &str, msg: Value) -> String {
        match self.send(k, module, msg) {
            Ok(Receipt { result: TxStatus::Ok, .. }) => "ok".into(),
            Ok(Receipt { result: TxStatus::Failed { code, .. }, .. }) => code,
            Err(SubmitError::Tx(dojang_types::TxError::NotPermitted { .. })) => "not-permitted".into(),
            Err(SubmitError::Tx(dojang_types::TxError::InvalidMessage { .. })) => "invalid-message".into(),
            Err(e) => format!("refused: {e}"),
        }
    }

    /// Passes `msg` through the council: the first member proposes, the others approve until
    /// the threshold. The message must execute. Returns the proposal id.
    pub fn council(&self, module: &str, msg: Value) -> u64 {
        let proposal = json!({"type": "propose", "proposal": {"module": module, "msg": msg},
                              "reason": "test resolution", "expires_at_ms": self.ledger.clock_ms() + 60_000});
        let r = self.ok(&self.members[0], "governance", proposal);
        let id: u64 = event_attr(&r, "proposal_created", "id").parse().expect("a proposal id");
        let mut executed = r.events.iter().any(|e| e.kind == "proposal_executed");
        for m in &self.members[1..] {
            if executed {
                break;
            }
            let r = self.ok(m, "governance", json!({"type": "approve", "id": id}));
            executed = r.events.iter().any(|e| e.kind == "proposal_executed");
        }
        assert!(executed, "proposal {id} ({msg}) did not execute");
        id
    }

    /// A module's typed query, its parameters passed as strings the way the API passes them,
    /// decoded into the module's declared answer type (a mismatch panics with both sides).
    pub fn ask<Q: ModuleQuery>(&self, query: &Q) -> Result<Q::Answer, ModuleError> {
        let params: serde_json::Map<String, Value> =
            query.params().into_iter().map(|(k, v)| (k.to_string(), Value::String(v))).collect();
        let answer = self.ledger.query(Q::MODULE, &query.path(), &Value::Object(params))?;
        Ok(serde_json::from_value(answer.clone()).unwrap_or_else(|e| {
            panic!("{} query {} answered {answer}, not its declared type: {e}", Q::MODULE, query.path())
        }))
    }

    /// Grants `role` to `k`'s account through the council.
    pub fn grant(&self, k: &Keypair, role: &str) {
        self.council("governance", json!({"type": "grant_role", "account": k.public_key().address(), "role": role}));
    }
}

/// The value of an event's attribute in a receipt.
pub fn event_attr(r: &Receipt, kind: &str, key: &str) -> String {
    let e = r.events.iter().find(|e| e.kind == kind).unwrap_or_else(|| panic!("no {kind} event in {r:?}"));
    e.attributes.iter().find(|(k, _)| k == key).map(|(_, v)| v.clone()).unwrap_or_else(|| panic!("no {key} in {e:?}"))
}
