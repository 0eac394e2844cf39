//! A chain with the payments module on and the Subcontracting Act's figures in the council's
//! tables; two officers of the ordering department and one of another, the partner bank, and
//! a road project whose tree is the prime, a first-tier subcontractor (300 M), its
//! second-tier subcontractor (100 M), an equipment supplier (20 M) and a material supplier
//! (8 M, under the guarantee threshold).

#![allow(dead_code)]

use dojang_crypto::{Algorithm, Keypair};
use dojang_ledger::{BlockApp, StateRead};
use dojang_payments::state::{Contract, Progress};
use dojang_payments::views::{ContractQuery, ProgressQuery};
use dojang_payments::Payments;
use dojang_testkit::Chain;
use dojang_types::{Address, Date, Event, Hash, TxStatus};
use serde_json::{json, Value};

pub const DAY_MS: u64 = 86_400_000;
pub const PROJECT: &str = "road-7";

pub fn key() -> Keypair {
    Keypair::generate(Algorithm::Ed25519)
}

pub fn addr(k: &Keypair) -> Address {
    k.public_key().address()
}

fn param(table: &str, key: &str, from: &str, value: Value) -> Value {
    json!({"table": table, "key": key, "effective_from": from, "value": value, "legal_basis": "Subcontracting Act"})
}

pub struct Site {
    pub chain: Chain,
    pub officers: [Keypair; 2],
    pub other_department: Keypair,
    pub bank: Keypair,
    pub prime: Keypair,
    pub sub: Keypair,
    pub tier2: Keypair,
    pub equipment: Keypair,
    pub material: Keypair,
    next: std::cell::Cell<u8>,
}

impl Site {
    /// The site with its tree registered; guarantees not yet given.
    pub fn new() -> Site {
        let chain = Chain::builder()
            .with(Payments)
            .param(param("payments", "due_days", "2019-01-01", json!({"days": 60})))
            .param(param("payments", "pass_through_days", "2019-01-01", json!({"days": 15})))
            .param(param("payments", "late_interest_bp", "2019-07-01", json!({"basis_points": 1550})))
            .param(param("payments", "guarantee_days", "2019-01-01", json!({"days": 30})))
            .param(param("payments", "guarantee_over_krw", "2019-01-01", json!({"krw": 10_000_000})))
            .param(param("payments", "direct_after_missed", "2019-01-01", json!({"count": 2})))
            .param(param("payments", "change_order_days", "2019-01-01", json!({"days": 30})))
            .param(param("payments", "mutual_aid_daily_krw", "2019-01-01", json!({"krw": 6_500})))
            .param(param("payments", "reminder_days", "2019-01-01", json!({"days": 3})))
            .build();
        let at = chain.ledger.next_height() + 2;
        chain.council("governance", json!({"type": "activate", "module": "payments", "at_height": at}));
        while chain.ledger.next_height() < at {
            chain.block();
        }
        let site = Site {
            chain,
            officers: [key(), key()],
            other_department: key(),
            bank: key(),
            prime: key(),
            sub: key(),
            tier2: key(),
            equipment: key(),
            material: key(),
            next: 0.into(),
        };
        for o in &site.officers {
            site.council(json!({"type": "appoint_officer", "account": addr(o), "department": "Infrastructure HQ"}));
        }
        site.council(json!({"type": "appoint_officer", "account": addr(&site.other_department), "department": "Parks Department"}));
        site.council(json!({"type": "appoint_bank", "account": addr(&site.bank), "name": "Partner Bank"}));
        let today = site.today();
        site.ok(
            &site.officers[0],
            json!({"type": "register_project", "id": PROJECT, "name": "Road 7 widening",
            "prime": addr(&site.prime), "amount_krw": 1_000_000_000u64, "signed": today}),
        );
        for (by, id, parent, to, kind, krw) in [
            (&site.prime, "sub-a", None, &site.sub, "subcontract", 300_000_000u64),
            (&site.sub, "sub-b", Some("sub-a"), &site.tier2, "subcontract", 100_000_000),
            (&site.prime, "equip", None, &site.equipment, "equipment", 20_000_000),
            (&site.prime, "mat", None, &site.material, "material", 8_000_000),
        ] {
            site.ok(
                by,
                json!({"type": "register_contract", "project": PROJECT, "id": id, "parent": parent,
                "contractor": addr(to), "kind": kind, "amount_krw": krw, "signed": today, "agreed_days": 30}),
            );
        }
        site
    }

