//! A governance chain for tests: five council members (3 of 5), an admin, one validator.

// Each test binary compiles this module on its own and uses a different part of it.
#![allow(dead_code)]

use std::ops::Deref;

use dojang_crypto::Keypair;
use dojang_types::{Hash, Receipt, SignedTx, TxStatus};
use serde_json::{json, Value};

pub use dojang_testkit::event_attr as attr;

/// The shared test chain (dojang-testkit) with governance's own shorthands.
pub struct Chain(dojang_testkit::Chain);

impl Deref for Chain {
    type Target = dojang_testkit::Chain;

    fn deref(&self) -> &dojang_testkit::Chain {
        &self.0
    }
}

pub fn now_ms() -> u64 {
    dojang_types::wall_clock_ms()
}

pub fn chain() -> Chain {
    Chain(
        dojang_testkit::Chain::builder()
            .council(5, 3, 3)
            .param(json!({"table": "minimum_wage", "key": "hourly_krw", "effective_from": "2025-01-01",
                          "value": {"krw": 10030}, "legal_basis": "Minimum Wage Notice 2024"}))
            .build(),
    )
}

impl Chain {
    /// A signed governance transaction with a fresh nonce.
    pub fn tx(&self, k: &Keypair, msg: Value) -> SignedTx {
        self.0.tx(k, "governance", msg)
    }

    pub fn tx_for(&self, k: &Keypair, module: &str, msg: Value) -> SignedTx {
        self.0.tx(k, module, msg)
    }

    pub fn submit(&self, tx: &SignedTx) -> Hash {
        self.0.submit(tx).unwrap()
    }

    /// Sends one transaction in its own block and returns its receipt.
    pub fn run(&self, tx: &SignedTx) -> Receipt {
        let id = self.submit(tx);
        self.0.block();
        self.0.receipt(&id)
    }

    /// A proposal message for `module`'s `msg`, open for a minute.
    pub fn proposal(&self, module: &str, msg: Value) -> Value {
        json!({"type": "propose", "proposal": {"module": module, "msg": msg},
               "reason": "Council resolution 2026-11", "expires_at_ms": now_ms() + 60_000})
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
