//! A governance chain for tests: five council members (3 of 5), an admin, one validator.

// Each test binary compiles this module on its own and uses a different part of it.
#![allow(dead_code)]

use std::sync::Arc;

use dojang_crypto::{Algorithm, Keypair};
use dojang_governance::Governance;
use dojang_ledger::{BlockApp, Genesis, GenesisValidator, Ledger, LedgerConfig, Router};
use dojang_store::Store;
use dojang_types::{encode, Commit, Hash, Receipt, SignedTx, TxBody, TxStatus};
use serde_json::{json, Value};

pub struct Chain {
    pub ledger: Ledger,
    pub admin: Keypair,
    pub members: Vec<Keypair>,
    nonce: std::sync::atomic::AtomicU64,
    _dir: tempfile::TempDir,
}

pub fn now_ms() -> u64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_millis() as u64
}

pub fn chain() -> Chain {
    let dir = tempfile::tempdir().unwrap();
    let admin = Keypair::generate(Algorithm::Ed25519);
    let members: Vec<Keypair> = (0..5).map(|_| Keypair::generate(Algorithm::Ed25519)).collect();
    let validator = Keypair::generate(Algorithm::Ed25519);
    let genesis = Genesis {
        chain_id: "test-chain".into(),
        genesis_time_ms: 1_700_000_000_000,
        validators: vec![GenesisValidator { name: "city".into(), public_key: validator.public_key(), power: 100 }],
        modules: [(
            "governance".to_string(),
            json!({
                "council": {"members": members.iter().map(|k| k.public_key().address()).collect::<Vec<_>>(), "threshold": 3},
                "accounts": [{"address": admin.public_key().address(), "roles": ["admin"], "label": "city admin"}],
                "params": [{"table": "minimum_wage", "key": "hourly_krw", "effective_from": "2025-01-01",
                            "value": {"krw": 10030}, "legal_basis": "Minimum Wage Notice 2024"}]
            }),
        )]
        .into(),
    };
    let store = Store::open(&dir.path().join("db.redb")).unwrap();
    let router = Router::new().with_typed(Governance).with_authority(Arc::new(Governance));
    let ledger = Ledger::open(store, router, genesis, LedgerConfig::default()).unwrap();
    Chain { ledger, admin, members, nonce: 0.into(), _dir: dir }
}

impl Chain {
    /// A signed governance transaction with a fresh nonce.
    pub fn tx(&self, k: &Keypair, msg: Value) -> SignedTx {
        self.tx_for(k, "governance", msg)
    }

    pub fn tx_for(&self, k: &Keypair, module: &str, msg: Value) -> SignedTx {
        let nonce = self.nonce.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        k.sign_tx(TxBody {
            chain_id: "test-chain".into(),
            sender: k.public_key(),
            nonce,
            expires_at_ms: now_ms() + 60_000,
            module: module.into(),
            msg: serde_json::to_vec(&msg).unwrap(),
        })
    }

    /// A proposal message for `module`'s `msg`, open for a minute.
    pub fn proposal(&self, module: &str, msg: Value) -> Value {
        json!({"type": "propose", "proposal": {"module": module, "msg": msg},
               "reason": "Council resolution 2026-11", "expires_at_ms": now_ms() + 60_000})
    }

    pub fn submit(&self, tx: &SignedTx) -> Hash {
        self.ledger.submit(&encode(tx)).unwrap()
    }

    pub fn block(&self) -> dojang_types::Block {
        let height = self.ledger.next_height();
        let proposer = self.ledger.validators()[0].address;
        let block = self.ledger.propose(height, proposer, std::time::Duration::from_secs(1)).unwrap();
        let commit = Commit { height, round: 0, block_hash: block.hash(), signatures: vec![] };
        self.ledger.commit(height, &block.hash(), commit).unwrap();
        block
    }

    pub fn receipt(&self, id: &Hash) -> Receipt {
        self.ledger.receipt(id).unwrap().expect("committed").0
    }

    /// Sends one transaction in its own block and returns its receipt.
    pub fn run(&self, tx: &SignedTx) -> Receipt {
        let id = self.submit(tx);
        self.block();
        self.receipt(&id)
    }

    /// Member 0 proposes, members 1 and 2 approve: the message executes. Returns the id.
    pub fn pass(&self, module: &str, msg: Value) -> u64 {
        let r = self.run(&self.tx(&self.members[0], self.proposal(module, msg)));
        assert_eq!(r.result, TxStatus::Ok, "{r:?}");
        let id = attr(&r, "proposal_created", "id").parse().unwrap();
        for m in &self.members[1..3] {
            let r = self.run(&self.tx(m, json!({"type": "approve", "id": id})));
            assert_eq!(r.result, TxStatus::Ok, "{r:?}");
        }
        id
    }

    pub fn proposal_state(&self, id: u64) -> Value {
        self.ledger.query("governance", &format!("proposal/{id}"), &json!({})).unwrap()
    }
}

pub fn failed_with(r: &Receipt, want: &str) -> bool {
    matches!(&r.result, TxStatus::Failed { code, .. } if code == want)
}

/// The value of an event's attribute in a receipt.
pub fn attr(r: &Receipt, kind: &str, key: &str) -> String {
    let e = r.events.iter().find(|e| e.kind == kind).unwrap_or_else(|| panic!("no {kind} event in {r:?}"));
    e.attributes.iter().find(|(k, _)| k == key).map(|(_, v)| v.clone()).unwrap_or_else(|| panic!("no {key} in {e:?}"))
}