    pub fn council(&self, msg: Value) {
        self.chain.council("payments", msg);
    }

    pub fn today(&self) -> Date {
        Date::from_unix_ms_kst(self.chain.ledger.clock_ms())
    }

    pub fn ok(&self, k: &Keypair, msg: Value) -> dojang_types::Receipt {
        self.chain.ok(k, "payments", msg)
    }

    pub fn code(&self, k: &Keypair, msg: Value) -> String {
        self.chain.code(k, "payments", msg)
    }

    /// The refusal's code and reason, for messages that reach execution and fail.
    pub fn reason(&self, k: &Keypair, msg: Value) -> String {
        match self.chain.send(k, "payments", msg).expect("admitted").result {
            TxStatus::Failed { code, reason } => format!("{code}: {reason}"),
            TxStatus::Ok => "ok".into(),
        }
    }

    pub fn fresh(&self) -> Hash {
        let n = self.next.get() + 1;
        self.next.set(n);
        Hash([n; 32])
    }

    pub fn contract(&self, id: &str) -> Contract {
        self.chain.ask(&ContractQuery { project: PROJECT.into(), id: id.into() }).expect("the contract").record
    }

    pub fn progress(&self, number: u32) -> Progress {
        self.chain.ask(&ProgressQuery { project: PROJECT.into(), number }).expect("the progress payment").record
    }

    /// A worker engaged by `employer` on `contract` (`None`: the prime's own), with an account
    /// bound.
    pub fn worker(&self, employer: &Keypair, contract: Option<&str>) -> Keypair {
        let w = key();
        self.ok(
            employer,
            json!({"type": "engage_worker", "project": PROJECT, "contract": contract, "worker": addr(&w)}),
        );
        self.ok(&w, json!({"type": "bind_account", "project": PROJECT, "account": self.fresh()}));
        w
    }

    /// Submits progress payment `number` of `parts` (JSON), approves it by both officers.
    pub fn instruct(&self, number: u32, received: Date, parts: Value) {
        let total: u64 = parts.as_array().unwrap().iter().map(|p| p["krw"].as_u64().unwrap()).sum();
        self.ok(
            &self.prime,
            json!({"type": "submit_progress", "project": PROJECT, "number": number,
            "approved_krw": total, "received": received, "parts": parts}),
        );
        for o in &self.officers {
            self.ok(o, json!({"type": "approve", "project": PROJECT, "number": number}));
        }
    }

    pub fn report(&self, number: u32, line: u32, outcome: Value) -> dojang_types::Receipt {
        self.ok(&self.bank, report(number, line, outcome))
    }

    /// Moves the chain `days` on, a block a day; the payments module's deadline events on the way.
    pub fn pass_days(&self, days: u64) -> Vec<Event> {
        let mut events = Vec::new();
        for _ in 0..days {
            self.chain.advance_clock(DAY_MS);
            let b = self.chain.block();
            let key = dojang_ledger::hook_events_key(b.header.height);
            let rel = &key[b"ledger/".len()..];
            if let Some(bytes) = self.chain.ledger.committed_state().read_module("ledger", rel).unwrap() {
                let all = serde_json::from_slice::<Vec<Event>>(&bytes).unwrap();
                assert!(!all.iter().any(|e| e.kind == "hook_failed"), "a deadline failed: {all:?}");
                events.extend(all.into_iter().filter(|e| e.module == "payments"));
            }
        }
        events
    }
}

/// The bank's statement on one line.
pub fn report(number: u32, line: u32, outcome: Value) -> Value {
    json!({"type": "report", "project": PROJECT, "number": number, "answers": [{"line": line, "outcome": outcome}]})
}

/// The kinds of `events`, in order.
pub fn kinds(events: &[Event]) -> Vec<String> {
    events.iter().map(|e| e.kind.clone()).collect()
}
