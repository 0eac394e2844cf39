//! A one-validator ledger in a temporary directory, for the API's socket-level tests.
#![allow(dead_code)]

use std::sync::Arc;

use dojang_crypto::{Algorithm, Keypair};
use dojang_governance::Governance;
use dojang_ledger::{BlockApp, Genesis, GenesisValidator, Ledger, LedgerConfig, Router};
use dojang_store::Store;
use dojang_types::Commit;
use serde_json::json;

pub struct TestLedger {
    pub ledger: Arc<Ledger>,
    /// Holds the governance admin role from genesis.
    pub admin: Keypair,
    _dir: tempfile::TempDir,
}

pub fn ledger() -> TestLedger {
    ledger_with(LedgerConfig::default())
}

pub fn ledger_with(config: LedgerConfig) -> TestLedger {
    ledger_with_modules(config, Router::new())
}

/// A test ledger running these modules besides governance.
pub fn ledger_with_modules(config: LedgerConfig, modules: Router) -> TestLedger {
    let dir = tempfile::tempdir().unwrap();
    let admin = Keypair::generate(Algorithm::Ed25519);
    let genesis = Genesis {
        chain_id: "api-test".into(),
        genesis_time_ms: 1_700_000_000_000,
        validators: vec![GenesisValidator {
            name: "v".into(),
            public_key: Keypair::generate(Algorithm::Ed25519).public_key(),
            power: 1,
        }],
        modules: [(
            "governance".to_string(),
            json!({"council": {"members": [admin.public_key().address()], "threshold": 1, "min_members": 1},
                   "accounts": [{"address": admin.public_key().address(), "roles": ["admin"]}]}),
        )]
        .into(),
    };
    let store = Store::open(&dir.path().join("db.redb")).unwrap();
    let ledger = Arc::new(
        Ledger::open(store, modules.with_typed(Governance).with_authority(Arc::new(Governance)), genesis, config)
            .unwrap(),
    );
    TestLedger { ledger, admin, _dir: dir }
}

/// Finalizes the next block (empty unless transactions wait), stamped now.
pub fn commit_next(ledger: &Ledger) {
    let h = ledger.next_height();
    let b = ledger.propose(h, Default::default(), std::time::Duration::from_secs(1)).unwrap();
    ledger.commit(h, &b.hash(), Commit { height: h, round: 0, block_hash: b.hash(), signatures: vec![] }).unwrap();
}

pub mod server;

/// A council proposal (the admin is the council of one, so its own approval passes it)
/// granting `account` the auditor role: a message every test node admits from the admin.
pub fn grant_auditor(account: dojang_types::Address) -> serde_json::Value {
    let expires = dojang_types::wall_clock_ms() + 60_000;
    json!({"type": "propose", "reason": "api test", "expires_at_ms": expires,
           "proposal": {"module": "governance", "msg": {"type": "grant_role", "account": account, "role": "auditor"}}})
}
